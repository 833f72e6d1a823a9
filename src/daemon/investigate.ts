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
import { U32Map } from '../engine/tables.js';
import type { FileReadInfo, FlowBatch, FlowFilter, FlowSource } from '../engine/types.js';
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
   * How the files were read (nfcapd files): the files whose block index was used, the data blocks of all files and
   * those passed over unread (see the native reader's block index).
   */
  reading?: { indexedFiles: number; blocks: number; blocksUnread: number };
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
  /** IPv4 peer → its slot in peerFlows / peerBytes / peerV4; IPv6 peers (text) have theirs in peers6. */
  private readonly peers4 = new U32Map(1024);
  private readonly peers6 = new Map<string, number>();
  /** Slot → IPv6 peer text (IPv4 slots have none). */
  private readonly texts6 = new Map<number, string>();
  private peerCount = 0;
  private peerFlows = new Float64Array(1024);
  private peerBytes = new Float64Array(1024);
  private peerV4 = new Uint32Array(1024);
  private readonly ports = new Map<number, number>();
  private readonly protos = new Float64Array(256);
  /** Per series bucket (index from `from`): flows, packets, bytes. */
  private readonly bucketFlows: Float64Array;
  private readonly bucketPackets: Float64Array;
  private readonly bucketBytes: Float64Array;
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
    const n = Math.min(SERIES_MAX, Math.max(1, Math.ceil((to - from) / this.bucketMs)));
    this.bucketFlows = new Float64Array(n);
    this.bucketPackets = new Float64Array(n);
    this.bucketBytes = new Float64Array(n);
  }

  /** Add the flows of a batch that start inside [from, to) and touch the target. */
  add(b: FlowBatch): void {
    const { v4lo, v4hi, from, to, bucketMs } = this;
    for (let i = 0; i < b.size; i++) {
      const start = b.start[i];
      if (start < from || start >= to) continue;
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
      const packets = b.packets[i];
      const bytes = b.bytes[i];
      this.flows++;
      this.packets += packets;
      this.bytes += bytes;
      const slot = this.peerSlot(peer);
      if (slot >= 0) {
        this.peerFlows[slot]++;
        this.peerBytes[slot] += bytes;
      } else {
        this.other.flows++;
        this.other.bytes += bytes;
      }
      // The service port: the far end's destination port when the target is the client; when the target is the
      // destination, its own (lower) port.
      const port = isSrc ? b.dport[i] : Math.min(b.sport[i], b.dport[i]);
      const pk = b.proto[i] * 65536 + port;
      this.ports.set(pk, (this.ports.get(pk) ?? 0) + 1);
      this.protos[b.proto[i]]++;
      const k = Math.floor((start - from) / bucketMs);
      if (k < this.bucketFlows.length) {
        this.bucketFlows[k]++;
        this.bucketPackets[k] += packets;
        this.bucketBytes[k] += bytes;
      }
    }
  }

  /** The slot of a peer (a new one while fewer than maxPeers are kept), or -1 when it is one too many. */
  private peerSlot(peer: string | number): number {
    const slot = typeof peer === 'number' ? this.peers4.get(peer) : (this.peers6.get(peer) ?? -1);
    if (slot >= 0) return slot;
    const n = this.peerCount;
    if (n >= this.maxPeers) return -1;
    if (n === this.peerFlows.length) {
      const f = new Float64Array(2 * n), by = new Float64Array(2 * n), v4 = new Uint32Array(2 * n);
      f.set(this.peerFlows);
      by.set(this.peerBytes);
      v4.set(this.peerV4);
      this.peerFlows = f;
      this.peerBytes = by;
      this.peerV4 = v4;
    }
    if (typeof peer === 'number') {
      this.peers4.getOrInsert(peer, n);
      this.peerV4[n] = peer;
    } else {
      this.peers6.set(peer, n);
      this.texts6.set(n, peer);
    }
    this.peerCount = n + 1;
    return n;
  }

  /**
   * The `n` peers with the most flows (then bytes, then address text), best first, in one pass: the address text
   * is made only for a peer that ties with the last of those kept.
   */
  private topPeers(n: number): { ip: string; flows: number; bytes: number }[] {
    const { peerFlows: flows, peerBytes: bytes } = this;
    const text = (s: number) => this.texts6.get(s) ?? v4ToString(this.peerV4[s]);
    // > 0 when slot a ranks before slot b.
    const before = (a: number, b: number) => flows[a] - flows[b] || bytes[a] - bytes[b] || text(b).localeCompare(text(a));
    const best: number[] = [];
    for (let s = 0; s < this.peerCount; s++) {
      if (best.length === n) {
        const last = best[n - 1];
        if (flows[s] < flows[last] || before(s, last) <= 0) continue;
        best.pop();
      }
      let k = best.length;
      while (k > 0 && before(s, best[k - 1]) > 0) k--;
      best.splice(k, 0, s);
    }
    return best.map((s) => ({ ip: text(s), flows: flows[s], bytes: bytes[s] }));
  }

  /** The summary so far (`files` read). */
  summary(files: number, skipped: { file: string; reason: string }[] = []): InvestigateSummary {
    const series: { t: number; flows: number; packets: number; bytes: number }[] = [];
    for (let k = 0; k < this.bucketFlows.length; k++) {
      series.push({ t: this.from + k * this.bucketMs, flows: this.bucketFlows[k], packets: this.bucketPackets[k], bytes: this.bucketBytes[k] });
    }
    const protocols: { proto: number; flows: number }[] = [];
    for (let p = 0; p < 256; p++) if (this.protos[p] > 0) protocols.push({ proto: p, flows: this.protos[p] });
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
      topPeers: this.topPeers(20),
      topPorts: [...this.ports.entries()]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, 20)
        .map(([k, flows]) => ({ proto: Math.floor(k / 65536), port: k % 65536, flows })),
      protocols: protocols.sort((a, b) => b.flows - a.flows || a.proto - b.proto),
      series,
      bucketMs: this.bucketMs,
      skipped,
      ...(this.other.flows > 0 ? { otherPeers: { peers: this.maxPeers, ...this.other } } : {}),
    };
  }
}

/** Most series buckets a summary holds. */
const SERIES_MAX = 10_000;

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
  const reading = { indexedFiles: 0, blocks: 0, blocksUnread: 0 };
  let done = 0;
  let next = 0;
  const cancelled = () => new InvestigateError('investigation cancelled', 'CANCELLED');
  opts.onProgress?.({ filesDone: 0, filesTotal: files.length, flows: 0 });
  const worker = async () => {
    while (next < files.length) {
      if (opts.signal?.aborted) throw cancelled();
      const file = files[next++];
      const reason = await readFile(opts.source, file, filter, acc, opts, reading);
      if (opts.signal?.aborted) throw cancelled();
      if (reason) skipped.push({ file, reason });
      done++;
      opts.onProgress?.({ filesDone: done, filesTotal: files.length, flows: acc.flows });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 2, files.length)) }, worker));
  return { ...acc.summary(files.length, skipped), reading };
}

/** Read one file into the accumulator; resolves to the reader's reason when it could not read the file. */
async function readFile(source: FlowSource, file: string, filter: FlowFilter, acc: InvestigateAccumulator, opts: InvestigateOptions, reading: NonNullable<InvestigateSummary['reading']>): Promise<string | undefined> {
  const onFile = (i: FileReadInfo) => {
    if (i.index === 'used') reading.indexedFiles++;
    reading.blocks += i.blocksExpected ?? 0;
    reading.blocksUnread += i.blocksUnread ?? 0;
  };
  try {
    for await (const b of source.read([file], { filter, timeWindow: { from: opts.from, to: opts.to }, signal: opts.signal, batchSize: 16384, onFile })) acc.add(b);
  } catch (err) {
    if (opts.signal?.aborted) return undefined;
    if (err instanceof FlowSourceError) return err.reason;
    throw err;
  }
  return undefined;
}
