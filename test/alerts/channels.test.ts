import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailChannel } from '../../src/alerts/channels/email.js';
import { ChannelError } from '../../src/alerts/channels/errors.js';
import { createSyslogChannel } from '../../src/alerts/channels/syslog.js';
import { createWebhookChannel } from '../../src/alerts/channels/webhook.js';
import { redactorFor } from '../../src/alerts/redact.js';
import { alertsDefaults, type EmailConfig } from '../../src/config/sections/alerts.js';
import { freeTcpPort, makeCert, startHttp, startSmtp, startSyslog, type SmtpReceiver } from '../helpers/receivers.js';

const PASSWORD = 'pw-Zq81-never-shown';
let cert: Awaited<ReturnType<typeof makeCert>>;
let smtp: SmtpReceiver;
const mail = (over: Partial<EmailConfig> = {}): EmailConfig => ({ ...alertsDefaults.email, host: '127.0.0.1', port: smtp.port, from: 'nocflow@noc.example', to: ['noc@noc.example'], user: 'noc', password: PASSWORD, caFile: cert.certFile, timeoutSeconds: 5, ...over });
const redact = (e: EmailConfig) => redactorFor({ email: e, webhook: alertsDefaults.webhook });
const msg = { subject: '[nocflow] 測試', text: '※攻擊者：192.0.2.1\n第二行', messageId: '0123456789abcdef-a@noc.example', headers: { 'X-Nocflow-Alert-Id': '0123456789abcdef-a' } };

beforeAll(async () => {
  cert = await makeCert();
  smtp = await startSmtp({ tls: cert, auth: { user: 'noc', password: PASSWORD }, rejectRcpt: /^nobody@/ });
}, 30_000);
afterAll(async () => {
  await smtp.close();
});

describe('email over SMTP (smtp-server on loopback)', () => {
  it('STARTTLS offered → used, login, Message-ID and the id header as given, UTF-8 body intact', async () => {
    const c = mail();
    const ch = createMailChannel(c, redact(c));
    await ch.send('noc@noc.example', msg);
    ch.close();
    const got = smtp.mails.at(-1)!;
    expect(got.secure).toBe(true);
    expect(got.user).toBe('noc');
    expect(got.to).toEqual(['noc@noc.example']);
    expect(got.headers['message-id']).toBe('<0123456789abcdef-a@noc.example>');
    expect(got.headers['x-nocflow-alert-id']).toBe('0123456789abcdef-a');
    expect(got.headers.subject).toBe('[nocflow] 測試');
    expect(got.body.trim()).toBe('※攻擊者：192.0.2.1\n第二行');
  });

  it('a certificate the config does not trust is refused (retried later), and the error has no password', async () => {
    const c = mail({ caFile: '' });
    const ch = createMailChannel(c, redact(c));
    const err = (await ch.send('noc@noc.example', msg).catch((e: unknown) => e)) as ChannelError;
    ch.close();
    expect(err).toBeInstanceOf(ChannelError);
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/self.signed|certificate/i);
    expect(err.message).not.toContain(PASSWORD);
  });

  it('a wrong password is retried (the operator may fix it) and never echoed; a refused recipient is final', async () => {
    const c = mail({ password: `${PASSWORD}-wrong` });
    const ch = createMailChannel(c, redact(c));
    const err = (await ch.send('noc@noc.example', msg).catch((e: unknown) => e)) as ChannelError;
    ch.close();
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/EAUTH|535|Invalid/);
    expect(err.message).not.toContain(PASSWORD);
    expect(smtp.logins.at(-1)!.password).toBe(`${PASSWORD}-wrong`);
    const ok = mail();
    const ch2 = createMailChannel(ok, redact(ok));
    const refused = (await ch2.send('nobody@noc.example', msg).catch((e: unknown) => e)) as ChannelError;
    ch2.close();
    expect(refused.permanent).toBe(true);
    expect(refused.message).toMatch(/550/);
  });

  it('nothing listening: connection refused, not permanent', async () => {
    const c = mail({ port: await freeTcpPort() });
    const ch = createMailChannel(c, redact(c));
    const err = (await ch.send('noc@noc.example', msg).catch((e: unknown) => e)) as ChannelError;
    ch.close();
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/ECONNREFUSED|connection refused/);
  });
});

describe('syslog (real UDP and TCP listeners)', () => {
  it.each(['udp', 'tcp'] as const)('%s: each line arrives whole and parses as RFC 5424', async (protocol) => {
    const rx = await startSyslog(protocol);
    const ch = createSyslogChannel({ ...alertsDefaults.syslog, host: '127.0.0.1', port: rx.port, protocol });
    const line = (id: string) => `<132>1 2026-11-22T14:10:00.000Z h nocflow 1 ${id} [alert@32473 id="${id}" ip="192.0.2.1" unit="台大 \\"x\\""] \ufeff台大 scan 192.0.2.1`;
    await ch.send([line('aaaa-a'), line('bbbb-a')]);
    await new Promise((r) => setTimeout(r, 200));
    await rx.close();
    expect(rx.messages.map((m) => m.msgId)).toEqual(['aaaa-a', 'bbbb-a']);
    expect(rx.messages[0].sd['alert@32473']).toEqual({ id: 'aaaa-a', ip: '192.0.2.1', unit: '台大 "x"' });
    expect(rx.messages[0].msg).toBe('台大 scan 192.0.2.1');
  });

  it('tcp with nothing listening fails (retried)', async () => {
    const ch = createSyslogChannel({ ...alertsDefaults.syslog, host: '127.0.0.1', port: await freeTcpPort(), protocol: 'tcp' });
    const err = (await ch.send(['<134>1 - - - - - - x']).catch((e: unknown) => e)) as ChannelError;
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/^syslog tcp 127\.0\.0\.1:\d+: connection refused/);
  });
});

describe('webhook (node:http receiver)', () => {
  it('POSTs JSON with the id header; 2xx delivered, 5xx/429 retried, other 4xx final; the URL\'s token never in an error', async () => {
    const codes = [200, 503, 429, 400];
    const rx = await startHttp({ status: () => codes.shift() ?? 200 });
    const url = `http://127.0.0.1:${rx.port}/hooks/SECRET-T0KEN-123?sig=abc`;
    const cfg = { ...alertsDefaults.webhook, url, timeoutSeconds: 5 };
    const ch = createWebhookChannel(cfg, redactorFor({ email: alertsDefaults.email, webhook: cfg }));
    expect(await ch.send({ id: 'x-a', text: '台大' }, 'x-a')).toEqual({ status: 200 });
    const e503 = (await ch.send({ id: 'x-a' }, 'x-a').catch((e: unknown) => e)) as ChannelError;
    const e429 = (await ch.send({ id: 'x-a' }, 'x-a').catch((e: unknown) => e)) as ChannelError;
    const e400 = (await ch.send({ id: 'x-a' }, 'x-a').catch((e: unknown) => e)) as ChannelError;
    await rx.close();
    expect([e503.permanent, e429.permanent, e400.permanent]).toEqual([false, false, true]);
    expect(e503.message).toBe(`webhook http://127.0.0.1:${rx.port}/…: HTTP 503 no`);
    for (const e of [e503, e429, e400]) expect(e.message).not.toMatch(/SECRET|T0KEN|sig=/);
    expect(rx.requests[0]).toMatchObject({ method: 'POST', url: '/hooks/SECRET-T0KEN-123?sig=abc' });
    expect(rx.requests[0].headers['x-nocflow-alert-id']).toBe('x-a');
    expect(rx.requests[0].headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(rx.requests[0].body)).toEqual({ id: 'x-a', text: '台大' });
    const closed = (await ch.send({}, 'y').catch((e: unknown) => e)) as ChannelError;
    expect(closed.permanent).toBe(false);
    expect(closed.message).not.toMatch(/SECRET/);
    const gone = { ...cfg, url: `http://127.0.0.1:${await freeTcpPort()}/hooks/SECRET-T0KEN-123` };
    const down = (await createWebhookChannel(gone, redactorFor({ email: alertsDefaults.email, webhook: gone })).send({}, 'y').catch((e: unknown) => e)) as ChannelError;
    expect(down.permanent).toBe(false);
    expect(down.message).toMatch(/^webhook http:\/\/127\.0\.0\.1:\d+\/…: connection refused \(ECONNREFUSED\)$/);
  });
});
