/**
 * FlowSource driver that runs `nfdump` (execa, argument arrays, TZ=UTC) and streams its `-o pipe` output through
 * {@link NfdumpPipeParser}: the fallback reader and the test oracle. Output is never buffered whole: batches are
 * yielded as stdout arrives, and reading pauses while the consumer works (back-pressure).
 *
 * `nfdump -E` lists the file's exporters first; with one exporter the file is read in one pass, with several, one
 * pass per exporter (`sysid N`), because the pipe format does not carry the exporter address. A structured
 * {@link FlowFilter} is rendered as nfdump filter text; `timeWindow` is applied per row.
 */
import { execa } from 'execa';
import { cancelledRead, FlowSourceError } from '../errors.js';
import { nfdumpFilterText } from './filter-text.js';
import { NfdumpPipeParser, parseExporterList, type ExporterInfo, type ParseStats } from './pipe-text.js';
import type { FileReadInfo, FlowBatch, FlowReadOptions, FlowSource } from '../../engine/types.js';
import { lendBatches } from '../../engine/batch.js';

export interface NfdumpSourceOptions {
  /** nfdump binary (default 'nfdump'). */
  bin?: string;
}

/** Build the nfdump argument list for one pass over one file (`filter` is nfdump text). Pure; for argument-exact tests. */
export function nfdumpArgs(file: string, filter?: string, sysId?: number): string[] {
  const parts: string[] = [];
  if (filter && filter.trim() !== '') parts.push(`(${filter})`);
  if (sysId !== undefined) parts.push(`sysid ${sysId}`);
  const args = ['-r', file, '-q', '-o', 'pipe'];
  if (parts.length > 0) args.push(parts.join(' and '));
  return args;
}

/** Keep only the rows of `b` whose start lies in [from, to) (in place). */
function keepTimeWindow(b: FlowBatch, w: { from: number; to: number }): FlowBatch {
  let k = 0;
  for (let i = 0; i < b.size; i++) {
    const st = b.start[i];
    if (st < w.from || st >= w.to) continue;
    if (k !== i) copyRow(b, i, k);
    k++;
  }
  b.size = k;
  return b;
}

function copyRow(b: FlowBatch, from: number, to: number): void {
  b.family[to] = b.family[from];
  b.srcV4[to] = b.srcV4[from];
  b.dstV4[to] = b.dstV4[from];
  b.src6.copyWithin(4 * to, 4 * from, 4 * from + 4);
  b.dst6.copyWithin(4 * to, 4 * from, 4 * from + 4);
  b.sport[to] = b.sport[from];
  b.dport[to] = b.dport[from];
  b.proto[to] = b.proto[from];
  b.flags[to] = b.flags[from];
  b.packets[to] = b.packets[from];
  b.bytes[to] = b.bytes[from];
  b.start[to] = b.start[from];
  b.end[to] = b.end[from];
  b.inIf[to] = b.inIf[from];
  b.outIf[to] = b.outIf[from];
  b.exporterIdx[to] = b.exporterIdx[from];
  b.srcAs[to] = b.srcAs[from];
  b.dstAs[to] = b.dstAs[from];
}

/** Create the nfdump-backed FlowSource. */
export function createNfdumpSource(opts: NfdumpSourceOptions = {}): FlowSource {
  const bin = opts.bin ?? 'nfdump';
  return {
    async check() {
      // `nfdump -V` prints its version and exits 0; a missing or broken binary is the reader's fault.
      const r = await execa(bin, ['-V'], { reject: false, stdin: 'ignore', timeout: 10_000, env: { TZ: 'UTC' } });
      const code = r.code ?? (r.cause as { code?: string } | undefined)?.code;
      const fail = (reason: string) => new FlowSourceError(`${reason} (engine.nfdumpBin: ${bin})`, '', reason, { cause: r, fault: 'reader' });
      if (code === 'ENOENT' || code === 'EACCES') throw fail(`cannot run nfdump (${code === 'ENOENT' ? 'not found' : 'permission denied'})`);
      if (r.failed || r.exitCode !== 0) throw fail(`nfdump -V failed: ${lastMeaningfulLine(String(r.stderr)) || r.shortMessage}`);
      return `nfdump (${String(r.stdout).trim().split('\n')[0]})`;
    },
    async *read(files: string[], readOpts: FlowReadOptions = {}): AsyncIterable<FlowBatch> {
      const filterText = nfdumpFilterText(readOpts.filter);
      for (const file of files) {
        const exporters = await listExporters(bin, file, readOpts.signal);
        const stats: ParseStats = { rows: 0, badLines: 0 };
        const passes: (ExporterInfo | undefined)[] = exporters.length > 1 ? exporters : [exporters[0]];
        let records = 0;
        for (const ex of passes) {
          const pass = readPass(bin, file, readOpts, filterText, ex?.ip ?? '', exporters.length > 1 ? ex?.sysId : undefined);
          for await (const batch of pass.batches) {
            const b = readOpts.timeWindow ? keepTimeWindow(batch, readOpts.timeWindow) : batch;
            records += b.size;
            // The same contract as the native reader (a batch is valid until the next is asked for), so a consumer
            // that keeps one fails the same way whichever reader is configured.
            if (b.size > 0) yield* lendBatches([b]);
          }
          stats.rows += pass.stats.rows;
          stats.badLines += pass.stats.badLines;
        }
        const info: FileReadInfo = {
          file,
          reader: 'nfdump',
          records,
          skippedRecords: stats.badLines,
          exporters: exporters.map((e) => ({ ip: e.ip, sysId: e.sysId })),
        };
        readOpts.onFile?.(info);
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

/** What execa tells about a finished nfdump. */
interface NfdumpResult {
  failed: boolean;
  exitCode?: number;
  signal?: string;
  stderr?: unknown;
  shortMessage?: string;
  code?: string;
  cause?: unknown;
}

/**
 * Judge a finished nfdump run; throws FlowSourceError. A spawn failure (binary missing, not executable), a signal
 * (killed, out of memory) or a cancel is the reader's fault; a bad-file message on stderr is the file's.
 */
export function checkResult(result: NfdumpResult, file: string, signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelledRead(file);
  const stderr = String(result.stderr ?? '').trim();
  const spawnCode = result.code ?? (result.cause as { code?: string } | undefined)?.code;
  if (spawnCode === 'ENOENT' || spawnCode === 'EACCES') {
    const reason = `cannot run nfdump (${spawnCode === 'ENOENT' ? 'not found' : 'permission denied'})`;
    throw new FlowSourceError(`${reason} for ${file}`, file, reason, { cause: result, fault: 'reader' });
  }
  if (result.signal) {
    const reason = `nfdump was killed (${result.signal})`;
    throw new FlowSourceError(`${reason} reading ${file}`, file, reason, { cause: result, fault: 'reader' });
  }
  // nfdump 1.7.1 exits 0 on a corrupt file ("bad magic", "appendix offset error"): judge stderr too.
  if (result.failed || result.exitCode !== 0 || NFDUMP_ERROR.test(stderr)) {
    const reason = lastMeaningfulLine(stderr) || (result.exitCode === undefined ? String(result.shortMessage) : `nfdump exited with code ${result.exitCode}`);
    throw new FlowSourceError(`nfdump cannot read ${file}: ${reason}`, file, reason, { cause: result });
  }
}

function readPass(bin: string, file: string, readOpts: FlowReadOptions, filterText: string, exporter: string, sysId?: number) {
  const queue: FlowBatch[] = [];
  const parser = new NfdumpPipeParser((b) => queue.push(b), exporter, readOpts.batchSize ?? 65536);
  async function* batches(): AsyncIterable<FlowBatch> {
    const proc = execa(bin, nfdumpArgs(file, filterText, sysId), {
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
          if (readOpts.signal?.aborted) throw cancelledRead(file);
          yield queue.shift()!;
        }
      }
      parser.flush();
      // The output may all have arrived before the consumer cancelled: the rest is not handed out either.
      while (queue.length > 0) {
        if (readOpts.signal?.aborted) throw cancelledRead(file);
        yield queue.shift()!;
      }
    } finally {
      if (proc.exitCode === null && !proc.killed) proc.kill();
    }
    checkResult(await proc, file, readOpts.signal);
  }
  return { batches: batches(), stats: parser.stats };
}

/** stderr text that means nfdump could not read the file, even when it exits 0. */
export const NFDUMP_ERROR = /bad magic|error|corrupt|failed|not a file|cannot|unable|Open file|short read/i;

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  // The first line names the problem ("Open file x: bad magic: 0x424D"); later ones are nfdump's own call site.
  return lines.find((l) => !/^GetNextFile\(\)/.test(l)) ?? lines[0] ?? '';
}
