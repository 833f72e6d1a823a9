/**
 * Typed-array tables for the hot path: memory stays proportional to what a window holds, with no per-entry objects.
 * Pure data structures.
 */
import { v6FromWords, v6ToWords } from '../util/ip.js';

/** Mix two 32-bit values into a well-spread 32-bit hash. */
export function hash2(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Where a table gets its big buffers: fresh ones, or zeroed ones kept from an earlier window (BufferPool). */
export interface Arena {
  /** A zeroed buffer of `bytes` bytes, the caller's until the arena is released. */
  buffer(bytes: number): ArrayBuffer;
}

/** A typed array constructor (of a length, or over a buffer). */
export type TypedArrayOf<T> = { new (n: number): T; new (b: ArrayBuffer): T; readonly BYTES_PER_ELEMENT: number };

/** A zeroed typed array of `n` elements, its memory from `arena` (or fresh without one). */
export function zeroed<T>(arena: Arena | undefined, ctor: TypedArrayOf<T>, n: number): T {
  return arena ? new ctor(arena.buffer(n * ctor.BYTES_PER_ELEMENT)) : new ctor(n);
}

/**
 * The big buffers of one window, kept for the next one (the engine's windows follow each other): on this VM a fresh
 * page costs ~3 ms a MiB to fault in and zero (a 10 M-flow window fills ~500 MiB: ~1.4 s), a kept one ~0.06 ms a
 * MiB to zero again. Buffers are kept by exact size; what one window did not take again is dropped when the next is
 * released, so the pool never holds more than the last window used. One window at a time takes from an arena
 * ({@link BufferPool.arena}); releasing the arena gives its buffers back, after which nothing may use them.
 */
export class BufferPool {
  /** Buffers smaller than this are not worth keeping. */
  static readonly MIN_BYTES = 1 << 20;
  private kept = new Map<number, ArrayBuffer[]>();
  private keptBytes = 0;
  /** Buffers handed out again / fresh, since the pool was made. */
  readonly stats = { reused: 0, reusedBytes: 0, fresh: 0 };

  /** A zeroed buffer of exactly `bytes`: a kept one when there is one. */
  private take(bytes: number): ArrayBuffer {
    const b = this.kept.get(bytes)?.pop();
    if (b) {
      this.keptBytes -= bytes;
      new Uint8Array(b).fill(0);
      this.stats.reused++;
      this.stats.reusedBytes += bytes;
      return b;
    }
    this.stats.fresh++;
    return new ArrayBuffer(bytes);
  }

  /** Keep `buffers` (all dead now) for the next window, dropping whatever was kept before and not taken. */
  private refill(buffers: ArrayBuffer[]): void {
    this.kept = new Map();
    this.keptBytes = 0;
    for (const b of buffers) {
      let list = this.kept.get(b.byteLength);
      if (!list) this.kept.set(b.byteLength, (list = []));
      list.push(b);
      this.keptBytes += b.byteLength;
    }
  }

  /** Bytes kept for the next window. */
  get bytes(): number {
    return this.keptBytes;
  }

  /** An arena for one window: it takes from the pool and, released, gives back everything it took. */
  arena(): Arena & { release(): void } {
    let taken: ArrayBuffer[] = [];
    return {
      buffer: (bytes) => {
        if (bytes < BufferPool.MIN_BYTES) return new ArrayBuffer(bytes);
        const b = this.take(bytes);
        taken.push(b);
        return b;
      },
      release: () => {
        this.refill(taken);
        taken = [];
      },
    };
  }
}

/**
 * uint32 key → non-negative int value, open addressing with linear probing. Key and value share one 8-byte slot
 * (`[key, value + 1]`, 0 = empty) so a probe touches one cache line. Any uint32 is a key (0 and 0xffffffff too).
 *
 * A key's slot is the high bits of its hash: keys of one {@link u32Partition} fill one contiguous
 * 1/256 of the table at any capacity, so rows taken partition by partition walk the table a region at a time
 * (aggregate.ts's partitioned pass) instead of at random. The price: keys inserted in partition order must find the
 * table sized for them ({@link reserve}) — into a table far too small they crowd the first regions, one long run.
 */
export class U32Map {
  private slots: Uint32Array; // [key, value + 1] per slot; value word 0 = empty
  private mask: number;
  /** 32 - log2(capacity): a key's first slot is its hash's top bits. */
  private shift: number;
  size = 0;
  /** Insertions that probed past {@link LONG_PROBE} slots (diagnostics: a table too small for the order keys came in). */
  longInserts = 0;

  constructor(initialCapacity = 1 << 16, private readonly arena?: Arena) {
    const cap = nextPow2(Math.max(16, initialCapacity));
    this.slots = zeroed(arena, Uint32Array, cap * 2);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  /** Slots in the table (a power of two). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Bytes held by the table. */
  get memoryBytes(): number {
    return this.slots.byteLength;
  }

  /** Grow once so that `n` keys fit without regrowth (pre-sizing from a file's stat record). */
  reserve(n: number): void {
    const want = nextPow2(Math.ceil((n * 4) / 3) + 1);
    if (want > this.mask + 1) this.rehash(want);
  }

  /** Value for `key`, or -1. */
  get(key: number): number {
    const s = this.slots, mask = this.mask;
    let i = hash2(key, 0) >>> this.shift;
    for (;;) {
      const v = s[2 * i + 1];
      if (v === 0) return -1;
      if (s[2 * i] === key) return v - 1;
      i = (i + 1) & mask;
    }
  }

  /** Value for `key`, inserting `value` when absent. */
  getOrInsert(key: number, value: number): number {
    const s = this.slots, mask = this.mask;
    let i = hash2(key, 0) >>> this.shift;
    for (let probes = 0; ; probes++) {
      const p = 2 * i;
      const v = s[p + 1];
      if (v === 0) {
        s[p] = key;
        s[p + 1] = value + 1;
        if (probes > LONG_PROBE) this.longInserts++;
        if (++this.size * 4 > mask * 3) this.rehash((mask + 1) * 2);
        return value;
      }
      if (s[p] === key) return v - 1;
      i = (i + 1) & mask;
    }
  }

  /** The slot holding `key`, or -1 (diagnostics: where the table put it). */
  slotOf(key: number): number {
    const s = this.slots, mask = this.mask;
    for (let i = hash2(key, 0) >>> this.shift; ; i = (i + 1) & mask) {
      if (s[2 * i + 1] === 0) return -1;
      if (s[2 * i] === key) return i;
    }
  }

  /** Touch the slot `key` hashes to (a load the CPU can overlap with others: call ahead of `getOrInsert`). */
  touch(key: number): number {
    return this.slots[2 * (hash2(key, 0) >>> this.shift) + 1];
  }

  private rehash(cap: number): void {
    const old = this.slots;
    const s = zeroed(this.arena, Uint32Array, cap * 2);
    const mask = cap - 1, shift = 32 - Math.log2(cap);
    for (let p = 0; p < old.length; p += 2) {
      if (old[p + 1] === 0) continue;
      let i = hash2(old[p], 0) >>> shift;
      while (s[2 * i + 1] !== 0) i = (i + 1) & mask;
      s[2 * i] = old[p];
      s[2 * i + 1] = old[p + 1];
    }
    this.slots = s;
    this.mask = mask;
    this.shift = shift;
  }
}

/** Probes past which an insertion counts as long (U32Map.longInserts). */
const LONG_PROBE = 64;

/** Bits of {@link u32Partition}: 256 partitions. */
export const PARTITION_BITS = 8;
/** The partition of a U32Map key: the top bits of the hash its slot comes from (the same region at any capacity). */
export function u32Partition(key: number): number {
  return hash2(key, 0) >>> (32 - PARTITION_BITS);
}

/**
 * A set of (uint32, uint32) pairs: `add` tells whether the pair is new. Both members share one 8-byte slot, so a
 * probe touches one cache line. A slot stores `(~x, y)` and the all-zero slot is empty: the one pair that would
 * store as zeros, (0xffffffff, 0), is kept in a flag of its own.
 */
export class PairSet {
  private slots: Uint32Array; // [~x, y] per slot; [0, 0] = empty
  private mask: number;
  private special = false;
  size = 0;

  constructor(initialCapacity = 1 << 16, private readonly arena?: Arena) {
    const cap = nextPow2(Math.max(16, initialCapacity));
    this.slots = zeroed(arena, Uint32Array, cap * 2);
    this.mask = cap - 1;
  }

  /** Slots in the table (a power of two). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Grow once so that `n` pairs fit without regrowth. */
  reserve(n: number): void {
    const want = nextPow2(Math.ceil((n * 4) / 3) + 1);
    if (want > this.mask + 1) this.rehash(want);
  }

  /** Insert; true when the pair was not there before. */
  add(x: number, y: number): boolean {
    const a = ~x >>> 0;
    if (a === 0 && y === 0) {
      if (this.special) return false;
      this.special = true;
      this.size++;
      return true;
    }
    const s = this.slots, mask = this.mask;
    let i = hash2(x, y) & mask;
    for (;;) {
      const p = 2 * i;
      const sa = s[p], sb = s[p + 1];
      if (sa === 0 && sb === 0) {
        s[p] = a;
        s[p + 1] = y;
        if (++this.size * 4 > mask * 3) this.rehash((mask + 1) * 2);
        return true;
      }
      if (sa === a && sb === y) return false;
      i = (i + 1) & mask;
    }
  }

  has(x: number, y: number): boolean {
    const a = ~x >>> 0;
    if (a === 0 && y === 0) return this.special;
    const s = this.slots, mask = this.mask;
    let i = hash2(x, y) & mask;
    for (;;) {
      const p = 2 * i;
      const sa = s[p], sb = s[p + 1];
      if (sa === 0 && sb === 0) return false;
      if (sa === a && sb === y) return true;
      i = (i + 1) & mask;
    }
  }

  /** Touch the slot (x, y) hashes to (see U32Map.touch). */
  touch(x: number, y: number): number {
    return this.slots[2 * (hash2(x, y) & this.mask)];
  }

  /** Bytes held by the table. */
  get memoryBytes(): number {
    return this.slots.byteLength;
  }

  private rehash(cap: number): void {
    const old = this.slots;
    const s = zeroed(this.arena, Uint32Array, cap * 2);
    const mask = cap - 1;
    for (let p = 0; p < old.length; p += 2) {
      const a = old[p], b = old[p + 1];
      if (a === 0 && b === 0) continue;
      let i = hash2(~a >>> 0, b) & mask;
      while (s[2 * i] !== 0 || s[2 * i + 1] !== 0) i = (i + 1) & mask;
      s[2 * i] = a;
      s[2 * i + 1] = b;
    }
    this.slots = s;
    this.mask = mask;
  }
}

/** A growable typed column. */
export class Column<T extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array> {
  data: T;
  constructor(private readonly ctor: new (n: number) => T, capacity = 1024) {
    this.data = new ctor(capacity);
  }
  /** Make sure index `i` exists (amortized doubling). */
  ensure(i: number): void {
    if (i < this.data.length) return;
    let cap = this.data.length * 2;
    while (cap <= i) cap *= 2;
    const next = new this.ctor(cap);
    next.set(this.data as never);
    this.data = next;
  }
}

const CHUNK_BITS = 20;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;

/**
 * A column in fixed 1 Mi-entry chunks: grows without copying and without the doubling overshoot, which matters
 * when a window has tens of millions of distinct IPs.
 */
export class ChunkedColumn<T extends Float64Array | Float32Array | Uint32Array | Uint8Array> {
  readonly chunks: T[] = [];
  constructor(private readonly ctor: TypedArrayOf<T>, private readonly arena?: Arena) {}
  /** Make sure index `i` exists. */
  ensure(i: number): void {
    while (this.chunks.length <= i >>> CHUNK_BITS) this.chunks.push(zeroed(this.arena, this.ctor, CHUNK_SIZE));
  }
  get(i: number): number {
    return this.chunks[i >>> CHUNK_BITS][i & CHUNK_MASK];
  }
  set(i: number, v: number): void {
    this.chunks[i >>> CHUNK_BITS][i & CHUNK_MASK] = v;
  }
}

/** Chunk index and offset of an id in a ChunkedColumn. */
export const chunkOf = (i: number) => i >>> CHUNK_BITS;
export const offsetOf = (i: number) => i & CHUNK_MASK;

/** 128-bit key (four uint32 words) → non-negative int value; open addressing, key and value in one slot. */
export class V6Map {
  private slots: Uint32Array; // 5 words per slot: key[4], value + 1 (0 = empty)
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 10, private readonly arena?: Arena) {
    const cap = nextPow2(Math.max(16, initialCapacity));
    this.slots = zeroed(arena, Uint32Array, cap * 5);
    this.mask = cap - 1;
  }

  private static hash(w: ArrayLike<number>, o: number): number {
    return hash2(hash2(w[o], w[o + 1]), hash2(w[o + 2], w[o + 3]));
  }

  /** Value for the key at `w[o..o+3]`, or -1. */
  get(w: ArrayLike<number>, o: number): number {
    const s = this.slots, mask = this.mask;
    let i = V6Map.hash(w, o) & mask;
    for (;;) {
      const p = i * 5;
      const v = s[p + 4];
      if (v === 0) return -1;
      if (s[p] === w[o] && s[p + 1] === w[o + 1] && s[p + 2] === w[o + 2] && s[p + 3] === w[o + 3]) return v - 1;
      i = (i + 1) & mask;
    }
  }

  /** Value for the key at `w[o..o+3]`, inserting `value` when absent. */
  getOrInsert(w: ArrayLike<number>, o: number, value: number): number {
    const s = this.slots, mask = this.mask;
    let i = V6Map.hash(w, o) & mask;
    for (;;) {
      const p = i * 5;
      const v = s[p + 4];
      if (v === 0) {
        s[p] = w[o]; s[p + 1] = w[o + 1]; s[p + 2] = w[o + 2]; s[p + 3] = w[o + 3];
        s[p + 4] = value + 1;
        if (++this.size * 4 > mask * 3) this.grow();
        return value;
      }
      if (s[p] === w[o] && s[p + 1] === w[o + 1] && s[p + 2] === w[o + 2] && s[p + 3] === w[o + 3]) return v - 1;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = zeroed(this.arena, Uint32Array, cap * 5);
    this.mask = cap - 1;
    for (let p = 0; p < old.length; p += 5) {
      if (old[p + 4] === 0) continue;
      let i = V6Map.hash(old, p) & this.mask;
      while (this.slots[i * 5 + 4] !== 0) i = (i + 1) & this.mask;
      this.slots.set(old.subarray(p, p + 5), i * 5);
    }
  }
}

/** Interns IP addresses to dense ids: IPv4 through a U32Map, IPv6 (four words) through a V6Map. */
export class IpTable {
  private readonly v4: U32Map;
  private readonly v6: V6Map;
  /** For each id: the IPv4 value (family 4), or the IPv6 address's ordinal in `v6Words` (family 6). */
  readonly v4Of: ChunkedColumn<Uint32Array>;
  /** For each id: 4 or 6. */
  readonly familyOf: ChunkedColumn<Uint8Array>;
  /** IPv6 addresses in the order first seen, four words each (most significant first). */
  private v6Words = new Uint32Array(4 * 1024);
  private v6Count = 0;
  size = 0;

  /** `arena`: where the maps and id columns get their memory (BufferPool); fresh buffers without it. */
  constructor(arena?: Arena) {
    this.v4 = new U32Map(1 << 16, arena);
    this.v6 = new V6Map(1 << 10, arena);
    this.v4Of = new ChunkedColumn(Uint32Array, arena);
    this.familyOf = new ChunkedColumn(Uint8Array, arena);
  }

  /** Grow the IPv4 map once for about `n` addresses (pre-sizing from a file's stat record). */
  reserve(n: number): void {
    this.v4.reserve(n);
  }

  /** Touch the IPv4 map slot of `n` ahead of {@link internV4} (see U32Map.touch). */
  touchV4(n: number): number {
    return this.v4.touch(n);
  }

  /** The IPv4 map's long insertions (U32Map.longInserts). */
  get longV4Inserts(): number {
    return this.v4.longInserts;
  }

  /** Bytes held by the address maps (not the id columns). */
  get mapBytes(): number {
    return this.v4.memoryBytes;
  }

  /** Id of an IPv4 address (uint32), creating it. */
  internV4(n: number): number {
    const id = this.v4.getOrInsert(n, this.size);
    if (id === this.size) {
      this.v4Of.ensure(id);
      this.familyOf.ensure(id);
      this.v4Of.set(id, n);
      this.familyOf.set(id, 4);
      this.size++;
    }
    return id;
  }

  /** Id of an IPv6 address given as four words at `words[o..o+3]`, creating it. */
  internV6(words: Uint32Array, o: number): number {
    const id = this.v6.getOrInsert(words, o, this.size);
    if (id === this.size) {
      this.v4Of.ensure(id);
      this.familyOf.ensure(id);
      this.familyOf.set(id, 6);
      if (4 * this.v6Count + 4 > this.v6Words.length) {
        const grown = new Uint32Array(this.v6Words.length * 2);
        grown.set(this.v6Words);
        this.v6Words = grown;
      }
      this.v6Words.set(words.subarray(o, o + 4), 4 * this.v6Count);
      this.v4Of.set(id, this.v6Count++);
      this.size++;
    }
    return id;
  }

  /** The IPv6 words, four per ordinal (`v4Of` of an IPv6 id): valid until the next address is interned. */
  get v6WordArray(): Uint32Array {
    return this.v6Words;
  }

  /**
   * A rank for ties between ids that does not depend on the order ids were handed out (which differs between the
   * in-thread partitioned aggregation and a destination worker): an IPv4 address by its value, an IPv6 one after
   * every IPv4 one, by first sight (IPv6 addresses are interned as their batch arrives on every path).
   */
  rank(id: number): number {
    return this.familyOf.get(id) === 6 ? 0x100000000 + this.v4Of.get(id) : this.v4Of.get(id);
  }

  /** Id of an IPv4 address (uint32), or -1 when unknown. */
  idV4(n: number): number {
    return this.v4.get(n);
  }

  /** Id of an IPv6 address given as four words at `words[o..o+3]`, or -1 when unknown. */
  idV6(words: ArrayLike<number>, o: number): number {
    return this.v6.get(words, o);
  }

  /** Id of an address in text form, or -1 when unknown. */
  lookup(ip: string): number {
    if (ip.includes(':')) {
      const w = v6ToWords(ip);
      return w ? this.v6.get(Uint32Array.from(w), 0) : -1;
    }
    const p = ip.split('.');
    if (p.length !== 4) return -1;
    return this.v4.get((((+p[0] << 24) >>> 0) + (+p[1] << 16) + (+p[2] << 8) + +p[3]) >>> 0);
  }

  /** Text form of an id. */
  text(id: number): string {
    if (this.familyOf.get(id) === 6) return v6FromWords(this.v6Words, 4 * this.v4Of.get(id));
    const n = this.v4Of.get(id);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
}

function nextPow2(n: number): number {
  let c = 1;
  while (c < n) c *= 2;
  return c;
}

/**
 * For each of several fields of the same strided records in chunks (each field its view of the chunks and its word
 * offset), the ids of its `n` largest values among records [0, count), largest first (ties: the lower `rank`, by
 * default the lower id), in one pass over the records for all the fields. The result does not depend on the records'
 * order.
 */
export function topIdsStridedEach(
  fields: { chunks: ArrayLike<number>[]; offset: number }[],
  chunkBits: number,
  stride: number,
  count: number,
  n: number,
  /** Records that are not in id order: record i is host `ids[i]`, and only hosts below `below` are ranked. */
  mapped?: { ids: ArrayLike<number>; below: number },
  rank?: (id: number) => number,
): number[][] {
  const heaps = fields.map(() => new TopHeap(n, rank));
  const per = 1 << chunkBits;
  const m = fields.length;
  const nChunks = Math.min(...fields.map((f) => f.chunks.length));
  for (let c = 0; c < nChunks; c++) {
    const arrs = fields.map((f) => f.chunks[c]);
    const offs = fields.map((f) => f.offset);
    const base = c * per;
    const len = Math.min(per, count - base);
    for (let i = 0, p = 0; i < len; i++, p += stride) {
      for (let k = 0; k < m; k++) {
        const v = arrs[k][p + offs[k]];
        if (v <= 0) continue;
        const id = mapped ? mapped.ids[base + i] : base + i;
        if (!mapped || id < mapped.below) heaps[k].offer(id, v);
      }
    }
  }
  return heaps.map((h) => h.sorted());
}

/** Ids of the `n` largest values of `score[0..count)` (ties: lower rank, by default lower id, first), largest first. Skips zeros. */
export function topIds(score: ArrayLike<number>, count: number, n: number, rank?: (id: number) => number): number[] {
  const heap = new TopHeap(n, rank);
  for (let id = 0; id < count; id++) if (score[id] > 0) heap.offer(id, score[id]);
  return heap.sorted();
}

/** A bounded min-heap keeping the n largest (value, id), ties broken towards the lower rank (default: the id). */
class TopHeap {
  private readonly ids: number[] = [];
  private readonly vals: number[] = [];
  private readonly rank: (id: number) => number;
  constructor(private readonly n: number, rank?: (id: number) => number) {
    this.rank = rank ?? ((id) => id);
  }
  private less(i: number, j: number): boolean {
    return this.vals[i] < this.vals[j] || (this.vals[i] === this.vals[j] && this.rank(this.ids[i]) > this.rank(this.ids[j]));
  }
  private swap(i: number, j: number): void {
    [this.ids[i], this.ids[j]] = [this.ids[j], this.ids[i]];
    [this.vals[i], this.vals[j]] = [this.vals[j], this.vals[i]];
  }
  offer(id: number, v: number): void {
    if (this.n <= 0) return;
    if (this.ids.length < this.n) {
      this.ids.push(id);
      this.vals.push(v);
      let i = this.ids.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.less(i, p)) break;
        this.swap(i, p);
        i = p;
      }
      return;
    }
    // Replace the minimum only when strictly better (a higher rank loses ties).
    if (v < this.vals[0] || (v === this.vals[0] && this.rank(id) > this.rank(this.ids[0]))) return;
    this.ids[0] = id;
    this.vals[0] = v;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.ids.length && this.less(l, m)) m = l;
      if (r < this.ids.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
  sorted(): number[] {
    const idx = this.ids.map((_, k) => k);
    idx.sort((a, b) => this.vals[b] - this.vals[a] || this.rank(this.ids[a]) - this.rank(this.ids[b]));
    return idx.map((k) => this.ids[k]);
  }
}

/** A 32-bit integer mixer (murmur3's finalizer): ids that are consecutive become independent-looking bits. Pure. */
export function mix32(x: number): number {
  return mixInt32(x) >>> 0;
}

/**
 * {@link mix32} as a signed int32: for hot loops that only mask and shift the result, where V8 then stays in small
 * integers (an unsigned result past 2^31 is a double). Pure.
 */
export function mixInt32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/**
 * A bounded set of ids that becomes a uniform sample once it would pass `cap` (adaptive distinct sampling): at level
 * k it keeps exactly the ids whose mixed hash ends in k zero bits, so each id is kept with probability 2^-k whatever
 * order they come in, and shares measured over the sample estimate the shares of all ids. A spoofed flood's millions
 * of sources cost `cap` entries, not millions.
 */
export class SampledIdSet {
  readonly ids = new Set<number>();
  /** Sampling level: ids are kept with probability 2^-level (0: all of them). */
  level = 0;
  private mask = 0;
  constructor(readonly cap: number) {}

  /** Offer an id; true when it is new and in the sample. */
  add(id: number): boolean {
    if ((mix32(id) & this.mask) !== 0 || this.ids.has(id)) return false;
    this.ids.add(id);
    while (this.ids.size > this.cap) {
      this.level++;
      this.mask = (this.mask << 1) | 1;
      for (const x of this.ids) if ((mix32(x) & this.mask) !== 0) this.ids.delete(x);
    }
    return this.ids.has(id);
  }

  /** True when some ids were left out (the set is a sample). */
  get sampled(): boolean {
    return this.level > 0;
  }
}
