/**
 * Evaluates a hunt's search body over flow documents, for the subset of the query DSL the hunt sends (test side):
 * `bool.filter` / `bool.must_not` of `term` (a CIDR value on an address field matches the prefix, as ES does for
 * `ip` fields), `range` and `terms`; `terms` aggregations on the source ordered by a sub-aggregation (or by `_key`),
 * with `cardinality`, `min`, `max` and `terms` under them, and a top-level `cardinality`. Anything else throws, so a
 * body the hunt starts sending is never silently mis-answered.
 */
import { parsePrefix, prefixContains } from '../../src/util/ip.js';
import { ipfixFieldMap } from '../../src/config/sections/elasticsearch.js';
import type { FlowRecord } from '../../src/engine/types.js';

type Doc = Record<string, number | string>;
type Clause = Record<string, Record<string, unknown>>;

/** A flow as a document of the default (IPFIX) field map. */
export function flowDoc(r: FlowRecord): Doc {
  const f = ipfixFieldMap;
  return { [f.src]: r.src, [f.dst]: r.dst, [f.sport]: r.sport, [f.dport]: r.dport, [f.proto]: r.proto, [f.flags]: r.flags, [f.packets]: r.packets, [f.bytes]: r.bytes, [f.inIf]: r.inIf, [f.exporter]: r.exporter, [f.start]: r.start };
}

function holds(c: Clause, d: Doc): boolean {
  const [kind, spec] = Object.entries(c)[0];
  const [field, want] = Object.entries(spec)[0];
  const v = d[field];
  if (kind === 'term') {
    if (typeof want === 'string' && want.includes('/')) return typeof v === 'string' && prefixContains(parsePrefix(want), v);
    return v === want;
  }
  if (kind === 'terms') return (want as unknown[]).includes(v);
  if (kind === 'range') {
    const r = want as { gte?: number; gt?: number; lte?: number; lt?: number };
    const n = v as number;
    return (r.gte === undefined || n >= r.gte) && (r.gt === undefined || n > r.gt) && (r.lte === undefined || n <= r.lte) && (r.lt === undefined || n < r.lt);
  }
  throw new Error(`query-eval: no ${kind} clause`);
}

function aggregate(spec: Record<string, Record<string, unknown>>, docs: Doc[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(spec)) {
    const { aggs, ...rest } = a as { aggs?: Record<string, Record<string, unknown>> };
    const [kind, body] = Object.entries(rest)[0] as [string, { field: string; size?: number; order?: Record<string, 'asc' | 'desc'> }];
    const values = docs.map((d) => d[body.field]);
    if (kind === 'cardinality') out[name] = { value: new Set(values).size };
    else if (kind === 'min') out[name] = { value: docs.length ? Math.min(...(values as number[])) : null };
    else if (kind === 'max') out[name] = { value: docs.length ? Math.max(...(values as number[])) : null };
    else if (kind === 'terms') {
      const groups = new Map<number | string, Doc[]>();
      for (const d of docs) groups.set(d[body.field], [...(groups.get(d[body.field]) ?? []), d]);
      const buckets = [...groups].map(([key, g]) => ({ key, doc_count: g.length, ...(aggs ? aggregate(aggs, g) : {}) }));
      const [by, dir] = Object.entries(body.order ?? { _count: 'desc' })[0];
      const sign = dir === 'asc' ? 1 : -1;
      const valueOf = (b: Record<string, unknown>) => (by === '_key' ? b.key : by === '_count' ? b.doc_count : (b[by] as { value: number }).value) as number | string;
      buckets.sort((x, y) => {
        const a1 = valueOf(x), b1 = valueOf(y);
        return a1 < b1 ? -sign : a1 > b1 ? sign : String(x.key).localeCompare(String(y.key));
      });
      out[name] = { buckets: buckets.slice(0, body.size ?? 10) };
    } else throw new Error(`query-eval: no ${kind} aggregation`);
  }
  return out;
}

/** The answer ES gives `body` over `docs` (aggregations and the total; no hits are returned: the hunt asks size 0). */
export function evaluateSearch(body: unknown, docs: Doc[]): { hits: { total: { value: number }; hits: [] }; aggregations: Record<string, unknown> } {
  const b = body as { size?: number; query: { bool: { filter?: Clause[]; must_not?: Clause[] } }; aggs?: Record<string, Record<string, unknown>> };
  if (b.size !== 0) throw new Error('query-eval: only size 0 bodies');
  const keep = docs.filter((d) => (b.query.bool.filter ?? []).every((c) => holds(c, d)) && !(b.query.bool.must_not ?? []).some((c) => holds(c, d)));
  return { hits: { total: { value: keep.length }, hits: [] }, aggregations: b.aggs ? aggregate(b.aggs, keep) : {} };
}
