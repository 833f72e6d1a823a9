/**
 * The aggregation floor's radix-partitioned variant in JavaScript (bench/floor.ts): the work of bench/native/floor.c's
 * `partitioned` mode, over the same IPv4 columns, to ask whether the partitioning or the native code buys the C its
 * speed. Rows are copied into 256 partitions by a hash of their source; each partition is aggregated with tables
 * small enough to stay in the cache (reused from one partition to the next); the destinations are then partitioned
 * the same way, and each destination partition also interns its partition's sources (an address hashes to the same
 * partition on both sides), which counts the window's addresses.
 *
 * Benchmark only. It counts what nocflow counts (sources, destinations, pairs, addresses) but builds none of the
 * window-wide tables detect reads (an id per address, records by id, a pair set over ids): an aggregator built this
 * way would still have to make them. Prints one JSON line like the others.
 * Usage: node dist/bench/floor-partitioned.js <column prefix>
 */
import fs from 'node:fs';
import { hash2 } from '../src/engine/tables.js';

const prefix = process.argv[2];
const column = <T>(ext: string, ctor: new (b: ArrayBuffer) => T): T => {
  const buf = fs.readFileSync(`${prefix}.${ext}`);
  const copy = new ArrayBuffer(buf.length);
  new Uint8Array(copy).set(buf);
  return new ctor(copy);
};
const S = column('src', Uint32Array), D = column('dst', Uint32Array), P = column('dport', Uint16Array);
const K = column('packets', Float32Array), B = column('bytes', Float32Array);
const n = S.length;

const PARTITION_BITS = 8;
const PARTITIONS = 1 << PARTITION_BITS;
const EMPTY = 0xffffffff;
/** Words of a source record, as in nocflow's out record: flows, peers, ports, packets, bytes, 6 ports, 8 peers. */
const STRIDE = 16;
const FLOWS = 0, PEERS = 1, PORTS = 2, PACKETS = 3, BYTES = 4, PORTS_AT = 5, PEERS_AT = 8;
const partitionOf = (a: number): number => hash2(a, 0x51ed27) >>> (32 - PARTITION_BITS);
const pow2AtLeast = (x: number): number => {
  let c = 16;
  while (c < x) c *= 2;
  return c;
};

/** Address → dense id within one partition (key and id in one 8-byte slot). */
class SmallMap {
  slots = new Uint32Array(0);
  mask = 0;
  size = 0;
  /** Empty it, with room for `keys` keys. */
  reset(keys: number): void {
    const cap = pow2AtLeast(keys * 2);
    if (cap * 2 > this.slots.length) this.slots = new Uint32Array(cap * 2);
    this.mask = cap - 1;
    this.slots.fill(EMPTY, 0, cap * 2);
    this.size = 0;
  }
  intern(k: number): number {
    const s = this.slots, m = this.mask;
    for (let i = hash2(k, 0) & m; ; i = (i + 1) & m) {
      const v = s[2 * i + 1];
      if (v === EMPTY) {
        s[2 * i] = k;
        s[2 * i + 1] = this.size;
        return this.size++;
      }
      if (s[2 * i] === k) return v;
    }
  }
}

/** A set of (id, value) pairs within one partition, growing at half full. */
class SmallPairs {
  slots = new Uint32Array(1 << 13);
  size = 0;
  clear(): void {
    this.slots.fill(0);
    this.size = 0;
  }
  add(a: number, b: number): boolean {
    const s = this.slots, m = (s.length >>> 1) - 1;
    for (let i = hash2(a, b) & m; ; i = (i + 1) & m) {
      const x = s[2 * i];
      if (x === 0) {
        s[2 * i] = a + 1;
        s[2 * i + 1] = b;
        if (++this.size * 2 > m) this.grow();
        return true;
      }
      if (x === a + 1 && s[2 * i + 1] === b) return false;
    }
  }
  private grow(): void {
    const old = this.slots;
    const s = (this.slots = new Uint32Array(old.length * 2)), m = (s.length >>> 1) - 1;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j] === 0) continue;
      let i = hash2(old[j] - 1, old[j + 1]) & m;
      while (s[2 * i] !== 0) i = (i + 1) & m;
      s[2 * i] = old[j];
      s[2 * i + 1] = old[j + 1];
    }
  }
}

/**
 * Each row's partition and the partitions' offsets (a counting sort's first half). The rows are then copied to their
 * places in row order: sequential reads and scattered writes, which the CPU buffers (gathering by a sorted row order
 * instead reads at random: 5× slower in a first try).
 */
function partitions(keys: Uint32Array): { of: Uint8Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(PARTITIONS + 1), of = new Uint8Array(n);
  for (let i = 0; i < n; i++) offsets[(of[i] = partitionOf(keys[i])) + 1]++;
  for (let k = 0; k < PARTITIONS; k++) offsets[k + 1] += offsets[k];
  return { of, offsets };
}

const t0 = performance.now();
// The rows copied into source partitions (the copy is the point: every later pass reads them in order).
const bySource = partitions(S);
const rS = new Uint32Array(n), rD = new Uint32Array(n), rP = new Uint16Array(n), rK = new Float32Array(n), rB = new Float32Array(n);
{
  const at = bySource.offsets.slice(0, PARTITIONS), of = bySource.of;
  for (let i = 0; i < n; i++) {
    const j = at[of[i]]++;
    rS[j] = S[i];
    rD[j] = D[i];
    rP[j] = P[i];
    rK[j] = K[i];
    rB[j] = B[i];
  }
}
const t1 = performance.now();

const map = new SmallMap(), pairs = new SmallPairs(), ports = new SmallPairs();
let U = new Uint32Array(0), UF = new Float32Array(0);
const newPair = new Uint8Array(n), sourceKeys = new Uint32Array(n), sourcesAt = new Uint32Array(PARTITIONS + 1);
let sources = 0, pairCount = 0;
for (let k = 0; k < PARTITIONS; k++) {
  const a = bySource.offsets[k], b = bySource.offsets[k + 1];
  map.reset(b - a);
  if (U.length < (b - a) * STRIDE) {
    U = new Uint32Array((b - a) * STRIDE);
    UF = new Float32Array(U.buffer);
  }
  pairs.clear();
  ports.clear();
  for (let i = a; i < b; i++) {
    const before = map.size, id = map.intern(rS[i]), r = id * STRIDE;
    if (id === before) {
      U.fill(0, r, r + STRIDE);
      sourceKeys[sourcesAt[k] + id] = rS[i];
    }
    const d = rD[i], dp = rP[i];
    const peers = U[r + PEERS];
    if (peers <= 8) {
      let q = 0;
      while (q < peers && U[r + PEERS_AT + q] !== d) q++;
      if (q === peers) {
        if (peers < 8) U[r + PEERS_AT + q] = d;
        else {
          for (let j = 0; j < 8; j++) pairs.add(id, U[r + PEERS_AT + j]);
          pairs.add(id, d);
        }
        U[r + PEERS] = peers + 1;
        newPair[i] = 1;
      }
    } else if (pairs.add(id, d)) {
      U[r + PEERS] = peers + 1;
      newPair[i] = 1;
    }
    const np = U[r + PORTS];
    if (np <= 6) {
      let q = 0;
      while (q < np && ((U[r + PORTS_AT + (q >>> 1)] >>> ((q & 1) << 4)) & 0xffff) !== dp) q++;
      if (q === np) {
        if (np < 6) U[r + PORTS_AT + (np >>> 1)] |= dp << ((np & 1) << 4);
        else {
          for (let j = 0; j < 6; j++) ports.add(id, (U[r + PORTS_AT + (j >>> 1)] >>> ((j & 1) << 4)) & 0xffff);
          ports.add(id, dp);
        }
        U[r + PORTS] = np + 1;
      }
    } else if (ports.add(id, dp)) U[r + PORTS] = np + 1;
    U[r + FLOWS]++;
    UF[r + PACKETS] += rK[i];
    UF[r + BYTES] += rB[i];
  }
  sources += map.size;
  pairCount += pairs.size;
  sourcesAt[k + 1] = sourcesAt[k] + map.size;
}
const t2 = performance.now();

// The destinations: partitioned by the same hash, each partition's table then takes its sources (the addresses).
const byDestination = partitions(rD);
const dD = new Uint32Array(n), dK = new Float32Array(n), dB = new Float32Array(n), dN = new Uint8Array(n);
{
  const at = byDestination.offsets.slice(0, PARTITIONS), of = byDestination.of;
  for (let i = 0; i < n; i++) {
    const j = at[of[i]]++;
    dD[j] = rD[i];
    dK[j] = rK[i];
    dB[j] = rB[i];
    dN[j] = newPair[i];
  }
}
let R = new Uint32Array(0), RF = new Float32Array(0);
let destinations = 0, ips = 0;
for (let k = 0; k < PARTITIONS; k++) {
  const a = byDestination.offsets[k], b = byDestination.offsets[k + 1], own = sourcesAt[k + 1] - sourcesAt[k];
  map.reset(b - a + own);
  if (R.length < (b - a) * 4) {
    R = new Uint32Array((b - a) * 4);
    RF = new Float32Array(R.buffer);
  }
  for (let i = a; i < b; i++) {
    const before = map.size, r = map.intern(dD[i]) * 4;
    if (r === before * 4) R.fill(0, r, r + 4);
    R[r]++;
    RF[r + 1] += dK[i];
    RF[r + 2] += dB[i];
    R[r + 3] += dN[i];
  }
  destinations += map.size;
  for (let j = sourcesAt[k]; j < sourcesAt[k + 1]; j++) map.intern(sourceKeys[j]);
  ips += map.size;
}
const t3 = performance.now();
console.log(JSON.stringify({ mode: 'js-partitioned', rows: n, sources, destinations, pairs: pairCount, ips, phases: [(t1 - t0) / 1000, (t2 - t1) / 1000, (t3 - t2) / 1000], seconds: (t3 - t0) / 1000 }));
