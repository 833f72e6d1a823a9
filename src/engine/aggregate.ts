/**
 * Window aggregation (pure, single pass over FlowBatches): every IP in both roles — as source: distinct
 * destinations, distinct destination ports, flows, packets, bytes; as destination: distinct sources, flows,
 * packets, bytes.
 *
 * The work is split by role so that it can use two cores. The source side ({@link WindowAggregator}, on the caller's
 * thread) interns sources, keeps their counters and the pair sets, and notes which rows open a new (source,
 * destination) pair. The destination side ({@link DestinationSide}, in a worker when the shell gives one, else
 * in-thread) counts flows, packets, bytes and new pairs per destination address. At the end the destinations are
 * merged into the one id space detect uses.
 *
 * The hot loops work in runs of {@link RUN} rows and in stages: first they touch every hash-table slot and record the
 * run will need (independent loads the CPU overlaps), then they do the dependent work on lines already on their way.
 * Tables far larger than the cache are otherwise a chain of misses, one flow at a time. In-thread, rows also wait for
 * a partitioned pass (up to {@link PENDING_MAX}): counted partition by partition, first by source then by
 * destination, they walk the tables a region at a time (a U32Map keeps one partition's keys in one region).
 *
 * The flows are kept for the passes after aggregation (features, campus, ARP) either as columns (49 B a flow), or
 * not at all when the caller can read the files again ({@link FlowStore}). Rows carry address keys, not ids: an
 * IPv4 address is its own key, an IPv6 address's key is its id.
 */
import { BufferPool, IpTable, PARTITION_BITS, PairSet, U32Map, V6Map, hash2, topIdsStridedEach, u32Partition, zeroed, type Arena } from './tables.js';
import type { FlowBatch } from './types.js';
import { TcpFlag } from './types.js';

/** Rows per chunk of the flow columns. */
export const FLOW_CHUNK_BITS = 20;
export const FLOW_CHUNK = 1 << FLOW_CHUNK_BITS;
/**
 * Rows per stage of the hot loops. The pages a stage touches (~4 a row, each in a different table) must stay within
 * the L2 TLB (2048 entries on this AMD EPYC) until the next stage reads them again: at 1024 rows the counting stage
 * missed the TLB on lines already in cache. 256 was the fastest of 128–1024 on the 10 M-flow window (~9 % less
 * aggregation time than 1024), and no slower at 2 M.
 */
const RUN = 256;
/** Bytes a flow costs in {@link FlowColumns} (for memory budgets). */
export const FLOW_COLUMN_BYTES = 1 + 4 + 4 + 2 + 2 + 1 + 1 + 4 + 8 + 4 + 2 + 8 + 4 + 4;

/**
 * Compact columns of the window's flows, in chunks of 1 Mi rows: family, the two address keys (IPv4: the address;
 * IPv6: its id), the fields detect reads, the window-wide exporter index and the full 32-bit input interface, each
 * its own column.
 */
export class FlowColumns {
  family: Uint8Array[] = [];
  src: Uint32Array[] = [];
  dst: Uint32Array[] = [];
  sport: Uint16Array[] = [];
  dport: Uint16Array[] = [];
  proto: Uint8Array[] = [];
  flags: Uint8Array[] = [];
  /** Packets, saturating at 2^32 - 1 (thresholds and features never need more per flow). */
  packets: Uint32Array[] = [];
  bytes: Float64Array[] = [];
  inIf: Uint32Array[] = [];
  exporter: Uint16Array[] = [];
  start: Float64Array[] = [];
  srcAs: Uint32Array[] = [];
  dstAs: Uint32Array[] = [];
  size = 0;

  private addChunk(): void {
    this.family.push(new Uint8Array(FLOW_CHUNK));
    this.src.push(new Uint32Array(FLOW_CHUNK));
    this.dst.push(new Uint32Array(FLOW_CHUNK));
    this.sport.push(new Uint16Array(FLOW_CHUNK));
    this.dport.push(new Uint16Array(FLOW_CHUNK));
    this.proto.push(new Uint8Array(FLOW_CHUNK));
    this.flags.push(new Uint8Array(FLOW_CHUNK));
    this.packets.push(new Uint32Array(FLOW_CHUNK));
    this.bytes.push(new Float64Array(FLOW_CHUNK));
    this.inIf.push(new Uint32Array(FLOW_CHUNK));
    this.exporter.push(new Uint16Array(FLOW_CHUNK));
    this.start.push(new Float64Array(FLOW_CHUNK));
    this.srcAs.push(new Uint32Array(FLOW_CHUNK));
    this.dstAs.push(new Uint32Array(FLOW_CHUNK));
  }

  /**
   * Append every row of `b`, whose address keys are `sk`/`dk` [0, size), with `exMap` mapping the batch's exporter
   * indices to the window's. Columns copied as they are go through TypedArray.set.
   */
  append(b: FlowBatch, sk: Uint32Array, dk: Uint32Array, exMap: Uint16Array): void {
    let i = 0;
    while (i < b.size) {
      const c = this.size >>> FLOW_CHUNK_BITS;
      const o = this.size & (FLOW_CHUNK - 1);
      if (c === this.src.length) this.addChunk();
      const n = Math.min(b.size - i, FLOW_CHUNK - o);
      this.family[c].set(b.family.subarray(i, i + n), o);
      this.src[c].set(sk.subarray(i, i + n), o);
      this.dst[c].set(dk.subarray(i, i + n), o);
      this.sport[c].set(b.sport.subarray(i, i + n), o);
      this.dport[c].set(b.dport.subarray(i, i + n), o);
      this.proto[c].set(b.proto.subarray(i, i + n), o);
      this.flags[c].set(b.flags.subarray(i, i + n), o);
      this.bytes[c].set(b.bytes.subarray(i, i + n), o);
      this.inIf[c].set(b.inIf.subarray(i, i + n), o);
      this.start[c].set(b.start.subarray(i, i + n), o);
      this.srcAs[c].set(b.srcAs.subarray(i, i + n), o);
      this.dstAs[c].set(b.dstAs.subarray(i, i + n), o);
      const PK = this.packets[c], EX = this.exporter[c], bp = b.packets, be = b.exporterIdx;
      for (let j = 0; j < n; j++) {
        const pk = bp[i + j];
        PK[o + j] = pk > 0xffffffff ? 0xffffffff : pk;
        EX[o + j] = exMap[be[i + j]];
      }
      this.size += n;
      i += n;
    }
  }

  /** Bytes held. */
  get memoryBytes(): number {
    return this.src.length * FLOW_CHUNK * FLOW_COLUMN_BYTES;
  }
}

/**
 * Field offsets of a host's two records (32-bit words): the out record (its flows as a source), written per flow by
 * the source side, and the in record (as a destination), made by the destination side. Packets and bytes are float32,
 * the rest uint32.
 */
const OUT_FIELDS = { outFlows: 0, outPackets: 1, outBytes: 2, outPeers: 3, outPorts: 4 } as const;
const IN_FIELDS = { inFlows: 0, inPackets: 1, inBytes: 2, inPeers: 3 } as const;
const FLOAT_FIELDS = new Set<HostField>(['outPackets', 'outBytes', 'inPackets', 'inBytes']);
/**
 * Words per out record: 64 bytes. Besides the counters it holds a source's first {@link INLINE_PEERS} distinct
 * destination keys (from word {@link FIRST_DST}) and first {@link INLINE_PORTS} distinct destination ports (16 bits
 * each, from word {@link PORTS_AT}): most sources have few, and their flows then touch no pair set at all. A source
 * passing either count moves that list into its pair set, which holds it from then on.
 */
const OUT_STRIDE = 16;
const FIRST_DST = 5;
const INLINE_PEERS = 8;
const PORTS_AT = 13;
const INLINE_PORTS = 6;
/** Words per in record: 16 bytes. */
const IN_STRIDE = 4;
/** Chunk bits that make one array a single chunk (the in records: at most 2^28 of them). */
const ONE_CHUNK_BITS = 30;
/** Hosts per chunk of records: 2^18. */
export const HOST_CHUNK_BITS = 18;
const HOST_CHUNK = 1 << HOST_CHUNK_BITS;
const HOST_MASK = HOST_CHUNK - 1;
export type HostField = keyof typeof OUT_FIELDS | keyof typeof IN_FIELDS;
// The hot loops' offsets, named from the layouts (one declaration of each).
const OUT_FLOWS = OUT_FIELDS.outFlows, OUT_PACKETS = OUT_FIELDS.outPackets, OUT_BYTES = OUT_FIELDS.outBytes, OUT_PEERS = OUT_FIELDS.outPeers, OUT_PORTS = OUT_FIELDS.outPorts;

/** Read access to one field of every host. */
export interface HostColumn {
  get(id: number): number;
}

/**
 * Per-IP counters in both roles, by IpTable id: for each role one interleaved record per host (random access touches
 * one cache line instead of one per field) — out records in chunks of 256 Ki hosts, in records as the destination
 * side made them, found through `inOf`. Packets and bytes are float32: they rank hosts and meet thresholds (relative
 * error 6e-8); reported values come exact from the feature pass. The out record keeps a source's first few
 * destinations and ports (OUT_STRIDE), so small sources stay out of the pair sets.
 */
export class HostCounters {
  /** Out records (OUT_STRIDE words per host), as uint32 and float32 views of the same chunks. */
  readonly u: Uint32Array[] = [];
  readonly f: Float32Array[] = [];
  /**
   * In records: the destination side's own (IN_STRIDE words each, in the order it first saw the destinations, as
   * uint32 and float32 views), each one's host id, and each host's record number (-1: it received nothing). Kept as
   * the side made them rather than copied into records by id: ~60 MiB less fresh memory at 10 M flows.
   */
  private inU: Uint32Array = new Uint32Array(0);
  private inF: Float32Array = new Float32Array(0);
  private idOfIn: Uint32Array = new Uint32Array(0);
  private inOf: Int32Array = new Int32Array(0);

  /** `arena`: where the out records' chunks come from (BufferPool); fresh buffers without it. */
  constructor(private readonly arena?: Arena) {}

  ensure(id: number): void {
    while (this.u.length <= id >>> HOST_CHUNK_BITS) {
      const u = zeroed(this.arena, Uint32Array, HOST_CHUNK * OUT_STRIDE);
      this.u.push(u);
      this.f.push(new Float32Array(u.buffer));
    }
  }

  /**
   * Take the destination side's records, `idOfIn[k]` the host id of record k, with `inOf` giving each host's record
   * number (-1 for none).
   */
  setIn(records: Uint32Array, idOfIn: Uint32Array, inOf: Int32Array): void {
    this.inU = records;
    this.inF = new Float32Array(records.buffer, records.byteOffset, records.length);
    this.idOfIn = idOfIn;
    this.inOf = inOf;
  }

  private readonly columns = new Map<HostField, HostColumn>();

  /** One field's value for a host. */
  value(field: HostField, id: number): number {
    return this.column(field).get(id);
  }

  /** A read-only column view of one field (one per field, made once). */
  column(field: HostField): HostColumn {
    let c = this.columns.get(field);
    if (!c) this.columns.set(field, (c = this.makeColumn(field)));
    return c;
  }

  private makeColumn(field: HostField): HostColumn {
    const float = FLOAT_FIELDS.has(field);
    if (field in OUT_FIELDS) {
      const arrs = float ? this.f : this.u, off = OUT_FIELDS[field as keyof typeof OUT_FIELDS];
      return { get: (id) => (id >>> HOST_CHUNK_BITS < arrs.length ? arrs[id >>> HOST_CHUNK_BITS][(id & HOST_MASK) * OUT_STRIDE + off] : 0) };
    }
    const off = IN_FIELDS[field as keyof typeof IN_FIELDS];
    return {
      get: (id) => {
        const k = id < this.inOf.length ? this.inOf[id] : -1;
        return k < 0 ? 0 : (float ? this.inF : this.inU)[k * IN_STRIDE + off];
      },
    };
  }

  outFlows = this.column('outFlows');
  outPackets = this.column('outPackets');
  outBytes = this.column('outBytes');
  outPeers = this.column('outPeers');
  outPorts = this.column('outPorts');
  inFlows = this.column('inFlows');
  inPackets = this.column('inPackets');
  inBytes = this.column('inBytes');
  inPeers = this.column('inPeers');

  /**
   * Hosts below this id may have out counters; the ones the merge added after them (destinations only) have none, so
   * the rankings of out fields never read their records.
   */
  sources = Infinity;

  /**
   * For each field, the ids of the `n` hosts with its largest values among ids [0, count), largest first (ties: the
   * lower `rank`, by default the lower id): one pass over each role's records for all its fields.
   */
  topEach(fields: readonly HostField[], count: number, n: number, rank?: (id: number) => number): number[][] {
    const out = new Map<HostField, number[]>();
    const outs = fields.filter((f) => f in OUT_FIELDS);
    if (outs.length > 0) {
      const lists = topIdsStridedEach(outs.map((f) => ({ chunks: FLOAT_FIELDS.has(f) ? this.f : this.u, offset: OUT_FIELDS[f as keyof typeof OUT_FIELDS] })), HOST_CHUNK_BITS, OUT_STRIDE, Math.min(count, this.sources), n, undefined, rank);
      outs.forEach((f, k) => out.set(f, lists[k]));
    }
    const ins = fields.filter((f) => f in IN_FIELDS);
    if (ins.length > 0) {
      // The in records in their own order, each offered with its host's id (the result does not depend on the order).
      const lists = topIdsStridedEach(ins.map((f) => ({ chunks: [FLOAT_FIELDS.has(f) ? this.inF : this.inU], offset: IN_FIELDS[f as keyof typeof IN_FIELDS] })), ONE_CHUNK_BITS, IN_STRIDE, this.idOfIn.length, n, { ids: this.idOfIn, below: count }, rank);
      ins.forEach((f, k) => out.set(f, lists[k]));
    }
    return fields.map((f) => out.get(f)!);
  }

  /** Bytes held. */
  get memoryBytes(): number {
    return this.u.length * HOST_CHUNK * OUT_STRIDE * 4 + this.inU.byteLength + this.idOfIn.byteLength + this.inOf.byteLength;
  }
}

/**
 * What the destination side needs of one batch: each row's family and destination (IPv4 address, or the IPv6
 * words of IPv6 rows only), its packets and bytes, and the rows that opened a new (source, destination) pair.
 * Plain typed arrays, copies: transferable to a worker.
 */
export interface DestinationPart {
  size: number;
  family: Uint8Array;
  dstV4: Uint32Array;
  /** Four words per row, present when the batch has IPv6 rows. */
  dst6?: Uint32Array;
  /** Summed as float32 (each value rounded to float32 first, whichever array holds it). */
  packets: Float32Array | Float64Array;
  bytes: Float32Array | Float64Array;
  /** Row numbers of the new pairs, [0, newPairs). */
  newPairRows: Uint32Array;
  newPairs: number;
}

/** Words per destination record: inFlows, inPackets (f32), inBytes (f32), inPeers (IN_FIELDS: the in records). */
const DEST_STRIDE = IN_STRIDE;

/** The destination side's result: every destination address with its counters (plain, transferable). */
export interface DestinationTables {
  count: number;
  /** Per destination: 4 or 6. */
  family: Uint8Array;
  /** Per destination: the IPv4 address, or the IPv6 address's ordinal in `v6Words`. */
  key: Uint32Array;
  v6Words: Uint32Array;
  /** Per destination, DEST_STRIDE words: inFlows, inPackets (float32 bits), inBytes (float32 bits), inPeers. */
  records: Uint32Array;
}

/**
 * Counts, per destination address, the flows, packets and bytes it received and the distinct sources (new pairs, as
 * the source side found them). Pure; runs in a worker or in-thread, fed {@link DestinationPart}s in batch order.
 */
export class DestinationSide {
  private readonly v4: U32Map;
  private readonly v6: V6Map;
  private family = new Uint8Array(1 << 16);
  private key = new Uint32Array(1 << 16);
  private v6Words = new Uint32Array(4 * 256);
  private v6Count = 0;
  private rec = new Uint32Array(DEST_STRIDE << 16);
  private recF = new Float32Array(this.rec.buffer);
  private count = 0;
  private ids = new Uint32Array(RUN);
  private touched = 0;

  /** `arena`: where its maps and records get their memory (BufferPool); fresh buffers without it. */
  constructor(private readonly arena?: Arena) {
    this.v4 = new U32Map(1 << 16, arena);
    this.v6 = new V6Map(1 << 10, arena);
  }

  /** Size the tables once for about `n` destinations. */
  reserve(n: number): void {
    this.v4.reserve(n);
    this.grow(n);
  }

  /** Room in the address map for `n` more destinations (the records grow as they fill). */
  reserveMap(n: number): void {
    this.v4.reserve(this.count + n);
  }

  private grow(n: number): void {
    if (n <= this.key.length) return;
    let cap = this.key.length;
    while (cap < n) cap *= 2;
    const fam = zeroed(this.arena, Uint8Array, cap);
    fam.set(this.family);
    this.family = fam;
    const key = zeroed(this.arena, Uint32Array, cap);
    key.set(this.key);
    this.key = key;
    const rec = zeroed(this.arena, Uint32Array, cap * DEST_STRIDE);
    rec.set(this.rec);
    this.rec = rec;
    this.recF = new Float32Array(rec.buffer);
  }

  private idV4(a: number): number {
    const id = this.v4.getOrInsert(a, this.count);
    if (id === this.count) {
      if (id >= this.key.length) this.grow(id + 1);
      this.family[id] = 4;
      this.key[id] = a;
      this.count++;
    }
    return id;
  }

  private idV6(w: Uint32Array, o: number): number {
    const id = this.v6.getOrInsert(w, o, this.count);
    if (id === this.count) {
      if (id >= this.key.length) this.grow(id + 1);
      if (4 * this.v6Count + 4 > this.v6Words.length) {
        const grown = new Uint32Array(this.v6Words.length * 2);
        grown.set(this.v6Words);
        this.v6Words = grown;
      }
      this.v6Words.set(w.subarray(o, o + 4), 4 * this.v6Count);
      this.family[id] = 6;
      this.key[id] = this.v6Count++;
      this.count++;
    }
    return id;
  }

  /** Fold one batch's destinations in. */
  add(p: DestinationPart): void {
    const w = p.dst6;
    this.fold(p.size, p.family, p.dstV4, p.packets, p.bytes, (i) => this.idV6(w!, 4 * i));
    const R = this.rec, ids = this.ids, rows = p.newPairRows;
    for (let k = 0; k < p.newPairs; k++) R[ids[rows[k]] * DEST_STRIDE + 3]++;
  }

  /**
   * Fold rows [0, n) of `rows` in (the partitioned pass, in-thread): each row's family, destination (IPv4: the
   * address; IPv6: its id in `ips`, whose words the side interns), packets, bytes, and `newPair[i]` 1 when the row
   * opened a new (source, destination) pair. The same counts as {@link add}.
   */
  addRows(rows: PendingColumns, newPair: Uint8Array, n: number, ips: IpTable): void {
    const D = rows.dst;
    this.fold(n, rows.family, D, rows.packets, rows.bytes, (i) => this.idV6(ips.v6WordArray, 4 * ips.v4Of.get(D[i])), newPair);
  }

  /**
   * Rows [0, n): each destination's id into `ids` (IPv4 from `D4`, IPv6 through `v6Id(row)`), its flows, packets
   * and bytes counted, and its new pairs when `newPair` flags them (else the caller counts them from `ids`).
   */
  private fold(n: number, fam: Uint8Array, D4: Uint32Array, PK: Float32Array | Float64Array, BY: Float32Array | Float64Array, v6Id: (i: number) => number, newPair?: Uint8Array): void {
    if (this.ids.length < n) this.ids = new Uint32Array(n);
    const ids = this.ids;
    let touched = 0;
    for (let i0 = 0; i0 < n; i0 += RUN) {
      const i1 = Math.min(n, i0 + RUN);
      for (let i = i0; i < i1; i++) if (fam[i] === 4) touched += this.v4.touch(D4[i]);
      for (let i = i0; i < i1; i++) ids[i] = fam[i] === 4 ? this.idV4(D4[i]) : v6Id(i);
      const R = this.rec;
      for (let i = i0; i < i1; i++) touched += R[ids[i] * DEST_STRIDE];
      const RF = this.recF;
      for (let i = i0; i < i1; i++) {
        const r = ids[i] * DEST_STRIDE;
        R[r]++;
        RF[r + 1] += Math.fround(PK[i]);
        RF[r + 2] += Math.fround(BY[i]);
      }
      if (newPair) for (let i = i0; i < i1; i++) R[ids[i] * DEST_STRIDE + 3] += newPair[i];
    }
    this.touched = (this.touched + touched) | 0;
  }

  /** The tables (their buffers may be transferred; the side is done). */
  finish(): DestinationTables {
    return {
      count: this.count,
      family: this.family.subarray(0, this.count),
      key: this.key.subarray(0, this.count),
      v6Words: this.v6Words.subarray(0, 4 * this.v6Count),
      records: this.rec.subarray(0, this.count * DEST_STRIDE),
    };
  }
}

/**
 * Where the destination side runs: in-thread ({@link localDestinations}) or in a worker (the shell's). `push` hands
 * over a part (its buffers may be transferred, the caller does not touch them again); `ready` resolves when the side
 * has room for more; `finish` resolves to its tables; `close` releases it (also after a failure).
 */
export interface DestinationRunner {
  /**
   * The side itself, when it runs in this thread: the aggregator then counts in partitioned passes and hands the side
   * its rows directly ({@link DestinationSide.addRows}); `push` is for a side elsewhere.
   */
  readonly side?: DestinationSide;
  push(part: DestinationPart): void;
  ready(): Promise<void>;
  finish(): Promise<DestinationTables>;
  close(): void;
}

/** The destination side in this thread (its memory from `arena` when given). */
export function localDestinations(expectedDestinations = 0, arena?: Arena): DestinationRunner & { side: DestinationSide } {
  const side = new DestinationSide(arena);
  if (expectedDestinations > 0) side.reserve(expectedDestinations);
  return {
    side,
    push: (p) => side.add(p),
    ready: () => Promise.resolve(),
    finish: () => Promise.resolve(side.finish()),
    close: () => undefined,
  };
}

/**
 * One run of the window's flows for the passes after aggregation, rows [0, size): family, the two address keys
 * (IPv4: the address; IPv6: its id), the fields detect reads, and `exporterOf` mapping `exporter[i]` to the
 * window-wide exporter index.
 */
export interface FlowChunk {
  size: number;
  family: Uint8Array;
  src: Uint32Array;
  dst: Uint32Array;
  sport: Uint16Array;
  dport: Uint16Array;
  proto: Uint8Array;
  flags: Uint8Array;
  packets: Uint32Array | Float64Array;
  bytes: Float64Array;
  inIf: Uint32Array;
  exporter: Uint16Array;
  exporterOf: ArrayLike<number>;
  start: Float64Array;
  srcAs: Uint32Array;
  dstAs: Uint32Array;
}

/**
 * The window's flows for the passes after aggregation (features, campus, ARP): from the kept columns, or — when the
 * columns were not kept — from the files read again, in the same order.
 */
export interface FlowStore {
  readonly size: number;
  /** 'columns': every field kept in memory; 'reread': nothing kept, the files are read again for each pass. */
  readonly mode: 'columns' | 'reread';
  /** Visit every flow in chunks, in the order they were aggregated. */
  eachChunk(visit: (c: FlowChunk) => void): Promise<void>;
}

/**
 * Rows waiting for the partitioned pass (in-thread aggregation): family, the two address keys (IPv4: the address;
 * IPv6: its id, interned as the batch arrived), destination port, packets, bytes.
 */
export interface PendingColumns {
  family: Uint8Array;
  src: Uint32Array;
  dst: Uint32Array;
  dport: Uint16Array;
  packets: Float64Array;
  bytes: Float64Array;
}

function pendingColumns(n: number, arena: Arena | undefined): PendingColumns {
  return {
    family: zeroed(arena, Uint8Array, n), src: zeroed(arena, Uint32Array, n), dst: zeroed(arena, Uint32Array, n), dport: zeroed(arena, Uint16Array, n),
    packets: zeroed(arena, Float64Array, n), bytes: zeroed(arena, Float64Array, n),
  };
}

/**
 * Rows the in-thread aggregation gathers before a partitioned pass: at most 4 Mi (~270 MiB of buffers with the
 * pass's own: 65 B a row), fewer when the stat record promises fewer. Bigger passes are faster (on the 10 M window's columns,
 * bench/floor: 1 Mi rows 4.2 s, 4 Mi 3.0 s, the whole window 2.4 s, against 5.1 s without partitioning).
 */
const PENDING_MAX = 1 << 22;
const PENDING_MIN = 1 << 16;
const PARTITIONS = 1 << PARTITION_BITS;

/** Everything one window's single pass produces. */
export interface WindowAggregate {
  ips: IpTable;
  hosts: HostCounters;
  flows: FlowStore;
  /** True when `x` sent at least one flow to `y` in the window (ids). */
  hasPair(x: number, y: number): boolean;
  /** The id of the address with key `key` in a flow row of family `family` (see FlowChunk), or -1. */
  idOf(family: number, key: number): number;
  exporters: string[];
  totals: { flows: number; packets: number; bytes: number; firstStart: number; lastStart: number };
}

/** Options of an aggregator. */
export interface AggregatorOptions {
  /** Keep no flow columns: the caller reads the files again for the later passes. */
  noColumns?: boolean;
  /**
   * Where the destination side runs, made at the first batch with the expected number of flows (0 when unknown).
   * Default: in-thread.
   */
  destinations?: (expectedFlows: number) => DestinationRunner;
  /**
   * Where the window's big tables get their memory: buffers kept from the previous window (the engine's runner keeps
   * one pool for all its windows). Call {@link WindowAggregator.release} when the window is done with.
   */
  pool?: BufferPool;
  /** Most rows of one partitioned pass (in-thread only; default 4 Mi): tests make it small to cross its limits. */
  passRows?: number;
}

/** Every 4096th row of a pass read again is checked against a fingerprint of the first read. */
const CHECK_BITS = 12;

/** Streaming aggregator: `add` every batch (awaiting `ready()` between them), then `result()`. */
export class WindowAggregator {
  readonly ips: IpTable;
  readonly hosts: HostCounters;
  /** The kept flows (undefined when they are read again instead). */
  flows: FlowColumns | undefined;
  /** (src id, dst key) pairs seen: distinct peers in both directions. */
  readonly pairs: PairSet;
  /** (src id, dst port) pairs seen: distinct destination ports per source. */
  private readonly srcPorts: PairSet;
  private readonly arena: (Arena & { release(): void }) | undefined;
  private readonly exporterIds = new Map<string, number>();
  readonly exporters: string[] = [];
  readonly totals = { flows: 0, packets: 0, bytes: 0, firstStart: Infinity, lastStart: -Infinity };
  private expected = 0;
  private dest: DestinationRunner | undefined;
  private readonly makeDest: (expectedFlows: number) => DestinationRunner;
  /** Keys of the batch being added (grown to the largest batch). */
  private sk = new Uint32Array(RUN);
  private dk = new Uint32Array(RUN);
  private sid = new Uint32Array(RUN);
  /** The rows of a partitioned pass that opened a new (source, destination) pair. */
  private pairRows = new Uint32Array(0);
  /** One fingerprint per 4096 rows, to check that a file read again is the one aggregated. */
  private prints = new Uint32Array(256);
  private touched = 0;
  private merged = false;
  /**
   * The destination side when it is in this thread (its runner's `side`): the aggregation is then partitioned. Rows wait in
   * `pending` (arrival order) until a pass copies them into `sorted` by the partition of their source, counts the
   * sources partition by partition, then copies them back by the partition of their destination and counts those.
   * A U32Map puts one partition's keys in one region of its slots, and ids and records follow first sight, so each
   * step walks the tables a region at a time instead of at random.
   */
  private side: DestinationSide | undefined;
  private pending: PendingColumns | undefined;
  private sorted: PendingColumns | undefined;
  private pendingRows = 0;
  private newPair = new Uint8Array(0);
  private newPairBack = new Uint8Array(0);
  private partOf = new Uint8Array(0);
  private readonly passRows: number;
  /** Partitioned passes made so far (in-thread aggregation). */
  passes = 0;

  constructor(opts: AggregatorOptions = {}) {
    const arena = (this.arena = opts.pool?.arena());
    this.passRows = Math.max(RUN, opts.passRows ?? PENDING_MAX);
    this.ips = new IpTable(arena);
    this.hosts = new HostCounters(arena);
    this.pairs = new PairSet(1 << 18, arena);
    this.srcPorts = new PairSet(1 << 16, arena);
    this.flows = opts.noColumns ? undefined : new FlowColumns();
    this.makeDest = opts.destinations ?? ((n) => localDestinations(Math.ceil(n * 0.4), arena));
  }

  /** The destination side, made at the first batch (or at the result when there was none). */
  private destination(): DestinationRunner {
    if (!this.dest) {
      this.dest = this.makeDest(this.expected);
      this.side = this.dest.side;
    }
    return this.dest;
  }

  /**
   * Give the window's big buffers back to its pool (AggregatorOptions.pool): call once nothing reads this
   * aggregator or its result's tables any more (the window's WindowResult is plain data and stays valid).
   */
  release(): void {
    this.arena?.release();
  }

  /**
   * Size the tables once for a window of about `flows` flows (the stat records' count), instead of regrowing them
   * step by step. Estimates: distinct IPs about half the flows; the pair sets hold only the pairs of sources past
   * the inline lists (an eighth and a thirty-second of the flows to start with).
   */
  reserve(flows: number): void {
    if (!(flows > 0)) return;
    const f = Math.min(flows, 1 << 28);
    this.expected = Math.max(this.expected, f);
    this.ips.reserve(Math.ceil(f * 0.5));
    // Only sources past the inline lists use the pair sets (a few of the flows' pairs; they grow when it is more).
    this.pairs.reserve(Math.ceil(f / 8));
    this.srcPorts.reserve(Math.ceil(f / 32));
  }

  /** Stop keeping flow columns (the later passes will read the files again). */
  dropColumns(): void {
    this.flows = undefined;
  }

  /** Map the batch's exporter indices to window-wide ones. */
  private exporterMap(b: FlowBatch): Uint16Array {
    const exMap = new Uint16Array(Math.max(1, b.exporters.length));
    for (let k = 0; k < b.exporters.length; k++) {
      let id = this.exporterIds.get(b.exporters[k]);
      if (id === undefined) {
        id = Math.min(this.exporters.length, 0xffff);
        if (id === this.exporters.length) this.exporters.push(b.exporters[k]);
        this.exporterIds.set(b.exporters[k], id);
      }
      exMap[k] = id;
    }
    return exMap;
  }

  /** Resolves when the destination side has room for another batch (await it between batches). */
  ready(): Promise<void> {
    return this.dest ? this.dest.ready() : Promise.resolve();
  }

  /** Fold one batch into the window. */
  add(b: FlowBatch): void {
    if (this.merged) throw new Error('WindowAggregator: add after result()');
    const dest = this.destination();
    const n = b.size;
    if (this.sk.length < n) {
      this.sk = new Uint32Array(n);
      this.dk = new Uint32Array(n);
    }
    this.addTotals(b);
    let part: DestinationPart | undefined;
    if (this.side) this.keys(b);
    else {
      // A destination side elsewhere (a worker): this batch is counted now, its destinations handed over.
      if (this.sid.length < n) this.sid = new Uint32Array(n);
      let v6 = false;
      for (let i = 0; i < n; i++) if (b.family[i] !== 4) { v6 = true; break; }
      part = {
        size: n, family: b.family.slice(0, n), dstV4: b.dstV4.slice(0, n), packets: new Float32Array(b.packets.subarray(0, n)), bytes: new Float32Array(b.bytes.subarray(0, n)),
        newPairRows: new Uint32Array(n), newPairs: 0,
      };
      if (v6) part.dst6 = b.dst6.slice(0, 4 * n);
      for (let i0 = 0; i0 < n; i0 += RUN) this.addRun(b, i0, Math.min(n, i0 + RUN), part);
    }
    // Fingerprints of every 4096th row, for a later read of the same file.
    const t = this.totals;
    for (let r = (t.flows + (1 << CHECK_BITS) - 1) >>> CHECK_BITS << CHECK_BITS; r < t.flows + n; r += 1 << CHECK_BITS) {
      const k = r >>> CHECK_BITS;
      if (k >= this.prints.length) {
        const grown = new Uint32Array(this.prints.length * 2);
        grown.set(this.prints);
        this.prints = grown;
      }
      this.prints[k] = fingerprint(this.sk[r - t.flows], this.dk[r - t.flows], b.dport[r - t.flows]);
    }
    t.flows += n;
    this.flows?.append(b, this.sk, this.dk, this.exporterMap(b));
    if (part) dest.push(part);
    else this.queue(b);
  }

  /** The window's packets, bytes and first and last start, from one batch. */
  private addTotals(b: FlowBatch): void {
    const t = this.totals, PK = b.packets, BY = b.bytes, ST = b.start;
    let packets = 0, bytes = 0, first = t.firstStart, last = t.lastStart;
    for (let i = 0; i < b.size; i++) {
      packets += PK[i];
      bytes += BY[i];
      const st = ST[i];
      if (st < first) first = st;
      if (st > last) last = st;
    }
    t.packets += packets;
    t.bytes += bytes;
    t.firstStart = first;
    t.lastStart = last;
  }

  /** The rows' address keys into sk/dk (an IPv6 address is interned now: its key is its id). */
  private keys(b: FlowBatch): void {
    const ips = this.ips, sk = this.sk, dk = this.dk, fam = b.family, S4 = b.srcV4, D4 = b.dstV4;
    for (let i = 0; i < b.size; i++) {
      if (fam[i] === 4) {
        sk[i] = S4[i];
        dk[i] = D4[i];
      } else {
        sk[i] = ips.internV6(b.src6, 4 * i);
        dk[i] = ips.internV6(b.dst6, 4 * i);
      }
    }
  }

  /** Put the batch's rows (keys in sk/dk) with the pending ones, passing over those first when they are many. */
  private queue(b: FlowBatch): void {
    const n = b.size;
    let at = 0;
    while (at < n) {
      if (!this.pending || this.pendingRows === this.pending.family.length) {
        const cap = this.pending?.family.length ?? 0;
        const most = this.passRows;
        if (cap >= most) this.pass();
        else this.growPending(Math.min(most, Math.max(PENDING_MIN, cap * 2, Math.min(this.expected, most))));
      }
      const P = this.pending!, o = this.pendingRows, m = Math.min(n - at, P.family.length - o);
      copyRows({ family: b.family, src: this.sk, dst: this.dk, dport: b.dport, packets: b.packets, bytes: b.bytes }, at, P, o, m);
      this.pendingRows += m;
      at += m;
    }
  }

  private growPending(cap: number): void {
    const old = this.pending, n = this.pendingRows;
    const P = (this.pending = pendingColumns(cap, this.arena));
    this.sorted = pendingColumns(cap, this.arena);
    this.newPair = new Uint8Array(cap);
    this.newPairBack = new Uint8Array(cap);
    this.partOf = new Uint8Array(cap);
    if (this.sid.length < cap) this.sid = new Uint32Array(cap);
    if (this.pairRows.length < cap) this.pairRows = new Uint32Array(cap);
    if (old) copyRows(old, 0, P, 0, n);
  }

  /** Count the rows waiting for a partitioned pass now (result() does it too; this lets a caller time it). */
  flush(): void {
    this.pass();
  }

  /**
   * The partitioned pass over the pending rows: copied by their source's partition and counted as sources, then
   * copied back by their destination's partition and counted as destinations (IPv6 rows by their id's partition:
   * any spread will do for them).
   */
  private pass(): void {
    const n = this.pendingRows, P = this.pending, Q = this.sorted, side = this.side;
    if (n === 0 || !P || !Q || !side) return;
    // Room for the addresses the pass will likely add (as reserve() estimates them: half the rows new sources, 0.4
    // new destinations): it fills the maps a partition (a region of their slots) at a time, so each region must hold
    // its share from the start. A few more than estimated still fit until the 3/4 rule grows the map; a map left far
    // too small would crowd its first regions into one run that every later key walks (U32Map.longInserts).
    this.ips.reserve(this.ips.size + Math.ceil(n * 0.5));
    side.reserveMap(Math.ceil(n * 0.4));
    scatterRows(P, Q, n, P.src, this.partOf);
    let np = 0;
    for (let i0 = 0; i0 < n; i0 += RUN) np = this.sourceRun(Q, i0, Math.min(n, i0 + RUN), np);
    const flag = this.newPair;
    flag.fill(0, 0, n);
    for (let k = 0; k < np; k++) flag[this.pairRows[k]] = 1;
    // Back into `pending`, by destination, the flags with their rows.
    scatterRows(Q, P, n, Q.dst, this.partOf, flag, this.newPairBack);
    side.addRows(P, this.newPairBack, n, this.ips);
    this.pendingRows = 0;
    this.passes++;
  }

  /** Rows [i0, i1) of `b`: source ids and out counters; keys to sk/dk, new pairs to the part. */
  private addRun(b: FlowBatch, i0: number, i1: number, part: DestinationPart): void {
    const ips = this.ips, sk = this.sk, dk = this.dk, sid = this.sid;
    const fam = b.family, S4 = b.srcV4, D4 = b.dstV4;
    let touched = 0;
    // Stage 1: touch the source slots of the address map (independent loads).
    for (let i = i0; i < i1; i++) if (fam[i] === 4) touched += ips.touchV4(S4[i]);
    // Stage 2: source ids, and the keys (an IPv6 destination is interned too: its key is its id).
    for (let i = i0; i < i1; i++) {
      if (fam[i] === 4) {
        sid[i] = ips.internV4(S4[i]);
        sk[i] = S4[i];
        dk[i] = D4[i];
      } else {
        sid[i] = sk[i] = ips.internV6(b.src6, 4 * i);
        dk[i] = ips.internV6(b.dst6, 4 * i);
      }
    }
    this.touched = (this.touched + touched) | 0;
    part.newPairs = this.countRun(i0, i1, dk, b.dport, b.packets, b.bytes, part.newPairRows, part.newPairs);
  }

  /** Rows [i0, i1) of the partitioned pass's sorted rows (keys known, IPv6 ones already ids): as {@link addRun}. */
  private sourceRun(Q: PendingColumns, i0: number, i1: number, np: number): number {
    const ips = this.ips, sid = this.sid, fam = Q.family, S = Q.src;
    let touched = 0;
    for (let i = i0; i < i1; i++) if (fam[i] === 4) touched += ips.touchV4(S[i]);
    for (let i = i0; i < i1; i++) sid[i] = fam[i] === 4 ? ips.internV4(S[i]) : S[i];
    this.touched = (this.touched + touched) | 0;
    return this.countRun(i0, i1, Q.dst, Q.dport, Q.packets, Q.bytes, this.pairRows, np);
  }

  /**
   * Rows [i0, i1), their source ids in `sid` and destination keys in `D`: the sources' out counters, distinct
   * destinations and ports. Each row that opens a new (source, destination) pair is listed in `rows` from `np`;
   * returns the new count.
   */
  private countRun(i0: number, i1: number, D: Uint32Array, DP: Uint16Array, PK: Float64Array, BY: Float64Array, rows: Uint32Array, np: number): number {
    const ips = this.ips, h = this.hosts, pairs = this.pairs, srcPorts = this.srcPorts, sid = this.sid;
    let touched = 0;
    if (ips.size > 0) h.ensure(ips.size - 1);
    const U = h.u, Fl = h.f;
    // Stage 3: touch the source records (no branch on what they hold: a mispredicted branch on a load still on its
    // way would discard the loads issued after it), then the pair-set slots the run will update.
    for (let i = i0; i < i1; i++) {
      const s = sid[i];
      touched += U[s >>> HOST_CHUNK_BITS][(s & HOST_MASK) * OUT_STRIDE];
    }
    for (let i = i0; i < i1; i++) {
      const s = sid[i];
      const us = U[s >>> HOST_CHUNK_BITS], ps = (s & HOST_MASK) * OUT_STRIDE;
      if (us[ps + OUT_PEERS] > INLINE_PEERS) touched += pairs.touch(s, D[i]);
      if (us[ps + OUT_PORTS] > INLINE_PORTS) touched += srcPorts.touch(s, DP[i]);
    }
    // Stage 4: the counters.
    for (let i = i0; i < i1; i++) {
      const s = sid[i], d = D[i];
      const dp = DP[i];
      const cs = s >>> HOST_CHUNK_BITS;
      const us = U[cs], fs = Fl[cs], ps = (s & HOST_MASK) * OUT_STRIDE;
      // Distinct destinations: inline while few, else the pair set (moved there when the ninth arrives).
      const peers = us[ps + OUT_PEERS];
      if (peers <= INLINE_PEERS) {
        let k = 0;
        while (k < peers && us[ps + FIRST_DST + k] !== d) k++;
        if (k === peers) {
          if (peers < INLINE_PEERS) us[ps + FIRST_DST + peers] = d;
          else {
            for (let j = 0; j < INLINE_PEERS; j++) pairs.add(s, us[ps + FIRST_DST + j]);
            pairs.add(s, d);
          }
          us[ps + OUT_PEERS] = peers + 1;
          rows[np++] = i;
        }
      } else if (pairs.add(s, d)) {
        us[ps + OUT_PEERS] = peers + 1;
        rows[np++] = i;
      }
      // Distinct destination ports, the same way (two 16-bit ports a word).
      const ports = us[ps + OUT_PORTS];
      if (ports <= INLINE_PORTS) {
        let k = 0;
        while (k < ports && ((us[ps + PORTS_AT + (k >>> 1)] >>> ((k & 1) << 4)) & 0xffff) !== dp) k++;
        if (k === ports) {
          if (ports < INLINE_PORTS) us[ps + PORTS_AT + (ports >>> 1)] |= dp << ((ports & 1) << 4);
          else {
            for (let j = 0; j < INLINE_PORTS; j++) srcPorts.add(s, (us[ps + PORTS_AT + (j >>> 1)] >>> ((j & 1) << 4)) & 0xffff);
            srcPorts.add(s, dp);
          }
          us[ps + OUT_PORTS] = ports + 1;
        }
      } else if (srcPorts.add(s, dp)) us[ps + OUT_PORTS] = ports + 1;
      us[ps + OUT_FLOWS]++;
      fs[ps + OUT_PACKETS] += PK[i];
      fs[ps + OUT_BYTES] += BY[i];
    }
    this.touched = (this.touched + touched) | 0;
    return np;
  }

  /** Fold the destination side's tables into the hosts: every destination gets an id and its in-counters. */
  private merge(d: DestinationTables): void {
    const ips = this.ips, h = this.hosts;
    h.sources = ips.size;
    ips.reserve(ips.size + d.count);
    const idOfIn = zeroed(this.arena, Uint32Array, d.count);
    for (let k0 = 0; k0 < d.count; k0 += RUN) {
      const k1 = Math.min(d.count, k0 + RUN);
      let touched = 0;
      for (let k = k0; k < k1; k++) if (d.family[k] === 4) touched += ips.touchV4(d.key[k]);
      for (let k = k0; k < k1; k++) idOfIn[k] = d.family[k] === 4 ? ips.internV4(d.key[k]) : ips.internV6(d.v6Words, 4 * d.key[k]);
      this.touched = (this.touched + touched) | 0;
    }
    if (ips.size > 0) h.ensure(ips.size - 1);
    const inOf = zeroed(this.arena, Int32Array, ips.size).fill(-1);
    for (let k = 0; k < d.count; k++) inOf[idOfIn[k]] = k;
    // The destination side's records are the in records as they are (IN_FIELDS is their layout).
    h.setIn(d.records, idOfIn, inOf);
  }

  /** True when `x` sent at least one flow to `y` in the window (ids). */
  hasPair(x: number, y: number): boolean {
    if (x < 0 || y < 0 || x >= this.ips.size || y >= this.ips.size) return false;
    const n = this.hosts.outFlows.get(x);
    if (n === 0) return false;
    const fx = this.ips.familyOf.get(x), fy = this.ips.familyOf.get(y);
    if (fx !== fy) return false;
    const key = fy === 4 ? this.ips.v4Of.get(y) : y;
    const peers = this.hosts.outPeers.get(x);
    if (peers > INLINE_PEERS) return this.pairs.has(x, key);
    const c = this.hosts.u[x >>> HOST_CHUNK_BITS], p = (x & HOST_MASK) * OUT_STRIDE + FIRST_DST;
    for (let k = 0; k < peers; k++) if (c[p + k] === key) return true;
    return false;
  }

  /** The id of a row's address from its key (see FlowChunk), or -1. */
  idOf(family: number, key: number): number {
    if (family === 4) return this.ips.idV4(key);
    return key < this.ips.size ? key : -1;
  }

  /** Bytes held by the tables and the flow columns (an estimate of the window's memory). */
  get memoryBytes(): number {
    return this.ips.mapBytes + this.hosts.memoryBytes + this.pairs.memoryBytes + this.srcPorts.memoryBytes + (this.flows?.memoryBytes ?? 0);
  }

  /**
   * The aggregate: waits for the destination side and merges it. With columns the later passes read them;
   * otherwise `reread` must give the same flows again, in the same order (the same files with the same options).
   */
  async result(reread?: () => AsyncIterable<FlowBatch>): Promise<WindowAggregate> {
    if (!this.merged) {
      const dest = this.destination();
      this.pass();
      try {
        this.merge(await dest.finish());
      } finally {
        dest.close();
      }
      this.merged = true;
    }
    const flows = this.flows ? columnStore(this.flows, this.exporters.length) : rereadStore(this, reread);
    return {
      ips: this.ips, hosts: this.hosts, flows, hasPair: (x, y) => this.hasPair(x, y), idOf: (f, k) => this.idOf(f, k),
      exporters: this.exporters, totals: this.totals,
    };
  }

  /** Release the destination side without a result (the read failed). */
  close(): void {
    this.dest?.close();
  }

  /** Map a batch's exporters to the window's (for passes over flows read again). */
  windowExporters(b: FlowBatch): Uint16Array {
    return this.exporterMap(b);
  }

  /** The keys of a batch read again (IPv6: looked up), and whether its fingerprints match the first read. */
  rereadKeys(b: FlowBatch, row: number, sk: Uint32Array, dk: Uint32Array): boolean {
    for (let i = 0; i < b.size; i++) {
      if (b.family[i] === 4) {
        sk[i] = b.srcV4[i];
        dk[i] = b.dstV4[i];
      } else {
        sk[i] = this.ips.idV6(b.src6, 4 * i);
        dk[i] = this.ips.idV6(b.dst6, 4 * i);
      }
    }
    for (let r = (row + (1 << CHECK_BITS) - 1) >>> CHECK_BITS << CHECK_BITS; r < row + b.size; r += 1 << CHECK_BITS) {
      if (this.prints[r >>> CHECK_BITS] !== fingerprint(sk[r - row], dk[r - row], b.dport[r - row])) return false;
    }
    return true;
  }
}

/** Rows [from, from + m) of `a` to rows [to, to + m) of `b`, every column. */
function copyRows(a: PendingColumns, from: number, b: PendingColumns, to: number, m: number): void {
  b.family.set(a.family.subarray(from, from + m), to);
  b.src.set(a.src.subarray(from, from + m), to);
  b.dst.set(a.dst.subarray(from, from + m), to);
  b.dport.set(a.dport.subarray(from, from + m), to);
  b.packets.set(a.packets.subarray(from, from + m), to);
  b.bytes.set(a.bytes.subarray(from, from + m), to);
}

/**
 * Copy rows [0, n) of `from` into `to` grouped by the partition of `keys[i]` (a counting sort: sequential reads,
 * scattered writes, which the CPU buffers), the order within a partition kept; `part` takes each row's partition.
 * With flags, `flagsTo` gets `flagsFrom`'s with their rows, and only what the destination side reads is copied
 * (family, destination, packets, bytes). Two loops rather than one with a branch per row: this is the hot path.
 */
function scatterRows(from: PendingColumns, to: PendingColumns, n: number, keys: Uint32Array, part: Uint8Array, flagsFrom?: Uint8Array, flagsTo?: Uint8Array): void {
  const at = new Uint32Array(PARTITIONS + 1);
  for (let i = 0; i < n; i++) at[(part[i] = u32Partition(keys[i])) + 1]++;
  for (let k = 0; k < PARTITIONS; k++) at[k + 1] += at[k];
  const F = from.family, S = from.src, D = from.dst, DP = from.dport, PK = from.packets, BY = from.bytes;
  const tF = to.family, tS = to.src, tD = to.dst, tDP = to.dport, tPK = to.packets, tBY = to.bytes;
  if (flagsFrom && flagsTo) {
    for (let i = 0; i < n; i++) {
      const j = at[part[i]]++;
      tF[j] = F[i];
      tD[j] = D[i];
      tPK[j] = PK[i];
      tBY[j] = BY[i];
      flagsTo[j] = flagsFrom[i];
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const j = at[part[i]]++;
    tF[j] = F[i];
    tS[j] = S[i];
    tD[j] = D[i];
    tDP[j] = DP[i];
    tPK[j] = PK[i];
    tBY[j] = BY[i];
  }
}

function fingerprint(s: number, d: number, port: number): number {
  return hash2(hash2(s, d), port);
}

/** The kept columns as a FlowStore. */
function columnStore(cols: FlowColumns, exporters: number): FlowStore {
  const identity = Uint16Array.from({ length: Math.max(1, exporters) }, (_, k) => k);
  return {
    size: cols.size,
    mode: 'columns',
    async eachChunk(visit) {
      for (let c = 0; c < cols.src.length; c++) {
        const size = Math.min(FLOW_CHUNK, cols.size - c * FLOW_CHUNK);
        visit({
          size, family: cols.family[c], src: cols.src[c], dst: cols.dst[c], sport: cols.sport[c], dport: cols.dport[c], proto: cols.proto[c], flags: cols.flags[c],
          packets: cols.packets[c], bytes: cols.bytes[c], inIf: cols.inIf[c], exporter: cols.exporter[c], exporterOf: identity, start: cols.start[c],
          srcAs: cols.srcAs[c], dstAs: cols.dstAs[c],
        });
      }
    },
  };
}

/** Thrown when the flows read again differ from the ones aggregated (the file changed under the analysis). */
export class RereadMismatchError extends Error {}

/** The files read again, as a FlowStore. */
function rereadStore(agg: WindowAggregator, reread: (() => AsyncIterable<FlowBatch>) | undefined): FlowStore {
  const size = agg.totals.flows;
  return {
    size,
    mode: 'reread',
    async eachChunk(visit) {
      if (!reread) throw new Error('the flows were not kept and no way to read them again was given');
      let row = 0;
      let sk = new Uint32Array(0), dk = new Uint32Array(0);
      for await (const b of reread()) {
        if (row + b.size > size) throw new RereadMismatchError(`the flows read again are more than the ${size} aggregated (the file changed during the analysis)`);
        if (sk.length < b.size) {
          sk = new Uint32Array(b.size);
          dk = new Uint32Array(b.size);
        }
        if (!agg.rereadKeys(b, row, sk, dk)) throw new RereadMismatchError(`the flows read again from row ${row} are not the ones aggregated (the file changed during the analysis)`);
        visit({
          size: b.size, family: b.family, src: sk, dst: dk, sport: b.sport, dport: b.dport, proto: b.proto, flags: b.flags, packets: b.packets, bytes: b.bytes, inIf: b.inIf,
          exporter: b.exporterIdx, exporterOf: agg.windowExporters(b), start: b.start, srcAs: b.srcAs, dstAs: b.dstAs,
        });
        row += b.size;
      }
      if (row !== size) throw new RereadMismatchError(`${row} flows read again, ${size} aggregated (the file changed during the analysis)`);
    },
  };
}

/** True for a TCP flow that has SYN and no ACK (a bare connection attempt). */
export function isSynOnly(proto: number, flags: number): boolean {
  return proto === 6 && (flags & TcpFlag.SYN) !== 0 && (flags & TcpFlag.ACK) === 0;
}
