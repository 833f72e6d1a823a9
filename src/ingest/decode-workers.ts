/**
 * The native reader in a worker thread (shell): a FlowSource whose reads of big files run the native nffile reader
 * (block reads, decompression, decoding, the block index) in a worker, which hands each batch over (its buffers
 * transferred, never copied across) and gets it back for reuse once the consumer asked for the next one. The
 * calling thread is left the aggregation; with the destination side in a worker too (window-workers.ts), a window's
 * work runs on three threads, which the two cores share.
 *
 * Small reads (under `minBytes` in all), and a build without the compiled worker (tests run from the TypeScript
 * sources), stay in-thread. The read's filter, time window and batch size go to the worker as plain data; `onOpen` and
 * `onFile` are called here, in order with the batches; the AbortSignal and a consumer that stops early end the
 * worker. A FlowSourceError in the worker is one here, with its file, reason and fault; a failure of the worker
 * itself is a FlowSourceError with fault `reader` (the file is not to blame).
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { batchBuffers, lendBatches } from '../engine/batch.js';
import type { FileOpenInfo, FileReadInfo, FlowBatch, FlowFilter, FlowReadOptions, FlowSource } from '../engine/types.js';
import { cancelledRead, FlowSourceError, type FlowSourceFault } from './errors.js';
import { workerAvailable } from './window-workers.js';

/** What the worker needs to make its own native source (plain data). */
export interface DecodeWorkerReader {
  nfdumpBin?: string;
  indexDir?: string;
  maxSkippedShare?: number;
}

/** Messages to the decode worker. */
export type ToDecodeWorker =
  | { t: 'read'; files: string[]; filter?: FlowFilter; timeWindow?: { from: number; to: number }; batchSize?: number; inFlight: number }
  | { t: 'give'; batch: FlowBatch };
/** Messages from it. */
export type FromDecodeWorker =
  | { t: 'open'; info: FileOpenInfo }
  | { t: 'batch'; batch: FlowBatch }
  | { t: 'file'; info: FileReadInfo }
  | { t: 'end' }
  | { t: 'error'; error: { name: string; message: string; file?: string; reason?: string; fault?: FlowSourceFault } };

/** Options of {@link decodeInWorker}. */
export interface DecodeWorkerOptions {
  /** The worker's reader settings (its own native source, with the nfdump driver as its fallback). */
  reader: DecodeWorkerReader;
  /** The same source in this thread: small reads, and when the compiled worker is absent. */
  inThread: FlowSource;
  /** Reads of fewer bytes in all stay in-thread (default 32 MiB, about 300 000 flows uncompressed; 0: always). */
  minBytes?: number;
  /** Batches handed over and not yet given back before the worker waits (default 4): bounds the memory. */
  inFlight?: number;
  /** The worker script (default: decode-worker.js next to this module). */
  workerUrl?: URL;
}

const DEFAULT_URL = new URL('./decode-worker.js', import.meta.url);

/** A FlowSource that reads big files in a decode worker (see the module comment), small ones with `inThread`. */
export function decodeInWorker(opts: DecodeWorkerOptions): FlowSource {
  const url = opts.workerUrl ?? DEFAULT_URL;
  const minBytes = opts.minBytes ?? 32 * 1024 * 1024;
  return {
    read(files: string[], ro: FlowReadOptions = {}): AsyncIterable<FlowBatch> {
      if (totalBytes(files) < minBytes || !workerAvailable(url)) return opts.inThread.read(files, ro);
      return readInWorker(url, opts, files, ro);
    },
    ...(opts.inThread.check ? { check: () => opts.inThread.check!() } : {}),
  };
}

/** The bytes of the files that exist (a missing one is the reader's to report). */
function totalBytes(files: string[]): number {
  let n = 0;
  for (const f of files) {
    try {
      n += fs.statSync(f).size;
    } catch {
      // reported by the reader, with its reason
    }
  }
  return n;
}

async function* readInWorker(url: URL, opts: DecodeWorkerOptions, files: string[], ro: FlowReadOptions): AsyncGenerator<FlowBatch> {
  const signal = ro.signal;
  if (signal?.aborted) throw cancelledRead(files[0] ?? '');
  const worker = new Worker(url, { workerData: opts.reader });
  // Messages in arrival order; `wake` resolves the consumer's wait for the next one.
  const queue: FromDecodeWorker[] = [];
  let wake: (() => void) | undefined;
  let failure: FlowSourceError | undefined;
  let ended = false;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (e: FlowSourceError) => {
    failure ??= e;
    notify();
  };
  worker.on('message', (m: FromDecodeWorker) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (e) => fail(new FlowSourceError(`the decode worker failed: ${e.message}`, files[0] ?? '', 'decode worker failed', { cause: e, fault: 'reader' })));
  worker.on('exit', (code) => {
    if (!ended) fail(new FlowSourceError(`the decode worker exited (code ${code})`, files[0] ?? '', 'decode worker exited', { fault: 'reader' }));
  });
  const onAbort = () => fail(cancelledRead(files[0] ?? ''));
  signal?.addEventListener('abort', onAbort);
  try {
    worker.postMessage({ t: 'read', files, filter: ro.filter, timeWindow: ro.timeWindow, batchSize: ro.batchSize, inFlight: opts.inFlight ?? 4 } satisfies ToDecodeWorker);
    for (;;) {
      while (queue.length === 0 && !failure) await new Promise<void>((r) => (wake = r));
      // Messages already here come first: a worker that ended or failed after them told us so in order.
      const m = queue.shift();
      if (!m) throw failure!;
      if (signal?.aborted) throw cancelledRead(files[0] ?? '');
      if (m.t === 'open') ro.onOpen?.(m.info);
      else if (m.t === 'file') ro.onFile?.({ ...m.info, thread: 'worker' });
      else if (m.t === 'batch') {
        yield* lendBatches([m.batch], (b) => {
          if (!ended && !failure) worker.postMessage({ t: 'give', batch: b } satisfies ToDecodeWorker, batchBuffers(b));
        });
      } else if (m.t === 'end') {
        ended = true;
        return;
      } else {
        ended = true;
        const e = m.error;
        if (e.name === 'FlowSourceError') throw new FlowSourceError(e.message, e.file ?? '', e.reason ?? e.message, { fault: e.fault });
        throw new Error(`the decode worker: ${e.message}`);
      }
    }
  } finally {
    ended = true;
    signal?.removeEventListener('abort', onAbort);
    void worker.terminate();
  }
}

