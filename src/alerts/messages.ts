/**
 * What leaves the process for an alert, as values (pure): the mail (subject, body, Message-ID and id headers), a
 * digest mail, the RFC 5424 syslog line with its structured data, and the webhook body (the JSON document or a
 * Slack/Mattermost `{text}`). Every message carries the alert's stable id, so a repeated delivery is recognisable.
 */
import { alertText, evidenceText } from '../engine/alert-text.js';
import type { Anomaly, Role, Severity } from '../engine/types.js';
import type { Lang } from '../i18n/labels.js';
import {
  anyTypeLabel, digestIntro, digestSubject, endedText, idLine, reminderLine, slotTime, subjectText, testText, whereLine, type HostLocationText,
} from './text.js';
import { stripControl } from '../util/sanitize.js';
import type { EpisodeSummary, NoticeKind } from './policy.js';

/** An alert as the outbox keeps it (`alerts.doc`). */
export interface AlertDoc {
  id: string;
  /** Episode id (window alerts), or the raised alert's own id. */
  episode: string;
  kind: NoticeKind | 'test';
  /** 'window' for the policy's notices, else the raising area ('ioc', ...). */
  source: string;
  ip: string;
  type: string;
  role: Role;
  severity: Severity;
  unit?: string;
  timeSlot: number;
  /** Epoch ms the alert was written. */
  createdAt: number;
  anomaly?: Anomaly;
  summary?: EpisodeSummary;
  /** Where the host is attached (the devices area's tables), when known. */
  where?: HostLocationText;
  /** Raised alerts: their own title and text. */
  title?: { en: string; 'zh-TW'?: string };
  text?: { en: string; 'zh-TW'?: string };
  details?: Record<string, unknown>;
}

/** A mail, ready for a transport. */
export interface MailValue {
  subject: string;
  text: string;
  /** Without angle brackets. */
  messageId: string;
  headers: Record<string, string>;
}

const inLang = (t: { en: string; 'zh-TW'?: string } | undefined, lang: Lang) => (t ? (lang === 'zh-TW' ? (t['zh-TW'] ?? t.en) : t.en) : '');
/** Header-safe text: no control characters at all (no CR/LF to split a header on). */
const headerSafe = (s: string) => stripControl(s).replace(/[\r\n\t]+/g, ' ');

/** The label an alert goes by (type label, or a raised alert's title). */
export function labelOf(a: AlertDoc, lang: Lang): string {
  return a.title ? inLang(a.title, lang) : anyTypeLabel(a.type, a.severity, lang);
}

/** The body text of one alert in a language: the seeds' alert text, where the host is, and the alert id. Pure. */
export function bodyOf(a: AlertDoc, lang: Lang): string {
  const parts: string[] = [];
  if (a.kind === 'test') parts.push(testText(lang));
  else if (a.kind === 'ended' && a.summary) {
    parts.push(endedText({ ip: a.ip, ...(a.unit ? { unit: a.unit } : {}), label: labelOf(a, lang), ...a.summary }, lang));
  } else if (a.kind === 'raised') {
    parts.push(inLang(a.text, lang));
  } else if (a.anomaly) {
    if (a.kind === 'reminder' && a.summary) parts.push(reminderLine(a.summary, lang));
    parts.push(alertText(a.anomaly, lang, a.timeSlot));
  }
  if (a.where) parts.push(whereLine(a.where, lang));
  if (a.kind !== 'test') parts.push(lang === 'zh-TW' ? `時段：${slotTime(a.timeSlot)}` : `window: ${slotTime(a.timeSlot)}`);
  parts.push(idLine(a.id, lang));
  return stripControlKeepLines(parts.join('\n'));
}

/** Control characters out, line breaks kept (text from the network never reaches a terminal or a mail raw). */
function stripControlKeepLines(text: string): string {
  return text.split('\n').map((l) => stripControl(l)).join('\n');
}

/** The domain of a sender address (for Message-IDs), 'nocflow.invalid' without one. */
export function mailDomain(from: string): string {
  const at = from.lastIndexOf('@');
  const d = at >= 0 ? from.slice(at + 1).replace(/[^A-Za-z0-9.-]/g, '') : '';
  return d || 'nocflow.invalid';
}

/** The mail of one alert to one recipient language. Pure. */
export function mailOf(a: AlertDoc, lang: Lang, from: string): MailValue {
  const subject = headerSafe(subjectText({ kind: a.kind, label: labelOf(a, lang), ip: a.ip, ...(a.unit ? { unit: a.unit } : {}), severity: a.severity }, lang));
  return {
    subject,
    text: bodyOf(a, lang),
    messageId: `${a.id}@${mailDomain(from)}`,
    headers: { 'X-Nocflow-Alert-Id': a.id, 'X-Nocflow-Episode': a.episode, 'X-Nocflow-Kind': a.kind },
  };
}

/** One mail for several alerts of one recipient (over `maxPerHour`); `digestId` names it. Pure. */
export function digestMailOf(alerts: AlertDoc[], lang: Lang, from: string, maxPerHour: number, digestId: string): MailValue {
  const sep = '\n\n----------------------------------------\n';
  const items = alerts.map((a) => `${headerSafe(subjectText({ kind: a.kind, label: labelOf(a, lang), ip: a.ip, ...(a.unit ? { unit: a.unit } : {}), severity: a.severity }, lang))}\n${bodyOf(a, lang)}`);
  return {
    subject: digestSubject(alerts.length, lang),
    text: `${digestIntro(alerts.length, maxPerHour, lang)}${sep}${items.join(sep)}\n`,
    messageId: `${digestId}@${mailDomain(from)}`,
    headers: { 'X-Nocflow-Alert-Id': alerts.map((a) => a.id).join(' '), 'X-Nocflow-Digest': digestId, 'X-Nocflow-Kind': 'digest' },
  };
}

/** RFC 5424 SD-PARAM value escaping: `"`, `\` and `]` take a backslash. */
export function sdEscape(v: string): string {
  return stripControl(v).replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** Syslog severity of an alert: super 2 (critical), over 4 (warning), ended 5 (notice), test 6 (informational). */
export function syslogSeverity(a: Pick<AlertDoc, 'kind' | 'severity'>): number {
  if (a.kind === 'test') return 6;
  if (a.kind === 'ended') return 5;
  return a.severity === 'super' ? 2 : 4;
}

/** The one-line summary syslog carries (English) and lists show (in their language). */
export function summaryLine(a: AlertDoc, lang: Lang = 'en'): string {
  const unit = a.unit ? ` (${a.unit})` : '';
  const label = labelOf(a, lang);
  if (a.kind === 'test') return testText(lang);
  const zh = lang === 'zh-TW';
  const head = a.kind === 'ended' ? `${zh ? '已結束：' : 'ended: '}${label} ${a.ip}${unit}` : a.kind === 'reminder' ? `${zh ? '持續中：' : 'still: '}${label} ${a.ip}${unit}` : `${a.severity === 'super' ? (zh ? '嚴重 ' : 'SUPER ') : ''}${label} ${a.ip}${unit}`;
  const ev = a.kind === 'ended' ? a.summary?.peak.evidence : a.anomaly?.evidence;
  const tail = a.kind === 'raised' ? inLang(a.text, lang).split('\n')[0] : (ev ?? []).map((e) => evidenceText(e, lang)).join('; ');
  return stripControl(tail ? `${head}${zh ? '：' : ': '}${tail}` : head);
}

/** The private-enterprise number of RFC 5612 (documentation use) names nocflow's SD-ID. */
export const SD_ID = 'alert@32473';

/** One RFC 5424 message (without transport framing). Pure; `at` is the epoch ms of the message. */
export function syslogLineOf(a: AlertDoc, o: { facility: number; appName: string; hostname: string; procId: number | string; at: number }): string {
  const pri = o.facility * 8 + syslogSeverity(a);
  const host = (o.hostname.replace(/[^!-~]/g, '') || '-').slice(0, 255);
  const app = (o.appName.replace(/[^!-~]/g, '') || '-').slice(0, 48);
  const msgid = a.id.replace(/[^!-~]/g, '').slice(0, 32) || '-';
  const params: [string, string][] = [
    ['id', a.id], ['kind', a.kind], ['ip', a.ip], ['type', a.type], ['severity', a.severity], ['role', a.role], ['window', String(a.timeSlot)],
    ['windowTime', new Date(a.timeSlot * 300 * 1000).toISOString()],
  ];
  if (a.unit) params.push(['unit', a.unit]);
  if (a.where?.mac) params.push(['mac', a.where.mac]);
  if (a.where?.ports[0]) params.push(['switch', a.where.ports[0].switch], ['port', a.where.ports[0].port]);
  const sd = `[${SD_ID} ${params.filter(([, v]) => v !== '').map(([k, v]) => `${k}="${sdEscape(v)}"`).join(' ')}]`;
  const msg = summaryLine(a);
  // A UTF-8 MSG starts with the BOM (RFC 5424 6.4); plain ASCII needs none.
  const bom = /[^\x00-\x7f]/.test(msg) ? '\ufeff' : '';
  return `<${pri}>1 ${new Date(o.at).toISOString()} ${host} ${app} ${o.procId} ${msgid} ${sd} ${bom}${msg}`;
}

/** The webhook body: the alert document (json) or a Slack/Mattermost-compatible `{text}` (slack). Pure. */
export function webhookBodyOf(a: AlertDoc, format: 'json' | 'slack', lang: Lang): Record<string, unknown> {
  const subject = subjectText({ kind: a.kind, label: labelOf(a, lang), ip: a.ip, ...(a.unit ? { unit: a.unit } : {}), severity: a.severity }, lang);
  if (format === 'slack') return { text: `*${headerSafe(subject)}*\n\`\`\`\n${bodyOf(a, lang)}\n\`\`\`` };
  return {
    id: a.id,
    episode: a.episode,
    kind: a.kind,
    source: a.source,
    ip: a.ip,
    type: a.type,
    role: a.role,
    severity: a.severity,
    unit: a.unit ?? null,
    // The window by its minute (epoch s of slot*300, the start of its nfcapd file).
    window: { timeSlot: a.timeSlot, time: a.timeSlot * 300 },
    createdAt: a.createdAt,
    subject: headerSafe(subject),
    text: bodyOf(a, lang),
    summary: a.summary ?? null,
    where: a.where ?? null,
    anomaly: a.anomaly ?? null,
    details: a.details ?? null,
  };
}
