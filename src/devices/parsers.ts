/**
 * Pure parsers for ARP and MAC tables as each kind prints them. One function per kind and table, chosen through
 * the PARSERS table; MAC tables are read by mac-table.ts, which picks the layout by content. Every line that is not an entry and not a known header is counted in `skipped` (banners,
 * garbage, a line cut off by a dropped connection) — a parser never throws on device text.
 */
import { canonicalIp } from '../util/ip.js';
import { stripControl } from '../util/sanitize.js';
import type { DeviceKind, TableName } from './kinds.js';
import { normalizeMac, ZERO_MAC } from './mac.js';
import { parseMacTable, type MacEntry, type MacLayoutId } from './mac-table.js';

export type { MacEntry, MacLayoutId } from './mac-table.js';

/** One ARP entry: an IP and the MAC answering for it (ZERO_MAC when none), as one device saw it. */
export interface ArpEntry {
  ip: string;
  mac: string;
  /** Dynamic, Static, Interface, Incomplete, Deleted, ... (IOS-XR names; other kinds mapped onto them). */
  state: string;
  /** Seconds since the entry was refreshed; null when the device shows `-`. */
  ageSeconds: number | null;
  interface: string;
  /** Physical port when the device says it (EOS `Vlan10, Ethernet1`, Junos `irb.100 [ge-0/0/1.0]`). */
  port?: string;
  vlan: number | null;
}

/** What a parser returns: the entries and how many lines it could not read. */
export interface ParseResult<T> {
  entries: T[];
  skipped: number;
  /** Up to three skipped lines (control characters removed), for the collection report. */
  skippedSamples: string[];
  /** Non-empty lines read (entries, headers and skipped lines). */
  lines: number;
  /** MAC tables: the layouts whose rows were read (see mac-table.ts). */
  layouts?: MacLayoutId[];
  /** MAC tables: the entry count the device printed in its footer, when it prints one. */
  declared?: number;
}

type LineParser<T> = (line: string, state: Record<string, unknown>) => T | undefined;

function runLines<T>(text: string, noise: RegExp[], parse: LineParser<T>): ParseResult<T> {
  const out: ParseResult<T> = { entries: [], skipped: 0, skippedSamples: [], lines: 0 };
  const state: Record<string, unknown> = {};
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = stripControl(raw).replace(/\s+$/, '');
    if (line.trim() === '') continue;
    out.lines++;
    if (noise.some((re) => re.test(line))) {
      state.header = line;
      continue;
    }
    const e = parse(line, state);
    if (e) out.entries.push(e);
    else {
      out.skipped++;
      if (out.skippedSamples.length < 3) out.skippedSamples.push(line.slice(0, 120));
    }
  }
  return out;
}

function vlanOfInterface(name: string): number | null {
  const m = /^(?:vlan|irb\.|vlan\.)(\d{1,4})$/i.exec(name);
  return m ? Number(m[1]) : null;
}

function hms(text: string): number | null {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(text);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

const DASHES = /^[\s-]+$/;

/** An ARP row's address and hardware columns: the MAC, or the zero MAC for `Incomplete`; undefined when malformed. */
function binding(ipText: string, macText: string): { ip: string; mac: string; incomplete: boolean } | undefined {
  const ip = canonicalIp(ipText);
  const incomplete = /^incomplete$/i.test(macText);
  const mac = incomplete ? ZERO_MAC : normalizeMac(macText);
  return ip && mac ? { ip, mac, incomplete } : undefined;
}

/** Cisco IOS / IOS-XE `show arp` and `show ip arp` (the seeds' Layer-3 switch). Age in minutes. */
export function parseIosArp(text: string): ParseResult<ArpEntry> {
  return runLines(text, [/^Protocol\s+Address\s+Age/i], (line) => {
    const m = /^Internet\s+(\S+)\s+(\d+|-)\s+(\S+)\s+(\S+)(?:\s+(\S+))?$/.exec(line.trim());
    if (!m) return undefined;
    const b = binding(m[1], m[3]);
    if (!b) return undefined;
    const { ip, mac, incomplete } = b;
    const iface = m[5] ?? '';
    const ageSeconds = m[2] === '-' ? null : Number(m[2]) * 60;
    const state = incomplete ? 'Incomplete' : m[2] === '-' ? 'Interface' : 'Dynamic';
    return { ip, mac, state, ageSeconds, interface: iface, vlan: vlanOfInterface(iface) };
  });
}

/** Cisco IOS-XR `show arp` (the seeds' gateway): Age hh:mm:ss or `-`, State Dynamic/Interface/Incomplete/Deleted. */
export function parseIosXrArp(text: string): ParseResult<ArpEntry> {
  return runLines(text, [/^Address\s+Age\s+Hardware/i, DASHES, /^\s*\d+\/\S+\/CPU\d+\s*$/i, /^\s*Node:\s/], (line) => {
    const m = /^(\S+)\s+(\d+:\d{2}:\d{2}|-)\s+(\S+)\s+([A-Za-z][\w-]*)\s+(\S+)\s+(\S+)$/.exec(line.trim());
    if (!m) return undefined;
    const ip = canonicalIp(m[1]);
    const mac = normalizeMac(m[3]);
    if (!ip || !mac) return undefined;
    const state = m[4].charAt(0).toUpperCase() + m[4].slice(1);
    return { ip, mac, state, ageSeconds: m[2] === '-' ? null : hms(m[2]), interface: m[6], vlan: vlanOfInterface(m[6]) };
  });
}

/** Cisco NX-OS `show ip arp`: Address, Age hh:mm:ss or `-`, MAC or INCOMPLETE, Interface, Flags. */
export function parseNxosArp(text: string): ParseResult<ArpEntry> {
  const noise = [/^Flags:/i, /^\s+[*+#A-Z]{1,2}\s+-\s/, /^IP ARP Table/i, /^Total number of entries/i, /^Address\s+Age\s+MAC/i];
  return runLines(text, noise, (line) => {
    // NX-OS 9+ adds a Physical Interface column before the flags.
    const m = /^(\S+)\s+(\d+:\d{2}:\d{2}|-)\s+(\S+)\s+(\S+)(?:\s+(?![*+#D]+$)([A-Za-z][\w./-]*))?(?:\s+([*+#D]+))?$/.exec(line.trim());
    if (!m) return undefined;
    const b = binding(m[1], m[3]);
    if (!b) return undefined;
    const { ip, mac, incomplete } = b;
    const state = incomplete ? 'Incomplete' : m[2] === '-' ? 'Interface' : 'Dynamic';
    const port = m[5] && m[5] !== m[4] ? m[5] : undefined;
    return { ip, mac, state, ageSeconds: m[2] === '-' ? null : hms(m[2]), interface: m[4], ...(port ? { port } : {}), vlan: vlanOfInterface(m[4]) };
  });
}

/** Arista EOS `show ip arp`: Address, Age (h:mm:ss, N/A, or minutes), Hardware Addr, `Vlan10, Ethernet1`. */
export function parseEosArp(text: string): ParseResult<ArpEntry> {
  return runLines(text, [/^Address\s+Age/i], (line, st) => {
    const m = /^(\S+)\s+(N\/A|\d+:\d{2}:\d{2}|\d+)\s+(\S+)\s+(\S.*)$/.exec(line.trim());
    if (!m) return undefined;
    const b = binding(m[1], m[3]);
    if (!b) return undefined;
    const { ip, mac, incomplete } = b;
    const parts = m[4].split(/\s*,\s*/);
    const iface = parts[0];
    const port = parts[1] && !/not learned/i.test(parts[1]) ? parts[1] : undefined;
    const minutes = typeof st.header === 'string' && /\(min\)/i.test(st.header);
    const age = m[2] === 'N/A' ? null : m[2].includes(':') ? hms(m[2]) : Number(m[2]) * (minutes ? 60 : 1);
    const state = incomplete ? 'Incomplete' : m[2] === 'N/A' ? 'Static' : 'Dynamic';
    return { ip, mac, state, ageSeconds: age, interface: iface, ...(port ? { port } : {}), vlan: vlanOfInterface(iface) };
  });
}

/** Juniper Junos `show arp no-resolve`: MAC Address, Address, Interface (`irb.100 [ge-0/0/1.0]`), Flags. */
export function parseJunosArp(text: string): ParseResult<ArpEntry> {
  return runLines(text, [/^MAC Address\s+Address/i, /^Total entries/i], (line) => {
    const m = /^(\S+)\s+(\S+)\s+(\S+)(?:\s+\[([^\]]+)\])?\s+(\S+)$/.exec(line.trim());
    if (!m) return undefined;
    const mac = normalizeMac(m[1]);
    const ip = canonicalIp(m[2]);
    if (!ip || !mac) return undefined;
    const state = /permanent/i.test(m[5]) ? 'Static' : 'Dynamic';
    return { ip, mac, state, ageSeconds: null, interface: m[3], ...(m[4] ? { port: m[4] } : {}), vlan: vlanOfInterface(m[3]) };
  });
}

/**
 * Cisco NX-OS `show mac address-table`; any other layout it may print is still recognized by its header
 * (mac-table.ts).
 */
export function parseNxosMac(text: string): ParseResult<MacEntry> {
  return parseMacTable(text, 'cisco', 'nxos');
}

/**
 * Cisco IOS / IOS-XE and Arista EOS MAC tables of every generation, chosen by header: `Vlan Mac Address Type Ports`
 * (EOS with Moves), Catalyst 2950 `Destination Address ...`, 4500 `Unicast Entries` with protocols, 6500 Sup2T legend
 * marks with learn and age.
 */
export function parseIosMac(text: string): ParseResult<MacEntry> {
  return parseMacTable(text, 'cisco', 'ios');
}

/** Juniper `show ethernet-switching table` (ELS: name, MAC, flags, age, interface; legacy: name, MAC, type, age, interfaces). */
export function parseJunosMac(text: string): ParseResult<MacEntry> {
  return parseMacTable(text, 'junos', 'junos');
}

/** Which parser reads which kind's table. */
export const PARSERS: Record<DeviceKind, { arp: (t: string) => ParseResult<ArpEntry>; mac?: (t: string) => ParseResult<MacEntry> }> = {
  ios: { arp: parseIosArp, mac: parseIosMac },
  iosxe: { arp: parseIosArp, mac: parseIosMac },
  iosxr: { arp: parseIosXrArp },
  nxos: { arp: parseNxosArp, mac: parseNxosMac },
  junos: { arp: parseJunosArp, mac: parseJunosMac },
  eos: { arp: parseEosArp, mac: parseIosMac },
};

/** Parse one table's text for a kind. */
export function parseTable(kind: DeviceKind, table: 'arp', text: string): ParseResult<ArpEntry>;
export function parseTable(kind: DeviceKind, table: 'mac', text: string): ParseResult<MacEntry>;
export function parseTable(kind: DeviceKind, table: TableName, text: string): ParseResult<ArpEntry> | ParseResult<MacEntry> {
  const p = PARSERS[kind];
  if (table === 'arp') return p.arp(text);
  return p.mac ? p.mac(text) : { entries: [], skipped: 0, skippedSamples: [], lines: 0 };
}
