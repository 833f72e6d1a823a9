/**
 * The aggregation floor (issue 10's 0.2× nfdump -s target): how fast the window aggregation could be in native code
 * on this machine, against nocflow's own, on the same rows. The 10 M-flow window's IPv4 columns (source,
 * destination, destination port, packets, bytes) are written once to .bench-data/ by the native reader; then, each in
 * its own process: nocflow's WindowAggregator (bench/floor-js.ts) and a C program (bench/native/floor.c, built here
 * with the system's cc) doing the same work, once in nocflow's layout with prefetching and once radix-partitioned,
 * and the partitioned way in JavaScript (bench/floor-partitioned.ts: is it the partitioning or the C?). The four must
 * count the same sources, destinations, pairs and addresses. Benchmark only: no native code ships.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createNativeSource } from '../src/ingest/nffile/source.js';
import { ensureScaleFile } from './analyze.js';
import { measure, row } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLOWS = Number(process.env.NOCFLOW_BENCH_FLOWS ?? 10_000_000);

interface FloorRun {
  mode: string;
  rows: number;
  sources: number;
  destinations: number;
  pairs: number;
  ips: number;
  phases: number[];
  seconds: number;
}

/** The window's columns, written once (IPv4 only: the scale window has no IPv6 rows). */
async function ensureColumns(file: string): Promise<string> {
  const dir = path.join(ROOT, '.bench-data', `floor-cols-${FLOWS}`);
  const prefix = path.join(dir, 'cols');
  if (fs.existsSync(`${prefix}.bytes`)) return prefix;
  fs.mkdirSync(dir, { recursive: true });
  const ext = ['src', 'dst', 'dport', 'packets', 'bytes'];
  const fds = ext.map((e) => fs.openSync(`${prefix}.${e}.tmp`, 'w'));
  try {
    for await (const b of createNativeSource().read([file])) {
      for (let i = 0; i < b.size; i++) if (b.family[i] !== 4) throw new Error('floor: the window has IPv6 rows');
      fs.writeSync(fds[0], b.srcV4.subarray(0, b.size));
      fs.writeSync(fds[1], b.dstV4.subarray(0, b.size));
      fs.writeSync(fds[2], b.dport.subarray(0, b.size));
      fs.writeSync(fds[3], Float32Array.from(b.packets.subarray(0, b.size)));
      fs.writeSync(fds[4], Float32Array.from(b.bytes.subarray(0, b.size)));
    }
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
  for (const e of ext) fs.renameSync(`${prefix}.${e}.tmp`, `${prefix}.${e}`);
  return prefix;
}

async function runOne(cmd: string, args: string[]): Promise<FloorRun & { wall: number; rss: number }> {
  const m = await measure(cmd, args, { keepStdout: true });
  return { ...(JSON.parse(m.stdout) as FloorRun), wall: m.seconds, rss: m.peakRssMiB };
}

export async function run(): Promise<void> {
  const cc = await execa('cc', ['--version'], { reject: false });
  if (cc.exitCode !== 0) {
    console.log('skipped: no C compiler (cc)');
    return;
  }
  const file = await ensureScaleFile(FLOWS);
  const prefix = await ensureColumns(file);
  const bin = path.join(ROOT, '.bench-data', 'floor');
  await execa('cc', ['-O2', '-march=native', '-o', bin, path.join(ROOT, 'bench/native/floor.c')]);
  const runs = [
    await runOne('node', [path.join(ROOT, 'dist/bench/floor-js.js'), prefix]),
    await runOne('node', [path.join(ROOT, 'dist/bench/floor-partitioned.js'), prefix]),
    await runOne(bin, ['random', prefix]),
    await runOne(bin, ['partitioned', prefix]),
  ];
  const W = [34, 9, 9, 9, 9, 10];
  console.log(row(['aggregation of the 10 M window', 'own s', 'wall s', 'peak MiB', 'sources', 'addresses'], W));
  const names: Record<string, string> = {
    nocflow: 'nocflow (JavaScript, in-thread)', 'js-partitioned': 'JavaScript, radix-partitioned', random: 'C, nocflow layout + prefetch', partitioned: 'C, radix-partitioned',
  };
  for (const r of runs) console.log(row([names[r.mode] ?? r.mode, r.seconds, r.wall, r.rss, r.sources.toLocaleString('en-US'), r.ips.toLocaleString('en-US')], W));
  const same = runs.every((r) => r.sources === runs[0].sources && r.destinations === runs[0].destinations && r.pairs === runs[0].pairs && r.ips === runs[0].ips);
  console.log(`counts: ${same ? 'the same in all four' : 'DIFFERENT'} (${runs.map((r) => `${r.mode}: ${r.sources}/${r.destinations}/${r.pairs}/${r.ips}`).join('; ')})`);
  const best = Math.min(runs[2].seconds, runs[3].seconds);
  console.log(`nocflow's aggregation = ${(runs[0].seconds / best).toFixed(2)}× the best C (${best.toFixed(2)} s); phases (s): ${runs.map((r) => `${r.mode} ${r.phases.map((p) => p.toFixed(2)).join('/')}`).join(', ')}`);
  console.log(
    `partitioning in JavaScript: ${(runs[0].seconds / runs[1].seconds).toFixed(2)}× faster than nocflow's aggregation, ${(runs[1].seconds / runs[3].seconds).toFixed(2)}× the partitioned C ` +
      '(it counts the same but builds none of the window-wide tables detect reads)',
  );
}
