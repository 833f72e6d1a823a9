/** The channels the configuration asks for, each created on first use (an unconfigured channel is absent). */
import type { AlertsConfig } from '../../config/sections/alerts.js';
import type { ChannelSet } from '../delivery.js';
import { createMailChannel, type MailChannel } from './email.js';
import { createSyslogChannel, type SyslogChannel } from './syslog.js';
import { createWebhookChannel, type WebhookChannel } from './webhook.js';

/** The configured channels and a `close` for the mail connection. */
export function channelsFrom(cfg: AlertsConfig, redact: (s: string) => string): ChannelSet & { close(): void } {
  let mail: MailChannel | undefined;
  let syslog: SyslogChannel | undefined;
  let webhook: WebhookChannel | undefined;
  return {
    ...(cfg.email.host ? { email: () => (mail ??= createMailChannel(cfg.email, redact)) } : {}),
    ...(cfg.syslog.host ? { syslog: () => (syslog ??= createSyslogChannel(cfg.syslog)) } : {}),
    ...(cfg.webhook.url ? { webhook: () => (webhook ??= createWebhookChannel(cfg.webhook, redact)) } : {}),
    close() {
      mail?.close();
      mail = undefined;
    },
  };
}
