/**
 * Pure conversions from nocflow values to ES documents with deterministic ids: window summaries, anomalies with
 * features, and flows in the IPFIX schema (the shipper's output).
 */
import type { FlowBatch, WindowResult } from '../engine/types.js';
import { v4ToString } from '../util/ip.js';
import { docId } from './index-discipline.js';
import type { EsDoc, FlowFieldMap } from './types.js';

/** The window summary document (one per TimeSlot; id from the slot). */
export function windowDoc(r: WindowResult): EsDoc {
  const ts = r.window.start * 1000;
  return {
    id: docId('window', r.window.timeSlot),
    ts,
    body: {
      '@timestamp': ts,
      timeSlot: r.window.timeSlot,
      start: r.window.start,
      end: r.window.end,
      flows: r.flows,
      packets: r.packets,
      bytes: r.bytes,
      distinctIps: r.distinctIps,
      anomalies: r.anomalies.length,
      files: r.files ?? [],
    },
  };
}

/** One document per anomaly; id = hash of kind + slot + ip + role + type, so a re-analysed window overwrites. */
export function anomalyDocs(r: WindowResult): EsDoc[] {
  const ts = r.window.start * 1000;
  return r.anomalies.map((a) => ({
    id: docId('anomaly', r.window.timeSlot, a.ip, a.role, a.type),
    ts,
    body: { '@timestamp': ts, timeSlot: r.window.timeSlot, ...a },
  }));
}

/**
 * Flow documents for one batch in the configured (IPFIX) schema. `origin` + `offset` (rows before this batch in the
 * same file) make the ids: the same file shipped twice gives the same ids, so nothing is duplicated.
 */
export function flowDocs(b: FlowBatch, f: FlowFieldMap, origin: string, offset: number): EsDoc[] {
  const out: EsDoc[] = new Array(b.size);
  for (let i = 0; i < b.size; i++) {
    const v4 = b.family[i] === 4;
    const body: Record<string, unknown> = {
      [f.src]: v4 ? v4ToString(b.srcV4[i]) : b.src6[i],
      [f.dst]: v4 ? v4ToString(b.dstV4[i]) : b.dst6[i],
      [f.sport]: b.sport[i],
      [f.dport]: b.dport[i],
      [f.proto]: b.proto[i],
      [f.flags]: b.flags[i],
      [f.packets]: b.packets[i],
      [f.bytes]: b.bytes[i],
      [f.inIf]: b.inIf[i],
      egressInterface: b.outIf[i],
      [f.start]: b.start[i],
      flowEndMilliseconds: b.end[i],
      bgpSourceAsNumber: b.srcAs[i],
      bgpDestinationAsNumber: b.dstAs[i],
    };
    const exp = b.exporters[b.exporterIdx[i]];
    if (exp) body[f.exporter] = exp;
    out[i] = { id: docId('flow', origin, offset + i), ts: b.start[i], body };
  }
  return out;
}
