/**
 * The engine socket against a REAL engine process (`node bin/nocflow.js engine`, built dist/) with private config,
 * data and runtime directories; files land in its nfcapd directory the way nfcapd delivers them (rename).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { connectEngine, type EngineConnection } from '../../src/daemon/client.js';
import { CORE_METHODS, type EngineEvents, type EngineStatus, type ViewWindow } from '../../src/daemon/methods.js';
import { isAlive } from '../../src/daemon/server.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');


const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-engine-'));
const nfDir = path.join(base, 'nfcapd');
const runDir = path.join(base, 'run');
const sock = path.join(runDir, 'engine.sock');
const env = { NOCFLOW_CONFIG_DIR: path.join(base, 'config'), NOCFLOW_DATA_DIR: path.join(base, 'data'), NOCFLOW_RUNTIME_DIR: runDir };
fs.mkdirSync(env.NOCFLOW_CONFIG_DIR, { recursive: true });
fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({ engine: { pollSeconds: 0.2 } }));

const engines: ResultPromise[] = [];
function startEngine(): ResultPromise {
  const p = execa('node', [BIN, 'engine', '--dir', nfDir, '--interval', '300'], { env, reject: false, stdin: 'ignore' });
  engines.push(p);
  return p;
}
async function waitFor(cond: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
/** Deliver a file the way nfcapd does: written elsewhere, then renamed into place. */
function land(src: string, name: string): string {
  const tmp = path.join(nfDir, `.${name}.tmp`);
  fs.copyFileSync(src, tmp);
  fs.renameSync(tmp, path.join(nfDir, name));
  return path.join(nfDir, name);
}

/** A raw connection speaking lines, to test the protocol itself. */
async function raw(): Promise<{ send(line: string): void; next(): Promise<Record<string, unknown>>; close(): void }> {
  const s = net.connect(sock);
  await new Promise<void>((res, rej) => s.once('connect', res).once('error', rej));
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (c: string) => {
    buf += c;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  return {
    send: (line) => s.write(`${line}\n`),
    next: () => new Promise((res) => {
      const l = lines.shift();
      if (l !== undefined) res(JSON.parse(l));
      else waiters.push((x) => res(JSON.parse(x)));
    }),
    close: () => s.destroy(),
  };
}

let first: ResultPromise;
const conns: EngineConnection[] = [];
/** A generated spoofed DDoS window (through a real nfcapd): the victim, its port, the flows. */
let DDOS: { file: string; victim: string; port: number; flows: number };

beforeAll(async () => {
  const g = await makeScenarioFile('spoofed-ddos', { scale: 0.1 });
  DDOS = { file: g.file, victim: g.truth.planted[0].ip, port: g.truth.planted[0].dport!, flows: g.truth.flows };
  fs.mkdirSync(nfDir, { recursive: true });
  first = startEngine();
  await waitFor(() => isAlive(sock), 30_000, 'engine socket');
});

afterAll(async () => {
  for (const c of conns) c.close();
  for (const e of engines) if (e.exitCode === null) e.kill('SIGKILL');
  await Promise.allSettled(engines);
});

describe('engine socket (real process)', () => {
  it('socket 0660 in a 0750 directory, pid file names the engine', () => {
    expect(fs.statSync(sock).mode & 0o777).toBe(0o660);
    expect(fs.statSync(runDir).mode & 0o777).toBe(0o750);
    expect(Number(fs.readFileSync(`${sock}.pid`, 'utf8'))).toBe(first.pid);
  });

  it('protocol: hello first, version checked, unknown method and bad JSON answered, connection survives', async () => {
    const c = await raw();
    c.send(JSON.stringify({ v: 1, id: 1, method: 'engine.status' }));
    expect(await c.next()).toMatchObject({ id: 1, error: { code: 'NO_HELLO' } });
    c.send(JSON.stringify({ v: 1, id: 2, method: 'hello', params: { user: 'alice', version: 2 } }));
    expect(await c.next()).toMatchObject({ id: 2, error: { code: 'VERSION' } });
    c.send(JSON.stringify({ v: 2, id: 3, method: 'hello', params: { user: 'alice' } }));
    expect(await c.next()).toMatchObject({ id: 3, error: { code: 'VERSION' } });
    c.send(JSON.stringify({ v: 1, id: 4, method: 'hello', params: { user: 'alice', version: 1, sshConnection: '192.0.2.9 50000 192.0.2.1 22' } }));
    expect(await c.next()).toEqual({ v: 1, id: 4, result: { version: 1, pid: first.pid } });
    c.send('{this is not json');
    expect(await c.next()).toMatchObject({ id: 0, error: { code: 'BAD_JSON' } });
    c.send('[1,2,3]');
    expect(await c.next()).toMatchObject({ error: { code: 'BAD_JSON' } });
    c.send(JSON.stringify({ v: 1, id: 5, method: 'no.such.method' }));
    expect(await c.next()).toMatchObject({ id: 5, error: { code: 'NO_METHOD' } });
    c.send(JSON.stringify({ v: 1, id: 6, method: 'toString' }));
    expect(await c.next()).toMatchObject({ id: 6, error: { code: 'NO_METHOD' } });
    c.send(JSON.stringify({ v: 1, id: 7, method: 'anomalies.history', params: { ip: '1.2.3.4 or any' } }));
    expect(await c.next()).toMatchObject({ id: 7, error: { code: 'BAD_PARAMS' } });
    c.send(JSON.stringify({ v: 1, id: 8, method: 'engine.status' }));
    const st = (await c.next()) as { id: number; result: EngineStatus };
    expect(st.id).toBe(8);
    expect(st.result.pid).toBe(first.pid);
    expect(st.result.nfcapdDir).toBe(nfDir);
    c.close();
  });

  it('engine.methods lists every core method of the catalogue', async () => {
    const c = await connectEngine({ socketPath: sock, reconnect: false });
    const methods = await c.call<string[]>('engine.methods');
    c.close();
    for (const m of CORE_METHODS) expect(methods).toContain(m);
  });

  it('a landed nfcapd file pushes a window event to two clients, who then see the same state', async () => {
    const a = await connectEngine({ socketPath: sock });
    const b = await connectEngine({ socketPath: sock });
    conns.push(a, b);
    const seen: { a: EngineEvents['window'][]; b: EngineEvents['window'][] } = { a: [], b: [] };
    a.on('window', (d) => seen.a.push(d as EngineEvents['window']));
    b.on('window', (d) => seen.b.push(d as EngineEvents['window']));
    const file = land(DDOS.file, 'nfcapd.202611221405');
    await waitFor(() => seen.a.length > 0 && seen.b.length > 0, 30_000, 'window events');
    expect(seen.a[0]).toEqual(seen.b[0]);
    expect(seen.a[0].file).toBe(file);
    const flows = (await execa('nfdump', ['-r', file, '-q', '-o', 'pipe'], { env: { TZ: 'UTC' } })).stdout.split('\n').filter((l) => /^\d/.test(l)).length;
    expect(seen.a[0].flows).toBe(flows);
    expect(flows).toBe(DDOS.flows);
    const [wa, wb] = await Promise.all([a.call<ViewWindow>('windows.latest'), b.call<ViewWindow>('windows.latest')]);
    expect(wa).toEqual(wb);
    expect(wa.flows).toBe(flows);
    expect(wa.anomalies.length).toBe(seen.a[0].anomalies);
    expect(wa.anomalies.find((x) => x.ip === DDOS.victim)).toMatchObject({ role: 'victim', type: 'port-ddos-victim' });
    expect(wa.anomalies[0].history).toHaveLength(12);
    // The same window by slot, by offset and by the operator's text.
    expect((await a.call<ViewWindow>('windows.get', { timeSlot: wa.window.timeSlot })).flows).toBe(flows);
    expect((await a.call<ViewWindow>('windows.get', { offset: 0 })).window).toEqual(wa.window);
    expect(await a.call('windows.get', { offset: -5 })).toBeNull();
    expect((await a.call<ViewWindow>('windows.get', { time: wa.window.start * 1000 + 1000 })).window).toEqual(wa.window);
    const st = await a.call<EngineStatus>('engine.status');
    expect(st.processed).toBe(1);
    expect(st.flows).toBe(flows);
    expect(st.clients).toBeGreaterThanOrEqual(2);
    expect(st.latestWindow?.timeSlot).toBe(wa.window.timeSlot);

    // A verdict set by one operator reaches the other, with who set it.
    const changed: unknown[] = [];
    b.on('verdict.changed', (d) => changed.push(d));
    const victim = wa.anomalies.find((x) => x.ip === DDOS.victim)!;
    await a.call('verdict.set', { ip: victim.ip, type: victim.type, reason: 'lab \u001b[31mtest' });
    await waitFor(() => changed.length > 0, 5000, 'verdict.changed');
    const verdicts = await b.call<{ ip: string; reason: string; who: string }[]>('verdict.list');
    expect(verdicts).toEqual([expect.objectContaining({ ip: DDOS.victim, reason: 'lab test', who: os.userInfo().username })]);
    expect((await b.call<ViewWindow>('windows.latest')).anomalies.find((x) => x.ip === DDOS.victim)?.verdict?.reason).toBe('lab test');

    // A file nfdump cannot read is reported and skipped.
    const errors: unknown[] = [];
    a.on('file-error', (d) => errors.push(d));
    fs.writeFileSync(path.join(nfDir, '.bad'), 'garbage '.repeat(200));
    fs.renameSync(path.join(nfDir, '.bad'), path.join(nfDir, 'nfcapd.202611221410'));
    await waitFor(() => errors.length > 0, 30_000, 'file-error');
    expect(errors).toEqual([{ file: path.join(nfDir, 'nfcapd.202611221410'), reason: expect.stringMatching(/short read|bad magic/i) }]);
    const after = await a.call<EngineStatus>('engine.status');
    expect([after.failed, after.processed]).toEqual([1, 1]);
    expect(after.ledger).toEqual({ started: 0, done: 1, failed: 1, deferred: 0, quarantined: 0 });
    expect(after.recentErrors.map((e) => e.path)).toEqual([path.join(nfDir, 'nfcapd.202611221410')]);
  });

  it('investigate over the socket: progress, then a result that agrees with nfdump; history from the store', async () => {
    const c = await connectEngine({ socketPath: sock });
    conns.push(c);
    const progress: EngineEvents['investigate.progress'][] = [];
    let result: EngineEvents['investigate.result'] | undefined;
    c.on('investigate.progress', (d) => progress.push(d as EngineEvents['investigate.progress']));
    c.on('investigate.result', (d) => (result = d as EngineEvents['investigate.result']));
    const w = await c.call<ViewWindow>('windows.latest');
    const from = w.window.start * 1000 - 600_000;
    const { id } = await c.call<{ id: number }>('investigate.start', { target: DDOS.victim, from, to: from + 3_600_000 });
    await waitFor(() => result?.id === id, 30_000, 'investigate.result');
    const file = path.join(nfDir, 'nfcapd.202611221405');
    const n = (await execa('nfdump', ['-r', file, '-q', '-o', 'pipe', `host ${DDOS.victim}`], { env: { TZ: 'UTC' } })).stdout.split('\n').filter((l) => /^\d/.test(l)).length;
    expect(n).toBeGreaterThan(1000);
    expect(result!.summary!.flows).toBe(n);
    expect(result!.summary!.topPorts[0].port).toBe(DDOS.port);
    expect(result!.history.map((h) => h.anomaly.type)).toContain('port-ddos-victim');
    expect(result!.current?.anomalies.map((a) => a.ip)).toContain(DDOS.victim);
    expect(progress.filter((p) => p.id === id).at(-1)).toMatchObject({ filesDone: 2, filesTotal: 2 });
    expect(result!.summary!.skipped).toHaveLength(1);
    await expect(c.call('investigate.start', { target: '10.0.0.0/8; rm -rf /' })).rejects.toMatchObject({ code: 'BAD_PARAMS' });
  });

  it('a second engine refuses to start while one runs', async () => {
    const r = await execa('node', [BIN, 'engine', '--dir', nfDir], { env, reject: false, timeout: 30_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/already running/);
    expect(await isAlive(sock)).toBe(true);
  });

  it('a client reconnects after an engine restart and says so; a stale socket and pid file are cleaned', async () => {
    const c = await connectEngine({ socketPath: sock });
    conns.push(c);
    const states: string[] = [];
    c.on('connection', (s) => states.push(String(s)));
    let reconnected = 0;
    c.on('reconnected', () => reconnected++);
    // Kill hard: the socket file and pid file stay behind, as after a crash.
    first.kill('SIGKILL');
    await first;
    await waitFor(() => states.includes('reconnecting'), 10_000, 'reconnecting');
    expect(fs.existsSync(sock)).toBe(true);
    await expect(c.call('engine.status')).rejects.toMatchObject({ code: 'DISCONNECTED' });
    const second = startEngine();
    await waitFor(() => reconnected > 0, 30_000, 'reconnected');
    expect(states.at(-1)).toBe('connected');
    const st = await c.call<EngineStatus>('engine.status');
    expect(st.pid).toBe(second.pid);
    // State survived the restart: the ledger remembers both files.
    expect((await c.call<ViewWindow>('windows.latest')).flows).toBe(DDOS.flows);
    // ... and the new engine did not read either file again.
    expect(st).toMatchObject({ processed: 0, failed: 0, ledger: { done: 1, failed: 1 } });
    expect(Number(fs.readFileSync(`${sock}.pid`, 'utf8'))).toBe(second.pid);
  });

  it('engine status / stop from the CLI', async () => {
    const st = await execa('node', [BIN, 'engine', 'status', '--json'], { env, reject: false });
    expect(st.exitCode).toBe(0);
    const status = JSON.parse(st.stdout) as EngineStatus;
    // The engine restarted above: nothing processed since, both files settled in the ledger, nothing held.
    expect(status).toMatchObject({ processed: 0, failed: 0, flows: 0, ledger: { done: 1, failed: 1, deferred: 0, quarantined: 0 }, held: [] });
    expect(status.latestWindow).toMatchObject({ flows: DDOS.flows });
    const human = await execa('node', [BIN, 'engine', 'status'], { env, reject: false });
    expect(human.stdout).toContain('ledger: 1 done, 1 failed, 0 deferred, 0 quarantined');
    expect(human.stdout).toMatch(/failed: .*nfcapd\.202611221410: /);
    const stop = await execa('node', [BIN, 'engine', 'stop'], { env, reject: false });
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`engine ${status.pid} stopped`));
    expect(fs.existsSync(sock)).toBe(false);
    expect(fs.existsSync(`${sock}.pid`)).toBe(false);
    const again = await execa('node', [BIN, 'engine', 'status'], { env, reject: false });
    expect(again.exitCode).toBe(3);
    expect((await execa('node', [BIN, 'engine', 'stop'], { env, reject: false })).exitCode).toBe(3);
  });

  it('autostart without an nfcapd directory says why no engine could start', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-noengine-'));
    const saved = { ...process.env };
    Object.assign(process.env, { NOCFLOW_CONFIG_DIR: path.join(other, 'c'), NOCFLOW_DATA_DIR: path.join(other, 'd'), NOCFLOW_RUNTIME_DIR: path.join(other, 'r') });
    try {
      await expect(connectEngine({ socketPath: path.join(other, 'r', 'engine.sock'), autostart: true })).rejects.toMatchObject({
        code: 'NO_ENGINE',
        message: expect.stringMatching(/nfcapdDir is not set/),
      });
    } finally {
      process.env = saved;
    }
  });

  it('engine start runs it in the background with a log in the data dir; a client with autostart needs none running', async () => {
    const started = await execa('node', [BIN, 'engine', 'start', '--dir', nfDir], { env, reject: false, timeout: 30_000 });
    expect(started.exitCode).toBe(0);
    expect(await isAlive(sock)).toBe(true);
    expect(fs.existsSync(path.join(env.NOCFLOW_DATA_DIR, 'engine.log'))).toBe(true);
    const stop = await execa('node', [BIN, 'engine', 'stop'], { env, reject: false });
    expect(stop.exitCode).toBe(0);
    // Autostart: the client starts the engine itself (the directory comes from the config file here).
    fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({ engine: { pollSeconds: 0.2, nfcapdDir: nfDir } }));
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const c = await connectEngine({ socketPath: sock, autostart: true, reconnect: false });
      const s = await c.call<EngineStatus>('engine.status');
      c.close();
      expect(s.nfcapdDir).toBe(nfDir);
      process.kill(s.pid, 'SIGTERM');
      await waitFor(() => !fs.existsSync(sock), 10_000, 'engine exit');
    } finally {
      process.env = saved;
    }
  });
});
