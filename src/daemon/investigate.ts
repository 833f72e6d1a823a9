/**
 * "What is this IP doing?": everything the nfcapd file store says about an IP or prefix over a time range — top
 * peers, ports and protocols and a flows-over-time series — through `nfdump -r FILE 'host X'` / `'net X/len'`, with
 * progress and cancellation. The accumulator is pure; `runInvestigate` is the thin shell around nfdump.
 *
 * Why not the engine's FlowSource: it asks `nfdump -E` for each file's exporters and reads a multi-exporter file once
 * per exporter (the pipe format lacks the exporter address). Investigate needs no exporter, so it reads each file in
 * ONE pass, and runs two files at a time (nfdump is single-threaded per file). Why not one `nfdump -R first:last`: a
 * file in the range that is not a flow file (or a corrupt one) ends the whole read ("Unexpected end of file list"),
 * and per-file runs give honest progress and let a bad file be skipped with its reason.
 */
import { execa } from 'execa';
import { listCompleted } from '../engine/watcher.js';
import { NfdumpPipeParser } from '../engine/nfdump-text.js';
import type { FlowBatch } from '../engine/types.js';
import { parsePrefix, prefixContains, prefixToString, v4ToNumber, v4ToString, type Prefix } from '../util/ip.js';

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
  /** Flows per bucket (`bucketMs`, one minute unless the range is long), oldest first; empty buckets included. */
  series: { t: number; flows: number }[];
  /** Width of a series bucket in ms (60 000 up to two hours, wider beyond so the series stays ≤ 120 points). */
  bucketMs?: number;
  /** Files nfdump could not read, with its reason (skipped, not fatal). */
  skipped?: { file: string; reason: string }[];
}

/** nfdump filter for a validated target (never raw user text). */
export function targetFilter(p: Prefix): string {
  const full = p.length === (p.family === 4 ? 32 : 128);
  return full ? `host ${p.address}` : `net ${prefixToString(p)}`;
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
  private readonly buckets = new Map<number, number>();
  private readonly v4lo: number;
  private readonly v4hi: number;
  readonly bucketMs: number;
  flows = 0;
  packets = 0;
  bytes = 0;
  asSource = 0;
  asDestination = 0;

  constructor(private readonly target: Prefix, private readonly from: number, private readonly to: number) {
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
        const src = b.src6[i]!;
        isSrc = this.target.family === 6 && prefixContains(this.target, src);
        if (!isSrc && !(this.target.family === 6 && prefixContains(this.target, b.dst6[i]!))) continue;
        peer = isSrc ? b.dst6[i]! : src;
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
      } else this.peers.set(peer, { flows: 1, bytes: b.bytes[i] });
      // The service port: the far end's destination port when the target is the client; when the target is the
      // destination, its own (lower) port.
      const port = isSrc ? b.dport[i] : Math.min(b.sport[i], b.dport[i]);
      const pk = b.proto[i] * 65536 + port;
      this.ports.set(pk, (this.ports.get(pk) ?? 0) + 1);
      this.protos.set(b.proto[i], (this.protos.get(b.proto[i]) ?? 0) + 1);
      const t = this.from + Math.floor((start - this.from) / this.bucketMs) * this.bucketMs;
      this.buckets.set(t, (this.buckets.get(t) ?? 0) + 1);
    }
  }

  /** The summary so far (`files` read). */
  summary(files: number, skipped: { file: string; reason: string }[] = []): InvestigateSummary {
    const series: { t: number; flows: number }[] = [];
    for (let t = this.from; t < this.to && series.length < 10_000; t += this.bucketMs) series.push({ t, flows: this.buckets.get(t) ?? 0 });
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
  /** IP or prefix text; validated here before it reaches nfdump. */
  target: string;
  /** [from, to) epoch ms. */
  from: number;
  to: number;
  signal?: AbortSignal;
  onProgress?: (p: InvestigateProgress) => void;
  /** nfcapd rotation interval (ms): which files overlap the range. Default 300 000. */
  intervalMs?: number;
  /** nfdump binary (default 'nfdump'). */
  bin?: string;
  /** nfdump processes at once (default 2). */
  concurrency?: number;
}

/** Completed files whose interval overlaps [from, to). */
export function filesInRange(dir: string, from: number, to: number, intervalMs = 300_000): string[] {
  return listCompleted(dir)
    .filter((f) => f.time + intervalMs > from && f.time < to)
    .map((f) => f.path);
}

/**
 * Investigate `target` over [from, to) in the nfcapd files of `dir`: each overlapping file is read once with an
 * nfdump host/net filter; unreadable files are skipped with their reason. Rejects with InvestigateError (CANCELLED)
 * when the signal aborts; nfdump processes are killed.
 */
export async function runInvestigate(opts: InvestigateOptions): Promise<InvestigateSummary> {
  let target: Prefix;
  try {
    target = parsePrefix(opts.target, { loose: true });
  } catch (err) {
    throw new InvestigateError((err as Error).message, 'BAD_TARGET', { cause: err });
  }
  const files = filesInRange(opts.dir, opts.from, opts.to, opts.intervalMs);
  const acc = new InvestigateAccumulator(target, opts.from, opts.to);
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
      const reason = await readFile(opts.bin ?? 'nfdump', file, filter, acc, opts.signal);
      if (opts.signal?.aborted) throw cancelled();
      if (reason) skipped.push({ file, reason });
      done++;
      opts.onProgress?.({ filesDone: done, filesTotal: files.length, flows: acc.flows });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 2, files.length)) }, worker));
  return acc.summary(files.length, skipped);
}

/** Read one file into the accumulator; resolves to nfdump's reason when it could not read the file. */
async function readFile(bin: string, file: string, filter: string, acc: InvestigateAccumulator, signal?: AbortSignal): Promise<string | undefined> {
  const parser = new NfdumpPipeParser((b) => acc.add(b), '', 16384);
  const proc = execa(bin, ['-r', file, '-q', '-o', 'pipe', filter], {
    env: { TZ: 'UTC' },
    buffer: { stdout: false, stderr: true },
    stdin: 'ignore',
    reject: false,
    cancelSignal: signal,
    maxBuffer: { stderr: 1_000_000 },
  });
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) parser.push(chunk);
    parser.flush();
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    if (proc.exitCode === null && !proc.killed) proc.kill();
  }
  const r = await proc;
  if (signal?.aborted) return undefined;
  const stderr = String(r.stderr ?? '').trim();
  // nfdump 1.7.1 exits 0 on some corrupt files: judge stderr as well (as src/engine/nfdump-source.ts does).
  if (r.failed || r.exitCode !== 0 || /bad magic|error|corrupt|short read|cannot|unable/i.test(stderr)) {
    return stderr.split('\n')[0] || `nfdump exited with code ${String(r.exitCode)}`;
  }
  return undefined;
}
