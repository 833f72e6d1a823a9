/**
 * Benchmark of the IoC correlation's stage 1: 5 000 IoCs against a day of 24 hourly nfcapd files of 2 M flows
 * (one generated window built through a real nfcapd once into .bench-data/, hard-linked under 24 hourly names),
 * against reading the same files once with the default reader. Each side runs in its own process under GNU time:
 * wall time and peak RSS. Target: ≤ 1.3× the read, and memory bounded by the samples (at most 10 000 flows per
 * IoC), not by the day's flows. Scale with NOCFLOW_BENCH_IOC_FLOWS / _FILES / _COUNT / _RUNS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { writeScaleFile } from '../src/gen/index.js';
import { measure, median, row } from './measure.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const FLOWS = Number(process.env.NOCFLOW_BENCH_IOC_FLOWS ?? 2_000_000);
const FILES = Number(process.env.NOCFLOW_BENCH_IOC_FILES ?? 24);
const COUNT = Number(process.env.NOCFLOW_BENCH_IOC_COUNT ?? 5000);
const RUNS = Number(process.env.NOCFLOW_BENCH_IOC_RUNS ?? 1);

/** The day: one generated window, hard-linked under FILES hourly names. */
async function ensureDay(): Promise<{ dir: string; files: string[]; src: string }> {
  const dir = path.join(ROOT, '.bench-data', `ioc-v1-${FLOWS}`);
  const src = path.join(dir, 'window.nfcapd');
  if (!fs.existsSync(src)) {
    console.log(`building ${FLOWS.toLocaleString('en-US')} flows through nfcapd into ${path.relative(ROOT, src)} (once)...`);
    const tmp = path.join(dir, 'build', 'nfcapd.202611220000');
    fs.mkdirSync(path.dirname(tmp), { recursive: true });
    await writeScaleFile(tmp, FLOWS);
    fs.renameSync(tmp, src);
  }
  const day = path.join(dir, `day-${FILES}`);
  fs.mkdirSync(day, { recursive: true });
  const files: string[] = [];
  for (let h = 0; h < FILES; h++) {
    const f = path.join(day, `nfcapd.20261122${String(h % 24).padStart(2, '0')}${String(Math.floor(h / 24)).padStart(2, '0')}`);
    if (!fs.existsSync(f)) fs.linkSync(src, f);
    files.push(f);
  }
  return { dir: day, files, src };
}

/** COUNT IoCs: the planted scanner, half addresses that are in the window (sources at a stride), half absent. */
async function ensureList(dir: string, src: string): Promise<string> {
  const file = path.join(dir, `iocs-${COUNT}.txt`);
  if (fs.existsSync(file)) return file;
  const r = await execa('nfdump', ['-r', src, '-q', '-o', 'fmt:%sa', '-c', String(Math.min(FLOWS, 400_000))], { env: { TZ: 'UTC' }, maxBuffer: 1 << 28 });
  const present = [...new Set(r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l)))];
  const want = Math.floor(COUNT / 2);
  const step = Math.max(1, Math.floor(present.length / want));
  const picked = new Set<string>(['140.110.26.68']);
  for (let i = 0; i < present.length && picked.size < want; i += step) picked.add(present[i]);
  for (let k = 0; picked.size < COUNT; k++) picked.add(`198.18.${(k >> 8) & 255}.${k & 255}`); // benchmark range: never in the window
  fs.writeFileSync(file, `${[...picked].join('\n')}\n`);
  return file;
}

/** Run the IoC benchmark and print the table. */
export async function run(): Promise<void> {
  const { dir, files, src } = await ensureDay();
  const list = await ensureList(dir, src);
  const child = path.join(HERE, 'ioc-child.js');
  console.log(`one day: ${files.length} files × ${FLOWS.toLocaleString('en-US')} flows, ${COUNT} IoCs (${path.relative(ROOT, dir)})`);
  const read: { s: number; mib: number }[] = [];
  const match: { s: number; mib: number; out: Record<string, number> }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const a = await measure('node', [child, 'read', ...files], { keepStdout: true });
    read.push({ s: a.seconds, mib: a.peakRssMiB });
    const b = await measure('node', [child, 'match', list, ...files], { keepStdout: true });
    match.push({ s: b.seconds, mib: b.peakRssMiB, out: JSON.parse(b.stdout.trim().split('\n').at(-1)!) as Record<string, number> });
  }
  const w = [40, 12, 14];
  console.log(row(['', 'seconds', 'peak RSS MiB'], w));
  console.log(row(['read the files once (default reader)', median(read.map((x) => x.s)), median(read.map((x) => x.mib))], w));
  console.log(row([`stage 1, ${COUNT} IoCs at once`, median(match.map((x) => x.s)), median(match.map((x) => x.mib))], w));
  const o = match[0].out;
  const ratio = median(match.map((x) => x.s)) / median(read.map((x) => x.s));
  console.log(`flows ${o.flows.toLocaleString('en-US')}, matched ${o.matched.toLocaleString('en-US')}, IoCs with flows ${o.matchedIocs}/${o.iocs}, samples ${o.sampleRows.toLocaleString('en-US')} rows = ${(o.sampleBytes / 2 ** 20).toFixed(1)} MiB`);
  const extra = median(match.map((x) => x.mib)) - median(read.map((x) => x.mib));
  const bound = (o.matchedIocs * 10_000 * 80) / 2 ** 20;
  console.log(`memory above the read: ${extra.toFixed(0)} MiB; bound by the samples (${o.matchedIocs} IoCs × 10 000 × ~80 B) ${bound.toFixed(0)} MiB; the day's flows would be ${((o.flows * 80) / 2 ** 20).toFixed(0)} MiB`);
  console.log(`\nioc stage 1 = ${ratio.toFixed(2)}× reading the files once (target ≤ 1.3×): ${ratio <= 1.3 ? 'met' : 'NOT met'}`);
}
