import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { bytesSource, fileProblem, outsideWindow, readAll, type NffileInfo } from '../../../src/ingest/nffile/reader.js';
import { batchLines, nfdumpRows } from '../../helpers/nfdump-oracle.js';
import { capture, CAPTURE_NAMES, CAPTURES_SKIP, haveCaptures } from '../../helpers/captures.js';
import { blockMap } from './build.js';
import { edgeFlows, EXPORTERS, generated, nfdumpCopy } from './generated.js';

const read = (file: string, batchSize?: number) => readAll(bytesSource(fs.readFileSync(file)), { batchSize });

/** Read a file natively and with nfdump; assert row-for-row equality and the counters every good file has. */
async function expectEqualToNfdump(file: string): Promise<{ info: NffileInfo; rows: string[] }> {
  const { batches, info } = read(file);
  const rows = batchLines(batches);
  const ref = await nfdumpRows(file);
  expect(ref.length, file).toBeGreaterThan(0);
  expect(rows, path.basename(file)).toEqual(ref);
  expect(info.partial).toBeUndefined();
  expect(info.records).toBe(ref.length);
  expect(info.stat?.numflows).toBe(ref.length);
  expect(info.blocksRead).toBe(blockMap(fs.readFileSync(file)).length);
  expect(info.blocksRead).toBe(info.blocksExpected);
  expect([info.skippedRecords, info.unknownElements, info.unknownRecordTypes, info.decompressionErrors]).toEqual([0, 0, 0, 0]);
  expect(info.appendix).toBe('ok');
  return { info, rows };
}

describe.skipIf(!haveCaptures)(`native reader = nfdump on every real capture${haveCaptures ? '' : ` [skipped: ${CAPTURES_SKIP}]`}`, () => {
  it.each(CAPTURE_NAMES.map((n) => [n, capture(n)]))('%s', async (_name, file) => {
    const { info } = await expectEqualToNfdump(file);
    expect(info.exporters).toEqual([{ sysId: 1, ip: '127.0.0.1', version: 9, id: 0, samplingRate: 1 }]);
    expect(info.compression).toBe('none');
    expect(info.ident).toBe('none');
  });
});

describe('native reader = nfdump on generated windows written by real nfcapd', () => {
  it('three exporters over IPFIX: IPv6, 32-bit ifIndex and AS, ICMP, 40-bit byte counts', async () => {
    const file = await generated.edgeIpfix();
    const { info, rows } = await expectEqualToNfdump(file);
    expect(info.exporters.map((e) => [e.sysId, e.ip, e.version, e.samplingRate])).toEqual(EXPORTERS.map((ip, k) => [k + 1, ip, 10, 1]));
    // Every exporter carries its third of the flows (the oracle line ends with nfdump's %ra).
    for (const ip of EXPORTERS) expect(rows.filter((r) => r.endsWith(`|${ip}`)).length).toBe(1000);
    const cols = rows.map((r) => r.split('|'));
    expect(cols.filter((c) => c[0] === '10').length).toBe(750);
    expect(new Set(cols.map((c) => c[17]))).toEqual(new Set(['436207616', '4294967280', '2147483647', '65535', '1']));
    expect(cols.some((c) => c[14] === '4200000000')).toBe(true);
    expect(cols.filter((c) => c[3] === '1').map((c) => c[13])).toContain('771');
    expect(info.exporterStats.map((s) => s.flows)).toEqual([1000, 1000, 1000]);
  });

  it('the same edges over NetFlow v9', async () => {
    const { info } = await expectEqualToNfdump(await generated.edgeV9());
    expect(info.exporters.map((e) => e.version)).toEqual([9, 9, 9]);
  });

  it('sampled by nfcapd -s 10: counters already scaled once, rate 10 reported, never scaled again', async () => {
    const { info, rows } = await expectEqualToNfdump(await generated.sampled());
    expect(info.exporters).toEqual([{ sysId: 1, ip: '127.0.0.2', version: 10, id: 1, samplingRate: 10 }]);
    expect(info.samplerRecords).toBeGreaterThanOrEqual(1);
    const sent = edgeFlows(600, 9);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const packets = sum(rows.map((r) => Number(r.split('|')[19])));
    expect(packets).toBe(10 * sum(sent.map((f) => f.packets)));
    expect(info.stat!.numpackets).toBe(packets);
  });

  it('several 1 MiB blocks: block counts and per-exporter flows', async () => {
    const file = await generated.multiBlock();
    const { info } = await expectEqualToNfdump(file);
    expect(info.blocksRead).toBeGreaterThanOrEqual(5);
    expect(info.exporterStats.map((s) => s.flows)).toEqual([15000, 15000, 15000]);
  });

  it('rows do not depend on the batch size (a block is never split)', async () => {
    const file = await generated.multiBlock();
    const whole = read(file);
    const small = read(file, 1000);
    expect(batchLines(small.batches)).toEqual(batchLines(whole.batches));
    expect(whole.batches.every((b) => b.size <= 65536 + 10_000)).toBe(true);
    // One batch per block at batch size 1000 (each block holds more than 1000 flows).
    expect(small.batches.length).toBe(small.info.blocksRead);
  });

  it.each(['lzo', 'lz4', 'bz2'] as const)('%s copy made by nfdump: same rows as nfdump, compression reported', async (c) => {
    const file = await nfdumpCopy(await generated.multiBlock(), c);
    const { info } = await expectEqualToNfdump(file);
    expect(info.compression).toBe(c);
  });

  it('LZ4 written by nfcapd itself (-y), with its ident', async () => {
    const { info } = await expectEqualToNfdump(await generated.nfcapdLz4());
    expect([info.compression, info.ident]).toEqual(['lz4', 'edge-lz4']);
  });
});

describe('file-level judgements', () => {
  const base: NffileInfo = {
    compression: 'none', nfdversion: 0, created: 0, appendix: 'ok', blocksExpected: 1, blocksRead: 1, blocksSkipped: 0, decompressionErrors: 0, trailingBytes: 0,
    records: 100, skippedRecords: 0, filteredRecords: 0, unknownElements: 0, unknownRecordTypes: 0, exporterRecords: 1, samplerRecords: 0, exporterStatRecords: 1, aggregatedFlows: 100, undecodedRecords: 0,
    exporters: [], exporterStats: [], stat: { numflows: 100, numbytes: 1, numpackets: 1, firstseen: 1000, lastseen: 2000, sequenceFailures: 0 },
  };
  it.each([
    ['a good file', {}, undefined],
    ['no flow decoded while the stat record counts 100', { records: 0, aggregatedFlows: 0 }, 'no flow decoded, the stat record counts 100'],
    ['every flow filtered by the caller', { records: 0, filteredRecords: 100 }, undefined],
    ['an empty file', { records: 0, stat: { ...base.stat!, numflows: 0 } }, undefined],
    ['a partial file with no intact block', { records: 0, partial: { reason: 'x', blocksRead: 0, blocksExpected: 1 } }, undefined],
    ['10 of 110 records skipped', { skippedRecords: 10 }, undefined],
    ['12 of 112 records skipped', { skippedRecords: 12 }, '12 of 112 records skipped as inconsistent'],
  ])('%s', (_n, patch, problem) => {
    expect(fileProblem({ ...base, ...patch } as NffileInfo)).toBe(problem);
  });

  it.each([
    [{ from: 0, to: 1000 }, true],
    [{ from: 0, to: 1001 }, false],
    [{ from: 2000, to: 3000 }, false],
    [{ from: 2001, to: 3000 }, true],
  ])('stat 1000..2000 against the window %o: outside = %s', (w, outside) => {
    expect(outsideWindow(base.stat, w)).toBe(outside);
    expect(outsideWindow(undefined, w)).toBe(false);
  });
});
