/**
 * Keeping credentials out of everything the alerts area says (pure): the mail password and user, and the webhook
 * URL's path, query and user info (a Slack or Mattermost hook URL is itself the secret). Every error text, log line,
 * status and listing goes through `redact` before it is stored or shown.
 */
import type { AlertsConfig } from '../config/sections/alerts.js';

const MASK = '********';

/** The webhook URL as it may be shown: scheme, host and port only. */
export function safeUrl(text: string): string {
  try {
    const u = new URL(text);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(webhook URL)';
  }
}

/** A function that masks every secret of the configuration in a text. */
export function redactorFor(cfg: Pick<AlertsConfig, 'email' | 'webhook'>): (text: string) => string {
  const secrets: [string, string][] = [];
  if (cfg.email.password) secrets.push([cfg.email.password, MASK]);
  if (cfg.webhook.url) {
    secrets.push([cfg.webhook.url, safeUrl(cfg.webhook.url)]);
    try {
      const u = new URL(cfg.webhook.url);
      const tail = `${u.pathname}${u.search}`;
      if (tail.length > 1) secrets.push([tail, '/…']);
      if (u.password) secrets.push([decodeURIComponent(u.password), MASK], [u.password, MASK]);
    } catch {
      // an unparsable URL is masked whole above
    }
  }
  // Longest first, so a URL is masked before the path inside it.
  secrets.sort((a, b) => b[0].length - a[0].length);
  return (text: string) => {
    let out = String(text);
    for (const [s, m] of secrets) if (s.length >= 3) out = out.split(s).join(m);
    // user:password@ in any URL-looking text
    return out.replace(/(\/\/)[^/@\s:]+:[^/@\s]+@/g, '$1***@');
  };
}
