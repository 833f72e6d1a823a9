import { describe, expect, it } from 'vitest';
import { lzoDecode } from '../../../src/ingest/nffile/lzo.js';
import { DecompressError } from '../../../src/ingest/nffile/lz-common.js';
import { errorOf } from './codec-cases.js';
import { lzDecoderContract } from './lz-contract.js';

const OUT = new Uint8Array(5 << 20);
const decode = (src: Uint8Array, limit = OUT.length) => Buffer.from(OUT.subarray(0, lzoDecode(src, 0, src.length, OUT, limit)));

describe('LZO1X decoder', () => {
  const cases = lzDecoderContract('lzo', '-z', lzoDecode, OUT);

  it('decodes hand-made streams: a first literal run, an overlapping M2 match, a zero-extended literal length', () => {
    const EOF = [0x11, 0x00, 0x00];
    expect(decode(Buffer.from([17 + 5, ...Buffer.from('hello'), ...EOF])).toString()).toBe('hello');
    // 'abcd', then M2 (t=0xEC): length 8 at distance 4, overlapping itself.
    expect(decode(Buffer.from([17 + 4, ...Buffer.from('abcd'), 0xec, 0x00, ...EOF])).toString()).toBe('abcd'.repeat(3));
    // A literal run of 15 + 255 + 1 + 3 = 274 bytes (t = 0, one zero byte, then 1).
    // A literal run of 15 + 8*255 + 42 + 3 = 2100 bytes, then (t < 16 right after a run) a 3-byte match at 2049.
    const lit = Buffer.from(Array.from({ length: 2100 }, (_, i) => (i * 7 + (i >> 8)) & 255));
    const far = decode(Buffer.from([0x00, ...Buffer.alloc(8), 42, ...lit, 0x00, 0x00, ...EOF]));
    expect(far.equals(Buffer.concat([lit, lit.subarray(2100 - 2049, 2100 - 2049 + 3)]))).toBe(true);
    const z = Buffer.alloc(274, 0x7a);
    expect(decode(Buffer.from([0x00, 0x00, 0x01, ...z, ...EOF])).equals(z)).toBe(true);
  });

  it.each([
    ['a stream too short', [0x11], /too short/],
    ['a stream without the EOF marker', [22, ...Buffer.from('hello')], /without the EOF marker/],
    ['a match before the start', [21, 0x61, 0x62, 0x63, 0x64, 0xec, 0x01, 0x11, 0, 0], /distance 12 before the start/],
    ['bytes after the EOF marker', [22, ...Buffer.from('hello'), 0x11, 0, 0, 0], /1 bytes after the EOF marker/],
    ['a malformed EOF marker', [22, ...Buffer.from('hello'), 0x12, 0, 0], /malformed EOF/],
    ['a truncated match distance', [21, 0x61, 0x62, 0x63, 0x64, 0x21, 0x00], /truncated match distance/],
    ['a truncated literal length', [0x00, 0x00, 0x00], /truncated literal length/],
    ['literals past the input', [30, 0x61, 0x62], /literals run past the input/],
  ])('refuses %s with a DecompressError', (_name, bytes, why) => {
    const e = errorOf(() => decode(Buffer.from(bytes)));
    expect(e).toBeInstanceOf(DecompressError);
    expect((e as Error).message).toMatch(why);
  });

  it('never writes past the bound: a bomb is refused under a small bound, decoded whole under a large one', () => {
    // A bomb: M3 with a zero-extended length of ~76 KB at distance 2.
    const bomb = Buffer.from([21, 0x61, 0x62, 0x63, 0x64, 0x20, ...Buffer.alloc(300), 0x01, 0x04, 0x00, 0x11, 0, 0]);
    expect((errorOf(() => decode(bomb, 4096)) as Error).message).toMatch(/exceeds the bound/);
    expect(decode(bomb).length).toBe(4 + 31 + 255 * 300 + 1 + 2);
  });

  it('refuses for certain the damage its format always catches', () => {
    const limit = 2 << 20;
    // A refusal made certain: the last byte of each block's EOF marker flipped.
    for (const c of cases()) {
      const src = Buffer.from(c.stored);
      src[src.length - 1] ^= 1;
      expect(errorOf(() => lzoDecode(src, 0, src.length, OUT, limit))).toBeInstanceOf(DecompressError);
    }
  });
});
