/**
 * Nothing lost, nothing doubled, across a kill -9 of a REAL engine process (`node bin/nocflow.js engine`, built
 * dist/): windows land while the mail and webhook receivers are down; the engine retries, is killed with SIGKILL;
 * the receivers come up and a new engine delivers every alert exactly once, recognisable by its id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { isAlive } from '../../src/daemon/server.js';
import type { EngineStatus } from '../../src/daemon/methods.js';
import type { AlertsStatus } from '../../src/alerts/area.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import { freeTcpPort, makeCert, startHttp, startSmtp, waitFor, type HttpReceiver, type SmtpReceiver } from '../helpers/receivers.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const PASSWORD = 'k9-Pw-never-logged-55';
const TOKEN = 'K9HOOK-TOKEN-77';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-alerts-engine-'));
const nfDir = path.join(base, 'nfcapd');
const runDir = path.join(base, 'run');
const sock = path.join(runDir, 'engine.sock');
const env = { NOCFLOW_CONFIG_DIR: path.join(base, 'config'), NOCFLOW_DATA_DIR: path.join(base, 'data'), NOCFLOW_RUNTIME_DIR: runDir, NOCFLOW_SOCKET: sock };
const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false });

const engines: ResultPromise[] = [];
const logs: string[] = [];
function startEngine(): ResultPromise {
  const p = execa('node', [BIN, 'engine', '--dir', nfDir], { env, reject: false, stdin: 'ignore', all: true });
  p.all?.on('data', (c: Buffer) => logs.push(c.toString('utf8')));
  engines.push(p);
  return p;
}
function land(src: string, name: string): void {
  const tmp = path.join(nfDir, `.${name}.tmp`);
  fs.copyFileSync(src, tmp);
  fs.renameSync(tmp, path.join(nfDir, name));
}
interface ListedAlert { id: string; ip: string; deliveries: { channel: string; target: string; state: string; attempts: number }[] }
async function listed(): Promise<ListedAlert[]> {
  const r = await nocflow('alerts', '--json', '--limit', '100');
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as ListedAlert[];
}

let mixed: string;
let cert: Awaited<ReturnType<typeof makeCert>>;
const ports = { smtp: 0, http: 0 };
let smtp: SmtpReceiver | undefined;
let http: HttpReceiver | undefined;

beforeAll(async () => {
  mixed = (await makeScenarioFile('mixed')).file;
  cert = await makeCert();
  ports.smtp = await freeTcpPort();
  ports.http = await freeTcpPort();
  fs.mkdirSync(nfDir, { recursive: true });
  fs.mkdirSync(env.NOCFLOW_CONFIG_DIR, { recursive: true });
  fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({
    engine: { pollSeconds: 0.2, units: [{ prefix: '203.0.113.0/24', name: 'TKU', contacts: ['noc@tku.example'] }] },
    alerts: {
      email: { host: '127.0.0.1', port: ports.smtp, user: 'noc', password: PASSWORD, from: 'nocflow@twaren.example', to: ['noc@twaren.example'], caFile: cert.certFile, timeoutSeconds: 5 },
      webhook: { url: `http://127.0.0.1:${ports.http}/hooks/${TOKEN}`, format: 'json' },
      retry: { initialSeconds: 0.5, maxSeconds: 1 },
      pollSeconds: 0.2,
    },
  }), { mode: 0o600 });
}, 240_000);

afterAll(async () => {
  for (const e of engines) if (e.exitCode === null) e.kill('SIGKILL');
  await Promise.allSettled(engines);
  await Promise.allSettled([smtp?.close(), http?.close()]);
});

describe('outbox across kill -9 of a real engine', () => {
  it('receivers down → retries → SIGKILL → receivers up → a new engine delivers each alert exactly once', async () => {
    const first = startEngine();
    await waitFor(() => isAlive(sock), 60_000, 'engine socket');
    land(mixed, 'nfcapd.202611221400');
    land(mixed, 'nfcapd.202611221405');
    // Five alerts in the outbox, each delivery tried and failed at least twice.
    await waitFor(async () => {
      const a = await listed();
      return a.length === 5 && a.every((x) => x.deliveries.every((d) => d.state === 'pending' && d.attempts >= 2));
    }, 120_000, 'five alerts retried while the receivers are down');
    const st = JSON.parse((await nocflow('engine', 'status', '--json')).stdout) as EngineStatus;
    const alerts = st.areas!.alerts as AlertsStatus;
    expect(alerts).toMatchObject({ alerts: 5, sent: 0, pending: 5 * 2 + 1, openEpisodes: 5 });
    expect(alerts.sinceStart.failedAttempts).toBeGreaterThanOrEqual(2);
    expect(alerts.lastError).toMatch(/connection refused/);
    const text = await nocflow('engine', 'status');
    expect(text.stdout).toMatch(/^alerts: 5 in the outbox, 5 open episode\(s\); channels: email 127\.0\.0\.1:\d+; webhook http:\/\/127\.0\.0\.1:\d+\/… \(json\)$/m);
    expect(text.stdout).toMatch(/^deliveries: 0 sent, 11 pending, 0 rejected, 0 expired; since start 0 sent, \d+ failed attempts, 0 digest\(s\)$/m);
    expect(text.stdout).toMatch(/^last delivery error \(.+ UTC\): .*connection refused/m);
    const ids = (await listed()).map((a) => a.id).sort();

    first.kill('SIGKILL');
    expect((await first).signal).toBe('SIGKILL');

    smtp = await startSmtp({ port: ports.smtp, tls: cert, auth: { user: 'noc', password: PASSWORD } });
    http = await startHttp({ port: ports.http });
    const second = startEngine();
    await waitFor(() => isAlive(sock), 60_000, 'second engine socket');
    await waitFor(async () => (await listed()).every((a) => a.deliveries.every((d) => d.state === 'sent')), 60_000, 'every delivery sent');
    await new Promise((res) => setTimeout(res, 2000)); // several more delivery passes: nothing may come twice
    const noc = smtp.mails.filter((m) => m.to[0] === 'noc@twaren.example').map((m) => m.headers['x-nocflow-alert-id']).sort();
    expect(noc).toEqual(ids);
    expect(smtp.mails.filter((m) => m.to[0] === 'noc@tku.example')).toHaveLength(1);
    expect(http.requests.map((r) => r.headers['x-nocflow-alert-id']).sort()).toEqual(ids);
    expect(http.requests.map((r) => (JSON.parse(r.body) as { id: string }).id).sort()).toEqual(ids);
    // The same alerts, not new ones: the restarted engine decided nothing again.
    expect((await listed()).map((a) => a.id).sort()).toEqual(ids);
    const after = (JSON.parse((await nocflow('engine', 'status', '--json')).stdout) as EngineStatus).areas!.alerts as AlertsStatus;
    expect(after).toMatchObject({ alerts: 5, sent: 11, pending: 0 });
    expect(after.sinceStart.sent).toBe(11);

    second.kill('SIGTERM');
    await second;
    // Credentials never reached the engine's log, its status or the listing.
    const everything = logs.join('') + JSON.stringify(st) + text.stdout + JSON.stringify(await listed());
    expect(everything).toMatch(/alerts: email failing/);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(TOKEN);
  }, 360_000);
});
