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
