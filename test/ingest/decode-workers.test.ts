/**
 * The native reader in a worker thread (ingest/decode-workers.ts): the same rows, in the same order, with the same
 * onOpen/onFile counters as the in-thread reader, on a generated multi-exporter window (real nfcapd) and an IPv6
 * one, whole and filtered; the same analysed window; the batch contract across the thread boundary; a damaged file,
 * a file cut short, a missing one; cancellation and a consumer that stops early; small reads kept in-thread.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeRead } from '../../src/engine/analyze.js';
import { BatchReusedError, batchRow } from '../../src/engine/batch.js';
import type { FileOpenInfo, FileReadInfo, FlowReadOptions, FlowRecord, FlowSource } from '../../src/engine/types.js';
import { decodeInWorker } from '../../src/ingest/decode-workers.js';
import { workerAvailable } from '../../src/ingest/window-workers.js';
import { FlowSourceError } from '../../src/ingest/errors.js';
import { createNativeSource } from '../../src/ingest/nffile/source.js';
import { blockMap } from './nffile/build.js';
import { floodFile, truncatedCopy, VICTIM } from '../helpers/pipeline-window.js';
import { generated } from './nffile/generated.js';

const ROOT = path.resolve(__dirname, '../..');
const WORKER = pathToFileURL(path.join(ROOT, 'dist/src/ingest/decode-worker.js'));

/** Through the worker for every read (minBytes 0). */
const inWorker = (inFlight?: number): FlowSource => decodeInWorker({ inThread: createNativeSource(), reader: {}, minBytes: 0, workerUrl: WORKER, ...(inFlight ? { inFlight } : {}) });

/** Every row of a read, the onOpen/onFile calls in order among the batches, and the batch sizes. */
async function drain(source: FlowSource, files: string[], opts: FlowReadOptions = {}) {
  const rows: FlowRecord[] = [];
  const events: string[] = [];
  const opens: FileOpenInfo[] = [];
  const infos: FileReadInfo[] = [];
  for await (const b of source.read(files, { ...opts, onOpen: (i) => { opens.push(i); events.push(`open ${path.basename(i.file)}`); }, onFile: (i) => { infos.push(i); events.push(`file ${path.basename(i.file)}`); } })) {
    events.push(`batch ${b.size}`);
    for (let i = 0; i < b.size; i++) rows.push(batchRow(b, i));
  }
  return { rows, events, opens, infos };
}

let flood: string;
let v6: string;
beforeAll(async () => {
  flood = await floodFile();
  v6 = await generated.multiBlock();
}, 180_000);

describe('decodeInWorker', () => {
  it('is built (the worker runs compiled code)', () => {
    expect(workerAvailable(WORKER), `${WORKER.pathname} is built by npx tsc`).toBe(true);
  });

  it('gives the rows, batches and counters of the in-thread reader, in order, for two files (a flood over three exporters; IPv4 and IPv6 rows with 32-bit ifIndex and AS values)', async () => {
    // Batches of 4096 rows, two in flight: the worker must wait for batches to come back, and reuse them.
    const here = await drain(createNativeSource(), [flood, v6], { batchSize: 4096 });
    const there = await drain(inWorker(2), [flood, v6], { batchSize: 4096 });
    expect(here.rows.length).toBeGreaterThan(40_000);
    expect(here.rows.some((r) => r.src.includes(':'))).toBe(true);
    expect(new Set(here.rows.map((r) => r.exporter)).size).toBeGreaterThanOrEqual(3);
    expect(there.rows).toEqual(here.rows);
    expect(there.events).toEqual(here.events);
    expect(there.opens).toEqual(here.opens);
    // The same counters, each file marked as read in the worker (engine status shows it).
    expect(there.infos).toEqual(here.infos.map((i) => ({ ...i, thread: 'worker' })));
    expect(here.infos.every((i) => i.thread === undefined)).toBe(true);
    expect(here.events.filter((e) => e.startsWith('batch')).length).toBeGreaterThan(8);
  }, 60_000);

  it('passes the filter and the time window to the worker', async () => {
    const opts: FlowReadOptions = { filter: { host: [VICTIM], proto: [6] } };
    const here = await drain(createNativeSource(), [flood], opts);
    const there = await drain(inWorker(), [flood], opts);
    expect(here.rows.length).toBeGreaterThan(1000);
    expect(here.rows.every((r) => (r.src === VICTIM || r.dst === VICTIM) && r.proto === 6)).toBe(true);
    expect(there.rows).toEqual(here.rows);
    const all = await drain(createNativeSource(), [flood]);
    const starts = all.rows.map((r) => r.start).sort((a, b) => a - b);
    const timeWindow = { from: starts[Math.floor(starts.length / 3)], to: starts[Math.floor((2 * starts.length) / 3)] };
    const hereT = await drain(createNativeSource(), [flood], { timeWindow });
    const thereT = await drain(inWorker(), [flood], { timeWindow });
    expect(hereT.rows.length).toBeGreaterThan(0);
    expect(hereT.rows.length).toBeLessThan(all.rows.length);
    expect(thereT.rows).toEqual(hereT.rows);
  }, 60_000);

  it('analyses the same window as the in-thread reader, the flows read again through the worker too', async () => {
    const run = (s: FlowSource) => analyzeRead((p) => s.read([flood], { onOpen: p.onOpen, onFile: p.onFile }), { files: [flood], keepFlows: 'reread' });
    const here = await run(createNativeSource());
    const there = await run(inWorker());
    expect(here.anomalies.some((a) => a.ip === VICTIM)).toBe(true);
    expect(there).toEqual(here);
  }, 60_000);

  it('lends each batch under the FlowSource contract: a kept batch throws once the next is asked for', async () => {
    let kept: { size: number } | undefined;
    let n = 0;
    for await (const b of inWorker().read([flood], { batchSize: 4096 })) {
      if (n++ === 0) kept = b;
    }
    expect(n).toBeGreaterThan(1);
    expect(() => kept!.size).toThrow(BatchReusedError);
  }, 60_000);

  it('reports a file that is not an nffile with the in-thread reader\'s error, after the batches of the file before it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-decode-'));
    const junk = path.join(dir, 'nfcapd.202611221410');
    fs.writeFileSync(junk, Buffer.alloc(4096, 0x41));
    const errorOf = async (s: FlowSource) => {
      let rows = 0;
      try {
        for await (const b of s.read([flood, junk])) rows += b.size;
      } catch (e) {
        return { e: e as FlowSourceError, rows };
      }
      throw new Error('no error');
    };
    const here = await errorOf(createNativeSource());
    const there = await errorOf(inWorker());
    expect(there.e).toBeInstanceOf(FlowSourceError);
    expect(there.e.message).toBe(here.e.message);
    expect(there.e.reason).toBe(here.e.reason);
    expect(there.e.fault).toBe('file');
    expect(there.e.file).toBe(junk);
    expect(there.rows).toBe(here.rows);
    expect(there.rows).toBeGreaterThan(40_000);
    const gone = path.join(dir, 'nfcapd.202611221415');
    let missing: FlowSourceError | undefined;
    try {
      for await (const b of inWorker().read([gone])) void b;
    } catch (e) {
      missing = e as FlowSourceError;
    }
    expect(missing).toBeInstanceOf(FlowSourceError);
    expect(missing!.message).toBe(`cannot read ${gone}: no such file`);
  }, 60_000);

  it('gives a file cut short as a partial read with every intact block, as in-thread', async () => {
    const blocks = blockMap(fs.readFileSync(flood));
    const cut = truncatedCopy(flood, blocks[1].end + 100);
    const here = await drain(createNativeSource(), [cut]);
    const there = await drain(inWorker(), [cut]);
    expect(there.infos[0].partial).toBeDefined();
    expect(there.infos[0].blocks).toBe(2);
    expect(there.infos).toEqual(here.infos.map((i) => ({ ...i, thread: 'worker' })));
    expect(there.rows).toEqual(here.rows);
  }, 60_000);

  it('stops on the AbortSignal with a cancelled reader fault, and when the consumer stops early, and reads again after', async () => {
    const ac = new AbortController();
    let got = 0;
    const err = await (async () => {
      try {
        for await (const b of inWorker().read([flood, flood], { signal: ac.signal })) {
          got += b.size;
          ac.abort();
        }
      } catch (e) {
        return e as FlowSourceError;
      }
    })();
    expect(err).toBeInstanceOf(FlowSourceError);
    expect(err!.reason).toBe('cancelled');
    expect(err!.fault).toBe('reader');
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(80_000);
    const source = inWorker();
    let first = 0;
    for await (const b of source.read([flood])) {
      first = b.size;
      break;
    }
    expect(first).toBeGreaterThan(0);
    const again = await drain(source, [flood]);
    expect(again.rows.length).toBe((await drain(createNativeSource(), [flood])).rows.length);
  }, 60_000);

  it('keeps small reads in-thread (minBytes), and a missing worker script means in-thread', async () => {
    const reads: string[][] = [];
    const inner = createNativeSource();
    const spy: FlowSource = { read: (files, o) => (reads.push(files), inner.read(files, o)) };
    const size = fs.statSync(flood).size;
    await drain(decodeInWorker({ inThread: spy, reader: {}, minBytes: size + 1, workerUrl: WORKER }), [flood]);
    expect(reads).toHaveLength(1);
    await drain(decodeInWorker({ inThread: spy, reader: {}, minBytes: size, workerUrl: WORKER }), [flood]);
    expect(reads).toHaveLength(1);
    await drain(decodeInWorker({ inThread: spy, reader: {}, minBytes: 0, workerUrl: pathToFileURL('/nonexistent/decode-worker.js') }), [flood]);
    expect(reads).toHaveLength(2);
  }, 60_000);

  it('is what flowSourceFrom gives with engine.decodeWorker: reads of 32 MiB or more in the worker, the same rows, smaller reads in-thread', async () => {
    // The compiled module, whose default worker script sits next to it (as in the installed package).
    const { flowSourceFrom } = (await import(pathToFileURL(path.join(ROOT, 'dist/src/ingest/flow-source.js')).href)) as typeof import('../../src/ingest/flow-source.js');
    const copies = Math.ceil((32 * 1024 * 1024) / fs.statSync(flood).size);
    const files = Array.from({ length: copies }, () => flood);
    const big = await drain(flowSourceFrom({ decodeWorker: true }), files);
    const here = await drain(flowSourceFrom({}), files);
    expect(big.infos).toHaveLength(copies);
    expect(big.infos.every((i) => i.thread === 'worker' && i.reader === 'native')).toBe(true);
    expect(here.infos.every((i) => i.thread === undefined)).toBe(true);
    expect(big.rows.length).toBe(here.rows.length);
    expect(big.rows.length).toBeGreaterThan(250_000);
    expect(big.rows).toEqual(here.rows);
    // One copy is under the threshold: read in-thread even with the setting on.
    const small = await drain(flowSourceFrom({ decodeWorker: true }), [flood]);
    expect(small.infos).toHaveLength(1);
    expect(small.infos[0].thread).toBeUndefined();
    expect(small.rows).toEqual(here.rows.slice(0, small.rows.length));
  }, 120_000);
});
