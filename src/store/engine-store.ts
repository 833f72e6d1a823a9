/**
 * The engine's SQLite tables: the processed-file ledger, windows, anomalies, tracking and false-positive verdicts.
 * `commitWindow` writes a whole file's result in ONE transaction (window, anomalies, tracking, ledger, and what its
 * hooks write — the window's alerts), so a crash mid-file leaves nothing behind and re-processing replaces rather
 * than adds.
 */
import type { Db } from './db.js';
import { advance, trackingOf, type TrackState } from '../engine/tracking.js';
import type { Anomaly, AnomalyType, PartialRead, WindowResult } from '../engine/types.js';
import { canonicalIp, parsePrefix, prefixContains } from '../util/ip.js';

/**
 * A file's state in the ledger: `started` (being read, or the engine died reading it), `done`, `failed` (its own
 * fault), `deferred` (the reader's or the configuration's fault: tried again), `quarantined` (it killed the engine
 * engine.maxAttempts times).
 */
export type FileStatus = 'started' | 'done' | 'failed' | 'deferred' | 'quarantined';

/** One ledger row. */
export interface LedgerEntry {
  path: string;
  status: FileStatus;
  error: string | null;
  /** Starts that never ended (the engine died with the file open). */
  attempts: number;
  /** Deferrals in a row (the back-off doubles with each). */
  deferrals: number;
  /** Epoch ms a deferred file is due again. */
  nextAttemptAt: number | null;
  size: number | null;
  mtimeMs: number | null;
  /** Epoch ms of the last change. */
  at: number;
}

/** What a commit hook sees: the store's connection inside the open transaction, and the window as committed. */
export interface WindowCommit {
  db: Db;
  file: string;
  windowId: number;
  /** The window with its anomalies as stored (tracking attached). */
  result: WindowResult;
  now: number;
}

/**
 * Runs inside `commitWindow`'s transaction after the window, its anomalies, tracking and the ledger row are written.
 * It must be synchronous; a throw rolls the whole file back (it stays pending and is tried again).
 */
export type WindowCommitHook = (c: WindowCommit) => void;

/** Options of `commitWindow`. */
export interface CommitOptions {
  hooks?: WindowCommitHook[];
  beforeCommit?: () => void;
}

/** A stored window (summary, without anomalies). */
export interface WindowRow {
  id: number;
  file: string;
  timeSlot: number;
  start: number;
  end: number;
  flows: number;
  packets: number;
  bytes: number;
  distinctIps: number;
  anomalyCount: number;
  createdAt: number;
  /** Set when the window holds only the intact blocks of a damaged file. */
  partial?: PartialRead;
  /** What the analysis left out to stay within its memory budget, when it did. */
  degraded?: WindowResult['degraded'];
}

/** A false-positive verdict. */
export interface Verdict {
  ip: string;
  type: string;
  reason: string;
  who: string;
  at: number;
}

/** One entry of an IP's history. */
export interface HistoryRow {
  timeSlot: number;
  file: string;
  anomaly: Anomaly;
}

interface WindowDbRow {
  id: number; file: string; time_slot: number; start: number; end: number; flows: number; packets: number; bytes: number;
  distinct_ips: number; anomaly_count: number; created_at: number; extra?: string | null;
  partial_reason?: string | null; blocks_read?: number | null; blocks_expected?: number | null;
}

/**
 * The window's fields beyond the summary columns, as JSON (null when there are none): degraded and exporters. A
 * partial read has its own columns (engine-004), so windows can be listed by it.
 */
const extraOf = (r: WindowResult): string | null => {
  const extra = { ...(r.degraded ? { degraded: r.degraded } : {}), ...(r.exporters ? { exporters: r.exporters } : {}) };
  return Object.keys(extra).length > 0 ? JSON.stringify(extra) : null;
};

/** The partial-read columns of a window row (engine-004), or nothing. */
const partialOf = (r: WindowDbRow): { partial?: PartialRead } =>
  r.partial_reason ? { partial: { reason: r.partial_reason, blocksRead: r.blocks_read ?? 0, blocksExpected: r.blocks_expected ?? 0 } } : {};

const toWindow = (r: WindowDbRow): WindowRow => ({
  id: r.id, file: r.file, timeSlot: r.time_slot, start: r.start, end: r.end, flows: r.flows, packets: r.packets, bytes: r.bytes,
  distinctIps: r.distinct_ips, anomalyCount: r.anomaly_count, createdAt: r.created_at,
  ...(r.extra && r.extra.includes('"degraded"') ? { degraded: (JSON.parse(r.extra) as Pick<WindowResult, 'degraded'>).degraded } : {}),
  ...partialOf(r),
});

/** Typed access to the engine tables. */
export class EngineStore {
  constructor(readonly db: Db) {}

  /** Status of a file in the ledger, or undefined when never seen. */
  fileStatus(path: string): FileStatus | undefined {
    const r = this.db.prepare('SELECT status FROM processed_files WHERE path = ?').get(path) as { status: FileStatus } | undefined;
    return r?.status;
  }

  /** A file's ledger entry, or undefined when never seen. */
  fileEntry(path: string): LedgerEntry | undefined {
    const r = this.db.prepare(`SELECT path, status, error, attempts, deferrals, next_attempt_at AS nextAttemptAt, file_size AS size, file_mtime AS mtimeMs, processed_at AS at
                               FROM processed_files WHERE path = ?`).get(path) as LedgerEntry | undefined;
    return r;
  }

  /** Every path in the ledger, whatever its status. */
  knownFiles(): Set<string> {
    return new Set((this.db.prepare('SELECT path FROM processed_files').all() as { path: string }[]).map((r) => r.path));
  }

  /**
   * Paths that are settled: done, failed (the file's fault) or quarantined; deferred and started ones are not. With
   * `maxAttempts`, a file quarantined after fewer attempts than that (the limit was raised since) is not settled.
   */
  settledFiles(maxAttempts = 0): Set<string> {
    const rows = this.db.prepare("SELECT path FROM processed_files WHERE status IN ('done', 'failed') OR (status = 'quarantined' AND attempts >= ?)").all(maxAttempts) as { path: string }[];
    return new Set(rows.map((r) => r.path));
  }

  /**
   * Written before a file is read: status `started` and one more attempt. An attempt that ends (done, failed,
   * deferred) resets the count, so `attempts` is how many times the engine died with this file open. Returns it.
   */
  beginAttempt(path: string, now: number): number {
    const r = this.db
      .prepare(`INSERT INTO processed_files (path, status, processed_at, attempts) VALUES (?, 'started', ?, 1)
                ON CONFLICT (path) DO UPDATE SET status = 'started', processed_at = excluded.processed_at, attempts = attempts + 1
                RETURNING attempts`)
      .get(path, now) as { attempts: number };
    return r.attempts;
  }

  /** Record a file that cannot be read through its own fault; `stamp` (size, mtime ms) lets a later change of the file retry it. */
  recordFailure(path: string, error: string, now: number, stamp?: { size: number; mtimeMs: number }): void {
    this.settle(path, 'failed', error, now, stamp);
  }

  /** Quarantine a file that killed the engine `attempts` times (kept; a change of the file, or a higher maxAttempts, retries it). */
  quarantine(path: string, reason: string, now: number, stamp?: { size: number; mtimeMs: number }): void {
    this.db
      .prepare(`UPDATE processed_files SET status = 'quarantined', error = ?, processed_at = ?, file_size = ?, file_mtime = ? WHERE path = ?`)
      .run(reason, now, stamp?.size ?? null, stamp === undefined ? null : Math.trunc(stamp.mtimeMs), path);
  }

  /** Defer a file that could not be read for a reason not its own; it is tried again at `retryAt` (epoch ms). Returns the deferrals so far. */
  recordDeferral(path: string, reason: string, now: number, retryAt: (deferrals: number) => number): number {
    return this.db.transaction(() => {
      const prev = (this.db.prepare('SELECT deferrals FROM processed_files WHERE path = ?').get(path) as { deferrals: number } | undefined)?.deferrals ?? 0;
      const n = prev + 1;
      this.db
        .prepare(`INSERT INTO processed_files (path, status, error, processed_at, attempts, deferrals, next_attempt_at) VALUES (?, 'deferred', ?, ?, 0, ?, ?)
                  ON CONFLICT (path) DO UPDATE SET status = 'deferred', error = excluded.error, processed_at = excluded.processed_at, attempts = 0,
                    deferrals = excluded.deferrals, next_attempt_at = excluded.next_attempt_at`)
        .run(path, reason, now, n, retryAt(n));
      return n;
    })();
  }

  private settle(path: string, status: 'failed', error: string, now: number, stamp?: { size: number; mtimeMs: number }): void {
    this.db
      .prepare(`INSERT INTO processed_files (path, status, error, processed_at, file_size, file_mtime) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (path) DO UPDATE SET status = excluded.status, error = excluded.error, processed_at = excluded.processed_at,
                  file_size = excluded.file_size, file_mtime = excluded.file_mtime, attempts = 0, deferrals = 0, next_attempt_at = NULL`)
      .run(path, status, error, now, stamp?.size ?? null, stamp === undefined ? null : Math.trunc(stamp.mtimeMs));
  }

  /** Failed and quarantined files with the size and mtime they had then (null when not recorded): a change retries them. */
  failedStamps(): { path: string; size: number | null; mtimeMs: number | null }[] {
    return this.db.prepare("SELECT path, file_size AS size, file_mtime AS mtimeMs FROM processed_files WHERE status IN ('failed', 'quarantined')").all() as { path: string; size: number | null; mtimeMs: number | null }[];
  }

  /** Files that failed (their own fault), newest first. */
  failures(limit = 50): { path: string; error: string; at: number }[] {
    return (this.db.prepare("SELECT path, error, processed_at AS at FROM processed_files WHERE status = 'failed' ORDER BY processed_at DESC LIMIT ?").all(limit) as { path: string; error: string; at: number }[]);
  }

  /** Deferred and quarantined files (waiting for a fix, or for more memory), newest first. */
  heldFiles(limit = 50): LedgerEntry[] {
    return this.db
      .prepare(`SELECT path, status, error, attempts, deferrals, next_attempt_at AS nextAttemptAt, file_size AS size, file_mtime AS mtimeMs, processed_at AS at
                FROM processed_files WHERE status IN ('deferred', 'quarantined') ORDER BY processed_at DESC LIMIT ?`)
      .all(limit) as LedgerEntry[];
  }

  /** How many ledger entries have each status. */
  ledgerCounts(): Record<FileStatus, number> {
    const out: Record<FileStatus, number> = { started: 0, done: 0, failed: 0, deferred: 0, quarantined: 0 };
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM processed_files GROUP BY status').all() as { status: FileStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  /**
   * Store one file's result atomically and attach tracking to its anomalies (returned). `hooks` run inside the
   * transaction after everything else is written (the alerts area writes the window's alerts there, so a window and
   * its alerts commit together); `beforeCommit` runs last (tests use it to simulate a crash). A function in place of
   * the options is `beforeCommit`.
   */
  commitWindow(file: string, result: WindowResult, now: number, opts?: CommitOptions | (() => void)): WindowResult {
    const { hooks = [], beforeCommit } = typeof opts === 'function' ? { beforeCommit: opts } : (opts ?? {});
    const slot = result.window.timeSlot;
    const tx = this.db.transaction(() => {
      // (ip, type) already counted in this slot (by another file of the slot, or by an earlier run of this file):
      // tracking must not count them again, so re-processing replaces and never adds.
      const counted = new Set(
        (this.db.prepare('SELECT DISTINCT ip, type FROM anomalies WHERE time_slot = ?').all(slot) as { ip: string; type: string }[]).map((r) => `${r.ip}|${r.type}`),
      );
      this.db.prepare('DELETE FROM windows WHERE file = ?').run(file);
      const w = this.db
        .prepare(`INSERT INTO windows (file, time_slot, start, end, flows, packets, bytes, distinct_ips, anomaly_count, created_at, extra)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(file, slot, result.window.start, result.window.end, result.flows, result.packets, result.bytes, result.distinctIps, result.anomalies.length, now, extraOf(result));
      const windowId = Number(w.lastInsertRowid);
      if (result.partial) {
        const p = result.partial;
        this.db.prepare('UPDATE windows SET partial_reason = ?, blocks_read = ?, blocks_expected = ? WHERE id = ?').run(p.reason, p.blocksRead, p.blocksExpected, windowId);
      }
      const getT = this.db.prepare('SELECT first_slot, last_slot, windows_seen, streak FROM tracking WHERE ip = ? AND type = ?');
      const putT = this.db.prepare(`INSERT INTO tracking (ip, type, first_slot, last_slot, windows_seen, streak) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (ip, type) DO UPDATE SET first_slot = excluded.first_slot, last_slot = excluded.last_slot, windows_seen = excluded.windows_seen, streak = excluded.streak`);
      const putA = this.db.prepare(`INSERT OR REPLACE INTO anomalies (window_id, time_slot, ip, role, type, severity, score, signature, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const anomalies = result.anomalies.map((a) => {
        const row = getT.get(a.ip, a.type) as { first_slot: number; last_slot: number; windows_seen: number; streak: number } | undefined;
        const prev: TrackState | undefined = row ? { firstSlot: row.first_slot, lastSlot: row.last_slot, windowsSeen: row.windows_seen, streak: row.streak } : undefined;
        const next = prev && counted.has(`${a.ip}|${a.type}`) ? prev : advance(prev, slot);
        if (next !== prev) putT.run(a.ip, a.type, next.firstSlot, next.lastSlot, next.windowsSeen, next.streak);
        const withTracking: Anomaly = { ...a, tracking: trackingOf(next, slot) };
        putA.run(windowId, slot, a.ip, a.role, a.type, a.severity, a.score, a.signature ?? null, JSON.stringify(withTracking));
        return withTracking;
      });
      this.db
        .prepare(`INSERT INTO processed_files (path, time_slot, status, error, flows, processed_at) VALUES (?, ?, 'done', NULL, ?, ?)
                  ON CONFLICT (path) DO UPDATE SET time_slot = excluded.time_slot, status = 'done', error = NULL, flows = excluded.flows, processed_at = excluded.processed_at,
                    attempts = 0, deferrals = 0, next_attempt_at = NULL`)
        .run(file, slot, result.flows, now);
      for (const hook of hooks) hook({ db: this.db, file, windowId, result: { ...result, anomalies, files: [file] }, now });
      beforeCommit?.();
      return anomalies;
    });
    // IMMEDIATE: take the write lock before reading tracking, so two engines on one database serialise
    // instead of failing with SQLITE_BUSY on a stale read snapshot.
    const anomalies = tx.immediate();
    return { ...result, anomalies, files: [file] };
  }

  /** Windows, newest first. */
  listWindows(limit = 100): WindowRow[] {
    return (this.db.prepare('SELECT * FROM windows ORDER BY time_slot DESC, id DESC LIMIT ?').all(limit) as WindowDbRow[]).map(toWindow);
  }

  /** A window with its anomalies, by row id. */
  getWindow(id: number): WindowResult | undefined {
    const w = this.db.prepare('SELECT * FROM windows WHERE id = ?').get(id) as WindowDbRow | undefined;
    if (!w) return undefined;
    const anomalies = (this.db.prepare('SELECT doc FROM anomalies WHERE window_id = ? ORDER BY score DESC, ip').all(id) as { doc: string }[]).map((r) => JSON.parse(r.doc) as Anomaly);
    const extra = w.extra ? (JSON.parse(w.extra) as Pick<WindowResult, 'degraded' | 'exporters'>) : {};
    return { window: { timeSlot: w.time_slot, start: w.start, end: w.end }, flows: w.flows, packets: w.packets, bytes: w.bytes, distinctIps: w.distinct_ips, anomalies, files: [w.file], ...extra, ...partialOf(w) };
  }

  /** The newest window (by TimeSlot, then insertion). */
  latestWindow(): WindowResult | undefined {
    const r = this.db.prepare('SELECT id FROM windows ORDER BY time_slot DESC, id DESC LIMIT 1').get() as { id: number } | undefined;
    return r ? this.getWindow(r.id) : undefined;
  }

  /** The newest window at or before `slot`. */
  windowAtSlot(slot: number): WindowResult | undefined {
    const r = this.db.prepare('SELECT id FROM windows WHERE time_slot <= ? ORDER BY time_slot DESC, id DESC LIMIT 1').get(slot) as { id: number } | undefined;
    return r ? this.getWindow(r.id) : undefined;
  }

  /** `offset` windows back from the newest (0 = newest, -3 = three before). */
  windowByOffset(offset: number): WindowResult | undefined {
    const back = Math.abs(Math.trunc(offset));
    const r = this.db.prepare('SELECT id FROM windows ORDER BY time_slot DESC, id DESC LIMIT 1 OFFSET ?').get(back) as { id: number } | undefined;
    return r ? this.getWindow(r.id) : undefined;
  }

  /** Anomaly history of an IP or every IP in a prefix, newest first. */
  history(target: string, limit = 500): HistoryRow[] {
    const p = parsePrefix(target, { loose: true });
    const full = (p.family === 4 && p.length === 32) || (p.family === 6 && p.length === 128);
    const rows = full
      ? (this.db.prepare('SELECT a.time_slot, w.file, a.doc FROM anomalies a JOIN windows w ON w.id = a.window_id WHERE a.ip = ? ORDER BY a.time_slot DESC, a.id DESC LIMIT ?').all(p.address, limit) as { time_slot: number; file: string; doc: string }[])
      : this.prefixRows(p, limit);
    return rows.map((r) => ({ timeSlot: r.time_slot, file: r.file, anomaly: JSON.parse(r.doc) as Anomaly }));
  }

  // A prefix: match on the distinct IPs first (small), then read only the matching rows' documents.
  private prefixRows(p: ReturnType<typeof parsePrefix>, limit: number): { time_slot: number; file: string; doc: string }[] {
    const ips = (this.db.prepare('SELECT DISTINCT ip FROM anomalies').all() as { ip: string }[]).map((r) => r.ip).filter((ip) => prefixContains(p, ip));
    const out: { time_slot: number; file: string; doc: string }[] = [];
    for (let i = 0; i < ips.length; i += 500) {
      const chunk = ips.slice(i, i + 500);
      const q = `SELECT a.time_slot, w.file, a.doc, a.id FROM anomalies a JOIN windows w ON w.id = a.window_id WHERE a.ip IN (${chunk.map(() => '?').join(',')}) ORDER BY a.time_slot DESC, a.id DESC LIMIT ?`;
      out.push(...(this.db.prepare(q).all(...chunk, limit) as { time_slot: number; file: string; doc: string; id: number }[]));
    }
    return (out as { time_slot: number; file: string; doc: string; id: number }[]).sort((a, b) => b.time_slot - a.time_slot || b.id - a.id).slice(0, limit);
  }

  /** Per-slot presence of (ip, type) over the last `n` slots up to `slot` (1 = abnormal), for sparklines. */
  presence(ip: string, type: AnomalyType, slot: number, n = 12): number[] {
    const rows = this.db.prepare('SELECT DISTINCT time_slot FROM anomalies WHERE ip = ? AND type = ? AND time_slot > ? AND time_slot <= ?').all(ip, type, slot - n, slot) as { time_slot: number }[];
    const set = new Set(rows.map((r) => r.time_slot));
    return Array.from({ length: n }, (_, k) => (set.has(slot - n + 1 + k) ? 1 : 0));
  }

  /** Mark (ip, type) as a false positive. */
  setVerdict(v: Verdict): void {
    const ip = canonicalIp(v.ip);
    if (!ip) throw new Error(`not an IP address: ${JSON.stringify(v.ip)}`);
    v = { ...v, ip };
    this.db
      .prepare(`INSERT INTO verdicts (ip, type, verdict, reason, who, at) VALUES (?, ?, 'false-positive', ?, ?, ?)
                ON CONFLICT (ip, type) DO UPDATE SET reason = excluded.reason, who = excluded.who, at = excluded.at`)
      .run(v.ip, v.type, v.reason, v.who, v.at);
  }

  /** Remove a verdict. */
  clearVerdict(ip: string, type: string): void {
    this.db.prepare('DELETE FROM verdicts WHERE ip = ? AND type = ?').run(ip, type);
  }

  /** Every verdict. */
  verdicts(): Verdict[] {
    return this.db.prepare('SELECT ip, type, reason, who, at FROM verdicts ORDER BY at DESC').all() as Verdict[];
  }

  /**
   * Retention: delete windows older than `minSlot` (anomalies follow by cascade) and tracking last seen before it;
   * returns the windows removed. The processed-file ledger is kept, so pruned files are never processed again.
   */
  prune(minSlot: number): number {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM tracking WHERE last_slot < ?').run(minSlot);
      return this.db.prepare('DELETE FROM windows WHERE time_slot < ?').run(minSlot).changes;
    })();
  }

  /** Verdicts as a set of `ip|type` keys, for hiding false positives in lists. */
  falsePositiveKeys(): Set<string> {
    return new Set((this.db.prepare('SELECT ip, type FROM verdicts').all() as { ip: string; type: string }[]).map((r) => `${r.ip}|${r.type}`));
  }
}
