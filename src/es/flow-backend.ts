/**
 * FlowQueryBackend over the NOC's daily flow indices. Every query targets one daily index (oldest first) and, for
 * many IPs, runs day-major — each day, every IP, one at a time — so no request spans a month and the cluster is
 * never asked for everything at once (the seeds' discipline). Missing daily indices are skipped, not errors.
 */
import type { Client } from '@elastic/elasticsearch';
import type { ElasticsearchConfig } from '../config/sections/elasticsearch.js';
import { InvestigateAccumulator } from '../daemon/investigate.js';
import { batchFromRecords } from '../engine/batch.js';
import type { FlowRecord } from '../engine/types.js';
import { createEsClient, toEsError } from './client.js';
import { dailyIndicesInRange } from './index-discipline.js';
import { hitToFlow, huntNearQuery, huntQuery, huntRows, investigateQuery, mergeHuntRows, parseTarget, type HuntExclusions } from './queries.js';
import type { EsHuntResult, FlowQueryBackend, HuntRow, InvestigateSummary, NearSearch, Signature, TimeRange } from './types.js';

/** An ES investigation: the common summary plus how many flows ES matched in total and whether we sampled. */
export type EsInvestigateSummary = InvestigateSummary & { totalHits: number; sampled: boolean; badHits: number };

/** Create the backend; `deps.client` overrides the client built from config (tests, shared clients). */
export function createEsFlowBackend(config: ElasticsearchConfig, deps: { client?: Client } = {}): FlowQueryBackend & {
  investigate(ipOrPrefix: string, range: TimeRange, opts?: { signal?: AbortSignal }): Promise<EsInvestigateSummary>;
} {
  const client = deps.client ?? createEsClient(config);
  const f = config.fieldMap;

  /** One day's search for one target; null when the daily index does not exist. */
  async function searchDay(index: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<{ hits: FlowRecord[]; total: number; bad: number } | null> {
    let r;
    try {
      r = await client.search({ index, ignore_unavailable: true, ...body } as never, { signal });
    } catch (err) {
      throw toEsError(`search ${index}`, err);
    }
    const hits: FlowRecord[] = [];
    let bad = 0;
    for (const h of r.hits.hits) {
      const rec = hitToFlow(f, (h._source ?? {}) as Record<string, unknown>);
      if (rec) hits.push(rec);
      else bad++;
    }
    const t = r.hits.total;
    return { hits, total: typeof t === 'number' ? t : (t?.value ?? hits.length), bad };
  }

  function start(target: string, range: TimeRange) {
    const p = parseTarget(target);
    const acc = new InvestigateAccumulator(p, range.from, range.to);
    return { p, acc, total: 0, bad: 0, fetched: 0 };
  }

  function finish(s: ReturnType<typeof start>, days: number): EsInvestigateSummary {
    return { ...s.acc.summary(days), source: 'elasticsearch', totalHits: s.total, sampled: s.total > s.fetched, badHits: s.bad };
  }

  async function investigateMany(ips: string[], range: TimeRange, opts: { signal?: AbortSignal } = {}): Promise<Map<string, EsInvestigateSummary>> {
    const states = ips.map((ip) => ({ ip, s: start(ip, range) }));
    const days = dailyIndicesInRange(config.flowIndex, range.from, range.to);
    for (const day of days) {
      for (const { s } of states) {
        opts.signal?.throwIfAborted();
        const r = await searchDay(day.index, investigateQuery(f, s.p, day, config.investigateSize), opts.signal);
        if (!r) continue;
        s.total += r.total;
        s.bad += r.bad;
        s.fetched += r.hits.length + r.bad;
        if (r.hits.length > 0) s.acc.add(batchFromRecords(r.hits));
      }
    }
    return new Map(states.map(({ ip, s }) => [ip, finish(s, days.length)]));
  }

  return {
    async investigate(ipOrPrefix, range, opts = {}) {
      return (await investigateMany([ipOrPrefix], range, opts)).get(ipOrPrefix)!;
    },
    investigateMany,
    async huntSignature(sig: Signature, range: TimeRange, opts: { signal?: AbortSignal; exclude?: HuntExclusions; near?: NearSearch } = {}): Promise<EsHuntResult> {
      const days = dailyIndicesInRange(config.flowIndex, range.from, range.to);
      const perDay: HuntRow[][] = [];
      const nearPerDay: HuntRow[][] = [];
      const distinct: number[] = [];
      let truncated = false;
      const search = async (index: string, body: Record<string, unknown>) => {
        opts.signal?.throwIfAborted();
        try {
          return huntRows((await client.search({ index, ignore_unavailable: true, ...body } as never, { signal: opts.signal })).aggregations);
        } catch (err) {
          throw toEsError(`search ${index}`, err);
        }
      };
      for (const day of days) {
        const { rows, distinctSources } = await search(day.index, huntQuery(f, sig, day, config.huntBuckets, opts.exclude));
        if (rows.length >= config.huntBuckets) truncated = true;
        perDay.push(rows);
        distinct.push(distinctSources);
        if (opts.near) nearPerDay.push((await search(day.index, huntNearQuery(f, sig, opts.near, day, config.huntBuckets, opts.exclude))).rows);
      }
      return {
        signature: sig, indices: days.map((d) => d.index), sources: mergeHuntRows(perDay), distinctSourcesPerDay: distinct, truncated,
        ...(opts.near ? { near: mergeHuntRows(nearPerDay) } : {}),
      };
    },
  };
}
