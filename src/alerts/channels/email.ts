/**
 * Mail over SMTP through nodemailer: STARTTLS whenever the server offers it (or TLS from the first byte with
 * `secure`), certificates verified (a private CA through `caFile`), authentication when a user is set. One message
 * per call; the caller chooses Message-ID and headers (the alert id), so a retry carries the same id.
 */
import fs from 'node:fs';
import type { Transporter } from 'nodemailer';
import type { EmailConfig } from '../../config/sections/alerts.js';
import type { MailValue } from '../messages.js';
import { ChannelError, socketReason } from './errors.js';

/** A mail channel. */
export interface MailChannel {
  /** Send one mail to one address; resolves to the server's answer. */
  send(to: string, m: MailValue): Promise<{ response: string }>;
  close(): void;
}

/** Create the channel (no connection until the first send). `redact` cleans error texts. */
export function createMailChannel(cfg: EmailConfig, redact: (s: string) => string): MailChannel {
  let ca: string | undefined;
  if (cfg.caFile) {
    try {
      ca = fs.readFileSync(cfg.caFile, 'utf8');
    } catch (err) {
      throw new ChannelError('email', `alerts.email.caFile ${cfg.caFile}: ${(err as Error).message}`, false, { cause: err });
    }
  }
  const timeout = cfg.timeoutSeconds * 1000;
  // nodemailer is loaded on the first mail, not with every CLI command (it costs a quarter second to import).
  let transport: Promise<Transporter> | undefined;
  const open = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: cfg.host,
        port: cfg.port,
        secure: cfg.secure,
        requireTLS: cfg.requireTLS,
        ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password } } : {}),
        tls: { rejectUnauthorized: cfg.rejectUnauthorized, ...(ca ? { ca } : {}) },
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        logger: false,
        debug: false,
      })));
  return {
    async send(to, m) {
      try {
        const info = await (await open()).sendMail({ from: cfg.from, to, subject: m.subject, text: m.text, messageId: `<${m.messageId}>`, headers: m.headers });
        return { response: redact(String(info.response ?? '')) };
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
        // A 5xx refusal of the recipient or the message is final; anything else (connection, TLS, login, 4xx) may
        // succeed later (a fixed password, a server back up).
        const permanent = (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && typeof e.responseCode === 'number' && e.responseCode >= 500;
        const why = e.responseCode ? `${e.code ?? 'SMTP'} ${e.response ?? e.message ?? ''}` : e.code && e.code !== 'ESOCKET' && e.code !== 'ECONNECTION' ? `${e.code}: ${e.message ?? ''}` : socketReason(err);
        throw new ChannelError('email', redact(`mail to ${to} via ${cfg.host}:${cfg.port}: ${why}`.trim()), permanent, { cause: err });
      }
    },
    close() {
      void transport?.then((t) => t.close(), () => undefined);
      transport = undefined;
    },
  };
}
