/**
 * The FlowSource batch contract: a batch is valid until its consumer asks for the next one. A consumer that keeps
 * one gets BatchReusedError on its next use (both readers), never rows of another batch; a copy (cloneBatch) stays
 * valid; the native reader refills its batches instead of allocating one per 65 536 rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchReusedError, cloneBatch, createBatch, lendBatches } from '../../src/engine/batch.js';
import { createNativeSource } from '../../src/ingest/nffile/source.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import type { FlowBatch, FlowSource } from '../../src/engine/types.js';
import { BACKGROUND_FLOWS, floodFile } from '../helpers/pipeline-window.js';

let file: string;
beforeAll(async () => {
  file = await floodFile();
}, 120_000);

const readers: [string, () => FlowSource][] = [
  ['native', () => createNativeSource()],
  ['nfdump', () => createNfdumpSource()],
];

describe.each(readers)('batch contract, %s reader', (_name, make) => {
  it('a batch kept past the next iteration throws BatchReusedError; a clone stays valid', async () => {
    let kept: FlowBatch | undefined;
    let copy: FlowBatch | undefined;
    let firstSrc = 0;
    let batches = 0;
    let rows = 0;
    for await (const b of make().read([file], { batchSize: 8192 })) {
      if (!kept) {
        kept = b;
        copy = cloneBatch(b);
        firstSrc = b.srcV4[0];
      }
      batches++;
      rows += b.size;
    }
    expect(batches).toBeGreaterThan(2);
    expect(rows).toBe(BACKGROUND_FLOWS + 1500);
    expect(() => kept!.size).toThrow(BatchReusedError);
    expect(() => kept!.srcV4[0]).toThrow(/read after the next batch was asked for.*cloneBatch/);
    expect(copy!.srcV4[0]).toBe(firstSrc);
    expect(copy!.size).toBeGreaterThan(0);
  });

  it('stopping early retires the batch in hand too', async () => {
    let kept: FlowBatch | undefined;
    for await (const b of make().read([file])) {
      kept = b;
      break;
    }
    expect(() => kept!.dport).toThrow(BatchReusedError);
  });
});

describe('batch reuse', () => {
  it('the native reader refills its batches: the column buffers circulate instead of one allocation per batch', async () => {
    const buffers = new Set<ArrayBufferLike>();
    let batches = 0;
    for await (const b of createNativeSource().read([file], { batchSize: 4096 })) {
      buffers.add(b.srcV4.buffer);
      batches++;
    }
    expect(batches).toBeGreaterThanOrEqual(4);
    expect(buffers.size).toBeLessThanOrEqual(2);
  });

  it('lendBatches hands each batch back to its owner once the consumer moved on', async () => {
    const a = createBatch(4), b = createBatch(4);
    a.size = 1;
    b.size = 2;
    const released: FlowBatch[] = [];
    const seen: number[] = [];
    for await (const x of lendBatches([a, b], (y) => released.push(y))) {
      seen.push(x.size);
      expect(released).toHaveLength(seen.length - 1);
    }
    expect(seen).toEqual([1, 2]);
    expect(released).toEqual([a, b]);
  });
});
