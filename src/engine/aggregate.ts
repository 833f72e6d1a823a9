/**
 * Window aggregation (pure, single pass over FlowBatches): every IP in both roles — as source: distinct
 * destinations, distinct destination ports, flows, packets, bytes; as destination: distinct sources, flows,
 * packets, bytes. Flows are also kept in compact columns so that the few hundred candidates can be broken down
 * into features afterwards without reading the file again.
 */
import { IpTable, PairSet, topIdsStrided } from './tables.js';
import type { FlowBatch } from './types.js';
import { TcpFlag } from './types.js';

const CHUNK = 1 << 20;

/** Compact columns of the window's flows, in chunks of 1 Mi rows. */
export class FlowColumns {
  src: Uint32Array[] = [];
  dst: Uint32Array[] = [];
  sport: Uint16Array[] = [];
  dport: Uint16Array[] = [];
  proto: Uint8Array[] = [];
  flags: Uint8Array[] = [];
  packets: Uint32Array[] = [];
  bytes: Float64Array[] = [];
  entry: Uint32Array[] = []; // (exporter index << 20) | (input interface & 0xfffff)
  start: Float64Array[] = [];
  srcAs: Uint32Array[] = [];
  dstAs: Uint32Array[] = [];
  size = 0;

  /** Append a row; returns nothing (hot path). */
  push(src: number, dst: number, sport: number, dport: number, proto: number, flags: number, packets: number, bytes: number, entry: number, start: number, srcAs: number, dstAs: number): void {
    const c = this.size >>> 20;
    const i = this.size & (CHUNK - 1);
    if (i === 0) {
      this.src.push(new Uint32Array(CHUNK));
      this.dst.push(new Uint32Array(CHUNK));
      this.sport.push(new Uint16Array(CHUNK));
      this.dport.push(new Uint16Array(CHUNK));
      this.proto.push(new Uint8Array(CHUNK));
      this.flags.push(new Uint8Array(CHUNK));
      this.packets.push(new Uint32Array(CHUNK));
      this.bytes.push(new Float64Array(CHUNK));
      this.entry.push(new Uint32Array(CHUNK));
      this.start.push(new Float64Array(CHUNK));
      this.srcAs.push(new Uint32Array(CHUNK));
      this.dstAs.push(new Uint32Array(CHUNK));
    }
    this.src[c][i] = src;
    this.dst[c][i] = dst;
    this.sport[c][i] = sport;
    this.dport[c][i] = dport;
    this.proto[c][i] = proto;
    this.flags[c][i] = flags;
    this.packets[c][i] = packets > 0xffffffff ? 0xffffffff : packets;
    this.bytes[c][i] = bytes;
    this.entry[c][i] = entry;
    this.start[c][i] = start;
    this.srcAs[c][i] = srcAs;
    this.dstAs[c][i] = dstAs;
    this.size++;
  }
}

/** Field offsets of a host record (32-bit words). Packets and bytes are float32, the rest uint32. */
const F = { outFlows: 0, outPackets: 1, outBytes: 2, outPeers: 3, outPorts: 4, inFlows: 5, inPackets: 6, inBytes: 7, inPeers: 8, firstDst: 9, firstPort: 10 } as const;
const FLOAT_FIELDS = new Set<number>([F.outPackets, F.outBytes, F.inPackets, F.inBytes]);
/** Words per host record: 44 bytes, so one host's counters share one or two cache lines. */
export const HOST_STRIDE = 11;
const HOST_CHUNK_BITS = 18;
const HOST_CHUNK = 1 << HOST_CHUNK_BITS;
const HOST_MASK = HOST_CHUNK - 1;
export type HostField = keyof typeof F;

/** Read access to one field of every host. */
export interface HostColumn {
  get(id: number): number;
}

/**
 * Per-IP counters in both roles, indexed by IpTable id: one interleaved record per host (random access touches one
 * or two cache lines instead of eleven arrays), in chunks of 256 Ki hosts. Packets and bytes are float32: they rank
 * hosts and meet thresholds (relative error 6e-8); reported values come exact from the feature pass.
 * `firstDst`/`firstPort` keep a source's first flow so single-flow sources stay out of the pair sets.
 */
export class HostCounters {
  readonly u: Uint32Array[] = [];
  readonly f: Float32Array[] = [];

  ensure(id: number): void {
    while (this.u.length <= id >>> HOST_CHUNK_BITS) {
      const buf = new ArrayBuffer(HOST_CHUNK * HOST_STRIDE * 4);
      this.u.push(new Uint32Array(buf));
      this.f.push(new Float32Array(buf));
    }
  }

  /** One field's value for a host. */
  value(field: HostField, id: number): number {
    const off = F[field];
    const arr = FLOAT_FIELDS.has(off) ? this.f : this.u;
    return arr[id >>> HOST_CHUNK_BITS][(id & HOST_MASK) * HOST_STRIDE + off];
  }

  /** A read-only column view of one field. */
  column(field: HostField): HostColumn {
    return { get: (id) => this.value(field, id) };
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
  firstDst = this.column('firstDst');

  /** Ids of the `n` hosts with the largest value of `field` among ids [0, count), largest first. */
  top(field: HostField, count: number, n: number): number[] {
    const off = F[field];
    const arrs = FLOAT_FIELDS.has(off) ? this.f : this.u;
    return topIdsStrided(arrs, HOST_CHUNK_BITS, HOST_STRIDE, off, count, n);
  }
}

/** Everything one window's single pass produces. */
export interface WindowAggregate {
  ips: IpTable;
  hosts: HostCounters;
  flows: FlowColumns;
  /** True when `x` sent at least one flow to `y` in the window. */
  hasPair(x: number, y: number): boolean;
  exporters: string[];
  totals: { flows: number; packets: number; bytes: number; firstStart: number; lastStart: number };
}

/** Streaming aggregator: `add` every batch, then `result()`. */
export class WindowAggregator {
  readonly ips = new IpTable();
  readonly hosts = new HostCounters();
  readonly flows = new FlowColumns();
  /** (src id, dst id) pairs seen: distinct peers in both directions. */
  readonly pairs = new PairSet(1 << 18);
  /** (src id, dst port) pairs seen: distinct destination ports per source. */
  private readonly srcPorts = new PairSet(1 << 16);
  private readonly exporterIds = new Map<string, number>();
  readonly exporters: string[] = [];
  readonly totals = { flows: 0, packets: 0, bytes: 0, firstStart: Infinity, lastStart: -Infinity };

  /** Fold one batch into the window. */
  add(b: FlowBatch): void {
    // Map the batch's exporter indices to window-wide ones once per batch.
    const exMap = new Uint32Array(b.exporters.length);
    for (let k = 0; k < b.exporters.length; k++) {
      let id = this.exporterIds.get(b.exporters[k]);
      if (id === undefined) {
        id = this.exporters.length;
        this.exporters.push(b.exporters[k]);
        this.exporterIds.set(b.exporters[k], id);
      }
      exMap[k] = id;
    }
    const ips = this.ips;
    const h = this.hosts;
    const t = this.totals;
    for (let i = 0; i < b.size; i++) {
      let s: number, d: number;
      if (b.family[i] === 4) {
        s = ips.internV4(b.srcV4[i]);
        d = ips.internV4(b.dstV4[i]);
      } else {
        s = ips.internV6(b.src6, 4 * i);
        d = ips.internV6(b.dst6, 4 * i);
      }
      h.ensure(s > d ? s : d);
      const pk = b.packets[i];
      const by = b.bytes[i];
      const dp = b.dport[i];
      const us = h.u[s >>> 18], fs = h.f[s >>> 18], ps = (s & 0x3ffff) * 11;
      const ud = h.u[d >>> 18], fd = h.f[d >>> 18], pd = (d & 0x3ffff) * 11;
      const before = us[ps];
      if (before === 0) {
        // First flow of this source: its pair and port are new by definition.
        us[ps + 9] = d;
        us[ps + 10] = dp;
        us[ps + 3] = 1;
        us[ps + 4] = 1;
        ud[pd + 8]++;
      } else {
        if (before === 1) {
          // Second flow: the first pair and port enter the sets now.
          this.pairs.add(s, us[ps + 9]);
          this.srcPorts.add(s, us[ps + 10]);
        }
        if (this.pairs.add(s, d)) {
          us[ps + 3]++;
          ud[pd + 8]++;
        }
        if (this.srcPorts.add(s, dp)) us[ps + 4]++;
      }
      us[ps] = before + 1;
      fs[ps + 1] += pk;
      fs[ps + 2] += by;
      ud[pd + 5]++;
      fd[pd + 6] += pk;
      fd[pd + 7] += by;
      const st = b.start[i];
      if (st < t.firstStart) t.firstStart = st;
      if (st > t.lastStart) t.lastStart = st;
      t.flows++;
      t.packets += pk;
      t.bytes += by;
      this.flows.push(s, d, b.sport[i], dp, b.proto[i], b.flags[i], pk, by, (exMap[b.exporterIdx[i]] << 20) | (b.inIf[i] & 0xfffff), st, b.srcAs[i], b.dstAs[i]);
    }
  }

  /** The aggregate so far. */
  result(): WindowAggregate {
    const h = this.hosts;
    const hasPair = (x: number, y: number) => {
      const n = h.outFlows.get(x);
      if (n === 0) return false;
      if (n === 1) return h.firstDst.get(x) === y;
      return this.pairs.has(x, y);
    };
    return { ips: this.ips, hosts: this.hosts, flows: this.flows, hasPair, exporters: this.exporters, totals: this.totals };
  }
}

/** True for a TCP flow that has SYN and no ACK (a bare connection attempt). */
export function isSynOnly(proto: number, flags: number): boolean {
  return proto === 6 && (flags & TcpFlag.SYN) !== 0 && (flags & TcpFlag.ACK) === 0;
}
