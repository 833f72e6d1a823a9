/**
 * Stage 1 drivers (thin shells around the pure matcher): the day's flows of every IoC, from the nfcapd files — one
 * pass, each file read once through the FlowSource — or from Elasticsearch — the seeds' per-IoC query
 * (`bool.should` term on source or destination, `size`, `track_total_hits: true`), one IoC at a time, in sequence,
 * never concurrently (the seeds' reason: not to crash the cluster).
 */
import type { Client } from '@elastic/elasticsearch';
import type { ElasticsearchConfig } from '../config/sections/elasticsearch.js';
import { batchFromRecords } from '../engine/batch.js';
import type { FlowRecord, FlowSource } from '../engine/types.js';
import { toEsError } from '../es/client.js';
import { FlowSourceError } from '../ingest/errors.js';
import { dailyIndicesInRange } from '../es/index-discipline.js';
import { hitToFlow, investigateQuery, parseTarget } from '../es/queries.js';
import { IocMatcher, type IocFlow, type MatchCounters, type WatchedPeer } from './match.js';

/** What stage 1 hands on: per IoC its exact total and sampled flows, the files read, the watched peers. */
export interface Stage1Result {
  iocs: readonly string[];
  totals: number[];
  /** The sampled flows of the IoC at index k, made on demand (the job takes one IoC at a time). */
  flowsOf(k: number): IocFlow[];
  /** Names flows refer to by index: nfcapd files, or ES indices. */
  files: string[];
  watched: Map<string, WatchedPeer[]>;
  counters: MatchCounters & { sampleRows: number; sampleBytes: number; badHits?: number; requests?: number };
  /** Files the reader refused (their own fault: not an nffile, damaged): skipped with the reason, never fatal. */
  skipped: { file: string; reason: string }[];
}

/** A reader of one day's flows for a set of IoCs (and watched addresses). */
export interface Stage1Reader {
  readonly kind: 'files' | 'elasticsearch';
  collect(iocs: readonly string[], watch: readonly string[], range: { from: number; to: number }, opts: { sampleSize: number; signal?: AbortSignal; files?: string[] }): Promise<Stage1Result>;
}

function resultOf(m: IocMatcher): Stage1Result {
  return {
    iocs: m.index.ips,
    totals: Array.from(m.totals),
    flowsOf: (k) => m.flowsOf(k),
    files: m.files,
    watched: m.watchedPeers(),
    counters: { ...m.counters, sampleRows: m.sampleRows, sampleBytes: m.sampleBytes },
    skipped: [],
  };
}

/** Stage 1 over nfcapd files: every file once, every IoC at once. `files` are given by the caller (the day's). */
export function filesStage1(source: FlowSource): Stage1Reader {
  return {
    kind: 'files',
    async collect(iocs, watch, _range, opts) {
      const m = new IocMatcher(iocs, opts.sampleSize, watch);
      const skipped: Stage1Result['skipped'] = [];
      for (const file of opts.files ?? []) {
        m.beginFile(file);
        try {
          for await (const b of source.read([file], { signal: opts.signal })) m.add(b);
        } catch (err) {
          // The file's own fault is recorded and skipped (flows of its intact part were counted); the reader's is not.
          if (err instanceof FlowSourceError && err.fault === 'file' && !opts.signal?.aborted) skipped.push({ file, reason: err.message });
          else throw err;
        }
      }
      return { ...resultOf(m), skipped };
    },
  };
}

/** Stage 1 over Elasticsearch's daily flow indices (`elasticsearch.flowIndex`). */
export function esStage1(config: ElasticsearchConfig, client: Client): Stage1Reader {
  const f = config.fieldMap;
  return {
    kind: 'elasticsearch',
    async collect(iocs, watch, range, opts) {
      const indices = dailyIndicesInRange(config.flowIndex, range.from, range.to).map((d) => d.index);
      const index = indices.join(',');
      let bad = 0, requests = 0, matched = 0;
      // One IoC, then the next: never two requests at once.
      const search = async (ip: string): Promise<FlowRecord[] & { total?: number }> => {
        opts.signal?.throwIfAborted();
        const body = investigateQuery(f, parseTarget(ip), range, opts.sampleSize);
        requests++;
        let r;
        try {
          r = await client.search({ index, ignore_unavailable: true, allow_no_indices: true, ...body } as never, { signal: opts.signal });
        } catch (err) {
          throw toEsError(`search ${index} for ${ip}`, err);
        }
        const recs: FlowRecord[] & { total?: number } = [];
        for (const h of r.hits.hits) {
          const rec = hitToFlow(f, (h._source ?? {}) as Record<string, unknown>);
          if (rec) recs.push(rec);
          else bad++;
        }
        const t = r.hits.total;
        recs.total = typeof t === 'number' ? t : (t?.value ?? recs.length);
        return recs;
      };
      const totals: number[] = [];
      const flows: IocFlow[][] = [];
      for (const ip of iocs) {
        const recs = await search(ip);
        totals.push(recs.total ?? recs.length);
        // A matcher of this one IoC: an IoC-to-IoC flow is sampled for each IoC by its own query, once.
        const m = new IocMatcher([ip], opts.sampleSize);
        m.beginFile(index);
        if (recs.length > 0) m.add(batchFromRecords(recs));
        matched += recs.length;
        flows.push(m.flowsByIoc()[0]);
      }
      const w = new IocMatcher([], 0, watch);
      for (const ip of watch) {
        const recs = await search(ip);
        if (recs.length > 0) w.add(batchFromRecords(recs));
      }
      const sampleRows = flows.reduce((s, l) => s + l.length, 0);
      const out: Stage1Result = {
        iocs, totals, flowsOf: (k) => flows[k], files: [index], watched: w.watchedPeers(),
        counters: { flows: matched, matched, batches: requests, sampleRows, sampleBytes: sampleRows * 80, badHits: bad, requests },
        skipped: [],
      };
      return out;
    },
  };
}
