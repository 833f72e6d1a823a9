/**
 * The benchmark's engine line: the same window analysed `n` times in one process, as the engine's runner analyses one
 * window after another (its BufferPool: every window after the first reuses the previous one's memory). Prints each
 * window's seconds as JSON. Usage: node dist/bench/engine-windows.js FILE N [workers]; `workers`: as with
 * engine.decodeWorker and engine.destinationWorker (the reader and the destination side in worker threads).
 */
import { analyzeRead } from '../src/engine/analyze.js';
import { BufferPool } from '../src/engine/tables.js';
import { createNativeSource } from '../src/ingest/nffile/source.js';
import { decodeInWorker } from '../src/ingest/decode-workers.js';
import { workerDestinations } from '../src/ingest/window-workers.js';

async function main(): Promise<void> {
  const [file, n] = [process.argv[2], Number(process.argv[3] ?? 3)];
  const workers = process.argv[4] === 'workers';
  const source = workers ? decodeInWorker({ inThread: createNativeSource(), reader: {} }) : createNativeSource();
  const destinations = workers ? workerDestinations() : undefined;
  const pool = new BufferPool();
  const seconds: number[] = [];
  let anomalies = 0;
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    const r = await analyzeRead((p) => source.read([file], { onOpen: p.onOpen, onFile: p.onFile }), { files: [file] }, { pool, ...(destinations ? { destinations } : {}) });
    seconds.push((performance.now() - t0) / 1000);
    anomalies = r.anomalies.length;
  }
  process.stdout.write(`${JSON.stringify({ seconds, anomalies, keptMiB: pool.bytes / 2 ** 20 })}\n`);
}

main().catch((err) => {
  console.error(`engine-windows failed: ${err?.stack ?? err}`);
  process.exit(1);
});
