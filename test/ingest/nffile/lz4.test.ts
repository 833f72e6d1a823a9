import { describe, expect, it } from 'vitest';
import { lz4DecodeBlock } from '../../../src/ingest/nffile/lz4.js';
import { DecompressError } from '../../../src/ingest/nffile/lz-common.js';
import { errorOf } from './codec-cases.js';
import { lzDecoderContract } from './lz-contract.js';

const OUT = new Uint8Array(5 << 20);
const decode = (src: Uint8Array, limit = OUT.length) => Buffer.from(OUT.subarray(0, lz4DecodeBlock(src, 0, src.length, OUT, limit)));

describe('LZ4 block decoder', () => {
  const cases = lzDecoderContract('lz4', '-y', lz4DecodeBlock, OUT);

  it('decodes hand-made sequences: literals only, an overlapping match (a run), extended lengths', () => {
    expect(decode(Buffer.from([0x50, ...Buffer.from('hello')])).toString()).toBe('hello');
    // 'ab' then a match of 4+2=6 at distance 2 (overlapping), then final literal 'c'.
    expect(decode(Buffer.from([0x22, 0x61, 0x62, 0x02, 0x00, 0x10, 0x63])).toString()).toBe('abababab' + 'c');
    // 15+3 = 18 literals (extended literal length), then nothing.
    const lit = Buffer.from('abcdefghijklmnopqr');
    expect(decode(Buffer.from([0xf0, 3, ...lit])).toString()).toBe(lit.toString());
    // 'x' then a match of 15+4+255+1 = 275 at distance 1, then final literal 'y'.
    expect(decode(Buffer.from([0x1f, 0x78, 0x01, 0x00, 255, 1, 0x10, 0x79])).toString()).toBe('x'.repeat(276) + 'y');
  });

  it.each([
    ['match offset 0', [0x11, 0x61, 0x00, 0x00, 0x10, 0x62], /offset 0/],
    ['match before the start', [0x11, 0x61, 0x05, 0x00, 0x10, 0x62], /offset 5 before the start/],
    ['literals past the input', [0x50, 0x61, 0x62], /literals run past the input/],
    ['truncated literal length', [0xf0, 255, 255], /truncated literal length/],
    ['truncated offset', [0x10, 0x61, 0x01], /truncated match offset/],
    ['truncated match length', [0x1f, 0x61, 0x01, 0x00, 255], /truncated match length/],
    ['no final literals', [0x11, 0x61, 0x01, 0x00], /no final literals/],
  ])('refuses %s with a DecompressError', (_name, bytes, why) => {
    const e = errorOf(() => decode(Buffer.from(bytes)));
    expect(e).toBeInstanceOf(DecompressError);
    expect((e as Error).message).toMatch(why);
  });

  it('never writes past the bound: a bomb is refused under a small bound, decoded whole under a large one', () => {
    // A bomb: a 1-byte literal and a match of ~64 KiB per 255-byte run.
    const bomb = Buffer.concat([Buffer.from([0x1f, 0x41, 0x01, 0x00]), Buffer.alloc(300, 255), Buffer.from([0, 0x10, 0x42])]);
    expect((errorOf(() => decode(bomb, 4096)) as Error).message).toMatch(/exceeds the bound/);
    expect(decode(bomb).length).toBe(1 + 15 + 4 + 255 * 300 + 1);
  });

  it('refuses for certain the damage its format always catches', () => {
    const limit = 2 << 20;
    // A refusal made certain: each block without its last byte (the final literal run cut short).
    for (const c of cases()) {
      const src = c.stored.subarray(0, c.stored.length - 1);
      expect(errorOf(() => lz4DecodeBlock(src, 0, src.length, OUT, limit))).toBeInstanceOf(DecompressError);
    }
  });
});
