import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlockIndexBuilder, decodeHeader, decodeTable, filterKeys, lineHas, lineOffset, linesFor, v4Key, v6Key, type IndexEntry } from '../../../src/ingest/nffile/block-index.js';
import { indexPathFor, openIndex, pruneIndexes } from '../../../src/ingest/nffile/index-files.js';
import { createNativeSource } from '../../../src/ingest/nffile/source.js';
import { createNfdumpSource } from '../../../src/ingest/nfdump/source.js';
import { createBatch, cloneBatch } from '../../../src/engine/batch.js';
import type { FileReadInfo, FlowBatch, FlowReadOptions, FlowSource } from '../../../src/engine/types.js';
import { batchLines, nfdumpRows } from '../../helpers/nfdump-oracle.js';
import { generated } from './generated.js';
import { block, genericFlow, ipv4Flow, nffile, appendixBlock, v3Record, exporterRecord } from './build.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-block-index-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An index built in memory: the builder's writes into a Buffer, then header and table as `finish` says. */
function buildInMemory(batches: { b: FlowBatch; from: number; to: number }[]) {
  const bytes = Buffer.alloc(1 << 22);
  let end = 0;
  const builder = new BlockIndexBuilder({ path: '/data/nfcapd.202611221400', size: 1234, mtimeMs: 99 }, (chunk, at) => {
    Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).copy(bytes, at);
    end = Math.max(end, at + chunk.length);
  });
  batches.forEach(({ b, from, to }, k) => builder.addBlock({ offset: 40 + k * 1000, stored: 984, others: 0 }, b, from, to));
  const { table, tableAt, header } = builder.finish();
  Buffer.from(table).copy(bytes, tableAt);
  Buffer.from(header).copy(bytes, 0);
  return bytes.subarray(0, tableAt + table.length);
}

function mayHold(file: Buffer, e: IndexEntry, key: number): boolean {
  const line = new Int32Array(16);
  Buffer.from(line.buffer).set(file.subarray(e.filterAt + lineOffset(e.lines, key), e.filterAt + lineOffset(e.lines, key) + 64));
  return lineHas(line, 0, key);
}

describe('block index (pure): filters, times, the file layout', () => {
  it('never says no for an address a block holds, rarely yes for one it does not; times and layout round-trip', () => {
    let seed = 11;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const b = createBatch(20_000);
    for (let i = 0; i < 20_000; i++) {
      b.family[i] = i % 50 === 0 ? 6 : 4;
      b.srcV4[i] = rnd();
      b.dstV4[i] = rnd();
      b.src6.set([0x20010db8, 0, rnd(), rnd()], 4 * i);
      b.dst6.set([0x20010db8, 1, rnd(), rnd()], 4 * i);
      b.start[i] = 1_000_000 + i;
    }
    b.size = 20_000;
    const file = buildInMemory([{ b, from: 0, to: 8000 }, { b, from: 8000, to: 20_000 }, { b, from: 20_000, to: 20_000 }]);
    const h = decodeHeader(file, file.length);
    if ('error' in h) throw new Error(h.error);
    expect([h.blocks, h.fileSize, h.fileMtimeMs, h.path]).toEqual([3, 1234, 99, '/data/nfcapd.202611221400']);
    const entries = decodeTable(file.subarray(h.tableAt), h.blocks, h);
    if ('error' in entries) throw new Error(entries.error);
    expect(entries.map((e) => [e.offset, e.flows, e.lines, e.firstStart, e.lastStart])).toEqual([
      [40, 8000, linesFor(8000), 1_000_000, 1_007_999],
      [1040, 12_000, linesFor(12_000), 1_008_000, 1_019_999],
      [2040, 0, 0, 0, -1],
    ]);
    const key = (i: number, side: 'src' | 'dst') => {
      if (b.family[i] === 4) return v4Key(side === 'src' ? b.srcV4[i] : b.dstV4[i]);
      const w = (side === 'src' ? b.src6 : b.dst6).subarray(4 * i, 4 * i + 4);
      return v6Key(w[0], w[1], w[2], w[3]);
    };
    let missing = 0;
    for (let i = 0; i < 20_000; i++) for (const side of ['src', 'dst'] as const) if (!mayHold(file, entries[i < 8000 ? 0 : 1], key(i, side))) missing++;
    expect(missing).toBe(0);
    // Addresses the first block does not hold: its filter says "maybe" for ~1 % of them.
    let maybe = 0;
    for (let i = 8000; i < 20_000; i++) if (mayHold(file, entries[0], key(i, 'src'))) maybe++;
    expect(maybe / 12_000).toBeLessThan(0.03);
    expect(maybe).toBeGreaterThan(0);
    // A damaged table or header is refused, not trusted.
    expect(decodeHeader(file.subarray(0, file.length - 1), file.length - 1)).toHaveProperty('error');
    const bad = Buffer.from(file);
    bad.write('X', 0, 'latin1');
    expect(decodeHeader(bad, bad.length)).toEqual({ error: 'not a nocflow block index' });
  });

  it('looks up the addresses a filter requires: hosts, and each address of a prefix of 64 addresses or fewer', () => {
    expect(filterKeys({ host: ['10.1.2.3'] })).toEqual([v4Key(0x0a010203)]);
    expect(filterKeys({ src: ['2001:db8::1'], dstPort: [22] })).toEqual([v6Key(0x20010db8, 0, 0, 1)]);
    expect(filterKeys({ anyOf: [{ src: ['10.0.0.1'] }, { dst: ['10.0.0.2'] }] })).toEqual([v4Key(0x0a000001), v4Key(0x0a000002)]);
    // A /30 is its four addresses; a /26 its 64; a /25 (128) is too many, and so is a /26 beside another host.
    expect(filterKeys({ host: ['10.1.2.4/30'] })).toEqual([4, 5, 6, 7].map((k) => v4Key(0x0a010200 + k)));
    expect(filterKeys({ dst: ['192.0.2.64/26'] })).toHaveLength(64);
    expect(filterKeys({ dst: ['192.0.2.64/26'] })![63]).toBe(v4Key(0xc000027f));
    expect(filterKeys({ host: ['10.1.2.0/25'] })).toBeUndefined();
    expect(filterKeys({ host: ['10.1.2.0/26', '10.9.9.9'] })).toBeUndefined();
    expect(filterKeys({ src: ['2001:db8::fffc/126'] })).toEqual([0xfffc, 0xfffd, 0xfffe, 0xffff].map((w) => v6Key(0x20010db8, 0, 0, w)));
    expect(filterKeys({ src: ['2001:db8::/64'] })).toBeUndefined();
    // Of two required lists, the shorter: the /32 source rather than the /28 destination.
    expect(filterKeys({ src: ['10.0.0.1'], dst: ['10.0.1.0/28'] })).toEqual([v4Key(0x0a000001)]);
    expect(filterKeys({ host: ['10.1.2.0/24'] })).toBeUndefined();
    expect(filterKeys({ anyOf: [{ src: ['10.0.0.1'] }, { proto: [17] }] })).toBeUndefined();
    expect(filterKeys({ dstPort: [22] })).toBeUndefined();
  });
});

async function collect(source: FlowSource, files: string[], opts: FlowReadOptions = {}) {
  const infos: FileReadInfo[] = [];
  const batches: FlowBatch[] = [];
  for await (const b of source.read(files, { ...opts, onFile: (i) => infos.push(i) })) batches.push(cloneBatch(b));
  return { rows: batchLines(batches), batches, infos };
}

describe('block index files: written by a whole read, used by host and time reads', () => {
  let file: string;
  let ref: string[];
  const indexDir = path.join(tmp, 'index');
  beforeAll(async () => {
    // A copy of its own: the test changes its modification time.
    file = path.join(tmp, 'nfcapd.202611221400');
    fs.copyFileSync(await generated.multiBlock(), file);
    ref = await nfdumpRows(file);
  }, 120_000);

  it('passes over the blocks without the host: the same rows as nfdump', async () => {
    const source = createNativeSource({ indexDir });
    const whole = await collect(source, [file]);
    expect(whole.infos[0]).toMatchObject({ index: 'built', records: 45_000 });
    expect(fs.existsSync(indexPathFor(indexDir, file))).toBe(true);
    // A second whole read finds it current and does not write it again.
    const mtime = fs.statSync(indexPathFor(indexDir, file)).mtimeMs;
    expect((await collect(source, [file])).infos[0].index).toBeUndefined();
    expect(fs.statSync(indexPathFor(indexDir, file)).mtimeMs).toBe(mtime);

    // A host of one block (oracle lines in file order: af|first|last|proto|src (4 words)|...). The blocks that hold
    // exporter records (the first two and the last here) are read all the same; of the others, all but its own pass.
    const fields = ref.map((l) => l.split('|'));
    const st = fs.statSync(file);
    const ix = openIndex(indexDir, file, st, 6)!;
    const entries = ix.entries;
    ix.close();
    const blockOfRow = (row: number) => {
      let end = 0;
      return entries.findIndex((e) => (end += e.flows) > row);
    };
    const v4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    const first = fields.findIndex((f, i) => f[0] === '2' && entries[blockOfRow(i)].others === 0);
    const host = v4(Number(fields[first][7]));
    const hostBlocks = new Set(fields.map((f, i) => (f[7] === fields[first][7] || f[12] === fields[first][7] ? blockOfRow(i) : -1)).filter((k) => k >= 0));
    const expectUnread = entries.filter((e, k) => e.others === 0 && !hostBlocks.has(k)).length;
    expect(expectUnread).toBeGreaterThanOrEqual(2);
    for (const filter of [{ host: [host] }, { src: [host], proto: [6, 17] }]) {
      const r = await collect(source, [file], { filter });
      const oracle = (await collect(createNfdumpSource(), [file], { filter })).rows;
      expect(r.rows.sort()).toEqual(oracle.sort());
      expect(r.rows.length).toBeGreaterThan(0);
      expect(r.infos[0]).toMatchObject({ index: 'used', blocksUnread: expectUnread });
    }
    // A small prefix around the host is looked up address by address: the blocks with none of its addresses pass.
    const n = Number(fields[first][7]);
    const net = (n & 0xfffffffc) >>> 0;
    const inNet = (f: string[], k: number) => f[0] === '2' && ((Number(f[k]) & 0xfffffffc) >>> 0) === net;
    const netBlocks = new Set(fields.map((f, i) => (inNet(f, 7) || inNet(f, 12) ? blockOfRow(i) : -1)).filter((k) => k >= 0));
    const netUnread = entries.filter((e, k) => e.others === 0 && !netBlocks.has(k)).length;
    expect(netUnread).toBeGreaterThanOrEqual(1);
    const prefix = { host: [`${v4(net)}/30`] };
    const rp = await collect(source, [file], { filter: prefix });
    expect(rp.rows.sort()).toEqual((await collect(createNfdumpSource(), [file], { filter: prefix })).rows.sort());
    expect(rp.rows.length).toBeGreaterThan(0);
    expect(rp.infos[0]).toMatchObject({ index: 'used', blocksUnread: netUnread });
    // Without the index the same reads give the same rows, reading every block.
    const plain = await collect(createNativeSource(), [file], { filter: { host: [host] } });
    expect(plain.rows.sort()).toEqual((await collect(source, [file], { filter: { host: [host] } })).rows.sort());
    expect(plain.infos[0].blocksUnread).toBeUndefined();
  });

  it('passes over the blocks whose flows all start outside a time range', async () => {
    const t0 = 1_795_356_300_000;
    const blocks = [0, 1, 2].map((k) => {
      const recs = Array.from({ length: 100 }, (_, i) => v3Record([genericFlow({ first: t0 + k * 100_000 + i, last: t0 + k * 100_000 + i + 5, packets: 1, bytes: 40, sport: 1000 + i, dport: 80, proto: 6, flags: 2 }), ipv4Flow(0x0a000001 + i, 0x0a0000ff)]));
      return block(Buffer.concat(recs), recs.length);
    });
    const f = path.join(tmp, 'times.nfcapd');
    fs.writeFileSync(f, nffile(blocks, appendixBlock('t', { numflows: 300, firstseen: t0, lastseen: t0 + 200_100 })));
    const source = createNativeSource({ indexDir: path.join(tmp, 'index-times') });
    await collect(source, [f]);
    const window = { from: t0 + 100_050, to: t0 + 100_080 };
    const r = await collect(source, [f], { timeWindow: window });
    const all = await collect(createNativeSource(), [f], { timeWindow: window });
    expect(r.rows).toEqual(all.rows);
    expect(r.rows).toHaveLength(30);
    expect(r.infos[0]).toMatchObject({ index: 'used', blocksUnread: 2 });
  });

  it('is not trusted once the file changed or the index is damaged, and is pruned when the file is gone', async () => {
    const source = createNativeSource({ indexDir });
    await collect(source, [file]);
    const ixPath = indexPathFor(indexDir, file);
    expect(fs.existsSync(ixPath)).toBe(true);
    const st = fs.statSync(file);
    expect(openIndex(indexDir, file, st, 6)).toBeDefined();
    openIndex(indexDir, file, st, 6)?.close();
    expect(openIndex(indexDir, file, st, 7)).toBeUndefined(); // another block count
    // A new modification time: stale, not used (every block read), rebuilt by the next whole read.
    fs.utimesSync(file, st.atime, new Date(st.mtimeMs + 5000));
    const host = { host: ['127.0.0.99'] };
    const stale = await collect(source, [file], { filter: host });
    expect(stale.infos[0].index).toBeUndefined();
    expect(stale.infos[0].blocksUnread).toBeUndefined();
    expect((await collect(source, [file])).infos[0].index).toBe('built');
    // Damaged (cut short): not used.
    const bytes = fs.readFileSync(ixPath);
    fs.writeFileSync(ixPath, bytes.subarray(0, bytes.length - 10));
    expect((await collect(source, [file], { filter: host })).infos[0].index).toBeUndefined();
    // Pruning: the damaged one and the one whose file is gone go, a current one stays.
    const other = path.join(tmp, 'nfcapd.202611221405');
    fs.copyFileSync(file, other);
    await collect(source, [other]);
    expect(pruneIndexes(indexDir)).toBe(1);
    expect(fs.existsSync(indexPathFor(indexDir, other))).toBe(true);
    // One whose file is gone and one whose file changed since: both go.
    const gone = path.join(tmp, 'nfcapd.202611221410');
    fs.copyFileSync(file, gone);
    await collect(source, [gone]);
    fs.rmSync(gone);
    const ost = fs.statSync(other);
    fs.utimesSync(other, ost.atime, new Date(ost.mtimeMs + 5000));
    expect(pruneIndexes(indexDir)).toBe(2);
    expect(fs.readdirSync(indexDir)).toEqual([]);
  });

  it('always reads a block with exporter records, and writes no index for a file read in part', async () => {
    const gf = { first: 1_795_356_300_000, last: 1_795_356_300_100, packets: 1, bytes: 40, sport: 40000, dport: 22, proto: 6, flags: 2 };
    const ipOf = (d: number) => ((10 << 24) >>> 0) + d;
    const b1 = [exporterRecord(1, 0x7f000002, 10, 0), ...Array.from({ length: 5 }, (_, k) => v3Record([genericFlow(gf), ipv4Flow(ipOf(100 + k), ipOf(200))], { exporterId: 1 }))];
    const b2 = [v3Record([genericFlow(gf), ipv4Flow(ipOf(7), ipOf(200))], { exporterId: 1 })];
    const b3 = [v3Record([genericFlow(gf), ipv4Flow(ipOf(8), ipOf(201))], { exporterId: 1 })];
    const bytes = nffile([block(Buffer.concat(b1), b1.length), block(Buffer.concat(b2), b2.length), block(Buffer.concat(b3), b3.length)], appendixBlock('x', { numflows: 7 }));
    const f = path.join(tmp, 'exporters.nfcapd');
    fs.writeFileSync(f, bytes);
    const source = createNativeSource({ indexDir: path.join(tmp, 'index-exporters') });
    expect((await collect(source, [f])).infos[0].index).toBe('built');
    const r = await collect(source, [f], { filter: { host: ['10.0.0.8'] } });
    expect(r.batches.map((b) => b.exporters[b.exporterIdx[0]])).toEqual(['127.0.0.2']);
    // Block 1 (exporter record) is read although no flow there matches; block 2 is passed over.
    expect(r.infos[0]).toMatchObject({ index: 'used', blocksUnread: 1, records: 1 });
    // A file cut in its last block: the partial read writes no index.
    const cut = path.join(tmp, 'cut.nfcapd');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 200));
    const p = await collect(source, [cut]);
    expect(p.infos[0].partial).toBeDefined();
    expect(p.infos[0].index).toBeUndefined();
    expect(fs.existsSync(indexPathFor(path.join(tmp, 'index-exporters'), cut))).toBe(false);
    expect(fs.readdirSync(path.join(tmp, 'index-exporters')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
