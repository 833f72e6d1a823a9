/**
 * The native FlowSource driver (thin shell): reads nfcapd files itself with `fs.readSync` — the 40-byte header, the
 * appendix at offAppendix, then block by block into two reused 5 MiB buffers — and hands the bytes to the pure
 * {@link NffileReader}. A file is never read into memory whole. Between blocks it yields to the event loop and
 * honours the AbortSignal.
 *
 * Batches follow the FlowSource contract: each is lent until the consumer asks for the next, then its buffers are
 * refilled (two batches circulate per file instead of one allocation per 65 536 rows).
 *
 * The structured filter is compiled once and applied per row as rows are decoded; when it requires an address, only
 * the flow records whose bytes hold that address (a search of each block for its stored bytes) are decoded at all.
 * `timeWindow` skips a whole file whose stat record lies outside it (without decoding) and filters the rows of the
 * others. With `indexDir`, a whole read writes the file's block index and a read for single hosts or a time range
 * passes over the blocks the index rules out (block-index.ts, index-files.ts). A file that cannot be
 * read at all (not an nffile, damaged header, encrypted, ...) rejects with FlowSourceError (file, one-line reason);
 * so does a file whose stat record counts flows none of which decoded, or with too many skipped records. A damaged
 * or cut-short file delivers every intact block, and its FileReadInfo says `partial`. nfdump 1.6 (LAYOUT_VERSION_1)
 * and 1.8 (LAYOUT_VERSION_3) files go to the `fallback` source (the nfdump driver), with the reason in `fallback`.
 */
import fs from 'node:fs';
import { cancelledRead, FlowSourceError } from '../errors.js';
import { compileFilter, filterNeedles, isEmptyFilter } from '../../engine/filter.js';
import { lendBatches } from '../../engine/batch.js';
import type { FileOpenInfo, FileReadInfo, FlowBatch, FlowReadOptions, FlowSource } from '../../engine/types.js';
import { fileProblem, NffileReader, outsideWindow, createBlockBuffers, type BlockBuffers, type ByteSource, type NffileInfo } from './reader.js';
import { NffileFormatError } from './format.js';
import type { RowPredicate } from './block.js';
import { entryOutside, filterKeys } from './block-index.js';
import { openIndex, pruneIndexes, startIndex, type IndexWriting, type OpenIndex } from './index-files.js';

/** Options of the driver. */
export interface NativeSourceOptions {
  /** Where LAYOUT_VERSION_1/3 files go (the nfdump driver); without it they reject. */
  fallback?: FlowSource;
  /** Largest share of skipped records before a file is an error (default 0.1). */
  maxSkippedShare?: number;
  /**
   * Directory of block indexes (index-files.ts): a whole read of a file without one writes it; a read for single
   * hosts or a time range uses it to pass over the blocks that cannot hold a wanted flow. Without it every block is
   * read.
   */
  indexDir?: string;
}

/** How often a source that writes indexes removes those of files that are gone (ms). */
const PRUNE_EVERY_MS = 10 * 60_000;

/** Create the native nffile FlowSource driver. */
export function createNativeSource(opts: NativeSourceOptions = {}): FlowSource {
  // Shared by every read of this source: safe, since a block is read, decompressed and decoded in one synchronous
  // step (NffileReader.next), so no read leaves bytes in them across an await.
  let buffers: BlockBuffers | undefined;
  // Batches the consumers are done with, refilled by the next reader (the FlowSource contract).
  const pool: FlowBatch[] = [];
  let prunedAt = 0;
  return {
    async *read(files: string[], readOpts: FlowReadOptions = {}): AsyncIterable<FlowBatch> {
      buffers ??= createBlockBuffers();
      const keep = rowPredicate(readOpts);
      const needles = keep && filterNeedles(readOpts.filter);
      const keys = opts.indexDir ? filterKeys(readOpts.filter) : undefined;
      const window = readOpts.timeWindow;
      for (const file of files) {
        if (readOpts.signal?.aborted) throw cancelledRead(file);
        const fd = openFile(file);
        const st = fs.fstatSync(fd);
        const reader = new NffileReader(fdSource(fd, file, st.size), { batchSize: readOpts.batchSize, keep, needles, buffers, pool });
        let writing: IndexWriting | undefined;
        let index: OpenIndex | undefined;
        let indexState: FileReadInfo['index'];
        try {
          try {
            reader.open();
          } catch (e) {
            if (e instanceof NffileFormatError && (e.code === 'layout-v1' || e.code === 'layout-v3') && opts.fallback) {
              const reason = e.reason;
              const onFile = readOpts.onFile && ((i: FileReadInfo) => readOpts.onFile!({ ...i, fallback: reason }));
              yield* opts.fallback.read([file], { ...readOpts, onFile });
              continue;
            }
            throw asSourceError(file, e);
          }
          if (readOpts.timeWindow && outsideWindow(reader.info().stat, readOpts.timeWindow)) {
            readOpts.onFile?.({ ...fileReadInfo(file, reader.info()), skipped: true });
            continue;
          }
          if (opts.indexDir) {
            const numBlocks = reader.header.numBlocks;
            if (!keep) {
              // A whole read: write the index unless a current one exists.
              const current = openIndex(opts.indexDir, file, st, numBlocks);
              current?.close();
              if (!current && (writing = startIndex(opts.indexDir, file, st))) reader.buildIndex(writing.builder);
            } else if ((keys || window) && (index = openIndex(opts.indexDir, file, st, numBlocks))) {
              const ix = index;
              indexState = 'used';
              reader.useIndex({
                entries: ix.entries,
                skip: (e) => (window !== undefined && entryOutside(e, window)) || (keys !== undefined && !ix.mayHold(e, keys)),
              });
            }
          }
          readOpts.onOpen?.(fileOpenInfo(file, reader.info()));
          while (!reader.done) {
            if (readOpts.signal?.aborted) throw cancelledRead(file);
            const b = reader.next();
            if (b) yield* lendBatches([b], (x) => reader.release(x));
            // Let timers, I/O and the AbortSignal run between blocks.
            await new Promise<void>((r) => setImmediate(r));
          }
          const last = reader.flush();
          if (last) yield* lendBatches([last], (x) => reader.release(x));
          if (writing) {
            const whole = !reader.info().partial;
            if (whole && writing.finish()) indexState = 'built';
            else if (!whole) writing.abort();
            writing = undefined;
            if (indexState === 'built' && Date.now() - prunedAt > PRUNE_EVERY_MS) {
              prunedAt = Date.now();
              pruneIndexes(opts.indexDir!);
            }
          }
        } finally {
          writing?.abort();
          index?.close();
          closeQuietly(fd);
        }
        const info = reader.info();
        readOpts.onFile?.({ ...fileReadInfo(file, info), ...(indexState ? { index: indexState } : {}) });
        const problem = fileProblem(info, opts.maxSkippedShare);
        if (problem) throw new FlowSourceError(`cannot read ${file}: ${problem}`, file, problem);
      }
    },
  };
}

/** The row predicate of a read: the compiled filter and the time window, or undefined when every row is kept. */
export function rowPredicate(o: FlowReadOptions): RowPredicate | undefined {
  const filter = isEmptyFilter(o.filter) ? undefined : compileFilter(o.filter);
  const w = o.timeWindow;
  if (!filter && !w) return undefined;
  if (!w) return filter;
  const { from, to } = w;
  if (!filter) return (b, i) => b.start[i] >= from && b.start[i] < to;
  return (b, i) => b.start[i] >= from && b.start[i] < to && filter(b, i);
}

/** What the header and the appendix say, as the seam's FileOpenInfo (before the first block). */
export function fileOpenInfo(file: string, i: NffileInfo): FileOpenInfo {
  return {
    file,
    reader: 'native',
    compression: i.compression as FileOpenInfo['compression'],
    blocksExpected: i.blocksExpected,
    ...(i.stat ? { stat: { flows: i.stat.numflows, packets: i.stat.numpackets, bytes: i.stat.numbytes, firstSeen: i.stat.firstseen, lastSeen: i.stat.lastseen } } : {}),
  };
}

/** The reader's counters as the seam's FileReadInfo. */
export function fileReadInfo(file: string, i: NffileInfo): FileReadInfo {
  return {
    file,
    reader: 'native',
    records: i.records,
    skippedRecords: i.skippedRecords,
    blocks: i.blocksRead,
    blocksExpected: i.blocksExpected,
    unknownElements: i.unknownElements,
    unknownRecordTypes: i.unknownRecordTypes,
    decompressErrors: i.decompressionErrors,
    ...(i.undecodedRecords > 0 ? { undecodedRecords: i.undecodedRecords } : {}),
    ...(i.blocksUnread > 0 ? { blocksUnread: i.blocksUnread } : {}),
    compression: i.compression as FileReadInfo['compression'],
    ...(i.ident !== undefined ? { ident: i.ident } : {}),
    ...(i.stat ? { stat: { flows: i.stat.numflows, packets: i.stat.numpackets, bytes: i.stat.numbytes, firstSeen: i.stat.firstseen, lastSeen: i.stat.lastseen } } : {}),
    exporters: i.exporters.map((e) => ({ ip: e.ip, sysId: e.sysId, samplingRate: e.samplingRate, version: e.version })),
    ...(i.partial ? { partial: i.partial } : {}),
  };
}

function openFile(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message);
    throw new FlowSourceError(`cannot read ${file}: ${reason}`, file, reason, { cause: e });
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new FlowSourceError(`cannot read ${file}: not a file`, file, 'not a file');
  }
  return fd;
}

/** A ByteSource over an open file descriptor (positional reads, so nothing else moves the file offset). */
function fdSource(fd: number, file: string, size: number): ByteSource {
  return {
    size,
    read(position, into, length) {
      let got = 0;
      while (got < length) {
        let n: number;
        try {
          n = fs.readSync(fd, into, got, length - got, position + got);
        } catch (e) {
          throw new FlowSourceError(`cannot read ${file}: ${(e as Error).message}`, file, 'read error', { cause: e, fault: 'reader' });
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
