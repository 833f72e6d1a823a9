import { describe, expect, it } from 'vitest';
import { blockHeaderProblem, BUFFSIZE, NffileFormatError, parseAppendix, parseFileHeader } from '../../../src/ingest/nffile/format.js';
import { appendixBlock, nffile, rawRecord } from './build.js';

const header = (bytes: Buffer) => parseFileHeader(bytes, bytes.length);
const failure = (bytes: Buffer): { code: string; reason: string } | undefined => {
  try {
    header(bytes);
  } catch (e) {
    if (e instanceof NffileFormatError) return { code: e.code, reason: e.reason };
    throw e;
  }
  return undefined;
};
const withByte = (b: Buffer, off: number, v: number) => {
  const c = Buffer.from(b);
  c[off] = v;
  return c;
};

describe('file header', () => {
  const good = nffile([], appendixBlock('none', { numflows: 0 }), { numBlocks: 0 });

  it('parses a LAYOUT_VERSION_2 header', () => {
    expect(header(good)).toEqual({ version: 2, nfdversion: 0x01070100, created: 1_795_386_067, compression: 0, appendixBlocks: 1, creator: 0, offAppendix: 40, numBlocks: 0 });
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'not-nffile', 'not an nffile (empty file)'],
    ['a bitmap', Buffer.from('BM\x00\x00 an image'), 'not-nffile', 'not an nffile (bad magic 0x424d)'],
    ['a big-endian nffile', Buffer.from([0xa5, 0x0c, 0x00, 0x02]), 'big-endian', 'nffile from a big-endian host (not supported)'],
    ['a header cut at 3 bytes', good.subarray(0, 3), 'truncated-header', 'truncated header'],
    ['a header cut at 39 bytes', good.subarray(0, 39), 'truncated-header', 'truncated header'],
    ['an nfdump 1.6 file', Buffer.from([0x0c, 0xa5, 0x01, 0x00, 0, 0, 0, 0]), 'layout-v1', 'nfdump 1.6 file (LAYOUT_VERSION_1): not read natively'],
    ['an nfdump 1.8 file', withByte(good, 2, 3), 'layout-v3', 'nfdump 1.8 file (LAYOUT_VERSION_3): not read natively'],
    ['layout version 7', withByte(good, 2, 7), 'bad-version', 'unknown layout version 7'],
    ['an encrypted file', withByte(good, 17, 1), 'encrypted', 'encrypted file'],
    ['compression 7', withByte(good, 16, 7), 'bad-compression', 'unknown compression 7'],
  ])('refuses %s with a one-line reason', (_name, bytes, code, reason) => {
    expect(failure(bytes)).toEqual({ code, reason });
  });

  it('accepts every compression id nfdump writes (0-4) and a git-build nfdversion', () => {
    for (let c = 0; c <= 4; c++) expect(header(withByte(good, 16, c)).compression).toBe(c);
    const git = Buffer.from(good);
    git.writeUInt32LE(0xf1070101, 4);
    expect(header(git).nfdversion).toBe(0xf1070101);
  });
});

describe('block header checks', () => {
  it.each([
    [{ numRecords: 1, size: 0, type: 3, flags: 0 }, 100, 'empty block (size 0)'],
    [{ numRecords: 1, size: BUFFSIZE + 1, type: 3, flags: 0 }, BUFFSIZE * 2, `block size ${BUFFSIZE + 1} exceeds ${BUFFSIZE}`],
    [{ numRecords: 1, size: 200, type: 3, flags: 0 }, 150, 'block runs past the end of the data (200 bytes, 150 left)'],
    [{ numRecords: 0, size: 10, type: 3, flags: 0 }, 100, 'block with 0 records'],
    [{ numRecords: 3, size: 100, type: 3, flags: 0 }, 100, undefined],
  ])('%o with %i bytes left: %s', (h, room, problem) => {
    expect(blockHeaderProblem(h, room)).toBe(problem);
  });
});

describe('appendix', () => {
  it('reads the ident and the stat record (unpadded, after a 5-byte ident)', () => {
    const b = appendixBlock('none', { numflows: 2002, numbytes: 88518, numpackets: 2011, firstseen: 1278275056274, lastseen: 1278275079360 });
    expect(parseAppendix(b.subarray(12), b.length - 12, 2)).toEqual({
      ident: 'none',
      stat: { numflows: 2002, numbytes: 88518, numpackets: 2011, firstseen: 1278275056274, lastseen: 1278275079360, sequenceFailures: 0 },
    });
  });

  it('replaces control characters in the ident and reports a record that runs past the block', () => {
    const b = appendixBlock('nfcapd\x1b[2J', { numflows: 1 });
    expect(parseAppendix(b.subarray(12), b.length - 12, 2)).toMatchObject({ ident: 'nfcapd?[2J' });
    const rec = rawRecord(0x8001, Buffer.from('abc\0'));
    expect(parseAppendix(rec, rec.length - 1, 1)).toEqual({ error: 'appendix record 0 has a bad size 8' });
    expect(parseAppendix(rec, rec.length, 2)).toEqual({ error: 'appendix record 1 runs past the block' });
  });
});
