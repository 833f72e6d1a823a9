import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { startGobgpd, type ManagedGobgpd } from '../../src/flowspec/gobgp.js';
import { createFlowspecArea } from '../../src/flowspec/area.js';
import { flowspecDefaults, type FlowspecConfig } from '../../src/config/sections/flowspec.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { openDb } from '../../src/store/db.js';
import { freeTcpPort } from '../../src/gen/demo-bgp.js';

/**
 * Entry-point mitigation through real BGP: the engine's managed gobgpd (127.0.0.1) peers with three router gobgpd
 * (127.0.0.2, .3, .4). Each router's RIB is read back as JSON (`gobgp -j`): it must hold exactly the rules meant for
 * it — after announcing, after a withdrawal, after our gobgpd restarts and is reconciled, and after the engine
 * restarts on the same database.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-bgp3-'));
const ROUTERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
let cfg: FlowspecConfig;
const routerProcs: { stop(): Promise<void> }[] = [];
const routerApi: number[] = [];
const dbFile = path.join(dir, 'nocflow.db');
const alice = { user: 'alice' };

/** A router's FlowSpec RIB as JSON: NLRI → the communities it arrived with. */
async function rib(i: number): Promise<Record<string, number[]>> {
  const r = await execa('gobgp', ['-p', String(routerApi[i]), 'global', 'rib', '-a', 'ipv4-flowspec', '-j'], { reject: false });
  const t = String(r.stdout).trim();
  if (!t || t === 'null') return {};
  const json = JSON.parse(t) as Record<string, { attrs: { type: number; communities?: number[] }[] }[]>;
  return Object.fromEntries(Object.entries(json).map(([nlri, paths]) => [nlri, paths[0].attrs.find((a) => a.type === 8)?.communities ?? []]));
}

/** Every router's RIB once it settles on `want` (NLRI lists per router), or after 5 s. */
async function ribs(want: string[][]): Promise<string[][]> {
  let got: string[][] = [];
  for (let k = 0; k < 100; k++) {
    got = await Promise.all(ROUTERS.map(async (_r, i) => Object.keys(await rib(i)).sort()));
    if (JSON.stringify(got) === JSON.stringify(want.map((w) => [...w].sort()))) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  return got;
}

async function established(apiPort: number, n: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const r = await execa('gobgp', ['-p', String(apiPort), 'neighbor'], { reject: false });
    if ((String(r.stdout).match(/Establ/g) ?? []).length === n) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('BGP sessions did not establish');
}

async function engineArea() {
  const area = createFlowspecArea(cfg, { db: openDb(dbFile), dataDir: dir, latestFiles: () => [], source: createNfdumpSource(), inside: [] });
  await area.start();
  await established(cfg.apiPort, 3);
  return area;
}

beforeAll(async () => {
  const speakerPort = await freeTcpPort();
  const apiPort = await freeTcpPort();
  const ports = await Promise.all(ROUTERS.map((r) => freeTcpPort(r)));
  for (let i = 0; i < 3; i++) {
    routerApi.push(await freeTcpPort());
    const router: ManagedGobgpd = { routerId: ROUTERS[i], as: 65002 + i, listenAddress: ROUTERS[i], listenPort: ports[i], apiHost: '127.0.0.1', apiPort: routerApi[i], neighbors: [{ address: '127.0.0.1', as: 65001, port: speakerPort }] };
    routerProcs.push(await startGobgpd(router, path.join(dir, `router${i}`)));
  }
  cfg = {
    ...flowspecDefaults, enabled: true, mode: 'managed', routerId: '127.0.0.1', as: 65001, listenAddress: '127.0.0.1', listenPort: speakerPort, apiHost: '127.0.0.1', apiPort,
    maxChangesPerMinute: 1000, reconcileSeconds: 3600,
    neighbors: ROUTERS.map((address, i) => ({ address, as: 65002 + i, port: ports[i], name: `router-${'abc'[i]}`, entries: [{ exporter: `10.0.0.${i + 1}` }] })),
  };
}, 60_000);
afterAll(async () => {
  for (const p of routerProcs) await p.stop();
});

describe('entry-point mitigation with three gobgpd peers', () => {
  const A = '[destination: 192.0.2.10/32][protocol: ==tcp][destination-port: ==80]';
  const AB = '[destination: 192.0.2.11/32][protocol: ==udp]';
  const ALL = '[source: 198.51.100.7/32]';
  const C = '[destination: 192.0.2.12/32]';

  it('each router holds exactly its rules, also after a withdrawal, a reconcile and an engine restart', async () => {
    let area = await engineArea();
    const add = (rule: Record<string, unknown>) => area.handlers['block.add']({ rule, reason: 'test' }, alice);
    await add({ destination: '192.0.2.10', protocol: 'tcp', destinationPort: 80, action: 'rate-limit', bytesPerSecond: 1000, neighbors: ['127.0.0.2'] });
    await add({ destination: '192.0.2.11', protocol: 'udp', action: 'rate-limit', bytesPerSecond: 1000, neighbors: ['127.0.0.3', '127.0.0.2'] });
    await add({ source: '198.51.100.7' });
    const c = (await add({ destination: '192.0.2.12', action: 'rate-limit', bytesPerSecond: 5000, neighbors: ['127.0.0.4'] })) as { id: number; text: string; routers: string[] };
    expect(c.routers).toEqual(['127.0.0.4']);
    expect(c.text).toMatch(/ at 127\.0\.0\.4$/);
    const want = [[A, AB, ALL], [AB, ALL], [ALL, C]];
    expect(await ribs(want)).toEqual(want.map((w) => [...w].sort()));
    // The steering communities stay inside: the routers receive none of them.
    for (let i = 0; i < 3; i++) for (const communities of Object.values(await rib(i))) expect(communities).toEqual([]);

    // Withdrawing a targeted rule takes it away where it was.
    await area.handlers['block.remove']({ id: c.id }, alice);
    const after = [[A, AB, ALL], [AB, ALL], [ALL]];
    expect(await ribs(after)).toEqual(after.map((w) => [...w].sort()));

    // Our gobgpd dies and comes back empty (the engine restarts it with the same generated policy): reconcile.
    await area.stop();
    expect(await ribs([[], [], []])).toEqual([[], [], []]);
    area = await engineArea();
    expect(await ribs(after)).toEqual(after.map((w) => [...w].sort()));
    expect(await area.service!.reconcile()).toEqual({ announced: 0, withdrawn: 0 });

    // A route nobody asked for (a manual add on our speaker) is withdrawn by the reconcile, and nothing else changes.
    await execa('gobgp', ['-p', String(cfg.apiPort), 'global', 'rib', '-a', 'ipv4-flowspec', 'add', 'match', 'destination', '192.0.2.99/32', 'then', 'discard']);
    await ribs([[...after[0], '[destination: 192.0.2.99/32]'], [...after[1], '[destination: 192.0.2.99/32]'], [...after[2], '[destination: 192.0.2.99/32]']]);
    expect(await area.service!.reconcile()).toEqual({ announced: 0, withdrawn: 1 });
    expect(await ribs(after)).toEqual(after.map((w) => [...w].sort()));
    await area.stop();
  }, 120_000);

  it('refuses a rule for a router that is not a neighbour, and targeting without entries', async () => {
    const area = await engineArea();
    await expect(area.handlers['block.add']({ rule: { destination: '192.0.2.20', neighbors: ['127.0.0.9'] } }, alice)).rejects.toThrow(/not a configured neighbour: 127\.0\.0\.9/);
    await area.stop();
    const plain = createFlowspecArea({ ...cfg, mode: 'external' }, { db: openDb(':memory:'), dataDir: dir, latestFiles: () => [], source: createNfdumpSource(), inside: [] });
    await plain.start();
    await expect(plain.handlers['block.add']({ rule: { destination: '192.0.2.20', neighbors: ['127.0.0.2'] } }, alice)).rejects.toThrow(/needs flowspec\.mode managed/);
    await plain.stop();
  }, 60_000);
});
