/**
 * The alerts outbox in SQLite: the policy's live episodes, the alerts (one row per notice, id stable), and each
 * alert's deliveries per channel and target with their state, attempts, back-off and a lease. Written inside the
 * window's transaction (the commit hook) or in a transaction of its own (`insert` for raised alerts); read by the
 * delivery loop, `nocflow alerts` and the TUI.
 */
import type { Db } from '../store/db.js';
import type { AlertDoc } from './messages.js';
import type { Episode, Route, WindowDecision } from './policy.js';

/** A delivery's state: pending (to send or retry), sent, rejected (the receiver refused it for good), expired. */
export type DeliveryState = 'pending' | 'sent' | 'rejected' | 'expired';

/** One delivery as lists show it. */
export interface DeliveryView {
  channel: Route['channel'];
  target: string;
  audience: string;
  lang: string;
  state: DeliveryState;
  attempts: number;
  nextAt: number;
  lastError: string | null;
  sentAt: number | null;
  messageId: string | null;
}

/** An alert with its deliveries (`nocflow alerts`, `alerts.list`). */
export interface AlertView {
  id: string;
  episode: string;
  kind: string;
  source: string;
  ip: string;
  type: string;
  severity: string;
  unit: string | null;
  timeSlot: number;
  createdAt: number;
  deliveries: DeliveryView[];
  doc: AlertDoc;
}

/** A claimed delivery with its alert. */
export interface DueDelivery {
  alertId: string;
  channel: Route['channel'];
  target: string;
  audience: string;
  lang: 'en' | 'zh-TW';
  attempts: number;
  doc: AlertDoc;
}

/** Counters over the whole outbox. */
export interface OutboxCounters {
  alerts: number;
  openEpisodes: number;
  pending: number;
  sent: number;
  rejected: number;
  expired: number;
}

interface EpisodeRow {
  ip: string; type: string; id: string; role: string; status: 'pending' | 'open'; start_slot: number; last_slot: number; windows: number;
  notified_slot: number | null; reminders: number; unit: string | null; peak: string;
}

interface AlertRow {
  id: string; episode: string; kind: string; source: string; ip: string; type: string; severity: string; unit: string | null; time_slot: number;
  created_at: number; doc: string;
}

interface DeliveryRow {
  alert_id: string; channel: Route['channel']; target: string; audience: string; lang: string; state: DeliveryState; attempts: number; next_at: number;
  last_error: string | null; sent_at: number | null; message_id: string | null;
}

const toDelivery = (r: DeliveryRow): DeliveryView => ({
  channel: r.channel, target: r.target, audience: r.audience, lang: r.lang, state: r.state, attempts: r.attempts, nextAt: r.next_at,
  lastError: r.last_error, sentAt: r.sent_at, messageId: r.message_id,
});

/** Typed access to the alerts tables over one connection. */
export class AlertOutbox {
  constructor(readonly db: Db) {}

  /** Every live episode. */
  episodes(): Episode[] {
    return (this.db.prepare('SELECT * FROM alert_episodes').all() as EpisodeRow[]).map((r) => ({
      id: r.id, ip: r.ip, type: r.type, role: r.role as Episode['role'], status: r.status, startSlot: r.start_slot, lastSlot: r.last_slot, windows: r.windows,
      notifiedSlot: r.notified_slot, reminders: r.reminders, peak: JSON.parse(r.peak) as Episode['peak'], ...(r.unit ? { unit: r.unit } : {}),
    }));
  }

  /**
   * Write a window's decision: episodes that ended go, changed ones are written, and each notice becomes an alert
   * with its deliveries. Call inside the window's transaction. Alerts already present (same id) are left as they
   * are, so a decision written twice delivers once. Returns the ids of the alerts inserted.
   */
  applyDecision(d: WindowDecision, docs: AlertDoc[], routesOf: (doc: AlertDoc) => Route[], now: number): string[] {
    const del = this.db.prepare('DELETE FROM alert_episodes WHERE ip = ? AND type = ?');
    for (const r of d.remove) del.run(r.ip, r.type);
    const put = this.db.prepare(`INSERT INTO alert_episodes (ip, type, id, role, status, start_slot, last_slot, windows, notified_slot, reminders, unit, peak)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (ip, type) DO UPDATE SET id = excluded.id, role = excluded.role, status = excluded.status, start_slot = excluded.start_slot,
        last_slot = excluded.last_slot, windows = excluded.windows, notified_slot = excluded.notified_slot, reminders = excluded.reminders,
        unit = excluded.unit, peak = excluded.peak`);
    for (const e of d.upsert) put.run(e.ip, e.type, e.id, e.role, e.status, e.startSlot, e.lastSlot, e.windows, e.notifiedSlot, e.reminders, e.unit ?? null, JSON.stringify(e.peak));
    const inserted: string[] = [];
    for (const doc of docs) if (this.insertRows(doc, routesOf(doc), now)) inserted.push(doc.id);
    return inserted;
  }

  /** Insert one alert and its deliveries in a transaction of its own (raised alerts); false when the id exists. */
  insert(doc: AlertDoc, routes: Route[], now: number): boolean {
    return this.db.transaction(() => this.insertRows(doc, routes, now)).immediate();
  }

  private insertRows(doc: AlertDoc, routes: Route[], now: number): boolean {
    const r = this.db
      .prepare('INSERT OR IGNORE INTO alerts (id, episode, kind, source, ip, type, severity, unit, time_slot, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(doc.id, doc.episode, doc.kind, doc.source, doc.ip, doc.type, doc.severity, doc.unit ?? null, doc.timeSlot, doc.createdAt, JSON.stringify(doc));
    if (r.changes === 0) return false;
    const put = this.db.prepare(`INSERT OR IGNORE INTO alert_deliveries (alert_id, channel, target, audience, lang, state, attempts, next_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)`);
    for (const rt of routes) put.run(doc.id, rt.channel, rt.target, rt.audience, rt.lang, now);
    return true;
  }

  /**
   * Lease up to `limit` due deliveries to `owner` until `now + leaseMs`: pending, due, and not leased by a live
   * owner (a lease of a process that died — kill -9 — is taken over at once). Oldest alerts first.
   */
  claimDue(now: number, owner: string, leaseMs: number, ownerAlive: (owner: string) => boolean, limit = 100): DueDelivery[] {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT d.alert_id, d.channel, d.target, d.audience, d.lang, d.attempts, d.lease_owner, d.lease_until, a.doc
                  FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                  WHERE d.state = 'pending' AND d.next_at <= ? ORDER BY a.created_at, a.id LIMIT ?`)
        .all(now, limit * 4) as { alert_id: string; channel: Route['channel']; target: string; audience: string; lang: string; attempts: number; lease_owner: string | null; lease_until: number | null; doc: string }[];
      const take = rows.filter((r) => r.lease_owner === null || r.lease_until === null || r.lease_until <= now || (r.lease_owner !== owner && !ownerAlive(r.lease_owner))).slice(0, limit);
      const lease = this.db.prepare('UPDATE alert_deliveries SET lease_owner = ?, lease_until = ? WHERE alert_id = ? AND channel = ? AND target = ?');
      for (const r of take) lease.run(owner, now + leaseMs, r.alert_id, r.channel, r.target);
      return take.map((r) => ({ alertId: r.alert_id, channel: r.channel, target: r.target, audience: r.audience, lang: (r.lang === 'zh-TW' ? 'zh-TW' : 'en') as DueDelivery['lang'], attempts: r.attempts, doc: JSON.parse(r.doc) as AlertDoc }));
    }).immediate();
  }

  /** A delivery went out. */
  markSent(d: Pick<DueDelivery, 'alertId' | 'channel' | 'target'>, now: number, messageId: string | null): void {
    this.db
      .prepare(`UPDATE alert_deliveries SET state = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1, last_error = NULL, lease_owner = NULL, lease_until = NULL
                WHERE alert_id = ? AND channel = ? AND target = ?`)
      .run(now, messageId, d.alertId, d.channel, d.target);
  }

  /** A delivery failed: retried at `nextAt`, or for good (`rejected`). `error` must already be redacted. */
  markFailed(d: Pick<DueDelivery, 'alertId' | 'channel' | 'target'>, error: string, nextAt: number, rejected = false): void {
    this.db
      .prepare(`UPDATE alert_deliveries SET state = ?, attempts = attempts + 1, next_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
                WHERE alert_id = ? AND channel = ? AND target = ?`)
      .run(rejected ? 'rejected' : 'pending', nextAt, error.slice(0, 500), d.alertId, d.channel, d.target);
  }

  /** Give a lease back without an attempt (waiting for the hourly mail budget, a channel not configured). */
  release(d: Pick<DueDelivery, 'alertId' | 'channel' | 'target'>, nextAt: number, note?: string): void {
    this.db
      .prepare(`UPDATE alert_deliveries SET next_at = ?, lease_owner = NULL, lease_until = NULL, last_error = COALESCE(?, last_error)
                WHERE alert_id = ? AND channel = ? AND target = ?`)
      .run(nextAt, note ?? null, d.alertId, d.channel, d.target);
  }

  /** Deliveries of alerts written before `before` that are still pending become expired; returns how many. */
  expire(before: number): number {
    return this.db
      .prepare(`UPDATE alert_deliveries SET state = 'expired', lease_owner = NULL, lease_until = NULL
                WHERE state = 'pending' AND alert_id IN (SELECT id FROM alerts WHERE created_at < ?)`)
      .run(before).changes;
  }

  /** Distinct mails (a digest counts once) sent to a mail address since `since`, and the oldest of them. */
  mailsSince(target: string, since: number): { count: number; oldest: number | null } {
    const r = this.db
      .prepare(`SELECT COUNT(DISTINCT message_id) AS n, MIN(sent_at) AS oldest FROM alert_deliveries WHERE channel = 'email' AND target = ? AND state = 'sent' AND sent_at > ?`)
      .get(target, since) as { n: number; oldest: number | null };
    return { count: r.n, oldest: r.oldest };
  }

  /** The earliest time a pending delivery is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    const r = this.db.prepare(`SELECT MIN(next_at) AS t FROM alert_deliveries WHERE state = 'pending'`).get() as { t: number | null };
    return r.t ?? undefined;
  }

  /** Alerts newest first, with their deliveries. */
  list(limit = 50, opts: { since?: number } = {}): AlertView[] {
    const rows = this.db
      .prepare('SELECT * FROM alerts WHERE created_at >= ? ORDER BY created_at DESC, time_slot DESC, id DESC LIMIT ?')
      .all(opts.since ?? 0, limit) as AlertRow[];
    return rows.map((r) => this.view(r));
  }

  /** One alert with its deliveries. */
  get(id: string): AlertView | undefined {
    const r = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
    return r ? this.view(r) : undefined;
  }

  private view(r: AlertRow): AlertView {
    const deliveries = (this.db.prepare("SELECT * FROM alert_deliveries WHERE alert_id = ? ORDER BY channel, audience <> 'noc', audience, target").all(r.id) as DeliveryRow[]).map(toDelivery);
    return {
      id: r.id, episode: r.episode, kind: r.kind, source: r.source, ip: r.ip, type: r.type, severity: r.severity, unit: r.unit, timeSlot: r.time_slot,
      createdAt: r.created_at, deliveries, doc: JSON.parse(r.doc) as AlertDoc,
    };
  }

  /** Counts over the outbox. */
  counters(): OutboxCounters {
    const byState = new Map((this.db.prepare('SELECT state, COUNT(*) AS n FROM alert_deliveries GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]));
    const alerts = (this.db.prepare('SELECT COUNT(*) AS n FROM alerts').get() as { n: number }).n;
    const open = (this.db.prepare(`SELECT COUNT(*) AS n FROM alert_episodes WHERE status = 'open'`).get() as { n: number }).n;
    return { alerts, openEpisodes: open, pending: byState.get('pending') ?? 0, sent: byState.get('sent') ?? 0, rejected: byState.get('rejected') ?? 0, expired: byState.get('expired') ?? 0 };
  }

  /** Alerts written at or after `since`. */
  countSince(since: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM alerts WHERE created_at >= ?').get(since) as { n: number }).n;
  }

  /** Forget alerts written before `before` whose deliveries are all final; returns how many. */
  prune(before: number): number {
    return this.db
      .prepare(`DELETE FROM alerts WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts.id AND d.state = 'pending')`)
      .run(before).changes;
  }
}
