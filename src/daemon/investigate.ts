/**
 * "What is this IP doing?": everything the nfcapd file store says about an IP or prefix over a time range — top
 * peers, ports and protocols and a flows-over-time series — read through the engine's FlowSource with a host/net
 * predicate and the range as its time window, with progress and cancellation. The accumulator is pure;
 * `runInvestigate` is the thin shell around the source.
 *
 * Files are read one by one (two at a time), not as one list: a file in the range that cannot be read is skipped with
 * its reason, and per-file reads give honest progress.
 */
import { listCompleted } from '../ingest/watcher.js';
import { FlowSourceError } from '../ingest/errors.js';
import { dstText, srcText } from '../engine/batch.js';
import { inPrefixes, numericPrefix, type NumericPrefix } from '../engine/filter.js';
import type { FlowBatch, FlowFilter, FlowSource } from '../engine/types.js';
import { parsePrefix, prefixToString, v4ToNumber, v4ToString, type Prefix } from '../util/ip.js';

/** The answer of an investigation. */
export interface InvestigateSummary {
  target: string;
  source: 'nfcapd' | 'elasticsearch';
  from: number;
  to: number;
  files: number;
  flows: number;
  packets: number;
  bytes: number;
  /** Flows where the target was the source / the destination. */
  asSource: number;
  asDestination: number;
  topPeers: { ip: string; flows: number; bytes: number }[];
  topPorts: { port: number; proto: number; flows: number }[];
  protocols: { proto: number; flows: number }[];
  /**
   * Flows (and, from the nfcapd files, packets and bytes) per bucket (`bucketMs`, one minute unless the range is
   * long), oldest first; empty buckets included.
   */
  series: { t: number; flows: number; packets?: number; bytes?: number }[];
  /** Width of a series bucket in ms (60 000 up to two hours, wider beyond so the series stays ≤ 120 points). */
  bucketMs?: number;
  /** Files nfdump could not read, with its reason (skipped, not fatal). */
  skipped?: { file: string; reason: string }[];
  /**
   * Set when the target had more distinct peers than the engine keeps for one investigation (limits.investigatePeers):
   * `peers` is that limit, and the flows and bytes of every peer beyond it are summed here, never dropped silently.
   */
  otherPeers?: { peers: number; flows: number; bytes: number };
}

/** The flow predicate of a validated target: flows from or to it. */
export function targetFilter(p: Prefix): FlowFilter {
  return { host: [prefixToString(p)] };
}

/** Series bucket width for a range: one minute, widened so that there are at most 120 buckets. Pure. */
export function bucketFor(from: number, to: number): number {
  const minutes = Math.max(1, Math.ceil((to - from) / 60_000 / 120));
  return minutes * 60_000;
}

/** Accumulates batches into a summary (pure). */
export class InvestigateAccumulator {
  private readonly peers = new Map<string | number, { flows: number; bytes: number }>();
  private readonly ports = new Map<number, number>();
  private readonly protos = new Map<number, number>();
  private readonly buckets = new Map<number, { flows: number; packets: number; bytes: number }>();
  private readonly v4lo: number;
  private readonly v4hi: number;
  readonly bucketMs: number;
  flows = 0;
  packets = 0;
  bytes = 0;
  asSource = 0;
  asDestination = 0;

  private readonly v6: NumericPrefix[];

  /** Flows and bytes of peers beyond `maxPeers`. */
  private readonly other = { flows: 0, bytes: 0 };

  /** `maxPeers`: distinct peers kept (the rest are summed as other peers); unbounded by default. */
  constructor(private readonly target: Prefix, private readonly from: number, private readonly to: number, private readonly maxPeers = Infinity) {
    this.v6 = target.family === 6 ? [numericPrefix(prefixToString(target))] : [];
    if (target.family === 4) {
      this.v4lo = v4ToNumber(target.address);
      this.v4hi = this.v4lo + 2 ** (32 - target.length) - 1;
    } else {
      this.v4lo = 1;
      this.v4hi = 0; // empty range: no IPv4 address matches an IPv6 target
    }
    this.bucketMs = bucketFor(from, to);
  }

  /** Add the flows of a batch that start inside [from, to) and touch the target. */
  add(b: FlowBatch): void {
    const { v4lo, v4hi } = this;
    for (let i = 0; i < b.size; i++) {
      const start = b.start[i];
      if (start < this.from || start >= this.to) continue;
      let isSrc: boolean;
      let peer: string | number;
      if (b.family[i] === 4) {
        const s = b.srcV4[i];
        isSrc = s >= v4lo && s <= v4hi;
        if (!isSrc) {
          const d = b.dstV4[i];
          if (d < v4lo || d > v4hi) continue; // the filter matched something else (cannot happen with host/net)
        }
        peer = isSrc ? b.dstV4[i] : s;
      } else {
        if (this.target.family !== 6) continue;
        isSrc = inPrefixes(this.v6, b, i, 'src');
        if (!isSrc && !inPrefixes(this.v6, b, i, 'dst')) continue;
        peer = isSrc ? dstText(b, i) : srcText(b, i);
      }
      if (isSrc) this.asSource++;
      else this.asDestination++;
      this.flows++;
      this.packets += b.packets[i];
      this.bytes += b.bytes[i];
      const p = this.peers.get(peer);
      if (p) {
        p.flows++;
        p.bytes += b.bytes[i];
      } else if (this.peers.size < this.maxPeers) this.peers.set(peer, { flows: 1, bytes: b.bytes[i] });
      else {
        this.other.flows++;
        this.other.bytes += b.bytes[i];
      }
      // The service port: the far end's destination port when the target is the client; when the target is the
      // destination, its own (lower) port.
      const port = isSrc ? b.dport[i] : Math.min(b.sport[i], b.dport[i]);
      const pk = b.proto[i] * 65536 + port;
      this.ports.set(pk, (this.ports.get(pk) ?? 0) + 1);
      this.protos.set(b.proto[i], (this.protos.get(b.proto[i]) ?? 0) + 1);
      const t = this.from + Math.floor((start - this.from) / this.bucketMs) * this.bucketMs;
      const bk = this.buckets.get(t);
      if (bk) {
        bk.flows++;
        bk.packets += b.packets[i];
        bk.bytes += b.bytes[i];
      } else this.buckets.set(t, { flows: 1, packets: b.packets[i], bytes: b.bytes[i] });
    }
  }

  /** The summary so far (`files` read). */
  summary(files: number, skipped: { file: string; reason: string }[] = []): InvestigateSummary {
    const series: { t: number; flows: number; packets: number; bytes: number }[] = [];
    for (let t = this.from; t < this.to && series.length < 10_000; t += this.bucketMs) series.push({ t, flows: 0, packets: 0, bytes: 0, ...this.buckets.get(t) });
    return {
      target: prefixToString(this.target),
      source: 'nfcapd',
      from: this.from,
      to: this.to,
      files,
      flows: this.flows,
      packets: this.packets,
      bytes: this.bytes,
      asSource: this.asSource,
      asDestination: this.asDestination,
      topPeers: [...this.peers.entries()]
        .map(([k, v]) => ({ ip: typeof k === 'number' ? v4ToString(k) : k, ...v }))
        .sort((a, b) => b.flows - a.flows || b.bytes - a.bytes || a.ip.localeCompare(b.ip))
        .slice(0, 20),
      topPorts: [...this.ports.entries()]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, 20)
        .map(([k, flows]) => ({ proto: Math.floor(k / 65536), port: k % 65536, flows })),
      protocols: [...this.protos.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([proto, flows]) => ({ proto, flows })),
      series,
      bucketMs: this.bucketMs,
      skipped,
      ...(this.other.flows > 0 ? { otherPeers: { peers: this.maxPeers, ...this.other } } : {}),
    };
  }
}

/** Progress of a running investigation. */
export interface InvestigateProgress {
  filesDone: number;
  filesTotal: number;
  flows: number;
}

/** Error of an investigation as a whole (bad target, cancelled). */
export class InvestigateError extends Error {
  constructor(message: string, readonly reason: 'BAD_TARGET' | 'CANCELLED', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvestigateError';
  }
}

/** Options of {@link runInvestigate}. */
export interface InvestigateOptions {
  /** nfcapd directory (flat or `-S` layout). */
  dir: string;
  /** Where flows come from (flowSourceFrom(config)). */
  source: FlowSource;
  /** IP or prefix text; validated here before it reaches a reader. */
  target: string;
  /** [from, to) epoch ms. */
  from: number;
  to: number;
  signal?: AbortSignal;
  onProgress?: (p: InvestigateProgress) => void;
  /** nfcapd rotation interval (ms): which files overlap the range. Default 300 000. */
  intervalMs?: number;
  /** Files read at once (default 2). */
  concurrency?: number;
  /** Distinct peers kept (limits.investigatePeers); the rest are summed in `otherPeers`. Default unbounded. */
  maxPeers?: number;
}

/** Completed files whose interval overlaps [from, to). */
export function filesInRange(dir: string, from: number, to: number, intervalMs = 300_000): string[] {
  return listCompleted(dir)
    .filter((f) => f.time + intervalMs > from && f.time < to)
    .map((f) => f.path);
}

/**
 * Investigate `target` over [from, to) in the nfcapd files of `dir`: each overlapping file is read once with a
 * host/net predicate; unreadable files are skipped with their reason. Rejects with InvestigateError (CANCELLED)
 * when the signal aborts (readers stop, nfdump processes are killed).
 */
export async function runInvestigate(opts: InvestigateOptions): Promise<InvestigateSummary> {
  let target: Prefix;
  try {
    target = parsePrefix(opts.target, { loose: true });
  } catch (err) {
    throw new InvestigateError((err as Error).message, 'BAD_TARGET', { cause: err });
  }
  const files = filesInRange(opts.dir, opts.from, opts.to, opts.intervalMs);
  const acc = new InvestigateAccumulator(target, opts.from, opts.to, opts.maxPeers);
  const filter = targetFilter(target);
  const skipped: { file: string; reason: string }[] = [];
  let done = 0;
  let next = 0;
  const cancelled = () => new InvestigateError('investigation cancelled', 'CANCELLED');
  opts.onProgress?.({ filesDone: 0, filesTotal: files.length, flows: 0 });
  const worker = async () => {
    while (next < files.length) {
      if (opts.signal?.aborted) throw cancelled();
      const file = files[next++];
      const reason = await readFile(opts.source, file, filter, acc, opts);
      if (opts.signal?.aborted) throw cancelled();
      if (reason) skipped.push({ file, reason });
      done++;
      opts.onProgress?.({ filesDone: done, filesTotal: files.length, flows: acc.flows });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 2, files.length)) }, worker));
  return acc.summary(files.length, skipped);
}

/** Read one file into the accumulator; resolves to the reader's reason when it could not read the file. */
async function readFile(source: FlowSource, file: string, filter: FlowFilter, acc: InvestigateAccumulator, opts: InvestigateOptions): Promise<string | undefined> {
  try {
    for await (const b of source.read([file], { filter, timeWindow: { from: opts.from, to: opts.to }, signal: opts.signal, batchSize: 16384 })) acc.add(b);
  } catch (err) {
    if (opts.signal?.aborted) return undefined;
    if (err instanceof FlowSourceError) return err.reason;
    throw err;
  }
  return undefined;
}
