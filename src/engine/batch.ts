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

/** The column properties of a FlowBatch, in createBatch's order. */
const BATCH_KEYS = ['size', 'family', 'srcV4', 'dstV4', 'src6', 'dst6', 'sport', 'dport', 'proto', 'flags', 'packets', 'bytes', 'start', 'end', 'inIf', 'outIf', 'exporterIdx', 'exporters', 'srcAs', 'dstAs'] as const;

/**
 * Thrown when a batch is used after the consumer asked its source for the next one. Sources reuse their batch
 * buffers (see FlowSource): keep a batch across iterations only as a copy ({@link cloneBatch}).
 */
export class BatchReusedError extends Error {
  constructor(what: string) {
    super(`FlowBatch.${what} read after the next batch was asked for: a batch is valid until then (its buffers are reused); keep a copy with cloneBatch()`);
    this.name = 'BatchReusedError';
  }
}

/** A new batch object over the same column arrays (what a source lends to its consumer). */
export function batchView(b: FlowBatch): FlowBatch {
  return {
    size: b.size, family: b.family, srcV4: b.srcV4, dstV4: b.dstV4, src6: b.src6, dst6: b.dst6, sport: b.sport, dport: b.dport, proto: b.proto, flags: b.flags,
    packets: b.packets, bytes: b.bytes, start: b.start, end: b.end, inIf: b.inIf, outIf: b.outIf, exporterIdx: b.exporterIdx, exporters: b.exporters, srcAs: b.srcAs, dstAs: b.dstAs,
  };
}

/** Make a lent batch unusable: every property now throws {@link BatchReusedError}. */
export function retireBatch(b: FlowBatch): void {
  for (const k of BATCH_KEYS) {
    Object.defineProperty(b, k, {
      configurable: true,
      enumerable: true,
      get() {
        throw new BatchReusedError(k);
      },
      set() {
        throw new BatchReusedError(k);
      },
    });
  }
}

/**
 * Lend each batch of `batches` under the FlowSource contract: the consumer gets a view that is valid until it asks
 * for the next batch (or stops); then the view is retired and `release` gets the batch back for reuse.
 */
export async function* lendBatches(batches: AsyncIterable<FlowBatch> | Iterable<FlowBatch>, release?: (b: FlowBatch) => void): AsyncGenerator<FlowBatch> {
  for await (const b of batches) {
    const view = batchView(b);
    try {
      yield view;
    } finally {
      retireBatch(view);
      release?.(b);
    }
  }
}

/** A copy of rows [0, size) of a batch, with its own buffers (to keep past the next iteration). */
export function cloneBatch(b: FlowBatch): FlowBatch {
  const c = createBatch(Math.max(1, b.size));
  copyBatchInto(b, c);
  return c;
}

/**
 * Copy rows [0, b.size) of `b` into `out` (room for them): the IPv6 words only when the batch has IPv6 rows, since
 * they are unspecified on IPv4 rows.
 */
export function copyBatchInto(b: FlowBatch, out: FlowBatch): void {
  const n = b.size;
  out.size = n;
  out.family.set(b.family.subarray(0, n));
  out.srcV4.set(b.srcV4.subarray(0, n));
  out.dstV4.set(b.dstV4.subarray(0, n));
  let v6 = false;
  for (let i = 0; i < n && !v6; i++) v6 = b.family[i] !== 4;
  if (v6) {
    out.src6.set(b.src6.subarray(0, 4 * n));
    out.dst6.set(b.dst6.subarray(0, 4 * n));
  }
  out.sport.set(b.sport.subarray(0, n));
  out.dport.set(b.dport.subarray(0, n));
  out.proto.set(b.proto.subarray(0, n));
  out.flags.set(b.flags.subarray(0, n));
  out.packets.set(b.packets.subarray(0, n));
  out.bytes.set(b.bytes.subarray(0, n));
  out.start.set(b.start.subarray(0, n));
  out.end.set(b.end.subarray(0, n));
  out.inIf.set(b.inIf.subarray(0, n));
  out.outIf.set(b.outIf.subarray(0, n));
  out.exporterIdx.set(b.exporterIdx.subarray(0, n));
  out.exporters = b.exporters.slice();
  out.srcAs.set(b.srcAs.subarray(0, n));
  out.dstAs.set(b.dstAs.subarray(0, n));
}

/** Every ArrayBuffer a batch's columns hold, each once (what a hand-over to another thread transfers). */
export function batchBuffers(b: FlowBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const k of BATCH_KEYS) {
    const v = b[k];
    if (ArrayBuffer.isView(v) && !out.includes(v.buffer as ArrayBuffer)) out.push(v.buffer as ArrayBuffer);
  }
  return out;
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
