/**
 * What every LZ block decoder of the reader must do on real blocks (lz4.test.ts, lzo.test.ts): decode each block nfdump
 * wrote byte for byte, refuse a block that expands past the bound, and on input cut short anywhere or with bits
 * flipped give a DecompressError or a bounded result, never another error. Each codec's own test file adds its
 * hand-made streams, its refusals and the one damage its format always refuses.
 */
import { beforeAll, expect, it } from 'vitest';
import { DecompressError } from '../../../src/ingest/nffile/lz-common.js';
import { codecCases, errorOf, flipBits, type CodecCase } from './codec-cases.js';

/** A decoder as the reader calls it: (src, offset, length, out, limit) → bytes written. */
export type LzDecode = (src: Uint8Array, at: number, length: number, out: Uint8Array, limit: number) => number;

/**
 * Register the shared tests (inside the codec's describe). `out` is the output buffer the file's own tests share;
 * `flag` is the nfdump option the blocks were written with (named in the test title). Returns the cases once loaded.
 */
export function lzDecoderContract(compression: 'lz4' | 'lzo', flag: string, lz: LzDecode, out: Uint8Array): () => CodecCase[] {
  let cases: CodecCase[] = [];
  const decode = (src: Uint8Array, limit = out.length) => Buffer.from(out.subarray(0, lz(src, 0, src.length, out, limit)));
  beforeAll(async () => {
    cases = await codecCases(compression);
  }, 120_000);

  it(`decodes every block nfdump ${flag} wrote byte for byte`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
    for (const c of cases) {
      expect(c.stored.length).toBeLessThan(c.plain.length);
      expect(decode(c.stored).equals(c.plain)).toBe(true);
    }
  });

  it('never writes past the bound: a real block that expands beyond it is refused', () => {
    const c = cases[0];
    const e = errorOf(() => decode(c.stored, c.plain.length - 1));
    expect(e).toBeInstanceOf(DecompressError);
    expect((e as Error).message).toMatch(/exceeds the bound/);
  });

  it('cut short anywhere: a DecompressError or a prefix of the real payload, never another error', () => {
    const c = cases[1];
    let refused = 0;
    for (let cut = 0; cut < c.stored.length; cut += Math.max(1, Math.floor(c.stored.length / 400))) {
      const src = c.stored.subarray(0, cut);
      const e = errorOf(() => decode(src));
      if (e) {
        expect(e).toBeInstanceOf(DecompressError);
        refused++;
      } else expect(c.plain.subarray(0, decode(src).length).equals(decode(src))).toBe(true);
    }
    expect(refused).toBeGreaterThan(300);
  });

  it('bit flips: a DecompressError or a bounded result, never another error (300 seeded flips)', () => {
    const limit = 2 << 20;
    const o = flipBits(cases, 300, out, (src) => {
      const n = lz(src, 0, src.length, out, limit);
      expect(n).toBeLessThanOrEqual(limit);
      return n;
    });
    // No checksum: a flip decodes to other bytes far more often than it breaks the stream (LZ4 refuses ~1.7 % of the
    // flips on these blocks, LZO ~0.3 %, so 300 may refuse none); a few decode to the same bytes (a flipped distance
    // that copies equal bytes: ~0.2 %).
    expect(o.refused + o.changed).toBeGreaterThan(270);
  });

  return () => cases;
}
