/**
 * Benchmark of the engine core: one window of ≥ 10 M flows between millions of distinct IPs, made by the generator
 * through a real nfcapd (built once, kept in .bench-data/). Prints nocflow's wall time, flows/s and peak RSS next to
 * nfdump printing the same fields and nfdump's own top-N statistics on the same file, as ratios, in one run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { writeScaleFile } from '../src/gen/index.js';
import { measure, row } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLOWS = Number(process.env.NOCFLOW_BENCH_FLOWS ?? 10_000_000);
/** The fields nocflow reads from every flow, as an nfdump fmt: (the comparison the issue names). */
const SAME_FIELDS = 'fmt:%tsr %ter %sa %da %sp %dp %pr %flg %pkt %byt %in %out %sas %das %ra';

async function ensureFile(): Promise<string> {
  const file = path.join(ROOT, '.bench-data', `scale-v2-${FLOWS}`, 'nfcapd.202611221405');
  if (fs.existsSync(file)) return file;
  console.log(`building ${FLOWS.toLocaleString('en-US')} flows through nfcapd into ${path.relative(ROOT, file)} (once)...`);
  const t0 = Date.now();
  await writeScaleFile(file, FLOWS);
  console.log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

/** Run the analyze benchmark and print the table. */
export async function run(): Promise<void> {
  const file = await ensureFile();
  const stats = await execa('nfdump', ['-r', file, '-I'], { env: { TZ: 'UTC' } });
  const flows = Number(/Flows:\s+(\d+)/.exec(stats.stdout)?.[1] ?? NaN);
  console.log(`window: ${flows.toLocaleString('en-US')} flows, ${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB (${path.relative(ROOT, file)})`);

  const nfPrint = await measure('nfdump', ['-r', file, '-q', '-N', '-o', SAME_FIELDS]);
  const nfPipe = await measure('nfdump', ['-r', file, '-q', '-o', 'pipe']);
  const nfStats = await measure('nfdump', ['-r', file, '-s', 'srcip/flows', '-s', 'dstip/flows', '-s', 'dstport', '-n', '500']);
  const ours = await measure('node', [path.join(ROOT, 'bin/nocflow.js'), 'analyze', file, '--json'], { keepStdout: true, env: { NOCFLOW_CONFIG_DIR: path.join(ROOT, '.bench-data', 'cfg') } });
  const doc = JSON.parse(ours.stdout) as { flows: number; anomalies: { ip: string; type: string }[] };
  const distinct = doc.anomalies.length;


  const w = [46, 9, 12, 10, 16];
  console.log(row(['command', 'wall s', 'flows/s', 'peak MiB', 'nocflow / this'], w));
  const line = (name: string, m: { seconds: number; peakRssMiB: number }) =>
    console.log(row([name, m.seconds, `${Math.round(flows / m.seconds).toLocaleString('en-US')}`, m.peakRssMiB, `${(ours.seconds / m.seconds).toFixed(2)}×`], w));
  line('nocflow analyze --json', ours);
  line('nfdump -q -o fmt:<same fields>', nfPrint);
  line('nfdump -q -o pipe (what nocflow reads)', nfPipe);
  line('nfdump -s srcip -s dstip -s dstport -n 500', nfStats);
  const ratio = ours.seconds / nfPrint.seconds;
  console.log(`\nnocflow analyze = ${ratio.toFixed(2)}× nfdump printing the same fields (target ≤ 1.5×): ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
  console.log(`peak RSS ${ours.peakRssMiB.toFixed(0)} MiB (target < 2048): ${ours.peakRssMiB < 2048 ? 'met' : 'NOT met'}`);
  console.log(`anomalies reported: ${distinct} (${doc.anomalies.slice(0, 3).map((a) => `${a.ip} ${a.type}`).join(', ')})`);
  if (doc.flows !== flows) console.log(`WARNING: nocflow counted ${doc.flows} flows, nfdump ${flows}`);
}
