import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
const ME = os.userInfo().username;
import { createGobgpSpeaker, startGobgpd, type ManagedGobgpd } from '../../src/flowspec/gobgp.js';
import { connectEngine } from '../../src/daemon/client.js';
import type { BlockChangedEvent, FlowspecStatus } from '../../src/flowspec/area.js';
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
const peer = createGobgpSpeaker({ apiHost: '127.0.0.1', apiPort: router.apiPort, learned: true });
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

describe('FlowSpec from the CLI through the engine', { timeout: 150_000 }, () => {
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

  it('every change reaches a second operator\'s client as block.changed: add, extend, remove, expiry, panic, restore', async () => {
    const watcher = await connectEngine({ socketPath: env.NOCFLOW_SOCKET, reconnect: false });
    const seen: BlockChangedEvent[] = [];
    watcher.on('block.changed', (d) => seen.push(d as BlockChangedEvent));
    const until = async (action: string, ms = 15_000) => {
      for (let t = Date.now(); Date.now() - t < ms; ) {
        if (seen.some((e) => e.actions.includes(action))) return seen.find((e) => e.actions.includes(action))!;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no block.changed with ${action}; saw ${JSON.stringify(seen)}`);
    };
    try {
      expect((await nocflow('block', '198.51.100.40', '--ttl', '1h')).exitCode).toBe(0);
      const added = await until('announce');
      expect(added.blockIds).toHaveLength(1);
      expect((await nocflow('extend', String(added.blockIds[0]), '30m')).exitCode).toBe(0);
      await until('extend');
      expect((await nocflow('unblock', '198.51.100.40')).exitCode).toBe(0);
      expect((await until('withdraw')).blockIds).toEqual(added.blockIds);
      // Expiry: nobody asks; the engine's own timer (reconcileSeconds 5) withdraws it, and says so.
      expect((await nocflow('block', '198.51.100.41', '--ttl', '1s')).exitCode).toBe(0);
      await until('expire', 20_000);
      expect(await rib(0)).toEqual([]);
      expect((await nocflow('block', '198.51.100.42', '--ttl', '1h')).exitCode).toBe(0);
      expect((await nocflow('panic')).exitCode).toBe(0);
      expect((await until('panic')).actions).toEqual(['panic', 'panic-withdraw']);
      expect((await nocflow('panic', '--restore')).exitCode).toBe(0);
      await until('restore');
      expect(await rib(1)).toEqual(['[source: 198.51.100.42/32]']);
      expect((await nocflow('unblock', '198.51.100.42')).exitCode).toBe(0);
      expect(await rib(0)).toEqual([]);
    } finally {
      watcher.close();
    }
  });

  it('--dst: a bare discard of a destination is refused without --yes, and announced with it', async () => {
    const bare = await nocflow('block', '198.51.100.50', '--dst');
    expect(bare.exitCode).toBe(4);
    expect(bare.stderr).toMatch(/refused: a bare discard of victim 198\.51\.100\.50 .*--yes/);
    expect(await rib(0)).toEqual([]);
    const yes = await nocflow('block', '198.51.100.50', '--dst', '--yes');
    expect(yes.exitCode, yes.stderr).toBe(0);
    expect(await rib(1)).toEqual(['[destination: 198.51.100.50/32]']);
    const narrowed = await nocflow('block', '198.51.100.51', '--dst', '--proto', 'udp', '--dport', '123');
    expect(narrowed.exitCode, narrowed.stderr).toBe(0);
    expect(await rib(2)).toHaveLength(2);
    for (const t of ['198.51.100.50', '198.51.100.51']) expect((await nocflow('unblock', t)).exitCode).toBe(0);
    expect(await rib(0)).toEqual([]);
  });

  it('a managed gobgpd killed with -9 is restarted, reconciled (the router has the block again) and reported', async () => {
    expect((await nocflow('block', '198.51.100.60', '--ttl', '1h')).exitCode).toBe(0);
    expect(await rib(1)).toEqual(['[source: 198.51.100.60/32]']);
    const status = async () => JSON.parse((await nocflow('engine', 'status', '--json')).stdout) as { areas: { flowspec: FlowspecStatus } };
    const before = (await status()).areas.flowspec.speaker;
    expect(before).toMatchObject({ managed: true, up: true, restarts: 0 });
    process.kill(before.pid!, 'SIGKILL');
    let after = before;
    for (let i = 0; i < 200 && after.restarts === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await status()).areas.flowspec.speaker;
    }
    expect(after).toMatchObject({ up: true, restarts: 1, lastExit: { signal: 'SIGKILL' } });
    expect(after.pid).not.toBe(before.pid);
    // The new gobgpd peers with the router again and the block is re-announced.
    let r: string[] = [];
    for (let i = 0; i < 300 && r.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = (await peer.list())[4];
    }
    expect(r).toEqual(['[source: 198.51.100.60/32]']);
    const text = await nocflow('engine', 'status');
    expect(text.stdout).toMatch(/flowspec: managed gobgpd pid \d+ up, restarted 1 time\(s\) \(last exit SIGKILL/);
    expect((await nocflow('unblock', '198.51.100.60')).exitCode).toBe(0);
    expect(await rib(0)).toEqual([]);
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
