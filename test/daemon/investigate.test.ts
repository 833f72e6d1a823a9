import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import { bucketFor, InvestigateAccumulator, runInvestigate, targetFilter, type InvestigateProgress } from '../../src/daemon/investigate.js';
import { createBatch } from '../../src/engine/batch.js';
import { parsePrefix, v4ToNumber } from '../../src/util/ip.js';
import type { Truth } from '../../src/gen/index.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { nfdumpFilterText } from '../../src/ingest/nfdump/filter-text.js';
import { createNativeSource } from '../../src/ingest/nffile/source.js';
import { generated } from '../ingest/nffile/generated.js';
import { nfdumpRows } from '../helpers/nfdump-oracle.js';

/** nfdump's rows of a file as oracle fields: af|first|last|proto|src (4 words)|sport|dst (4 words)|dport|... */
const nfdumpRowsOf = async (file: string) => (await nfdumpRows(file)).map((l) => l.split('|'));

const reader = createNfdumpSource();

/** nfdump's own count of flows matching `filter` in `file` (the oracle). */
async function nfdumpCount(file: string, filter: string): Promise<number> {
  const r = await execa('nfdump', ['-r', file, '-q', '-o', 'pipe', filter], { env: { TZ: 'UTC' } });
  return r.stdout.split('\n').filter((l) => /^\d/.test(l)).length;
}

const T0 = Date.UTC(2026, 10, 22, 14, 0);
let dir: string;
let source: string;
let truth: Truth;
const COPIES = ['nfcapd.202611221400', 'nfcapd.202611221405', 'nfcapd.202611221410'];

beforeAll(async () => {
  const made = await makeScenarioFile('mixed');
  source = made.file;
  truth = made.truth;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-inv-'));
  // Three files of the same window: every flow is found three times (the flows carry 14:05-14:10 times).
  for (const name of COPIES) fs.linkSync(source, path.join(dir, name));
});

describe('targetFilter', () => {
  it.each([
    ['192.0.2.10', 'host 192.0.2.10'],
    ['192.0.2.0/24', 'net 192.0.2.0/24'],
    ['2001:db8::1', 'host 2001:db8::1'],
    ['2001:db8::/32', 'net 2001:db8::/32'],
  ])('%s → %s', (t, f) => expect(nfdumpFilterText(targetFilter(parsePrefix(t)))).toBe(f));
});

describe('bucketFor', () => {
  it('is one minute up to two hours and widens beyond (≤ 120 buckets)', () => {
    expect(bucketFor(0, 3_600_000)).toBe(60_000);
    expect(bucketFor(0, 7_200_000)).toBe(60_000);
    expect(bucketFor(0, 86_400_000)).toBe(12 * 60_000);
    expect(86_400_000 / bucketFor(0, 86_400_000)).toBeLessThanOrEqual(120);
  });
});

describe('InvestigateAccumulator (pure)', () => {
  it('counts direction, peers, service ports and minutes, and ignores flows outside the range', () => {
    const b = createBatch(4);
    const rows = [
      // target → peer:22 at 14:00:10, target as source
      { s: '10.0.0.1', d: '10.9.9.9', sp: 40000, dp: 22, t: T0 + 10_000 },
      { s: '10.0.0.1', d: '10.9.9.9', sp: 40001, dp: 22, t: T0 + 70_000 },
      // peer → target:80, target as destination (service port is the lower one)
      { s: '10.8.8.8', d: '10.0.0.1', sp: 51000, dp: 80, t: T0 + 75_000 },
      // outside the range
      { s: '10.0.0.1', d: '10.7.7.7', sp: 1, dp: 2, t: T0 + 3_600_000 },
    ];
    rows.forEach((r, i) => {
      b.family[i] = 4;
      b.srcV4[i] = v4ToNumber(r.s);
      b.dstV4[i] = v4ToNumber(r.d);
      b.sport[i] = r.sp;
      b.dport[i] = r.dp;
      b.proto[i] = 6;
      b.packets[i] = 2;
      b.bytes[i] = 100;
      b.start[i] = r.t;
    });
    b.size = rows.length;
    const acc = new InvestigateAccumulator(parsePrefix('10.0.0.1'), T0, T0 + 3_600_000);
    acc.add(b);
    const s = acc.summary(1);
    expect([s.flows, s.asSource, s.asDestination, s.bytes, s.packets]).toEqual([3, 2, 1, 300, 6]);
    expect(s.topPeers[0]).toEqual({ ip: '10.9.9.9', flows: 2, bytes: 200 });
    expect(s.topPorts).toEqual([{ proto: 6, port: 22, flows: 2 }, { proto: 6, port: 80, flows: 1 }]);
    expect(s.series).toHaveLength(60);
    expect(s.series.slice(0, 3).map((p) => p.flows)).toEqual([1, 2, 0]);
    // Packets and bytes per minute too (the line charts of Investigate and the detail view).
    expect(s.series.slice(0, 3).map((p) => [p.packets, p.bytes])).toEqual([[2, 100], [4, 200], [0, 0]]);
  });
});

describe('InvestigateAccumulator peer limit', () => {
  it('keeps the first maxPeers distinct peers and sums the flows and bytes of the others, losing none', () => {
    const b = createBatch(5);
    ['10.9.9.1', '10.9.9.2', '10.9.9.1', '10.9.9.3', '10.9.9.4'].forEach((d, i) => {
      b.family[i] = 4;
      b.srcV4[i] = v4ToNumber('10.0.0.1');
      b.dstV4[i] = v4ToNumber(d);
      b.proto[i] = 6;
      b.bytes[i] = 100 * (i + 1);
      b.packets[i] = 1;
      b.start[i] = T0 + i;
    });
    b.size = 5;
    const capped = new InvestigateAccumulator(parsePrefix('10.0.0.1'), T0, T0 + 60_000, 2);
    capped.add(b);
    const s = capped.summary(1);
    expect(s.topPeers).toEqual([{ ip: '10.9.9.1', flows: 2, bytes: 400 }, { ip: '10.9.9.2', flows: 1, bytes: 200 }]);
    expect(s.otherPeers).toEqual({ peers: 2, flows: 2, bytes: 900 });
    expect(s.flows).toBe(5);
    const free = new InvestigateAccumulator(parsePrefix('10.0.0.1'), T0, T0 + 60_000);
    free.add(b);
    expect(free.summary(1).otherPeers).toBeUndefined();
    expect(free.summary(1).topPeers).toHaveLength(4);
  });
});

describe('InvestigateAccumulator top peers', () => {
  it('are the 20 a full sort ranks first (flows, bytes, then address text), ties included, IPv4 and IPv6', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const n = 3000;
    const b = createBatch(n);
    const peers: string[] = [];
    for (let i = 0; i < n; i++) {
      // 400 distinct peers, flows and bytes drawn from few values so that most ranks are ties; a few IPv6 peers.
      const p = rnd(400);
      b.start[i] = T0 + i;
      b.proto[i] = 6;
      b.packets[i] = 1;
      b.bytes[i] = 40 * (1 + rnd(2));
      if (p < 30) {
        b.family[i] = 6;
        b.src6.set([0x20010db8, 0, 0, 1], 4 * i);
        b.dst6.set([0x20010db8, 0, 1, p], 4 * i);
        peers.push(`2001:db8::1:0:${p.toString(16)}`);
      } else {
        b.family[i] = 4;
        b.srcV4[i] = v4ToNumber(`10.${p % 3}.${p & 255}.9`);
        b.dstV4[i] = v4ToNumber('10.0.0.1');
        peers.push(`10.${p % 3}.${p & 255}.9`);
      }
    }
    b.size = n;
    const naive = new Map<string, { flows: number; bytes: number }>();
    peers.forEach((ip, i) => {
      const e = naive.get(ip) ?? { flows: 0, bytes: 0 };
      e.flows++;
      e.bytes += b.bytes[i];
      naive.set(ip, e);
    });
    const expected = [...naive].map(([ip, v]) => ({ ip, ...v })).sort((x, y) => y.flows - x.flows || y.bytes - x.bytes || x.ip.localeCompare(y.ip)).slice(0, 20);
    for (const target of ['10.0.0.1', '2001:db8::1']) {
      const acc = new InvestigateAccumulator(parsePrefix(target), T0, T0 + 3_600_000);
      acc.add(b);
      const want = target === '10.0.0.1' ? [...naive].filter(([ip]) => !ip.includes(':')) : [...naive].filter(([ip]) => ip.includes(':'));
      const ranked = want.map(([ip, v]) => ({ ip, ...v })).sort((x, y) => y.flows - x.flows || y.bytes - x.bytes || x.ip.localeCompare(y.ip));
      expect(acc.summary(1).topPeers).toEqual(ranked.slice(0, 20));
      if (target === '10.0.0.1') {
        // Ties at the cut: the 20th and 21st of the full ranking differ only in their address.
        expect([ranked[19].flows, ranked[19].bytes]).toEqual([ranked[20].flows, ranked[20].bytes]);
      }
    }
    expect(expected).toHaveLength(20);
  });
});

describe('runInvestigate with the block index', () => {
  it('gives the summary it gives from the files alone, passing over the blocks without the target', async () => {
    const multi = await generated.multiBlock();
    const hour = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-inv-index-'));
    const names = ['nfcapd.202611221405', 'nfcapd.202611221410', 'nfcapd.202611221415'];
    for (const n of names) fs.copyFileSync(multi, path.join(hour, n));
    const indexDir = path.join(hour, 'index');
    const indexed = createNativeSource({ indexDir });
    // The engine's whole read of each window writes the index.
    for (const n of names) for await (const b of indexed.read([path.join(hour, n)])) void b;
    expect(fs.readdirSync(indexDir)).toHaveLength(3);
    // Two sources of the file's middle blocks (rows 17 388-43 018 lie in blocks 3-5, which hold no exporter record).
    const rows = await nfdumpRowsOf(multi);
    const target = [rows.slice(20_000).find((f) => f[0] === '2')![7], rows.slice(30_000).find((f) => f[0] === '2')![7]].map((n) => `${Number(n) >>> 24}.${(Number(n) >>> 16) & 255}.${(Number(n) >>> 8) & 255}.${Number(n) & 255}`);
    const range = { from: Date.UTC(2026, 10, 22, 14, 0), to: Date.UTC(2026, 10, 22, 15, 0) };
    for (const ip of target) {
      const plain = await runInvestigate({ source: createNativeSource(), dir: hour, target: ip, ...range });
      const viaIndex = await runInvestigate({ source: indexed, dir: hour, target: ip, ...range });
      expect(plain.flows).toBe(3 * (await nfdumpCount(multi, `host ${ip}`)));
      expect(plain.flows).toBeGreaterThan(0);
      const { reading, ...rest } = viaIndex;
      const { reading: plainReading, ...plainRest } = plain;
      expect(rest).toEqual(plainRest);
      expect(plainReading).toEqual({ indexedFiles: 0, blocks: 18, blocksUnread: 0 });
      expect(reading?.indexedFiles).toBe(3);
      expect(reading?.blocks).toBe(18);
      // Three of each file's six blocks hold exporter records and are read; of the others, those without the target pass.
      expect(reading!.blocksUnread, ip).toBeGreaterThanOrEqual(3);
    }
    fs.rmSync(hour, { recursive: true, force: true });
  });
});

describe('runInvestigate on real nfcapd files', () => {
  it('an attacker IP: flow count and its main port agree with nfdump, with progress per file', async () => {
    const attacker = truth.planted.find((p) => p.types.includes('many-peers'))!;
    const progress: InvestigateProgress[] = [];
    const s = await runInvestigate({ source: reader, dir, target: attacker.ip, from: T0, to: T0 + 3_600_000, intervalMs: 300_000, onProgress: (p) => progress.push({ ...p }) });
    const one = await nfdumpCount(source, `host ${attacker.ip}`);
    expect(one).toBeGreaterThan(100);
    expect(s.files).toBe(3);
    expect(s.flows).toBe(3 * one);
    expect(s.asSource + s.asDestination).toBe(s.flows);
    const onPort = await nfdumpCount(source, `src host ${attacker.ip} and dst port ${attacker.dport}`);
    expect(s.topPorts[0]).toEqual({ proto: 6, port: attacker.dport, flows: 3 * onPort });
    expect(s.series.reduce((a, p) => a + p.flows, 0)).toBe(s.flows);
    expect(s.series.reduce((a, p) => a + (p.packets ?? 0), 0)).toBe(s.packets);
    expect(s.series.reduce((a, p) => a + (p.bytes ?? 0), 0)).toBe(s.bytes);
    expect(progress.map((p) => p.filesDone)).toEqual([0, 1, 2, 3]);
    expect(progress.at(-1)).toEqual({ filesDone: 3, filesTotal: 3, flows: s.flows });
    expect(s.skipped).toEqual([]);
  });

  it('a victim: inbound counts agree with nfdump and its attacked port ranks first', async () => {
    const victim = truth.planted.find((p) => p.role === 'victim')!;
    const s = await runInvestigate({ source: reader, dir, target: victim.ip, from: T0, to: T0 + 3_600_000 });
    expect(s.flows).toBe(3 * (await nfdumpCount(source, `host ${victim.ip}`)));
    expect(s.asDestination).toBe(3 * (await nfdumpCount(source, `dst host ${victim.ip}`)));
    expect(s.asDestination).toBeGreaterThan(s.asSource);
    expect(s.topPorts[0].port).toBe(victim.dport);
    // The top peer's count is what nfdump finds for that pair.
    expect(s.topPeers[0].flows).toBe(3 * (await nfdumpCount(source, `host ${victim.ip} and host ${s.topPeers[0].ip}`)));
  });

  it('a victim of many sources, with the peer limit: the kept peers and the others add up to nfdump\'s count', async () => {
    const victim = truth.planted.find((p) => p.role === 'victim')!;
    const s = await runInvestigate({ source: reader, dir, target: victim.ip, from: T0, to: T0 + 3_600_000, maxPeers: 10 });
    expect(s.flows).toBe(3 * (await nfdumpCount(source, `host ${victim.ip}`)));
    expect(s.topPeers).toHaveLength(10);
    expect(s.otherPeers?.peers).toBe(10);
    expect(s.topPeers.reduce((n, p) => n + p.flows, 0) + s.otherPeers!.flows).toBe(s.flows);
  });

  it('a prefix uses a net filter and counts every flow touching it once', async () => {
    const s = await runInvestigate({ source: reader, dir, target: '192.0.2.0/24', from: T0, to: T0 + 3_600_000 });
    expect(s.target).toBe('192.0.2.0/24');
    expect(s.flows).toBe(3 * (await nfdumpCount(source, 'net 192.0.2.0/24')));
  });

  it('an IPv4-mapped target investigates the IPv4 host (or prefix) it names', async () => {
    const victim = truth.planted.find((p) => p.role === 'victim')!;
    const host = await runInvestigate({ source: reader, dir, target: `::ffff:${victim.ip}`, from: T0, to: T0 + 3_600_000 });
    expect(host.target).toBe(`${victim.ip}/32`);
    expect(host.flows).toBe(3 * (await nfdumpCount(source, `host ${victim.ip}`)));
    const net = await runInvestigate({ source: reader, dir, target: '::ffff:192.0.2.0/120', from: T0, to: T0 + 3_600_000 });
    expect(net.target).toBe('192.0.2.0/24');
    expect(net.flows).toBe(3 * (await nfdumpCount(source, 'net 192.0.2.0/24')));
  }, 180_000);

  it('only files overlapping the range are read; an unreadable file is skipped with its reason', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-inv-'));
    fs.linkSync(source, path.join(d, 'nfcapd.202611221405'));
    fs.writeFileSync(path.join(d, 'nfcapd.202611221410'), 'not an nfcapd file '.repeat(100));
    fs.linkSync(source, path.join(d, 'nfcapd.202611221500'));
    const ip = truth.planted[0].ip;
    const s = await runInvestigate({ source: reader, dir: d, target: ip, from: Date.UTC(2026, 10, 22, 14, 5), to: Date.UTC(2026, 10, 22, 14, 15) });
    expect(s.files).toBe(2);
    expect(s.flows).toBe(await nfdumpCount(source, `host ${ip}`));
    expect(s.skipped).toHaveLength(1);
    expect(s.skipped![0].file).toBe(path.join(d, 'nfcapd.202611221410'));
    expect(s.skipped![0].reason.length).toBeGreaterThan(0);
  });

  it.each(['1.2.3.4 or any', 'host 1.2.3.4', '300.1.1.1', 'fe80::1%eth0', ''])('refuses the target %j before running nfdump', async (t) => {
    await expect(runInvestigate({ source: reader, dir, target: t, from: T0, to: T0 + 1 })).rejects.toMatchObject({ reason: 'BAD_TARGET' });
  });

  it('cancel stops nfdump and rejects as cancelled', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-inv-cancel-'));
    for (let m = 0; m < 60; m += 5) fs.linkSync(source, path.join(d, `nfcapd.2026112214${String(m).padStart(2, '0')}`));
    const ac = new AbortController();
    const progress: InvestigateProgress[] = [];
    const run = runInvestigate({
      source: reader, dir: d, target: '192.0.2.0/24', from: T0, to: T0 + 3_600_000, signal: ac.signal,
      onProgress: (p) => {
        progress.push(p);
        if (p.filesDone === 1) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ reason: 'CANCELLED' });
    expect(progress.at(-1)!.filesDone).toBeLessThan(12);
    const ps = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(ps.stdout.split('\n').filter((l) => l.includes(d))).toEqual([]);
  });
});
