import { describe, expect, it } from 'vitest';
import os from 'node:os';
import { createFlowspecArea } from '../../src/flowspec/area.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { openDb } from '../../src/store/db.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import type { Anomaly } from '../../src/engine/types.js';
import type { Speaker } from '../../src/flowspec/gobgp.js';

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

describe('the FlowSpec area: every change is published, failures counted, the timer stops', () => {
  it('auto-block publishes block.changed, counts the block and the guard\'s refusal of a repeat', async () => {
    const events: { event: string; data: unknown }[] = [];
    const area = createFlowspecArea(
      { ...flowspecDefaults, enabled: true, mode: 'external', apiPort: 9, autoBlock: true, autoBlockTtlSeconds: 300 },
      { db: openDb(':memory:'), dataDir: os.tmpdir(), latestFiles: () => [], source: createNfdumpSource(), inside: [], bus: { publish: (event, data) => events.push({ event, data }) } },
    );
    await area.start();
    await area.onWindow([anomaly({})]);
    await new Promise((r) => setImmediate(r));
    expect(events.filter((e) => e.event === 'block.changed')).toEqual([{ event: 'block.changed', data: { at: expect.any(Number), actions: ['announce'], blockIds: [1] } }]);
    await area.onWindow([anomaly({})]); // the same scanner in the next window: already blocked
    await new Promise((r) => setImmediate(r));
    expect(area.status()).toMatchObject({ mode: 'external', activeBlocks: 1, autoBlock: { enabled: true, blocked: 1, refused: 1, failed: 0 }, changes: 1 });
    // No gobgpd on port 9: the start's reconciliation failed, counted with its reason.
    expect(area.status().reconcile).toMatchObject({ runs: 1, failedRuns: 1, lastError: expect.stringMatching(/gobgp/) });
    await area.stop();
  });

  it('a panic of several rules is one block.changed event naming each', async () => {
    const events: unknown[] = [];
    const quiet: Speaker = { announce: async () => undefined, withdraw: async () => undefined, withdrawText: async () => undefined, list: async () => ({ 4: [], 6: [] }) };
    const area = createFlowspecArea({ ...flowspecDefaults, enabled: true, mode: 'external', maxChangesPerMinute: 100 }, {
      db: openDb(':memory:'), dataDir: os.tmpdir(), latestFiles: () => [], source: createNfdumpSource(), inside: [], speaker: quiet, bus: { publish: (event, data) => event === 'block.changed' && events.push(data) },
    });
    await area.start();
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) await area.service!.add({ source: ip }, { user: 'alice' });
    await new Promise((r) => setImmediate(r));
    events.length = 0;
    await area.handlers['block.panic']({ reason: 'test' }, { user: 'alice' });
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([{ at: expect.any(Number), actions: ['panic', 'panic-withdraw'], blockIds: [1, 2, 3] }]);
    await area.stop();
  });

  it('stop() while a reconciliation is in flight: it finishes, and no timer is armed again', async () => {
    let lists = 0;
    let release: (() => void) | undefined;
    const slow: Speaker = {
      announce: async () => undefined,
      withdraw: async () => undefined,
      withdrawText: async () => undefined,
      list: async () => {
        lists++;
        if (lists > 1) await new Promise<void>((r) => (release = r));
        return { 4: [], 6: [] };
      },
    };
    const area = createFlowspecArea({ ...flowspecDefaults, enabled: true, mode: 'external', reconcileSeconds: 0.05 }, {
      db: openDb(':memory:'), dataDir: os.tmpdir(), latestFiles: () => [], source: createNfdumpSource(), inside: [], speaker: slow,
    });
    await area.start();
    for (let i = 0; i < 100 && !release; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lists).toBe(2); // the start's, and the first tick's (in flight)
    const stopping = area.stop();
    release!();
    await stopping;
    await new Promise((r) => setTimeout(r, 300));
    expect(lists).toBe(2);
  });
});

