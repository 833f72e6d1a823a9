import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { execa } from 'execa';
import { CODECS, DecompressError, zstdFrameExtent } from '../../../src/ingest/nffile/decompress.js';
import { Compression } from '../../../src/ingest/nffile/format.js';
import { codecCases, errorOf, prng, type CodecCase } from './codec-cases.js';

const OUT = new Uint8Array(5 << 20);
const run = (id: keyof typeof CODECS, src: Uint8Array, limit = OUT.length) => Buffer.from(OUT.subarray(0, CODECS[id](src, 0, src.length, OUT, limit)));
const HAVE_ZSTD = fs.existsSync('/usr/bin/zstd');

/** A zstd frame of `data` made by the zstd CLI (argument array, stdin). */
async function zstdFrame(data: Buffer, args: string[]): Promise<Buffer> {
  const r = await execa('zstd', ['-q', '-c', ...args], { input: data, encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(r.stdout as Uint8Array);
}

describe('block codecs', () => {
  let plainBlocks: CodecCase[];
  beforeAll(async () => {
    plainBlocks = await codecCases('bz2');
  }, 120_000);

  it('none copies the block and refuses one over the bound', () => {
    const b = Buffer.from('0123456789');
    expect(run(Compression.NONE, b).toString()).toBe('0123456789');
    expect(errorOf(() => run(Compression.NONE, b, 9))).toBeInstanceOf(DecompressError);
  });

  it('BZ2 (seek-bzip): every block nfdump -j wrote decodes byte for byte', () => {
    for (const c of plainBlocks) {
      expect(c.stored.subarray(0, 3).toString()).toBe('BZh');
      expect(run(Compression.BZ2, c.stored).equals(c.plain)).toBe(true);
    }
  });

  it('BZ2: output past the bound, a cut-short stream and bit flips give DecompressError, never another error', () => {
    const c = plainBlocks[0];
    expect((errorOf(() => run(Compression.BZ2, c.stored, 1000)) as Error).message).toMatch(/bz2: output exceeds the bound/);
    expect((errorOf(() => run(Compression.BZ2, c.stored.subarray(0, c.stored.length >> 1))) as Error).message).toMatch(/^bz2: /);
    expect((errorOf(() => run(Compression.BZ2, Buffer.from('BM not bzip'))) as Error).message).toMatch(/bz2: Not bzip data/);
    const r = prng(7);
    let refused = 0;
    for (let k = 0; k < 40; k++) {
      const src = Buffer.from(c.stored);
      src[Math.floor(r() * src.length)] ^= 1 << Math.floor(r() * 8);
      const e = errorOf(() => run(Compression.BZ2, src));
      if (e) {
        expect(e).toBeInstanceOf(DecompressError);
        refused++;
      }
    }
    // bzip2 carries CRCs: nearly every flip is caught.
    expect(refused).toBeGreaterThan(30);
  });

  describe.skipIf(!HAVE_ZSTD)('ZSTD (fzstd) on frames the zstd CLI made from real blocks', () => {
    it.each([
      ['with content size and checksum', (n: number) => [`--stream-size=${n}`, '-3']],
      ['without content size (streamed, bounded)', () => ['--no-content-size', '-3']],
      ['without checksum, level 19', (n: number) => [`--stream-size=${n}`, '--no-check', '-19']],
    ])('decodes every block %s byte for byte', async (_name, args) => {
      for (const c of plainBlocks.slice(0, 3)) {
        const frame = await zstdFrame(c.plain, args(c.plain.length));
        expect(frame.readUInt32LE(0)).toBe(0xfd2fb528);
        expect(run(Compression.ZSTD, frame).equals(c.plain)).toBe(true);
      }
    });

    it('refuses a frame whose output passes the bound (declared or not) and damaged frames', async () => {
      const c = plainBlocks[0];
      const declared = await zstdFrame(c.plain, [`--stream-size=${c.plain.length}`]);
      expect((errorOf(() => run(Compression.ZSTD, declared, 1000)) as Error).message).toMatch(/declared content size \d+ exceeds the bound/);
      const undeclared = await zstdFrame(c.plain, ['--no-content-size']);
      expect((errorOf(() => run(Compression.ZSTD, undeclared, 100_000)) as Error).message).toMatch(/zstd: output exceeds the bound/);
      expect((errorOf(() => run(Compression.ZSTD, Buffer.concat([declared, Buffer.from([1, 2])]))) as Error).message).toMatch(/2 bytes after the frame/);
      expect((errorOf(() => run(Compression.ZSTD, declared.subarray(0, declared.length - 10))) as Error).message).toMatch(/^zstd: /);
      const r = prng(9);
      for (let k = 0; k < 60; k++) {
        const src = Buffer.from(declared);
        src[Math.floor(r() * src.length)] ^= 1 << Math.floor(r() * 8);
        let n = -1;
        const e = errorOf(() => (n = CODECS[Compression.ZSTD](src, 0, src.length, OUT, OUT.length)));
        if (e) expect(e).toBeInstanceOf(DecompressError);
        else expect(n).toBe(c.plain.length);
      }
    });
  });

  it.each([
    ['bad magic', [0x28, 0xb5, 0x2f, 0xfe, 0x00, 0x00, 0x01, 0, 0], /not a zstd frame/],
    ['a dictionary', [0x28, 0xb5, 0x2f, 0xfd, 0x21, 0x05, 0x01, 0, 0, 0], /needs a dictionary/],
    ['a 2 GiB window', [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x01, 0, 0], /window \d+ too large/],
    ['a reserved block type', [0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x07, 0, 0], /reserved block type/],
    ['a block past the input', [0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x01, 0x01, 0], /runs past the input/],
  ])('zstd frame walk refuses %s before decoding', (_n, bytes, why) => {
    expect((errorOf(() => zstdFrameExtent(Buffer.from(bytes), 0, bytes.length, OUT.length)) as Error).message).toMatch(why);
  });
});
