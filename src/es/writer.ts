/**
 * The ResultStore adapter: typed bulk writes into daily indices with templates ensured first, ~10 MB bulk bodies,
 * and the spool for outages (connection refused, timeouts, 429/503 — per request or per item). Spooled documents
 * are replayed in order before anything new is sent, so ES sees documents in the order nocflow produced them.
 */
import type { Client } from '@elastic/elasticsearch';
import type { ElasticsearchConfig } from '../config/sections/elasticsearch.js';
import type { WindowSink } from '../engine/sink.js';
import type { WindowResult } from '../engine/types.js';
import { EsError, isTransient, toEsError, TRANSIENT_STATUS } from './client.js';
import { anomalyDocs, windowDoc } from './documents.js';
import { chunkBulk, dailyFromPattern, dailyIndexName, indexTemplate, primaryShardCount } from './index-discipline.js';
import { Spool } from './spool.js';
import type { BulkItem, DocKind, EsDoc, ResultStore, WriterStats } from './types.js';

/** Dependencies of the writer: the client and the spool directory; `log` gets one line per state change. */
export interface EsWriterDeps {
  client: Client;
  spoolDir: string;
  log?: (line: string) => void;
  /** Clock for the retry back-off (default Date.now). */
  now?: () => number;
  /** After a failure, new documents go straight to the spool for this long before ES is tried again (default 5000). */
  retryIntervalMs?: number;
  /** Most bytes the spool may hold on disk (limits.esSpoolBytes); the oldest documents are dropped beyond it. */
  spoolMaxBytes?: number;
}

const transientErr = (err: unknown): boolean => isTransient(err) || (err instanceof EsError && err.transient);

interface BulkOutcome {
  accepted: number;
  /** Items to retry later, in their original order. */
  transient: BulkItem[];
  rejected: number;
}

/** Number of data nodes (`_nodes` roles containing a data role). */
export async function countDataNodes(client: Client): Promise<number> {
  const r = await client.nodes.info({ metric: 'settings', filter_path: 'nodes.*.roles' } as never);
  const nodes = (r as { nodes?: Record<string, { roles?: string[] }> }).nodes ?? {};
  return Object.values(nodes).filter((n) => (n.roles ?? []).some((role) => role === 'data' || role.startsWith('data_'))).length;
}

/** Largest primary store size in bytes among existing indices matching `pattern` (`_cat/indices`), 0 when none. */
export async function largestPrimarySize(client: Client, pattern: string): Promise<number> {
  const rows = (await client.cat.indices({ index: pattern, format: 'json', bytes: 'b', h: 'index,pri.store.size' } as never)) as unknown as { 'pri.store.size'?: string }[];
  return rows.reduce((m, r) => Math.max(m, Number(r['pri.store.size'] ?? 0) || 0), 0);
}

/** Create the ResultStore. Inert until used; nothing to start. */
export function createEsWriter(config: ElasticsearchConfig, deps: EsWriterDeps): ResultStore & { ensureTemplate(kind: DocKind): Promise<void> } {
  const { client } = deps;
  const spool = new Spool(deps.spoolDir, deps.spoolMaxBytes);
  const templatesDone = new Set<DocKind>();
  const counters: WriterStats = { indexed: 0, bulkRequests: 0, spooled: 0, replayed: 0, rejected: 0, dropped: 0 };
  let down = false;
  /** When ES went down (the first failure of this outage), and the last failure (the retry back-off counts from it). */
  let downSince = 0;
  let lastFailure = 0;
  let lastError: string | undefined;
  let alarm: string | undefined;
  const now = deps.now ?? Date.now;
  const retryInterval = deps.retryIntervalMs ?? 5000;

  const markDown = (why: string) => {
    if (!down) {
      deps.log?.(`elasticsearch unavailable, spooling to ${deps.spoolDir}: ${why}`);
      downSince = now();
    }
    down = true;
    lastFailure = now();
    lastError = why;
  };

  /** Append to the spool; a full spool drops its oldest documents: counted, logged, and raised as the alarm. */
  const toSpool = (items: BulkItem[]) => {
    const drop = spool.append(items);
    counters.spooled += items.length;
    if (drop) {
      counters.dropped += drop.documents;
      alarm = `elasticsearch spool full (limit ${deps.spoolMaxBytes} bytes): ${counters.dropped} oldest document(s) dropped since start`;
      deps.log?.(`ALARM ${alarm}; ${drop.documents} dropped now`);
    }
  };

  /** Flows go to the flow indices (config.flowIndex); results to `<prefix>-<kind>-YYYY.MM.DD`. */
  const indexFor = (kind: DocKind, ts: number) => (kind === 'flow' ? dailyFromPattern(config.flowIndex, ts) : dailyIndexName(config.indexPrefix, kind, ts));

  async function ensureTemplate(kind: DocKind): Promise<void> {
    if (templatesDone.has(kind)) return;
    const pattern = kind === 'flow' ? config.flowIndex.replace('{YYYY.MM.DD}', '*') : `${config.indexPrefix}-${kind}-*`;
    const shards = primaryShardCount(await largestPrimarySize(client, pattern), await countDataNodes(client));
    await client.indices.putIndexTemplate({ name: `${config.indexPrefix}-${kind}`, ...indexTemplate(pattern, kind, shards, config.fieldMap) } as never);
    templatesDone.add(kind);
  }

  /** Send items in ~bulkBytes requests; throws (EsError) on a request-level failure after recording progress. */
  async function sendBulk(items: BulkItem[], onChunk: (done: BulkItem[], retry: BulkItem[]) => void): Promise<BulkOutcome> {
    const out: BulkOutcome = { accepted: 0, transient: [], rejected: 0 };
    for (const chunk of chunkBulk(items, config.bulkBytes)) {
      let resp;
      try {
        counters.bulkRequests++;
        // filter_path: only what we read back (a full answer repeats index and id for every document).
        resp = await client.bulk({ operations: chunk.body as never, filter_path: ['errors', 'items.*.status', 'items.*.error.type'] });
      } catch (err) {
        throw toEsError('bulk', err);
      }
      const retry: BulkItem[] = [];
      if (resp.errors === false) {
        out.accepted += chunk.items.length;
        onChunk(chunk.items, retry);
        continue;
      }
      (resp.items ?? []).forEach((entry, i) => {
        const r = entry.index ?? entry.create ?? entry.update;
        const status = r?.status ?? 0;
        if (status >= 200 && status < 300) out.accepted++;
        else if (TRANSIENT_STATUS.has(status)) retry.push(chunk.items[i]);
        else {
          out.rejected++;
          deps.log?.(`elasticsearch rejected ${chunk.items[i].index}/${chunk.items[i].id}: ${r?.error?.type ?? status}`);
        }
      });
      out.transient.push(...retry);
      onChunk(chunk.items, retry);
    }
    return out;
  }

  // Writes and replays run one at a time (the sink and the device sink may write concurrently): two replays of one
  // segment would race on its rewrite, and documents must reach ES in the order they were handed over.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };

  async function replaySpool(): Promise<number> {
    let replayed = 0;
    for (const seg of spool.segments()) {
      let remaining = spool.readSegment(seg);
      const kinds = new Set(remaining.map((i) => i.kind ?? kindOfIndex(config.indexPrefix, i.index)).filter((k): k is DocKind => k !== undefined));
      try {
        for (const k of kinds) await ensureTemplate(k);
        const o = await sendBulk(remaining, (done, retry) => {
          remaining = remaining.slice(done.length);
          // Items ES answered 429/503 for stay at the head of this segment, keeping their order.
          remaining = [...retry, ...remaining];
          spool.rewriteSegment(seg, remaining);
          if (retry.length > 0) throw toEsError('bulk', new Error(`${retry.length} items rejected with 429/503`));
        });
        replayed += o.accepted;
        counters.replayed += o.accepted;
        counters.indexed += o.accepted;
        counters.rejected += o.rejected;
      } catch (err) {
        if (transientErr(err)) {
          markDown(err instanceof Error ? err.message : String(err));
          return replayed;
        }
        throw err;
      }
    }
    if (down) deps.log?.('elasticsearch is back, spool replayed');
    down = false;
    return replayed;
  }

  async function writeDocs(kind: DocKind, docs: EsDoc[]): Promise<void> {
    let lastDay = NaN;
    let lastIndex = '';
    const items: BulkItem[] = docs.map((d) => {
      const day = Math.floor(d.ts / 86_400_000);
      if (day !== lastDay) {
        lastDay = day;
        lastIndex = indexFor(kind, d.ts);
      }
      return d.raw !== undefined ? { kind, index: lastIndex, id: d.id, raw: d.raw } : { kind, index: lastIndex, id: d.id, body: d.body ?? {} };
    });
    if (items.length === 0) return;
    if (!down || now() - lastFailure >= retryInterval) await replaySpool();
    if (!spool.isEmpty()) {
      // Still down: new documents queue behind the old ones.
      toSpool(items);
      return;
    }
    let pending = items;
    try {
      await ensureTemplate(kind);
      const o = await sendBulk(items, (done) => {
        pending = pending.slice(done.length);
      });
      counters.indexed += o.accepted;
      counters.rejected += o.rejected;
      if (o.transient.length > 0) {
        markDown(`${o.transient.length} items answered 429/503`);
        toSpool(o.transient);
      }
    } catch (err) {
      if (!transientErr(err)) throw err instanceof EsError ? err : toEsError(`writing ${kind}`, err);
      markDown(err instanceof Error ? err.message : String(err));
      toSpool(pending);
    }
  }

  // The spool is replayed on a timer as well as before each write: an idle engine (no window, no block for a while)
  // still empties it once ES is back.
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (spool.isEmpty() || (down && now() - lastFailure < retryInterval)) return;
    void serial(replaySpool).catch((err: Error) => deps.log?.(`elasticsearch replay failed: ${err.message}`));
  };

  async function backfillDay(kind: DocKind, dayMs: number, fill: () => Promise<void>): Promise<void> {
    const index = indexFor(kind, dayMs);
    await ensureTemplate(kind);
    if (!(await client.indices.exists({ index }))) await client.indices.create({ index });
    const before = await client.indices.getSettings({ index, name: 'index.refresh_interval' });
    const previous = (before as Record<string, { settings?: { index?: { refresh_interval?: string } } }>)[index]?.settings?.index?.refresh_interval ?? null;
    await client.indices.putSettings({ index, settings: { index: { refresh_interval: '-1' } } });
    try {
      await fill();
    } finally {
      await client.indices.refresh({ index });
      await client.indices.putSettings({ index, settings: { index: { refresh_interval: previous } } } as never);
    }
  }

  return {
    writeDocs: (kind, docs) => serial(() => writeDocs(kind, docs)),
    replaySpool: () => serial(replaySpool),
    backfillDay,
    ensureTemplate,
    stats: () => ({ ...counters }),
    state: () => {
      const segments = spool.segments();
      return {
        ...counters,
        down,
        ...(down ? { downSince } : {}),
        ...(lastError ? { lastError } : {}),
        spool: { dir: deps.spoolDir, segments: segments.length, bytes: spool.bytes(), maxBytes: Number.isFinite(spool.maxBytes) ? spool.maxBytes : null },
        ...(alarm ? { alarm } : {}),
      };
    },
    start() {
      timer ??= setInterval(tick, Math.max(100, retryInterval));
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** The kind of one of our result indices (`<prefix>-<kind>-YYYY.MM.DD`), undefined for others. */
export function kindOfIndex(prefix: string, index: string): DocKind | undefined {
  const m = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-([a-z]+)-\\d{4}\\.\\d{2}\\.\\d{2}$`).exec(index);
  return m ? (m[1] as DocKind) : undefined;
}

/** A WindowSink writing each window's summary and its anomalies (with features) to ES. Never throws on outages. */
export function createEsSink(config: ElasticsearchConfig, deps: EsWriterDeps | { store: ResultStore }): WindowSink {
  const store = 'store' in deps ? deps.store : createEsWriter(config, deps);
  return {
    name: 'elasticsearch',
    async writeWindow(result: WindowResult): Promise<void> {
      await store.writeDocs('window', [windowDoc(result)]);
      await store.writeDocs('anomaly', anomalyDocs(result));
    },
    async close(): Promise<void> {
      await store.replaySpool();
    },
  };
}
