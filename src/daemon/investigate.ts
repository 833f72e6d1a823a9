/**
 * "What is this IP doing?": everything the nfcapd file store says about an IP or prefix over a time range —
 * top peers, ports and protocols and a flows-over-time series — through `nfdump 'host X'` / `'net X/len'`, with
 * progress and cancellation. The summary is pure; the runner is the thin shell around the FlowSource.
 */
import { listCompleted } from '../engine/watcher.js';
import type { FlowBatch, FlowSource } from '../engine/types.js';
import { parsePrefix, prefixContains, prefixToString, v4ToString, type Prefix } from '../util/ip.js';

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
  /** Flows per minute, oldest first. */
  series: { t: number; flows: number }[];
}

/** nfdump filter for a validated target (never raw user text). */
export function targetFilter(p: Prefix): string {
  const full = p.length === (p.family === 4 ? 32 : 128);
  return full ? `host ${p.address}` : `net ${prefixToString(p)}`;
}

/** Accumulates batches into a summary (pure). */
export class InvestigateAccumulator {
  private readonly peers = new Map<string, { flows: number; bytes: number }>();
  private readonly ports = new Map<string, number>();
  private readonly protos = new Map<number, number>();
  private readonly minutes = new Map<number, number>();
  flows = 0;
  packets = 0;
  bytes = 0;
  asSource = 0;
  asDestination = 0;

  constructor(private readonly target: Prefix, private readonly from: number, private readonly to: number) {}

  add(b: FlowBatch): void {
    for (let i = 0; i < b.size; i++) {
      if (b.start[i] < this.from || b.start[i] >= this.to) continue;
      const src = b.family[i] === 4 ? v4ToString(b.srcV4[i]) : b.src6[i]!;
      const dst = b.family[i] === 4 ? v4ToString(b.dstV4[i]) : b.dst6[i]!;
      const isSrc = prefixContains(this.target, src);
      const peer = isSrc ? dst : src;
      if (isSrc) this.asSource++;
      else this.asDestination++;
      this.flows++;
      this.packets += b.packets[i];
      this.bytes += b.bytes[i];
      const p = this.peers.get(peer) ?? { flows: 0, bytes: 0 };
      p.flows++;
      p.bytes += b.bytes[i];
      this.peers.set(peer, p);
      const port = isSrc ? b.dport[i] : b.sport[i] < b.dport[i] ? b.sport[i] : b.dport[i];
      const pk = `${b.proto[i]}/${port}`;
      this.ports.set(pk, (this.ports.get(pk) ?? 0) + 1);
      this.protos.set(b.proto[i], (this.protos.get(b.proto[i]) ?? 0) + 1);
      const m = Math.floor(b.start[i] / 60_000) * 60_000;
      this.minutes.set(m, (this.minutes.get(m) ?? 0) + 1);
    }
  }

  summary(files: number): InvestigateSummary {
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
      topPeers: [...this.peers.entries()].sort((a, b) => b[1].flows - a[1].flows || a[0].localeCompare(b[0])).slice(0, 20).map(([ip, v]) => ({ ip, ...v })),
      topPorts: [...this.ports.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, flows]) => ({ proto: Number(k.split('/')[0]), port: Number(k.split('/')[1]), flows })),
      protocols: [...this.protos.entries()].sort((a, b) => b[1] - a[1]).map(([proto, flows]) => ({ proto, flows })),
      series: [...this.minutes.entries()].sort((a, b) => a[0] - b[0]).map(([t, flows]) => ({ t, flows })),
    };
  }
}

/** Progress of a running investigation. */
export interface InvestigateProgress {
  filesDone: number;
  filesTotal: number;
  flows: number;
}

/**
 * Investigate `target` (IP or prefix text; validated here) over [from, to) epoch ms in the nfcapd files of `dir`.
 * Files whose interval overlaps the range are read with an nfdump host/net filter.
 */
export async function runInvestigate(opts: {
  dir: string;
  target: string;
  from: number;
  to: number;
  source: FlowSource;
  signal?: AbortSignal;
  onProgress?: (p: InvestigateProgress) => void;
  intervalMs?: number;
}): Promise<InvestigateSummary> {
  const target = parsePrefix(opts.target, { loose: true });
  const interval = opts.intervalMs ?? 300_000;
  const files = listCompleted(opts.dir).filter((f) => f.time + interval > opts.from && f.time < opts.to);
  const acc = new InvestigateAccumulator(target, opts.from, opts.to);
  let done = 0;
  for (const f of files) {
    for await (const b of opts.source.read([f.path], { filter: targetFilter(target), signal: opts.signal })) acc.add(b);
    done++;
    opts.onProgress?.({ filesDone: done, filesTotal: files.length, flows: acc.flows });
  }
  return acc.summary(files.length);
}
