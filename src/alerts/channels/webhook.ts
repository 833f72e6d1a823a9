/**
 * Webhook: the alert POSTed as JSON (the alert document, or `{text}` for Slack/Mattermost). 2xx is delivered; 408,
 * 429 and 5xx are retried by the outbox; any other 4xx is a refusal for good. Errors name the URL's origin only —
 * a hook URL carries its token in the path.
 */
import type { WebhookConfig } from '../../config/sections/alerts.js';
import { safeUrl } from '../redact.js';
import { ChannelError, socketReason } from './errors.js';

/** A webhook channel. */
export interface WebhookChannel {
  /** POST one body; `id` goes in the X-Nocflow-Alert-Id header. Resolves to the HTTP status. */
  send(body: Record<string, unknown>, id: string): Promise<{ status: number }>;
}

/** Create the channel. */
export function createWebhookChannel(cfg: WebhookConfig, redact: (s: string) => string): WebhookChannel {
  const shown = safeUrl(cfg.url);
  return {
    async send(body, id) {
      let res: Response;
      try {
        res = await fetch(cfg.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'nocflow-alerts', 'x-nocflow-alert-id': id },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(cfg.timeoutSeconds * 1000),
          redirect: 'error',
        });
      } catch (err) {
        const e = err as { name?: string };
        const why = e.name === 'TimeoutError' ? `no answer within ${cfg.timeoutSeconds} s` : socketReason(err);
        throw new ChannelError('webhook', redact(`webhook ${shown}: ${why}`), false, { cause: err });
      }
      // Drain the body so the connection is reused or closed.
      const text = await res.text().catch(() => '');
      if (res.ok) return { status: res.status };
      const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      throw new ChannelError('webhook', redact(`webhook ${shown}: HTTP ${res.status}${text ? ` ${text.slice(0, 120).replace(/\s+/g, ' ')}` : ''}`), permanent);
    },
  };
}
