/**
 * The worker thread of the window's destination side (engine/aggregate.ts DestinationSide): it receives each
 * batch's DestinationPart (transferred), acknowledges it when folded in, and at `finish` transfers its tables back.
 * Started by {@link workerDestinations} (window-workers.ts); nothing else runs here.
 */
import { parentPort } from 'node:worker_threads';
import { DestinationSide, type DestinationPart } from '../engine/aggregate.js';
import type { FromDestinationWorker, ToDestinationWorker } from './window-workers.js';

const side = new DestinationSide();
const port = parentPort;
if (!port) throw new Error('destination-worker.js runs as a worker thread only');

port.on('message', (m: ToDestinationWorker) => {
  try {
    if (m.t === 'reserve') side.reserve(m.n);
    else if (m.t === 'part') {
      side.add(m.part as DestinationPart);
      port.postMessage({ t: 'done' } satisfies FromDestinationWorker);
    } else if (m.t === 'finish') {
      const tables = side.finish();
      const transfer = [tables.family.buffer, tables.key.buffer, tables.v6Words.buffer, tables.records.buffer].filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
      port.postMessage({ t: 'tables', tables } satisfies FromDestinationWorker, transfer);
    }
  } catch (err) {
    port.postMessage({ t: 'error', message: (err as Error).stack ?? String(err) } satisfies FromDestinationWorker);
  }
});
