/**
 * The native FlowSource driver (thin shell): reads nfcapd files itself with `fs.readSync` — the 40-byte header, the
 * appendix at offAppendix, then block by block into two reused 5 MiB buffers — and hands the bytes to the pure
 * {@link NffileReader}. A file is never read into memory whole. Between blocks it yields to the event loop and
 * honours the AbortSignal.
 *
 * A file that cannot be read at all (not an nffile, damaged header, encrypted, ...) rejects with FlowSourceError
 * (file, one-line reason). A damaged or cut-short file delivers every intact block, and its counters (onFile) say
 * `partial`. nfdump 1.6 (LAYOUT_VERSION_1) and 1.8 (LAYOUT_VERSION_3) files go to the `fallback` source (the nfdump
 * driver) when one is given, with the reason in the counters.
 */
import fs from 'node:fs';
import { FlowSourceError } from '../../engine/nfdump-source.js';
import { fileProblem, NffileReader, outsideWindow, createBlockBuffers, type BlockBuffers, type ByteSource, type NffileInfo } from './reader.js';
import { NffileFormatError } from './format.js';
import type { FlowBatch } from './flow-batch.js';
import type { RowPredicate } from './block.js';

/** What the driver reports per file. */
export interface NativeFileInfo extends Partial<NffileInfo> {
  file: string;
  /** 'native', or 'fallback' when the file went to the fallback source. */
  reader: 'native' | 'fallback';
  /** Why the file was not decoded natively (fallback), or skipped (outside the time window). */
  note?: string;
  /** True when the whole file was skipped (its stat record lies outside the requested time window). */
  skipped?: boolean;
}

/** Read options the driver understands. */
export interface NativeReadOptions {
  signal?: AbortSignal;
  /** Rows per batch (default 65536). */
  batchSize?: number;
  /** Skip a whole file whose stat record lies outside [from, to) epoch ms, without decoding it. */
  timeWindow?: { from: number; to: number };
  /** Row predicate applied while decoding. */
  keep?: RowPredicate;
  /** Per-file counters, called after each file (also for a file that failed after delivering rows). */
  onFile?: (info: NativeFileInfo) => void;
}

/** A source the driver hands nfdump 1.6/1.8 files to. */
export interface FallbackSource {
  read(files: string[], opts?: { signal?: AbortSignal; batchSize?: number }): AsyncIterable<unknown>;
}

/** Options of the driver. */
export interface NativeSourceOptions {
  /** Where LAYOUT_VERSION_1/3 files go (the nfdump driver); without it they reject. */
  fallback?: FallbackSource;
  /** Largest share of skipped records before a file is an error (default 0.1). */
  maxSkippedShare?: number;
}

/** The native source. */
export interface NativeSource {
  read(files: string[], opts?: NativeReadOptions): AsyncIterable<FlowBatch>;
}

/** Create the native nffile FlowSource driver. */
export function createNativeSource(opts: NativeSourceOptions = {}): NativeSource {
  // Shared by every read of this source: safe, since a block is read, decompressed and decoded in one synchronous
  // step (NffileReader.next), so no read leaves bytes in them across an await.
  let buffers: BlockBuffers | undefined;
  return {
    async *read(files: string[], readOpts: NativeReadOptions = {}): AsyncIterable<FlowBatch> {
      buffers ??= createBlockBuffers();
      for (const file of files) {
        const fd = openFile(file);
        const reader = new NffileReader(fdSource(fd, file), { batchSize: readOpts.batchSize, keep: readOpts.keep, buffers });
        try {
          try {
            reader.open();
          } catch (e) {
            if (e instanceof NffileFormatError && (e.code === 'layout-v1' || e.code === 'layout-v3') && opts.fallback) {
              readOpts.onFile?.({ file, reader: 'fallback', note: e.reason });
              yield* opts.fallback.read([file], { signal: readOpts.signal, batchSize: readOpts.batchSize }) as AsyncIterable<FlowBatch>;
              continue;
            }
            throw asSourceError(file, e);
          }
          const info0 = reader.info();
          if (readOpts.timeWindow && outsideWindow(info0.stat, readOpts.timeWindow)) {
            readOpts.onFile?.({ file, reader: 'native', skipped: true, note: 'outside the time window', ...info0 });
            continue;
          }
          while (!reader.done) {
            if (readOpts.signal?.aborted) throw new FlowSourceError(`reading ${file} was cancelled`, file, 'cancelled');
            const b = reader.next();
            if (b) yield b;
            // Let timers and the AbortSignal run between blocks.
            await new Promise<void>((r) => setImmediate(r));
          }
          const last = reader.flush();
          if (last) yield last;
        } finally {
          closeQuietly(fd);
        }
        const info = reader.info();
        readOpts.onFile?.({ file, reader: 'native', ...info });
        const problem = fileProblem(info, opts.maxSkippedShare);
        if (problem) throw new FlowSourceError(`cannot read ${file}: ${problem}`, file, problem);
      }
    },
  };
}

function openFile(file: string): number {
  try {
    const fd = fs.openSync(file, 'r');
    if (!fs.fstatSync(fd).isFile()) {
      fs.closeSync(fd);
      throw new FlowSourceError(`cannot read ${file}: not a file`, file, 'not a file');
    }
    return fd;
  } catch (e) {
    if (e instanceof FlowSourceError) throw e;
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new FlowSourceError(`cannot read ${file}: ${reason}`, file, String(reason), { cause: e });
  }
}

/** A ByteSource over an open file descriptor (positional reads, so nothing else moves the file offset). */
function fdSource(fd: number, file: string): ByteSource {
  const size = fs.fstatSync(fd).size;
  return {
    size,
    read(position, into, length) {
      let got = 0;
      while (got < length) {
        let n: number;
        try {
          n = fs.readSync(fd, into, got, length - got, position + got);
        } catch (e) {
          throw new FlowSourceError(`cannot read ${file}: ${(e as Error).message}`, file, 'read error', { cause: e });
        }
        if (n === 0) break;
        got += n;
      }
      return got;
    },
  };
}

function asSourceError(file: string, e: unknown): FlowSourceError {
  if (e instanceof FlowSourceError) return e;
  const reason = e instanceof NffileFormatError ? e.reason : `unreadable: ${(e as Error).message}`;
  return new FlowSourceError(`cannot read ${file}: ${reason}`, file, reason, { cause: e });
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // nothing to do: the descriptor is gone either way
  }
}
