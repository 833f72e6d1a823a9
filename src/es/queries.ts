/**
 * ES request bodies for reading the NOC's flow indices, as validated values (pure), and the pure conversions of
 * their answers: the seeds' per-IoC query (bool/should term on source or destination, size 10000,
 * track_total_hits) and the small-scale signature hunt (filter port/packets/octets; terms on source ordered by the
 * cardinality of destinations, with the cardinality of source ports; bounded buckets).
 */
import type { FlowRecord } from '../engine/types.js';
import { canonicalIp, parsePrefix, prefixToString, type Prefix } from '../util/ip.js';
import type { FlowFieldMap, HuntRow, Signature, TimeRange } from './types.js';

/** The value a `term` query on an `ip` field takes: the address for a host, CIDR text for a prefix. */
export function ipTermValue(p: Prefix): string {
  return p.length === (p.family === 4 ? 32 : 128) ? p.address : prefixToString(p);
}

/** Validate an IP or prefix given by an operator (throws IpError on anything else). */
export function parseTarget(text: string): Prefix {
  return parsePrefix(text, { loose: false });
}

function rangeFilter(f: FlowFieldMap, r: TimeRange): Record<string, unknown> {
  return { range: { [f.start]: { gte: r.from, lt: r.to, format: 'epoch_millis' } } };
}

/** Fields fetched per flow (never the whole document). */
export function flowSourceFields(f: FlowFieldMap): string[] {
  return [f.src, f.dst, f.sport, f.dport, f.proto, f.flags, f.packets, f.bytes, f.inIf, f.exporter, f.start];
}

/** The seeds' per-IP query: up to `size` flows where the target is source or destination, with the true total. */
export function investigateQuery(f: FlowFieldMap, target: Prefix, range: TimeRange, size = 10000): Record<string, unknown> {
  const v = ipTermValue(target);
  return {
    size,
    track_total_hits: true,
    _source: flowSourceFields(f),
    query: {
      bool: {
        should: [{ term: { [f.src]: v } }, { term: { [f.dst]: v } }],
        minimum_should_match: 1,
        filter: [rangeFilter(f, range)],
      },
    },
  };
}

/**
 * What a daily hunt leaves out (src/hunt): flows from a service port — below 1024, or the signature's own port — are
 * servers answering; `sources` (prefixes, validated) are the configured known servers.
 */
export interface HuntExclusions {
  serverReplies?: boolean;
  sources?: Prefix[];
}

/** The `must_not` clauses of a hunt's exclusions (empty when none). */
export function huntMustNot(f: FlowFieldMap, sig: Signature, ex: HuntExclusions = {}): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (ex.serverReplies) out.push({ term: { [f.sport]: sig.port } }, { range: { [f.sport]: { gte: 1, lte: 1023 } } });
  for (const p of ex.sources ?? []) out.push({ term: { [f.src]: ipTermValue(p) } });
  return out;
}

/**
 * The seeds' small-scale hunting query for one signature, with `buckets` source buckets at most; with exclusions, a
 * `must_not` beside the filter (the seeds' body is unchanged without them).
 */
export function huntQuery(f: FlowFieldMap, sig: Signature, range: TimeRange, buckets: number, exclude: HuntExclusions = {}): Record<string, unknown> {
  return huntBody(f, sig, [{ term: { [f.bytes]: sig.bytes } }], huntMustNot(f, sig, exclude), buckets, range);
}

/** Byte counts a near-shape member's row lists at most (as the file hunt, hunt/day-hunt.ts). */
export const NEAR_BYTES_LISTED = 8;

/**
 * The near-shape query of one signature (the file hunt's `near`): the same port and packets, bytes within ±`within`,
 * but none of `exactBytes` — the byte counts of the catalogue's shapes with that port and packets, which are exact
 * members of their own signature — with the hunt's exclusions; per source also its byte counts (the smallest
 * {@link NEAR_BYTES_LISTED}).
 */
export function huntNearQuery(f: FlowFieldMap, sig: Signature, near: { within: number; exactBytes: number[] }, range: TimeRange, buckets: number, exclude: HuntExclusions = {}): Record<string, unknown> {
  const bytes = { range: { [f.bytes]: { gte: Math.max(0, sig.bytes - near.within), lte: sig.bytes + near.within } } };
  const exact = [...new Set([sig.bytes, ...near.exactBytes])].sort((a, b) => a - b);
  const perSource = { Bytes: { terms: { field: f.bytes, size: NEAR_BYTES_LISTED, order: { _key: 'asc' } } } };
  return huntBody(f, sig, [bytes], [{ terms: { [f.bytes]: exact } }, ...huntMustNot(f, sig, exclude)], buckets, range, perSource);
}

/**
 * A hunt's body: the port and packets, `bytes` clauses and the time range; sources ranked by destinations, with
 * `perSource` beside each source's counts.
 */
function huntBody(f: FlowFieldMap, sig: Signature, bytes: Record<string, unknown>[], mustNot: Record<string, unknown>[], buckets: number, range: TimeRange, perSource: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    size: 0,
    track_total_hits: true,
    query: {
      bool: {
        filter: [{ term: { [f.dport]: sig.port } }, { term: { [f.packets]: sig.packets } }, ...bytes, rangeFilter(f, range)],
        ...(mustNot.length > 0 ? { must_not: mustNot } : {}),
      },
    },
    aggs: {
      AggsIp: {
        terms: { field: f.src, size: buckets, order: { CountDst: 'desc' } },
        aggs: {
          CountDst: { cardinality: { field: f.dst } },
          CountPort: { cardinality: { field: f.sport } },
          FirstSeen: { min: { field: f.start } },
          LastSeen: { max: { field: f.start } },
          ...perSource,
        },
      },
      CountIP: { cardinality: { field: f.src } },
    },
  };
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : 0;
  }
  return 0;
}

/** A hit's `_source` as a FlowRecord, or undefined when its addresses are not valid IPs (counted by the caller). */
export function hitToFlow(f: FlowFieldMap, src: Record<string, unknown>): FlowRecord | undefined {
  const s = canonicalIp(String(src[f.src] ?? ''));
  const d = canonicalIp(String(src[f.dst] ?? ''));
  if (s === undefined || d === undefined) return undefined;
  const start = num(src[f.start]);
  return {
    src: s,
    dst: d,
    sport: num(src[f.sport]),
    dport: num(src[f.dport]),
    proto: num(src[f.proto]),
    flags: num(src[f.flags]),
    packets: num(src[f.packets]),
    bytes: num(src[f.bytes]),
    start,
    end: start,
    inIf: num(src[f.inIf]),
    outIf: 0,
    exporter: canonicalIp(String(src[f.exporter] ?? '')) ?? '',
    srcAs: 0,
    dstAs: 0,
  };
}

interface HuntBucket {
  key: string;
  doc_count: number;
  CountDst?: { value: number };
  CountPort?: { value: number };
  FirstSeen?: { value: number | null };
  LastSeen?: { value: number | null };
  Bytes?: { buckets?: { key: unknown }[] };
}

/** Rows of one day's hunt answer (with the byte counts of each source when the answer has them: a near query). */
export function huntRows(aggs: unknown): { rows: HuntRow[]; distinctSources: number } {
  const a = aggs as { AggsIp?: { buckets?: HuntBucket[] }; CountIP?: { value?: number } } | undefined;
  const rows = (a?.AggsIp?.buckets ?? []).map((b) => ({
    ip: canonicalIp(String(b.key)) ?? String(b.key),
    destinations: b.CountDst?.value ?? 0,
    flows: b.doc_count,
    sourcePorts: b.CountPort?.value ?? 0,
    firstSeen: b.FirstSeen?.value ?? 0,
    lastSeen: b.LastSeen?.value ?? 0,
    ...(b.Bytes ? { bytes: listedBytes((b.Bytes.buckets ?? []).map((k) => Number(k.key)).filter((n) => Number.isInteger(n) && n >= 0)) } : {}),
  }));
  return { rows, distinctSources: a?.CountIP?.value ?? 0 };
}

/** Distinct byte counts, smallest first, at most NEAR_BYTES_LISTED. */
function listedBytes(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b).slice(0, NEAR_BYTES_LISTED);
}

/**
 * Merge per-day hunt rows: flows add up; destinations/source ports keep the largest single day (not additive); the
 * byte counts of near rows are the union (the smallest NEAR_BYTES_LISTED).
 */
export function mergeHuntRows(days: HuntRow[][]): HuntRow[] {
  const m = new Map<string, HuntRow>();
  for (const day of days) {
    for (const r of day) {
      const cur = m.get(r.ip);
      if (!cur) m.set(r.ip, { ...r, ...(r.bytes ? { bytes: [...r.bytes] } : {}) });
      else {
        cur.flows += r.flows;
        cur.destinations = Math.max(cur.destinations, r.destinations);
        cur.sourcePorts = Math.max(cur.sourcePorts, r.sourcePorts);
        cur.firstSeen = Math.min(cur.firstSeen, r.firstSeen);
        cur.lastSeen = Math.max(cur.lastSeen, r.lastSeen);
        if (cur.bytes || r.bytes) cur.bytes = listedBytes([...(cur.bytes ?? []), ...(r.bytes ?? [])]);
      }
    }
  }
  return [...m.values()].sort((a, b) => b.destinations - a.destinations || b.flows - a.flows || a.ip.localeCompare(b.ip));
}
