/** FlowBatch allocation, and conversions between batches and plain records (pure): tests, generators, cold paths. */
import type { FlowBatch, FlowReadOptions, FlowRecord, FlowSource } from './types.js';
import { canonicalIp, v4ToNumber, v4ToString, v6FromWords, v6ToWords } from '../util/ip.js';

/** Allocate an empty batch with room for `capacity` rows. */
export function createBatch(capacity: number): FlowBatch {
  return {
    size: 0,
    family: new Uint8Array(capacity),
    srcV4: new Uint32Array(capacity),
    dstV4: new Uint32Array(capacity),
    src6: new Uint32Array(4 * capacity),
    dst6: new Uint32Array(4 * capacity),
    sport: new Uint16Array(capacity),
    dport: new Uint16Array(capacity),
    proto: new Uint8Array(capacity),
    flags: new Uint8Array(capacity),
    packets: new Float64Array(capacity),
    bytes: new Float64Array(capacity),
    start: new Float64Array(capacity),
    end: new Float64Array(capacity),
    inIf: new Uint32Array(capacity),
    outIf: new Uint32Array(capacity),
    exporterIdx: new Uint16Array(capacity),
    exporters: [],
    srcAs: new Uint32Array(capacity),
    dstAs: new Uint32Array(capacity),
  };
}

/** Source address of row `i` as canonical text. */
export function srcText(b: FlowBatch, i: number): string {
  return b.family[i] === 6 ? v6FromWords(b.src6, 4 * i) : v4ToString(b.srcV4[i]);
}

/** Destination address of row `i` as canonical text. */
export function dstText(b: FlowBatch, i: number): string {
  return b.family[i] === 6 ? v6FromWords(b.dst6, 4 * i) : v4ToString(b.dstV4[i]);
}

/** One batch holding `records` (addresses validated; a malformed one throws). */
export function batchFromRecords(records: FlowRecord[]): FlowBatch {
  const b = createBatch(Math.max(1, records.length));
  const ex = new Map<string, number>();
  records.forEach((r, i) => {
    const s = canonicalIp(r.src);
    const d = canonicalIp(r.dst);
    if (s === undefined || d === undefined) throw new Error(`malformed address in flow ${i}: ${r.src} -> ${r.dst}`);
    const v6 = s.includes(':') || d.includes(':');
    if (v6 && !(s.includes(':') && d.includes(':'))) throw new Error(`mixed address families in flow ${i}: ${r.src} -> ${r.dst}`);
    b.family[i] = v6 ? 6 : 4;
    if (v6) {
      b.src6.set(v6ToWords(s)!, 4 * i);
      b.dst6.set(v6ToWords(d)!, 4 * i);
    } else {
      b.srcV4[i] = v4ToNumber(s);
      b.dstV4[i] = v4ToNumber(d);
    }
    b.sport[i] = r.sport;
    b.dport[i] = r.dport;
    b.proto[i] = r.proto;
    b.flags[i] = r.flags;
    b.packets[i] = r.packets;
    b.bytes[i] = r.bytes;
    b.start[i] = r.start;
    b.end[i] = r.end;
    b.inIf[i] = r.inIf;
    b.outIf[i] = r.outIf;
    let e = ex.get(r.exporter);
    if (e === undefined) {
      e = b.exporters.length;
      b.exporters.push(r.exporter);
      ex.set(r.exporter, e);
    }
    b.exporterIdx[i] = e;
    b.srcAs[i] = r.srcAs;
    b.dstAs[i] = r.dstAs;
  });
  b.size = records.length;
  return b;
}

/** Row `i` of a batch as a plain {@link FlowRecord} (for cold paths: investigate, tests). */
export function batchRow(b: FlowBatch, i: number): FlowRecord {
  return {
    src: srcText(b, i),
    dst: dstText(b, i),
    sport: b.sport[i],
    dport: b.dport[i],
    proto: b.proto[i],
    flags: b.flags[i],
    packets: b.packets[i],
    bytes: b.bytes[i],
    start: b.start[i],
    end: b.end[i],
    inIf: b.inIf[i],
    outIf: b.outIf[i],
    exporter: b.exporters[b.exporterIdx[i]] ?? '',
    srcAs: b.srcAs[i],
    dstAs: b.dstAs[i],
  };
}

/** Convenience: stream plain records from files. */
export async function* readFlowRecords(source: FlowSource, files: string[], opts?: FlowReadOptions): AsyncIterable<FlowRecord> {
  for await (const b of source.read(files, opts)) for (let i = 0; i < b.size; i++) yield batchRow(b, i);
}

/** A flow with defaults for everything not given. */
export function flow(p: Partial<FlowRecord> & { src: string; dst: string }): FlowRecord {
  return {
    sport: 40000, dport: 80, proto: 6, flags: 0x1b, packets: 10, bytes: 5000,
    start: 1_700_000_000_000, end: 1_700_000_001_000, inIf: 1, outIf: 2, exporter: '127.0.0.1', srcAs: 0, dstAs: 0,
    ...p,
  };
}
