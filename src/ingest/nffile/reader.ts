/**
 * Reading one nffile block by block into FlowBatches, pure: the bytes come through an injected {@link ByteSource}
 * (the shell wraps `fs.readSync`; tests wrap a Buffer), so nothing here touches fs. It never holds more than one
 * block (two 5 MiB buffers, reusable across files) and the batch being filled.
 *
 * Damage: a file whose header is not a readable LAYOUT_VERSION_2 header throws {@link NffileFormatError}. A block
 * that is cut short, runs past the data, does not decompress or breaks its record framing ends the reading: every
 * block before it has been delivered, and `info().partial` says why and how many blocks were read. A damaged or
 * missing appendix (ident and stat record) is reported, never fatal.
 */
import { addCounters, countUndecoded, createCounters, createExporterTable, decodeBlockInto, exporterList, needleHits, scanBlock, type DecodeCounters, type ExporterInfo, type ExporterStat, type ExporterTable, type RowPredicate } from './block.js';
import { CODECS, DecompressError } from './decompress.js';
import type { IndexEntry } from './block-index.js';
import { createBatch } from '../../engine/batch.js';
import type { FlowBatch } from '../../engine/types.js';
import { BLOCK_HEADER_SIZE, BlockType, BUFFSIZE, blockHeaderProblem, COMPRESSION_NAMES, Compression, FILE_HEADER_SIZE, parseAppendix, parseBlockHeader, parseFileHeader, type FileHeader, type StatRecord } from './format.js';

/** Random-access bytes of one file. */
export interface ByteSource {
  /** Size in bytes. */
  readonly size: number;
  /** Read up to `length` bytes at `position` into `into[0..]`; returns the count read (short at the end). */
  read(position: number, into: Uint8Array, length: number): number;
}

/** A ByteSource over bytes in memory (tests, and small files). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(position, into, length) {
      const n = Math.max(0, Math.min(length, bytes.length - position));
      into.set(bytes.subarray(position, position + n), 0);
      return n;
    },
  };
}

/** Two buffers of BUFFSIZE, one for a block as stored and one for it decompressed; reuse them across files. */
export interface BlockBuffers {
  input: Uint8Array;
  output: Uint8Array;
}

/** Allocate block buffers (10 MiB in all). */
export function createBlockBuffers(): BlockBuffers {
  return { input: new Uint8Array(BUFFSIZE), output: new Uint8Array(BUFFSIZE) };
}

/** A file read only in part: why, and how many of its data blocks were delivered. */
export interface PartialRead {
  reason: string;
  blocksRead: number;
  blocksExpected: number;
}

/** The reader's counters for one file. */
export interface NffileInfo extends DecodeCounters {
  compression: string;
  /** nfdump version that wrote the file (0x01070100 = 1.7.1). */
  nfdversion: number;
  /** UNIX seconds when the writer opened the file. */
  created: number;
  ident?: string;
  stat?: StatRecord;
  /** 'ok', 'missing' (the file ends before it: cut short), 'damaged', or 'none' (the header declares none). */
  appendix: 'ok' | 'missing' | 'damaged' | 'none';
  blocksExpected: number;
  /** Data blocks read intact (including those of a type that holds no flows). */
  blocksRead: number;
  /** Blocks of a type other than 3 (1.5/1.6 records, array blocks): read, not decoded. */
  blocksSkipped: number;
  /** Of blocksRead, those the block index let the reader pass over unread (their flows counted as filtered). */
  blocksUnread: number;
  decompressionErrors: number;
  /** Bytes between the last declared block and the appendix (or the end), not read. */
  trailingBytes: number;
  partial?: PartialRead;
  exporters: ExporterInfo[];
  exporterStats: ExporterStat[];
}

/** What builds a block index from a read (block-index.ts BlockIndexBuilder). */
export interface BlockIndexer {
  addBlock(meta: { offset: number; stored: number; others: number }, b: FlowBatch, from: number, to: number): void;
  addOther(meta: { offset: number; stored: number; others: number }): void;
}

/**
 * A file's block index as a read uses it: one entry per data block, and whether a block may be passed over. The
 * reader passes over block k only when entry k lies exactly where the reader is, holds only flow records and fits
 * before the end of the data; otherwise it reads the block.
 */
export interface ReadIndex {
  entries: readonly IndexEntry[];
  skip(e: IndexEntry): boolean;
}

/** Options of a reader. */
export interface NffileReaderOptions {
  /** Rows per batch (default 65536); a block is never split, so a batch may hold more when one block does. */
  batchSize?: number;
  /** Row predicate applied as rows are decoded. */
  keep?: RowPredicate;
  /**
   * Byte patterns one of which every row `keep` accepts holds in its record (filter.ts `filterNeedles`): flow records
   * without one are not decoded (counted as filtered and undecoded).
   */
  needles?: Uint8Array[];
  /** Told of every block as it is decoded (an unfiltered read builds the file's block index this way). */
  indexer?: BlockIndexer;
  /** The file's block index: blocks it says to pass over are not read (see {@link ReadIndex}). */
  index?: ReadIndex;
  buffers?: BlockBuffers;
  /** Released batches to refill (shared by the readers of one source, like `buffers`). */
  pool?: FlowBatch[];
}

/**
 * Reads one file: `open()` parses and checks the header and the appendix, then each `next()` reads one block and
 * returns a batch when one is full; `flush()` returns the last one; `info()` has the counters.
 */
export class NffileReader {
  private h: FileHeader | undefined;
  private readonly buffers: BlockBuffers;
  private readonly batchSize: number;
  private readonly table: ExporterTable = createExporterTable();
  private readonly counters = createCounters();
  private batch: FlowBatch | undefined;
  /** Batches given back by the consumer (see release), refilled before new ones are allocated. */
  private readonly free: FlowBatch[];
  private pos = FILE_HEADER_SIZE;
  private dataEnd = 0;
  private finished = false;
  private readonly state: Omit<NffileInfo, keyof DecodeCounters | 'exporters' | 'exporterStats'> = {
    compression: 'none', nfdversion: 0, created: 0, appendix: 'none', blocksExpected: 0, blocksRead: 0, blocksSkipped: 0, blocksUnread: 0, decompressionErrors: 0, trailingBytes: 0,
  };

  constructor(
    private readonly src: ByteSource,
    private readonly opts: NffileReaderOptions = {},
  ) {
    this.buffers = opts.buffers ?? createBlockBuffers();
    this.free = opts.pool ?? [];
    this.batchSize = Math.max(1, opts.batchSize ?? 65536);
  }

  /** The header (after `open()`). */
  get header(): FileHeader {
    if (!this.h) throw new Error('NffileReader: open() first');
    return this.h;
  }

  /** True when no block is left to read. */
  get done(): boolean {
    return this.finished;
  }

  /** Read and check the header, then the appendix. Throws NffileFormatError when the file cannot be read at all. */
  open(): FileHeader {
    const head = this.buffers.input;
    const n = this.src.read(0, head, FILE_HEADER_SIZE);
    const h = parseFileHeader(head.subarray(0, n), this.src.size);
    this.h = h;
    Object.assign(this.state, { compression: COMPRESSION_NAMES[h.compression], nfdversion: h.nfdversion, created: h.created, blocksExpected: h.numBlocks });
    this.dataEnd = this.src.size;
    if (h.appendixBlocks > 0) {
      if (h.offAppendix < FILE_HEADER_SIZE) this.state.appendix = 'damaged';
      else if (h.offAppendix >= this.src.size) this.state.appendix = 'missing';
      else {
        this.dataEnd = h.offAppendix;
        this.readAppendix(h);
      }
    }
    if (h.numBlocks === 0) this.finished = true;
    return h;
  }

  private readAppendix(h: FileHeader): void {
    let pos = h.offAppendix;
    let ok = true;
    for (let k = 0; k < h.appendixBlocks && ok; k++) {
      const blk = this.readBlockAt(pos, this.src.size);
      if ('error' in blk) {
        ok = false;
        break;
      }
      pos += BLOCK_HEADER_SIZE + blk.stored;
      const a = parseAppendix(blk.data, blk.length, blk.numRecords);
      if ('error' in a) ok = false;
      else {
        if (a.ident !== undefined) this.state.ident = a.ident;
        if (a.stat) this.state.stat = a.stat;
      }
    }
    this.state.appendix = ok ? 'ok' : 'damaged';
  }

  /**
   * Read the block at `pos` (header + payload, inside [pos, end)) and decompress it. Returns its bytes (a view
   * of one of the reused buffers, valid until the next read) or why it cannot be used.
   */
  private readBlockAt(pos: number, end: number): { data: Uint8Array; length: number; stored: number; numRecords: number; type: number } | { error: string; decompress?: boolean } {
    const { input, output } = this.buffers;
    if (end - pos < BLOCK_HEADER_SIZE) return { error: end - pos <= 0 ? 'missing (the file ends before it)' : 'header cut short' };
    if (this.src.read(pos, input, BLOCK_HEADER_SIZE) !== BLOCK_HEADER_SIZE) return { error: 'header cut short' };
    const bh = parseBlockHeader(input, 0);
    const problem = blockHeaderProblem(bh, end - pos - BLOCK_HEADER_SIZE);
    if (problem) return { error: problem };
    if (this.src.read(pos + BLOCK_HEADER_SIZE, input, bh.size) !== bh.size) return { error: 'payload cut short' };
    const compression = bh.flags & 1 ? Compression.NONE : this.header.compression;
    if (compression === Compression.NONE) return { data: input, length: bh.size, stored: bh.size, numRecords: bh.numRecords, type: bh.type };
    try {
      const length = CODECS[compression](input, 0, bh.size, output, BUFFSIZE);
      return { data: output, length, stored: bh.size, numRecords: bh.numRecords, type: bh.type };
    } catch (e) {
      const why = e instanceof DecompressError ? e.message : `decompression failed: ${e instanceof Error ? e.message : String(e)}`;
      return { error: why, decompress: true };
    }
  }

  /** Read and decode the next data block; returns a batch when one filled up (or undefined). */
  next(): FlowBatch | undefined {
    if (this.opts.index) this.passOver(this.opts.index);
    if (this.finished) return undefined;
    const h = this.header;
    const k = this.state.blocksRead;
    const at = this.pos;
    const blk = this.readBlockAt(this.pos, this.dataEnd);
    if ('error' in blk) {
      if (blk.decompress) this.state.decompressionErrors++;
      return this.stop(`block ${k + 1} of ${h.numBlocks}: ${blk.error}`);
    }
    let emitted: FlowBatch | undefined;
    if (blk.type === BlockType.V3) {
      const s = scanBlock(blk.data, blk.length, blk.numRecords);
      if ('error' in s) return this.stop(`block ${k + 1} of ${h.numBlocks}: ${s.error}`);
      const hits = this.opts.needles && needleHits(blk.data, blk.length, this.opts.needles);
      // Rows this block may add: with needles, at most one per hit.
      const room = hits ? Math.min(s.flows, hits.length) : s.flows;
      if (hits && hits.length === 0 && s.others === 0) {
        // No flow here can match and no exporter or sampler record is to be read: nothing to decode.
        countUndecoded(this.counters, s.flows);
      } else {
        if (this.batch && this.batch.size + room > this.batch.family.length) {
          if (this.batch.size > 0) emitted = this.seal(this.batch);
          this.batch = undefined;
        }
        this.batch ??= this.freshBatch(Math.max(this.batchSize, room));
        const from = this.batch.size;
        decodeBlockInto(blk.data, blk.length, blk.numRecords, this.table, this.batch, this.counters, this.opts.keep, hits);
        this.opts.indexer?.addBlock({ offset: at, stored: blk.stored, others: s.others }, this.batch, from, this.batch.size);
      }
    } else {
      this.state.blocksSkipped++;
      this.opts.indexer?.addOther({ offset: at, stored: blk.stored, others: blk.numRecords });
    }
    this.passBlock(blk.stored);
    if (!emitted && this.batch && this.batch.size >= this.batchSize) {
      emitted = this.seal(this.batch);
      this.batch = undefined;
    }
    return emitted;
  }

  /** Use a block index for the rest of the read (after `open()`: its entries must match the header's blocks). */
  useIndex(index: ReadIndex): void {
    this.opts.index = index;
  }

  /** Report every block to an index builder (an unfiltered read, from the first block on). */
  buildIndex(indexer: BlockIndexer): void {
    this.opts.indexer = indexer;
  }

  /** Pass over the blocks the index says cannot hold a wanted flow, from the current one on. */
  private passOver(ix: ReadIndex): void {
    while (!this.finished) {
      const e = ix.entries[this.state.blocksRead];
      if (!e || e.offset !== this.pos || e.others > 0 || this.pos + BLOCK_HEADER_SIZE + e.stored > this.dataEnd || !ix.skip(e)) return;
      countUndecoded(this.counters, e.flows);
      this.state.blocksUnread++;
      this.passBlock(e.stored);
    }
  }

  /** Move past the current block (`stored` payload bytes), read or not. */
  private passBlock(stored: number): void {
    this.state.blocksRead++;
    this.pos += BLOCK_HEADER_SIZE + stored;
    if (this.state.blocksRead >= this.header.numBlocks) {
      this.finished = true;
      this.state.trailingBytes = Math.max(0, this.dataEnd - this.pos);
    }
  }

  /** A batch to fill: a released one when it is big enough, else a new one. */
  private freshBatch(capacity: number): FlowBatch {
    const free = this.free;
    for (let k = free.length - 1; k >= 0; k--) {
      if (free[k].family.length >= capacity) {
        const b = free.splice(k, 1)[0];
        b.size = 0;
        b.exporters = [];
        return b;
      }
    }
    return createBatch(capacity);
  }

  /**
   * Give back a batch this reader returned, once its consumer is done with it: its buffers are filled again (the
   * FlowSource contract). Keeps at most two.
   */
  release(b: FlowBatch): void {
    if (this.free.length < 2 && !this.free.includes(b)) this.free.push(b);
  }

  private stop(reason: string): FlowBatch | undefined {
    this.finished = true;
    this.state.partial = { reason, blocksRead: this.state.blocksRead, blocksExpected: this.header.numBlocks };
    return undefined;
  }

  private seal(b: FlowBatch): FlowBatch {
    b.exporters = this.table.texts.slice();
    return b;
  }

  /** The rows decoded but not yet returned, once `done` (undefined when none). */
  flush(): FlowBatch | undefined {
    const b = this.batch;
    this.batch = undefined;
    return b && b.size > 0 ? this.seal(b) : undefined;
  }

  /** The counters so far. */
  info(): NffileInfo {
    return { ...this.state, ...this.counters, exporters: exporterList(this.table), exporterStats: [...this.table.stats.values()].sort((a, b) => a.sysId - b.sysId) };
  }
}

/** Read a whole in-memory file (tests, small files): every batch, the counters, or the format error thrown. */
export function readAll(src: ByteSource, opts: NffileReaderOptions = {}): { batches: FlowBatch[]; info: NffileInfo } {
  const r = new NffileReader(src, opts);
  r.open();
  const batches: FlowBatch[] = [];
  while (!r.done) {
    const b = r.next();
    if (b) batches.push(b);
  }
  const last = r.flush();
  if (last) batches.push(last);
  return { batches, info: r.info() };
}

/** Largest share of skipped records a file may have before it counts as unreadable. */
export const MAX_SKIPPED_SHARE = 0.1;

/**
 * Why a file that was read must still count as failed, or undefined: flows in its stat record but none decoded
 * (a silent empty window otherwise), or too many skipped records.
 */
export function fileProblem(info: NffileInfo, maxSkippedShare = MAX_SKIPPED_SHARE): string | undefined {
  const seen = info.records + info.filteredRecords;
  const total = seen + info.skippedRecords;
  if (!info.partial && seen === 0 && (info.stat?.numflows ?? 0) > 0) {
    return `no flow decoded, the stat record counts ${info.stat!.numflows}${info.skippedRecords > 0 ? ` (${info.skippedRecords} records skipped)` : ''}`;
  }
  if (info.skippedRecords > 0 && info.skippedRecords / total > maxSkippedShare) {
    return `${info.skippedRecords} of ${total} records skipped as inconsistent`;
  }
  return undefined;
}

/** True when the stat record says every flow of the file lies outside [from, to) (epoch ms): skip without decoding. */
export function outsideWindow(stat: StatRecord | undefined, window: { from: number; to: number }): boolean {
  if (!stat || stat.numflows === 0 || stat.firstseen === 0 || stat.lastseen < stat.firstseen) return false;
  return stat.lastseen < window.from || stat.firstseen >= window.to;
}
