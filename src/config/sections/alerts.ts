/**
 * Config section `alerts`: when an anomaly becomes an alert (the policy) and where alerts go (mail, syslog, webhook),
 * with the outbox's retry settings. `checkAlertsConfig` judges what the schema cannot (mail addresses, host names,
 * URLs, unit contacts) and answers "path: reason" lines for `nocflow config check`.
 */
import { resolveThresholds } from '../../engine/rules.js';
import { parsePrefix } from '../../util/ip.js';
import type { EngineConfig } from './engine.js';

const policyProperties = {
  minWindows: { type: 'integer', minimum: 1, maximum: 10000, description: 'Windows above threshold in an episode before it alerts.' },
  minShareAbove: { type: 'number', minimum: 0, maximum: 1, description: 'Share of the episode\'s windows above threshold before it alerts.' },
  realertMinutes: { type: 'number', minimum: 0, description: 'A reminder every this many minutes while the episode lasts (0 = never).' },
  endAfterWindows: { type: 'integer', minimum: 1, maximum: 10000, description: 'Quiet windows after which an episode ends (and its "ended" notice goes out).' },
} as const;

/** The policy keys a unit may override, and its alert thresholds (engine threshold keys; they only raise the bar). */
export const unitAlertsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...policyProperties,
    thresholds: { type: 'object', additionalProperties: { type: 'number' }, description: 'Alert thresholds for this unit\'s addresses (keys of engine.thresholds).' },
  },
} as const;

export const alertsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean', description: 'Decide and record alerts (the outbox); channels below send them.' },
    policy: { type: 'object', additionalProperties: false, properties: policyProperties },
    email: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', description: 'SMTP server; empty = no mail.' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        secure: { type: 'boolean', description: 'TLS from the first byte (port 465); otherwise STARTTLS when the server offers it.' },
        requireTLS: { type: 'boolean', description: 'Refuse to send when the server offers no STARTTLS.' },
        rejectUnauthorized: { type: 'boolean', description: 'Verify the server certificate (default true).' },
        caFile: { type: 'string', description: 'PEM file of the CA that signed the server certificate (private CA).' },
        user: { type: 'string' },
        password: { type: 'string' },
        from: { type: 'string', description: 'Sender address.' },
        to: { type: 'array', items: { type: 'string' }, description: 'The NOC\'s addresses.' },
        lang: { enum: ['en', 'zh-TW'], description: 'Language of the NOC\'s mails.' },
        maxPerHour: { type: 'integer', minimum: 1, description: 'Mails per recipient per hour; more become one digest.' },
        timeoutSeconds: { type: 'number', minimum: 1 },
      },
    },
    syslog: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', description: 'Syslog receiver (SIEM); empty = no syslog.' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        protocol: { enum: ['udp', 'tcp'] },
        facility: { type: 'integer', minimum: 0, maximum: 23, description: 'Syslog facility number (16 = local0).' },
        appName: { type: 'string' },
      },
    },
    webhook: {
      type: 'object',
      additionalProperties: false,
      properties: {
        url: { type: 'string', description: 'http(s) URL the alert is POSTed to; empty = no webhook.' },
        format: { enum: ['json', 'slack'], description: 'json: the alert document; slack: {text} for Slack/Mattermost.' },
        lang: { enum: ['en', 'zh-TW'] },
        timeoutSeconds: { type: 'number', minimum: 1 },
      },
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        initialSeconds: { type: 'number', minimum: 0.1, description: 'First back-off after a failed delivery; it doubles up to maxSeconds.' },
        maxSeconds: { type: 'number', minimum: 0.1 },
        giveUpHours: { type: 'number', minimum: 0.01, description: 'A delivery still failing this long after its alert is marked expired.' },
      },
    },
    pollSeconds: { type: 'number', minimum: 0.1, description: 'How often the outbox is looked at for due deliveries.' },
    onceWaitSeconds: { type: 'number', minimum: 0, description: '`watch --once` waits at most this long for deliveries before it exits.' },
    retentionDays: { type: 'number', minimum: 0, description: 'Keep delivered alerts this many days (0 = forever).' },
  },
} as const;

/** The alert condition and episode settings. */
export interface AlertPolicy {
  minWindows: number;
  minShareAbove: number;
  realertMinutes: number;
  endAfterWindows: number;
}

/** What a unit (engine.units[].alerts) may set for its own addresses. */
export interface UnitAlertRules extends Partial<AlertPolicy> {
  thresholds?: Record<string, number>;
}

export interface EmailConfig {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  rejectUnauthorized: boolean;
  caFile: string;
  user: string;
  password: string;
  from: string;
  to: string[];
  lang: 'en' | 'zh-TW';
  maxPerHour: number;
  timeoutSeconds: number;
}

export interface SyslogConfig {
  host: string;
  port: number;
  protocol: 'udp' | 'tcp';
  facility: number;
  appName: string;
}

export interface WebhookConfig {
  url: string;
  format: 'json' | 'slack';
  lang: 'en' | 'zh-TW';
  timeoutSeconds: number;
}

export interface AlertsConfig {
  enabled: boolean;
  policy: AlertPolicy;
  email: EmailConfig;
  syslog: SyslogConfig;
  webhook: WebhookConfig;
  retry: { initialSeconds: number; maxSeconds: number; giveUpHours: number };
  pollSeconds: number;
  onceWaitSeconds: number;
  retentionDays: number;
}

export const alertsDefaults: AlertsConfig = {
  enabled: true,
  policy: { minWindows: 2, minShareAbove: 0.5, realertMinutes: 60, endAfterWindows: 3 },
  email: {
    host: '', port: 587, secure: false, requireTLS: false, rejectUnauthorized: true, caFile: '', user: '', password: '', from: '', to: [], lang: 'en',
    maxPerHour: 30, timeoutSeconds: 20,
  },
  syslog: { host: '', port: 514, protocol: 'udp', facility: 16, appName: 'nocflow' },
  webhook: { url: '', format: 'json', lang: 'en', timeoutSeconds: 10 },
  retry: { initialSeconds: 10, maxSeconds: 600, giveUpHours: 24 },
  pollSeconds: 2,
  onceWaitSeconds: 20,
  retentionDays: 30,
};

/**
 * A bare mail address (no display name): local@domain with a dotted domain, nothing a header could be split on.
 * Pure. ("root@localhost" is refused on purpose: in an alert config it is a typo more often than a mailbox.)
 */
export function isMailAddress(text: string): boolean {
  if (typeof text !== 'string' || text.length > 254) return false;
  const m = /^([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64})@([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+)$/.exec(text);
  if (!m) return false;
  if (m[1].startsWith('.') || m[1].endsWith('.') || m[1].includes('..')) return false;
  return m[2].split('.').every((l) => !l.startsWith('-') && !l.endsWith('-'));
}

/** A host name or an IP address literal. Pure. */
export function isHostName(text: string): boolean {
  if (typeof text !== 'string' || text.length === 0 || text.length > 253) return false;
  try {
    parsePrefix(text);
    return true;
  } catch {
    // not an address: a DNS name then
  }
  return /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(text);
}

/** Why a webhook URL is unusable, or undefined when it is fine. The URL itself is never repeated (it may hold a token). */
export function webhookUrlProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `scheme ${u.protocol.replace(/:$/, '')} is not http or https`;
  if (!u.hostname) return 'no host';
  return undefined;
}

const isPort = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;

/**
 * What is wrong with the alerts configuration (and the units' alert keys) beyond the schema: one "path: reason" line
 * each, empty when it is fine. Pure over the config; never repeats a password or a webhook URL.
 */
export function checkAlertsConfig(cfg: { alerts?: Partial<AlertsConfig>; engine?: Partial<EngineConfig> }): string[] {
  const out: string[] = [];
  const a = cfg.alerts ?? {};
  const e = a.email;
  const units = cfg.engine?.units ?? [];
  const unitContacts = units.some((u) => (u.contacts ?? []).length > 0);
  if (e) {
    const configured = !!e.host;
    if (e.host && !isHostName(e.host)) out.push(`alerts.email.host: ${JSON.stringify(e.host)} is not a host name or address`);
    if (e.port !== undefined && !isPort(e.port)) out.push(`alerts.email.port: ${JSON.stringify(e.port)} is not a port (1-65535)`);
    if (configured && !e.from) out.push('alerts.email.from: not set (mail needs a sender address)');
    if (e.from && !isMailAddress(e.from)) out.push(`alerts.email.from: ${JSON.stringify(e.from)} is not a mail address`);
    (e.to ?? []).forEach((t, i) => {
      if (!isMailAddress(t)) out.push(`alerts.email.to[${i}]: ${JSON.stringify(t)} is not a mail address`);
    });
    if (configured && (e.to ?? []).length === 0 && !unitContacts) out.push('alerts.email.to: no recipients (and no unit has contacts)');
    if (!configured && ((e.to ?? []).length > 0 || unitContacts)) out.push('alerts.email.host: not set, so no mail is sent to the recipients configured');
    if (e.user && !e.password) out.push('alerts.email.password: a user is set without a password');
    if (e.password && !e.user) out.push('alerts.email.user: a password is set without a user');
    if (e.secure && e.port === 587) out.push('alerts.email.secure: true on port 587 (the STARTTLS port); use 465 for TLS from the first byte, or secure false');
  }
  const s = a.syslog;
  if (s) {
    if (s.host && !isHostName(s.host)) out.push(`alerts.syslog.host: ${JSON.stringify(s.host)} is not a host name or address`);
    if (s.port !== undefined && !isPort(s.port)) out.push(`alerts.syslog.port: ${JSON.stringify(s.port)} is not a port (1-65535)`);
    if (s.protocol !== undefined && s.protocol !== 'udp' && s.protocol !== 'tcp') out.push(`alerts.syslog.protocol: ${JSON.stringify(s.protocol)} is not udp or tcp`);
    if (s.appName !== undefined && !/^[!-~]{1,48}$/.test(s.appName)) out.push('alerts.syslog.appName: 1-48 printable ASCII characters, no spaces (RFC 5424 APP-NAME)');
  }
  const w = a.webhook;
  if (w?.url) {
    const p = webhookUrlProblem(w.url);
    if (p) out.push(`alerts.webhook.url: ${p}`);
  }
  const r = a.retry;
  if (r && r.initialSeconds !== undefined && r.maxSeconds !== undefined && r.initialSeconds > r.maxSeconds) out.push('alerts.retry.initialSeconds: larger than retry.maxSeconds');
  units.forEach((u, i) => {
    // The unit's prefix and name are the engine section's to check (checkEngineConfig); these are the alerts' fields.
    const at = `engine.units[${i}]`;
    (u.contacts ?? []).forEach((c, j) => {
      if (!isMailAddress(c)) out.push(`${at}.contacts[${j}]: ${JSON.stringify(c)} is not a mail address`);
    });
    if (u.lang !== undefined && u.lang !== 'en' && u.lang !== 'zh-TW') out.push(`${at}.lang: ${JSON.stringify(u.lang)} is not en or zh-TW`);
    const unknown = resolveThresholds(u.alerts?.thresholds ?? {}).unknown;
    for (const k of unknown) out.push(`${at}.alerts.thresholds.${k}: not a threshold key (see src/engine/rules.ts)`);
  });
  return out;
}
