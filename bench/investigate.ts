/**
 * Benchmark of investigate: one hour of nfcapd files (12 five-minute files, made by the generator through a real
 * nfcapd once and kept in .bench-data/) searched for one IP, nocflow's `runInvestigate` against nfdump's own time for
 * the same filter over the same files (`nfdump -R first:last 'host X'`), medians of 3 runs, in one run: from the files
 * alone, and with the block index the engine writes as it reads each window (built here by one whole read, whose
 * cost and size are printed; the two investigations must give the same summary).
 * Target (issue 10): ≤ 0.3× of nfdump. Two targets: the loudest source (many matches) and a quiet one (few).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { writeScaleFile } from '../src/gen/index.js';
import { runInvestigate } from '../src/daemon/investigate.js';
import { flowSourceFrom } from '../src/ingest/flow-source.js';
import { createNativeSource } from '../src/ingest/nffile/source.js';
import type { FlowSource } from '../src/engine/types.js';
import { measure, median, row } from './measure.js';

const source = flowSourceFrom({});

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLOWS = Number(process.env.NOCFLOW_BENCH_INVESTIGATE_FLOWS ?? 2_000_000);
const RUNS = 3;

/** One hour of files: one generated window, hard-linked under 12 consecutive five-minute names. */
async function ensureHour(): Promise<{ dir: string; files: string[] }> {
  const dir = path.join(ROOT, '.bench-data', `investigate-v1-${FLOWS}`);
  const src = path.join(dir, 'window.nfcapd');
  if (!fs.existsSync(src)) {
    console.log(`building ${FLOWS.toLocaleString('en-US')} flows through nfcapd into ${path.relative(ROOT, src)} (once)...`);
    const tmp = path.join(dir, 'build', 'nfcapd.202611221405');
    fs.mkdirSync(path.dirname(tmp), { recursive: true });
    await writeScaleFile(tmp, FLOWS);
    fs.renameSync(tmp, src);
  }
  const hour = path.join(dir, 'hour');
  fs.mkdirSync(hour, { recursive: true });
  const files: string[] = [];
  for (let m = 0; m < 60; m += 5) {
    const f = path.join(hour, `nfcapd.2026112214${String(m).padStart(2, '0')}`);
    if (!fs.existsSync(f)) fs.linkSync(src, f);
    files.push(f);
  }
  return { dir: hour, files };
}

/** Read every file once, whole, through `source` (what the engine's window read costs); seconds. */
async function readWhole(source: FlowSource, files: string[]): Promise<number> {
  const t0 = performance.now();
  for (const f of files) for await (const b of source.read([f])) void b;
  return (performance.now() - t0) / 1000;
}

/** Run the investigate benchmark and print the table. */
export async function run(): Promise<void> {
  const { dir, files } = await ensureHour();
  const top = await execa('nfdump', ['-r', files[0], '-q', '-s', 'srcip/flows', '-n', '1', '-o', 'csv'], { env: { TZ: 'UTC' } });
  const loud = /(\d+\.\d+\.\d+\.\d+)/.exec(top.stdout.split('\n').find((l) => /^\d{4}-/.test(l)) ?? '')?.[1];
  const quietRow = await execa('nfdump', ['-r', files[0], '-q', '-o', 'pipe', '-c', '1000', 'proto udp'], { env: { TZ: 'UTC' } });
  // Pipe columns: af|first|last|proto|src (4 words, IPv4 in the last)|...
  const q = quietRow.stdout.split('\n').filter((l) => /^2\|/.test(l)).at(-1)?.split('|')[7];
  const quiet = q ? `${Number(q) >>> 24}.${(Number(q) >>> 16) & 255}.${(Number(q) >>> 8) & 255}.${Number(q) & 255}` : undefined;
  console.log(`one hour: ${files.length} files × ${FLOWS.toLocaleString('en-US')} flows (${path.relative(ROOT, dir)})`);

  // The block index the engine writes as it reads each window: its cost on a whole read, its size.
  const indexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-bench-index-'));
  const indexed = createNativeSource({ indexDir });
  const plainRead = await readWhole(source, files);
  const indexedRead = await readWhole(indexed, files);
  const indexBytes = fs.readdirSync(indexDir).reduce((n, f) => n + fs.statSync(path.join(indexDir, f)).size, 0);
  const dataBytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  console.log(`block index: a whole read of the hour ${plainRead.toFixed(2)} s, writing the index ${indexedRead.toFixed(2)} s (+${(((indexedRead - plainRead) * 1e9) / (FLOWS * files.length)).toFixed(1)} ns a flow); ${(indexBytes / 2 ** 20).toFixed(1)} MiB, ${((100 * indexBytes) / dataBytes).toFixed(1)} % of the files`);

  const w = [34, 10, 10, 12, 8, 12, 8];
  console.log(row(['target', 'matches', 'nfdump s', 'files only s', 'ratio', 'indexed s', 'ratio'], w));
  let worst = 0;
  let worstPlain = 0;
  for (const [name, ip] of [['loudest source', loud], ['quiet host', quiet]] as const) {
    if (!ip) {
      console.log(`${name}: could not pick a target`);
      continue;
    }
    const range = `${files[0]}:${path.basename(files.at(-1)!)}`;
    const nf: number[] = [];
    const ours: number[] = [];
    const oursIndexed: number[] = [];
    let matches = 0;
    let unread = '';
    const from = Date.UTC(2026, 10, 22, 14, 0), to = Date.UTC(2026, 10, 22, 15, 0);
    for (let i = 0; i < RUNS; i++) {
      nf.push((await measure('nfdump', ['-R', range, '-q', `host ${ip}`])).seconds);
      let t0 = performance.now();
      const s = await runInvestigate({ dir, source, target: ip, from, to });
      ours.push((performance.now() - t0) / 1000);
      t0 = performance.now();
      const si = await runInvestigate({ dir, source: indexed, target: ip, from, to });
      oursIndexed.push((performance.now() - t0) / 1000);
      const { reading: _plain, ...plainSummary } = s;
      const { reading, ...indexedSummary } = si;
      if (JSON.stringify(indexedSummary) !== JSON.stringify(plainSummary)) throw new Error(`${name}: the indexed investigation differs from the plain one`);
      unread = `${reading?.blocksUnread ?? 0} of ${reading?.blocks ?? 0}`;
      matches = s.flows;
    }
    const ratio = median(ours) / median(nf);
    const ratioIndexed = median(oursIndexed) / median(nf);
    worst = Math.max(worst, ratioIndexed);
    worstPlain = Math.max(worstPlain, ratio);
    console.log(row([`${name} ${ip}`, matches.toLocaleString('en-US'), median(nf), median(ours), `${ratio.toFixed(2)}×`, median(oursIndexed), `${ratioIndexed.toFixed(2)}×`], w));
    console.log(`  with the index: ${unread} blocks passed over unread`);
  }
  fs.rmSync(indexDir, { recursive: true, force: true });
  console.log(`\ninvestigate = ${worst.toFixed(2)}× nfdump's own time for the same filter with the engine's block index, ${worstPlain.toFixed(2)}× from the files alone (target ≤ 0.3×): ${worst <= 0.3 ? 'met' : 'NOT met'}`);
}
