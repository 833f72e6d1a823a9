/**
 * Window aggregation (pure, single pass over FlowBatches): every IP in both roles — as source: distinct
 * destinations, distinct destination ports, flows, packets, bytes; as destination: distinct sources, flows,
 * packets, bytes. Flows are also kept in compact columns so that the few hundred candidates can be broken down
 * into features afterwards without reading the file again.
 */
import { ChunkedColumn, IpTable, PairSet } from './tables.js';
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

/**
 * Per-IP counters in both roles, indexed by IpTable id, in 1 Mi chunks. Packets and bytes are float32: they rank
 * hosts and are compared with thresholds (relative error 6e-8); the exact values of reported hosts come from the
 * feature pass.
 */
export class HostCounters {
  outFlows = new ChunkedColumn(Uint32Array);
  outPackets = new ChunkedColumn(Float32Array);
  outBytes = new ChunkedColumn(Float32Array);
  outPeers = new ChunkedColumn(Uint32Array);
  outPorts = new ChunkedColumn(Uint32Array);
  inFlows = new ChunkedColumn(Uint32Array);
  inPackets = new ChunkedColumn(Float32Array);
  inBytes = new ChunkedColumn(Float32Array);
  inPeers = new ChunkedColumn(Uint32Array);
  /** The destination and port of a host's first flow as a source: most hosts send once in a window, and their one
   * pair need not enter the pair sets (saves memory and two hash inserts per such flow). */
  firstDst = new ChunkedColumn(Uint32Array);
  firstPort = new ChunkedColumn(Uint32Array);
  private readonly all = [this.outFlows, this.outPackets, this.outBytes, this.outPeers, this.outPorts, this.inFlows, this.inPackets, this.inBytes, this.inPeers, this.firstDst, this.firstPort];
  private chunks = 0;

  ensure(id: number): void {
    const need = (id >>> 20) + 1;
    if (need <= this.chunks) return;
    for (const c of this.all) c.ensure(id);
    this.chunks = need;
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
        s = ips.internV6(b.src6[i]!);
        d = ips.internV6(b.dst6[i]!);
      }
      h.ensure(s > d ? s : d);
      const pk = b.packets[i];
      const by = b.bytes[i];
      const dp = b.dport[i];
      const cs = s >>> 20, os = s & 0xfffff, cd = d >>> 20, od = d & 0xfffff;
      const before = h.outFlows.chunks[cs][os];
      if (before === 0) {
        // First flow of this source: its pair and port are new by definition.
        h.firstDst.chunks[cs][os] = d;
        h.firstPort.chunks[cs][os] = dp;
        h.outPeers.chunks[cs][os] = 1;
        h.outPorts.chunks[cs][os] = 1;
        h.inPeers.chunks[cd][od]++;
      } else {
        if (before === 1) {
          // Second flow: the first pair and port enter the sets now.
          this.pairs.add(s, h.firstDst.chunks[cs][os]);
          this.srcPorts.add(s, h.firstPort.chunks[cs][os]);
        }
        if (this.pairs.add(s, d)) {
          h.outPeers.chunks[cs][os]++;
          h.inPeers.chunks[cd][od]++;
        }
        if (this.srcPorts.add(s, dp)) h.outPorts.chunks[cs][os]++;
      }
      h.outFlows.chunks[cs][os]++;
      h.outPackets.chunks[cs][os] += pk;
      h.outBytes.chunks[cs][os] += by;
      h.inFlows.chunks[cd][od]++;
      h.inPackets.chunks[cd][od] += pk;
      h.inBytes.chunks[cd][od] += by;
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
