import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUnusedProbeSink, windowInboundPairs } from '../../src/devices/probe-sink.js';
import { DeviceStore } from '../../src/devices/store.js';
import { mergeSlot } from '../../src/devices/merge.js';
import { parseIosXrArp } from '../../src/devices/parsers.js';
import { openDb } from '../../src/store/db.js';
import type { Anomaly, WindowResult } from '../../src/engine/types.js';
import type { ProbeSuspect } from '../../src/devices/anomalies.js';

const fx = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');
const S = 5648278;

function anomaly(ip: string, role: Anomaly['role'], peers: [string, number][]): Anomaly {
  return { ip, role, type: 'unused-probe', severity: 'over', score: 1, metrics: { flows: 0, packets: 0, bytes: 0, distinctPeers: peers.length, distinctPorts: 1 }, features: {} as Anomaly['features'], evidence: [], topPeers: peers.map(([p, flows]) => ({ ip: p, flows })) };
}

const result = (slot: number): WindowResult => ({
  window: { timeSlot: slot, start: slot * 300 - 150, end: slot * 300 + 150 },
  flows: 100, packets: 100, bytes: 1000, distinctIps: 10,
  anomalies: [
    anomaly('198.51.100.66', 'attacker', [['211.79.60.29', 4], ['211.73.94.3', 1], ['211.79.60.27', 9]]),
    anomaly('203.0.113.50', 'attacker', [['211.79.60.30', 7]]),
    anomaly('211.73.94.9', 'victim', [['198.51.100.1', 3]]),
  ],
});

describe('unused-probe window sink', () => {
  it("takes pairs only from attackers' top peers", () => {
    expect(windowInboundPairs(result(S))).toHaveLength(4);
  });

  it("names the attacker whose peers are unused on the gateway, using the newest device slot when the window's has none", async () => {
    const store = new DeviceStore(openDb(':memory:'));
    const arp = parseIosXrArp(fx('iosxr-arp-seed-gateway.txt')).entries;
    store.saveRun({ timeSlot: S - 1, startedAt: 0, results: [{ device: 'gw', kind: 'iosxr', host: 'h', ok: true, timestamp: (S - 1) * 300_000, durationMs: 1, arp, mac: [], skipped: 0, skippedSamples: [], morePrompts: 0, hostKeyRecorded: false }], merged: mergeSlot(S - 1, []) });
    const got: ProbeSuspect[][] = [];
    const sink = createUnusedProbeSink(store, (s) => got.push(s));
    await sink.writeWindow(result(S));
    expect(got).toHaveLength(1);
    expect(got[0].map((s) => [s.ip, s.role, s.targets, s.flows])).toEqual([['198.51.100.66', 'attacker', ['211.73.94.3', '211.79.60.29'], 5]]);
    const empty = createUnusedProbeSink(new DeviceStore(openDb(':memory:')), (s) => got.push(s));
    await empty.writeWindow(result(S));
    expect(got).toHaveLength(1);
  });
});
