import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
const ME = os.userInfo().username;
import { createGobgpSpeaker, startGobgpd, type ManagedGobgpd } from '../../src/flowspec/gobgp.js';
import { generateScenario } from '../../src/gen/index.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

/**
 * The whole path an operator uses: `nocflow block` → engine socket → block service → our (engine-managed) gobgpd →
 * BGP → the router peer's RIB; then unblock, the audit, and a restarted engine reconciling.
 */
const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const base = 41000 + Math.floor(Math.random() * 10000);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-fsengine-'));
const env = { NOCFLOW_CONFIG_DIR: path.join(work, 'config'), NOCFLOW_DATA_DIR: path.join(work, 'data'), NOCFLOW_SOCKET: path.join(work, 'engine.sock'), SSH_CONNECTION: '203.0.113.50 50000 192.0.2.1 22' };
const router: ManagedGobgpd = { routerId: '127.0.0.2', as: 65002, listenAddress: '127.0.0.2', listenPort: base + 2, apiHost: '127.0.0.1', apiPort: base + 3, neighbors: [{ address: '127.0.0.1', as: 65001, port: base }] };
const peer = createGobgpSpeaker({ apiHost: '127.0.0.1', apiPort: router.apiPort });
let routerProc: { stop(): Promise<void> };
let engine: ResultPromise | undefined;

const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false });

async function startEngine(): Promise<void> {
  engine = execa('node', [BIN, 'engine', '--dir', path.join(work, 'nfcapd')], { env, reject: false, stdin: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const r = await nocflow('engine', 'status', '--json');
    if (r.exitCode === 0) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  // Wait for the BGP session of the engine's gobgpd.
  for (let i = 0; i < 300; i++) {
    const r = await execa('gobgp', ['-p', String(router.apiPort), 'neighbor'], { reject: false });
    if (/Establ/.test(String(r.stdout))) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('engine gobgpd did not peer');
}
async function stopEngine(): Promise<void> {
  engine?.kill('SIGTERM');
  await engine;
  engine = undefined;
}
async function rib(expectCount: number): Promise<string[]> {
  let r = (await peer.list())[4];
  for (let i = 0; i < 60 && r.length !== expectCount; i++) {
    await new Promise((res) => setTimeout(res, 50));
    r = (await peer.list())[4];
  }
  return r;
}

beforeAll(async () => {
  routerProc = await startGobgpd(router, path.join(work, 'router'));
  const set = (k: string, v: unknown) => nocflow('config', 'set', k, JSON.stringify(v));
  await set('flowspec', {
    enabled: true, mode: 'managed', apiHost: '127.0.0.1', apiPort: base + 1, routerId: '127.0.0.1', as: 65001, listenAddress: '127.0.0.1', listenPort: base,
    neighbors: [{ address: '127.0.0.2', as: 65002, port: base + 2 }], protectedPrefixes: ['192.0.2.0/24'], reconcileSeconds: 5,
  });
  await startEngine();
}, 90_000);
afterAll(async () => {
  await stopEngine();
  await routerProc?.stop();
});

describe('FlowSpec from the CLI through the engine', () => {
  it('block, list, refuse, unblock, audit', async () => {
    const b = await nocflow('block', '198.51.100.7', '--proto', 'tcp', '--dport', '22', '--ttl', '30m', '--reason', 'ssh brute force');
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stdout).toMatch(new RegExp(`#1 active\\s+ipv4 src 198\\.51\\.100\\.7/32 tcp dport 22 → discard\\s+by ${ME}`));
    expect(await rib(1)).toEqual(['[source: 198.51.100.7/32][protocol: ==tcp][destination-port: ==22]']);
    const list = JSON.parse((await nocflow('blocks', '--json')).stdout);
    expect(list).toHaveLength(1);
    expect(list[0].expiresAt - list[0].createdAt).toBe(30 * 60_000);
    const refused = await nocflow('block', '192.0.2.53');
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toMatch(/refused: destination|refused: source 192\.0\.2\.53\/32 overlaps protected prefix 192\.0\.2\.0\/24/);
    const bad = await nocflow('block', '198.51.100.7/33');
    expect(bad.exitCode).toBe(4);
    expect(bad.stderr).toMatch(/prefix length 33/);
    expect(await rib(1)).toHaveLength(1);
    const e = await nocflow('extend', '1', '1h');
    expect(e.exitCode, e.stderr).toBe(0);
    const after = JSON.parse((await nocflow('blocks', '--json')).stdout);
    expect(after[0].expiresAt - after[0].createdAt).toBe(90 * 60_000);
    const u = await nocflow('unblock', '198.51.100.7', '--reason', 'done');
    expect(u.exitCode).toBe(0);
    expect(await rib(0)).toEqual([]);
    const audit = JSON.parse((await nocflow('audit', '--json')).stdout) as { who: string; origin?: string; action: string }[];
    expect(audit.map((x) => x.action)).toEqual(['withdraw', 'extend', 'refused', 'announce']);
    // The OS user and the SSH origin of the operator's session (from the client's hello).
    expect(audit.every((x) => x.who === ME && x.origin === env.SSH_CONNECTION)).toBe(true);
  });

  it('blocks --json: what a rule matched in each window since its announcement, from the files the engine reads', async () => {
    const b = await nocflow('block', '203.0.113.115', '--proto', 'tcp', '--dport', '22', '--ttl', '1h');
    expect(b.exitCode, b.stderr).toBe(0);
    const id = Number(/#(\d+)/.exec(b.stdout)![1]);
    // The SSH attacker's next window (a generated file through the real collector).
    const { file, truth } = await makeScenarioFile('ssh-attacker', { scale: 0.2 });
    const now = new Date();
    const name = `nfcapd.${now.toISOString().slice(0, 16).replace(/[-T:]/g, '')}`;
    fs.copyFileSync(file, path.join(work, 'nfcapd', name));
    const flows = generateScenario('ssh-attacker', { seed: truth.seed, scale: truth.scale, base: truth.base }).flows.filter((f) => f.src === '203.0.113.115' && f.proto === 6 && f.dport === 22);
    let row: { id: number; effect: { timeSlot: number; flows: number; packets: number; bytes: number; twoWayFlows: number }[]; matched: { flows: number } | null } | undefined;
    for (let i = 0; i < 100 && !row?.effect.length; i++) {
      await new Promise((r) => setTimeout(r, 200));
      row = (JSON.parse((await nocflow('blocks', '--json')).stdout) as NonNullable<typeof row>[]).find((x) => x.id === id);
    }
    expect(row!.effect).toEqual([{
      timeSlot: Math.floor((Math.floor(now.getTime() / 60_000) * 60 + 150) / 300), start: Math.floor(now.getTime() / 60_000) * 60, seconds: 300,
      flows: flows.length, packets: flows.reduce((s, f) => s + f.packets, 0), bytes: flows.reduce((s, f) => s + f.bytes, 0), twoWayFlows: 0, oneWayFlows: flows.length,
    }]);
    expect(flows.length).toBeGreaterThan(1000);
    expect(row!.matched).toMatchObject({ flows: flows.length });
    const text = await nocflow('blocks');
    expect(text.stdout).toContain(`last window: ${flows.length} flows, ${flows.reduce((s, f) => s + f.packets, 0)} packets (0 two-way)`);
    expect((await nocflow('unblock', String(id))).exitCode).toBe(0);
  });

  it('a restarted engine re-announces what the store holds', async () => {
    expect((await nocflow('block', '198.51.100.9', '--ttl', '1h')).exitCode).toBe(0);
    expect(await rib(1)).toHaveLength(1);
    await stopEngine(); // its gobgpd goes down with it: the router loses the route
    expect(await rib(0)).toEqual([]);
    await startEngine();
    expect(await rib(1)).toEqual(['[source: 198.51.100.9/32]']);
    const p = await nocflow('panic', '--reason', 'test');
    expect(p.stdout).toMatch(/1 rule\(s\) withdrawn/);
    expect(await rib(0)).toEqual([]);
  });
});
