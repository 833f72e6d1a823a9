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

describe('distinct destinations and ports, inline and in the pair sets', () => {
  it('for sources on both sides of the inline lists (1–20 peers, 1–12 ports, repeats interleaved): exact counts and hasPair', async () => {
    const { WindowAggregator } = await import('../../src/engine/aggregate.js');
    const SOURCES = 20;
    const src = (i: number) => v4ToNumber('203.0.113.0') + i;
    const dst = (j: number) => v4ToNumber('192.0.2.0') + j; // a shared pool: destinations have several sources
    const rows: [number, number, number][] = [];
    // Source i: i + 1 distinct destinations (from a window of the pool shifted by i), (i % 12) + 1 distinct ports,
    // each pair repeated 1–3 times; the rows of all sources interleaved, repeats far apart.
    for (let rep = 0; rep < 3; rep++) {
      for (let j = 0; j < 20; j++) {
        for (let i = 0; i < SOURCES; i++) {
          if (j > i || rep > i % 3) continue;
          rows.push([src(i), dst(i + j), 1000 + ((j * 7 + rep) % ((i % 12) + 1))]);
        }
      }
    }
    const b = createBatch(rows.length);
    b.exporters = ['127.0.0.1'];
    rows.forEach(([s, d, p], k) => {
      b.family[k] = 4;
      b.srcV4[k] = s;
      b.dstV4[k] = d;
      b.dport[k] = p;
      b.proto[k] = 6;
      b.packets[k] = 1;
      b.bytes[k] = 40;
      b.start[k] = T0 + k;
    });
    b.size = rows.length;
    const agg = new WindowAggregator();
    agg.add(b);
    const w = await agg.result();
    const peers = new Map<number, Set<number>>(), ports = new Map<number, Set<number>>(), sourcesOf = new Map<number, Set<number>>();
    for (const [s, d, p] of rows) {
      if (!peers.has(s)) peers.set(s, new Set());
      if (!ports.has(s)) ports.set(s, new Set());
      if (!sourcesOf.has(d)) sourcesOf.set(d, new Set());
      peers.get(s)!.add(d);
      ports.get(s)!.add(p);
      sourcesOf.get(d)!.add(s);
    }
    // The test itself spans the lists' limits (8 destinations, 6 ports) on both sides.
    expect(Math.min(...[...peers.values()].map((x) => x.size))).toBe(1);
    expect(Math.max(...[...peers.values()].map((x) => x.size))).toBe(20);
    expect(Math.max(...[...ports.values()].map((x) => x.size))).toBe(12);
    for (let i = 0; i < SOURCES; i++) {
      const id = w.ips.idV4(src(i));
      expect(w.hosts.value('outPeers', id)).toBe(peers.get(src(i))!.size);
      expect(w.hosts.value('outPorts', id)).toBe(ports.get(src(i))!.size);
      for (let j = 0; j < 40; j++) {
        const d = w.ips.idV4(dst(j));
        if (d >= 0) expect(w.hasPair(id, d)).toBe(peers.get(src(i))!.has(dst(j)));
      }
    }
    for (const [d, s] of sourcesOf) {
      expect(w.hosts.value('inPeers', w.ips.idV4(d))).toBe(s.size);
      expect(w.hosts.value('inFlows', w.ips.idV4(d))).toBe(rows.filter((r) => r[1] === d).length);
      expect(w.hosts.value('outFlows', w.ips.idV4(d))).toBe(0);
    }
    // A source that received nothing has no in counters; the rankings agree with the values.
    expect(w.hosts.value('inFlows', w.ips.idV4(src(3)))).toBe(0);
    const [byFlows] = w.hosts.topEach(['inFlows'], w.ips.size, 3);
    const want = [...sourcesOf.keys()].map((d) => ({ id: w.ips.idV4(d), n: rows.filter((r) => r[1] === d).length }));
    want.sort((a, b) => b.n - a.n || a.id - b.id);
    expect(byFlows).toEqual(want.slice(0, 3).map((x) => x.id));
  });
});
