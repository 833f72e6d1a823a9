import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createNativeSource } from '../../../src/ingest/nffile/source.js';
import { createNfdumpSource } from '../../../src/ingest/nfdump/source.js';
import { blockIndexDir, flowSourceFrom } from '../../../src/ingest/flow-source.js';
import { FlowSourceError } from '../../../src/ingest/errors.js';
import type { FileReadInfo, FlowBatch, FlowReadOptions, FlowSource } from '../../../src/engine/types.js';
import { cloneBatch } from '../../../src/engine/batch.js';
import { batchLines, nfdumpRows } from '../../helpers/nfdump-oracle.js';
import { block, genericFlow, ipv4Flow, nffile, appendixBlock, v3Record, element, exporterRecord } from './build.js';
import { generated, nfdumpCopy } from './generated.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-native-src-'));
const write = (name: string, bytes: Buffer) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, bytes);
  return f;
};

async function collect(source: FlowSource, files: string[], opts: FlowReadOptions = {}) {
  const infos: FileReadInfo[] = [];
  const batches: FlowBatch[] = [];
  let error: unknown;
  try {
    // A batch is valid until the next is asked for (the FlowSource contract): keep copies.
    for await (const b of source.read(files, { ...opts, onFile: (i) => infos.push(i) })) batches.push(cloneBatch(b));
  } catch (e) {
    error = e;
  }
  return { rows: batchLines(batches), batches, infos, error: error as FlowSourceError | undefined };
}

describe('native FlowSource driver', () => {
  let multi: string;
  let ref: string[];
  beforeAll(async () => {
    multi = await generated.multiBlock();
    ref = await nfdumpRows(multi);
  }, 120_000);

  it('reads several files in order with one FileReadInfo each', async () => {
    const edge = await generated.edgeIpfix();
    const r = await collect(createNativeSource(), [multi, edge]);
    expect(r.error).toBeUndefined();
    expect(r.rows).toEqual([...ref, ...(await nfdumpRows(edge))]);
    expect(r.infos.map((i) => [path.basename(i.file), i.reader, i.records, i.blocks, i.blocksExpected, i.compression])).toEqual([
      ['multi-block.nfcapd', 'native', 45_000, 6, 6, 'none'],
      ['edge-ipfix.nfcapd', 'native', 3000, 1, 1, 'none'],
    ]);
    expect(r.infos[0]).toMatchObject({ skippedRecords: 0, unknownElements: 0, unknownRecordTypes: 0, decompressErrors: 0, ident: 'none', stat: { flows: 45_000 } });
    expect(r.infos[0].exporters).toEqual([
      { ip: '127.0.0.2', sysId: 1, samplingRate: 1, version: 10 },
      { ip: '127.0.0.3', sysId: 2, samplingRate: 1, version: 10 },
      { ip: '127.0.0.4', sysId: 3, samplingRate: 1, version: 10 },
    ]);
  });

  it('applies the structured filter per row: the same rows as nfdump with the same filter', async () => {
    const filter = { dstPort: [443, 22], proto: [6] };
    const r = await collect(createNativeSource(), [multi], { filter });
    const viaNfdump = await collect(createNfdumpSource(), [multi], { filter });
    expect(r.rows.length).toBeGreaterThan(1000);
    expect(r.rows.sort()).toEqual(viaNfdump.rows.sort());
    expect(r.infos[0].records).toBe(r.rows.length);
  });

  it('an address filter decodes only the records holding its bytes: the same rows as nfdump, plain and LZ4', async () => {
    const v4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    // Oracle lines: af|first|last|proto|src (4 words)|sport|dst (4 words)|dport|...
    const rows4 = ref.map((l) => l.split('|')).filter((f) => f[0] === '2');
    const count = new Map<number, number>();
    for (const f of rows4) count.set(Number(f[7]), (count.get(Number(f[7])) ?? 0) + 1);
    const src = v4([...count].sort((a, b) => b[1] - a[1])[0][0]);
    const dst = v4(Number(rows4[rows4.length >> 1][12]));
    const lz4 = await nfdumpCopy(multi, 'lz4');
    const filters = [
      { host: [src] },
      { dst: [`${dst}/24`] },
      { host: [`${src}/16`] },
      { anyOf: [{ src: [src] }, { dst: [dst] }] },
      { host: [src], dstPort: [443] },
      { host: [`${src}/8`] }, // too short a prefix to search for: every record decoded
    ];
    for (const filter of filters) {
      const viaNfdump = (await collect(createNfdumpSource(), [multi], { filter })).rows.sort();
      for (const file of [multi, lz4]) {
        const r = await collect(createNativeSource(), [file], { filter });
        expect({ filter, file: path.basename(file), rows: r.rows.sort() }).toEqual({ filter, file: path.basename(file), rows: viaNfdump });
        const left = 45_000 - r.infos[0].records;
        if (filter.host?.[0].endsWith('/8')) expect(r.infos[0].undecodedRecords).toBeUndefined();
        else if (filter.host && !filter.host[0].includes('/')) expect(r.infos[0].undecodedRecords).toBeGreaterThan(0.9 * left);
        else expect(r.infos[0].undecodedRecords).toBeGreaterThan(0);
      }
      if (filter === filters[0]) expect(viaNfdump.length).toBeGreaterThan(0);
      if (filter === filters[2]) expect(viaNfdump.length).toBeGreaterThan(10);
    }
    // IPv6: an address, a /48 and a /32 (the stored words are swapped in pairs).
    const v6 = path.resolve(__dirname, '../../fixtures/ipv6-syn.nfcapd');
    for (const filter of [{ host: ['2001:db8:1:2::abcd'] }, { dst: ['2001:db8:ffff::/48'] }, { src: ['2001:db8::/32'] }, { dst: ['2001:db8:ffff::9'] }]) {
      const r = await collect(createNativeSource(), [v6], { filter });
      expect(r.rows.sort()).toEqual((await collect(createNfdumpSource(), [v6], { filter })).rows.sort());
      if (filter.dst?.[0] === '2001:db8:ffff::9') expect(r.rows).toEqual([]);
      else expect(r.rows.length).toBeGreaterThan(0);
    }
  });

  it('an address filter still reads the exporter records of blocks with no match for it', async () => {
    const gf = { first: 1_795_356_300_000, last: 1_795_356_300_100, packets: 1, bytes: 40, sport: 40000, dport: 22, proto: 6, flags: 2 };
    const ipOf = (d: number) => ((10 << 24) >>> 0) + d;
    // Block 1: the exporter record and flows of other hosts; block 2: the target's flow, naming exporter 1 only by id.
    const b1 = [exporterRecord(1, 0x7f000002, 10, 0), ...Array.from({ length: 5 }, (_, k) => v3Record([genericFlow(gf), ipv4Flow(ipOf(100 + k), ipOf(200))], { exporterId: 1 }))];
    const b2 = [v3Record([genericFlow(gf), ipv4Flow(ipOf(7), ipOf(200))], { exporterId: 1 })];
    const file = write('exporter-first.nfcapd', nffile([block(Buffer.concat(b1), b1.length), block(Buffer.concat(b2), b2.length)], appendixBlock('x', { numflows: 6 })));
    const r = await collect(createNativeSource(), [file], { filter: { host: ['10.0.0.7'] } });
    expect(r.error).toBeUndefined();
    expect(r.batches.map((b) => b.exporters[b.exporterIdx[0]])).toEqual(['127.0.0.2']);
    expect(r.infos[0]).toMatchObject({ records: 1, undecodedRecords: 5 });
  });

  it('timeWindow: skips a file whose stat record lies outside without decoding it, filters rows otherwise', async () => {
    const stat = (await collect(createNativeSource(), [multi])).infos[0].stat!;
    const outside = await collect(createNativeSource(), [multi], { timeWindow: { from: stat.lastSeen + 1, to: stat.lastSeen + 1000 } });
    expect(outside.rows).toEqual([]);
    expect(outside.infos[0]).toMatchObject({ skipped: true, records: 0, blocks: 0 });
    const mid = stat.firstSeen + Math.floor((stat.lastSeen - stat.firstSeen) / 2);
    const half = await collect(createNativeSource(), [multi], { timeWindow: { from: stat.firstSeen, to: mid } });
    const expected = ref.filter((l) => Number(l.split('|')[1]) < mid);
    expect(half.rows).toEqual(expected);
  });

  it('a file cut short: every intact block, then partial in its FileReadInfo, no error', async () => {
    const bytes = fs.readFileSync(multi);
    const cut = write('nfcapd.cut', bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const r = await collect(createNativeSource(), [cut]);
    expect(r.error).toBeUndefined();
    const p = r.infos[0].partial!;
    expect(p).toMatchObject({ blocksExpected: 6, reason: expect.stringMatching(/^block \d of 6: /) });
    expect(p.blocksRead).toBeGreaterThanOrEqual(2);
    expect(r.rows).toEqual(ref.slice(0, r.rows.length));
    expect(r.infos[0].blocks).toBe(p.blocksRead);
  });

  it.each([
    ['a bitmap', Buffer.from('BM this is not an nfcapd file'.repeat(10)), 'not an nffile (bad magic 0x424d)'],
    ['an empty file', Buffer.alloc(0), 'not an nffile (empty file)'],
    ['a header cut short', nffile([], undefined).subarray(0, 30), 'truncated header'],
    ['an encrypted file', nffile([], undefined, { encryption: 1 }), 'encrypted file'],
    ['compression 7', nffile([], undefined, { compression: 7 }), 'unknown compression 7'],
  ])('rejects %s with FlowSourceError(file, reason), and does not read the next file', async (_n, bytes, reason) => {
    const f = write(`nfcapd.bad-${reason.length}`, bytes);
    const r = await collect(createNativeSource(), [f, multi]);
    expect(r.error).toBeInstanceOf(FlowSourceError);
    expect([r.error!.file, r.error!.reason, r.error!.fault]).toEqual([f, reason, 'file']);
    expect(r.error!.message).toBe(`cannot read ${f}: ${reason}`);
    expect(r.rows).toEqual([]);
  });

  it('a missing file and a directory are FlowSourceErrors too', async () => {
    const missing = path.join(tmp, 'nope');
    expect((await collect(createNativeSource(), [missing])).error).toMatchObject({ file: missing, reason: 'no such file' });
    expect((await collect(createNativeSource(), [tmp])).error).toMatchObject({ file: tmp, reason: 'not a file' });
  });

  it('flows in the stat record but none decoded is an error, never a silent empty window', async () => {
    // One block of a type nfdump skips (4: array block) while the stat record counts 3 flows.
    const rec = v3Record([ipv4Flow(1, 2), genericFlow({ first: 1, last: 2, packets: 1, bytes: 40, sport: 1, dport: 2, proto: 6, flags: 2 })]);
    const f = write('nfcapd.empty', nffile([block(rec, 1, { type: 4 })], appendixBlock('none', { numflows: 3 })));
    const r = await collect(createNativeSource(), [f]);
    expect(r.error).toMatchObject({ file: f, reason: 'no flow decoded, the stat record counts 3' });
    expect(r.infos[0]).toMatchObject({ records: 0, blocks: 1 });
  });

  it('a file with many inconsistent records is an error after its counters are reported', async () => {
    const good = v3Record([ipv4Flow(1, 2)]);
    const bad = v3Record([ipv4Flow(1, 2), element(1, Buffer.alloc(8))]); // a generic flow element too short
    const f = write('nfcapd.skips', nffile([block(Buffer.concat([good, bad, bad, good]), 4)], appendixBlock('none', { numflows: 4 })));
    const r = await collect(createNativeSource(), [f]);
    expect(r.error).toMatchObject({ reason: '2 of 4 records skipped as inconsistent' });
    expect(r.infos[0]).toMatchObject({ records: 2, skippedRecords: 2 });
    expect(r.rows.length).toBe(2);
  });

  it('hands nfdump 1.6 and 1.8 files to the fallback with the reason; refuses them without one', async () => {
    const v1 = write('nfcapd.v1', Buffer.concat([Buffer.from([0x0c, 0xa5, 0x01, 0x00]), Buffer.alloc(200)]));
    const calls: { files: string[]; opts: FlowReadOptions | undefined }[] = [];
    const fallback: FlowSource = {
      async *read(files, opts) {
        calls.push({ files, opts });
        opts?.onFile?.({ file: files[0], reader: 'nfdump', records: 0, skippedRecords: 0 });
      },
    };
    const filter = { port: [22] };
    const r = await collect(createNativeSource({ fallback }), [v1], { filter, batchSize: 77 });
    expect(r.error).toBeUndefined();
    expect(calls.map((c) => [c.files, c.opts?.filter, c.opts?.batchSize])).toEqual([[[v1], filter, 77]]);
    expect(r.infos).toEqual([{ file: v1, reader: 'nfdump', records: 0, skippedRecords: 0, fallback: 'nfdump 1.6 file (LAYOUT_VERSION_1): not read natively' }]);
    const alone = await collect(createNativeSource(), [v1]);
    expect(alone.error).toMatchObject({ reason: 'nfdump 1.6 file (LAYOUT_VERSION_1): not read natively' });
  });

  it('honours the AbortSignal between blocks', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const b of createNativeSource().read([multi], { signal: ac.signal, batchSize: 1000 })) {
        seen.push(b.size);
        ac.abort();
      }
    } catch (e) {
      error = e;
    }
    expect(seen.length).toBe(1);
    expect(error).toMatchObject({ reason: 'cancelled', fault: 'reader' });
  });

  it('flowSourceFrom: native by default, nfdump when configured; both give the same rows', async () => {
    const edge = await generated.edgeIpfix();
    const native = await collect(flowSourceFrom({}), [edge]);
    const viaNfdump = await collect(flowSourceFrom({ reader: 'nfdump' }), [edge]);
    expect(native.infos[0].reader).toBe('native');
    expect(viaNfdump.infos[0].reader).toBe('nfdump');
    expect(native.rows.sort()).toEqual(viaNfdump.rows.sort());
  });

  it('flowSourceFrom with blockIndex keeps the indexes in the data directory; without it writes none', async () => {
    const edge = await generated.edgeIpfix();
    const before = process.env.NOCFLOW_DATA_DIR;
    process.env.NOCFLOW_DATA_DIR = fs.mkdtempSync(path.join(tmp, 'data-'));
    try {
      expect((await collect(flowSourceFrom({}), [edge])).infos[0].index).toBeUndefined();
      expect(fs.existsSync(blockIndexDir())).toBe(false);
      expect((await collect(flowSourceFrom({ blockIndex: true }), [edge])).infos[0].index).toBe('built');
      expect(blockIndexDir().startsWith(process.env.NOCFLOW_DATA_DIR)).toBe(true);
      expect(fs.readdirSync(blockIndexDir())).toHaveLength(1);
    } finally {
      if (before === undefined) delete process.env.NOCFLOW_DATA_DIR;
      else process.env.NOCFLOW_DATA_DIR = before;
    }
  });
});
