/**
 * The window pipeline end to end on a generated file (real nfcapd → native reader → analyzeRead): entry points on
 * routers with 32-bit ifIndex values, the flows kept or read again, the destination side in a worker, the window
 * marked partial when the file was cut short, the exporters with their sampling rates; readSummary alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeRead, readSummary, type AnalyzeOptions } from '../../src/engine/analyze.js';
import { createNativeSource } from '../../src/ingest/nffile/source.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { workerDestinations } from '../../src/ingest/window-workers.js';
import { BufferPool } from '../../src/engine/tables.js';
import type { Anomaly, FileReadInfo, FlowSource, WindowResult } from '../../src/engine/types.js';
import { blockMap } from '../ingest/nffile/build.js';
import { BACKGROUND_FLOWS, FLOOD_ENTRIES, VICTIM, floodFile, truncatedCopy } from '../helpers/pipeline-window.js';

const ROOT = path.resolve(__dirname, '../..');
const WORKER = path.join(ROOT, 'dist/src/ingest/destination-worker.js');

let file: string;
beforeAll(async () => {
  file = await floodFile();
}, 120_000);

const analyze = (source: FlowSource, files: string[], opts: AnalyzeOptions = {}, deps = {}): Promise<WindowResult> =>
  analyzeRead((p) => source.read(files, { onOpen: p.onOpen, onFile: p.onFile }), { files, ...opts }, deps);

/** Flow (type 11) records of one block of an uncompressed file, walked without the reader. */
function flowRecords(bytes: Buffer, b: { start: number; numRecords: number }): number {
  let n = 0;
  for (let off = b.start + 12, i = 0; i < b.numRecords; i++) {
    if (bytes.readUInt16LE(off) === 11) n++;
    off += bytes.readUInt16LE(off + 2);
  }
  return n;
}

const victimOf = (r: WindowResult): Anomaly | undefined => r.anomalies.find((a) => a.ip === VICTIM && a.role === 'victim');
const byEntry = (a: { exporter: string; interface: number }, b: { exporter: string; interface: number }) => a.exporter.localeCompare(b.exporter) || a.interface - b.interface;

describe('analyzeRead with a buffer pool (the engine\'s windows one after another)', () => {
  it('gives every window what a fresh process gives it, reusing the last window\'s buffers', async () => {
    const { makeScenarioFile } = await import('../helpers/nfcapd.js');
    const other = (await makeScenarioFile('spoofed-ddos', { scale: 0.05 })).file;
    const pool = new BufferPool();
    const fresh = new Map<string, string>();
    for (const f of [file, other]) fresh.set(f, JSON.stringify(await analyze(createNativeSource(), [f])));
    const seen: string[] = [];
    for (const f of [file, other, file, file, other]) {
      const r = await analyze(createNativeSource(), [f], {}, { pool });
      expect(JSON.stringify(r)).toBe(fresh.get(f));
      seen.push(`${pool.stats.reused}`);
    }
    // The first window took fresh buffers only; every later one was served from what the one before gave back.
    expect(seen[0]).toBe('0');
    expect(pool.stats.reused).toBeGreaterThan(4 * 2);
    expect(pool.bytes).toBeGreaterThan(0);
    expect(JSON.parse(fresh.get(file)!).anomalies.length).toBeGreaterThan(0);
  });

  it('hands out zeroed buffers, keeps only what the last window gave back, and never pools small ones', () => {
    const pool = new BufferPool();
    const a = pool.arena();
    const big = new Uint32Array(a.buffer(BufferPool.MIN_BYTES));
    const small = a.buffer(1024);
    big.fill(7);
    a.release();
    expect([pool.bytes, pool.stats.fresh]).toEqual([BufferPool.MIN_BYTES, 1]);
    const b = pool.arena();
    const again = new Uint32Array(b.buffer(BufferPool.MIN_BYTES));
    expect(again.buffer).toBe(big.buffer); // the same memory, zeroed
    expect(again.every((x) => x === 0)).toBe(true);
    expect(b.buffer(1024)).not.toBe(small);
    const other = b.buffer(2 * BufferPool.MIN_BYTES);
    b.release();
    const c = pool.arena();
    c.release(); // a window that took nothing: nothing is kept for the next
    expect(pool.bytes).toBe(0);
    expect(other.byteLength).toBe(2 * BufferPool.MIN_BYTES);
    expect(pool.stats).toMatchObject({ reused: 1, fresh: 2 });
  });
});

describe('analyzeRead on a generated window (real nfcapd, native reader)', () => {
  it('reports entry points with 32-bit ifIndex values exactly, as the nfdump reader does', async () => {
    const r = await analyze(createNativeSource(), [file]);
    expect(r.flows).toBe(BACKGROUND_FLOWS + 1500);
    const v = victimOf(r);
    expect(v?.type).toBe('port-ddos-victim');
    // 0x1a000000 and 0x1b000000 share their low 20 bits: the old packing gave both as interface 0 of one entry.
    expect([...(v?.entryPoints ?? [])].sort(byEntry)).toEqual([...FLOOD_ENTRIES].sort(byEntry));
    const oracle = victimOf(await analyze(createNfdumpSource(), [file]));
    expect([...(oracle?.entryPoints ?? [])].sort(byEntry)).toEqual([...FLOOD_ENTRIES].sort(byEntry));
    expect([...(r.exporters ?? [])].sort((a, b) => a.ip.localeCompare(b.ip))).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((ip) => ({ ip, samplingRate: 1 })));
    expect(r.partial).toBeUndefined();
  });

  it('gives the same window with the flows read again as with them kept, and with the destination side in a worker', async () => {
    const kept = await analyze(createNativeSource(), [file], { keepFlows: 'columns' });
    const timings: Record<string, number> = {};
    let t = 0;
    const again = await analyze(createNativeSource(), [file], { keepFlows: 'reread' }, { clock: () => (t += 1), timings });
    expect(timings.laterPasses).toBe(1);
    expect(timings.keptColumns).toBe(0);
    expect(again).toEqual(kept);
    // 'auto' with a budget smaller than the window drops the columns and reads again.
    const auto = await analyze(createNativeSource(), [file], { keepFlows: 'auto', flowMemoryBudget: 100_000 });
    expect(auto).toEqual(kept);
    expect(fs.existsSync(WORKER), `${WORKER} is built by npx tsc (the worker runs compiled code)`).toBe(true);
    const viaWorker = await analyze(createNativeSource(), [file], {}, { destinations: workerDestinations({ minFlows: 0, workerUrl: pathToFileURL(WORKER) }) });
    expect(viaWorker).toEqual(kept);
    // A window too small for the worker stays in-thread with its side in hand, so it is counted in partitioned passes.
    const fallback = workerDestinations({ minFlows: 1e9, workerUrl: pathToFileURL(WORKER) })(10);
    expect(fallback.side).toBeDefined();
    fallback.close();
  }, 60_000);

  it('marks the window of a file cut short as partial and keeps every intact block', async () => {
    const bytes = fs.readFileSync(file);
    const blocks = blockMap(bytes);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const cut = truncatedCopy(file, blocks[1].end + 100);
    const infos: FileReadInfo[] = [];
    const source = createNativeSource();
    const r = await analyzeRead((p) => source.read([cut], { onOpen: p.onOpen, onFile: (i) => { infos.push(i); p.onFile?.(i); } }), { files: [cut] });
    expect(infos).toHaveLength(1);
    expect(r.partial).toEqual({ reason: infos[0].partial!.reason, blocksRead: 2, blocksExpected: blocks.length });
    expect(r.partial!.reason).toMatch(/^block 3 of \d+: block runs past the end of the data/);
    expect(r.flows).toBe(infos[0].records);
    expect(r.flows).toBe(flowRecords(bytes, blocks[0]) + flowRecords(bytes, blocks[1]));
    expect(r.flows).toBeLessThan(BACKGROUND_FLOWS);
  });
});

describe('readSummary', () => {
  const info = (file: string, x: Partial<FileReadInfo>): FileReadInfo => ({ file, reader: 'native', records: 10, skippedRecords: 0, ...x });

  it('sums the blocks of every file and names the damaged one when there are several', () => {
    const s = readSummary([
      info('/d/nfcapd.1', { blocks: 5, blocksExpected: 5, exporters: [{ ip: '10.0.0.1', samplingRate: 1 }] }),
      info('/d/nfcapd.2', { blocks: 2, blocksExpected: 7, partial: { reason: 'truncated block header', blocksRead: 2, blocksExpected: 7 }, exporters: [{ ip: '10.0.0.2', samplingRate: 100 }] }),
    ]);
    expect(s.partial).toEqual({ reason: 'nfcapd.2: truncated block header', blocksRead: 7, blocksExpected: 12 });
    expect(s.exporters).toEqual([{ ip: '10.0.0.1', samplingRate: 1 }, { ip: '10.0.0.2', samplingRate: 100 }]);
  });

  it('says nothing of whole files, keeps the largest sampling rate of an exporter, and the rate unknown when no file knew it', () => {
    const s = readSummary([
      info('/d/a', { blocks: 3, blocksExpected: 3, exporters: [{ ip: '10.0.0.1', samplingRate: 10 }, { ip: '10.0.0.3' }] }),
      info('/d/b', { blocks: 3, blocksExpected: 3, exporters: [{ ip: '10.0.0.1', samplingRate: 1000 }] }),
    ]);
    expect(s.partial).toBeUndefined();
    expect(s.exporters).toEqual([{ ip: '10.0.0.1', samplingRate: 1000 }, { ip: '10.0.0.3' }]);
    expect(readSummary([info('/d/a', { partial: { reason: 'bad block', blocksRead: 0, blocksExpected: 4 } })]).partial).toEqual({ reason: 'bad block', blocksRead: 0, blocksExpected: 4 });
    expect(readSummary([])).toEqual({});
  });
});
