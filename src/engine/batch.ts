/** Building FlowBatches from plain records (pure): for tests, generators and small cold paths. */
import { createBatch } from './nfdump-text.js';
import type { FlowBatch, FlowRecord } from './types.js';
import { canonicalIp, v4ToNumber } from '../util/ip.js';

/** One batch holding `records` (addresses validated; a malformed one throws). */
export function batchFromRecords(records: FlowRecord[]): FlowBatch {
  const b = createBatch(Math.max(1, records.length));
  const ex = new Map<string, number>();
  records.forEach((r, i) => {
    const s = canonicalIp(r.src);
    const d = canonicalIp(r.dst);
    if (s === undefined || d === undefined) throw new Error(`malformed address in flow ${i}: ${r.src} -> ${r.dst}`);
    const v6 = s.includes(':') || d.includes(':');
    b.family[i] = v6 ? 6 : 4;
    if (v6) {
      b.src6[i] = s;
      b.dst6[i] = d;
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

/** A flow with defaults for everything not given. */
export function flow(p: Partial<FlowRecord> & { src: string; dst: string }): FlowRecord {
  return {
    sport: 40000, dport: 80, proto: 6, flags: 0x1b, packets: 10, bytes: 5000,
    start: 1_700_000_000_000, end: 1_700_000_001_000, inIf: 1, outIf: 2, exporter: '127.0.0.1', srcAs: 0, dstAs: 0,
    ...p,
  };
}
