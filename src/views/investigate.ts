/**
 * Pure pieces of the Investigate screen: ARP/MAC answers (devices.where) read defensively into display rows, and the
 * `:investigate IP|prefix [range]` argument parser.
 */
import { stripControl } from '../util/sanitize.js';

/** Where an IP was seen on the NOC's devices (ARP/MAC tables). */
export interface DeviceRow {
  device: string;
  mac: string;
  port: string;
  vlan: string;
  seen: string;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string => (typeof x === 'string' ? stripControl(x) : typeof x === 'number' ? String(x) : '');
const pick = (o: Obj, ...names: string[]): unknown => {
  for (const n of names) if (o[n] !== undefined && o[n] !== null && o[n] !== '') return o[n];
  return undefined;
};

/** Rows from a devices.where answer (an array, or an object holding `entries`/`rows`/`matches`). */
export function toDeviceRows(answer: unknown): DeviceRow[] {
  const list = Array.isArray(answer) ? answer : isObj(answer) ? pick(answer, 'entries', 'rows', 'matches', 'results', 'where') : [];
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((o) => {
    const seen = pick(o, 'seenAt', 'lastSeen', 'at', 'collectedAt', 'time');
    return {
      device: str(pick(o, 'device', 'deviceName', 'host', 'switch', 'router')),
      mac: str(pick(o, 'mac', 'macAddress')),
      port: str(pick(o, 'port', 'interface', 'ifName', 'iface')),
      vlan: str(pick(o, 'vlan', 'vlanId')),
      seen: typeof seen === 'number' ? new Date(seen < 1e12 ? seen * 1000 : seen).toISOString().slice(0, 16).replace('T', ' ') : str(seen),
    };
  });
}

/** `:investigate` arguments: a target and an optional range ("30m", "2h", "1d"); minutes, default 60. */
export function parseInvestigateArgs(arg: string): { target: string; minutes: number } | undefined {
  const m = /^(\S+)(?:\s+(\d+)\s*([mhd]))?$/.exec(arg.trim());
  if (!m) return undefined;
  const n = m[2] ? Number(m[2]) * (m[3] === 'h' ? 60 : m[3] === 'd' ? 1440 : 1) : 60;
  if (n <= 0) return undefined;
  return { target: m[1], minutes: n };
}
