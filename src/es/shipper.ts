/**
 * The nfcapd → Elasticsearch shipper (what Logstash did for the NOC): each file's flows are read through the
 * FlowSource, turned into IPFIX-schema documents with ids from (file, row) and written through the ResultStore
 * (~10 MB bulks, spool on outage). Reading waits while a bulk is in flight (back-pressure: the source is pulled,
 * never pushed). Closed days are backfilled with refresh disabled and one refresh at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FlowSourceError } from '../ingest/errors.js';
import type { FlowSource } from '../engine/types.js';
import { listCompleted, parseNfcapdName } from '../ingest/watcher.js';
import { isTransient, EsError } from './client.js';
import { flowDocs } from './documents.js';
import { utcDayStart } from './index-discipline.js';
import type { EsDoc, FlowFieldMap, ResultStore } from './types.js';

/** What the shipper needs: where flows come from, where documents go, the field names, a clock. */
export interface ShipperDeps {
  source: FlowSource;
  store: ResultStore;
  fieldMap: FlowFieldMap;
  /** The writer's bulk size (config.elasticsearch.bulkBytes): documents are handed over in slices of about that. */
  bulkBytes?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/** Counters of a shipping run. */
export interface ShipStats {
  files: number;
  flows: number;
  /** Files nfdump could not read (skipped with their reason). */
  failedFiles: { file: string; reason: string }[];
  /** Days written with refresh disabled. */
  backfilledDays: number;
}

/** The id origin of a file: its real path, so the same file shipped twice yields the same document ids. */
export function fileOrigin(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/** Group files by the UTC day of their nfcapd name (files without one go to `undefined`), days in order. */
export function groupByDay(files: string[]): { day: number | undefined; files: string[] }[] {
  const m = new Map<number | undefined, string[]>();
  for (const f of files) {
    const t = parseNfcapdName(path.basename(f));
    const day = t === undefined ? undefined : utcDayStart(t);
    m.set(day, [...(m.get(day) ?? []), f]);
  }
  return [...m.entries()].sort((a, b) => (a[0] ?? -1) - (b[0] ?? -1)).map(([day, fs2]) => ({ day, files: fs2 }));
}

/** Create the shipper; nothing happens until `ship` or `watch` is called. */
export function createShipper(deps: ShipperDeps) {
  const now = deps.now ?? Date.now;
  const bulkBytes = deps.bulkBytes ?? 10_000_000;

  async function shipOne(file: string, stats: ShipStats, signal?: AbortSignal): Promise<void> {
    const origin = fileOrigin(file);
    let offset = 0;
    // Documents are handed to the writer in slices of about one bulk request (estimated from the first document's
    // size), so each writeDocs call makes one ~bulkBytes request and nothing big outlives it (less GC promotion).
    let pending: EsDoc[] = [];
    let perBulk = 0;
    try {
      for await (const batch of deps.source.read([file], { signal, batchSize: 8192 })) {
        const docs = flowDocs(batch, deps.fieldMap, origin, offset);
        offset += batch.size;
        if (perBulk === 0 && docs.length > 0) perBulk = Math.max(1, Math.floor((0.95 * bulkBytes) / (docs[0].raw!.length + docs[0].id.length + 64)));
        pending = pending.length === 0 ? docs : pending.concat(docs);
        while (pending.length >= perBulk) {
          await deps.store.writeDocs('flow', pending.slice(0, perBulk));
          pending = pending.slice(perBulk);
        }
      }
      if (pending.length > 0) await deps.store.writeDocs('flow', pending);
      stats.files++;
      stats.flows += offset;
    } catch (err) {
      if (err instanceof FlowSourceError) {
        stats.failedFiles.push({ file, reason: err.reason });
        deps.log?.(`skipped ${file}: ${err.reason}`);
        return;
      }
      throw err;
    }
  }

  /** Ship files in order; closed days (when `backfill`) with refresh off and one refresh after. */
  async function ship(files: string[], opts: { backfill?: boolean; signal?: AbortSignal } = {}): Promise<ShipStats> {
    const stats: ShipStats = { files: 0, flows: 0, failedFiles: [], backfilledDays: 0 };
    for (const g of groupByDay(files)) {
      const closed = g.day !== undefined && g.day + 86_400_000 <= now();
      const fill = async () => {
        for (const f of g.files) await shipOne(f, stats, opts.signal);
      };
      if (!(opts.backfill && closed)) {
        await fill();
        continue;
      }
      let filled = false;
      try {
        await deps.store.backfillDay('flow', g.day!, async () => {
          await fill();
          filled = true;
        });
        stats.backfilledDays++;
      } catch (err) {
        const transient = isTransient(err) || (err instanceof EsError && err.transient) || (err as { meta?: unknown })?.meta !== undefined;
        if (!transient) throw err;
        deps.log?.(`backfill settings unavailable for ${new Date(g.day!).toISOString().slice(0, 10)}: ${(err as Error).message}`);
        if (!filled) await fill(); // ES down: the documents still go through the writer (and its spool)
      }
    }
    return stats;
  }

  /**
   * Ship every completed file under `dir` not yet in the ledger file, then poll every `intervalMs` until `signal`
   * aborts. The ledger (one real path per line, append-only) makes restarts resume where they stopped.
   */
  async function watch(dir: string, opts: { ledger: string; intervalMs?: number; signal: AbortSignal; onShipped?: (file: string, stats: ShipStats) => void }): Promise<void> {
    const done = new Set(fs.existsSync(opts.ledger) ? fs.readFileSync(opts.ledger, 'utf8').split('\n').filter(Boolean) : []);
    while (!opts.signal.aborted) {
      for (const f of listCompleted(dir)) {
        if (opts.signal.aborted) break;
        const origin = fileOrigin(f.path);
        if (done.has(origin)) continue;
        const stats = await ship([f.path], { signal: opts.signal });
        if (opts.signal.aborted) break;
        fs.mkdirSync(path.dirname(opts.ledger), { recursive: true });
        fs.appendFileSync(opts.ledger, `${origin}\n`, { mode: 0o600 });
        done.add(origin);
        opts.onShipped?.(f.path, stats);
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          opts.signal.removeEventListener('abort', onAbort);
          resolve();
        }, opts.intervalMs ?? 5000);
        opts.signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  return { ship, watch };
}
