/**
 * Benchmark: from a block command to the route being visible in a BGP peer's RIB, through two real gobgpd on
 * loopback (ours and a "router"), median and max over 20 blocks (target: under 1 s).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGobgpSpeaker, startGobgpd, type ManagedGobgpd } from '../src/flowspec/gobgp.js';
import { createBlockService } from '../src/flowspec/service.js';
import { flowspecDefaults } from '../src/config/sections/flowspec.js';
import { openDb } from '../src/store/db.js';
import { median } from './measure.js';
import { execa } from 'execa';

/** Run it. */
export async function run(): Promise<void> {
  const base = 30000 + Math.floor(Math.random() * 10000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-bench-bgp-'));
  const ours: ManagedGobgpd = { routerId: '127.0.0.1', as: 65001, listenAddress: '127.0.0.1', listenPort: base, apiHost: '127.0.0.1', apiPort: base + 1, neighbors: [{ address: '127.0.0.2', as: 65002, port: base + 2 }] };
  const router: ManagedGobgpd = { routerId: '127.0.0.2', as: 65002, listenAddress: '127.0.0.2', listenPort: base + 2, apiHost: '127.0.0.1', apiPort: base + 3, neighbors: [{ address: '127.0.0.1', as: 65001, port: base }] };
  const r = await startGobgpd(router, path.join(dir, 'router'));
  const o = await startGobgpd(ours, path.join(dir, 'ours'));
  try {
    for (let i = 0; i < 300; i++) {
      if (/Establ/.test((await execa('gobgp', ['-p', String(ours.apiPort), 'neighbor'], { reject: false })).stdout)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const svc = createBlockService(openDb(':memory:'), createGobgpSpeaker({ apiHost: '127.0.0.1', apiPort: ours.apiPort }), { ...flowspecDefaults, maxChangesPerMinute: 1000 });
    const peer = createGobgpSpeaker({ apiHost: '127.0.0.1', apiPort: router.apiPort, learned: true });
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ip = `198.51.100.${i + 1}`;
      const t0 = performance.now();
      await svc.add({ source: ip, protocol: 'tcp', destinationPort: 22 }, { user: 'bench' });
      for (;;) {
        if ((await peer.list())[4].some((k) => k.includes(`${ip}/32`))) break;
        await new Promise((res) => setTimeout(res, 2));
      }
      times.push(performance.now() - t0);
    }
    const med = median(times);
    const max = Math.max(...times);
    console.log(`block → route at the peer, 20 blocks: median ${med.toFixed(0)} ms, max ${max.toFixed(0)} ms (target < 1000 ms: ${max < 1000 ? 'met' : 'NOT met'})`);
    await svc.panic({ user: 'bench' });
  } finally {
    await o.stop();
    await r.stop();
  }
}
