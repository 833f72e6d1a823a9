/**
 * Generated nfcapd files for the native reader's tests, written by the real nfcapd from the project's generator
 * and cached under the OS temp dir by name (bump GEN when the flows change). Covers what the captures lack:
 * several exporters (127.0.0.2-4), IPv6, 32-bit ifIndex values, 32-bit AS numbers, ICMP, counters past 2^32,
 * NetFlow v9 and IPFIX, sampling (`nfcapd -s`), and nfcapd's own compression.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { writeFlowsFile, type NfcapdWriteOptions } from '../../../src/gen/index.js';
import { rng } from '../../../src/gen/scenarios.js';
import type { FlowRecord } from '../../../src/engine/types.js';

const GEN = 1;
const BASE = Date.UTC(2026, 10, 22, 14, 5, 0);
export const EXPORTERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
/** ifIndex values routers with large interface numbers use (the old packing truncated them to 20 bits). */
export const BIG_IFINDEX = [0x1a000000, 0xfffffff0, 0x7fffffff, 65535, 1];

/** `count` flows over every edge the reader must keep: v4/v6, big ifIndex and AS, ICMP, 40-bit byte counts. */
export function edgeFlows(count: number, seed = 3): FlowRecord[] {
  const r = rng(seed);
  const out: FlowRecord[] = [];
  for (let i = 0; i < count; i++) {
    const v6 = i % 4 === 1;
    const icmp = i % 9 === 0;
    const start = BASE + Math.floor(r() * 290_000);
    out.push({
      src: v6 ? `2001:db8:a::${(i % 4000).toString(16)}` : `198.51.${(i >> 8) & 255}.${i & 255}`,
      dst: v6 ? `2001:db8:ffff:${(i % 7).toString(16)}::${(1 + (i % 300)).toString(16)}` : `203.0.113.${1 + (i % 250)}`,
      sport: icmp ? 0 : 1024 + Math.floor(r() * 60000),
      dport: icmp ? [771, 2048, 0, 2816][i % 4] : [443, 80, 53, 22][i % 4],
      proto: icmp ? (v6 ? 58 : 1) : i % 5 === 0 ? 17 : 6,
      flags: icmp || i % 5 === 0 ? 0 : [0x02, 0x12, 0x1b, 0x11, 0x04][i % 5],
      packets: 1 + Math.floor(r() * 5000),
      bytes: i % 97 === 0 ? 5_000_000_000 + i : 40 + Math.floor(r() * 1_500_000),
      start,
      end: start + Math.floor(r() * 9000),
      inIf: BIG_IFINDEX[i % BIG_IFINDEX.length],
      outIf: BIG_IFINDEX[(i + 2) % BIG_IFINDEX.length],
      exporter: EXPORTERS[i % EXPORTERS.length],
      srcAs: [4200000000, 64500, 0][i % 3],
      dstAs: [0, 65001, 4294967294][i % 3],
    });
  }
  return out;
}

/** A closed nfcapd file of `flows` as the real collector writes them, cached by `name`. */
export async function nfcapdFile(name: string, flows: () => FlowRecord[], opts: { protocol?: 'ipfix' | 'v9'; nfcapd?: NfcapdWriteOptions } = {}): Promise<string> {
  const dir = path.join(os.tmpdir(), 'nocflow-nffile-fixtures', `g${GEN}`);
  const file = path.join(dir, `${name}.nfcapd`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-nffile-')), 'out.nfcapd');
  const list = flows();
  const chunks: FlowRecord[][] = [];
  for (let i = 0; i < list.length; i += 20_000) chunks.push(list.slice(i, i + 20_000));
  await writeFlowsFile(chunks, tmp, { protocol: opts.protocol, nfcapd: opts.nfcapd });
  fs.renameSync(tmp, file);
  return file;
}

/** A copy of `file` recompressed by nfdump (`-z` LZO, `-y` LZ4, `-j` BZ2), cached next to it. */
export async function nfdumpCopy(file: string, compression: 'lzo' | 'lz4' | 'bz2' | 'none'): Promise<string> {
  const out = `${file}.${compression}`;
  if (fs.existsSync(out)) return out;
  const flag = { lzo: ['-z'], lz4: ['-y'], bz2: ['-j'], none: [] }[compression];
  const tmp = `${out}.${process.pid}.tmp`;
  await execa('nfdump', ['-r', file, ...flag, '-w', tmp], { env: { TZ: 'UTC' }, stdin: 'ignore' });
  fs.renameSync(tmp, out);
  return out;
}

/** The generated files every nffile test shares. */
export const generated = {
  /** 3000 edge flows over three exporters, IPFIX. */
  edgeIpfix: () => nfcapdFile('edge-ipfix', () => edgeFlows(3000)),
  /** The same edges over NetFlow v9. */
  edgeV9: () => nfcapdFile('edge-v9', () => edgeFlows(3000, 5), { protocol: 'v9' }),
  /** 600 flows from one exporter, nfcapd -s 10 (counters scaled ×10 by nfcapd). */
  sampled: () => nfcapdFile('sampled-10', () => edgeFlows(600, 9).map((f) => ({ ...f, exporter: '127.0.0.2' })), { nfcapd: { samplingRate: 10 } }),
  /** 45 000 flows: several 1 MiB blocks, three exporters (for damage and block accounting). */
  multiBlock: () => nfcapdFile('multi-block', () => edgeFlows(45_000, 11)),
  /** 20 000 flows in 3 blocks: the damage tests' base (smaller, so a few hundred damaged reads stay quick). */
  damage: () => nfcapdFile('damage', () => edgeFlows(20_000, 23)),
  /** nfcapd writing LZ4 itself (-y). */
  nfcapdLz4: () => nfcapdFile('edge-nfcapd-lz4', () => edgeFlows(3000, 13), { nfcapd: { compression: 'lz4', ident: 'edge-lz4' } }),
};
