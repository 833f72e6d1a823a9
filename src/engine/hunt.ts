/**
 * Signature hunting (pure): the seeds' small-scale search. Given a `port-packets-bytes` signature taken from a loud
 * attacker, find every source that sent flows of exactly that shape, and rank them by how many destinations they
 * reached — the quiet members of the same botnet that no per-window threshold notices.
 */
import { PairSet, IpTable, Column } from './tables.js';
import type { FlowBatch, FlowFilter } from './types.js';

/** A parsed signature. */
export interface Signature {
  port: number;
  packets: number;
  bytes: number;
}

/** Parse "1433-3-152"; throws on anything else. */
export function parseSignature(text: string): Signature {
  const m = /^(\d{1,5})-(\d{1,9})-(\d{1,12})$/.exec(text.trim());
  if (!m || Number(m[1]) > 65535) throw new Error(`not a port-packets-bytes signature: "${text}"`);
  return { port: Number(m[1]), packets: Number(m[2]), bytes: Number(m[3]) };
}

/** The flow predicate selecting flows of one signature (a reader then yields only those). */
export function signatureFilter(s: Signature): FlowFilter {
  return { dstPort: [s.port], packets: { min: s.packets, max: s.packets }, bytes: { min: s.bytes, max: s.bytes } };
}

/** One member found by a hunt. */
export interface HuntRow {
  ip: string;
  /** Distinct destinations reached with the signature. */
  destinations: number;
  flows: number;
  /** Distinct source ports used. */
  sourcePorts: number;
  firstSeen: number;
  lastSeen: number;
  /** Near-shape hunts over Elasticsearch: the byte counts the source used (distinct, smallest first, at most 8). */
  bytes?: number[];
}

/** Aggregate flows matching `sig` by source IP; rows sorted by destinations, then flows. */
export async function huntSignature(batches: AsyncIterable<FlowBatch> | Iterable<FlowBatch>, sig: Signature, opts: { minDestinations?: number; limit?: number } = {}): Promise<HuntRow[]> {
  const ips = new IpTable();
  const dsts = new PairSet(1 << 14);
  const sports = new PairSet(1 << 14);
  const nDst = new Column(Uint32Array);
  const nSport = new Column(Uint32Array);
  const flows = new Column(Float64Array);
  const first = new Column(Float64Array);
  const last = new Column(Float64Array);
  for await (const b of batches) {
    for (let i = 0; i < b.size; i++) {
      if (b.dport[i] !== sig.port || b.packets[i] !== sig.packets || b.bytes[i] !== sig.bytes) continue;
      const s = b.family[i] === 4 ? ips.internV4(b.srcV4[i]) : ips.internV6(b.src6, 4 * i);
      const d = b.family[i] === 4 ? ips.internV4(b.dstV4[i]) : ips.internV6(b.dst6, 4 * i);
      for (const c of [nDst, nSport, flows, first, last]) c.ensure(Math.max(s, d));
      if (flows.data[s] === 0) { first.data[s] = b.start[i]; last.data[s] = b.start[i]; }
      flows.data[s]++;
      if (b.start[i] < first.data[s]) first.data[s] = b.start[i];
      if (b.start[i] > last.data[s]) last.data[s] = b.start[i];
      if (dsts.add(s, d)) nDst.data[s]++;
      if (sports.add(s, b.sport[i])) nSport.data[s]++;
    }
  }
  const rows: HuntRow[] = [];
  const min = opts.minDestinations ?? 1;
  for (let id = 0; id < ips.size; id++) {
    if (flows.data[id] === 0 || nDst.data[id] < min) continue;
    rows.push({ ip: ips.text(id), destinations: nDst.data[id], flows: flows.data[id], sourcePorts: nSport.data[id], firstSeen: first.data[id], lastSeen: last.data[id] });
  }
  rows.sort((a, b) => b.destinations - a.destinations || b.flows - a.flows || a.ip.localeCompare(b.ip));
  return opts.limit ? rows.slice(0, opts.limit) : rows;
}
