/**
 * Benchmark of `nocflow ship`: documents/s serializing one nfcapd file into IPFIX-schema bulk documents sent to a
 * local HTTP endpoint that accepts `_bulk` (a stand-in written here, on 127.0.0.1:0), against nfdump's own print
 * rate for the same file (`-o fmt:` with the same fields, and `-o json`), as ratios measured in the same run.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { writeScaleFile } from '../src/gen/index.js';
import { measure, row } from './measure.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLOWS = Number(process.env.NOCFLOW_BENCH_SHIP_FLOWS ?? 1_000_000);
/** The fields a shipped document carries, as nfdump prints them. */
const SAME_FIELDS = 'fmt:%sa,%da,%sp,%dp,%pr,%flg,%pkt,%byt,%in,%out,%ra,%tsr,%ter,%sas,%das';

/** A counting `_bulk` endpoint: answers like ES (201 per item) and the few cluster calls the writer makes. */
async function startBulkEndpoint() {
  const counters = { requests: 0, docs: 0, bytes: 0, maxBody: 0 };
  const server = http.createServer((req, res) => {
    let bytes = 0;
    let newlines = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) newlines++;
    });
    req.on('end', () => {
      let body = '{}';
      if (req.url?.startsWith('/_bulk')) {
        const n = newlines >> 1;
        counters.requests++;
        counters.docs += n;
        counters.bytes += bytes;
        counters.maxBody = Math.max(counters.maxBody, bytes);
        body = `{"took":1,"errors":false,"items":[${new Array(n).fill('{"index":{"status":201}}').join(',')}]}`;
      } else if (req.url?.startsWith('/_nodes')) body = '{"nodes":{"a":{"roles":["data"]}}}';
      else if (req.url?.startsWith('/_cat')) body = '[]';
      res.writeHead(req.method === 'HEAD' ? 404 : 200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, counters, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function ensureFile(): Promise<string> {
  const file = path.join(ROOT, '.bench-data', `ship-v1-${FLOWS}`, 'nfcapd.202611221405');
  if (fs.existsSync(file)) return file;
  console.log(`building ${FLOWS.toLocaleString('en-US')} flows through nfcapd into ${path.relative(ROOT, file)} (once)...`);
  await writeScaleFile(file, FLOWS);
  return file;
}

/** Run the ship benchmark and print the table. */
export async function run(): Promise<void> {
  const file = await ensureFile();
  const info = await execa('nfdump', ['-r', file, '-I'], { env: { TZ: 'UTC' } });
  const flows = Number(/Flows:\s+(\d+)/.exec(info.stdout)?.[1] ?? NaN);
  const endpoint = await startBulkEndpoint();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-bench-ship-'));
  try {
    const env = { NOCFLOW_CONFIG_DIR: path.join(home, 'cfg'), NOCFLOW_DATA_DIR: path.join(home, 'data') };
    const ours = await measure('node', [path.join(ROOT, 'bin/nocflow.js'), 'ship', file, '--node', endpoint.url, '--no-backfill', '--json'], { keepStdout: true, env });
    const shipped = JSON.parse(ours.stdout) as { flows: number; indexed: number; spooled: number };
    const nfFmt = await measure('nfdump', ['-r', file, '-q', '-N', '-o', SAME_FIELDS]);
    const nfJson = await measure('nfdump', ['-r', file, '-q', '-o', 'json']);

    console.log(`file: ${flows.toLocaleString('en-US')} flows (${path.relative(ROOT, file)}); endpoint got ${endpoint.counters.docs.toLocaleString('en-US')} docs in ${endpoint.counters.requests} bulk requests, largest ${(endpoint.counters.maxBody / 1e6).toFixed(2)} MB, ${(endpoint.counters.bytes / 1e6).toFixed(0)} MB total`);
    if (shipped.indexed !== flows || shipped.spooled !== 0) console.log(`WARNING: shipped ${shipped.indexed} of ${flows} (spooled ${shipped.spooled})`);
    const w = [44, 9, 12, 10, 18];
    console.log(row(['command', 'wall s', 'docs/s', 'peak MiB', 'time / ship time'], w));
    const line = (name: string, m: { seconds: number; peakRssMiB: number }) =>
      console.log(row([name, m.seconds, Math.round(flows / m.seconds).toLocaleString('en-US'), m.peakRssMiB, `${(m.seconds / ours.seconds).toFixed(2)}×`], w));
    line('nocflow ship → local _bulk endpoint', ours);
    line('nfdump -q -N -o fmt:<same fields>', nfFmt);
    line('nfdump -q -o json', nfJson);
    console.log(`ship rate / nfdump fmt print rate: ${(nfFmt.seconds / ours.seconds).toFixed(2)} · / nfdump json print rate: ${(nfJson.seconds / ours.seconds).toFixed(2)}`);
  } finally {
    await endpoint.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}
