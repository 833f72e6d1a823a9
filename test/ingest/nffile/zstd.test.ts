import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { bytesSource, readAll } from '../../../src/ingest/nffile/reader.js';
import { batchLines, nfdumpRows } from '../../helpers/nfdump-oracle.js';
import { generated, edgeFlows, nfcapdFile } from './generated.js';
import { toZstdFile, zstdCompress } from './zstd-fixture.js';

const FIXTURES = path.resolve(__dirname, '../../fixtures');
const ZSTD_FILE = path.join(FIXTURES, 'nffile-zstd.nfcapd');
const PLAIN_TWIN = path.join(FIXTURES, 'nffile-zstd.plain.nfcapd');
const HAVE_ZSTD = fs.existsSync('/usr/bin/zstd');

const rowsOf = (bytes: Buffer) => {
  const { batches, info } = readAll(bytesSource(bytes));
  return { rows: batchLines(batches), info };
};

describe('ZSTD files (nfdump ≥ 1.7.3)', () => {
  it.runIf(process.env.NOCFLOW_WRITE_FIXTURES === '1' && HAVE_ZSTD)('writes the committed fixture from a generated nfcapd file', async () => {
    const plain = await nfcapdFile('zstd-twin', () => edgeFlows(200, 17));
    fs.copyFileSync(plain, PLAIN_TWIN);
    fs.writeFileSync(ZSTD_FILE, await toZstdFile(fs.readFileSync(plain)));
  });

  it('the committed fixture decodes to the rows nfdump reads from its uncompressed twin', async () => {
    const z = fs.readFileSync(ZSTD_FILE);
    expect(z[16]).toBe(4);
    const { rows, info } = rowsOf(z);
    const ref = await nfdumpRows(PLAIN_TWIN);
    expect(ref.length).toBe(200);
    expect(rows).toEqual(ref);
    expect(info).toMatchObject({ compression: 'zstd', blocksRead: 1, blocksExpected: 1, appendix: 'ok', ident: 'none', records: 200, decompressionErrors: 0 });
    expect(info.stat?.numflows).toBe(200);
    expect(info.exporters.map((e) => e.ip)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });

  it.runIf(HAVE_ZSTD)('frames with and without content size or checksum, over several blocks, equal nfdump', async () => {
    const file = await generated.multiBlock();
    const ref = await nfdumpRows(file);
    for (const args of [[], ['--no-check', '-1'], ['--no-content-size']]) {
      const z = await toZstdFile(fs.readFileSync(file), (b) => zstdCompress(b, args));
      const { rows, info } = rowsOf(z);
      expect(info.partial, args.join(' ')).toBeUndefined();
      expect(info.blocksRead).toBeGreaterThanOrEqual(5);
      expect(rows.length).toBe(ref.length);
      expect(rows.every((r, i) => r === ref[i])).toBe(true);
    }
  });

  it('a damaged frame ends the file as partial at that block, counted as a decompression error', () => {
    const z = Buffer.from(fs.readFileSync(ZSTD_FILE));
    z.writeUInt32LE(0x12345678, 52); // the first block's frame magic
    const { rows, info } = rowsOf(z);
    expect(rows).toEqual([]);
    expect(info.partial).toEqual({ reason: 'block 1 of 1: zstd: not a zstd frame (magic 0x12345678)', blocksRead: 0, blocksExpected: 1 });
    expect(info.decompressionErrors).toBe(1);
  });
});
