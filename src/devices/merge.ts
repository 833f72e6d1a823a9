/**
 * Merging one TimeSlot's tables, as the seeds do: one document per (device, MAC) with the IPs and interfaces it
 * holds, and one per IP with the MACs, states and devices that answer for it. Also the flat sightings the history
 * keeps. Pure: the caller passes the timestamps.
 */
import type { ArpEntry, MacEntry } from './parsers.js';

/** One device's tables as collected at `timestamp` (epoch ms). */
export interface DeviceTables {
  device: string;
  timestamp: number;
  arp: ArpEntry[];
  mac: MacEntry[];
}

/** Merged by MAC (one per device and MAC), the seeds' first document. */
export interface MacDoc {
  mac: string;
  device: string;
  timestamp: number;
  timeSlot: number;
  ipList: string[];
  interfaceList: string[];
  /** The VLAN the MAC table (or else the ARP interface) puts it in; null when unknown. */
  vlan: number | null;
  vlanList: number[];
  typeList: string[];
  /** The MAC table calls it the device's own (VLAN All, CPU / Router port, gateway mark, group MAC): not a host. */
  system: boolean;
}

/** Merged by IP (across devices), the seeds' second document. */
export interface IpDoc {
  ip: string;
  timestamp: number;
  timeSlot: number;
  macList: string[];
  typeList: string[];
  devices: string[];
  interfaceList: string[];
}

/** One slot's merged documents. */
export interface MergedSlot {
  timeSlot: number;
  byMac: MacDoc[];
  byIp: IpDoc[];
}

/** A receiver of merged documents (the Elasticsearch writer implements this). */
export interface DeviceDocSink {
  onMerged(docs: MergedSlot): void | Promise<void>;
}

/** One flat observation: an ARP binding or a MAC table row on one device; the history aggregates these. */
export interface Sighting {
  source: 'arp' | 'mac';
  device: string;
  /** '' for MAC table rows. */
  ip: string;
  mac: string;
  interface: string;
  /** Physical port: the MAC table's ports (comma-separated when several), or the port the ARP row names; '' when unknown. */
  port: string;
  vlan: number | null;
  state: string;
  /** A MAC table row that is the device's own entry (MacEntry.system); false for ARP rows. */
  system: boolean;
}

const sorted = <T>(s: Set<T>): T[] => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Merge the tables of one slot by MAC (per device) and by IP. */
export function mergeSlot(timeSlot: number, tables: DeviceTables[]): MergedSlot {
  const macs = new Map<string, { doc: MacDoc; ips: Set<string>; ifs: Set<string>; vlans: Set<number>; types: Set<string>; tableVlan: number | null; system: boolean }>();
  const ips = new Map<string, { ts: number; macs: Set<string>; types: Set<string>; devs: Set<string>; ifs: Set<string> }>();
  const macRec = (device: string, mac: string, timestamp: number) => {
    const key = `${device}\u0000${mac}`;
    let r = macs.get(key);
    if (!r) {
      r = { doc: { mac, device, timestamp, timeSlot, ipList: [], interfaceList: [], vlan: null, vlanList: [], typeList: [], system: false }, ips: new Set(), ifs: new Set(), vlans: new Set(), types: new Set(), tableVlan: null, system: false };
      macs.set(key, r);
    }
    return r;
  };
  for (const t of tables) {
    for (const e of t.arp) {
      const r = macRec(t.device, e.mac, t.timestamp);
      r.ips.add(e.ip);
      if (e.interface) r.ifs.add(e.interface);
      if (e.port) r.ifs.add(e.port);
      if (e.vlan !== null) r.vlans.add(e.vlan);
      r.types.add(e.state);
      let ip = ips.get(e.ip);
      if (!ip) ips.set(e.ip, (ip = { ts: t.timestamp, macs: new Set(), types: new Set(), devs: new Set(), ifs: new Set() }));
      ip.ts = Math.max(ip.ts, t.timestamp);
      ip.macs.add(e.mac);
      ip.types.add(e.state);
      ip.devs.add(t.device);
      if (e.interface) ip.ifs.add(e.interface);
    }
    for (const e of t.mac) {
      const r = macRec(t.device, e.mac, t.timestamp);
      for (const p of e.ports) r.ifs.add(p);
      if (e.system) r.system = true;
      if (e.vlan !== null) {
        r.vlans.add(e.vlan);
        r.tableVlan ??= e.vlan;
      }
      r.types.add(e.type);
    }
  }
  const byMac = [...macs.values()]
    .map((r) => {
      const vlanList = [...r.vlans].sort((a, b) => a - b);
      return { ...r.doc, ipList: sorted(r.ips), interfaceList: sorted(r.ifs), vlan: r.tableVlan ?? vlanList[0] ?? null, vlanList, typeList: sorted(r.types), system: r.system };
    })
    .sort((a, b) => (a.device === b.device ? (a.mac < b.mac ? -1 : 1) : a.device < b.device ? -1 : 1));
  const byIp = [...ips.entries()]
    .map(([ip, r]) => ({ ip, timestamp: r.ts, timeSlot, macList: sorted(r.macs), typeList: sorted(r.types), devices: sorted(r.devs), interfaceList: sorted(r.ifs) }))
    .sort((a, b) => (a.ip < b.ip ? -1 : 1));
  return { timeSlot, byMac, byIp };
}

/** The flat sightings of one device's tables (duplicates removed). */
export function sightingsOf(t: DeviceTables): Sighting[] {
  const out = new Map<string, Sighting>();
  const put = (s: Sighting) => out.set([s.source, s.ip, s.mac, s.interface, s.port, s.vlan, s.state].join('\u0000'), s);
  for (const e of t.arp) put({ source: 'arp', device: t.device, ip: e.ip, mac: e.mac, interface: e.interface, port: e.port ?? '', vlan: e.vlan, state: e.state, system: false });
  for (const e of t.mac) put({ source: 'mac', device: t.device, ip: '', mac: e.mac, interface: '', port: e.ports.join(','), vlan: e.vlan, state: e.type, system: e.system });
  return [...out.values()];
}
