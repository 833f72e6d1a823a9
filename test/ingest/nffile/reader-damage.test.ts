/**
 * Damaged files: cut short at every kind of place, and a seeded fuzz over a few hundred truncated, bit-flipped and
 * header-overwritten copies. Each read yields a result or a format error — never another throw, never a hang — and
 * the flows of the blocks before the damage equal nfdump's first rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { bytesSource, createBlockBuffers, readAll } from '../../../src/ingest/nffile/reader.js';
import { NffileFormatError } from '../../../src/ingest/nffile/format.js';
import { batchLines, nfdumpRows } from '../../helpers/nfdump-oracle.js';
import type { FlowBatch } from '../../../src/engine/types.js';
import { blockMap } from './build.js';
import { prng } from './codec-cases.js';
import { generated, nfdumpCopy } from './generated.js';

interface Base {
  name: string;
  bytes: Buffer;
  blocks: { start: number; end: number }[];
  /** Flows before block k (k = 0..n). */
  flowsBefore: number[];
  /** The undamaged file's rows as fingerprints (its rows equal nfdump's: checked in `base`). */
  ref: Float64Array;
}

/** Flow (type 11) records per block of an uncompressed file, walked independently of the reader. */
function flowsPerBlock(plain: Buffer): number[] {
  return blockMap(plain).map((b) => {
    let n = 0;
    for (let off = b.start + 12, i = 0; i < b.numRecords; i++) {
      if (plain.readUInt16LE(off) === 11) n++;
      off += plain.readUInt16LE(off + 2);
    }
    return n;
  });
}

async function base(name: string, file: string, plainTwin: string): Promise<Base> {
  const bytes = fs.readFileSync(file);
  const perBlock = flowsPerBlock(fs.readFileSync(plainTwin));
  const blocks = blockMap(bytes);
  expect(blocks.length).toBe(perBlock.length);
  const flowsBefore = [0];
  for (const n of perBlock) flowsBefore.push(flowsBefore[flowsBefore.length - 1] + n);
  const { batches } = readAll(bytesSource(bytes));
  expect(batchLines(batches), name).toEqual(await nfdumpRows(file));
  return { name, bytes, blocks, flowsBefore, ref: fingerprints(batches) };
}

/** Blocks that end at or before `offset`. */
const intactBefore = (b: Base, offset: number) => b.blocks.filter((x) => x.end <= offset).length;

/** One number per row over every column (a cheap, order-sensitive stand-in for the oracle line). */
function fingerprints(batches: FlowBatch[]): Float64Array {
  const n = batches.reduce((a, b) => a + b.size, 0);
  const out = new Float64Array(n);
  let k = 0;
  for (const b of batches) {
    for (let i = 0; i < b.size; i++) {
      let h = Math.imul(b.family[i], 0x9e3779b1) ^ b.srcV4[i] ^ Math.imul(b.dstV4[i], 0x85ebca6b);
      for (let w = 0; w < 4; w++) h = Math.imul(h ^ b.src6[4 * i + w], 0xc2b2ae35) ^ b.dst6[4 * i + w];
      h = Math.imul(h ^ ((b.sport[i] << 16) | b.dport[i]), 0x27d4eb2f) ^ ((b.proto[i] << 8) | b.flags[i]);
      h = Math.imul(h ^ b.inIf[i], 0x165667b1) ^ b.outIf[i] ^ Math.imul(b.srcAs[i], 0x9e3779b1) ^ b.dstAs[i] ^ (b.exporterIdx[i] << 7);
      out[k++] = (h >>> 0) * 2 ** 20 + ((b.packets[i] + b.bytes[i] * 3 + b.start[i] * 5 + b.end[i] * 7) % 2 ** 20);
    }
  }
  return out;
}

/** The rows of a read, as fingerprints. */
class Rows {
  readonly length: number;
  constructor(readonly prints: Float64Array) {
    this.length = prints.length;
  }
  /** Index of the first of the first `n` rows that differs from `ref`, or -1 (and -2 when there are fewer rows). */
  firstDifference(ref: Float64Array, n: number): number {
    if (this.length < n) return -2;
    for (let i = 0; i < n; i++) if (this.prints[i] !== ref[i]) return i;
    return -1;
  }
}

/** One pair of 5 MiB block buffers for every read here, as the driver shares them across files. */
const buffers = createBlockBuffers();

function readSafely(bytes: Buffer) {
  try {
    const { batches, info } = readAll(bytesSource(bytes), { batchSize: 16384, buffers });
    return { rows: new Rows(fingerprints(batches)), info };
  } catch (e) {
    if (e instanceof NffileFormatError) return { error: e };
    throw e; // anything else is a defect
  }
}

/** The first `n` rows equal nfdump's first `n`. */
function expectPrefix(rows: Rows, ref: Float64Array, n: number, what: string): void {
  const d = rows.firstDifference(ref, n);
  expect(d, `${what}: first differing row of ${n}`).toBe(-1);
}

describe('damaged files', () => {
  let bases: Base[];
  beforeAll(async () => {
    const src = await generated.damage();
    const plain = await nfdumpCopy(src, 'none');
    bases = [await base('nfcapd original', src, src), await base('LZ4 copy', await nfdumpCopy(src, 'lz4'), plain), await base('LZO copy', await nfdumpCopy(src, 'lzo'), plain)];
    expect(bases[0].ref.length).toBe(20_000);
    expect(bases[0].blocks.length).toBe(3);
  }, 180_000);

  it('cut short at every block boundary, inside headers and payloads: the intact blocks, exactly, and why', { timeout: 300_000 }, () => {
    for (const b of bases) {
      const n = b.blocks.length;
      const cuts = b.blocks.flatMap((x) => [x.start, x.start + 5, x.start + 12, x.start + 12 + ((x.end - x.start) >> 1), x.end - 1]);
      for (const cut of cuts) {
        const r = readSafely(b.bytes.subarray(0, cut));
        if ('error' in r) throw new Error(`${b.name} cut at ${cut}: ${r.error!.message}`);
        const k = intactBefore(b, cut);
        expect(r.info.partial, `${b.name} cut at ${cut}`).toEqual({ reason: expect.stringMatching(new RegExp(`^block ${k + 1} of ${n}: `)), blocksRead: k, blocksExpected: n });
        expect(r.info.blocksRead).toBe(k);
        expectPrefix(r.rows, b.ref, b.flowsBefore[k], `${b.name} cut at ${cut}`);
        expect(r.rows.length).toBe(b.flowsBefore[k]);
        expect(r.info.appendix).toBe('missing');
        expect(r.info.stat).toBeUndefined();
      }
    }
  });

  it('reasons name what is wrong: a missing block, a cut payload, a block past the data', () => {
    const b = bases[0];
    const n = b.blocks.length;
    const at = (cut: number) => (readSafely(b.bytes.subarray(0, cut)) as { info: { partial?: { reason: string } } }).info.partial?.reason;
    expect(at(b.blocks[2].start)).toBe(`block 3 of ${n}: missing (the file ends before it)`);
    expect(at(b.blocks[2].start + 5)).toBe(`block 3 of ${n}: header cut short`);
    expect(at(b.blocks[2].start + 100)).toMatch(new RegExp(`^block 3 of ${n}: block runs past the end of the data \\(\\d+ bytes, 88 left\\)$`));
  });

  it('cut inside the appendix: every flow, the appendix reported damaged or missing, not partial', () => {
    for (const b of bases) {
      const dataEnd = b.blocks[b.blocks.length - 1].end;
      for (const cut of [dataEnd, dataEnd + 7, b.bytes.length - 1]) {
        const r = readSafely(b.bytes.subarray(0, cut));
        if ('error' in r) throw r.error;
        expect(r.info.partial).toBeUndefined();
        expect(r.rows.length).toBe(b.ref.length);
        expect(r.info.appendix).toBe(cut === dataEnd ? 'missing' : 'damaged');
      }
    }
  });

  it('a header cut short or not an nffile is a format error with a reason', () => {
    for (const cut of [0, 1, 3, 20, 39]) {
      const r = readSafely(bases[0].bytes.subarray(0, cut));
      expect('error' in r && r.error!.reason).toMatch(/^(truncated header|not an nffile)/);
    }
  });

  it('fuzz: 300 seeded damaged copies give a result or a format error, and the blocks before the damage equal nfdump', { timeout: 300_000 }, () => {
    const r = prng(20261122);
    const scratch = bases.map((b) => Buffer.from(b.bytes));
    const tally = { truncated: 0, flipped: 0, overwritten: 0, partial: 0, formatErrors: 0, complete: 0 };
    for (let k = 0; k < 300; k++) {
      const b = bases[k % bases.length];
      // Damage a scratch copy in place and repair it after the read (no 2 MB copy per case).
      const bytes = scratch[k % bases.length];
      const touched: number[] = [];
      const kind = k % 3;
      let first: number; // first damaged offset
      let view = bytes;
      if (kind === 0) {
        first = 40 + Math.floor(r() * (b.bytes.length - 40));
        view = bytes.subarray(0, first);
        tally.truncated++;
      } else if (kind === 1) {
        const offsets = Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * bytes.length));
        for (const o of offsets) {
          bytes[o] ^= 1 << Math.floor(r() * 8);
          touched.push(o);
        }
        first = Math.min(...offsets);
        tally.flipped++;
      } else {
        // A random word over a block header's NumRecords or size, or over the file header.
        const blk = b.blocks[Math.floor(r() * b.blocks.length)];
        const o = r() < 0.2 ? [24, 28, 36][Math.floor(r() * 3)] : blk.start + (r() < 0.5 ? 0 : 4);
        bytes.writeUInt32LE(Math.floor(r() * 2 ** 32), o);
        touched.push(o, o + 1, o + 2, o + 3);
        first = o;
        tally.overwritten++;
      }
      const got = readSafely(view);
      for (const o of touched) bytes[o] = b.bytes[o];
      if ('error' in got) {
        // Only a damaged file header may make the whole file unreadable.
        expect(first, `${b.name} #${k}: ${got.error!.message}`).toBeLessThan(40);
        tally.formatErrors++;
        continue;
      }
      const { info, rows } = got;
      if (info.partial) {
        tally.partial++;
        expect(info.partial.blocksRead).toBe(info.blocksRead);
      } else tally.complete++;
      if (first >= 40) {
        const k0 = intactBefore(b, first);
        expect(info.blocksRead, `${b.name} #${k}`).toBeGreaterThanOrEqual(Math.min(k0, info.blocksExpected));
        expectPrefix(rows, b.ref, b.flowsBefore[k0], `${b.name} #${k}`);
        if (kind === 0) {
          expect(info.blocksRead).toBe(k0);
          expect(rows.length).toBe(b.flowsBefore[k0]);
        }
      }
      // Never more rows than the file has records.
      expect(rows.length).toBeLessThanOrEqual(b.ref.length + 10);
    }
    expect(tally.partial).toBeGreaterThan(80);
    expect(tally.truncated + tally.flipped + tally.overwritten).toBe(300);
  });
});
