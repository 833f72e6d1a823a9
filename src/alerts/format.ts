/**
 * Alerts as text for people (pure): the `nocflow alerts` table (declared columns, one row renderer), each
 * delivery's state in a few words, the `engine status` lines and the `alerts test` report.
 */
import type { Lang } from '../i18n/labels.js';
import { deliveryStateText, kindText } from './text.js';
import { stripControl } from '../util/sanitize.js';
import { fit } from '../views/format.js';
import stringWidth from 'string-width';

const cellWidth = (s: string) => stringWidth(stripControl(s));
import type { AlertsStatus } from './area.js';
import type { AlertView, DeliveryView } from './outbox.js';

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** One delivery in a few words: "email ops@x sent", "webhook pending ×3". */
export function deliveryCell(d: DeliveryView, lang: Lang = 'en'): string {
  const who = d.channel === 'email' ? `${d.channel} ${d.target}${d.audience !== 'noc' ? ` [${d.audience}]` : ''}` : d.channel;
  const tries = d.state === 'pending' && d.attempts > 0 ? ` ×${d.attempts}` : '';
  return stripControl(`${who} ${deliveryStateText(d.state, lang)}${tries}`);
}

/** The table's columns: a header and a renderer each. */
export const ALERT_COLUMNS: { header: string; width: number; render: (a: AlertView, lang: Lang) => string }[] = [
  { header: 'WRITTEN (UTC)', width: 16, render: (a) => iso(a.createdAt) },
  { header: 'ID', width: 19, render: (a) => a.id },
  { header: 'KIND', width: 8, render: (a, lang) => kindText(a.kind, lang) },
  { header: 'SEV', width: 5, render: (a) => a.severity },
  { header: 'TYPE', width: 16, render: (a) => a.type },
  { header: 'IP', width: 16, render: (a) => a.ip },
  { header: 'UNIT', width: 10, render: (a) => a.unit ?? '-' },
  { header: 'DELIVERIES', width: 0, render: (a, lang) => (a.deliveries.length ? a.deliveries.map((d) => deliveryCell(d, lang)).join(', ') : 'no channel') },
];

/** The `nocflow alerts` table, newest first; failing deliveries get their last error on a line below. */
export function formatAlerts(list: AlertView[], lang: Lang = 'en'): string {
  if (list.length === 0) return lang === 'zh-TW' ? '尚無告警\n' : 'no alerts yet\n';
  // Cells measured in terminal columns (a unit name or zh-TW kind is double width).
  const line = (cells: string[]) => cells.map((c, i) => (ALERT_COLUMNS[i].width ? fit(c, Math.max(ALERT_COLUMNS[i].width, Math.min(40, cellWidth(c)))) : stripControl(c))).join(' ').trimEnd();
  const out = [line(ALERT_COLUMNS.map((c) => c.header))];
  for (const a of list) {
    out.push(line(ALERT_COLUMNS.map((c) => c.render(a, lang))));
    for (const d of a.deliveries) if (d.state !== 'sent' && d.lastError) out.push(`    ${d.channel}${d.target ? ` ${d.target}` : ''}: ${stripControl(d.lastError)}`);
  }
  return `${out.join('\n')}\n`;
}

/** The `engine status` lines of the alerts area. */
export function alertsStatusLines(s: AlertsStatus): string[] {
  const ch = Object.entries(s.channels).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join('; ') || 'no channel configured';
  const lines = [
    `alerts: ${s.enabled ? '' : 'disabled; '}${s.alerts} in the outbox, ${s.openEpisodes} open episode(s); channels: ${ch}`,
    `deliveries: ${s.sent} sent, ${s.pending} pending, ${s.rejected} rejected, ${s.expired} expired; since start ${s.sinceStart.sent} sent, ${s.sinceStart.failedAttempts} failed attempts, ${s.sinceStart.digests} digest(s)`,
  ];
  if (s.lastError) lines.push(`last delivery error${s.lastErrorAt ? ` (${iso(s.lastErrorAt)} UTC)` : ''}: ${stripControl(s.lastError)}`);
  return lines;
}

/** One result of `alerts test`. */
export interface TestResult {
  channel: 'email' | 'syslog' | 'webhook';
  target: string;
  ok: boolean;
  detail: string;
}

/** The `alerts test` report, one line per channel and target. */
export function formatTestResults(results: TestResult[]): string {
  if (results.length === 0) return 'no alert channel is configured (alerts.email.host, alerts.syslog.host, alerts.webhook.url)\n';
  return `${results.map((r) => stripControl(`${r.ok ? 'ok    ' : 'FAILED'} ${r.channel}${r.target ? ` ${r.target}` : ''}: ${r.detail}`)).join('\n')}\n`;
}
