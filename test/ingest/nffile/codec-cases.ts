/**
 * Real compressed blocks for the codec tests: the data blocks of a generated nfcapd file as nfdump writes them with
 * each compression, with the plain payload each must decode to.
 */
import fs from 'node:fs';
import { DecompressError } from '../../../src/ingest/nffile/lz-common.js';
import { blockMap } from './build.js';
import { generated, nfdumpCopy } from './generated.js';

/** What `f` throws, or undefined. */
export function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** One block: the stored (compressed) bytes and the payload they decode to. */
export interface CodecCase {
  stored: Buffer;
  plain: Buffer;
}

/** The blocks of the multi-block file, compressed with `compression` by nfdump, next to their plain payloads. */
export async function codecCases(compression: 'lzo' | 'lz4' | 'bz2'): Promise<CodecCase[]> {
  const src = await generated.multiBlock();
  const plainFile = fs.readFileSync(await nfdumpCopy(src, 'none'));
  const packedFile = fs.readFileSync(await nfdumpCopy(src, compression));
  const a = blockMap(plainFile);
  const b = blockMap(packedFile);
  if (a.length !== b.length) throw new Error(`block counts differ: ${a.length} plain, ${b.length} ${compression}`);
  return a.map((p, k) => ({ plain: plainFile.subarray(p.start + 12, p.end), stored: packedFile.subarray(b[k].start + 12, b[k].end) }));
}

/** mulberry32, for deterministic damage. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What {@link flipBits} saw: flips refused with a DecompressError, decoded to other bytes, decoded to the same bytes. */
export interface FlipOutcome {
  refused: number;
  changed: number;
  same: number;
}

/**
 * `n` seeded single-bit flips, one per copy of a block (the cases in turn), each decoded by `decode` (which returns the
 * output's length in `out`). Any error other than a DecompressError is thrown: no damaged input may break a decoder
 * another way. LZ4 and LZO blocks carry no checksum, so most flips decode to other bytes and only some are refused.
 */
export function flipBits(cases: CodecCase[], n: number, out: Uint8Array, decode: (src: Buffer) => number): FlipOutcome {
  const r = prng(42);
  const o: FlipOutcome = { refused: 0, changed: 0, same: 0 };
  for (let k = 0; k < n; k++) {
    const c = cases[k % cases.length];
    const src = Buffer.from(c.stored);
    src[Math.floor(r() * src.length)] ^= 1 << Math.floor(r() * 8);
    let len: number;
    try {
      len = decode(src);
    } catch (e) {
      if (!(e instanceof DecompressError)) throw e;
      o.refused++;
      continue;
    }
    if (Buffer.from(out.buffer, out.byteOffset, len).equals(c.plain)) o.same++;
    else o.changed++;
  }
  return o;
}
