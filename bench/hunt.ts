/**
 * Benchmark of the daily hunt: a day of hourly nfcapd files (24 × 2 M flows by default; NOCFLOW_BENCH_HUNT_FILES and
 * NOCFLOW_BENCH_HUNT_FLOWS scale it down), built once through a real nfcapd into .bench-data/, with 50 catalogue
 * signatures stored as the engine's attackers of those files (so the hunt analyses nothing). Measures in one run:
 * `nocflow hunt --auto DIR --json` against reading the same files once with the default reader (target ≤ 1.3×: one
 * pass, not one per signature) and against `nfdump -R` with the 50 signatures as one filter.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFlowsFile } from '../src/gen/index.js';
import { nfcapdName } from '../src/ingest/watcher.js';
import { rng } from '../src/gen/scenarios.js';
import type { Anomaly, FlowRecord, WindowResult } from '../src/engine/types.js';
import { timeSlotOf } from '../src/engine/types.js';
import { openDb } from '../src/store/db.js';
import { EngineStore } from '../src/store/engine-store.js';
import { measure, row } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FILES = Number(process.env.NOCFLOW_BENCH_HUNT_FILES ?? 24);
const FLOWS = Number(process.env.NOCFLOW_BENCH_HUNT_FLOWS ?? 2_000_000);
const SIGNATURES = 50;
const MEMBERS = 40;
const DAY = Date.UTC(2026, 10, 22);

/** The 50 shapes: service ports × packets × bytes above the header. */
export function benchSignatures(): { port: number; packets: number; bytes: number; proto: number }[] {
  const ports = [22, 23, 445, 1433, 3306, 3389, 5060, 5900, 6379, 11211];
  return Array.from({ length: SIGNATURES }, (_, k) => {
    const port = ports[k % ports.length];
    const proto = port === 5060 || port === 11211 ? 17 : 6;
    const packets = 1 + Math.floor(k / ports.length);
    return { port, packets, bytes: packets * (proto === 6 ? 40 : 28) + 12 + 4 * k, proto };
  });
}

const ip4 = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** One hour's flows in chunks: background between millions of addresses, and 1 % signature flows of 40 members each. */
function* hourChunks(hour: number, count: number): Generator<FlowRecord[]> {
  const r = rng(100 + hour);
  const sigs = benchSignatures();
  const base = DAY + hour * 3_600_000;
  for (let done = 0; done < count; ) {
    const m = Math.min(50_000, count - done);
    const out: FlowRecord[] = new Array(m);
    for (let i = 0; i < m; i++) {
      const k = done + i;
      const start = base + Math.floor((k / count) * 3_599_000);
      if (k % 100 === 0) {
        const si = (k / 100) % SIGNATURES;
        const s = sigs[si];
        const member = Math.floor(r() * MEMBERS);
        out[i] = { src: ip4(0x2d000000 + si * 256 + member), dst: ip4(0x3c000000 + Math.floor(r() * 0xffffff)), sport: 32768 + Math.floor(r() * 28000), dport: s.port, proto: s.proto, flags: s.proto === 6 ? 0x1b : 0, packets: s.packets, bytes: s.bytes, start, end: start + 300, inIf: 1, outIf: 2, exporter: '127.0.0.1', srcAs: 0, dstAs: 0 };
      } else {
        const pk = 1 + Math.floor(r() * 30);
        out[i] = {
          src: ip4(0x50000000 + Math.floor(r() * 2 ** 21) * 7), dst: ip4(0x70000000 + Math.floor(r() * 2 ** 22) * 3), sport: 1024 + Math.floor(r() * 64000), dport: [443, 80, 53, 22, 8080][k % 5],
          proto: k % 7 === 0 ? 17 : 6, flags: 0x1b, packets: pk, bytes: pk * (60 + Math.floor(r() * 1400)), start, end: start + 500, inIf: 1, outIf: 2, exporter: '127.0.0.1', srcAs: 0, dstAs: 0,
        };
      }
    }
    done += m;
    yield out;
  }
}

/** The engine's stored attackers of the day: one loud attacker per signature, in the first file's window. */
function storeCatalogue(dbFile: string, files: string[]): void {
  fs.rmSync(dbFile, { force: true });
  const db = openDb(dbFile);
  const store = new EngineStore(db);
  const sigs = benchSignatures();
  files.forEach((f, h) => {
    const start = DAY / 1000 + h * 3600;
    const anomalies: Anomaly[] = h > 0 ? [] : sigs.map((s, k) => ({
      ip: ip4(0x2d000000 + k * 256), role: 'attacker', type: 'scan', severity: 'over', score: 1, evidence: [], signature: `${s.port}-${s.packets}-${s.bytes}`,
      metrics: { flows: 1000, packets: 1000 * s.packets, bytes: 1000 * s.bytes, distinctPeers: 1000, distinctPorts: 1 },
      features: { protocols: [{ value: s.proto, share: 1 }], dstPorts: [{ value: s.port, share: 1 }], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 0, onePacket40Share: 0, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
    }));
    const w: WindowResult = { window: { timeSlot: timeSlotOf(start), start, end: start + 300 }, flows: FLOWS, packets: 0, bytes: 0, distinctIps: 0, anomalies };
    store.commitWindow(f, w, Date.now());
  });
  db.close();
}

async function ensureDay(): Promise<{ dir: string; files: string[] }> {
  const dir = path.join(ROOT, '.bench-data', `hunt-v2-${FILES}x${FLOWS}`);
  const files = Array.from({ length: FILES }, (_, h) => path.join(dir, nfcapdName(DAY + h * 3_600_000)));
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    console.log(`building ${FILES} hourly files of ${FLOWS.toLocaleString('en-US')} flows through nfcapd into ${path.relative(ROOT, dir)} (once)...`);
    const t0 = Date.now();
    for (const [h, f] of files.entries()) if (!fs.existsSync(f)) await writeFlowsFile(hourChunks(h, FLOWS), f, { rate: 350_000 });
    console.log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { dir, files };
}

/** Run the hunt benchmark and print the table. */
export async function run(): Promise<void> {
  const { dir, files } = await ensureDay();
  const cfgDir = path.join(dir, 'cfg');
  const dbFile = path.join(dir, 'engine.db');
  storeCatalogue(dbFile, files);
  fs.mkdirSync(cfgDir, { recursive: true });
  // No block index: each measured read pays the same (the index is written by a file's first whole read only).
  fs.writeFileSync(path.join(cfgDir, 'config.json'), JSON.stringify({ store: { path: dbFile }, engine: { blockIndex: false } }));
  const env = { NOCFLOW_CONFIG_DIR: cfgDir, NOCFLOW_DATA_DIR: path.join(dir, 'data') };
  const total = FILES * FLOWS;
  console.log(`day: ${FILES} files × ${FLOWS.toLocaleString('en-US')} flows = ${total.toLocaleString('en-US')} flows, ${SIGNATURES} catalogue signatures (${path.relative(ROOT, dir)})`);

  const read = await measure('node', [path.join(ROOT, 'dist/bench/read-files.js'), ...files], { keepStdout: true, env });
  const hunt = await measure('node', [path.join(ROOT, 'bin/nocflow.js'), 'hunt', '--auto', dir, '--json', '--no-progress'], { keepStdout: true, env });
  const filter = benchSignatures().map((s) => `(dst port ${s.port} and packets ${s.packets} and bytes ${s.bytes})`).join(' or ');
  const nf = await measure('nfdump', ['-R', `${dir}/${path.basename(files[0])}:${path.basename(files.at(-1)!)}`, '-q', '-o', 'pipe', filter]);

  const doc = JSON.parse(hunt.stdout) as { flows: number; analysed: number; signatures: { members: unknown[]; hunted: boolean }[] };
  const readFlows = (JSON.parse(read.stdout) as { flows: number }).flows;
  const w = [52, 9, 12, 10, 14];
  console.log(row(['command', 'wall s', 'flows/s', 'peak MiB', 'hunt / this'], w));
  const line = (name: string, m: { seconds: number; peakRssMiB: number }) => console.log(row([name, m.seconds, `${Math.round(total / m.seconds).toLocaleString('en-US')}`, m.peakRssMiB, `${(hunt.seconds / m.seconds).toFixed(2)}×`], w));
  line(`nocflow hunt --auto (${SIGNATURES} signatures, one pass)`, hunt);
  line('read the same files once (default reader)', read);
  line(`nfdump -R -o pipe, the ${SIGNATURES} signatures as one filter`, nf);
  const ratio = hunt.seconds / read.seconds;
  console.log(`\nnocflow hunt = ${ratio.toFixed(2)}× reading the files once (target ≤ 1.3×): ${ratio <= 1.3 ? 'met' : 'NOT met'}`);
  const members = doc.signatures.reduce((n, s) => n + s.members.length, 0);
  console.log(`signatures hunted: ${doc.signatures.filter((s) => s.hunted).length}, members found: ${members} (planted ${SIGNATURES * MEMBERS} at most), files analysed for the catalogue: ${doc.analysed}`);
  if (doc.flows !== readFlows || readFlows !== total) console.log(`WARNING: flows counted: hunt ${doc.flows}, reader ${readFlows}, generated ${total}`);
}
