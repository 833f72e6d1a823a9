/**
 * The FlowSource batch contract: a batch is valid until its consumer asks for the next one. A consumer that keeps
 * one gets BatchReusedError on its next use (both readers), never rows of another batch; a copy (cloneBatch) stays
 * valid; the native reader refills its batches instead of allocating one per 65 536 rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchReusedError, batchBuffers, batchFromRecords, batchRow, cloneBatch, createBatch, flow, lendBatches } from '../../src/engine/batch.js';
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

describe('batch copies and hand-overs', () => {
  it('batchBuffers names every column buffer once (a transfer leaves every column of the batch detached)', () => {
    const b = createBatch(8);
    const buffers = batchBuffers(b);
    expect(buffers).toHaveLength(18);
    expect(new Set(buffers).size).toBe(18);
    structuredClone(b, { transfer: buffers });
    const columns = Object.values(b).filter((v) => ArrayBuffer.isView(v)) as Uint8Array[];
    expect(columns).toHaveLength(18);
    expect(columns.every((c) => c.byteLength === 0)).toBe(true);
  });

  it('cloneBatch copies IPv4 and IPv6 rows exactly', () => {
    const records = [flow({ src: '198.51.100.7', dst: '203.0.113.9', dport: 443, packets: 3, bytes: 152 }), flow({ src: '2001:db8::1', dst: '2001:db8:ffff::9', dport: 22, exporter: '127.0.0.2' })];
    const c = cloneBatch(batchFromRecords(records));
    expect([0, 1].map((i) => batchRow(c, i))).toEqual([0, 1].map((i) => batchRow(batchFromRecords(records), i)));
    expect(batchRow(c, 1).src).toBe('2001:db8::1');
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
