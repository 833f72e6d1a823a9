/**
 * ARP/MAC anomalies as pure predicates that say why they fired:
 * - unused addresses (an IP the gateway cannot resolve): the engine names their outside senders as `unused-probe`
 *   attackers (src/engine/analyze.ts, arpUnusedPass);
 * - a MAC holding several IPs over time (possible spoofing), unless allow-listed as mobile or router;
 * - an IP moving between MACs, or its MAC between ports of one switch.
 */
import type { AllowedMac } from '../config/sections/devices.js';
import { findingText } from '../i18n/devices-text.js';
import { compareIp } from '../util/ip.js';
import { normalizeMac, ZERO_MAC } from './mac.js';

/** What the probe check needs to know of an IP: the seeds' merged-by-IP document satisfies it. */
export interface IpState {
  ip: string;
  typeList: string[];
  macList: string[];
}

const UNUSED_STATES = new Set(['incomplete', 'deleted']);

/** True when no device resolves the IP: its states are only Incomplete/Deleted, or its only MAC is all zeros. */
export function isUnusedAddress(s: IpState): boolean {
  const onlyUnusedStates = s.typeList.length > 0 && s.typeList.every((t) => UNUSED_STATES.has(t.toLowerCase()));
  const onlyZeroMac = s.macList.length > 0 && s.macList.every((m) => m === ZERO_MAC);
  return onlyUnusedStates || onlyZeroMac;
}

/**
 * The unused addresses of one or more device slots taken together: an IP counts only when every state and MAC the
 * slots hold for it says unused, so an address resolved in any of them is in use.
 */
export function unusedAddressesOf(slots: Iterable<IpState>[]): string[] {
  const by = new Map<string, IpState>();
  for (const states of slots) {
    for (const s of states) {
      const cur = by.get(s.ip);
      if (cur) by.set(s.ip, { ip: s.ip, typeList: [...cur.typeList, ...s.typeList], macList: [...cur.macList, ...s.macList] });
      else by.set(s.ip, s);
    }
  }
  return [...by.values()].filter(isUnusedAddress).map((s) => s.ip).sort(compareIp);
}

/** One history row as the anomaly checks read it (the store's `device_sightings`). */
export interface HistoryRow {
  source: 'arp' | 'mac';
  device: string;
  ip: string;
  mac: string;
  port: string;
  state: string;
  /** A MAC table row that is the device's own entry (VLAN All, CPU / Router port, gateway mark): not a host. */
  system?: boolean;
  firstSeen: number;
  lastSeen: number;
}

/** The MACs some MAC table calls the device's own: they answer ARP for the device's addresses, not for a host's. */
function systemMacs(rows: HistoryRow[]): Set<string> {
  return new Set(rows.filter((r) => r.source === 'mac' && r.system).map((r) => r.mac));
}

/** A MAC that answered for several IPs. */
export interface MacMultiIp {
  mac: string;
  ips: string[];
  devices: string[];
  firstSeen: number;
  lastSeen: number;
  reason: string;
}

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

function allowSet(allow: AllowedMac[]): Set<string> {
  return new Set(allow.map((a) => normalizeMac(a.mac)).filter((m): m is string => m !== undefined));
}

/**
 * MACs holding at least `minIps` IPs over the history. Ignored: the zero and broadcast MACs, a device's own
 * interface addresses (state Interface), MACs a MAC table calls the device's own (system entries), and
 * allow-listed mobile / router MACs.
 */
export function macsWithSeveralIps(rows: Iterable<HistoryRow>, allow: AllowedMac[] = [], opts: { minIps?: number } = {}): MacMultiIp[] {
  const minIps = opts.minIps ?? 2;
  const list = [...rows];
  const skip = allowSet(allow);
  for (const m of systemMacs(list)) skip.add(m);
  const by = new Map<string, { ips: Set<string>; devs: Set<string>; first: number; last: number }>();
  for (const r of list) {
    if (r.source !== 'arp' || r.mac === ZERO_MAC || r.mac === BROADCAST || skip.has(r.mac) || r.state === 'Interface') continue;
    if (UNUSED_STATES.has(r.state.toLowerCase())) continue;
    let m = by.get(r.mac);
    if (!m) by.set(r.mac, (m = { ips: new Set(), devs: new Set(), first: r.firstSeen, last: r.lastSeen }));
    m.ips.add(r.ip);
    m.devs.add(r.device);
    m.first = Math.min(m.first, r.firstSeen);
    m.last = Math.max(m.last, r.lastSeen);
  }
  const out: MacMultiIp[] = [];
  for (const [mac, m] of by) {
    if (m.ips.size < minIps) continue;
    const ips = [...m.ips].sort();
    out.push({ mac, ips, devices: [...m.devs].sort(), firstSeen: m.first, lastSeen: m.last, reason: findingText({ kind: 'mac-several-ips', mac, ips }, 'en')! });
  }
  return out.sort((a, b) => b.ips.length - a.ips.length || (a.mac < b.mac ? -1 : 1));
}

/** An IP whose MAC changed, or whose MAC moved between ports of one switch. */
export interface IpMove {
  ip: string;
  kind: 'mac' | 'port';
  /** What it moved between, oldest first: MACs, or `device port` strings. */
  trail: string[];
  /** For a port move: the MAC that moved. */
  mac?: string;
  reason: string;
}

/**
 * IPs that moved between MACs, and IPs whose MAC moved between ports of the same device, over the history. A MAC
 * table's system rows (the device's own entries) are never a port the MAC moved to.
 */
export function ipMoves(rows: Iterable<HistoryRow>, allow: AllowedMac[] = []): IpMove[] {
  const skip = allowSet(allow);
  const macsOfIp = new Map<string, Map<string, number>>();
  const portsOfMac = new Map<string, Map<string, number>>();
  for (const r of rows) {
    if (r.mac === ZERO_MAC || r.mac === BROADCAST) continue;
    if (r.source === 'arp') {
      if (r.state === 'Interface' || UNUSED_STATES.has(r.state.toLowerCase())) continue;
      let m = macsOfIp.get(r.ip);
      if (!m) macsOfIp.set(r.ip, (m = new Map()));
      m.set(r.mac, Math.min(m.get(r.mac) ?? Infinity, r.firstSeen));
    } else if (r.port && !r.system && !/^(cpu|router|sup-eth)/i.test(r.port)) {
      let m = portsOfMac.get(r.mac);
      if (!m) portsOfMac.set(r.mac, (m = new Map()));
      const key = `${r.device} ${r.port}`;
      m.set(key, Math.min(m.get(key) ?? Infinity, r.firstSeen));
    }
  }
  const order = (m: Map<string, number>) => [...m.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[0]);
  const out: IpMove[] = [];
  for (const [ip, macs] of [...macsOfIp.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (macs.size > 1 && ![...macs.keys()].some((m) => skip.has(m))) {
      const trail = order(macs);
      out.push({ ip, kind: 'mac', trail, reason: findingText({ kind: 'ip-moved-mac', ip, trail }, 'en')! });
    }
    for (const mac of macs.keys()) {
      const ports = portsOfMac.get(mac);
      if (!ports || skip.has(mac)) continue;
      const perDevice = new Map<string, Map<string, number>>();
      for (const [key, t] of ports) {
        const dev = key.slice(0, key.indexOf(' '));
        if (!perDevice.has(dev)) perDevice.set(dev, new Map());
        perDevice.get(dev)!.set(key, t);
      }
      for (const [, m] of perDevice) {
        if (m.size < 2) continue;
        const trail = order(m);
        out.push({ ip, kind: 'port', mac, trail, reason: findingText({ kind: 'ip-moved-port', ip, mac, trail }, 'en')! });
      }
    }
  }
  return out;
}
