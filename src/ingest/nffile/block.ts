/**
 * Decoding one decompressed type-3 block (nfdump 1.7.x records) straight into FlowBatch columns. Pure: no fs, no
 * clock, no per-flow objects or strings, and only plain data in and out, so the same functions can run inside a
 * worker thread (hand it the block's bytes and the file's ExporterTable; it hands back the filled columns).
 *
 * Records (NFFILE.md §2): V3 flow records (type 11) with elements in any order, exporter info (7), exporter stats
 * (8) and samplers (15, 24-byte and old 16-byte form). Unknown record types and unknown element ids are skipped by
 * their size and counted. A record whose elements do not add up (12 + Σ lengths ≠ size, an element shorter than its
 * fields, ...) is skipped and counted; a record that breaks the block's framing makes the whole block unusable
 * ({@link scanBlock} reports it before anything is decoded).
 */
import { createBatch } from '../../engine/batch.js';
import type { FlowBatch } from '../../engine/types.js';
import { v6FromGroups, v4ToString } from '../../util/ip.js';

/** Record types (nfdump `id.h`). */
export const RecordType = { EXPORTER_INFO: 7, EXPORTER_STAT: 8, SAMPLER_LEGACY: 9, V3: 11, NBAR: 12, IFNAME: 13, VRFNAME: 14, SAMPLER: 15 } as const;
/** V3 element ids nocflow reads. */
export const Element = { GENERIC_FLOW: 1, IPV4_FLOW: 2, IPV6_FLOW: 3, FLOW_MISC: 4, CNT_FLOW: 5, AS_ROUTING: 7, IP_RECEIVED_V4: 12, IP_RECEIVED_V6: 13 } as const;
/** Element ids 1.7.1–1.7.8 define (MAXEXTENSIONS is 43 in 1.7.8): ids from here on, and 0, are counted as unknown. */
export const MAX_ELEMENT_ID = 43;
/** Smallest element length (with its 4-byte header) that holds the fields read from it, by id (0: any). */
const MIN_ELEMENT_LENGTH = new Uint8Array(MAX_ELEMENT_ID);
for (const [id, len] of [[1, 52], [2, 12], [3, 36], [4, 12], [5, 12], [7, 12], [12, 8], [13, 20]]) MIN_ELEMENT_LENGTH[id] = len;
const V3_HEADER = 12;
/** Record types known to be harmless to skip (arrays of names, NBAR). */
const KNOWN_SKIPPED = new Set<number>([RecordType.NBAR, RecordType.IFNAME, RecordType.VRFNAME]);
/** Linux AF_INET as nfcapd stores it in exporter records. */
const AF_INET = 2;

/** One exporter as its ExporterInfo record describes it. */
export interface ExporterInfo {
  sysId: number;
  /** Address as text. */
  ip: string;
  /** NetFlow version (5, 9, 10; 9999 sFlow). */
  version: number;
  /** v9 source id / IPFIX observation domain. */
  id: number;
  /** 1 when unsampled; otherwise the largest rate of its samplers (counters are already scaled by nfcapd). */
  samplingRate: number;
}

/** Per-exporter counters from ExporterStat records (summed over the file). */
export interface ExporterStat {
  sysId: number;
  sequenceFailures: number;
  packets: number;
  flows: number;
}

/**
 * A file's exporters, built as its exporter and sampler records are met, in file order. Plain data (structured-
 * clonable for a worker). `texts` is append-only: a batch's `exporters` is a copy of it, and a row's exporterIdx
 * indexes it.
 */
export interface ExporterTable {
  texts: string[];
  /** sysid → index into texts, -1 when unknown. */
  bySysId: Int32Array;
  /** text → index into texts. */
  textIndex: Map<string, number>;
  info: Map<number, ExporterInfo>;
  /** sysid → sampler id → rate. */
  samplers: Map<number, Map<number, number>>;
  stats: Map<number, ExporterStat>;
  /** Index of '' (rows with no exporter at all), -1 until needed. */
  noneIdx: number;
  /** EXipReceivedV4 address → text index, for rows whose exporterID names no exporter record. */
  receivedV4: Map<number, number>;
}

/** An empty exporter table for a new file. */
export function createExporterTable(): ExporterTable {
  return { texts: [], bySysId: new Int32Array(65536).fill(-1), textIndex: new Map(), info: new Map(), samplers: new Map(), stats: new Map(), noneIdx: -1, receivedV4: new Map() };
}

/** The exporters of a table with their sampling rates, by sysid. */
export function exporterList(t: ExporterTable): ExporterInfo[] {
  return [...t.info.values()].sort((a, b) => a.sysId - b.sysId).map((e) => ({ ...e, samplingRate: samplingRateOf(t, e.sysId) }));
}

function samplingRateOf(t: ExporterTable, sysId: number): number {
  const s = t.samplers.get(sysId);
  if (!s) return 1;
  let r = 1;
  for (const v of s.values()) if (v > r) r = v;
  return r;
}

/** Most distinct exporter texts a table holds (exporterIdx is a u16); later ones share the '' entry. */
const MAX_TEXTS = 65535;

function textIdx(t: ExporterTable, text: string): number {
  let i = t.textIndex.get(text);
  if (i === undefined) {
    if (t.texts.length >= MAX_TEXTS) return text === '' ? MAX_TEXTS - 1 : textIdx(t, '');
    i = t.texts.length;
    t.texts.push(text);
    t.textIndex.set(text, i);
  }
  return i;
}

/** Counters of the record walk: everything that moves gets one. */
export interface DecodeCounters {
  /** Flow records decoded into rows (nfdump counts records: the stat record's numflows). */
  records: number;
  /** Records skipped because their elements are inconsistent. */
  skippedRecords: number;
  /** Flow records dropped by the caller's row predicate. */
  filteredRecords: number;
  /** Elements with an id nfdump 1.7 does not define (skipped by their length). */
  unknownElements: number;
  /** Records of a type this reader does not know (skipped by their size). */
  unknownRecordTypes: number;
  exporterRecords: number;
  samplerRecords: number;
  exporterStatRecords: number;
  /** Σ EXcntFlow.flows (1 for a record without it or with 0), as nfdump's aggregated flow count. */
  aggregatedFlows: number;
  /**
   * Of filteredRecords, those not even decoded: their bytes hold none of the filter's needles (the address it
   * requires), so neither their consistency nor their elements were looked at (nor counted above).
   */
  undecodedRecords: number;
}

/** Zeroed counters. */
export function createCounters(): DecodeCounters {
  return { records: 0, skippedRecords: 0, filteredRecords: 0, unknownElements: 0, unknownRecordTypes: 0, exporterRecords: 0, samplerRecords: 0, exporterStatRecords: 0, aggregatedFlows: 0, undecodedRecords: 0 };
}

/** Count `n` flow records dropped without being decoded (no needle in them, or a block the index passed over). */
export function countUndecoded(c: DecodeCounters, n: number): void {
  c.filteredRecords += n;
  c.undecodedRecords += n;
}

/** Add `b` into `a`. */
export function addCounters(a: DecodeCounters, b: DecodeCounters): void {
  for (const k of Object.keys(a) as (keyof DecodeCounters)[]) a[k] += b[k];
}

/**
 * Check a block's framing without decoding: `numRecords` records, each at least 4 bytes, none running past
 * `length` (nfdump's own corruption test). Returns the number of flow (V3) records and of the others, or why the
 * block is broken.
 */
export function scanBlock(data: Uint8Array, length: number, numRecords: number): { flows: number; others: number } | { error: string } {
  if (length > data.length) return { error: `block length ${length} exceeds its buffer` };
  let off = 0;
  let flows = 0;
  for (let i = 0; i < numRecords; i++) {
    if (length - off < 4) return { error: `record ${i} of ${numRecords} starts past the end of the block (offset ${off} of ${length})` };
    const type = data[off] | (data[off + 1] << 8);
    const size = data[off + 2] | (data[off + 3] << 8);
    if (size < 4) return { error: `record ${i} has size ${size} (offset ${off})` };
    if (size > length - off) return { error: `record ${i} runs past the end of the block (size ${size} at offset ${off} of ${length})` };
    if (type === RecordType.V3) flows++;
    off += size;
  }
  return { flows, others: numRecords - flows };
}

/** A row predicate applied as rows are decoded (row `i` of `b` is filled, not yet counted in `b.size`). */
export type RowPredicate = (b: FlowBatch, i: number) => boolean;

/**
 * Decode a block whose framing {@link scanBlock} accepted into `out` from row `out.size` on. `out` must have room
 * for the block's flow records. Exporter, sampler and exporter-stat records update `table` in order, so a flow
 * always sees the exporter records that precede it. Counters are added to `c`. Returns the rows added.
 */
export function decodeBlockInto(data: Uint8Array, length: number, numRecords: number, table: ExporterTable, out: FlowBatch, c: DecodeCounters, keep?: RowPredicate, hits?: readonly number[]): number {
  const v = new DataView(data.buffer, data.byteOffset, length);
  const cap = out.family.length;
  const first = out.size;
  // With hits (needleHits: where the filter's needles occur, ascending), only the flow records that contain one are
  // decoded; the others are counted as filtered and undecoded. Every other record (exporters, samplers) is read.
  let h = 0;
  let nextHit = hits ? (hits.length > 0 ? hits[0] : Infinity) : -1;
  let undecoded = 0;
  let row = out.size;
  let off = 0;
  for (let i = 0; i < numRecords; i++) {
    const type = data[off] | (data[off + 1] << 8);
    const size = data[off + 2] | (data[off + 3] << 8);
    const end = off + size;
    if (type === RecordType.V3) {
      if (hits) {
        while (nextHit < off) nextHit = ++h < hits.length ? hits[h] : Infinity;
        if (nextHit >= end) {
          undecoded++;
          off = end;
          continue;
        }
      }
      if (row >= cap) throw new RangeError('decodeBlockInto: batch too small for the block (scanBlock first)');
      const r = decodeFlow(v, off, end, table, out, row, c);
      if (r) {
        if (keep === undefined || keep(out, row)) {
          row++;
          c.records++;
        } else c.filteredRecords++;
      } else c.skippedRecords++;
    } else if (type === RecordType.EXPORTER_INFO) {
      if (readExporter(v, off, size, table)) c.exporterRecords++;
      else c.skippedRecords++;
    } else if (type === RecordType.SAMPLER) {
      if (readSampler(v, off, size, table)) c.samplerRecords++;
      else c.skippedRecords++;
    } else if (type === RecordType.EXPORTER_STAT) {
      if (readExporterStat(v, off, size, table)) c.exporterStatRecords++;
      else c.skippedRecords++;
    } else if (!KNOWN_SKIPPED.has(type)) c.unknownRecordTypes++;
    off = end;
  }
  countUndecoded(c, undecoded);
  out.size = row;
  return row - first;
}

/** Reused by needleHits (the offsets of one block at a time). */
const hits: number[] = [];

/**
 * Offsets in `data[0, length)` where one of `needles` starts, ascending: one array reused by every call, valid until
 * the next.
 */
export function needleHits(data: Uint8Array, length: number, needles: Uint8Array[]): readonly number[] {
  const hay = Buffer.from(data.buffer, data.byteOffset, length);
  hits.length = 0;
  for (const n of needles) {
    for (let p = hay.indexOf(n, 0); p >= 0; p = hay.indexOf(n, p + 1)) hits.push(p);
  }
  if (needles.length > 1) hits.sort((a, b) => a - b);
  return hits;
}

/**
 * Decode one whole block into a batch of its own (exactly its flow count), for a worker: returns the batch, the
 * block's counters, or the framing error. `exporters` of the batch is a snapshot of the table's texts.
 */
export function decodeBlock(data: Uint8Array, length: number, numRecords: number, table: ExporterTable, keep?: RowPredicate): { batch: FlowBatch; counters: DecodeCounters } | { error: string } {
  const s = scanBlock(data, length, numRecords);
  if ('error' in s) return s;
  const batch = createBatch(s.flows);
  const counters = createCounters();
  decodeBlockInto(data, length, numRecords, table, batch, counters, keep);
  batch.exporters = table.texts.slice();
  return { batch, counters };
}

const TWO32 = 4294967296;

/** Decode one V3 record into row `row`; false when its elements are inconsistent (nothing is committed then). */
function decodeFlow(v: DataView, off: number, end: number, t: ExporterTable, b: FlowBatch, row: number, c: DecodeCounters): boolean {
  if (end - off < V3_HEADER) return false;
  const numElements = v.getUint16(off + 4, true);
  let g = -1, a4 = -1, a6 = -1, misc = -1, cnt = -1, as = -1, r4 = -1, r6 = -1;
  let p = off + V3_HEADER;
  for (let k = 0; k < numElements; k++) {
    if (end - p < 4) return false;
    const id = v.getUint16(p, true);
    const len = v.getUint16(p + 2, true);
    if (len < 4 || len > end - p) return false;
    switch (id) {
      case 1: g = p + 4; break;
      case 2: a4 = p + 4; break;
      case 3: a6 = p + 4; break;
      case 4: misc = p + 4; break;
      case 5: cnt = p + 4; break;
      case 7: as = p + 4; break;
      case 12: r4 = p + 4; break;
      case 13: r6 = p + 4; break;
      default:
        if (id === 0 || id >= MAX_ELEMENT_ID) c.unknownElements++;
    }
    if (id < MAX_ELEMENT_ID && len < MIN_ELEMENT_LENGTH[id]) return false;
    p += len;
  }
  if (p !== end) return false; // 12 + Σ element lengths must equal the record size

  // IPv4 unless only IPv6 is present, or both are and the IPv4 addresses are 0 ("lazy exporters", nfdump 1.7.8).
  let v6 = a6 >= 0;
  if (v6 && a4 >= 0 && (v.getUint32(a4, true) !== 0 || v.getUint32(a4 + 4, true) !== 0)) v6 = false;
  const w = row * 4;
  if (v6) {
    b.family[row] = 6;
    b.srcV4[row] = 0;
    b.dstV4[row] = 0;
    b.src6[w] = v.getUint32(a6 + 4, true);
    b.src6[w + 1] = v.getUint32(a6, true);
    b.src6[w + 2] = v.getUint32(a6 + 12, true);
    b.src6[w + 3] = v.getUint32(a6 + 8, true);
    b.dst6[w] = v.getUint32(a6 + 20, true);
    b.dst6[w + 1] = v.getUint32(a6 + 16, true);
    b.dst6[w + 2] = v.getUint32(a6 + 28, true);
    b.dst6[w + 3] = v.getUint32(a6 + 24, true);
  } else {
    // A row slot is zero unless a row the predicate dropped used it: clear the IPv6 words only after an IPv6 one.
    if (b.family[row] === 6) {
      b.src6[w] = b.src6[w + 1] = b.src6[w + 2] = b.src6[w + 3] = 0;
      b.dst6[w] = b.dst6[w + 1] = b.dst6[w + 2] = b.dst6[w + 3] = 0;
    }
    b.family[row] = 4;
    b.srcV4[row] = a4 >= 0 ? v.getUint32(a4, true) : 0;
    b.dstV4[row] = a4 >= 0 ? v.getUint32(a4 + 4, true) : 0;
  }
  if (g >= 0) {
    b.start[row] = v.getUint32(g + 4, true) * TWO32 + v.getUint32(g, true);
    b.end[row] = v.getUint32(g + 12, true) * TWO32 + v.getUint32(g + 8, true);
    b.packets[row] = v.getUint32(g + 28, true) * TWO32 + v.getUint32(g + 24, true);
    b.bytes[row] = v.getUint32(g + 36, true) * TWO32 + v.getUint32(g + 32, true);
    b.sport[row] = v.getUint16(g + 40, true);
    b.dport[row] = v.getUint16(g + 42, true); // ICMP: type*256 + code, as stored
    b.proto[row] = v.getUint8(g + 44);
    b.flags[row] = v.getUint8(g + 45);
  } else {
    b.start[row] = b.end[row] = b.packets[row] = b.bytes[row] = 0;
    b.sport[row] = b.dport[row] = b.proto[row] = b.flags[row] = 0;
  }
  if (misc >= 0) {
    b.inIf[row] = v.getUint32(misc, true);
    b.outIf[row] = v.getUint32(misc + 4, true);
  } else b.inIf[row] = b.outIf[row] = 0;
  if (as >= 0) {
    b.srcAs[row] = v.getUint32(as, true);
    b.dstAs[row] = v.getUint32(as + 4, true);
  } else b.srcAs[row] = b.dstAs[row] = 0;
  const flows = cnt >= 0 ? v.getUint32(cnt + 4, true) * TWO32 + v.getUint32(cnt, true) : 0;
  c.aggregatedFlows += flows === 0 ? 1 : flows;

  // Exporter: the record's exporterID names an ExporterInfo record; else the address nfcapd received it from.
  let ex = t.bySysId[v.getUint16(off + 8, true)];
  if (ex < 0) {
    if (r4 >= 0) {
      const ip = v.getUint32(r4, true);
      ex = t.receivedV4.get(ip) ?? -1;
      if (ex < 0) t.receivedV4.set(ip, (ex = textIdx(t, v4ToString(ip))));
    } else if (r6 >= 0) ex = textIdx(t, v6Text(v, r6));
    else ex = t.noneIdx >= 0 ? t.noneIdx : (t.noneIdx = textIdx(t, ''));
  }
  b.exporterIdx[row] = ex;
  return true;
}

/** IPv6 text of a 16-byte address stored as two LE u64, high half first. */
function v6Text(v: DataView, o: number): string {
  const w = [v.getUint32(o + 4, true), v.getUint32(o, true), v.getUint32(o + 12, true), v.getUint32(o + 8, true)];
  return v6FromGroups([w[0] >>> 16, w[0] & 0xffff, w[1] >>> 16, w[1] & 0xffff, w[2] >>> 16, w[2] & 0xffff, w[3] >>> 16, w[3] & 0xffff]);
}

function readExporter(v: DataView, off: number, size: number, t: ExporterTable): boolean {
  if (size < 28) return false;
  const version = v.getUint32(off + 4, true);
  const family = v.getUint16(off + 24, true);
  const sysId = v.getUint16(off + 26, true);
  const id = size >= 32 ? v.getUint32(off + 28, true) : 0;
  const ip = family === AF_INET ? v4ToString(v.getUint32(off + 16, true)) : v6Text(v, off + 8);
  t.info.set(sysId, { sysId, ip, version, id, samplingRate: 1 });
  t.bySysId[sysId] = textIdx(t, ip);
  return true;
}

function readSampler(v: DataView, off: number, size: number, t: ExporterTable): boolean {
  let sysId: number, samplerId: number, rate: number;
  if (size >= 24) {
    sysId = v.getUint16(off + 4, true);
    samplerId = v.getInt32(off + 8, true); // low half of the i64 id (-1, -2, -3 or a small exporter id)
    const packet = v.getUint32(off + 16, true);
    const space = v.getUint32(off + 20, true);
    rate = packet > 0 ? (packet + space) / packet : 1;
  } else if (size === 16) {
    // samplerV0_record_t: i32 id, u32 interval, u16 algorithm, u16 exporter_sysid
    samplerId = v.getInt32(off + 4, true);
    rate = Math.max(1, v.getUint32(off + 8, true));
    sysId = v.getUint16(off + 14, true);
  } else return false;
  let m = t.samplers.get(sysId);
  if (!m) t.samplers.set(sysId, (m = new Map()));
  m.set(samplerId, rate);
  return true;
}

function readExporterStat(v: DataView, off: number, size: number, t: ExporterTable): boolean {
  if (size < 8) return false;
  const n = v.getUint32(off + 4, true);
  if (8 + 24 * n > size) return false;
  for (let k = 0; k < n; k++) {
    const p = off + 8 + 24 * k;
    const sysId = v.getUint32(p, true);
    let s = t.stats.get(sysId);
    if (!s) t.stats.set(sysId, (s = { sysId, sequenceFailures: 0, packets: 0, flows: 0 }));
    s.sequenceFailures += v.getUint32(p + 4, true);
    s.packets += v.getUint32(p + 12, true) * TWO32 + v.getUint32(p + 8, true);
    s.flows += v.getUint32(p + 20, true) * TWO32 + v.getUint32(p + 16, true);
  }
  return true;
}
