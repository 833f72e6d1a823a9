/**
 * Device kinds as data: which command shows each table, how paging is turned off, what the pager prompt looks
 * like. The collector and the test server both read this table; adding a kind is adding a row (and a parser).
 */

import type { DeviceKind } from '../config/sections/devices.js';

/** The device families nocflow can collect from (declared with the configuration that names them). */
export type { DeviceKind };

/** A table a device can be asked for. */
export type TableName = 'arp' | 'mac';

/** How to talk to one kind of device. */
export interface KindProfile {
  kind: DeviceKind;
  label: string;
  /** Sent once after the first prompt. */
  pagingOff: string;
  /** The command per table; a table missing here is not collected from this kind (an L3 router has no MAC table). */
  commands: Partial<Record<TableName, string>>;
  /**
   * Older spellings tried in order, in the same session, when the device refuses the command (isRefused): IOS before
   * 12.1(11)EA1 / 12.2(18)SXF knows only `show mac-address-table`.
   */
  fallbacks?: Partial<Record<TableName, string[]>>;
}

/** Every kind's commands. */
export const KIND_PROFILES: Record<DeviceKind, KindProfile> = {
  ios: { kind: 'ios', label: 'Cisco IOS', pagingOff: 'terminal length 0', commands: { arp: 'show arp', mac: 'show mac address-table' }, fallbacks: { mac: ['show mac-address-table'] } },
  iosxe: { kind: 'iosxe', label: 'Cisco IOS-XE', pagingOff: 'terminal length 0', commands: { arp: 'show ip arp', mac: 'show mac address-table' } },
  iosxr: { kind: 'iosxr', label: 'Cisco IOS-XR', pagingOff: 'terminal length 0', commands: { arp: 'show arp' } },
  nxos: { kind: 'nxos', label: 'Cisco NX-OS', pagingOff: 'terminal length 0', commands: { arp: 'show ip arp', mac: 'show mac address-table' } },
  junos: { kind: 'junos', label: 'Juniper Junos', pagingOff: 'set cli screen-length 0', commands: { arp: 'show arp no-resolve', mac: 'show ethernet-switching table' } },
  eos: { kind: 'eos', label: 'Arista EOS', pagingOff: 'terminal length 0', commands: { arp: 'show ip arp', mac: 'show mac address-table' } },
};

/** Every kind name. */
export const DEVICE_KINDS = Object.keys(KIND_PROFILES) as DeviceKind[];

/** The last line of a CLI buffer is a prompt: `sw1#`, `sw1>`, `RP/0/RSP0/CPU0:gw#`, `admin@ex1>`, `admin@ex1#`. */
export const PROMPT_RE = /(?:^|\n)([A-Za-z0-9_@.:/()~-]{1,96}[>#%$]) ?$/;

/** A pager prompt at the end of a buffer: Cisco/Arista ` --More-- `, Junos `---(more 42%)---`. */
export const MORE_RE = /(?: ?--More-- ?|---\(more[^)]*\)---|<--- More --->)\s*$/i;

/** Pager prompts anywhere (to remove them from collected text). */
export const MORE_ANY_RE = / ?--More-- ?|---\(more[^)]*\)---|<--- More --->/gi;

/** One table to ask for: its command, and the older spellings to try when the device refuses it. */
export interface TableCommand {
  table: TableName;
  command: string;
  fallbacks?: string[];
}

/** Commands for the tables requested (`want`) that this kind supports, in a stable order. */
export function commandsFor(kind: DeviceKind, want: TableName[]): TableCommand[] {
  const p = KIND_PROFILES[kind];
  const out: TableCommand[] = [];
  for (const table of ['arp', 'mac'] as const) {
    const command = p.commands[table];
    const fallbacks = p.fallbacks?.[table];
    if (command && want.includes(table)) out.push({ table, command, ...(fallbacks && fallbacks.length > 0 ? { fallbacks } : {}) });
  }
  return out;
}

/**
 * True when a command's output is the CLI refusing it rather than a table: IOS / EOS `% Invalid input detected`,
 * `% Incomplete command`, `% Ambiguous command`, NX-OS `% Invalid command`, Junos `unknown command.` / `syntax error`,
 * within the first lines (a caret line may come first).
 */
export function isRefused(output: string): boolean {
  const head = output.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 3);
  return head.some((l) => /^\s*(?:% ?(?:Invalid input|Invalid command|Incomplete command|Ambiguous command|Unknown command)|unknown command\.|syntax error)/i.test(l));
}

/**
 * Older algorithms that many switches in service still need (IOS 12.x, old NX-OS): appended after ssh2's modern
 * defaults only for a device configured with `legacyAlgorithms: true`.
 */
export const LEGACY_ALGORITHMS = {
  kex: ['diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1'],
  cipher: ['aes128-cbc', 'aes256-cbc', '3des-cbc'],
  serverHostKey: ['ssh-dss'],
} as const;
