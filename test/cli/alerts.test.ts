/**
 * `nocflow alerts`, `nocflow alerts test` and `nocflow watch --once` as an operator runs them (built CLI, private
 * config and data directories), against real receivers on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import { freeTcpPort, makeCert, startHttp, startSmtp, startSyslog, type HttpReceiver, type SmtpReceiver, type SyslogReceiver } from '../helpers/receivers.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const PASSWORD = 'cli-Pw-7731-zz';
const TOKEN = 'HOOKTOKEN-4451';

let cert: Awaited<ReturnType<typeof makeCert>>;
let mixed: string;
let smtp: SmtpReceiver;
let syslog: SyslogReceiver;
let http: HttpReceiver;

function workspace(alerts: Record<string, unknown>) {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-alerts-cli-'));
  const env = { NOCFLOW_CONFIG_DIR: path.join(base, 'config'), NOCFLOW_DATA_DIR: path.join(base, 'data'), NOCFLOW_RUNTIME_DIR: path.join(base, 'run'), NOCFLOW_SOCKET: path.join(base, 'run', 'engine.sock') };
  fs.mkdirSync(env.NOCFLOW_CONFIG_DIR, { recursive: true });
  fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({
    engine: { units: [{ prefix: '203.0.113.0/24', name: 'TKU', contacts: ['noc@tku.example'], lang: 'zh-TW' }] },
    alerts: { retry: { initialSeconds: 0.2, maxSeconds: 0.5 }, pollSeconds: 0.2, ...alerts },
  }), { mode: 0o600 });
  const nf = path.join(base, 'nfcapd');
  fs.mkdirSync(nf);
  const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false });
  return { base, env, nf, nocflow };
}

const channels = (ports: { smtp: number; syslog: number; http: number }) => ({
  email: { host: '127.0.0.1', port: ports.smtp, user: 'noc', password: PASSWORD, from: 'nocflow@twaren.example', to: ['noc@twaren.example'], caFile: cert.certFile, timeoutSeconds: 5 },
  syslog: { host: '127.0.0.1', port: ports.syslog, protocol: 'udp' },
  webhook: { url: `http://127.0.0.1:${ports.http}/hooks/${TOKEN}`, format: 'slack' },
});

beforeAll(async () => {
  cert = await makeCert();
  mixed = (await makeScenarioFile('mixed')).file;
  smtp = await startSmtp({ tls: cert, auth: { user: 'noc', password: PASSWORD } });
  syslog = await startSyslog('udp');
  http = await startHttp();
}, 240_000);
afterAll(async () => {
  await Promise.allSettled([smtp?.close(), syslog?.close(), http?.close()]);
});

describe('nocflow alerts test', () => {
  it('sends one test message to every channel and reports each; no credential in the output', async () => {
    const w = workspace(channels({ smtp: smtp.port, syslog: syslog.port, http: http.port }));
    const r = await w.nocflow('alerts', 'test', '--units');
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^ok {5}email noc@twaren\.example: sent, Message-ID <test-[0-9a-z]+@twaren\.example>, server: 250 /),
      expect.stringMatching(/^ok {5}email noc@tku\.example \[TKU\]: sent/),
      expect.stringMatching(new RegExp(`^ok {5}syslog udp 127\\.0\\.0\\.1:${syslog.port}: sent, MSGID test-[0-9a-z]+ \\(UDP: not acknowledged by the receiver\\)$`)),
      `ok     webhook http://127.0.0.1:${http.port}/…: HTTP 200, id ${/MSGID (test-[0-9a-z]+)/.exec(lines[2])![1]}`,
    ]);
    await new Promise((res) => setTimeout(res, 200));
    const id = /MSGID (test-[0-9a-z]+)/.exec(lines[2])![1];
    expect(smtp.mails.filter((m) => m.headers['x-nocflow-alert-id'] === id).map((m) => [m.to[0], m.headers.subject])).toEqual([
      ['noc@twaren.example', '[nocflow] test message'], ['noc@tku.example', '[nocflow] 測試訊息'],
    ]);
    expect(syslog.messages.find((m) => m.msgId === id)!.msg).toBe('nocflow alert test message: this channel works.');
    expect(JSON.parse(http.requests.at(-1)!.body).text).toContain(`alert id: ${id}`);
    expect(r.stdout + r.stderr).not.toMatch(new RegExp(`${PASSWORD}|${TOKEN}`));
  }, 60_000);

  it('a channel that is down is reported FAILED with why, exit 1; nothing configured exits 2', async () => {
    const down = workspace({ webhook: { url: `http://127.0.0.1:${await freeTcpPort()}/hooks/${TOKEN}` } });
    const r = await down.nocflow('alerts', 'test');
    expect(r.exitCode).toBe(1);
    expect(r.stdout.trim()).toMatch(/^FAILED webhook http:\/\/127\.0\.0\.1:\d+\/…: webhook http:\/\/127\.0\.0\.1:\d+\/…: connection refused \(ECONNREFUSED\)$/);
    expect(r.stderr).toMatch(/1 of 1 test message\(s\) failed/);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const none = await workspace({}).nocflow('alerts', 'test');
    expect(none.exitCode).toBe(2);
    expect(none.stdout).toMatch(/no alert channel is configured/);
  }, 60_000);
});

describe('nocflow watch --once delivers before it exits; nocflow alerts lists the states', () => {
  it('receivers down: bounded wait, the outbox keeps them; next run with receivers up delivers each exactly once', async () => {
    const ports = { smtp: await freeTcpPort(), syslog: syslog.port, http: await freeTcpPort() };
    const w = workspace({ ...channels(ports), onceWaitSeconds: 1.5 });
    fs.copyFileSync(mixed, path.join(w.nf, 'nfcapd.202611221400'));
    fs.copyFileSync(mixed, path.join(w.nf, 'nfcapd.202611221405'));
    const t0 = Date.now();
    const first = await w.nocflow('watch', w.nf, '--once');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(60_000);
    const lastLine = first.stdout.trim().split('\n').at(-1)!;
    // 5 alerts: 5 syslog datagrams went out; mail (5 NOC + 1 TKU) and webhook (5) wait in the outbox.
    expect(lastLine).toBe('alerts: 5 delivered, 11 still pending in the outbox (retried by the engine or the next watch)');
    expect(first.stderr).toMatch(/alerts: email failing: mail to noc@twaren\.example via 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)/);
    expect(first.stderr).not.toMatch(new RegExp(`${PASSWORD}|${TOKEN}`));

    const list = await w.nocflow('alerts', '--json');
    expect(list.exitCode, list.stderr).toBe(0);
    const alerts = JSON.parse(list.stdout) as { id: string; kind: string; ip: string; summary: string; deliveries: { channel: string; target: string; state: string; attempts: number; lastError: string | null }[]; doc?: unknown }[];
    expect(alerts).toHaveLength(5);
    expect(alerts[0].doc).toBeUndefined();
    const tku = alerts.find((a) => a.ip === '203.0.113.115')!;
    expect(tku.summary).toBe('Too many peers 203.0.113.115 (TKU): distinct destinations in 5 minutes: 8,000 (threshold 5,000, 1.6×)');
    expect(tku.deliveries.map((d) => `${d.channel}:${d.target}:${d.state}`)).toEqual(['email:noc@twaren.example:pending', 'email:noc@tku.example:pending', 'syslog::sent', 'webhook::pending']);
    expect(tku.deliveries[0].attempts).toBeGreaterThanOrEqual(1);
    expect(tku.deliveries[0].lastError).toMatch(/connection refused/);
    expect(list.stdout).not.toMatch(new RegExp(`${PASSWORD}|${TOKEN}`));
    const table = await w.nocflow('alerts');
    expect(table.stdout.split('\n')[0]).toMatch(/^WRITTEN \(UTC\) +ID +KIND +SEV +TYPE +IP +UNIT +DELIVERIES$/);
    expect(table.stdout).toMatch(new RegExp(`${tku.id} +alert +over +many-peers +203\\.0\\.113\\.115 +TKU +email noc@twaren\\.example pending ×\\d+, email noc@tku\\.example \\[TKU\\] pending ×\\d+, syslog sent, webhook pending ×\\d+`));
    expect(table.stdout).toMatch(/^ {4}email noc@twaren\.example: mail to noc@twaren\.example via 127\.0\.0\.1:\d+: connection refused/m);
    expect(table.stdout).not.toMatch(new RegExp(`${PASSWORD}|${TOKEN}`));
    const zh = await w.nocflow('alerts', '--lang', 'zh-TW');
    expect(zh.stdout).toMatch(/告警 +over +many-peers +203\.0\.113\.115 +TKU +email noc@twaren\.example 待送/);

    // The receivers come up on the configured ports; the next watch (no new file) delivers the outbox.
    const smtp2 = await startSmtp({ port: ports.smtp, tls: cert, auth: { user: 'noc', password: PASSWORD } });
    const http2 = await startHttp({ port: ports.http });
    try {
      const second = await w.nocflow('watch', w.nf, '--once');
      expect(second.exitCode, second.stderr).toBe(0);
      expect(second.stdout.trim()).toBe('alerts: 11 delivered, 0 still pending in the outbox (retried by the engine or the next watch)');
      const third = await w.nocflow('watch', w.nf, '--once');
      expect(third.stdout.trim()).toBe('');
      const ids = alerts.map((a) => a.id).sort();
      expect(smtp2.mails.filter((m) => m.to[0] === 'noc@twaren.example').map((m) => m.headers['x-nocflow-alert-id']).sort()).toEqual(ids);
      expect(smtp2.mails.filter((m) => m.to[0] === 'noc@tku.example').map((m) => m.headers['x-nocflow-alert-id'])).toEqual([tku.id]);
      expect(smtp2.mails.find((m) => m.to[0] === 'noc@tku.example')!.headers.subject).toBe('[nocflow] 連線對象過多 203.0.113.115 (TKU)');
      expect(http2.requests.map((q) => q.headers['x-nocflow-alert-id']).sort()).toEqual(ids);
      expect(JSON.parse(http2.requests[0].body).text).toMatch(/^\*\[nocflow\] /);
      const after = JSON.parse((await w.nocflow('alerts', '--json', '--full')).stdout) as { deliveries: { state: string }[]; doc: { anomaly: unknown } }[];
      expect(after.flatMap((a) => a.deliveries.map((d) => d.state))).toEqual(Array(16).fill('sent'));
      expect(after[0].doc.anomaly).toBeDefined();
    } finally {
      await smtp2.close();
      await http2.close();
    }
  }, 240_000);
});
