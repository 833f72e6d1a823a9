/**
 * The measured process of `npm run bench -- ioc` (run under /usr/bin/time by bench/ioc.ts):
 * `read FILE...` reads the files once with the default reader and counts the flows (the baseline);
 * `match LIST FILE...` runs stage 1 — every IoC of LIST at once — over the same files. Prints one JSON line.
 */
import fs from 'node:fs';
import { flowSourceFrom } from '../src/ingest/flow-source.js';
import { filesStage1 } from '../src/ioc/stage1.js';

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  const source = flowSourceFrom({});
  if (mode === 'read') {
    let flows = 0;
    for (const f of rest) for await (const b of source.read([f])) flows += b.size;
    process.stdout.write(`${JSON.stringify({ flows })}\n`);
    return;
  }
  const [listFile, ...files] = rest;
  const iocs = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  const r = await filesStage1(source).collect(iocs, [], { from: 0, to: 0 }, { sampleSize: 10_000, files });
  const matchedIocs = r.totals.filter((t) => t > 0).length;
  process.stdout.write(`${JSON.stringify({ flows: r.counters.flows, matched: r.counters.matched, sampleRows: r.counters.sampleRows, sampleBytes: r.counters.sampleBytes, iocs: iocs.length, matchedIocs, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
