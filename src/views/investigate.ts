/**
 * Pure pieces of the Investigate screen: ARP/MAC answers (devices.where, the engine's WhereAnswer) into display rows
 * and findings, and the `:investigate IP|prefix [range]` argument parser. The inputs are declared as the fields read,
 * so the engine's real types must satisfy them where the TUI calls it.
 */
import { stripControl } from '../util/sanitize.js';
import { findingText } from '../i18n/devices-text.js';

/** Where an IP was seen on the NOC's devices (ARP/MAC tables): one binding, current or past. */
export interface DeviceRow {
  device: string;
  mac: string;
  /** The L3 interface and the physical port, as far as known ("Vlan10 Gi1/0/3"). */
  port: string;
  vlan: string;
  state: string;
  /** "11-23 09:00" (UTC), or "" when unknown. */
  first: string;
  last: string;
  /** In the device's latest collection. */
  current: boolean;
}

/** The fields of one devices.where row (the engine's WhereRow, src/devices/store.ts) this view reads. */
export interface DeviceRowSource {
  device: string;
  mac: string;
  /** The L3 interface (ARP) and the physical port (MAC table), either may be empty. */
  interface: string;
  port: string;
  vlan: number | null;
  state: string;
  /** Epoch ms. */
  firstSeen: number;
  lastSeen: number;
  current: boolean;
  /** A MAC table's own entry (VLAN All, CPU, the router's MAC), not a learned host. */
  system?: boolean;
}

/** The fields of one devices.where finding (the engine's WhereFinding) this view reads. */
export interface FindingSource {
  kind: string;
  reason: string;
  ip?: string;
  mac?: string;
  ips?: string[];
  on?: string[];
  trail?: string[];
}

const str = (x: string | undefined | null): string => stripControl(x ?? '');
const when = (ms: number): string => new Date(ms).toISOString().slice(5, 16).replace('T', ' ');

/** Rows from a devices.where answer, current bindings first. */
export function toDeviceRows(answer: { rows: readonly DeviceRowSource[] }): DeviceRow[] {
  const rows = answer.rows.map((o) => ({
    device: str(o.device),
    mac: str(o.mac),
    port: [...new Set([str(o.interface), str(o.port)].filter(Boolean))].join(' '),
    vlan: o.vlan === null ? '' : String(o.vlan),
    // A MAC table's own entry (VLAN All, CPU, the router's MAC) is marked apart from learned hosts.
    state: `${str(o.state)}${o.system === true ? ' (sys)' : ''}`,
    first: when(o.firstSeen),
    last: when(o.lastSeen),
    current: o.current,
  }));
  return [...rows.filter((r) => r.current), ...rows.filter((r) => !r.current)];
}

/**
 * The findings of a devices.where answer (unused address, moved, a MAC with several IPs) in the screen's language,
 * from their fields; the engine's English reason for a kind this screen does not word.
 */
export function toDeviceFindings(findings: readonly FindingSource[], lang: 'en' | 'zh-TW' = 'en'): string[] {
  const strs = (x: string[] | undefined) => (x ?? []).map(str).filter(Boolean);
  return findings
    .map((f) => findingText({ kind: str(f.kind), ip: str(f.ip), mac: str(f.mac), ips: strs(f.ips), on: strs(f.on), trail: strs(f.trail) }, lang) ?? str(f.reason))
    .filter(Boolean);
}

/** One ARP/MAC binding in a line: "● mac device port vlan N state first→last" (● = in the latest collection). */
export function deviceRowText(d: DeviceRow): string {
  const span = d.first && d.first !== d.last ? `${d.first}→${d.last.slice(d.first.slice(0, 5) === d.last.slice(0, 5) ? 6 : 0)}` : d.last;
  return `${d.current ? '●' : '·'} ${d.mac}  ${d.device}  ${d.port || '-'}${d.vlan ? ` vlan ${d.vlan}` : ''}  ${d.state}  ${span}`;
}

/** `:investigate` arguments: a target and an optional range ("30m", "2h", "1d"); minutes, default 60. */
export function parseInvestigateArgs(arg: string): { target: string; minutes: number } | undefined {
  const m = /^(\S+)(?:\s+(\d+)\s*([mhd]))?$/.exec(arg.trim());
  if (!m) return undefined;
  const n = m[2] ? Number(m[2]) * (m[3] === 'h' ? 60 : m[3] === 'd' ? 1440 : 1) : 60;
  if (n <= 0) return undefined;
  return { target: m[1], minutes: n };
}
