/**
 * The IoC tables in SQLite (thin shell): every day's lists, the job ledger, the day's IoCs with their class, the
 * IoC-centred records, contacts, remote days, the one-row-per-address verdicts, families and candidates. A day is
 * committed in one transaction that first removes what an earlier run of the same day wrote, so re-running a day
 * replaces it and never counts it twice.
 */
import type { Db } from '../store/db.js';
import type { IocClass } from './classify.js';
import type { Candidate, Family } from './family.js';
import type { ParsedList } from './list.js';
import type { IocRecord } from './records.js';
import type { Contact, DayScore, RemoteAnalysis, RemoteCategory, RemoteDay, RemoteVerdict } from './remotes.js';
import type { Evidence } from '../engine/types.js';

/** How one list's fetch went on a day. */
export interface ListStatus {
  day: string;
  source: string;
  fetchedAt: number;
  status: 'ok' | 'kept' | 'failed';
  fromDay: string | null;
  entries: number;
  invalid: number;
  duplicates: number;
  mapped: number;
  invalidSample: { line: number; text: string }[];
  error: string | null;
}

/** An IoC's day as stored. */
export interface IocDayRow {
  day: string;
  ioc: string;
  totalFlows: number;
  sampled: number;
  remotes: number;
  class: IocClass;
  evidence: Evidence[];
}

/** A job ledger row. */
export interface JobRow {
  day: string;
  status: 'running' | 'done' | 'failed';
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
  summary: unknown;
}

/** Everything a day's job writes. */
export interface DayCommit {
  day: string;
  iocDays: IocDayRow[];
  records: IocRecord[];
  remoteDays: (RemoteDay & { score: DayScore })[];
  verdicts: RemoteVerdict[];
  /** Addresses newly classed `relay-check-in` that are inside: their alert becomes pending. */
  newAlerts: string[];
  families: Family[];
  /** Families looked up by this day (marked done). */
  lookedUp: { formerIoc: string; stoppedDay: string }[];
  candidates: Candidate[];
}

type Row = Record<string, unknown>;

const json = (v: unknown) => JSON.stringify(v);
const parse = <T>(s: unknown, d: T): T => {
  try {
    return s == null ? d : (JSON.parse(String(s)) as T);
  } catch {
    return d;
  }
};

/** The IoC store over the engine's database (a getter: the engine opens its database after wiring). */
export class IocStore {
  private readonly getDb: () => Db;

  constructor(db: Db | (() => Db)) {
    this.getDb = typeof db === 'function' ? db : () => db;
  }

  private get db(): Db {
    return this.getDb();
  }

  // ---- lists ----

  /** Record a day's list of one source: its entries replace the day's earlier ones. */
  saveList(day: string, source: string, at: number, list: ParsedList): void {
    const db = this.db;
    db.transaction(() => {
      db.prepare('DELETE FROM ioc_list_entries WHERE day = ? AND source = ?').run(day, source);
      const ins = db.prepare('INSERT OR IGNORE INTO ioc_list_entries (day, source, ip) VALUES (?, ?, ?)');
      for (const ip of list.entries) ins.run(day, source, ip);
      db.prepare(`INSERT OR REPLACE INTO ioc_lists (day, source, fetched_at, status, from_day, entries, invalid, duplicates, mapped, invalid_sample, error)
                  VALUES (?, ?, ?, 'ok', NULL, ?, ?, ?, ?, ?, NULL)`).run(day, source, at, list.entries.length, list.invalid, list.duplicates, list.mapped, json(list.invalidSample));
    })();
  }

  /** Record a failed fetch: the newest earlier list of the source is kept for the day (status `kept`), else `failed`. */
  saveFailedFetch(day: string, source: string, at: number, error: string): ListStatus {
    const db = this.db;
    const prev = db.prepare(`SELECT day FROM ioc_lists WHERE source = ? AND day < ? AND status IN ('ok', 'kept') ORDER BY day DESC LIMIT 1`).get(source, day) as { day: string } | undefined;
    db.transaction(() => {
      const current = db.prepare(`SELECT status FROM ioc_lists WHERE day = ? AND source = ?`).get(day, source) as { status: string } | undefined;
      if (current?.status === 'ok') {
        // A list already fetched for this day stays: only the error is noted.
        db.prepare('UPDATE ioc_lists SET error = ? WHERE day = ? AND source = ?').run(error, day, source);
        return;
      }
      db.prepare('DELETE FROM ioc_list_entries WHERE day = ? AND source = ?').run(day, source);
      let n = 0;
      if (prev) {
        const from = this.prevFrom(prev.day, source);
        n = db.prepare('INSERT INTO ioc_list_entries (day, source, ip) SELECT ?, source, ip FROM ioc_list_entries WHERE day = ? AND source = ?').run(day, prev.day, source).changes;
        db.prepare(`INSERT OR REPLACE INTO ioc_lists (day, source, fetched_at, status, from_day, entries, invalid, duplicates, mapped, invalid_sample, error)
                    VALUES (?, ?, ?, 'kept', ?, ?, 0, 0, 0, '[]', ?)`).run(day, source, at, from, n, error);
      } else {
        db.prepare(`INSERT OR REPLACE INTO ioc_lists (day, source, fetched_at, status, from_day, entries, invalid, duplicates, mapped, invalid_sample, error)
                    VALUES (?, ?, ?, 'failed', NULL, 0, 0, 0, 0, '[]', ?)`).run(day, source, at, error);
      }
    })();
    return this.listStatus(day).find((s) => s.source === source)!;
  }

  private prevFrom(day: string, source: string): string {
    const r = this.db.prepare('SELECT status, from_day FROM ioc_lists WHERE day = ? AND source = ?').get(day, source) as { status: string; from_day: string | null } | undefined;
    return r?.status === 'kept' && r.from_day ? r.from_day : day;
  }

  /** Each source's status for a day. */
  listStatus(day: string): ListStatus[] {
    return (this.db.prepare('SELECT * FROM ioc_lists WHERE day = ? ORDER BY source').all(day) as Row[]).map((r) => ({
      day: String(r.day), source: String(r.source), fetchedAt: Number(r.fetched_at), status: r.status as ListStatus['status'], fromDay: (r.from_day as string | null) ?? null,
      entries: Number(r.entries), invalid: Number(r.invalid), duplicates: Number(r.duplicates), mapped: Number(r.mapped), invalidSample: parse(r.invalid_sample, []), error: (r.error as string | null) ?? null,
    }));
  }

  /** True when the day has a list row for every named source (ok, kept or failed: the fetch was attempted). */
  listFetched(day: string, sources: readonly string[]): boolean {
    if (sources.length === 0) return false;
    const have = new Set(this.listStatus(day).map((s) => s.source));
    return sources.every((s) => have.has(s));
  }

  /** The day's IoCs: the union of its lists' entries. */
  entries(day: string): string[] {
    return (this.db.prepare('SELECT DISTINCT ip FROM ioc_list_entries WHERE day = ? ORDER BY ip').all(day) as { ip: string }[]).map((r) => r.ip);
  }

  /** The newest day before `day` that has entries. */
  previousListDay(day: string): string | undefined {
    return (this.db.prepare('SELECT MAX(day) AS d FROM ioc_list_entries WHERE day < ?').get(day) as { d: string | null }).d ?? undefined;
  }

  /** Days on which an address was listed, newest first. */
  listedDays(ip: string, limit = 400): string[] {
    return (this.db.prepare('SELECT DISTINCT day FROM ioc_list_entries WHERE ip = ? ORDER BY day DESC LIMIT ?').all(ip, limit) as { day: string }[]).map((r) => r.day);
  }

  // ---- job ledger ----

  job(day: string): JobRow | undefined {
    const r = this.db.prepare('SELECT * FROM ioc_jobs WHERE day = ?').get(day) as Row | undefined;
    return r ? { day: String(r.day), status: r.status as JobRow['status'], startedAt: Number(r.started_at), finishedAt: (r.finished_at as number | null) ?? null, error: (r.error as string | null) ?? null, summary: parse(r.summary, null) } : undefined;
  }

  jobs(limit = 30): JobRow[] {
    return (this.db.prepare('SELECT day FROM ioc_jobs ORDER BY day DESC LIMIT ?').all(limit) as { day: string }[]).map((r) => this.job(r.day)!);
  }

  markRunning(day: string, at: number): void {
    this.db.prepare(`INSERT OR REPLACE INTO ioc_jobs (day, status, started_at, finished_at, error, summary) VALUES (?, 'running', ?, NULL, NULL, NULL)`).run(day, at);
  }

  markFailed(day: string, at: number, error: string): void {
    this.db.prepare(`UPDATE ioc_jobs SET status = 'failed', finished_at = ?, error = ? WHERE day = ?`).run(at, error, day);
  }

  // ---- the day ----

  /** Write a day's results in one transaction, replacing an earlier run of the same day; the job is marked done. */
  commitDay(c: DayCommit, at: number, summary: unknown): void {
    const db = this.db;
    db.transaction(() => {
      for (const t of ['ioc_days', 'ioc_flows', 'ioc_contacts', 'ioc_remote_days', 'ioc_candidates']) db.prepare(`DELETE FROM ${t} WHERE day = ?`).run(c.day);
      db.prepare('DELETE FROM ioc_families WHERE stopped_day = ?').run(c.day);
      const insDay = db.prepare('INSERT INTO ioc_days (day, ioc, total_flows, sampled, remotes, class, evidence) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const d of c.iocDays) insDay.run(d.day, d.ioc, d.totalFlows, d.sampled, d.remotes, d.class, json(d.evidence));
      const insFlow = db.prepare(`INSERT INTO ioc_flows (day, ioc, remote, exporter, ioc_port, remote_port, direction, packets, octets, tcp_flags, protocol, ip_version, ioc_as, remote_as, ts, file, ioc_class)
                                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const r of c.records) insFlow.run(r.day, r.ioc, r.remote, r.exporter, r.iocPort, r.remotePort, r.direction, r.packets, r.octets, r.tcpFlags, r.protocol, r.ipVersion, r.iocAs, r.remoteAs, r.timeStamp, r.file, r.iocClass);
      const insContact = db.prepare('INSERT INTO ioc_contacts (day, remote, ioc, flows, packets, octets, check_in_flows, ioc_port, pattern) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const insRemote = db.prepare('INSERT INTO ioc_remote_days (day, remote, iocs, flows, packets, octets, features, points, categories) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      for (const r of c.remoteDays) {
        insRemote.run(r.day, r.ip, json(r.iocs), r.flows, r.packets, r.octets, json(r.features), r.score.points, json(r.score.categories));
        for (const k of r.contacts) insContact.run(k.day, k.remote, k.ioc, k.flows, k.packets, k.octets, k.checkInFlows, k.iocPort, k.pattern);
      }
      const upV = db.prepare(`INSERT INTO ioc_verdicts (ip, score, categories, days_seen, first_day, last_day, iocs, patterns, analysis, updated_at, relay_alert)
                              VALUES (@ip, @score, @categories, @daysSeen, @firstDay, @lastDay, @iocs, @patterns, @analysis, @updatedAt, NULL)
                              ON CONFLICT (ip) DO UPDATE SET score = excluded.score, categories = excluded.categories, days_seen = excluded.days_seen,
                                first_day = excluded.first_day, last_day = excluded.last_day, iocs = excluded.iocs, patterns = excluded.patterns,
                                analysis = excluded.analysis, updated_at = excluded.updated_at`);
      for (const v of c.verdicts) upV.run({ ...v, categories: json(v.categories), iocs: json(v.iocs), analysis: json(v.analysis) });
      const alert = db.prepare(`UPDATE ioc_verdicts SET relay_alert = 'pending' WHERE ip = ? AND relay_alert IS NULL`);
      for (const ip of c.newAlerts) alert.run(ip);
      const insFam = db.prepare(`INSERT OR REPLACE INTO ioc_families (former_ioc, stopped_day, lookup_day, members, port, pattern, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')`);
      for (const f of c.families) insFam.run(f.formerIoc, f.stoppedDay, f.lookupDay, json(f.members), f.port, f.pattern);
      const doneFam = db.prepare(`UPDATE ioc_families SET status = 'done' WHERE former_ioc = ? AND stopped_day = ?`);
      for (const f of c.lookedUp) doneFam.run(f.formerIoc, f.stoppedDay);
      const insCand = db.prepare('INSERT OR REPLACE INTO ioc_candidates (day, ip, former_ioc, members, family_size, flows, port, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const k of c.candidates) insCand.run(k.day, k.ip, k.formerIoc, k.members, k.familySize, k.flows, k.port, json(k));
      db.prepare(`INSERT OR REPLACE INTO ioc_jobs (day, status, started_at, finished_at, error, summary)
                  VALUES (?, 'done', COALESCE((SELECT started_at FROM ioc_jobs WHERE day = ?), ?), ?, NULL, ?)`).run(c.day, c.day, at, at, json(summary));
    })();
  }

  iocDays(day: string): IocDayRow[] {
    return (this.db.prepare('SELECT * FROM ioc_days WHERE day = ? ORDER BY ioc').all(day) as Row[]).map(iocDayRow);
  }

  /** An address's days as an IoC, newest first. */
  iocHistory(ip: string, limit = 60): IocDayRow[] {
    return (this.db.prepare('SELECT * FROM ioc_days WHERE ioc = ? ORDER BY day DESC LIMIT ?').all(ip, limit) as Row[]).map(iocDayRow);
  }

  /** Records of a remote in [fromDay, toDay], restricted to IoCs analysed that day. */
  remoteRecords(ip: string, fromDay: string, toDay: string): IocRecord[] {
    return (this.db.prepare(`SELECT * FROM ioc_flows WHERE remote = ? AND day BETWEEN ? AND ? AND ioc_class IN ('check-in', 'analysed')`).all(ip, fromDay, toDay) as Row[]).map(recordRow);
  }

  /** Records of one day (tests, the ES stage-2 load). */
  dayRecords(day: string): IocRecord[] {
    return (this.db.prepare('SELECT * FROM ioc_flows WHERE day = ?').all(day) as Row[]).map(recordRow);
  }

  contacts(fromDay: string, toDay: string): Contact[] {
    return (this.db.prepare('SELECT * FROM ioc_contacts WHERE day BETWEEN ? AND ?').all(fromDay, toDay) as Row[]).map(contactRow);
  }

  /** A remote's contacts, newest first. */
  contactsOf(ip: string, limit = 400): Contact[] {
    return (this.db.prepare('SELECT * FROM ioc_contacts WHERE remote = ? ORDER BY day DESC, ioc LIMIT ?').all(ip, limit) as Row[]).map(contactRow);
  }

  /** A remote's stored score of a day (what a re-run of the day takes back). */
  dayScore(day: string, ip: string): DayScore | undefined {
    const r = this.db.prepare('SELECT day, points, categories, iocs FROM ioc_remote_days WHERE day = ? AND remote = ?').get(day, ip) as Row | undefined;
    return r ? { day: String(r.day), points: Number(r.points), categories: parse<RemoteCategory[]>(r.categories, []), iocs: parse<string[]>(r.iocs, []) } : undefined;
  }

  /** Every remote's stored score of a day. */
  dayScores(day: string): (DayScore & { ip: string })[] {
    return (this.db.prepare('SELECT remote FROM ioc_remote_days WHERE day = ?').all(day) as { remote: string }[]).map((r) => ({ ...this.dayScore(day, r.remote)!, ip: r.remote }));
  }

  /** Days each remote appears in [fromDay, toDay]. */
  remoteDayCounts(fromDay: string, toDay: string): Map<string, number> {
    const rows = this.db.prepare('SELECT remote, COUNT(*) AS n FROM ioc_remote_days WHERE day BETWEEN ? AND ? GROUP BY remote').all(fromDay, toDay) as { remote: string; n: number }[];
    return new Map(rows.map((r) => [r.remote, r.n]));
  }

  verdict(ip: string): (RemoteVerdict & { relayAlert: 'pending' | 'done' | null }) | undefined {
    const r = this.db.prepare('SELECT * FROM ioc_verdicts WHERE ip = ?').get(ip) as Row | undefined;
    return r ? verdictRow(r) : undefined;
  }

  /** Verdicts by score, highest first. */
  verdicts(limit = 200): (RemoteVerdict & { relayAlert: 'pending' | 'done' | null })[] {
    return (this.db.prepare('SELECT * FROM ioc_verdicts ORDER BY score DESC, ip LIMIT ?').all(limit) as Row[]).map(verdictRow);
  }

  countVerdicts(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM ioc_verdicts').get() as { n: number }).n;
  }

  /** Inside hosts whose relay-check-in alert is pending. */
  pendingAlerts(): (RemoteVerdict & { relayAlert: 'pending' | 'done' | null })[] {
    return (this.db.prepare(`SELECT * FROM ioc_verdicts WHERE relay_alert = 'pending' ORDER BY ip`).all() as Row[]).map(verdictRow);
  }

  markAlerted(ip: string): void {
    this.db.prepare(`UPDATE ioc_verdicts SET relay_alert = 'done' WHERE ip = ?`).run(ip);
  }

  /** Families to look up on (or before, if a day was missed) `day`. */
  pendingFamilies(day: string): Family[] {
    return (this.db.prepare(`SELECT * FROM ioc_families WHERE status = 'pending' AND lookup_day <= ? ORDER BY former_ioc`).all(day) as Row[]).map((r) => ({
      formerIoc: String(r.former_ioc), stoppedDay: String(r.stopped_day), lookupDay: String(r.lookup_day), members: parse<string[]>(r.members, []), port: Number(r.port), pattern: String(r.pattern),
    }));
  }

  families(limit = 50): (Family & { status: string })[] {
    return (this.db.prepare('SELECT * FROM ioc_families ORDER BY stopped_day DESC LIMIT ?').all(limit) as Row[]).map((r) => ({
      formerIoc: String(r.former_ioc), stoppedDay: String(r.stopped_day), lookupDay: String(r.lookup_day), members: parse<string[]>(r.members, []), port: Number(r.port), pattern: String(r.pattern), status: String(r.status),
    }));
  }

  candidates(fromDay: string, toDay: string): Candidate[] {
    return (this.db.prepare('SELECT evidence FROM ioc_candidates WHERE day BETWEEN ? AND ? ORDER BY day DESC, members DESC').all(fromDay, toDay) as Row[]).map((r) => parse<Candidate>(r.evidence, {} as Candidate));
  }

  /** Forget records, contacts and remote days before `day` (lists, verdicts, candidates are kept). */
  prune(day: string): number {
    const db = this.db;
    let n = 0;
    db.transaction(() => {
      for (const t of ['ioc_flows', 'ioc_contacts', 'ioc_remote_days']) n += db.prepare(`DELETE FROM ${t} WHERE day < ?`).run(day).changes;
    })();
    return n;
  }
}

function iocDayRow(r: Row): IocDayRow {
  return { day: String(r.day), ioc: String(r.ioc), totalFlows: Number(r.total_flows), sampled: Number(r.sampled), remotes: Number(r.remotes), class: r.class as IocClass, evidence: parse(r.evidence, []) };
}

function recordRow(r: Row): IocRecord {
  return {
    day: String(r.day), ioc: String(r.ioc), remote: String(r.remote), exporter: String(r.exporter), iocPort: Number(r.ioc_port), remotePort: Number(r.remote_port),
    direction: r.direction as 'send' | 'rcv', packets: Number(r.packets), octets: Number(r.octets), tcpFlags: Number(r.tcp_flags), protocol: Number(r.protocol),
    ipVersion: Number(r.ip_version) as 4 | 6, iocAs: Number(r.ioc_as), remoteAs: Number(r.remote_as), timeStamp: Number(r.ts), file: String(r.file), iocClass: r.ioc_class as IocClass,
  };
}

function contactRow(r: Row): Contact {
  return { day: String(r.day), remote: String(r.remote), ioc: String(r.ioc), flows: Number(r.flows), packets: Number(r.packets), octets: Number(r.octets), checkInFlows: Number(r.check_in_flows), iocPort: Number(r.ioc_port), pattern: String(r.pattern) };
}

function verdictRow(r: Row): RemoteVerdict & { relayAlert: 'pending' | 'done' | null } {
  return {
    ip: String(r.ip), score: Number(r.score), categories: parse(r.categories, {}), daysSeen: Number(r.days_seen), firstDay: String(r.first_day), lastDay: String(r.last_day),
    iocs: parse(r.iocs, []), patterns: Number(r.patterns), analysis: parse<RemoteAnalysis>(r.analysis, { ip: String(r.ip), flows: 0, days: 0, patterns: 0, pairs: [], categories: [] }),
    updatedAt: Number(r.updated_at), relayAlert: (r.relay_alert as 'pending' | 'done' | null) ?? null,
  };
}
