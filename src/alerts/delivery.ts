/**
 * The delivery loop's one pass: expire what waited too long, lease the due deliveries, send them (mail per
 * recipient under its hourly budget, the excess as one digest; syslog in one batch; webhook one by one), and record
 * each outcome — sent, retried later with back-off, or refused for good. A channel that fails for a reason not tied
 * to one message (server down) fails the rest of its batch without more tries. Everything is counted; a channel
 * going down and coming back is logged once each, with the credentials masked.
 */
import { createHash } from 'node:crypto';
import type { AlertsConfig } from '../config/sections/alerts.js';
import { stripControl } from '../util/sanitize.js';
import { ChannelError } from './channels/errors.js';
import type { MailChannel } from './channels/email.js';
import type { SyslogChannel } from './channels/syslog.js';
import type { WebhookChannel } from './channels/webhook.js';
import { digestMailOf, mailOf, syslogLineOf, webhookBodyOf } from './messages.js';
import type { AlertOutbox, DueDelivery } from './outbox.js';
import { backoffSeconds, planMail } from './policy.js';

/** The configured channels; a getter may throw (an unreadable CA file), which leaves that channel's deliveries pending. */
export interface ChannelSet {
  email?: () => MailChannel;
  syslog?: () => SyslogChannel;
  webhook?: () => WebhookChannel;
}

/** Dependencies of the deliverer. */
export interface DelivererDeps {
  outbox: () => AlertOutbox;
  config: AlertsConfig;
  channels: ChannelSet;
  now: () => number;
  /** This process's lease owner name ("host:pid"). */
  owner: string;
  ownerAlive: (owner: string) => boolean;
  redact: (s: string) => string;
  log: (line: string) => void;
  hostname: string;
  procId: number | string;
}

/** What one pass did. */
export interface PassResult {
  claimed: number;
  sent: number;
  /** Failed attempts that will be retried. */
  failed: number;
  rejected: number;
  /** Mails held back by the hourly budget. */
  waiting: number;
  expired: number;
}

/** Counters since start. */
export interface DelivererCounters {
  passes: number;
  sent: number;
  failedAttempts: number;
  rejected: number;
  expired: number;
  digests: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastSentAt: number | null;
}

const LEASE_MS = 5 * 60_000;

/** Create the deliverer (no timer of its own: the area calls `pass`). */
export function createDeliverer(deps: DelivererDeps) {
  const counters: DelivererCounters = { passes: 0, sent: 0, failedAttempts: 0, rejected: 0, expired: 0, digests: 0, lastError: null, lastErrorAt: null, lastSentAt: null };
  const failing = new Map<string, string>();
  const clean = (s: string) => stripControl(deps.redact(s));

  const down = (key: string, why: string) => {
    counters.failedAttempts++;
    counters.lastError = why;
    counters.lastErrorAt = deps.now();
    if (!failing.has(key)) deps.log(`alerts: ${key} failing: ${why} (retrying with back-off)`);
    failing.set(key, why);
  };
  const up = (key: string) => {
    if (failing.delete(key)) deps.log(`alerts: ${key} delivering again`);
  };

  async function pass(): Promise<PassResult> {
    const outbox = deps.outbox();
    const now = deps.now();
    const cfg = deps.config;
    const res: PassResult = { claimed: 0, sent: 0, failed: 0, rejected: 0, waiting: 0, expired: 0 };
    counters.passes++;
    res.expired = outbox.expire(now - cfg.retry.giveUpHours * 3_600_000);
    if (res.expired > 0) {
      counters.expired += res.expired;
      deps.log(`alerts: ${res.expired} deliveries expired after ${cfg.retry.giveUpHours} h of failures`);
    }
    const due = outbox.claimDue(now, deps.owner, LEASE_MS, deps.ownerAlive);
    res.claimed = due.length;
    if (due.length === 0) return res;
    const retryAt = (d: DueDelivery) => deps.now() + backoffSeconds(d.attempts + 1, cfg.retry.initialSeconds, cfg.retry.maxSeconds) * 1000;
    const sent = (d: DueDelivery, messageId: string | null) => {
      outbox.markSent(d, deps.now(), messageId);
      res.sent++;
      counters.sent++;
      counters.lastSentAt = deps.now();
    };
    const failed = (d: DueDelivery, err: unknown) => {
      const why = clean(err instanceof Error ? err.message : String(err));
      const permanent = err instanceof ChannelError && err.permanent;
      outbox.markFailed(d, why, retryAt(d), permanent);
      if (permanent) {
        res.rejected++;
        counters.rejected++;
        counters.lastError = why;
        counters.lastErrorAt = deps.now();
        deps.log(`alerts: ${d.channel} refused alert ${d.alertId}${d.target ? ` for ${d.target}` : ''}: ${why}`);
      } else res.failed++;
      return permanent;
    };
    const unavailable = (list: DueDelivery[], channel: string, err: unknown) => {
      const why = clean(`${channel}: ${(err as Error)?.message ?? 'not configured'}`);
      for (const d of list) outbox.release(d, deps.now() + cfg.retry.maxSeconds * 1000, why);
      down(channel, why);
    };

    // Mail: per recipient, under its hourly budget.
    const mails = due.filter((d) => d.channel === 'email');
    if (mails.length > 0) {
      let ch: MailChannel | undefined;
      try {
        ch = deps.channels.email?.();
        if (!ch) throw new Error('not configured');
      } catch (err) {
        unavailable(mails, 'email', err);
      }
      if (ch) {
        const byTarget = new Map<string, DueDelivery[]>();
        for (const d of mails) byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
        let serverDown: unknown;
        for (const [target, list] of byTarget) {
          const { count, oldest } = outbox.mailsSince(target, now - 3_600_000);
          const plan = planMail(list, count, cfg.email.maxPerHour);
          for (const d of plan.wait) outbox.release(d, (oldest ?? now) + 3_600_000);
          res.waiting += plan.wait.length;
          const jobs: DueDelivery[][] = [...plan.single.map((d) => [d]), ...(plan.digest.length > 0 ? [plan.digest] : [])];
          for (const job of jobs) {
            if (serverDown) {
              for (const d of job) failed(d, serverDown);
              continue;
            }
            const isDigest = job.length > 1;
            const m = isDigest
              ? digestMailOf(job.map((d) => d.doc), job[0].lang, cfg.email.from, cfg.email.maxPerHour, `digest-${createHash('sha256').update(job.map((d) => d.alertId).join(' ')).digest('hex').slice(0, 16)}`)
              : mailOf(job[0].doc, job[0].lang, cfg.email.from);
            try {
              await ch.send(target, m);
              for (const d of job) sent(d, `<${m.messageId}>`);
              if (isDigest) counters.digests++;
              up('email');
            } catch (err) {
              let permanent = false;
              for (const d of job) permanent = failed(d, err);
              if (!permanent) {
                serverDown = err;
                down('email', clean((err as Error).message));
              }
            }
          }
        }
      }
    }

    // Syslog: one batch.
    const logs = due.filter((d) => d.channel === 'syslog');
    if (logs.length > 0) {
      let ch: SyslogChannel | undefined;
      try {
        ch = deps.channels.syslog?.();
        if (!ch) throw new Error('not configured');
      } catch (err) {
        unavailable(logs, 'syslog', err);
      }
      if (ch) {
        const lines = logs.map((d) => syslogLineOf(d.doc, { facility: cfg.syslog.facility, appName: cfg.syslog.appName, hostname: deps.hostname, procId: deps.procId, at: deps.now() }));
        try {
          await ch.send(lines);
          for (const d of logs) sent(d, d.alertId);
          up('syslog');
        } catch (err) {
          for (const d of logs) failed(d, err);
          down('syslog', clean((err as Error).message));
        }
      }
    }

    // Webhook: one POST per alert.
    const hooks = due.filter((d) => d.channel === 'webhook');
    if (hooks.length > 0) {
      let ch: WebhookChannel | undefined;
      try {
        ch = deps.channels.webhook?.();
        if (!ch) throw new Error('not configured');
      } catch (err) {
        unavailable(hooks, 'webhook', err);
      }
      if (ch) {
        let serverDown: unknown;
        for (const d of hooks) {
          if (serverDown) {
            failed(d, serverDown);
            continue;
          }
          try {
            await ch.send(webhookBodyOf(d.doc, cfg.webhook.format, d.lang), d.alertId);
            sent(d, d.alertId);
            up('webhook');
          } catch (err) {
            if (!failed(d, err)) {
              serverDown = err;
              down('webhook', clean((err as Error).message));
            }
          }
        }
      }
    }
    return res;
  }

  return { pass, counters };
}

/** The deliverer. */
export type Deliverer = ReturnType<typeof createDeliverer>;
