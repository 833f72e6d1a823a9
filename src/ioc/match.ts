/**
 * Stage 1 (pure): one pass over a day of FlowBatches matching every IoC at once. Each flow costs a set lookup per
 * address — a u32 hash table for IPv4, a 128-bit table for IPv6 words (an IPv4-mapped IPv6 address is looked up as
 * IPv4) — never one pass per IoC. Per IoC it keeps the exact total and the first `sampleSize` flows (the seeds'
 * `size: 10000` with `track_total_hits`), in typed columns: memory is bounded by the samples, not the day.
 *
 * The same pass can watch a few other addresses (a family of remotes that went silent, src/ioc/family.ts): for
 * each, its peers with their ports and packet/octet shapes.
 */
import type { FlowBatch } from '../engine/types.js';
import { hash2, U32Map } from '../engine/tables.js';
import { v4ToNumber, v4ToString, v6FromWords, v6ToWords } from '../util/ip.js';

/** Where an IoC stands in a flow: `send` — the IoC is the source; `rcv` — the remote sent to the IoC. */
export type Direction = 'send' | 'rcv';

/** uint32[4] key → index, open addressing (IPv6 addresses). */
export class V6Index {
  private keys: Uint32Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.keys = new Uint32Array(cap * 4);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(w: ArrayLike<number>, o: number): number {
    return hash2(hash2(w[o], w[o + 1]), hash2(w[o + 2], w[o + 3])) & this.mask;
  }

  /** Index for the four words at `w[o..o+3]`, or -1. */
  get(w: ArrayLike<number>, o: number): number {
    let i = this.slot(w, o);
    for (;;) {
      const v = this.vals[i];
      if (v === 0) return -1;
      const k = 4 * i;
      if (this.keys[k] === w[o] && this.keys[k + 1] === w[o + 1] && this.keys[k + 2] === w[o + 2] && this.keys[k + 3] === w[o + 3]) return v - 1;
      i = (i + 1) & this.mask;
    }
  }

  /** Insert (the table does not grow: size it at construction). */
  set(w: ArrayLike<number>, value: number): void {
    if ((this.size + 1) * 2 > this.vals.length) throw new Error('V6Index is full');
    let i = this.slot(w, 0);
    while (this.vals[i] !== 0) {
      const k = 4 * i;
      if (this.keys[k] === w[0] && this.keys[k + 1] === w[1] && this.keys[k + 2] === w[2] && this.keys[k + 3] === w[3]) {
        this.vals[i] = value + 1;
        return;
      }
      i = (i + 1) & this.mask;
    }
    this.keys.set([w[0], w[1], w[2], w[3]], 4 * i);
    this.vals[i] = value + 1;
    this.size++;
  }
}

/** A set of addresses (canonical text) answering "which one is this flow address?" by index. */
export class AddressIndex {
  readonly v4: U32Map;
  readonly v6: V6Index;
  readonly v4Count: number;

  constructor(readonly ips: readonly string[]) {
    const v6s = ips.filter((ip) => ip.includes(':'));
    this.v4 = new U32Map(Math.max(16, (ips.length - v6s.length) * 2));
    this.v6 = new V6Index(Math.max(8, v6s.length));
    ips.forEach((ip, k) => {
      if (ip.includes(':')) this.v6.set(v6ToWords(ip)!, k);
      else this.v4.getOrInsert(v4ToNumber(ip), k);
    });
    this.v4Count = ips.length - v6s.length;
  }

  /** Index of an IPv6 address given as words at `w[o..]`; an IPv4-mapped one is looked up as IPv4. */
  get6(w: ArrayLike<number>, o: number): number {
    if (w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff) return this.v4.get(w[o + 3] >>> 0);
    return this.v6.get(w, o);
  }
}

/** Growable typed columns of sampled flows (one row per (IoC, flow)). */
class SampleColumns {
  size = 0;
  ioc = new Uint32Array(0);
  dir = new Uint8Array(0);
  family = new Uint8Array(0);
  remote4 = new Uint32Array(0);
  remote6 = new Uint32Array(0);
  iocPort = new Uint16Array(0);
  remotePort = new Uint16Array(0);
  proto = new Uint8Array(0);
  flags = new Uint8Array(0);
  packets = new Float64Array(0);
  bytes = new Float64Array(0);
  start = new Float64Array(0);
  exporter = new Uint16Array(0);
  iocAs = new Uint32Array(0);
  remoteAs = new Uint32Array(0);
  file = new Uint16Array(0);

  /** Make room for one more row. */
  reserve(): void {
    if (this.size < this.ioc.length) return;
    const cap = Math.max(1024, this.ioc.length * 2);
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, per = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * per);
      b.set(a);
      return b;
    };
    this.ioc = grow(this.ioc);
    this.dir = grow(this.dir);
    this.family = grow(this.family);
    this.remote4 = grow(this.remote4);
    this.remote6 = grow(this.remote6, 4);
    this.iocPort = grow(this.iocPort);
    this.remotePort = grow(this.remotePort);
    this.proto = grow(this.proto);
    this.flags = grow(this.flags);
    this.packets = grow(this.packets);
    this.bytes = grow(this.bytes);
    this.start = grow(this.start);
    this.exporter = grow(this.exporter);
    this.iocAs = grow(this.iocAs);
    this.remoteAs = grow(this.remoteAs);
    this.file = grow(this.file);
  }

  get memoryBytes(): number {
    return this.ioc.length * (4 + 1 + 1 + 4 + 16 + 2 + 2 + 1 + 1 + 8 + 8 + 8 + 2 + 4 + 4 + 2);
  }
}

/** One sampled flow seen from its IoC's side (a plain value for cold paths: stage 2 onwards). */
export interface IocFlow {
  ioc: string;
  remote: string;
  direction: Direction;
  iocPort: number;
  remotePort: number;
  protocol: number;
  tcpFlags: number;
  packets: number;
  octets: number;
  /** Flow start, epoch ms. */
  start: number;
  exporter: string;
  iocAs: number;
  remoteAs: number;
  ipVersion: 4 | 6;
  /** Index into the matcher's file names. */
  file: number;
}

/** What the pass learnt of one watched address: its peers. */
export interface WatchedPeer {
  peer: string;
  flows: number;
  /** The peer's port in flows from the watched address → counts (at most 8 distinct kept). */
  ports: Map<number, number>;
  /** "packets/octets" of those flows → counts (at most 8 distinct kept). */
  shapes: Map<string, number>;
}

/** Counters of a pass. */
export interface MatchCounters {
  flows: number;
  matched: number;
  batches: number;
}

const PEERS_PER_WATCHED = 4096;

/** The stage-1 pass: feed it every batch of the day (`add`), then read totals and samples. */
export class IocMatcher {
  readonly index: AddressIndex;
  readonly totals: Float64Array;
  readonly sampled: Uint32Array;
  readonly counters: MatchCounters = { flows: 0, matched: 0, batches: 0 };
  private readonly cols = new SampleColumns();
  private readonly exporters: string[] = [];
  private readonly exporterIdx = new Map<string, number>();
  readonly files: string[] = [];
  private readonly watch?: AddressIndex;
  private readonly watched: Map<string, WatchedPeer>[] = [];
  /** Peers not recorded because a watched address had more than 4096 (counted). */
  watchOverflow = 0;

  constructor(iocs: readonly string[], readonly sampleSize = 10_000, watch: readonly string[] = []) {
    this.index = new AddressIndex(iocs);
    this.totals = new Float64Array(iocs.length);
    this.sampled = new Uint32Array(iocs.length);
    if (watch.length > 0) {
      this.watch = new AddressIndex(watch);
      for (let k = 0; k < watch.length; k++) this.watched.push(new Map());
    }
  }

  /** Start a new file: the batches added next belong to it. Returns its index. */
  beginFile(name: string): number {
    this.files.push(name);
    return this.files.length - 1;
  }

  /** Match every row of a batch (belonging to the current file). */
  add(b: FlowBatch): void {
    const n = b.size;
    const fam = b.family, s4 = b.srcV4, d4 = b.dstV4, s6 = b.src6, d6 = b.dst6;
    const idx = this.index;
    const v4 = idx.v4;
    const totals = this.totals;
    const exMap = this.mapExporters(b);
    this.counters.flows += n;
    this.counters.batches++;
    for (let i = 0; i < n; i++) {
      let s: number, d: number;
      if (fam[i] === 4) {
        s = v4.get(s4[i]);
        d = v4.get(d4[i]);
      } else {
        s = idx.get6(s6, 4 * i);
        d = idx.get6(d6, 4 * i);
      }
      if (s >= 0) {
        totals[s]++;
        if (this.sampled[s] < this.sampleSize) this.keep(b, i, s, 0, exMap);
      }
      if (d >= 0) {
        totals[d]++;
        if (this.sampled[d] < this.sampleSize) this.keep(b, i, d, 1, exMap);
      }
      if (s >= 0 || d >= 0) this.counters.matched++;
    }
    if (this.watch) this.addWatched(b);
  }

  private mapExporters(b: FlowBatch): Uint16Array {
    const m = new Uint16Array(b.exporters.length);
    b.exporters.forEach((e, k) => {
      let x = this.exporterIdx.get(e);
      if (x === undefined) {
        x = this.exporters.length;
        this.exporters.push(e);
        this.exporterIdx.set(e, x);
      }
      m[k] = x;
    });
    return m;
  }

  /** Keep row i for IoC k; dir 0 = the IoC is the source (send), 1 = the destination (rcv). */
  private keep(b: FlowBatch, i: number, k: number, dir: 0 | 1, exMap: Uint16Array): void {
    const c = this.cols;
    c.reserve();
    const r = c.size++;
    this.sampled[k]++;
    c.ioc[r] = k;
    c.dir[r] = dir;
    const v6 = b.family[i] === 6;
    c.family[r] = v6 ? 6 : 4;
    if (v6) c.remote6.set((dir === 0 ? b.dst6 : b.src6).subarray(4 * i, 4 * i + 4), 4 * r);
    else c.remote4[r] = dir === 0 ? b.dstV4[i] : b.srcV4[i];
    c.iocPort[r] = dir === 0 ? b.sport[i] : b.dport[i];
    c.remotePort[r] = dir === 0 ? b.dport[i] : b.sport[i];
    c.proto[r] = b.proto[i];
    c.flags[r] = b.flags[i];
    c.packets[r] = b.packets[i];
    c.bytes[r] = b.bytes[i];
    c.start[r] = b.start[i];
    c.exporter[r] = exMap[b.exporterIdx[i]] ?? 0;
    c.iocAs[r] = dir === 0 ? b.srcAs[i] : b.dstAs[i];
    c.remoteAs[r] = dir === 0 ? b.dstAs[i] : b.srcAs[i];
    c.file[r] = Math.max(0, this.files.length - 1);
  }

  private addWatched(b: FlowBatch): void {
    const w = this.watch!;
    for (let i = 0; i < b.size; i++) {
      const v6 = b.family[i] === 6;
      const s = v6 ? w.get6(b.src6, 4 * i) : w.v4.get(b.srcV4[i]);
      if (s < 0) continue;
      // Only what the watched address sends: a check-in goes from the member to its relay.
      const peer = v6 ? v6FromWords(b.dst6, 4 * i) : v4ToString(b.dstV4[i]);
      const m = this.watched[s];
      let p = m.get(peer);
      if (!p) {
        if (m.size >= PEERS_PER_WATCHED) {
          this.watchOverflow++;
          continue;
        }
        p = { peer, flows: 0, ports: new Map(), shapes: new Map() };
        m.set(peer, p);
      }
      p.flows++;
      bump(p.ports, b.dport[i]);
      bump(p.shapes, `${b.packets[i]}/${b.bytes[i]}`);
    }
  }

  /** The peers of each watched address, by watched address. */
  watchedPeers(): Map<string, WatchedPeer[]> {
    const out = new Map<string, WatchedPeer[]>();
    if (!this.watch) return out;
    this.watch.ips.forEach((ip, k) => out.set(ip, [...this.watched[k].values()]));
    return out;
  }

  /** Bytes held by the samples. */
  get sampleBytes(): number {
    return this.cols.memoryBytes;
  }

  /** Sampled rows kept. */
  get sampleRows(): number {
    return this.cols.size;
  }

  /** The sampled flows of every IoC, grouped by IoC index (cold path; tests and small days). */
  flowsByIoc(): IocFlow[][] {
    return this.index.ips.map((_, k) => this.flowsOf(k));
  }

  private order?: { start: Uint32Array; rows: Uint32Array };

  /** The sampled flows of IoC `k` as values, made on demand (one IoC at a time keeps the objects few). */
  flowsOf(k: number): IocFlow[] {
    const c = this.cols;
    if (!this.order || this.order.rows.length !== c.size) {
      // Counting sort of the sample rows by IoC: rows of IoC k are rows[start[k] .. start[k+1]).
      const n = this.index.ips.length;
      const start = new Uint32Array(n + 1);
      for (let r = 0; r < c.size; r++) start[c.ioc[r] + 1]++;
      for (let i = 0; i < n; i++) start[i + 1] += start[i];
      const fill = start.slice(0, n);
      const rows = new Uint32Array(c.size);
      for (let r = 0; r < c.size; r++) rows[fill[c.ioc[r]]++] = r;
      this.order = { start, rows };
    }
    const { start, rows } = this.order;
    const out: IocFlow[] = [];
    for (let j = start[k]; j < start[k + 1]; j++) out.push(this.row(rows[j]));
    return out;
  }

  private row(r: number): IocFlow {
    const c = this.cols;
    const v6 = c.family[r] === 6;
    return {
      ioc: this.index.ips[c.ioc[r]],
      remote: v6 ? unmapped(c.remote6, 4 * r) : v4ToString(c.remote4[r]),
      direction: c.dir[r] === 0 ? 'send' : 'rcv',
      iocPort: c.iocPort[r],
      remotePort: c.remotePort[r],
      protocol: c.proto[r],
      tcpFlags: c.flags[r],
      packets: c.packets[r],
      octets: c.bytes[r],
      start: c.start[r],
      exporter: this.exporters[c.exporter[r]] ?? '',
      iocAs: c.iocAs[r],
      remoteAs: c.remoteAs[r],
      ipVersion: v6 ? 6 : 4,
      file: c.file[r],
    };
  }
}

/** IPv6 words as text, an IPv4-mapped address as its IPv4. */
function unmapped(w: Uint32Array, o: number): string {
  if (w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff) return v4ToString(w[o + 3]);
  return v6FromWords(w, o);
}

function bump<K>(m: Map<K, number>, k: K): void {
  const v = m.get(k);
  if (v !== undefined) m.set(k, v + 1);
  else if (m.size < 8) m.set(k, 1);
}
