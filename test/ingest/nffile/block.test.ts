import { describe, expect, it } from 'vitest';
import { createCounters, createExporterTable, decodeBlock, decodeBlockInto, exporterList, needleHits, scanBlock } from '../../../src/ingest/nffile/block.js';
import { filterNeedles, numericPrefix, prefixNeedle } from '../../../src/engine/filter.js';
import { createBatch } from '../../../src/engine/batch.js';
import { asRouting, cntFlow, element, exporterRecord, exporterStatRecord, flowMisc, genericFlow, ipReceivedV4, ipv4Flow, ipv6Flow, rawRecord, samplerRecord, v3Record } from './build.js';

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
const GF = { first: 1_700_000_000_123, last: 1_700_000_001_456, packets: 7, bytes: 5_000_000_000, sport: 40000, dport: 443, proto: 6, flags: 0x12 };

function decode(records: Buffer[], numRecords = records.length) {
  const data = Buffer.concat(records);
  const table = createExporterTable();
  const r = decodeBlock(data, data.length, numRecords, table);
  if ('error' in r) throw new Error(r.error);
  return { ...r, table };
}

describe('V3 record walk', () => {
  it('reads every element nocflow uses, in any order, into the columns', () => {
    const rec = v3Record([ipReceivedV4(ip(127, 0, 0, 9)), asRouting(4_200_000_000, 65001), flowMisc(0x1a000000, 0xfffffff0), genericFlow(GF), cntFlow(3, 4, 900), ipv4Flow(ip(192, 0, 2, 1), ip(198, 51, 100, 7))], { exporterId: 1 });
    const { batch: b, counters } = decode([exporterRecord(1, ip(127, 0, 0, 2), 9, 0), rec]);
    expect(b.size).toBe(1);
    expect([b.family[0], b.srcV4[0], b.dstV4[0]]).toEqual([4, ip(192, 0, 2, 1), ip(198, 51, 100, 7)]);
    expect([b.start[0], b.end[0], b.packets[0], b.bytes[0]]).toEqual([GF.first, GF.last, 7, 5_000_000_000]);
    expect([b.sport[0], b.dport[0], b.proto[0], b.flags[0]]).toEqual([40000, 443, 6, 0x12]);
    expect([b.inIf[0], b.outIf[0], b.srcAs[0], b.dstAs[0]]).toEqual([0x1a000000, 0xfffffff0, 4_200_000_000, 65001]);
    // exporterID 1 names the exporter record (127.0.0.2), which wins over the received address.
    expect(b.exporters[b.exporterIdx[0]]).toBe('127.0.0.2');
    expect(counters).toMatchObject({ records: 1, skippedRecords: 0, exporterRecords: 1, aggregatedFlows: 3 });
    expect([...b.src6.subarray(0, 4), ...b.dst6.subarray(0, 4)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('keeps IPv6 as four words, most significant first, and ICMP type/code as stored', () => {
    const src: [number, number, number, number] = [0x20010db8, 0x00000001, 0xdeadbeef, 0x00000002];
    const dst: [number, number, number, number] = [0xfe800000, 0, 0x02000000, 0xffffffff];
    const { batch: b } = decode([v3Record([ipv6Flow(src, dst), genericFlow({ ...GF, proto: 58, sport: 0, dport: 3 * 256 + 10, flags: 0 })])]);
    expect(b.family[0]).toBe(6);
    expect([...b.src6.subarray(0, 4)]).toEqual(src);
    expect([...b.dst6.subarray(0, 4)]).toEqual(dst);
    expect([b.srcV4[0], b.dstV4[0], b.dport[0], b.proto[0]]).toEqual([0, 0, 778, 58]);
  });

  it('a record with IPv4 and IPv6: IPv4 unless its addresses are both 0 (nfdump 1.7.8)', () => {
    const v6 = ipv6Flow([1, 2, 3, 4], [5, 6, 7, 8]);
    const { batch: b } = decode([v3Record([v6, ipv4Flow(ip(10, 0, 0, 1), 0), genericFlow(GF)]), v3Record([ipv4Flow(0, 0), v6, genericFlow(GF)])]);
    expect([b.family[0], b.srcV4[0]]).toEqual([4, ip(10, 0, 0, 1)]);
    expect([b.family[1], b.src6[4], b.dst6[7]]).toEqual([6, 1, 8]);
  });

  it('falls back to EXipReceivedV4 when the exporterID names no exporter record, and to "" without either', () => {
    const { batch: b } = decode([v3Record([ipv4Flow(1, 2), genericFlow(GF), ipReceivedV4(ip(127, 0, 0, 7))], { exporterId: 5 }), v3Record([ipv4Flow(1, 2), genericFlow(GF)])]);
    expect(b.exporters[b.exporterIdx[0]]).toBe('127.0.0.7');
    expect(b.exporters[b.exporterIdx[1]]).toBe('');
  });

  it('skips unknown element ids by their length and counts them; known ones it does not use are not counted', () => {
    const rec = v3Record([element(99, Buffer.alloc(10, 0xff)), ipv4Flow(1, 2), element(6, Buffer.alloc(8)), genericFlow(GF), element(0, Buffer.alloc(4))]);
    const { batch: b, counters } = decode([rec]);
    expect(b.size).toBe(1);
    expect(b.dport[0]).toBe(443);
    expect(counters).toMatchObject({ records: 1, unknownElements: 2, skippedRecords: 0 });
  });

  it.each([
    ['12 + Σ element lengths < record size', Buffer.concat([v3Record([ipv4Flow(1, 2), genericFlow(GF)], { size: 12 + 12 + 52 + 4 }), Buffer.alloc(4)]), 1],
    ['more elements announced than the record holds', v3Record([ipv4Flow(1, 2), genericFlow(GF)], { numElements: 3 }), 1],
    ['fewer elements announced than the record holds', v3Record([ipv4Flow(1, 2), genericFlow(GF)], { numElements: 1 }), 1],
    ['an element shorter than its fields (generic flow of 40 bytes)', v3Record([ipv4Flow(1, 2), element(1, Buffer.alloc(36))]), 1],
    ['an element of length 2', v3Record([ipv4Flow(1, 2), Buffer.from([1, 0, 2, 0])]), 1],
    ['a record smaller than its 12-byte header', rawRecord(11, Buffer.alloc(4)), 1],
  ])('skips and counts a record with %s; the next record decodes', (_name, bad, skipped) => {
    const good = v3Record([ipv4Flow(7, 8), genericFlow(GF)]);
    const { batch: b, counters } = decode([bad, good]);
    expect(counters.skippedRecords).toBe(skipped);
    expect(b.size).toBe(1);
    expect([b.srcV4[0], b.dstV4[0]]).toEqual([7, 8]);
  });

  it('a skipped record leaves nothing behind in the row the next record fills', () => {
    const bad = v3Record([ipv4Flow(1, 2), asRouting(111, 222), flowMisc(5, 6), genericFlow(GF)], { numElements: 5 });
    const sparse = v3Record([ipv4Flow(7, 8)]);
    const { batch: b } = decode([bad, sparse]);
    expect(b.size).toBe(1);
    expect([b.srcAs[0], b.dstAs[0], b.inIf[0], b.outIf[0], b.packets[0], b.dport[0]]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('skips unknown record types by size and counts them; array records are skipped silently', () => {
    const { batch: b, counters } = decode([rawRecord(42, Buffer.alloc(20)), rawRecord(13, Buffer.alloc(8)), rawRecord(9, Buffer.alloc(12)), v3Record([ipv4Flow(1, 2)])]);
    expect(b.size).toBe(1);
    expect(counters).toMatchObject({ unknownRecordTypes: 2, records: 1, skippedRecords: 0 });
  });
});

describe('exporters and samplers', () => {
  it('maps sysids to IPv4 and IPv6 exporters, with sampling rates from both sampler forms', () => {
    const v6: [number, number, number, number] = [0x20010db8, 0, 0, 0x99];
    const { batch: b, table, counters } = decode([
      exporterRecord(1, ip(127, 0, 0, 2), 10, 7),
      exporterRecord(2, v6, 9, 3),
      samplerRecord(1, 10),
      samplerRecord(2, 64, { old: true, id: 5 }),
      v3Record([ipv4Flow(1, 2)], { exporterId: 2 }),
      v3Record([ipv4Flow(1, 2)], { exporterId: 1 }),
      exporterStatRecord([{ sysId: 1, seqFail: 2, packets: 300, flows: 1 }, { sysId: 2, seqFail: 0, packets: 5, flows: 1 }]),
    ]);
    expect(exporterList(table)).toEqual([
      { sysId: 1, ip: '127.0.0.2', version: 10, id: 7, samplingRate: 10 },
      { sysId: 2, ip: '2001:db8::99', version: 9, id: 3, samplingRate: 64 },
    ]);
    expect([b.exporters[b.exporterIdx[0]], b.exporters[b.exporterIdx[1]]]).toEqual(['2001:db8::99', '127.0.0.2']);
    expect([...table.stats.values()]).toEqual([{ sysId: 1, sequenceFailures: 2, packets: 300, flows: 1 }, { sysId: 2, sequenceFailures: 0, packets: 5, flows: 1 }]);
    expect(counters).toMatchObject({ exporterRecords: 2, samplerRecords: 2, exporterStatRecords: 1, records: 2 });
  });

  it('an exporter re-announced under the same sysid with another address applies to the flows after it', () => {
    const { batch: b } = decode([exporterRecord(1, ip(127, 0, 0, 2)), v3Record([ipv4Flow(1, 2)], { exporterId: 1 }), exporterRecord(1, ip(127, 0, 0, 3)), v3Record([ipv4Flow(1, 2)], { exporterId: 1 })]);
    expect([b.exporters[b.exporterIdx[0]], b.exporters[b.exporterIdx[1]]]).toEqual(['127.0.0.2', '127.0.0.3']);
  });

  it('counts a sampler or exporter-stat record of an impossible size as skipped', () => {
    const stat = exporterStatRecord([{ sysId: 1, seqFail: 0, packets: 1, flows: 1 }]);
    stat.writeUInt32LE(5, 4); // claims 5 entries in room for 1
    const { counters } = decode([rawRecord(15, Buffer.alloc(16)), stat, rawRecord(7, Buffer.alloc(8))]);
    expect(counters).toMatchObject({ skippedRecords: 3, samplerRecords: 0, exporterStatRecords: 0, exporterRecords: 0 });
  });
});

describe('block framing', () => {
  const good = v3Record([ipv4Flow(1, 2), genericFlow(GF)]);

  it.each([
    ['a record of size 0', Buffer.concat([good, Buffer.from([11, 0, 0, 0])]), 2, /record 1 has size 0/],
    ['a record running past the block', Buffer.concat([good, Buffer.from([11, 0, 200, 0, 1, 2])]), 2, /record 1 runs past the end of the block/],
    ['more records than the block holds', good, 2, /record 1 of 2 starts past the end/],
  ])('refuses a block with %s', (_n, data, numRecords, why) => {
    const r = scanBlock(data, data.length, numRecords);
    expect('error' in r && r.error).toMatch(why);
    expect('error' in decodeBlock(data, data.length, numRecords, createExporterTable())).toBe(true);
  });

  it('counts the flow records of a good block and ignores bytes after its records (as nfdump does)', () => {
    const data = Buffer.concat([exporterRecord(1, 1), good, good, Buffer.alloc(7)]);
    expect(scanBlock(data, data.length, 3)).toEqual({ flows: 2, others: 1 });
  });

  it('decodes into a shared batch from its current size, and applies a row predicate', () => {
    const data = Buffer.concat([v3Record([ipv4Flow(1, 2), genericFlow(GF)]), v3Record([ipv4Flow(3, 4), genericFlow({ ...GF, dport: 22 })])]);
    const out = createBatch(8);
    const c = createCounters();
    const t = createExporterTable();
    decodeBlockInto(data, data.length, 2, t, out, c);
    decodeBlockInto(data, data.length, 2, t, out, c, (b, i) => b.dport[i] === 22);
    expect(out.size).toBe(3);
    expect([...out.srcV4.subarray(0, 3)]).toEqual([1, 3, 3]);
    expect(c).toMatchObject({ records: 3, filteredRecords: 1 });
  });
});

describe('row slots reused after a dropped row', () => {
  it('an IPv4 row written over a dropped IPv6 row has zero IPv6 words', () => {
    const data = Buffer.concat([v3Record([ipv6Flow([1, 2, 3, 4], [5, 6, 7, 8]), genericFlow({ ...GF, dport: 1 })]), v3Record([ipv4Flow(9, 10), genericFlow(GF)])]);
    const out = createBatch(4);
    decodeBlockInto(data, data.length, 2, createExporterTable(), out, createCounters(), (b, i) => b.dport[i] !== 1);
    expect(out.size).toBe(1);
    expect([out.family[0], out.srcV4[0], ...out.src6.subarray(0, 4), ...out.dst6.subarray(0, 4)]).toEqual([4, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('needles: the stored bytes an address filter searches a block for', () => {
  const rec4 = (s: number, d: number) => v3Record([genericFlow(GF), ipv4Flow(s, d)]);
  const found = (rec: Buffer, p: string) => {
    const n = prefixNeedle(numericPrefix(p));
    if (!n) throw new Error(`no needle for ${p}`);
    return needleHits(rec, rec.length, [n]).length > 0;
  };

  it('IPv4: the top 2-4 bytes of the address as the record stores them, none below /16', () => {
    const r = rec4(ip(192, 0, 2, 1), ip(198, 51, 100, 7));
    for (const p of ['192.0.2.1', '192.0.2.0/24', '192.0.0.0/16', '198.51.100.7', '198.51.100.0/25']) expect(found(r, p)).toBe(true);
    for (const p of ['192.0.2.2', '192.0.3.0/24', '192.1.0.0/16', '198.51.101.7']) expect(found(r, p)).toBe(false);
    expect(prefixNeedle(numericPrefix('192.0.2.1'))).toEqual(Uint8Array.from([1, 2, 0, 192]));
    expect(prefixNeedle(numericPrefix('192.0.0.0/16'))).toEqual(Uint8Array.from([0, 192]));
    expect(prefixNeedle(numericPrefix('192.0.0.0/15'))).toBeUndefined();
  });

  it('IPv6: the 16 stored bytes of an address, the top 4-8 of a /32-/127', () => {
    const src: [number, number, number, number] = [0x20010db8, 0x00010002, 0, 0xabcd];
    const r = v3Record([genericFlow(GF), ipv6Flow(src, [0x20010db8, 0xffff0000, 0, 5])]);
    for (const p of ['2001:db8:1:2::abcd', '2001:db8:1:2::/64', '2001:db8:1::/48', '2001:db8::/32', '2001:db8:ffff::5', '2001:db8:ffff::/48']) expect(found(r, p)).toBe(true);
    for (const p of ['2001:db8:1:2::abce', '2001:db8:1:3::/64', '2001:db9::/32']) expect(found(r, p)).toBe(false);
    expect(prefixNeedle(numericPrefix('2001:db8::1'))!.length).toBe(16);
    expect(prefixNeedle(numericPrefix('2001:db8::/31'))).toBeUndefined();
  });

  it('a filter gives the needles of its cheapest address list, or none', () => {
    expect(filterNeedles({ host: ['10.1.2.3'], src: ['10.1.0.0/16', '10.2.0.0/16'] })).toEqual([Uint8Array.from([3, 2, 1, 10])]);
    expect(filterNeedles({ anyOf: [{ src: ['10.1.2.3'] }, { dst: ['10.9.0.0/16'] }] })).toEqual([Uint8Array.from([3, 2, 1, 10]), Uint8Array.from([9, 10])]);
    expect(filterNeedles({ anyOf: [{ src: ['10.1.2.3'] }, { dstPort: [22] }] })).toBeUndefined();
    expect(filterNeedles({ dstPort: [22], proto: [6] })).toBeUndefined();
    expect(filterNeedles({ host: Array.from({ length: 17 }, (_, i) => `10.0.0.${i}`) })).toBeUndefined();
    expect(filterNeedles({ host: ['10.0.0.0/8'] })).toBeUndefined();
  });

  it('decodes only the flow records a hit falls in, reads every other record, counts the rest as undecoded', () => {
    const target = ip(10, 0, 0, 5);
    const recs = [exporterRecord(1, ip(127, 0, 0, 2), 9, 0)];
    for (let k = 0; k < 50; k++) recs.push(v3Record([genericFlow({ ...GF, dport: k }), ipv4Flow(k % 10 === 0 ? target : ip(10, 0, 1, k), ip(10, 0, 2, k))], { exporterId: 1 }));
    const data = Buffer.concat(recs);
    const keep = (b: ReturnType<typeof createBatch>, i: number) => b.srcV4[i] === target || b.dstV4[i] === target;
    const hits = needleHits(data, data.length, filterNeedles({ host: ['10.0.0.5'] })!);
    expect(hits.length).toBe(5);
    const c = createCounters();
    const out = createBatch(5);
    expect(decodeBlockInto(data, data.length, recs.length, createExporterTable(), out, c, keep, hits)).toBe(5);
    expect(Array.from(out.dport.subarray(0, 5))).toEqual([0, 10, 20, 30, 40]);
    expect(out.exporters.length === 0 && c.exporterRecords).toBe(1);
    expect(c).toMatchObject({ records: 5, filteredRecords: 45, undecodedRecords: 45 });
  });
});
