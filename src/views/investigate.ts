/**
 * Pure pieces of the Investigate screen: ARP/MAC answers (devices.where) read defensively into display rows, and the
 * `:investigate IP|prefix [range]` argument parser.
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

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string => (typeof x === 'string' ? stripControl(x) : typeof x === 'number' ? String(x) : '');
const pick = (o: Obj, ...names: string[]): unknown => {
  for (const n of names) if (o[n] !== undefined && o[n] !== null && o[n] !== '') return o[n];
  return undefined;
};
const when = (x: unknown): string =>
  typeof x === 'number' ? new Date(x < 1e12 ? x * 1000 : x).toISOString().slice(5, 16).replace('T', ' ') : str(x);

/** Rows from a devices.where answer (an array, or an object holding `rows`/`entries`/`matches`), current first. */
export function toDeviceRows(answer: unknown): DeviceRow[] {
  const list = Array.isArray(answer) ? answer : isObj(answer) ? pick(answer, 'rows', 'entries', 'matches', 'results', 'where') : [];
  if (!Array.isArray(list)) return [];
  const rows = list.filter(isObj).map((o) => {
    const iface = str(pick(o, 'interface', 'ifName', 'iface'));
    const phys = str(pick(o, 'port'));
    return {
      device: str(pick(o, 'device', 'deviceName', 'host', 'switch', 'router')),
      mac: str(pick(o, 'mac', 'macAddress')),
      port: [...new Set([iface, phys].filter(Boolean))].join(' '),
      vlan: str(pick(o, 'vlan', 'vlanId')),
      // A MAC table's own entry (VLAN All, CPU, the router's MAC) is marked apart from learned hosts.
      state: `${str(pick(o, 'state', 'type'))}${o.system === true ? ' (sys)' : ''}`,
      first: when(pick(o, 'firstSeen')),
      last: when(pick(o, 'lastSeen', 'seenAt', 'at', 'collectedAt', 'time')),
      current: o.current === true,
    };
  });
  return [...rows.filter((r) => r.current), ...rows.filter((r) => !r.current)];
}

/** The raw findings of a devices.where answer (kept as the engine sent them; worded at draw time). */
export function findingsOf(answer: unknown): unknown[] {
  const list = isObj(answer) ? answer.findings : undefined;
  return Array.isArray(list) ? list : [];
}

const strs = (x: unknown): string[] => (Array.isArray(x) ? x.map(str).filter(Boolean) : []);

/**
 * The findings of a devices.where answer (unused address, moved, a MAC with several IPs) in the screen's language,
 * from their fields; the engine's English reason when the fields are missing.
 */
export function toDeviceFindings(answer: unknown, lang: 'en' | 'zh-TW' = 'en'): string[] {
  const list = isObj(answer) ? answer.findings : undefined;
  if (!Array.isArray(list)) return [];
  return list
    .filter(isObj)
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
