/**
 * Elasticsearch backend contracts. The engine and the TUI depend on these interfaces only, never on the ES client:
 * `ResultStore` writes nocflow's results (daily indices, spool on outage), `FlowQueryBackend` reads the NOC's flow
 * indices (investigate an IP, hunt a signature). Pure types.
 */
import type { InvestigateSummary } from '../daemon/investigate.js';
import type { Signature, HuntRow } from '../engine/hunt.js';

export type { InvestigateSummary, Signature, HuntRow };

/** The kinds of documents nocflow writes; each gets its own daily index `<prefix>-<kind>-YYYY.MM.DD`. */
export type DocKind = 'window' | 'anomaly' | 'arp' | 'mac' | 'block' | 'audit' | 'flow' | 'signature' | 'iocflow';

/** One document to index: a deterministic id, the time that picks its daily index, and the body. */
export interface EsDoc {
  /** Deterministic id (same input → same id), so a replayed document overwrites instead of duplicating. */
  id: string;
  /** Epoch milliseconds; selects the UTC day of the index. */
  ts: number;
  /** The document; or, on the shipper's hot path, `raw` (the same document already serialized as JSON). */
  body?: Record<string, unknown>;
  raw?: string;
}

/** A document bound to its index: what goes into a bulk request and into the spool. */
export interface BulkItem {
  /** The kind, so a replay can ensure its template first. */
  kind?: DocKind;
  index: string;
  id: string;
  /** Exactly one of body / raw (pre-serialized JSON) is set. */
  body?: Record<string, unknown>;
  raw?: string;
}

/** Counters of a writer (everything that moves gets a counter). */
export interface WriterStats {
  /** Documents ES acknowledged. */
  indexed: number;
  /** Bulk requests sent. */
  bulkRequests: number;
  /** Documents written to the spool because ES was unavailable or rejected them transiently. */
  spooled: number;
  /** Spooled documents later accepted by ES. */
  replayed: number;
  /** Documents ES refused permanently (mapping errors...), counted, not retried. */
  rejected: number;
  /** Spooled documents dropped, oldest first, because the spool reached its byte limit (limits.esSpoolBytes). */
  dropped: number;
}

/** What a writer is doing, for `engine status`. */
export interface WriterState extends WriterStats {
  /** ES is unavailable now (documents go to the spool). */
  down: boolean;
  /** Epoch ms of the last failure while down. */
  downSince?: number;
  lastError?: string;
  spool: { dir: string; segments: number; bytes: number; maxBytes: number | null };
  /** Set once documents were dropped: the spool was full (an alarm, until the engine restarts). */
  alarm?: string;
}

/** Where nocflow's results go: a typed bulk writer with a spool. */
export interface ResultStore {
  /** Index documents of one kind. Never throws for ES outages: the documents are spooled instead. */
  writeDocs(kind: DocKind, docs: EsDoc[]): Promise<void>;
  /** Send spooled documents, oldest first; returns how many were accepted. */
  replaySpool(): Promise<number>;
  /**
   * Backfill a closed day: `refresh_interval: -1` on the day's index while `fill` runs, then one `_refresh`,
   * then the previous setting restored.
   */
  backfillDay(kind: DocKind, dayMs: number, fill: () => Promise<void>): Promise<void>;
  stats(): WriterStats;
  /** Counters plus the state of ES and of the spool (cheap: file sizes, no reads). */
  state(): WriterState;
  /** Ask ES again every `retryIntervalMs` while documents wait in the spool, even when nothing new is written. */
  start(): void;
  stop(): void;
}

/** A time range in epoch milliseconds, [from, to). */
export interface TimeRange {
  from: number;
  to: number;
}

/** Names of the flow fields in the NOC's flow indices (IPFIX names by default). */
export type { FlowFieldMap } from '../config/sections/elasticsearch.js';

/** One source of a signature hunt over ES, per day merged. */
export interface EsHuntResult {
  signature: Signature;
  /** Days (indices) queried, in order. */
  indices: string[];
  /** Sources, sorted by destinations then flows. `destinations`/`sourcePorts` are the largest single-day counts
   * (cardinality does not add across days); `flows` is the sum. firstSeen/lastSeen are the day bounds. */
  sources: HuntRow[];
  /** Distinct sources per day as ES counted them (cardinality of sourceIPAddress). */
  distinctSourcesPerDay: number[];
  /** true when a day returned as many buckets as asked for (there may be more). */
  truncated: boolean;
  /** With `near`: the near-shape sources (each with its byte counts), merged over the days like `sources`. */
  near?: HuntRow[];
}

/** A near-shape search beside a hunt: bytes within ±within, none of `exactBytes` (see queries.ts huntNearQuery). */
export interface NearSearch {
  within: number;
  exactBytes: number[];
}

/** Reads the NOC's flow indices. The TUI's investigate view uses it when ES is configured. */
export interface FlowQueryBackend {
  /** Everything ES holds about an IP or prefix in `range`, one daily index at a time; same shape as the nfcapd store's. */
  investigate(ipOrPrefix: string, range: TimeRange, opts?: { signal?: AbortSignal }): Promise<InvestigateSummary>;
  /** The seeds' small-scale hunt: sources of one port-packets-bytes signature ranked by destinations reached. */
  huntSignature(sig: Signature, range: TimeRange, opts?: { signal?: AbortSignal; exclude?: import('./queries.js').HuntExclusions; near?: NearSearch }): Promise<EsHuntResult>;
  /** Day-major investigation of many IPs: for each day, every IP; a month is never one giant query. */
  investigateMany(ips: string[], range: TimeRange, opts?: { signal?: AbortSignal }): Promise<Map<string, InvestigateSummary>>;
}
