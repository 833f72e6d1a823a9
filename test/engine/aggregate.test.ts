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

describe('the partitioned in-thread pass', () => {
  /** A mixed window: IPv4 and IPv6 rows in the same batches, a few heavy sources and many light ones, repeats. */
  function mixedBatches(batches: number, size: number): FlowBatch[] {
    let seed = 12345;
    const rnd = (m: number) => {
      // mulberry32: every bit well mixed (an LCG's low bits repeat with a short period).
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) % m;
    };
    const out: FlowBatch[] = [];
    for (let k = 0; k < batches; k++) {
      const b = createBatch(size);
      b.exporters = ['127.0.0.1'];
      for (let i = 0; i < size; i++) {
        const v6 = rnd(10) === 0;
        const heavy = rnd(4) === 0;
        b.family[i] = v6 ? 6 : 4;
        const s = heavy ? rnd(5) : 5 + rnd(20_000), d = rnd(heavy ? 4000 : 300);
        if (v6) {
          b.src6.set([0x20010db8, 0, 0, s], 4 * i);
          b.dst6.set([0x20010db8, 1, 0, d], 4 * i);
        } else {
          b.srcV4[i] = (v4ToNumber('100.64.0.0') + s * 7919) >>> 0;
          b.dstV4[i] = (v4ToNumber('10.0.0.0') + d * 104729) >>> 0;
        }
        b.dport[i] = heavy ? 1000 + rnd(20) : 443;
        b.proto[i] = 6;
        b.packets[i] = 1 + rnd(5);
        b.bytes[i] = 40 * b.packets[i] + rnd(100);
        b.start[i] = T0 + rnd(299_000);
      }
      b.size = size;
      out.push(b);
    }
    return out;
  }

  it('gives every address the same counters and pairs in passes of 300 rows, in one pass, and batch by batch', async () => {
    const { WindowAggregator, localDestinations } = await import('../../src/engine/aggregate.js');
    const batches = mixedBatches(12, 2500);
    const run = async (opts: ConstructorParameters<typeof WindowAggregator>[0]) => {
      const agg = new WindowAggregator({ noColumns: true, ...opts });
      for (const b of batches) agg.add(b);
      return { agg, w: await agg.result(async function* () {}) };
    };
    const small = await run({ passRows: 300 });
    const one = await run({});
    // The streaming path (a destination side fed batch by batch, as a worker is): no partitioned pass.
    const streamed = await run({ destinations: (n) => ({ ...localDestinations(n), side: undefined }) });
    expect(small.agg.passes).toBe(Math.ceil((12 * 2500) / 300));
    expect(one.agg.passes).toBe(1);
    expect(streamed.agg.passes).toBe(0);

    // What the rows say, counted here.
    const key = (b: FlowBatch, i: number, side: 'src' | 'dst') =>
      b.family[i] === 4 ? `4:${side === 'src' ? b.srcV4[i] : b.dstV4[i]}` : `6:${(side === 'src' ? b.src6 : b.dst6).slice(4 * i, 4 * i + 4).join('.')}`;
    const want = new Map<string, { outFlows: number; outPackets: number; peers: Set<string>; ports: Set<number>; inFlows: number; inBytes: number; sources: Set<string> }>();
    const of = (k: string) => {
      let e = want.get(k);
      if (!e) want.set(k, (e = { outFlows: 0, outPackets: 0, peers: new Set(), ports: new Set(), inFlows: 0, inBytes: 0, sources: new Set() }));
      return e;
    };
    for (const b of batches) {
      for (let i = 0; i < b.size; i++) {
        const s = key(b, i, 'src'), d = key(b, i, 'dst');
        const es = of(s), ed = of(d);
        es.outFlows++;
        es.outPackets += b.packets[i];
        es.peers.add(d);
        es.ports.add(b.dport[i]);
        ed.inFlows++;
        ed.inBytes += b.bytes[i];
        ed.sources.add(s);
      }
    }
    // The test spans both sides of the inline lists (8 peers, 6 ports) and both families.
    const counts = [...want.values()];
    expect(Math.max(...counts.map((e) => e.peers.size))).toBeGreaterThan(100);
    expect(counts.filter((e) => e.outFlows > 0 && e.peers.size <= 8).length).toBeGreaterThan(100);
    expect([...want.keys()].filter((k) => k.startsWith('6:')).length).toBeGreaterThan(100);

    const idOf = (w: typeof one.w, k: string) => {
      if (k.startsWith('4:')) return w.ips.idV4(Number(k.slice(2)));
      return w.ips.idV6(k.slice(2).split('.').map(Number), 0);
    };
    for (const { agg, w } of [small, one, streamed]) {
      expect(w.ips.size).toBe(want.size);
      expect(w.totals.flows).toBe(12 * 2500);
      for (const [k, e] of want) {
        const id = idOf(w, k);
        expect(id).toBeGreaterThanOrEqual(0);
        expect([w.hosts.value('outFlows', id), w.hosts.value('outPackets', id), w.hosts.value('outPeers', id), w.hosts.value('outPorts', id)]).toEqual([e.outFlows, e.outPackets, e.peers.size, e.ports.size]);
        expect([w.hosts.value('inFlows', id), w.hosts.value('inBytes', id), w.hosts.value('inPeers', id)]).toEqual([e.inFlows, e.inBytes, e.sources.size]);
      }
      // Pairs: every pair of the heaviest source, and as many that are not pairs.
      const heavy = [...want.entries()].sort((a, b) => b[1].peers.size - a[1].peers.size)[0];
      const hid = idOf(w, heavy[0]);
      let yes = 0, no = 0;
      for (const k of want.keys()) {
        const has = w.hasPair(hid, idOf(w, k));
        expect(has).toBe(heavy[1].peers.has(k));
        if (has) yes++;
        else no++;
      }
      expect(yes).toBe(heavy[1].peers.size);
      expect(no).toBeGreaterThan(0);
      void agg;
    }
    // Rankings break ties by address, so the three agree on the top lists though their ids differ.
    const top = (w: typeof one.w) => w.hosts.topEach(['outFlows', 'inPeers'], w.ips.size, 50, (id) => w.ips.rank(id)).map((l) => l.map((id) => w.ips.text(id)));
    expect(top(small.w)).toEqual(top(one.w));
    expect(top(streamed.w)).toEqual(top(one.w));
  }, 60_000);

  it('reserves the address maps before a pass: 200 000 new sources with no stat record leave short runs', async () => {
    const { WindowAggregator } = await import('../../src/engine/aggregate.js');
    const agg = new WindowAggregator({ noColumns: true });
    agg.add(synBatch(200_000, 0, (k) => v4ToNumber('100.64.0.0') + k, () => v4ToNumber('192.0.2.10'), 80));
    const w = await agg.result(async function* () {});
    expect(agg.passes).toBe(1);
    expect(w.ips.size).toBe(200_001);
    // No insertion probed far (a map left small collects a run that every later key walks: 98 076 of them here).
    expect(w.ips.longV4Inserts).toBeLessThan(200);
  });
});

describe('U32Map', () => {
  it('keeps the keys of one partition in one 1/256 of its slots, at every capacity it grows through', async () => {
    const { U32Map, u32Partition } = await import('../../src/engine/tables.js');
    const m = new U32Map(1 << 10);
    const keys: number[] = [];
    for (let k = 0; k < 200_000; k++) keys.push((Math.imul(k, 2654435761) ^ 0x5bd1e995) >>> 0);
    let checked = 0;
    for (let k = 0; k < keys.length; k++) {
      m.getOrInsert(keys[k], k);
      if (k === 999 || k === 49_999 || k === keys.length - 1) {
        const regionBits = Math.log2(m.capacity) - 8;
        let outside = 0;
        for (let j = 0; j <= k; j++) {
          const slot = m.slotOf(keys[j]);
          const region = slot >>> regionBits;
          // Linear probing may carry a key into the next region (at the last slot, around to the first).
          if (region !== u32Partition(keys[j]) && region !== ((u32Partition(keys[j]) + 1) & 255)) outside++;
        }
        expect(outside).toBe(0);
        checked++;
      }
    }
    expect(checked).toBe(3);
    expect(m.capacity).toBeGreaterThanOrEqual(1 << 18);
    for (let k = 0; k < keys.length; k += 997) expect(m.get(keys[k])).toBe(k);
  });

  it('sorted by partition into a table sized for them: short runs; into one far too small: one long run', async () => {
    const { U32Map, u32Partition } = await import('../../src/engine/tables.js');
    const keys = Array.from({ length: 50_000 }, (_, k) => (Math.imul(k, 2654435761) ^ 0x1b873593) >>> 0);
    keys.sort((a, b) => u32Partition(a) - u32Partition(b));
    const sized = new U32Map(16);
    sized.reserve(keys.length);
    const small = new U32Map(16);
    keys.forEach((k, v) => {
      sized.getOrInsert(k, v);
      small.getOrInsert(k, v);
    });
    expect(sized.longInserts).toBe(0);
    // Why the partitioned pass reserves first: the first partitions crowd the first regions of a table still small.
    expect(small.longInserts).toBeGreaterThan(10_000);
    for (let v = 0; v < keys.length; v += 101) expect([sized.get(keys[v]), small.get(keys[v])]).toEqual([v, v]);
  });
});
