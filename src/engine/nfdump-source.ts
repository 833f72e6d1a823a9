/**
 * FlowSource driver that runs `nfdump` (execa, argument arrays, TZ=UTC) and streams its `-o pipe` output through
 * {@link NfdumpPipeParser}. Output is never buffered whole: batches are yielded as stdout arrives, and reading
 * pauses while the consumer works (back-pressure).
 *
 * `nfdump -E` lists the file's exporters first; with one exporter the file is read in one pass, with several, one
 * pass per exporter (`sysid N`), because the pipe format does not carry the exporter address. The decode is cheap
 * (FIELD-NOTES: ~30 M flows/s); printing is the cost, and pipe is nfdump's cheapest text.
 */
import { execa } from 'execa';
import { NfdumpPipeParser, parseExporterList, type ExporterInfo, type ParseStats } from './nfdump-text.js';
import type { FlowBatch, FlowReadOptions, FlowRecord, FlowSource } from './types.js';
import { v4ToString } from '../util/ip.js';

/** A file nfdump could not read, with nfdump's own reason. */
export class FlowSourceError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FlowSourceError';
  }
}

export interface NfdumpSourceOptions {
  /** nfdump binary (default 'nfdump'). */
  bin?: string;
  /** Called after each file with the parser's counters. */
  onFileDone?: (file: string, stats: ParseStats) => void;
}

/** Build the nfdump argument list for one pass over one file. Pure; exported for argument-exact tests. */
export function nfdumpArgs(file: string, filter?: string, sysId?: number): string[] {
  const parts: string[] = [];
  if (filter && filter.trim() !== '') parts.push(`(${filter})`);
  if (sysId !== undefined) parts.push(`sysid ${sysId}`);
  const args = ['-r', file, '-q', '-o', 'pipe'];
  if (parts.length > 0) args.push(parts.join(' and '));
  return args;
}

/** Create the nfdump-backed FlowSource. */
export function createNfdumpSource(opts: NfdumpSourceOptions = {}): FlowSource {
  const bin = opts.bin ?? 'nfdump';
  return {
    async *read(files: string[], readOpts: FlowReadOptions = {}): AsyncIterable<FlowBatch> {
      for (const file of files) {
        const exporters = await listExporters(bin, file, readOpts.signal);
        const stats: ParseStats = { rows: 0, badLines: 0 };
        const passes: (ExporterInfo | undefined)[] = exporters.length > 1 ? exporters : [exporters[0]];
        for (const ex of passes) {
          const pass = readPass(bin, file, readOpts, ex?.ip ?? '', exporters.length > 1 ? ex?.sysId : undefined);
          for await (const batch of pass.batches) yield batch;
          stats.rows += pass.stats.rows;
          stats.badLines += pass.stats.badLines;
        }
        opts.onFileDone?.(file, stats);
      }
    },
  };
}

/** The exporters of a file (`nfdump -E`); rejects with FlowSourceError when nfdump cannot read it. */
export async function listExporters(bin: string, file: string, signal?: AbortSignal): Promise<ExporterInfo[]> {
  const r = await execa(bin, ['-E', file], { env: { TZ: 'UTC' }, reject: false, stdin: 'ignore', cancelSignal: signal, maxBuffer: 10_000_000 });
  checkResult(r, file, signal);
  return parseExporterList(String(r.stdout));
}

function checkResult(result: { failed: boolean; exitCode?: number; stderr?: unknown; shortMessage?: string }, file: string, signal?: AbortSignal): void {
  if (signal?.aborted) throw new FlowSourceError(`reading ${file} was cancelled`, file, 'cancelled');
  const stderr = String(result.stderr ?? '').trim();
  // nfdump 1.7.1 exits 0 on a corrupt file ("bad magic", "appendix offset error"): judge stderr too.
  if (result.failed || result.exitCode !== 0 || NFDUMP_ERROR.test(stderr)) {
    const reason = lastMeaningfulLine(stderr) || (result.exitCode === undefined ? String(result.shortMessage) : `nfdump exited with code ${result.exitCode}`);
    throw new FlowSourceError(`nfdump cannot read ${file}: ${reason}`, file, reason, { cause: result });
  }
}

function readPass(bin: string, file: string, readOpts: FlowReadOptions, exporter: string, sysId?: number) {
  const queue: FlowBatch[] = [];
  const parser = new NfdumpPipeParser((b) => queue.push(b), exporter, readOpts.batchSize ?? 65536);
  async function* batches(): AsyncIterable<FlowBatch> {
    const proc = execa(bin, nfdumpArgs(file, readOpts.filter, sysId), {
      env: { TZ: 'UTC' },
      buffer: { stdout: false, stderr: true },
      stdin: 'ignore',
      reject: false,
      cancelSignal: readOpts.signal,
      maxBuffer: { stderr: 1_000_000 },
    });
    try {
      for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
        parser.push(chunk);
        while (queue.length > 0) {
          if (readOpts.signal?.aborted) throw new FlowSourceError(`reading ${file} was cancelled`, file, 'cancelled');
          yield queue.shift()!;
        }
      }
      parser.flush();
      while (queue.length > 0) yield queue.shift()!;
    } finally {
      if (proc.exitCode === null && !proc.killed) proc.kill();
    }
    checkResult(await proc, file, readOpts.signal);
  }
  return { batches: batches(), stats: parser.stats };
}

/** stderr text that means nfdump could not read the file, even when it exits 0. */
const NFDUMP_ERROR = /bad magic|error|corrupt|failed|not a file|cannot|unable|Open file/i;

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  // The first line names the problem ("Open file x: bad magic: 0x424D"); later ones are nfdump's own call site.
  return lines.find((l) => !/^GetNextFile\(\)/.test(l)) ?? lines[0] ?? '';
}

/** Row `i` of a batch as a plain {@link FlowRecord} (for cold paths: investigate, tests). */
export function batchRow(b: FlowBatch, i: number): FlowRecord {
  const v6 = b.family[i] === 6;
  return {
    src: v6 ? b.src6[i]! : v4ToString(b.srcV4[i]),
    dst: v6 ? b.dst6[i]! : v4ToString(b.dstV4[i]),
    sport: b.sport[i],
    dport: b.dport[i],
    proto: b.proto[i],
    flags: b.flags[i],
    packets: b.packets[i],
    bytes: b.bytes[i],
    start: b.start[i],
    end: b.end[i],
    inIf: b.inIf[i],
    outIf: b.outIf[i],
    exporter: b.exporters[b.exporterIdx[i]] ?? '',
    srcAs: b.srcAs[i],
    dstAs: b.dstAs[i],
  };
}

/** Convenience: stream plain records from files. */
export async function* readFlowRecords(source: FlowSource, files: string[], opts?: FlowReadOptions): AsyncIterable<FlowRecord> {
  for await (const b of source.read(files, opts)) for (let i = 0; i < b.size; i++) yield batchRow(b, i);
}
