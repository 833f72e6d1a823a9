/**
 * Typed-array tables for the hot path: memory stays proportional to what a window holds, with no per-entry objects.
 * Pure data structures.
 */

/** Mix two 32-bit values into a well-spread 32-bit hash. */
export function hash2(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** uint32 key → non-negative int value, open addressing with linear probing. */
export class U32Map {
  private keys: Uint32Array;
  private vals: Int32Array; // value + 1; 0 = empty
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 16) {
    const cap = nextPow2(Math.max(16, initialCapacity));
    this.keys = new Uint32Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Value for `key`, or -1. */
  get(key: number): number {
    const mask = this.mask;
    let i = hash2(key, 0) & mask;
    for (;;) {
      const v = this.vals[i];
      if (v === 0) return -1;
      if (this.keys[i] === key) return v - 1;
      i = (i + 1) & mask;
    }
  }

  /** Value for `key`, inserting `make()` when absent. */
  getOrInsert(key: number, value: number): number {
    const mask = this.mask;
    let i = hash2(key, 0) & mask;
    for (;;) {
      const v = this.vals[i];
      if (v === 0) {
        this.keys[i] = key;
        this.vals[i] = value + 1;
        if (++this.size * 2 > mask) this.grow();
        return value;
      }
      if (this.keys[i] === key) return v - 1;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const cap = oldK.length * 2;
    this.keys = new Uint32Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < oldK.length; j++) {
      if (oldV[j] === 0) continue;
      let i = hash2(oldK[j], 0) & this.mask;
      while (this.vals[i] !== 0) i = (i + 1) & this.mask;
      this.keys[i] = oldK[j];
      this.vals[i] = oldV[j];
    }
  }
}

/** A set of (uint32, uint32) pairs: `add` tells whether the pair is new. */
export class PairSet {
  private a: Uint32Array;
  private b: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 16) {
    const cap = nextPow2(Math.max(16, initialCapacity));
    this.a = new Uint32Array(cap);
    this.b = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Insert; true when the pair was not there before. */
  add(x: number, y: number): boolean {
    const mask = this.mask;
    let i = hash2(x, y) & mask;
    for (;;) {
      if (this.used[i] === 0) {
        this.a[i] = x;
        this.b[i] = y;
        this.used[i] = 1;
        if (++this.size * 2 > mask) this.grow();
        return true;
      }
      if (this.a[i] === x && this.b[i] === y) return false;
      i = (i + 1) & mask;
    }
  }

  has(x: number, y: number): boolean {
    const mask = this.mask;
    let i = hash2(x, y) & mask;
    for (;;) {
      if (this.used[i] === 0) return false;
      if (this.a[i] === x && this.b[i] === y) return true;
      i = (i + 1) & mask;
    }
  }

  /** Bytes held by the table. */
  get memoryBytes(): number {
    return this.a.byteLength * 2 + this.used.byteLength;
  }

  private grow(): void {
    const oa = this.a, ob = this.b, ou = this.used;
    const cap = oa.length * 2;
    this.a = new Uint32Array(cap);
    this.b = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < oa.length; j++) {
      if (ou[j] === 0) continue;
      let i = hash2(oa[j], ob[j]) & this.mask;
      while (this.used[i] !== 0) i = (i + 1) & this.mask;
      this.a[i] = oa[j];
      this.b[i] = ob[j];
      this.used[i] = 1;
    }
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

/** Interns IP addresses to dense ids: IPv4 through a U32Map, IPv6 through a Map of text. */
export class IpTable {
  private readonly v4 = new U32Map(1 << 16);
  private readonly v6 = new Map<string, number>();
  /** For each id: the IPv4 value (family 4) or 0. */
  readonly v4Of = new Column(Uint32Array, 1 << 16);
  /** For each id: 4 or 6. */
  readonly familyOf = new Column(Uint8Array, 1 << 16);
  /** IPv6 text by id. */
  readonly v6Of = new Map<number, string>();
  size = 0;

  /** Id of an IPv4 address (uint32), creating it. */
  internV4(n: number): number {
    const id = this.v4.getOrInsert(n, this.size);
    if (id === this.size) {
      this.v4Of.ensure(id);
      this.familyOf.ensure(id);
      this.v4Of.data[id] = n;
      this.familyOf.data[id] = 4;
      this.size++;
    }
    return id;
  }

  /** Id of an IPv6 address (text), creating it. */
  internV6(s: string): number {
    let id = this.v6.get(s);
    if (id === undefined) {
      id = this.size++;
      this.v6.set(s, id);
      this.v4Of.ensure(id);
      this.familyOf.ensure(id);
      this.familyOf.data[id] = 6;
      this.v6Of.set(id, s);
    }
    return id;
  }

  /** Id of an address in text form, or -1 when unknown. */
  lookup(ip: string): number {
    if (ip.includes(':')) return this.v6.get(ip) ?? -1;
    const p = ip.split('.');
    if (p.length !== 4) return -1;
    return this.v4.get((((+p[0] << 24) >>> 0) + (+p[1] << 16) + (+p[2] << 8) + +p[3]) >>> 0);
  }

  /** Text form of an id. */
  text(id: number): string {
    if (this.familyOf.data[id] === 6) return this.v6Of.get(id)!;
    const n = this.v4Of.data[id];
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
}

function nextPow2(n: number): number {
  let c = 1;
  while (c < n) c *= 2;
  return c;
}

/** Ids of the `n` largest values of `score[0..count)` (ties: lower id first), largest first. Skips zeros. */
export function topIds(score: ArrayLike<number>, count: number, n: number): number[] {
  // Min-heap of size n over ids.
  const heap: number[] = [];
  const less = (x: number, y: number) => score[x] < score[y] || (score[x] === score[y] && x > y);
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let id = 0; id < count; id++) {
    if (score[id] <= 0) continue;
    if (heap.length < n) {
      heap.push(id);
      up(heap.length - 1);
    } else if (less(heap[0], id)) {
      heap[0] = id;
      down(0);
    }
  }
  return heap.sort((x, y) => (less(x, y) ? 1 : less(y, x) ? -1 : 0));
}
