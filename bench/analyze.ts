/**
 * Benchmark of the engine core (issue 10), all in one run, ratios printed:
 * - the 10 M-flow window (the generator's scale scenario, three exporters, uncompressed): `nocflow analyze` with the
 *   native reader, with `engine.reader=nfdump`, `nfdump -o null` (the decode floor) and nfdump's own
 *   `-s srcip/flows -s dstip/flows -s dstport -n 500`; targets native ≤ 0.2× `-s`, ≤ 12× `-o null`, peak RSS ≤ 1 GiB;
 * - the pipeline's choices on the same window, one at a time (the destination side in a worker thread; flows read
 *   again or kept as columns; huge pages for malloc), and nocflow's own stage timers (`analyze --timings`);
 * - a backbone-scale window (48 M flows, ~15 M distinct IPs, LZ4 through nfcapd -y): target ≤ 60 s and ≤ 3 GiB.
 * Files are built once through a real nfcapd into .bench-data/. The load average is printed next to the numbers:
 * the machine is shared, compare ratios within one run.
 * NOCFLOW_BENCH_FLOWS / NOCFLOW_BENCH_BACKBONE_FLOWS change the sizes (0 skips the backbone window).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { scaleChunks, writeFlowsFile } from '../src/gen/index.js';
import { measure, row, type Measured } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLOWS = Number(process.env.NOCFLOW_BENCH_FLOWS ?? 10_000_000);
const BACKBONE_FLOWS = Number(process.env.NOCFLOW_BENCH_BACKBONE_FLOWS ?? 48_000_000);
const NOCFLOW = path.join(ROOT, 'bin/nocflow.js');

/** The benchmark window of `count` flows (built once): uncompressed, or LZ4 written by nfcapd -y. */
export async function ensureScaleFile(count: number, compression?: 'lz4'): Promise<string> {
  const file = path.join(ROOT, '.bench-data', `scale-${compression ?? 'v2'}-${count}`, 'nfcapd.202611221405');
  if (fs.existsSync(file)) return file;
  console.log(`building ${count.toLocaleString('en-US')} flows through nfcapd${compression ? ` -y` : ''} into ${path.relative(ROOT, file)} (once)...`);
  const t0 = Date.now();
  const tmp = `${file}.building`;
  await writeFlowsFile(scaleChunks(count), tmp, { rate: 350_000, ...(compression ? { nfcapd: { compression } } : {}) });
  fs.renameSync(tmp, file);
  console.log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

/** Flows nfdump counts in a file (its stat record). */
async function countFlows(file: string): Promise<number> {
  const stats = await execa('nfdump', ['-r', file, '-I'], { env: { TZ: 'UTC' } });
  return Number(/Flows:\s+(\d+)/.exec(stats.stdout)?.[1] ?? NaN);
}

/** Read a file once, untimed, into the page cache. */
async function warm(file: string): Promise<void> {
  await execa('nfdump', ['-r', file, '-o', 'null'], { stdout: 'ignore' });
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

interface Ours extends Measured {
  flows: number;
  anomalies: number;
  timings?: Record<string, number>;
}

/**
 * `nocflow analyze FILE --json --timings` with a config of `engine` settings (and `env` added to the environment);
 * the stage timers come on stderr.
 */
async function nocflow(file: string, engine: Record<string, unknown>, extra: string[] = [], env: Record<string, string> = {}): Promise<Ours> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-bench-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ engine }), { mode: 0o600 });
  try {
    const m = await measure('node', [NOCFLOW, 'analyze', file, '--json', '--timings', ...extra], { keepStdout: true, keepStderr: true, env: { ...env, NOCFLOW_CONFIG_DIR: dir } });
    const doc = JSON.parse(m.stdout) as { flows: number; anomalies: unknown[] };
    const t = /timings (\{.*\})/.exec(m.stderr ?? '');
    return { ...m, flows: doc.flows, anomalies: doc.anomalies.length, ...(t ? { timings: JSON.parse(t[1]) as Record<string, number> } : {}) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const W = [44, 8, 12, 9, 9];
const header = () => console.log(row(['command', 'wall s', 'flows/s', 'peak MiB', 'load 1m'], W));
function line(name: string, m: Measured, flows: number, loadAt: string): void {
  console.log(row([name, m.seconds, Math.round(flows / m.seconds).toLocaleString('en-US'), m.peakRssMiB, loadAt], W));
}
function timed<T>(f: () => Promise<T>): () => Promise<[T, string]> {
  return async () => {
    const r = await f();
    return [r, os.loadavg()[0].toFixed(2)];
  };
}
const stages = (o: Ours) => (o.timings ? Object.entries(o.timings).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ') : 'no timings');
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** Run the analyze benchmark and print the tables. */
export async function run(): Promise<void> {
  console.log(`${new Date().toISOString()} on ${os.cpus().length} cores, load average ${load()}`);
  const file = await ensureScaleFile(FLOWS);
  const flows = await countFlows(file);
  console.log(`window: ${flows.toLocaleString('en-US')} flows, ${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB uncompressed, three exporters (${path.relative(ROOT, file)})`);
  // One untimed read first: a file just built may come from disk for whichever tool reads it first (run E's
  // `-o null` took 1.19 s cold against 0.46 s warm); every measured run then reads from the page cache.
  await warm(file);
  header();
  const [nfNull, l1] = await timed(() => measure('nfdump', ['-r', file, '-o', 'null']))();
  line('nfdump -o null', nfNull, flows, l1);
  const [nfStats, l2] = await timed(() => measure('nfdump', ['-r', file, '-s', 'srcip/flows', '-s', 'dstip/flows', '-s', 'dstport', '-n', '500']))();
  line('nfdump -s srcip -s dstip -s dstport -n 500', nfStats, flows, l2);
  const [native, l3] = await timed(() => nocflow(file, { reader: 'native' }))();
  line('nocflow analyze (native)', native, flows, l3);
  // Transparent huge pages for malloc's memory (glibc ≥ 2.35; THP is "madvise" here): the tables' first touches
  // cost a page fault per 4 KiB otherwise, and their random accesses a TLB miss each.
  const [thp, l3b] = await timed(() => nocflow(file, { reader: 'native' }, [], { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }))();
  line('nocflow analyze (native, huge pages)', thp, flows, l3b);
  const [withWorker, l4] = await timed(() => nocflow(file, { reader: 'native' }, ['--worker']))();
  line('nocflow analyze (native, --worker)', withWorker, flows, l4);
  // The native reader in a worker thread (decode-workers.ts), alone and with the destination side's worker: three
  // threads on the two cores.
  const [decodeW, l4b] = await timed(() => nocflow(file, { reader: 'native' }, ['--decode-worker']))();
  line('nocflow analyze (native, --decode-worker)', decodeW, flows, l4b);
  const [bothW, l4c] = await timed(() => nocflow(file, { reader: 'native' }, ['--decode-worker', '--worker']))();
  line('nocflow analyze (both workers)', bothW, flows, l4c);
  const [reread, l5] = await timed(() => nocflow(file, { reader: 'native' }, ['--keep-flows', 'reread']))();
  line('nocflow analyze (native, flows read again)', reread, flows, l5);
  const [columns, l6] = await timed(() => nocflow(file, { reader: 'native' }, ['--keep-flows', 'columns']))();
  line('nocflow analyze (native, flows kept)', columns, flows, l6);
  const [viaNfdump, l7] = await timed(() => nocflow(file, { reader: 'nfdump' }))();
  line('nocflow analyze (engine.reader=nfdump)', viaNfdump, flows, l7);
  // The engine analyses one window after another in one process, reusing the last window's memory (BufferPool).
  const engineRun = await measure('node', [path.join(path.dirname(fileURLToPath(import.meta.url)), 'engine-windows.js'), file, '3'], { keepStdout: true });
  const engine = JSON.parse(engineRun.stdout) as { seconds: number[]; anomalies: number };
  const steady = engine.seconds.slice(1);
  const engineSteady = steady.reduce((a, b) => a + b, 0) / steady.length;
  console.log(row(['engine: windows 2-3 in one process (pool)', engineSteady, Math.round(flows / engineSteady).toLocaleString('en-US'), engineRun.peakRssMiB, load().split(' ')[0]], W));
  // The same with engine.decodeWorker and engine.destinationWorker.
  const engineWRun = await measure('node', [path.join(path.dirname(fileURLToPath(import.meta.url)), 'engine-windows.js'), file, '3', 'workers'], { keepStdout: true });
  const engineW = JSON.parse(engineWRun.stdout) as { seconds: number[]; anomalies: number };
  const steadyW = engineW.seconds.slice(1);
  const engineWSteady = steadyW.reduce((a, b) => a + b, 0) / steadyW.length;
  console.log(row(['engine: windows 2-3, both workers', engineWSteady, Math.round(flows / engineWSteady).toLocaleString('en-US'), engineWRun.peakRssMiB, load().split(' ')[0]], W));

  console.log(`\nstages (native): ${stages(native)}`);
  console.log(`stages (huge pages): ${stages(thp)}`);
  console.log(`stages (--worker): ${stages(withWorker)}`);
  console.log(`stages (--decode-worker): ${stages(decodeW)}`);
  console.log(`stages (both workers): ${stages(bothW)}`);
  console.log(`stages (read again): ${stages(reread)}`);
  console.log(`stages (kept): ${stages(columns)}`);
  const rs = native.seconds / nfStats.seconds, rn = native.seconds / nfNull.seconds;
  console.log(`\nnative = ${rs.toFixed(3)}× nfdump -s (target ≤ 0.2×): ${verdict(rs <= 0.2)}`);
  console.log(`native = ${rn.toFixed(2)}× nfdump -o null (target ≤ 12×): ${verdict(rn <= 12)}`);
  console.log(`native peak RSS ${native.peakRssMiB.toFixed(0)} MiB (target ≤ 1024): ${verdict(native.peakRssMiB <= 1024)}`);
  console.log(`engine.reader=nfdump = ${(viaNfdump.seconds / native.seconds).toFixed(2)}× native`);
  console.log(`huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1): ${(native.seconds / thp.seconds).toFixed(2)}× faster (${thp.seconds.toFixed(2)} s, ${thp.peakRssMiB.toFixed(0)} MiB)`);
  console.log(`destination worker: ${(native.seconds / withWorker.seconds).toFixed(2)}× faster with it (in-thread ${native.seconds.toFixed(2)} s, --worker ${withWorker.seconds.toFixed(2)} s)`);
  console.log(`decode worker: ${(native.seconds / decodeW.seconds).toFixed(2)}× faster with it (${decodeW.seconds.toFixed(2)} s); both workers: ${(native.seconds / bothW.seconds).toFixed(2)}× (${bothW.seconds.toFixed(2)} s = ${(bothW.seconds / nfNull.seconds).toFixed(2)}× nfdump -o null, ${(bothW.seconds / nfStats.seconds).toFixed(3)}× -s)`);
  console.log(`flows read again vs kept: ${reread.seconds.toFixed(2)} s / ${reread.peakRssMiB.toFixed(0)} MiB vs ${columns.seconds.toFixed(2)} s / ${columns.peakRssMiB.toFixed(0)} MiB`);
  for (const o of [native, thp, withWorker, decodeW, bothW, reread, columns, viaNfdump]) {
    if (o.flows !== flows) console.log(`WARNING: nocflow counted ${o.flows} flows, nfdump ${flows}`);
  }
  console.log(`engine (a window after a window, one process): ${engine.seconds.map((x) => x.toFixed(2)).join(' / ')} s; windows after the first = ${(engineSteady / nfNull.seconds).toFixed(2)}× nfdump -o null, ${(engineSteady / nfStats.seconds).toFixed(3)}× nfdump -s`);
  console.log(`engine with both workers: ${engineW.seconds.map((x) => x.toFixed(2)).join(' / ')} s; windows after the first = ${(engineWSteady / nfNull.seconds).toFixed(2)}× nfdump -o null, ${(engineWSteady / nfStats.seconds).toFixed(3)}× nfdump -s`);
  console.log(`anomalies reported: ${native.anomalies} (both workers: ${bothW.anomalies}, nfdump reader: ${viaNfdump.anomalies}, engine: ${engine.anomalies}, engine with workers: ${engineW.anomalies})`);

  if (BACKBONE_FLOWS > 0) {
    const big = await ensureScaleFile(BACKBONE_FLOWS, 'lz4');
    const bigFlows = await countFlows(big);
    console.log(`\nbackbone window: ${bigFlows.toLocaleString('en-US')} flows, ${(fs.statSync(big).size / 2 ** 20).toFixed(0)} MiB LZ4 (${path.relative(ROOT, big)})`);
    await warm(big);
    header();
    const [bNull, b1] = await timed(() => measure('nfdump', ['-r', big, '-o', 'null']))();
    line('nfdump -o null', bNull, bigFlows, b1);
    const [bOurs, b2] = await timed(() => nocflow(big, { reader: 'native' }))();
    line('nocflow analyze (native)', bOurs, bigFlows, b2);
    const [bBoth, b3] = await timed(() => nocflow(big, { reader: 'native' }, ['--worker', '--decode-worker']))();
    line('nocflow analyze (both workers)', bBoth, bigFlows, b3);
    console.log(`stages: ${stages(bOurs)}`);
    console.log(`stages (both workers): ${stages(bBoth)}`);
    console.log(`backbone: ${bOurs.seconds.toFixed(1)} s (target ≤ 60): ${verdict(bOurs.seconds <= 60)}; peak RSS ${bOurs.peakRssMiB.toFixed(0)} MiB (target ≤ 3072): ${verdict(bOurs.peakRssMiB <= 3072)}; ${(bOurs.seconds / bNull.seconds).toFixed(1)}× nfdump -o null`);
    console.log(`backbone with both workers: ${bBoth.seconds.toFixed(1)} s (target ≤ 60): ${verdict(bBoth.seconds <= 60)}; peak RSS ${bBoth.peakRssMiB.toFixed(0)} MiB; ${(bOurs.seconds / bBoth.seconds).toFixed(2)}× faster than in-thread`);
    if (bBoth.anomalies !== bOurs.anomalies) console.log(`WARNING: both workers reported ${bBoth.anomalies} anomalies, in-thread ${bOurs.anomalies}`);
    if (bOurs.flows !== bigFlows) console.log(`WARNING: nocflow counted ${bOurs.flows} flows, nfdump ${bigFlows}`);
  }
  console.log(`\nload average at the end: ${load()}`);
}
