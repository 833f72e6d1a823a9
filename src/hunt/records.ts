/**
 * The hunt's records in SQLite (shell): the day runs, the day's signatures / attackers / members, and the master
 * tables of signatures and anomalous IPs that grow from day to day (migrations: src/store/migrations/hunt.ts).
 * `saveDay` writes a whole day in ONE transaction and recomputes the masters for what that day touches, so running a
 * day again replaces it and never adds twice.
 */
import type { CatalogueEntry } from './catalogue.js';
import type { Db } from '../store/db.js';
import type { Anomaly } from '../engine/types.js';
import { timeSlotOf } from '../engine/types.js';
import type { HuntReport } from './report.js';
import type { MemberRow } from './day-hunt.js';

/** A day's run. */
export interface HuntRun {
  day: string;
  status: 'running' | 'done' | 'failed';
  trigger: string;
  source: string;
  startedAt: number;
  finishedAt: number | null;
  files: number;
  flows: number;
  signatures: number;
  members: number;
  error: string | null;
}

/** A signature across days. */
export interface SignatureMaster {
  signature: string;
  port: number;
  packets: number;
  bytes: number;
  weak: boolean;
  strength: number;
  firstDay: string;
  lastDay: string;
  daysSeen: number;
  attackers: number;
  members: number;
}

/** An anomalous IP across days. */
export interface IpMaster {
  ip: string;
  firstSeen: number;
  lastSeen: number;
  firstDay: string;
  lastDay: string;
  days: number;
  signatures: number;
  maxDestinations: number;
}

/** One day's signature as stored. */
export interface SignatureDay extends CatalogueEntry {
  day: string;
  hunted: boolean;
  /** How many members the day's hunt found (the rows are in the member table). */
  members: number;
  flows: number;
}

interface RunDb { day: string; status: HuntRun['status']; trigger: string; source: string; started_at: number; finished_at: number | null; files: number; flows: number; signatures: number; members: number; error: string | null }
const toRun = (r: RunDb): HuntRun => ({ day: r.day, status: r.status, trigger: r.trigger, source: r.source, startedAt: r.started_at, finishedAt: r.finished_at, files: r.files, flows: r.flows, signatures: r.signatures, members: r.members, error: r.error });

/** Typed access to the hunt tables (and the engine's stored attackers, for the catalogue). */
export class HuntRecords {
  constructor(readonly db: Db) {}

  /** The run of a day, if any. */
  run(day: string): HuntRun | undefined {
    const r = this.db.prepare('SELECT * FROM hunt_runs WHERE day = ?').get(day) as RunDb | undefined;
    return r ? toRun(r) : undefined;
  }

  /** Runs, newest day first. */
  runs(limit = 60): HuntRun[] {
    return (this.db.prepare('SELECT * FROM hunt_runs ORDER BY day DESC LIMIT ?').all(limit) as RunDb[]).map(toRun);
  }

  /** Record that a day's hunt starts (replacing an earlier unfinished or failed run of it). */
  begin(day: string, trigger: string, source: string, now: number): void {
    this.db
      .prepare(`INSERT INTO hunt_runs (day, status, trigger, source, started_at) VALUES (?, 'running', ?, ?, ?)
                ON CONFLICT (day) DO UPDATE SET status = 'running', trigger = excluded.trigger, source = excluded.source, started_at = excluded.started_at,
                  finished_at = NULL, error = NULL`)
      .run(day, trigger, source, now);
  }

  /** Record a failed run (retried later), or an interrupted one (`now` null: due again at once). */
  fail(day: string, error: string, now: number | null): void {
    this.db.prepare("UPDATE hunt_runs SET status = 'failed', error = ?, finished_at = ? WHERE day = ?").run(error.slice(0, 2000), now, day);
  }

  /**
   * Store a day's report in one transaction: the day's rows replaced, the masters recomputed for every signature
   * and IP the day had before or has now, and the run marked done (with `trigger`/`source` when no run was begun).
   */
  saveDay(day: string, r: HuntReport, now: number, run: { trigger: string; startedAt?: number } = { trigger: 'cli' }): void {
    const tx = this.db.transaction(() => {
      const touchedSigs = new Set<string>((this.db.prepare('SELECT signature FROM hunt_signature_days WHERE day = ?').all(day) as { signature: string }[]).map((x) => x.signature));
      const touchedIps = new Set<string>((this.db.prepare('SELECT DISTINCT ip FROM hunt_members WHERE day = ? AND near = 0').all(day) as { ip: string }[]).map((x) => x.ip));
      for (const t of ['hunt_signature_days', 'hunt_attackers', 'hunt_members']) this.db.prepare(`DELETE FROM ${t} WHERE day = ?`).run(day);
      const putSig = this.db.prepare(`INSERT INTO hunt_signature_days (day, signature, port, packets, bytes, proto, strength, weak, hunted, attackers, members, flows,
        server_reply_flows, known_server_flows, dropped_sources, dropped_flows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const putAtt = this.db.prepare('INSERT OR IGNORE INTO hunt_attackers (signature, ip, day) VALUES (?, ?, ?)');
      const putMem = this.db.prepare(`INSERT OR REPLACE INTO hunt_members (day, signature, near, ip, destinations, flows, source_ports, files, first_seen, last_seen, bytes)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const mem = (sig: string, near: 0 | 1, m: MemberRow & { bytes?: number[] }) =>
        putMem.run(day, sig, near, m.ip, m.destinations, m.flows, m.sourcePorts, m.files, Math.round(m.firstSeen), Math.round(m.lastSeen), m.bytes ? JSON.stringify(m.bytes) : null);
      let members = 0;
      for (const s of r.signatures) {
        touchedSigs.add(s.signature);
        putSig.run(day, s.signature, s.port, s.packets, s.bytes, s.proto, s.strength, s.weak ? 1 : 0, s.hunted ? 1 : 0, JSON.stringify(s.attackers), s.members.length, s.flows,
          s.serverReplyFlows, s.knownServerFlows, s.droppedSources, s.droppedFlows);
        for (const ip of s.attackers) putAtt.run(s.signature, ip, day);
        for (const m of s.members) {
          mem(s.signature, 0, m);
          touchedIps.add(m.ip);
        }
        for (const m of s.near ?? []) mem(s.signature, 1, m);
        members += s.members.length;
      }
      this.recomputeSignatures(touchedSigs);
      this.recomputeIps(touchedIps);
      this.db
        .prepare(`INSERT INTO hunt_runs (day, status, trigger, source, started_at, finished_at, files, flows, signatures, members) VALUES (?, 'done', ?, ?, ?, ?, ?, ?, ?, ?)
                  ON CONFLICT (day) DO UPDATE SET status = 'done', source = excluded.source, finished_at = excluded.finished_at, files = excluded.files,
                    flows = excluded.flows, signatures = excluded.signatures, members = excluded.members, error = NULL`)
        .run(day, run.trigger, r.source, run.startedAt ?? now, now, r.files, r.flows, r.signatures.length, members);
    });
    tx.immediate();
  }

  private recomputeSignatures(sigs: Iterable<string>): void {
    const agg = this.db.prepare(`SELECT port, packets, bytes, weak, MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS days_seen,
        (SELECT strength FROM hunt_signature_days d2 WHERE d2.signature = d.signature ORDER BY day DESC LIMIT 1) AS strength
      FROM hunt_signature_days d WHERE signature = ? GROUP BY signature`);
    const att = this.db.prepare('SELECT COUNT(DISTINCT ip) AS n FROM hunt_attackers WHERE signature = ?');
    const mem = this.db.prepare('SELECT COUNT(DISTINCT ip) AS n FROM hunt_members WHERE signature = ? AND near = 0');
    const put = this.db.prepare(`INSERT OR REPLACE INTO hunt_signatures (signature, port, packets, bytes, weak, strength, first_day, last_day, days_seen, attackers, members)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const del = this.db.prepare('DELETE FROM hunt_signatures WHERE signature = ?');
    for (const s of sigs) {
      const a = agg.get(s) as { port: number; packets: number; bytes: number; weak: number; first_day: string; last_day: string; days_seen: number; strength: number } | undefined;
      if (!a) {
        del.run(s);
        continue;
      }
      put.run(s, a.port, a.packets, a.bytes, a.weak, a.strength, a.first_day, a.last_day, a.days_seen, (att.get(s) as { n: number }).n, (mem.get(s) as { n: number }).n);
    }
  }

  private recomputeIps(ips: Iterable<string>): void {
    const agg = this.db.prepare(`SELECT MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, MIN(day) AS first_day, MAX(day) AS last_day,
        COUNT(DISTINCT day) AS days, COUNT(DISTINCT signature) AS signatures, MAX(destinations) AS max_destinations
      FROM hunt_members WHERE ip = ? AND near = 0`);
    const put = this.db.prepare(`INSERT OR REPLACE INTO hunt_ips (ip, first_seen, last_seen, first_day, last_day, days, signatures, max_destinations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const del = this.db.prepare('DELETE FROM hunt_ips WHERE ip = ?');
    for (const ip of ips) {
      const a = agg.get(ip) as { first_seen: number | null; last_seen: number; first_day: string; last_day: string; days: number; signatures: number; max_destinations: number };
      if (a.first_seen === null) {
        del.run(ip);
        continue;
      }
      put.run(ip, a.first_seen, a.last_seen, a.first_day, a.last_day, a.days, a.signatures, a.max_destinations);
    }
  }

  /** The signature master table, most days seen first. */
  signatures(limit = 500): SignatureMaster[] {
    return (this.db.prepare('SELECT * FROM hunt_signatures ORDER BY days_seen DESC, members DESC, signature LIMIT ?').all(limit) as Record<string, unknown>[]).map((r) => ({
      signature: r.signature as string, port: r.port as number, packets: r.packets as number, bytes: r.bytes as number, weak: r.weak === 1, strength: r.strength as number,
      firstDay: r.first_day as string, lastDay: r.last_day as string, daysSeen: r.days_seen as number, attackers: r.attackers as number, members: r.members as number,
    }));
  }

  /** The anomalous-IP master table (one IP, or the IPs with at least `minSignatures`), most signatures then days first. */
  ips(opts: { ip?: string; minSignatures?: number; limit?: number } = {}): IpMaster[] {
    const rows = opts.ip
      ? this.db.prepare('SELECT * FROM hunt_ips WHERE ip = ?').all(opts.ip)
      : this.db.prepare('SELECT * FROM hunt_ips WHERE signatures >= ? ORDER BY signatures DESC, days DESC, max_destinations DESC, ip LIMIT ?').all(opts.minSignatures ?? 1, opts.limit ?? 500);
    return (rows as Record<string, unknown>[]).map((r) => ({
      ip: r.ip as string, firstSeen: r.first_seen as number, lastSeen: r.last_seen as number, firstDay: r.first_day as string, lastDay: r.last_day as string,
      days: r.days as number, signatures: r.signatures as number, maxDestinations: r.max_destinations as number,
    }));
  }

  /** Members of a signature seen on at least `minDays` days: who recurs. */
  recurringMembers(signature: string, minDays = 2): { ip: string; days: string[]; maxDestinations: number }[] {
    const rows = this.db.prepare(`SELECT ip, GROUP_CONCAT(day) AS days, MAX(destinations) AS maxd, COUNT(*) AS n FROM hunt_members WHERE signature = ? AND near = 0
      GROUP BY ip HAVING n >= ? ORDER BY n DESC, maxd DESC, ip`).all(signature, minDays) as { ip: string; days: string; maxd: number }[];
    return rows.map((r) => ({ ip: r.ip, days: r.days.split(',').sort(), maxDestinations: r.maxd }));
  }

  /** The signatures an IP was a member of, with the days. */
  signaturesOf(ip: string): { signature: string; days: string[] }[] {
    const rows = this.db.prepare('SELECT signature, GROUP_CONCAT(day) AS days FROM hunt_members WHERE ip = ? AND near = 0 GROUP BY signature ORDER BY signature').all(ip) as { signature: string; days: string }[];
    return rows.map((r) => ({ signature: r.signature, days: r.days.split(',').sort() }));
  }

  /** A day's catalogue as stored, in rank order. */
  day(day: string): SignatureDay[] {
    return (this.db.prepare('SELECT * FROM hunt_signature_days WHERE day = ? ORDER BY strength DESC, signature').all(day) as Record<string, unknown>[]).map((r) => ({
      day: r.day as string, signature: r.signature as string, port: r.port as number, packets: r.packets as number, bytes: r.bytes as number, proto: r.proto as number,
      strength: r.strength as number, weak: r.weak === 1, hunted: r.hunted === 1, attackers: JSON.parse(r.attackers as string) as string[], members: r.members as number, flows: r.flows as number,
    }));
  }

  /** A day's members of one signature (exact, or near), most destinations first. */
  members(day: string, signature: string, opts: { near?: boolean; limit?: number } = {}): (MemberRow & { bytes?: number[] })[] {
    const rows = this.db.prepare('SELECT * FROM hunt_members WHERE day = ? AND signature = ? AND near = ? ORDER BY destinations DESC, flows DESC, ip LIMIT ?')
      .all(day, signature, opts.near ? 1 : 0, opts.limit ?? 100000) as Record<string, unknown>[];
    return rows.map((r) => ({
      ip: r.ip as string, destinations: r.destinations as number, flows: r.flows as number, sourcePorts: r.source_ports as number, files: r.files as number,
      firstSeen: r.first_seen as number, lastSeen: r.last_seen as number, ...(r.bytes ? { bytes: JSON.parse(r.bytes as string) as number[] } : {}),
    }));
  }

  /** The engine's stored attackers with a signature in a UTC day (the catalogue's input). */
  storedAttackers(dayMs: number): Anomaly[] {
    const from = timeSlotOf(dayMs / 1000);
    const to = timeSlotOf((dayMs + 86_400_000) / 1000);
    return (this.db.prepare("SELECT doc FROM anomalies WHERE time_slot >= ? AND time_slot < ? AND role = 'attacker' AND signature IS NOT NULL").all(from, to) as { doc: string }[]).map((r) => JSON.parse(r.doc) as Anomaly);
  }

  /** The engine's stored attackers with a signature from windows built from these files; and which files have a stored window. */
  storedAttackersOfFiles(files: string[]): { anomalies: Anomaly[]; covered: Set<string> } {
    const covered = new Set<string>();
    const anomalies: Anomaly[] = [];
    const win = this.db.prepare('SELECT id FROM windows WHERE file = ?');
    const att = this.db.prepare("SELECT doc FROM anomalies WHERE window_id = ? AND role = 'attacker' AND signature IS NOT NULL");
    for (const f of files) {
      const ids = win.all(f) as { id: number }[];
      if (ids.length === 0) continue;
      covered.add(f);
      for (const { id } of ids) for (const r of att.all(id) as { doc: string }[]) anomalies.push(JSON.parse(r.doc) as Anomaly);
    }
    return { anomalies, covered };
  }
}
