/**
 * `nocflow alerts test`: one test message straight to every configured channel (not through the outbox), each
 * outcome reported — the mail to each NOC address (and the units' contacts on request), syslog, the webhook.
 */
import type { AlertsConfig } from '../config/sections/alerts.js';
import { channelsFrom } from './channels/index.js';
import type { TestResult } from './format.js';
import { mailOf, syslogLineOf, webhookBodyOf, type AlertDoc } from './messages.js';
import type { UnitAudience } from './policy.js';
import { redactorFor, safeUrl } from './redact.js';

/** The test message as an alert document (id `test-<time>`). */
export function testDoc(now: number): AlertDoc {
  const id = `test-${now.toString(36)}`;
  return { id, episode: id, kind: 'test', source: 'test', ip: '', type: 'test', role: 'internal', severity: 'over', timeSlot: Math.floor((now / 1000 + 150) / 300), createdAt: now };
}

/** Send the test message everywhere; never throws (each failure is a result). */
export async function sendTestMessages(cfg: AlertsConfig, opts: { now: number; hostname: string; procId: number; units?: UnitAudience[] }): Promise<TestResult[]> {
  const redact = redactorFor(cfg);
  const ch = channelsFrom(cfg, redact);
  const doc = testDoc(opts.now);
  const results: TestResult[] = [];
  const why = (err: unknown) => redact((err as Error)?.message ?? String(err));
  try {
    if (ch.email) {
      const targets: { to: string; lang: 'en' | 'zh-TW'; who: string }[] = cfg.email.to.map((to) => ({ to, lang: cfg.email.lang, who: 'noc' }));
      for (const u of opts.units ?? []) for (const c of u.contacts) if (!targets.some((t) => t.to === c)) targets.push({ to: c, lang: u.lang ?? cfg.email.lang, who: u.name });
      for (const t of targets) {
        try {
          const m = mailOf(doc, t.lang, cfg.email.from);
          const r = await ch.email().send(t.to, m);
          results.push({ channel: 'email', target: t.who === 'noc' ? t.to : `${t.to} [${t.who}]`, ok: true, detail: `sent, Message-ID <${m.messageId}>${r.response ? `, server: ${r.response}` : ''}` });
        } catch (err) {
          results.push({ channel: 'email', target: t.to, ok: false, detail: why(err) });
        }
      }
      if (targets.length === 0) results.push({ channel: 'email', target: '', ok: false, detail: 'no recipient (alerts.email.to is empty)' });
    }
    if (ch.syslog) {
      try {
        await ch.syslog().send([syslogLineOf(doc, { facility: cfg.syslog.facility, appName: cfg.syslog.appName, hostname: opts.hostname, procId: opts.procId, at: opts.now })]);
        results.push({ channel: 'syslog', target: `${cfg.syslog.protocol} ${cfg.syslog.host}:${cfg.syslog.port}`, ok: true, detail: `sent, MSGID ${doc.id}${cfg.syslog.protocol === 'udp' ? ' (UDP: not acknowledged by the receiver)' : ''}` });
      } catch (err) {
        results.push({ channel: 'syslog', target: `${cfg.syslog.protocol} ${cfg.syslog.host}:${cfg.syslog.port}`, ok: false, detail: why(err) });
      }
    }
    if (ch.webhook) {
      try {
        const r = await ch.webhook().send(webhookBodyOf(doc, cfg.webhook.format, cfg.webhook.lang), doc.id);
        results.push({ channel: 'webhook', target: safeUrl(cfg.webhook.url), ok: true, detail: `HTTP ${r.status}, id ${doc.id}` });
      } catch (err) {
        results.push({ channel: 'webhook', target: safeUrl(cfg.webhook.url), ok: false, detail: why(err) });
      }
    }
  } finally {
    ch.close();
  }
  return results;
}
