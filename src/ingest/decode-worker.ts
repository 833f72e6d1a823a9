/**
 * The decode worker thread (decode-workers.ts): its own native source reads the files it is given, and each batch
 * is copied into one of at most `inFlight` hand-over batches, whose buffers are transferred to the calling thread and
 * come back when the consumer is done with them. The reader's own batches stay here (its reuse contract is
 * unchanged); the copy is the worker's work, off the calling thread. Nothing else runs here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { batchBuffers, copyBatchInto, createBatch } from '../engine/batch.js';
import type { FlowBatch } from '../engine/types.js';
import { FlowSourceError } from './errors.js';
import { createNativeSource } from './nffile/source.js';
import { createNfdumpSource } from './nfdump/source.js';
import type { DecodeWorkerReader, FromDecodeWorker, ToDecodeWorker } from './decode-workers.js';

const port = parentPort;
if (!port) throw new Error('decode-worker.js runs as a worker thread only');
const reader = (workerData ?? {}) as DecodeWorkerReader;
const source = createNativeSource({
  fallback: createNfdumpSource({ bin: reader.nfdumpBin }),
  ...(reader.indexDir ? { indexDir: reader.indexDir } : {}),
  ...(reader.maxSkippedShare !== undefined ? { maxSkippedShare: reader.maxSkippedShare } : {}),
});

/** Hand-over batches given back, and the wait for one. */
const free: FlowBatch[] = [];
let made = 0;
let waiting: (() => void) | undefined;

port.on('message', (m: ToDecodeWorker) => {
  if (m.t === 'give') {
    free.push(m.batch);
    const w = waiting;
    waiting = undefined;
    w?.();
  } else if (m.t === 'read') void read(m);
});

async function handOver(limit: number, rows: number): Promise<FlowBatch> {
  for (;;) {
    const b = free.pop();
    if (b && b.family.length >= rows) return b;
    if (b) made--; // too small for this batch: let it go and make a bigger one
    if (made < limit) {
      made++;
      return createBatch(Math.max(rows, 65536));
    }
    await new Promise<void>((r) => (waiting = r));
  }
}

const post = (m: FromDecodeWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

async function read(m: Extract<ToDecodeWorker, { t: 'read' }>): Promise<void> {
  try {
    const batches = source.read(m.files, {
      ...(m.filter ? { filter: m.filter } : {}),
      ...(m.timeWindow ? { timeWindow: m.timeWindow } : {}),
      ...(m.batchSize ? { batchSize: m.batchSize } : {}),
      onOpen: (info) => post({ t: 'open', info }),
      onFile: (info) => post({ t: 'file', info }),
    });
    for await (const b of batches) {
      const out = await handOver(m.inFlight, b.size);
      copyBatchInto(b, out);
      post({ t: 'batch', batch: out }, batchBuffers(out));
    }
    post({ t: 'end' });
  } catch (err) {
    const e = err as Error;
    post({
      t: 'error',
      error: e instanceof FlowSourceError ? { name: e.name, message: e.message, file: e.file, reason: e.reason, fault: e.fault } : { name: e?.name ?? 'Error', message: e?.stack ?? String(err) },
    });
  }
}
