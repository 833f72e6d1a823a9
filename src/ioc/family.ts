/**
 * Beyond the seeds (their closing idea), pure: a family of remotes that checked in with one IoC every day and
 * stops on the same day is followed. The day after it stopped, the day's pass watches the members; a peer that
 * enough members now reach with the same shape as their old check-ins (same port, or the same packets/octets) is
 * proposed as a candidate IoC — perhaps the relay they moved to — with its evidence.
 */
import type { IocThresholds } from './classify.js';
import type { WatchedPeer } from './match.js';
import type { Contact } from './remotes.js';

/** A family that went silent with its IoC. */
export interface Family {
  formerIoc: string;
  stoppedDay: string;
  /** The day its members are looked up. */
  lookupDay: string;
  members: string[];
  /** The IoC port and the packets/octets the members checked in with. */
  port: number;
  pattern: string;
}

/** A proposed IoC with its evidence. */
export interface Candidate {
  day: string;
  ip: string;
  formerIoc: string;
  /** Members that reached it with the old shape, of `familySize`. */
  members: number;
  familySize: number;
  flows: number;
  port: number;
  samePort: boolean;
  sameShape: boolean;
  /** Already on the day's list. */
  listed: boolean;
  evidence: string;
}

/** YYYY-MM-DD plus `n` days (calendar arithmetic, no clock). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${String(t.getUTCMonth() + 1).padStart(2, '0')}-${String(t.getUTCDate()).padStart(2, '0')}`;
}

const inc = <K>(m: Map<K, number>, k: K, by = 1) => m.set(k, (m.get(k) ?? 0) + by);

/**
 * Families that stopped on `day`: remotes that checked in with an IoC on each of the `familyDays` days before it,
 * at least `familyMin` of them, none of which touched it on `day` while it was still listed. `contacts` holds the
 * contacts of those days and of `day`; `listedToday` the day's IoCs. Pure.
 */
export function stoppedFamilies(day: string, contacts: readonly Contact[], listedToday: ReadonlySet<string>, t: IocThresholds): Family[] {
  const prior = Array.from({ length: t.familyDays }, (_, k) => addDays(day, -(k + 1)));
  const priorSet = new Set(prior);
  const checkIns = new Map<string, Map<string, Set<string>>>(); // ioc → remote → days
  const today = new Map<string, Set<string>>(); // ioc → remotes touching it today
  const ports = new Map<string, Map<number, number>>();
  const shapes = new Map<string, Map<string, number>>();
  for (const c of contacts) {
    if (c.day === day) {
      let s = today.get(c.ioc);
      if (!s) today.set(c.ioc, (s = new Set()));
      s.add(c.remote);
      continue;
    }
    if (!priorSet.has(c.day) || c.checkInFlows === 0) continue;
    let m = checkIns.get(c.ioc);
    if (!m) checkIns.set(c.ioc, (m = new Map()));
    let ds = m.get(c.remote);
    if (!ds) m.set(c.remote, (ds = new Set()));
    ds.add(c.day);
    let p = ports.get(c.ioc);
    if (!p) ports.set(c.ioc, (p = new Map()));
    inc(p, c.iocPort);
    let sh = shapes.get(c.ioc);
    if (!sh) shapes.set(c.ioc, (sh = new Map()));
    if (c.pattern) inc(sh, c.pattern);
  }
  const out: Family[] = [];
  for (const [ioc, m] of checkIns) {
    if (!listedToday.has(ioc)) continue; // no longer matched: silence cannot be told from absence
    const members = [...m.entries()].filter(([, ds]) => ds.size === prior.length).map(([r]) => r).sort();
    if (members.length < t.familyMin) continue;
    const seenToday = today.get(ioc);
    if (seenToday && members.some((r) => seenToday.has(r))) continue;
    out.push({ formerIoc: ioc, stoppedDay: day, lookupDay: addDays(day, 1), members, port: best(ports.get(ioc)) ?? 0, pattern: best(shapes.get(ioc)) ?? '' });
  }
  return out.sort((a, b) => (a.formerIoc < b.formerIoc ? -1 : 1));
}

function best<K>(m: Map<K, number> | undefined): K | undefined {
  let b: [K, number] | undefined;
  for (const e of m ?? []) if (!b || e[1] > b[1]) b = e;
  return b?.[0];
}

/**
 * The candidates of one family on its lookup day, from the watched members' peers: a peer reached by at least
 * max(2, ⌈familyShare × members⌉) members with the family's port or its packets/octets shape. Pure.
 */
export function familyCandidates(day: string, f: Family, peers: ReadonlyMap<string, readonly WatchedPeer[]>, listed: ReadonlySet<string>, t: IocThresholds): Candidate[] {
  const memberSet = new Set(f.members);
  const acc = new Map<string, { members: number; flows: number; samePort: number; sameShape: number; ports: Map<number, number> }>();
  for (const m of f.members) {
    for (const p of peers.get(m) ?? []) {
      if (p.peer === f.formerIoc || memberSet.has(p.peer)) continue;
      const samePort = p.ports.has(f.port);
      const sameShape = f.pattern !== '' && p.shapes.has(f.pattern);
      if (!samePort && !sameShape) continue;
      let a = acc.get(p.peer);
      if (!a) acc.set(p.peer, (a = { members: 0, flows: 0, samePort: 0, sameShape: 0, ports: new Map() }));
      a.members++;
      a.flows += p.flows;
      if (samePort) a.samePort++;
      if (sameShape) a.sameShape++;
      for (const [port, n] of p.ports) inc(a.ports, port, n);
    }
  }
  const need = Math.max(2, Math.ceil(t.familyShare * f.members.length));
  const out: Candidate[] = [];
  for (const [ip, a] of acc) {
    if (a.members < need) continue;
    const port = best(a.ports) ?? 0;
    out.push({
      day, ip, formerIoc: f.formerIoc, members: a.members, familySize: f.members.length, flows: a.flows, port,
      samePort: a.samePort === a.members, sameShape: a.sameShape === a.members, listed: listed.has(ip),
      evidence: `${a.members} of ${f.members.length} members that checked in with ${f.formerIoc} (port ${f.port}, ${f.pattern || '?'}) until ${f.stoppedDay} reached it on ${day}: ${a.flows} flows, port ${port}${a.sameShape === a.members ? ', same packets/octets' : ''}`,
    });
  }
  return out.sort((a, b) => b.members - a.members || b.flows - a.flows || (a.ip < b.ip ? -1 : 1));
}
