/**
 * The second core for a window's analysis (shell): the destination side of the aggregation (engine/aggregate.ts)
 * runs in a worker thread while the calling thread reads the files and does the source side. Small windows, and a
 * build without the compiled worker (tests run from the TypeScript sources), stay in-thread.
 *
 * Measured on the 10 M-flow window (README, Benchmarks): the aggregation is most of a window's CPU time and the
 * reading (decode, decompression) a tenth to a quarter (the reader has its own worker: decode-workers.ts); the
 * destination side is the lighter half of the aggregation (one map and one record per flow against the source
 * side's map, record and two pair sets), and on the busy 2-core host it ran slower with the worker than without it
 * (the copies to the worker and the competition for the cores cost more than it saved); on a quiet host it is ahead
 * in most paired runs (~1.1×). So it is opt-in: `analyze --worker`, and `engine.destinationWorker` for the engine.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { localDestinations, type DestinationPart, type DestinationRunner, type DestinationTables } from '../engine/aggregate.js';

/** Messages to the destination worker. */
export type ToDestinationWorker = { t: 'reserve'; n: number } | { t: 'part'; part: DestinationPart } | { t: 'finish' };
/** Messages from it. */
export type FromDestinationWorker = { t: 'done' } | { t: 'tables'; tables: DestinationTables } | { t: 'error'; message: string };

/** Options of {@link workerDestinations}. */
export interface WindowWorkerOptions {
  /** Windows expected to have fewer flows (stat records) stay in-thread (default 200 000; 0: always a worker). */
  minFlows?: number;
  /** Parts in flight before the reader waits (default 3): bounds the memory between the two threads. */
  maxInFlight?: number;
  /** The worker script (default: destination-worker.js next to this module). */
  workerUrl?: URL;
}

const DEFAULT_URL = new URL('./destination-worker.js', import.meta.url);

/** True when the compiled worker script exists (it does not when running from the TypeScript sources). */
export function workerAvailable(url: URL = DEFAULT_URL): boolean {
  try {
    return fs.statSync(fileURLToPath(url)).isFile();
  } catch {
    return false;
  }
}

/** The engine's choice (`engine.destinationWorker`): the worker factory when configured, else in-thread (undefined). */
export function configuredDestinations(engine: { destinationWorker?: boolean }): ((expectedFlows: number) => DestinationRunner) | undefined {
  return engine.destinationWorker ? workerDestinations() : undefined;
}

/** A destination-side factory for WindowAggregator / analyzeRead: a worker for big windows, in-thread otherwise. */
export function workerDestinations(opts: WindowWorkerOptions = {}): (expectedFlows: number) => DestinationRunner {
  const minFlows = opts.minFlows ?? 200_000;
  const url = opts.workerUrl ?? DEFAULT_URL;
  return (expectedFlows) => {
    const dests = Math.ceil(expectedFlows * 0.4);
    if (expectedFlows < minFlows || !workerAvailable(url)) return localDestinations(dests);
    return startWorker(url, dests, opts.maxInFlight ?? 3);
  };
}

function startWorker(url: URL, expectedDestinations: number, maxInFlight: number): DestinationRunner {
  const worker = new Worker(url);
  let inFlight = 0;
  let failure: Error | undefined;
  let waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let tables: { resolve: (t: DestinationTables) => void; reject: (e: Error) => void } | undefined;
  let closed = false;
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiting) w.reject(failure);
    waiting = [];
    tables?.reject(failure);
    tables = undefined;
  };
  worker.on('message', (m: FromDestinationWorker) => {
    if (m.t === 'done') {
      inFlight--;
      if (inFlight < maxInFlight) {
        for (const w of waiting) w.resolve();
        waiting = [];
      }
    } else if (m.t === 'tables') {
      tables?.resolve(m.tables);
      tables = undefined;
    } else fail(new Error(`the window's destination worker failed: ${m.message}`));
  });
  worker.on('error', (e) => fail(new Error(`the window's destination worker failed: ${e.message}`, { cause: e })));
  worker.on('exit', (code) => {
    if (!closed) fail(new Error(`the window's destination worker exited (code ${code})`));
  });
  if (expectedDestinations > 0) worker.postMessage({ t: 'reserve', n: expectedDestinations } satisfies ToDestinationWorker);
  return {
    push(part) {
      if (failure) throw failure;
      inFlight++;
      const transfer = [part.family.buffer, part.dstV4.buffer, part.packets.buffer, part.bytes.buffer, part.newPairRows.buffer, ...(part.dst6 ? [part.dst6.buffer] : [])] as ArrayBuffer[];
      worker.postMessage({ t: 'part', part } satisfies ToDestinationWorker, transfer);
    },
    ready() {
      if (failure) return Promise.reject(failure);
      if (inFlight < maxInFlight) return Promise.resolve();
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    finish() {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        tables = { resolve, reject };
        worker.postMessage({ t: 'finish' } satisfies ToDestinationWorker);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      void worker.terminate();
    },
  };
}
