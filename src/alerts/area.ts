/**
 * Alerts as an engine area. Its commit hook decides each window's alerts inside the window's own transaction (the
 * policy over the stored episodes; false positives left out) and writes them to the outbox with one delivery per
 * channel and recipient — the NOC's, and the contacts of the units whose prefixes hold the IP. Its delivery loop
 * sends what is due (after every window, and every `pollSeconds`), retrying with back-off across restarts. Other
 * areas raise alerts that do not come from a window with `raise()`. Socket: `alerts.list`, `alerts.get`,
 * `alerts.summary`; events `alerts.new` (a window or a raise wrote alerts) and `alerts.delivered` (a pass changed
 * delivery states).
 */
import os from 'node:os';
import type { NocflowConfig } from '../config/schema.js';
import { isMailAddress, type AlertsConfig } from '../config/sections/alerts.js';
import type { AreaContext, EngineArea } from '../daemon/area.js';
import { RpcError, type HandlerTable } from '../daemon/protocol.js';
import { pidAlive } from '../util/process.js';
import { DeviceStore } from '../devices/store.js';
import { resolveThresholds } from '../engine/rules.js';
import type { Role, Severity } from '../engine/types.js';
import type { Db } from '../store/db.js';
import type { WindowCommitHook } from '../store/engine-store.js';
import { canonicalIp, PrefixSet } from '../util/ip.js';
import { stripControl } from '../util/sanitize.js';
import { channelsFrom } from './channels/index.js';
import { createDeliverer, type DelivererCounters, type PassResult } from './delivery.js';
import { locateHost } from './locate.js';
import type { AlertDoc } from './messages.js';
import { AlertOutbox, type AlertView, type OutboxCounters } from './outbox.js';
import { decideWindow, policyResolver, raisedId, routesFor, unitAudiences, type Notice, type Route, type RoutingConfig } from './policy.js';
import { redactorFor, safeUrl } from './redact.js';

/** An alert another area raises (not from a window): e.g. the IoC area's "inside host newly classed relay-check-in". */
export interface RaiseInput {
  /** The raising area ('ioc', ...). */
  source: string;
  /** What makes two raises the same alert: raising one key again yields the same id and is delivered once. */
  key: string;
  ip: string;
  /** A short code (a-z, 0-9, '-'), e.g. 'relay-check-in'. */
  type: string;
  severity?: Severity;
  role?: Role;
  /** The subject's label and the body, English and optionally Traditional Chinese. */
  title: { en: string; 'zh-TW'?: string };
  text: { en: string; 'zh-TW'?: string };
  /** The TimeSlot it concerns (default: the one of now). */
  timeSlot?: number;
  /** Extra fields for the webhook's JSON document. */
  details?: Record<string, unknown>;
}

/** What `raise` answers. */
export interface RaiseResult {
  id: string;
  /** false: an alert of this id was already in the outbox (nothing new is delivered). */
  inserted: boolean;
}

/** What `alerts.summary` answers (the TUI header). */
export interface AlertsSummary {
  openEpisodes: number;
  /** Alerts written in the last 24 hours. */
  last24h: number;
  pending: number;
  /** Deliveries that gave up (rejected or expired). */
  failed: number;
}

/** What `engine status` shows under `areas.alerts`. */
export interface AlertsStatus extends OutboxCounters {
  enabled: boolean;
  channels: { email: string | null; syslog: string | null; webhook: string | null };
  sinceStart: Omit<DelivererCounters, 'lastError' | 'lastErrorAt' | 'lastSentAt'>;
  lastError: string | null;
  lastErrorAt: number | null;
  lastSentAt: number | null;
}

/** The wired alerts area. */
export interface AlertsArea extends EngineArea {
  /** Write an alert that does not come from a window to the outbox (its own transaction); after start. */
  raise(input: RaiseInput): RaiseResult;
  /** One delivery pass now. */
  deliverNow(): Promise<PassResult>;
  /** Deliver until nothing is due before `maxMs` from now; answers what is still pending (the outbox keeps it). */
  drain(maxMs: number): Promise<{ sent: number; pending: number }>;
}

/** Dependencies. */
export interface AlertsAreaDeps {
  /** Log line sink (default: the context's). */
  log?: (line: string) => void;
  hostname?: string;
}

/** The owner name of this process's leases. */
const ownerName = (host: string) => `${host}:${process.pid}`;

/** Is the process named by a lease owner alive? Another host's owner counts as alive (its lease runs out). */
function ownerAliveFor(host: string): (owner: string) => boolean {
  return (owner) => {
    const i = owner.lastIndexOf(':');
    if (i < 0 || owner.slice(0, i) !== host) return true;
    const pid = Number(owner.slice(i + 1));
    return Number.isInteger(pid) && pid > 0 && pidAlive(pid);
  };
}

/** The routing part of the configuration. */
export function routingOf(cfg: AlertsConfig): RoutingConfig {
  return {
    ...(cfg.email.host ? { email: { to: cfg.email.to, lang: cfg.email.lang } } : {}),
    syslog: !!cfg.syslog.host,
    ...(cfg.webhook.url ? { webhook: { lang: cfg.webhook.lang } } : {}),
  };
}

/** The channels as status shows them (no credentials: host and port, the webhook's origin). */
export function channelsShown(cfg: AlertsConfig): AlertsStatus['channels'] {
  return {
    email: cfg.email.host ? `${cfg.email.host}:${cfg.email.port}${cfg.email.secure ? ' (TLS)' : ''}` : null,
    syslog: cfg.syslog.host ? `${cfg.syslog.protocol} ${cfg.syslog.host}:${cfg.syslog.port}` : null,
    webhook: cfg.webhook.url ? `${safeUrl(cfg.webhook.url)} (${cfg.webhook.format})` : null,
  };
}

/** Create the area (inert until start). */
export function createAlertsArea(config: NocflowConfig, deps: AlertsAreaDeps = {}): AlertsArea {
  const cfg = config.alerts;
  const units = config.engine.units ?? [];
  const rulesOf = policyResolver(cfg.policy, units);
  const engineThresholds = resolveThresholds(config.engine.thresholds).thresholds;
  // A malformed address is never handed to the mail library ("a@x, b@y" would be two recipients): skipped and
  // reported at start (`config check` names it with its path).
  const skippedAddresses = [...cfg.email.to, ...units.flatMap((u) => u.contacts ?? [])].filter((a) => !isMailAddress(a));
  const audiences = unitAudiences(units).map((u) => ({ ...u, contacts: u.contacts.filter(isMailAddress) })).filter((u) => u.contacts.length > 0);
  const routing = routingOf({ ...cfg, email: { ...cfg.email, to: cfg.email.to.filter(isMailAddress) } });
  const routesOfDoc = (doc: AlertDoc): Route[] => routesFor(doc.ip, routing, audiences);
  const redact = redactorFor(cfg);
  const hostname = deps.hostname ?? os.hostname();
  const owner = ownerName(hostname);
  let ctx: AreaContext | undefined;
  let outbox: AlertOutbox | undefined;
  let channels: ReturnType<typeof channelsFrom> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<PassResult> | undefined;
  let again = false;
  let stopped = true;
  let lastPrune = 0;
  const fresh: string[] = [];
  const chans = () => (channels ??= channelsFrom(cfg, redact));
  const unitSet = new PrefixSet(units.map((u) => ({ prefix: u.prefix, tag: u.name })));
  const log = (line: string) => (deps.log ?? ctx?.log ?? (() => undefined))(redact(line));

  const where = (db: Db, ip: string) => {
    try {
      return locateHost(new DeviceStore(db), ip);
    } catch {
      return undefined; // no device history: the alert goes without a location
    }
  };

  const docOf = (n: Notice, now: number, db: Db): AlertDoc => {
    const w = n.kind === 'ended' ? undefined : where(db, n.ip);
    return {
      id: n.id, episode: n.episode, kind: n.kind, source: 'window', ip: n.ip, type: n.type, role: n.role, severity: n.severity,
      ...(n.unit ? { unit: n.unit } : {}), timeSlot: n.timeSlot, createdAt: now, ...(n.anomaly ? { anomaly: n.anomaly } : {}), summary: n.summary, ...(w ? { where: w } : {}),
    };
  };

  const hook: WindowCommitHook = ({ db, result, now }) => {
    if (!cfg.enabled) return;
    const box = new AlertOutbox(db);
    // An (ip, type) an operator marked a false positive is tracked but never alerted.
    const fp = new Set((db.prepare('SELECT ip, type FROM verdicts').all() as { ip: string; type: string }[]).map((r) => `${r.ip}|${r.type}`));
    const anomalies = result.anomalies.filter((a) => !fp.has(`${a.ip}|${a.type}`));
    const decision = decideWindow({ slot: result.window.timeSlot, anomalies, episodes: box.episodes(), rulesOf, engineThresholds });
    const docs = decision.notices.map((n) => docOf(n, now, db));
    fresh.push(...box.applyDecision(decision, docs, routesOfDoc, now));
  };

  const deliverer = createDeliverer({
    outbox: () => {
      if (!outbox) throw new Error('alerts area not started');
      return outbox;
    },
    config: cfg,
    // Created on first use and closed at stop (the mail connection).
    channels: {
      ...(cfg.email.host ? { email: () => chans().email!() } : {}),
      ...(cfg.syslog.host ? { syslog: () => chans().syslog!() } : {}),
      ...(cfg.webhook.url ? { webhook: () => chans().webhook!() } : {}),
    },
    now: () => ctx?.now() ?? Date.now(),
    owner,
    ownerAlive: ownerAliveFor(hostname),
    redact,
    log,
    hostname,
    procId: process.pid,
  });

  const onePass = (): Promise<PassResult> => {
    const p = (running ?? Promise.resolve(undefined as unknown as PassResult))
      .catch(() => undefined)
      .then(async () => {
        const now = ctx?.now() ?? Date.now();
        if (cfg.retentionDays > 0 && now - lastPrune > 3_600_000) {
          lastPrune = now;
          outbox?.prune(now - cfg.retentionDays * 86_400_000);
        }
        const res = await deliverer.pass();
        // Screens showing delivery states re-read them.
        if (res.sent + res.failed + res.rejected + res.expired > 0) ctx?.publish('alerts.delivered', res);
        return res;
      });
    running = p;
    return p;
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, ms);
  };
  async function tick(): Promise<void> {
    timer = undefined;
    try {
      do {
        again = false;
        await onePass();
      } while (again && !stopped);
    } catch (err) {
      log(`alerts: delivery pass failed: ${(err as Error).message}`);
    } finally {
      schedule(cfg.pollSeconds * 1000);
    }
  }
  /** Deliver soon (a window or a raise wrote alerts). */
  const kick = () => {
    if (stopped) return;
    if (running && timer === undefined) again = true;
    else schedule(0);
  };

  const publishFresh = () => {
    if (fresh.length === 0) return;
    const ids = fresh.splice(0);
    ctx?.publish('alerts.new', { ids, count: ids.length });
  };

  const summary = (): AlertsSummary => {
    const c = outbox!.counters();
    return { openEpisodes: c.openEpisodes, last24h: outbox!.countSince((ctx?.now() ?? Date.now()) - 86_400_000), pending: c.pending, failed: c.rejected + c.expired };
  };

  const area: AlertsArea = {
    name: 'alerts',
    commitHooks: [hook],
    handlers: (): HandlerTable => ({
      'alerts.list': async (params) => {
        const p = (params ?? {}) as { limit?: number };
        return outbox!.list(Math.max(1, Math.min(1000, Number(p.limit ?? 100) || 100)));
      },
      'alerts.summary': async () => summary(),
      'alerts.get': async (params) => {
        const id = String((params as { id?: string })?.id ?? '');
        if (!/^[A-Za-z0-9-]{1,40}$/.test(id)) throw new RpcError('BAD_PARAMS', 'alerts.get needs an alert id');
        return outbox!.get(id) ?? null;
      },
    }),
    start(c: AreaContext) {
      ctx = c;
      if (skippedAddresses.length > 0) log(`alerts: ${skippedAddresses.length} malformed mail address(es) skipped: ${skippedAddresses.map((a) => JSON.stringify(stripControl(a).slice(0, 80))).join(', ')} (see nocflow config check)`);
      outbox = new AlertOutbox(c.db);
      stopped = false;
      c.onEngineEvent((e) => {
        if (e.kind !== 'window') return;
        publishFresh();
        kick();
      });
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
      channels?.close();
      channels = undefined;
    },
    status: (): AlertsStatus => {
      const c = deliverer.counters;
      return {
        enabled: cfg.enabled,
        channels: channelsShown(cfg),
        ...outbox!.counters(),
        sinceStart: { passes: c.passes, sent: c.sent, failedAttempts: c.failedAttempts, rejected: c.rejected, expired: c.expired, digests: c.digests },
        lastError: c.lastError,
        lastErrorAt: c.lastErrorAt,
        lastSentAt: c.lastSentAt,
      };
    },
    raise(input) {
      if (!outbox || !ctx) throw new Error('alerts area not started');
      const ip = canonicalIp(String(input.ip ?? ''));
      if (!ip) throw new Error(`raise: not an IP address: ${JSON.stringify(stripControl(String(input.ip)).slice(0, 64))}`);
      if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(input.type)) throw new Error(`raise: bad type ${JSON.stringify(stripControl(String(input.type)).slice(0, 40))} (a-z, 0-9, '-')`);
      if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(input.source)) throw new Error(`raise: bad source ${JSON.stringify(stripControl(String(input.source)).slice(0, 40))}`);
      const now = ctx.now();
      const id = raisedId(input.source, input.key);
      const unit = unitSet.size > 0 ? unitSet.match(ip) : undefined;
      const w = where(ctx.db, ip);
      const doc: AlertDoc = {
        id, episode: id, kind: 'raised', source: input.source, ip, type: input.type, role: input.role ?? 'internal', severity: input.severity ?? 'over',
        ...(unit ? { unit } : {}), timeSlot: input.timeSlot ?? Math.floor((now / 1000 + 150) / 300), createdAt: now,
        title: input.title, text: input.text, ...(input.details ? { details: input.details } : {}), ...(w ? { where: w } : {}),
      };
      const inserted = cfg.enabled ? outbox.insert(doc, routesOfDoc(doc), now) : false;
      if (inserted) {
        fresh.push(id);
        publishFresh();
        kick();
      }
      return { id, inserted };
    },
    deliverNow: () => onePass(),
    async drain(maxMs) {
      const now = () => ctx?.now() ?? Date.now();
      const deadline = now() + maxMs;
      const before = deliverer.counters.sent;
      for (;;) {
        await onePass();
        const next = outbox!.nextDue();
        if (next === undefined || next > deadline || now() >= deadline) break;
        await new Promise((r) => setTimeout(r, Math.max(50, Math.min(next - now(), deadline - now()))));
      }
      return { sent: deliverer.counters.sent - before, pending: outbox!.counters().pending };
    },
  };
  return area;
}
