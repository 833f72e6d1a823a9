import { describe, expect, it } from 'vitest';
import os from 'node:os';
import { createFlowspecArea } from '../../src/flowspec/area.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { openDb } from '../../src/store/db.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import type { Anomaly } from '../../src/engine/types.js';

const anomaly = (p: Partial<Anomaly>): Anomaly => ({
  ip: '203.0.113.9', role: 'attacker', type: 'scan', severity: 'super', score: 1, evidence: [], metrics: { flows: 1, packets: 1, bytes: 1, distinctPeers: 200000, distinctPorts: 1 },
  features: { protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: 2375, share: 1 }], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
  ...p,
});

describe('auto-block (off by default)', () => {
  const make = (autoBlock: boolean) =>
    createFlowspecArea({ ...flowspecDefaults, enabled: true, mode: 'external', apiPort: 9, autoBlock, autoBlockTtlSeconds: 300 }, { db: openDb(':memory:'), dataDir: os.tmpdir(), latestFiles: () => [], source: createNfdumpSource(), inside: [] });

  it('blocks the source of a super scan with a short TTL, never a victim or an over-severity scan', async () => {
    const area = make(true);
    await area.start();
    await area.onWindow([
      anomaly({}),
      anomaly({ ip: '203.0.113.10', severity: 'over' }),
      anomaly({ ip: '198.51.100.10', role: 'victim', type: 'port-ddos-victim' }),
    ]);
    const blocks = area.service!.list();
    expect(blocks.map((b) => [b.rule.source, b.rule.destinationPort, b.ttlSeconds, b.who])).toEqual([['203.0.113.9/32', 2375, 300, 'nocflow-auto']]);
    await area.stop();
  });

  it('does nothing when off', async () => {
    const area = make(false);
    await area.start();
    await area.onWindow([anomaly({})]);
    expect(area.service!.list()).toEqual([]);
    await area.stop();
  });
});
