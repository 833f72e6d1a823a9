import { describe, expect, it } from 'vitest';
import { analyzeBatches } from '../../src/engine/analyze.js';
import { batchFromRecords, flow } from '../../src/engine/batch.js';
import type { FlowRecord, WindowResult } from '../../src/engine/types.js';
import { timeSlotOf } from '../../src/engine/types.js';

const T0 = Date.UTC(2026, 10, 22, 14, 5, 0);
/** Deterministic PRNG (mulberry32) so generated windows are the same every run. */
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const ipOf = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const at = (r: () => number) => T0 + Math.floor(r() * 299_000);

function synScan(src: string, n: number, port: number, r: () => number): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => flow({ src, dst: ipOf(0x0a000000 + i * 7 + 1), sport: 40000 + (i % 20000), dport: port, flags: 2, packets: 1, bytes: 40, start: at(r) }));
}
function server(ip: string, port: number, clients: number, proto: number, r: () => number): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let i = 0; i < clients; i++) {
    const c = ipOf(0x64400000 + i * 13 + 5);
    const sp = 33000 + (i % 30000);
    const s = at(r);
    out.push(flow({ src: c, dst: ip, sport: sp, dport: port, proto, flags: proto === 6 ? 0x1b : 0, packets: 3 + (i % 5), bytes: proto === 17 ? 70 : 600 + i % 300, start: s }));
    out.push(flow({ src: ip, dst: c, sport: port, dport: sp, proto, flags: proto === 6 ? 0x1b : 0, packets: 4 + (i % 7), bytes: proto === 17 ? 180 : 9000 + i % 900, start: s + 5 }));
  }
  return out;
}

async function run(records: FlowRecord[], opts: Parameters<typeof analyzeBatches>[1] = {}): Promise<WindowResult> {
  return analyzeBatches([batchFromRecords(records)], opts);
}

describe('analyze: backbone rules on generated windows', () => {
  it('finds a SYN scanner with its signature and features, and leaves busy servers alone', async () => {
    const r = rng(1);
    const scanner = '203.0.113.115';
    const dns = '192.0.2.53';
    const web = '192.0.2.80';
    const res = await run([...synScan(scanner, 3000, 2375, r), ...server(dns, 53, 3000, 17, r), ...server(web, 443, 2000, 6, r)]);
    expect(res.flows).toBe(3000 + 6000 + 4000);
    expect(res.window.timeSlot).toBe(timeSlotOf(Math.floor(T0 / 1000)));
    const a = res.anomalies.find((x) => x.ip === scanner)!;
    expect(a).toBeDefined();
    expect(a.type).toBe('scan');
    expect(a.role).toBe('attacker');
    expect(a.severity).toBe('over');
    expect(a.signature).toBe('2375-1-40');
    expect(a.metrics.distinctPeers).toBe(3000);
    expect(a.features.onePacket40Share).toBe(1);
    expect(a.features.synOnlyShare).toBe(1);
    expect(a.features.dstPorts[0]).toEqual({ value: 2375, share: 1 });
    expect(a.features.serverLike).toBe(false);
    expect(a.evidence[0]).toMatchObject({ indicator: 'distinct destinations', value: 3000, threshold: 1000, ratio: 3 });
    // No benign server anywhere in the report, in either role.
    expect(res.anomalies.filter((x) => x.ip === dns || x.ip === web)).toEqual([]);
  });

  it('a scanner below the threshold is not reported, and one over the super threshold is super', async () => {
    const r = rng(2);
    const small = await run(synScan('198.51.100.1', 999, 22, r));
    expect(small.anomalies).toEqual([]);
    const big = await run(synScan('198.51.100.1', 1200, 22, r), { thresholds: { 'scan.peers.super': 1100 } });
    expect(big.anomalies[0]).toMatchObject({ type: 'scan', severity: 'super' });
  });

  it('tells a payload-carrying SSH attacker (many peers) from a scanner', async () => {
    const r = rng(3);
    const recs: FlowRecord[] = [];
    for (let i = 0; i < 6000; i++) {
      const pk = 3 + (i % 12);
      recs.push(flow({ src: '203.0.113.9', dst: ipOf(0x0b000000 + i), sport: 40000 + i, dport: 22, flags: 0x1b, packets: pk, bytes: pk * 90 + (i % 7), start: at(r) }));
    }
    const res = await run(recs);
    expect(res.anomalies).toHaveLength(1);
    expect(res.anomalies[0]).toMatchObject({ ip: '203.0.113.9', type: 'many-peers', severity: 'over' });
    expect(res.anomalies[0].features.dstPorts[0]).toEqual({ value: 22, share: 1 });
    expect(res.anomalies[0].signature).toBeUndefined();
  });

  it('finds a spoofed DDoS victim, its spoofed share and the biggest entry point', async () => {
    const r = rng(4);
    const victim = '192.0.2.10';
    const recs: FlowRecord[] = [];
    for (let i = 0; i < 4000; i++) {
      const src = ipOf(Math.floor(r() * 0xdfffffff) + 0x01000000);
      const main = i % 10 < 8;
      recs.push(flow({ src, dst: victim, sport: 1024 + Math.floor(r() * 60000), dport: 80, flags: 2, packets: 1, bytes: 60, start: at(r), exporter: main ? '127.0.0.2' : '127.0.0.3', inIf: main ? 7 : 3 }));
    }
    const res = await run(recs);
    const v = res.anomalies.find((x) => x.ip === victim)!;
    expect(v).toMatchObject({ role: 'victim', type: 'port-ddos-victim' });
    expect(v.victim!.distinctSources).toBe(4000);
    expect(v.victim!.spoofedShare).toBeGreaterThan(0.99);
    expect(v.entryPoints![0]).toMatchObject({ exporter: '127.0.0.2', interface: 7, flows: 3200, share: 0.8 });
    expect(v.entryPoints![1]).toMatchObject({ exporter: '127.0.0.3', interface: 3, flows: 800 });
    // None of the 4000 spoofed sources is an attacker on its own.
    expect(res.anomalies).toHaveLength(1);
  });

  it('reports heavy upload as egress-high with bytes evidence scaled to the window', async () => {
    const recs = [0, 1, 2].flatMap((k) => Array.from({ length: 100 }, (_, i) => flow({ src: '198.51.100.7', dst: `192.0.2.${k + 1}`, sport: 50000 + i, dport: 443, packets: 20000, bytes: 2e7, start: T0 + i * 2900 })));
    const res = await run(recs);
    expect(res.anomalies[0]).toMatchObject({ ip: '198.51.100.7', type: 'egress-high' });
    expect(res.anomalies[0].evidence[0].value).toBe(6e9);
    // The same bytes in a 30-second window are a higher rate: thresholds scale down and the ratio goes up.
    const short = await run(recs, { windowSeconds: 30 });
    expect(short.anomalies[0].evidence[0].threshold).toBeCloseTo(5e8);
  });

  it('IPv6 addresses are aggregated like IPv4', async () => {
    const r = rng(5);
    const recs = Array.from({ length: 1500 }, (_, i) => flow({ src: '2001:db8::bad', dst: `2001:db8:1::${(i + 1).toString(16)}`, dport: 445, flags: 2, packets: 1, bytes: 60, start: at(r) }));
    const res = await run(recs);
    expect(res.anomalies[0]).toMatchObject({ ip: '2001:db8::bad', type: 'scan', signature: '445-1-60' });
    expect(res.distinctIps).toBe(1501);
  });

  it('names the unit and honours known servers', async () => {
    const r = rng(6);
    const recs = synScan('140.110.26.68', 1500, 2375, r);
    const res = await run(recs, { units: [{ prefix: '140.110.0.0/16', name: 'NCHC' }] });
    expect(res.anomalies[0].unit).toBe('NCHC');
    const wl = await run(recs, { knownServers: ['140.110.26.0/24'] });
    expect(wl.anomalies).toEqual([]);
  });
});

describe('analyze: campus mode', () => {
  const inside = ['10.20.0.0/16'];
  it('puts probers of unused addresses, tiny-packet senders and sweepers on list C, and finds a beacon', async () => {
    const r = rng(7);
    const recs: FlowRecord[] = [];
    // 40 active inside hosts talking to the outside (and getting answers).
    for (let h = 1; h <= 40; h++) {
      for (let k = 0; k < 3; k++) {
        const s = at(r);
        recs.push(flow({ src: `10.20.1.${h}`, dst: `93.184.${h}.${k + 1}`, sport: 40000 + k, dport: 443, packets: 12, bytes: 6000, start: s }));
        recs.push(flow({ src: `93.184.${h}.${k + 1}`, dst: `10.20.1.${h}`, sport: 443, dport: 40000 + k, packets: 15, bytes: 16000, start: s + 10 }));
      }
    }
    // Prober: 50 inside addresses that never send anything.
    for (let i = 0; i < 50; i++) recs.push(flow({ src: '45.1.1.1', dst: `10.20.9.${i + 1}`, dport: 23, flags: 2, packets: 1, bytes: 60, start: at(r) }));
    // Sweeper: 30 of the 40 active inside hosts, with payload.
    for (let h = 1; h <= 30; h++) recs.push(flow({ src: '45.2.2.2', dst: `10.20.1.${h}`, dport: 8080, packets: 5, bytes: 2500, start: at(r) }));
    // Tiny packets: 25 flows averaging 40 bytes per packet to 3 active inside hosts.
    for (let i = 0; i < 25; i++) recs.push(flow({ src: '45.3.3.3', dst: `10.20.1.${(i % 3) + 1}`, dport: 80, packets: 4, bytes: 160, start: at(r) }));
    // Beacon: every 10 s, 600 bytes, to one external peer.
    for (let i = 0; i < 30; i++) recs.push(flow({ src: '10.20.3.4', dst: '198.18.5.5', sport: 50000 + i, dport: 443, packets: 6, bytes: 600 + (i % 3), start: T0 + i * 10_000 }));
    const res = await run(recs, { inside });
    const by = (ip: string) => res.anomalies.find((a) => a.ip === ip);
    expect(by('45.1.1.1')).toMatchObject({ role: 'attacker', type: 'unused-probe' });
    expect(by('45.1.1.1')!.evidence[0].value).toBe(50);
    expect(by('45.2.2.2')).toMatchObject({ role: 'attacker', type: 'campus-sweep' });
    expect(by('45.2.2.2')!.evidence[0].value).toBeCloseTo(30 / 41, 5); // 40 hosts + the beacon host are active
    expect(by('45.3.3.3')).toMatchObject({ role: 'attacker', type: 'tiny-packets' });
    const b = by('10.20.3.4')!;
    expect(b).toMatchObject({ role: 'internal', type: 'cc-beacon' });
    expect(b.beacon).toMatchObject({ peer: '198.18.5.5', port: 443, flows: 30 });
    expect(b.beacon!.meanIntervalSeconds).toBeCloseTo(10, 5);
    // Ordinary inside hosts and their peers are not reported.
    expect(res.anomalies.filter((a) => a.ip.startsWith('10.20.1.') || a.ip.startsWith('93.184.'))).toEqual([]);
  });

  it('irregular check-ins are not a beacon', async () => {
    const r = rng(8);
    const recs: FlowRecord[] = [];
    let t = T0;
    for (let i = 0; i < 30; i++) {
      t += 1000 + Math.floor(r() * 20000);
      recs.push(flow({ src: '10.20.3.4', dst: '198.18.5.5', sport: 50000 + i, dport: 443, packets: 6, bytes: 600, start: t }));
    }
    const res = await run(recs, { inside });
    expect(res.anomalies.filter((a) => a.type === 'cc-beacon')).toEqual([]);
  });
});

describe('analyze: the memory budget of one window', () => {
  /** A spoofed flood of `spoofed` one-flow random sources at a victim, plus `real` clients it answers. */
  function flood(victim: string, spoofed: number, real: number, r: () => number): FlowRecord[] {
    const recs: FlowRecord[] = [];
    for (let i = 0; i < spoofed; i++) {
      recs.push(flow({ src: ipOf(0x01000000 + Math.floor(r() * 0xdf000000)), dst: victim, sport: 1024 + (i % 60000), dport: 80, flags: 2, packets: 1, bytes: 60, start: at(r) }));
    }
    for (let i = 0; i < real; i++) {
      const c = ipOf(0xc6336400 + i); // 198.51.100.0 + i
      const s = at(r);
      recs.push(flow({ src: c, dst: victim, sport: 40000 + i, dport: 80, flags: 0x1b, packets: 5, bytes: 900, start: s }));
      recs.push(flow({ src: victim, dst: c, sport: 80, dport: 40000 + i, flags: 0x1b, packets: 6, bytes: 9000, start: s + 5 }));
      recs.push(flow({ src: c, dst: '192.0.2.200', sport: 41000 + i, dport: 443, flags: 0x1b, packets: 3, bytes: 500, start: s + 9 }));
    }
    return recs;
  }

  it('a victim of 40 000 spoofed sources keeps a bounded uniform sample: exact count, shares close to the truth, the window says so', async () => {
    const victim = '192.0.2.10';
    const recs = flood(victim, 40_000, 2000, rng(11));
    const exact = await run(recs, { maxVictimSources: Infinity });
    const capped = await run(recs, { maxVictimSources: 2048 });
    const e = exact.anomalies.find((x) => x.ip === victim)!;
    const c = capped.anomalies.find((x) => x.ip === victim)!;
    expect(e.victim).toEqual({ distinctSources: 42_000, spoofedShare: 40_000 / 42_000 });
    expect(exact.degraded).toBeUndefined();
    expect(c.victim!.distinctSources).toBe(42_000);
    expect(c.victim!.sampledSources).toBeGreaterThan(1024);
    expect(c.victim!.sampledSources).toBeLessThanOrEqual(2048);
    expect(Math.abs(c.victim!.spoofedShare - 40_000 / 42_000)).toBeLessThan(0.03);
    expect(c).toMatchObject({ type: e.type, severity: e.severity });
    expect(capped.degraded).toEqual({ victimSources: { limit: 2048, candidates: 1, largest: 42_000 } });
  });

  it('a busy campus keeps its top N outside candidates: the prober of unused addresses is still found, and the cut is reported', async () => {
    const r = rng(12);
    const recs: FlowRecord[] = [];
    // 3000 ordinary outside clients, 5 flows each to an active inside web server (each one a candidate).
    for (let i = 0; i < 3000; i++) {
      for (let k = 0; k < 5; k++) recs.push(flow({ src: ipOf(0x5db80000 + i), dst: '10.20.1.1', sport: 40000 + k, dport: 443, packets: 8, bytes: 4000, start: at(r) }));
    }
    recs.push(flow({ src: '10.20.1.1', dst: '93.184.0.1', sport: 443, dport: 40000, packets: 8, bytes: 9000, start: at(r) }));
    // The prober: 60 unused inside addresses.
    for (let i = 0; i < 60; i++) recs.push(flow({ src: '45.1.1.1', dst: `10.20.9.${i + 1}`, dport: 23, flags: 2, packets: 1, bytes: 60, start: at(r) }));
    const res = await run(recs, { inside: ['10.20.0.0/16'], maxCampusCandidates: 500 });
    expect(res.anomalies.find((a) => a.ip === '45.1.1.1')).toMatchObject({ role: 'attacker', type: 'unused-probe' });
    expect(res.degraded).toEqual({ campusCandidates: { limit: 500, outside: { kept: 500, of: 3001 }, inside: { kept: 0, of: 0 } } });
    const free = await run(recs, { inside: ['10.20.0.0/16'] });
    expect(free.degraded).toBeUndefined();
  });
});

