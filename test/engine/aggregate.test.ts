import { describe, expect, it } from 'vitest';
import { analyzeBatches } from '../../src/engine/analyze.js';
import { createBatch } from '../../src/engine/batch.js';
import type { FlowBatch } from '../../src/engine/types.js';
import { v4ToNumber } from '../../src/util/ip.js';

const T0 = Date.UTC(2026, 10, 22, 14, 5);

/** `n` IPv4 SYN flows (1 packet, 40 bytes) from row `k` to `src(k)` → `dst(k)`:`dport`, written straight into columns. */
function synBatch(n: number, from: number, src: (k: number) => number, dst: (k: number) => number, dport: number): FlowBatch {
  const b = createBatch(n);
  b.exporters = ['127.0.0.1'];
  for (let i = 0; i < n; i++) {
    const k = from + i;
    b.family[i] = 4;
    b.srcV4[i] = src(k) >>> 0;
    b.dstV4[i] = dst(k) >>> 0;
    b.sport[i] = 1024 + (k % 60000);
    b.dport[i] = dport;
    b.proto[i] = 6;
    b.flags[i] = 0x02;
    b.packets[i] = 1;
    b.bytes[i] = 40;
    b.start[i] = T0 + (k % 299_000);
    b.end[i] = b.start[i];
    b.inIf[i] = 3;
  }
  b.size = n;
  return b;
}

describe('window aggregation across its chunk boundaries', () => {
  it('more than 2^18 hosts and 2^20 flows: exact distinct counts and features for hosts on both sides of each boundary', async () => {
    const scanner = v4ToNumber('198.51.100.7');
    const victim = v4ToNumber('192.0.2.10');
    const tenNet = v4ToNumber('10.0.0.0');
    const spoofed = v4ToNumber('100.64.0.0');
    const SCAN = 300_000; // > 2^18 distinct destination hosts: the host table spills into a second chunk
    const FLOOD = 800_000; // rows 300 000 .. 1 099 999: the flow columns cross 2^20 = 1 048 576
    const SOURCES = 200_000;
    const batches = [
      synBatch(SCAN, 0, () => scanner, (k) => tenNet + k, 22),
      synBatch(FLOOD / 2, SCAN, (k) => spoofed + (k % SOURCES), () => victim, 80),
      synBatch(FLOOD / 2, SCAN + FLOOD / 2, (k) => spoofed + (k % SOURCES), () => victim, 80),
    ];
    const r = await analyzeBatches(batches, { timeSlot: 1 });
    expect(r.flows).toBe(SCAN + FLOOD);
    expect(r.distinctIps).toBe(1 + SCAN + 1 + SOURCES);
    const s = r.anomalies.find((a) => a.ip === '198.51.100.7')!;
    expect(s).toMatchObject({ role: 'attacker', type: 'scan', signature: '22-1-40' });
    expect(s.metrics).toMatchObject({ flows: SCAN, packets: SCAN, bytes: 40 * SCAN, distinctPeers: SCAN, distinctPorts: 1 });
    const v = r.anomalies.find((a) => a.ip === '192.0.2.10')!;
    expect(v).toMatchObject({ role: 'victim', type: 'port-ddos-victim' });
    // Its flows sit on both sides of row 2^20; every one of them is in its breakdown.
    expect(v.metrics).toMatchObject({ flows: FLOOD, packets: FLOOD, distinctPeers: SOURCES });
    expect(v.victim!.distinctSources).toBe(SOURCES);
    expect(v.features.dstPorts[0]).toEqual({ value: 80, share: 1 });
    expect(v.entryPoints![0]).toMatchObject({ exporter: '127.0.0.1', interface: 3, share: 1 });
  }, 120_000);
});
