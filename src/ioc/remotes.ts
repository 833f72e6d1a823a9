/**
 * Stage 4 (pure): the remotes. For every IoC not dropped in stage 3 (`check-in`, `analysed`), each remote address
 * gets a daily record — the IoCs it touched, its port / packet / octet / protocol features — and, over the lookback
 * (the seeds: a month), an analysis: the seeds' three-level aggregation (IoC → IoC port / remote port → packets,
 * octets) with the number of distinct patterns (fewer = more mechanical), and the direction by port (clients use
 * ports ≥ 32768, servers do not): the IoC server-like with a converging port → the remote checks in with a relay
 * (`relay-check-in`); the remote server-like with a converging port → it is the target of an APT (`apt-target`).
 * The day's points go into one verdict per address, updated in place (a re-run of a day replaces its points).
 */
import type { IocThresholds } from './classify.js';
import type { IocRecord } from './records.js';

/** A remote's categories. */
export type RemoteCategory = 'relay-check-in' | 'apt-target' | 'check-in' | 'mechanical' | 'several-iocs';

/** Points a category adds on each day it holds (rules are data); every day seen adds `SEEN_POINTS`. */
export const CATEGORY_POINTS: Record<RemoteCategory, number> = {
  'relay-check-in': 5,
  'apt-target': 5,
  'check-in': 2,
  mechanical: 1,
  'several-iocs': 1,
};
export const SEEN_POINTS = 1;

/** Ports at or above this are clients' (ephemeral). */
export const CLIENT_PORT_MIN = 32768;

/** One remote's contact with one IoC on one day. */
export interface Contact {
  day: string;
  remote: string;
  ioc: string;
  flows: number;
  packets: number;
  octets: number;
  /** Flows the remote sent to the IoC's server-side port (< 32768): check-ins. */
  checkInFlows: number;
  /** The IoC's dominant port with this remote. */
  iocPort: number;
  /** The dominant "packets/octets" of the check-in flows (else of all flows). */
  pattern: string;
}

/** A remote's daily record (the seeds' RemoteIP summary document). */
export interface RemoteDay {
  day: string;
  ip: string;
  iocs: string[];
  flows: number;
  packets: number;
  octets: number;
  features: {
    protocols: Record<string, number>;
    iocPorts: [number, number][];
    remotePorts: [number, number][];
    packets: [number, number][];
    octets: [number, number][];
    send: number;
    rcv: number;
    /** IoCs of class `check-in` it sent to. */
    checkInIocs: string[];
  };
  contacts: Contact[];
}

const top = (m: Map<number, number>, n = 5): [number, number][] => [...m.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, n);
const inc = <K>(m: Map<K, number>, k: K, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
const dominant = <K>(m: Map<K, number>): [K, number] | undefined => {
  let best: [K, number] | undefined;
  for (const e of m) if (!best || e[1] > best[1]) best = e;
  return best;
};

/** The day's records grouped per remote (only records of IoCs whose class is analysed). Pure. */
export function remoteDays(day: string, records: readonly IocRecord[]): RemoteDay[] {
  const by = new Map<string, IocRecord[]>();
  for (const r of records) {
    let l = by.get(r.remote);
    if (!l) by.set(r.remote, (l = []));
    l.push(r);
  }
  const out: RemoteDay[] = [];
  for (const [ip, rs] of by) {
    const protocols: Record<string, number> = {};
    const iocPorts = new Map<number, number>(), remotePorts = new Map<number, number>(), pk = new Map<number, number>(), oc = new Map<number, number>();
    const perIoc = new Map<string, IocRecord[]>();
    const checkInIocs = new Set<string>();
    let packets = 0, octets = 0, send = 0;
    for (const r of rs) {
      protocols[r.protocol] = (protocols[r.protocol] ?? 0) + 1;
      inc(iocPorts, r.iocPort);
      inc(remotePorts, r.remotePort);
      inc(pk, r.packets);
      inc(oc, r.octets);
      packets += r.packets;
      octets += r.octets;
      if (r.direction === 'send') send++;
      else if (r.iocClass === 'check-in') checkInIocs.add(r.ioc);
      let l = perIoc.get(r.ioc);
      if (!l) perIoc.set(r.ioc, (l = []));
      l.push(r);
    }
    const contacts = [...perIoc.entries()].map(([ioc, l]) => contactOf(day, ip, ioc, l));
    out.push({
      day, ip, iocs: [...perIoc.keys()].sort(), flows: rs.length, packets, octets,
      features: { protocols, iocPorts: top(iocPorts), remotePorts: top(remotePorts), packets: top(pk), octets: top(oc), send, rcv: rs.length - send, checkInIocs: [...checkInIocs].sort() },
      contacts,
    });
  }
  return out.sort((a, b) => (a.ip < b.ip ? -1 : 1));
}

function contactOf(day: string, remote: string, ioc: string, rs: readonly IocRecord[]): Contact {
  const ports = new Map<number, number>();
  const shapes = new Map<string, number>();
  const allShapes = new Map<string, number>();
  let packets = 0, octets = 0, checkIn = 0;
  for (const r of rs) {
    packets += r.packets;
    octets += r.octets;
    inc(ports, r.iocPort);
    inc(allShapes, `${r.packets}/${r.octets}`);
    if (r.direction === 'rcv' && r.iocPort < CLIENT_PORT_MIN) {
      checkIn++;
      inc(shapes, `${r.packets}/${r.octets}`);
    }
  }
  return {
    day, remote, ioc, flows: rs.length, packets, octets, checkInFlows: checkIn,
    iocPort: dominant(ports)?.[0] ?? 0,
    pattern: (dominant(shapes) ?? dominant(allShapes))?.[0] ?? '',
  };
}

/** The seeds' level 2 key: a port ≥ 32768 is "a client's" whatever its number. */
export function portClass(p: number): string {
  return p >= CLIENT_PORT_MIN ? 'client' : String(p);
}

/** One IoC in a remote's analysis. */
export interface PairAnalysis {
  ioc: string;
  flows: number;
  days: number;
  /** Which side looks like the server, by port. */
  serverSide: 'ioc' | 'remote' | 'unclear';
  /** The server side's dominant port and its share of the pair's flows. */
  port: number;
  portShare: number;
  /** Level 2 → level 3 of the seeds' aggregation: "iocPort/remotePort" (clients as `client`) → "packets/octets" → flows. */
  ports: { ports: string; flows: number; shapes: { shape: string; flows: number }[] }[];
  category?: 'relay-check-in' | 'apt-target';
}

/** A remote over the lookback. */
export interface RemoteAnalysis {
  ip: string;
  flows: number;
  /** Days it appears in the lookback. */
  days: number;
  /** Distinct (IoC, port pair, packets/octets) patterns. */
  patterns: number;
  pairs: PairAnalysis[];
  categories: RemoteCategory[];
}

/** Analyse one remote over its records of the lookback (any order). Pure. */
export function analyseRemote(ip: string, records: readonly IocRecord[], t: IocThresholds): RemoteAnalysis {
  const byIoc = new Map<string, IocRecord[]>();
  const days = new Set<string>();
  for (const r of records) {
    days.add(r.day);
    let l = byIoc.get(r.ioc);
    if (!l) byIoc.set(r.ioc, (l = []));
    l.push(r);
  }
  let patterns = 0;
  const pairs: PairAnalysis[] = [];
  for (const [ioc, rs] of [...byIoc.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const level2 = new Map<string, Map<string, number>>();
    const iocServer = new Map<number, number>(), remoteServer = new Map<number, number>();
    let iocServerFlows = 0, remoteServerFlows = 0;
    const pairDays = new Set<string>();
    for (const r of rs) {
      pairDays.add(r.day);
      const k = `${portClass(r.iocPort)}/${portClass(r.remotePort)}`;
      let l3 = level2.get(k);
      if (!l3) level2.set(k, (l3 = new Map()));
      inc(l3, `${r.packets}/${r.octets}`);
      if (r.iocPort < CLIENT_PORT_MIN && r.remotePort >= CLIENT_PORT_MIN) {
        iocServerFlows++;
        inc(iocServer, r.iocPort);
      } else if (r.remotePort < CLIENT_PORT_MIN && r.iocPort >= CLIENT_PORT_MIN) {
        remoteServerFlows++;
        inc(remoteServer, r.remotePort);
      }
    }
    const ports = [...level2.entries()]
      .map(([p, l3]) => ({ ports: p, flows: [...l3.values()].reduce((a, b) => a + b, 0), shapes: [...l3.entries()].map(([shape, flows]) => ({ shape, flows })).sort((a, b) => b.flows - a.flows) }))
      .sort((a, b) => b.flows - a.flows);
    patterns += ports.reduce((s, p) => s + p.shapes.length, 0);
    const n = rs.length;
    let serverSide: PairAnalysis['serverSide'] = 'unclear';
    let port = 0, portShare = 0;
    if (n > 0 && iocServerFlows / n >= t.serverShare) {
      serverSide = 'ioc';
      [port, portShare] = share(dominant(iocServer), n);
    } else if (n > 0 && remoteServerFlows / n >= t.serverShare) {
      serverSide = 'remote';
      [port, portShare] = share(dominant(remoteServer), n);
    }
    const pair: PairAnalysis = { ioc, flows: n, days: pairDays.size, serverSide, port, portShare, ports };
    if (n >= t.minPairFlows && portShare >= t.convergeShare) pair.category = serverSide === 'ioc' ? 'relay-check-in' : serverSide === 'remote' ? 'apt-target' : undefined;
    if (!pair.category) delete pair.category;
    pairs.push(pair);
  }
  const cats = new Set<RemoteCategory>();
  for (const p of pairs) if (p.category) cats.add(p.category);
  if (records.length >= t.minPairFlows && patterns <= t.mechanicalPatterns) cats.add('mechanical');
  return { ip, flows: records.length, days: days.size, patterns, pairs, categories: [...cats].sort() };
}

function share(d: [number, number] | undefined, n: number): [number, number] {
  return d ? [d[0], d[1] / n] : [0, 0];
}

/** The day's categories of a remote: its analysis over the lookback plus what the day itself shows. */
export function dayCategories(day: RemoteDay, analysis: RemoteAnalysis): RemoteCategory[] {
  const c = new Set<RemoteCategory>(analysis.categories);
  if (day.features.checkInIocs.length > 0) c.add('check-in');
  if (day.iocs.length >= 2) c.add('several-iocs');
  return [...c].sort();
}

/** The points of a day with these categories. */
export function dayPoints(categories: readonly RemoteCategory[]): number {
  return SEEN_POINTS + categories.reduce((s, c) => s + CATEGORY_POINTS[c], 0);
}

/** The verdict of one address: one row, updated every day it is scored. */
export interface RemoteVerdict {
  ip: string;
  score: number;
  /** Category → days it held. */
  categories: Record<string, number>;
  daysSeen: number;
  firstDay: string;
  lastDay: string;
  iocs: string[];
  patterns: number;
  analysis: RemoteAnalysis;
  updatedAt: number;
}

/** What a day contributes (and, when the day is scored again, what it contributed before). */
export interface DayScore {
  day: string;
  points: number;
  categories: RemoteCategory[];
  iocs: string[];
}

/**
 * The verdict after scoring `today`: `before` is the row as stored, `replaced` the same day's earlier score when
 * the day is scored again (its points and categories are taken back first, so a re-run never adds twice). Pure.
 */
export function updateVerdict(before: RemoteVerdict | undefined, today: DayScore, replaced: DayScore | undefined, analysis: RemoteAnalysis, now: number): RemoteVerdict {
  const v: RemoteVerdict = before
    ? { ...before, categories: { ...before.categories }, iocs: [...before.iocs] }
    : { ip: analysis.ip, score: 0, categories: {}, daysSeen: 0, firstDay: today.day, lastDay: today.day, iocs: [], patterns: 0, analysis, updatedAt: now };
  if (replaced) {
    v.score -= replaced.points;
    v.daysSeen -= 1;
    for (const c of replaced.categories) if (--v.categories[c] <= 0) delete v.categories[c];
  }
  v.score += today.points;
  v.daysSeen += 1;
  for (const c of today.categories) v.categories[c] = (v.categories[c] ?? 0) + 1;
  v.iocs = [...new Set([...v.iocs, ...today.iocs])].sort();
  if (today.day < v.firstDay) v.firstDay = today.day;
  if (today.day > v.lastDay || !before) {
    v.lastDay = today.day > v.lastDay ? today.day : v.lastDay;
    v.analysis = analysis;
    v.patterns = analysis.patterns;
  }
  v.updatedAt = now;
  return v;
}

/** A remote ranked over the lookback: by the days it appears (the seeds' first computation), then by score. */
export interface RankedRemote {
  ip: string;
  days: number;
  score: number;
  categories: string[];
  iocs: string[];
  patterns: number;
}

/** Rank remotes by days seen, then score, then address. Pure. */
export function rankRemotes(rows: readonly RankedRemote[]): RankedRemote[] {
  return [...rows].sort((a, b) => b.days - a.days || b.score - a.score || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

/** The verdict with one day's earlier score taken back (the remote is absent from a re-run of that day). Pure. */
export function retractDay(before: RemoteVerdict, replaced: DayScore, now: number): RemoteVerdict {
  const v: RemoteVerdict = { ...before, categories: { ...before.categories }, score: before.score - replaced.points, daysSeen: Math.max(0, before.daysSeen - 1), updatedAt: now };
  for (const c of replaced.categories) if (--v.categories[c] <= 0) delete v.categories[c];
  return v;
}
