/**
 * `nocflow engine` as an operator runs it (real processes, built dist/): a second engine refuses to start before any
 * area does (no second gobgpd), and `engine stop` signals only a process that is the engine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { EngineStatus } from '../../src/daemon/methods.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-enginecli-'));
const children: ResultPromise[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.allSettled(children);
});

/** A private config/data directory; `flowspec` managed with its own API port when given. */
function setup(name: string, flowspec?: { apiPort: number; listenPort: number }, run = 'run'): Record<string, string> {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  const config: Record<string, unknown> = { engine: { pollSeconds: 0.5 } };
  if (flowspec) {
    config.flowspec = { enabled: true, mode: 'managed', apiHost: '127.0.0.1', apiPort: flowspec.apiPort, routerId: '127.0.0.1', as: 65001, listenAddress: '127.0.0.1', listenPort: flowspec.listenPort, neighbors: [] };
  }
  fs.writeFileSync(path.join(dir, 'config', 'config.json'), JSON.stringify(config));
  return { NOCFLOW_CONFIG_DIR: path.join(dir, 'config'), NOCFLOW_DATA_DIR: path.join(dir, 'data'), NOCFLOW_SOCKET: path.join(work, run, 'engine.sock') };
}
const nocflow = (env: Record<string, string>, ...args: string[]) => execa('node', [BIN, ...args], { env, reject: false, stdin: 'ignore', timeout: 60_000 });
const listening = (port: number) =>
  new Promise<boolean>((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });
async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('nocflow engine (real processes)', () => {
  it('a second engine on the same socket exits 2 without starting a gobgpd (the pid file comes before any area)', async () => {
    const port = 30000 + Math.floor(Math.random() * 20000);
    const first = setup('first', { apiPort: port, listenPort: port + 2 });
    const e1 = execa('node', [BIN, 'engine', '--dir', path.join(work, 'nfcapd')], { env: first, reject: false, stdin: 'ignore' });
    children.push(e1);
    await waitFor(async () => (await nocflow(first, 'engine', 'status')).exitCode === 0, 60_000, 'the first engine');
    expect(await listening(port)).toBe(true); // its gobgpd's API

    const second = setup('second', { apiPort: port + 1, listenPort: port + 3 });
    const e2 = await nocflow(second, 'engine', '--dir', path.join(work, 'nfcapd'));
    expect(e2.exitCode).toBe(2);
    expect(e2.stderr).toMatch(new RegExp(`an engine \\(pid ${e1.pid}\\) is already running`));
    // No gobgpd was configured, started or left listening by the second engine.
    expect(fs.existsSync(path.join(second.NOCFLOW_DATA_DIR, 'gobgpd'))).toBe(false);
    expect(await listening(port + 1)).toBe(false);

    const stop = await nocflow(first, 'engine', 'stop');
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toBe(`engine ${e1.pid} stopped`);
    await e1;
    expect(await listening(port)).toBe(false); // its gobgpd went with it
  }, 120_000);

  it('engine status counts what the reader said about a landed file, each client, and drops a client that stops reading', async () => {
    const env = setup('status', undefined, 'run-status');
    fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({ engine: { pollSeconds: 0.3 }, limits: { clientBufferBytes: 65536 } }));
    const nf = path.join(work, 'nfcapd-status');
    fs.mkdirSync(nf, { recursive: true });
    const e = execa('node', [BIN, 'engine', '--dir', nf], { env, reject: false, stdin: 'ignore' });
    children.push(e);
    await waitFor(async () => (await nocflow(env, 'engine', 'status')).exitCode === 0, 60_000, 'the engine');
    const { file } = await makeScenarioFile('syn-scan');
    fs.copyFileSync(file, path.join(nf, '.tmp'));
    fs.renameSync(path.join(nf, '.tmp'), path.join(nf, 'nfcapd.202611221405'));
    const status = async () => JSON.parse((await nocflow(env, 'engine', 'status', '--json')).stdout) as EngineStatus;
    await waitFor(async () => (await status()).processed === 1, 60_000, 'the window');
    const st = await status();
    expect(st.reading).toMatchObject({ files: 1, records: st.flows, skippedRecords: 0, partialFiles: 0 });
    expect(st.reading!.recent[0]).toMatchObject({ file: path.join(nf, 'nfcapd.202611221405'), records: st.flows });
    expect(st.reading!.exporters.map((x) => x.ip)).toEqual(['127.0.0.1']); // the generator's one exporter

    // A client that hangs: it sends a thousand requests and never reads an answer.
    const hung = net.connect(env.NOCFLOW_SOCKET);
    await new Promise((r) => hung.once('connect', r));
    hung.pause();
    const lines = [JSON.stringify({ v: 1, id: 1, method: 'hello', params: { user: 'mallory', pid: 31337 } })];
    for (let i = 2; i < 3000; i++) lines.push(JSON.stringify({ v: 1, id: i, method: 'engine.methods' }));
    hung.write(`${lines.join('\n')}\n`);
    let after = await status();
    for (let i = 0; i < 100 && after.server!.dropped === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await status();
    }
    expect(after.server).toMatchObject({ dropped: 1, lastDropped: { user: 'mallory', pid: 31337 } });
    // The engine answers everyone else; its status lists the asking client with its counts.
    expect(after.clientList!.map((c) => c.user)).toEqual([os.userInfo().username.replace(/[^\w.@-]/g, '')]);
    const text = (await nocflow(env, 'engine', 'status')).stdout;
    expect(text).toMatch(/^reading: 1 file\(s\) \(native 1\), [\d,]+ records, 0 skipped, 0 partial, 0 via nfdump$/m);
    expect(text).toMatch(/^clients: 1 connected, \d+ since start, .* 1 dropped for not reading \(last: mallory pid 31337, [\d.]+ KiB unread/m);
    hung.destroy();
    expect((await nocflow(env, 'engine', 'stop')).exitCode).toBe(0);
  }, 180_000);

  it('without --interval the rotation is inferred from the file names (1-minute files: lag against 60 s, not 300)', async () => {
    const env = setup('rotation', undefined, 'run-rotation');
    const nf = path.join(work, 'nfcapd-rotation');
    fs.mkdirSync(nf, { recursive: true });
    const { file } = await makeScenarioFile('syn-scan');
    for (const m of ['05', '06', '07']) fs.linkSync(file, path.join(nf, `nfcapd.2026112214${m}`));
    const e = execa('node', [BIN, 'engine', '--dir', nf], { env, reject: false, stdin: 'ignore' });
    children.push(e);
    await waitFor(async () => (await nocflow(env, 'engine', 'status')).exitCode === 0, 60_000, 'the engine');
    let st = JSON.parse((await nocflow(env, 'engine', 'status', '--json')).stdout) as EngineStatus;
    for (let i = 0; i < 100 && st.lagSeconds === null; i++) {
      await new Promise((r) => setTimeout(r, 200));
      st = JSON.parse((await nocflow(env, 'engine', 'status', '--json')).stdout) as EngineStatus;
    }
    expect(st.rotation).toEqual({ seconds: 60, inferred: true });
    // Lag: now minus the end of the newest file's minute (14:07 + 60 s), within the time the calls took.
    const want = (Date.now() - (Date.UTC(2026, 10, 22, 14, 7) + 60_000)) / 1000;
    expect(Math.abs(st.lagSeconds! - want)).toBeLessThan(30);
    expect((await nocflow(env, 'engine', 'status')).stdout).toContain('(rotation 60 s, inferred from the file names)');
    expect((await nocflow(env, 'engine', 'stop')).exitCode).toBe(0);
  }, 120_000);

  it('engine stop refuses a pid file naming another program (a reused pid) and signals nothing', async () => {
    const env = setup('stale', undefined, 'run-stale');
    const other = execa('sleep', ['60'], { reject: false });
    children.push(other);
    fs.mkdirSync(path.dirname(env.NOCFLOW_SOCKET), { recursive: true });
    fs.writeFileSync(`${env.NOCFLOW_SOCKET}.pid`, `${other.pid}\n`);
    const r = await nocflow(env, 'engine', 'stop');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`names pid ${other.pid}, which is not a nocflow engine .*nothing was signalled`));
    await new Promise((res) => setTimeout(res, 200));
    expect(other.exitCode).toBeNull();
    other.kill('SIGKILL');
  });
});
