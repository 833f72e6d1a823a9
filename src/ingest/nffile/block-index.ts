/**
 * The block index of an nfcapd file (pure): for each data block, where it lies, how many flows it holds, the range of
 * their start times, and a blocked Bloom filter of every address in it (sources and destinations). A read that asks
 * for a host or a small prefix (its addresses looked up one by one), or for a time range, passes over the blocks that
 * cannot hold a matching flow without reading them.
 *
 * nfdump has no index: it reads every block. The engine builds one as it reads each file for its window (the flows
 * are decoded then anyway, so the filter costs a hash per address) and stores it beside its database
 * (index-files.ts); `investigate` and the other filtered reads use it when it is there and still describes the file
 * (same size and modification time, the same block positions), and read every block when it is not.
 *
 * Filter: one 512-bit line per address (the low bits of its hash choose the line), three bits set in that line, so a
 * lookup reads 64 bytes per block. Lines per block: the next power of two that gives every address slot
 * {@link BITS_PER_ADDRESS} bits (two addresses a flow): a false "maybe" ~1 % at worst, never a false "no".
 *
 * File layout (little-endian): a 48-byte header (magic `NOCFIDX1`, version, blocks, table offset, the data file's
 * size and mtime in ms, path length), the data file's absolute path (padded to 8 bytes), the filters one after the
 * other, then the table of {@link ENTRY_SIZE}-byte entries, one per block of the data file in file order, which ends
 * the file.
 */
import type { FlowBatch, FlowFilter } from '../../engine/types.js';
import { hash2, mixInt32 } from '../../engine/tables.js';
import { requiredAddresses, type NumericPrefix } from '../../engine/filter.js';

export const INDEX_MAGIC = 'NOCFIDX1';
export const INDEX_VERSION = 1;
export const INDEX_HEADER_SIZE = 48;
export const ENTRY_SIZE = 48;
/** Bits of filter per address slot. */
export const BITS_PER_ADDRESS = 12;
const LINE_WORDS = 16;
const LINE_BYTES = 64;

/** One data block as the index knows it. */
export interface IndexEntry {
  /** File offset of the block's header. */
  offset: number;
  /** Its payload size as stored. */
  stored: number;
  /** Flow records decoded from it. */
  flows: number;
  /** Records of other kinds (exporters, samplers, ...): a block with any is always read. */
  others: number;
  /** Filter lines (a power of two; 0 when the block holds no flow). */
  lines: number;
  /** Smallest and largest flow start (epoch ms); 0 / -1 when it holds no flow. */
  firstStart: number;
  lastStart: number;
  /** Offset of its filter in the index file. */
  filterAt: number;
}

/** The header of an index file. */
export interface IndexHeader {
  version: number;
  blocks: number;
  tableAt: number;
  fileSize: number;
  fileMtimeMs: number;
  path: string;
  /** Where the filters begin. */
  filtersAt: number;
}

/**
 * The hash an IPv4 address is filed under (an int32: kept signed so that V8 computes it in small integers, never as
 * a double).
 */
export function v4Key(a: number): number {
  return mixInt32(a ^ 0x3c6ef372);
}

/** The hash an IPv6 address (four words, most significant first) is filed under. */
export function v6Key(w0: number, w1: number, w2: number, w3: number): number {
  return v4Key(hash2(hash2(w0, w1), hash2(w2, w3)) ^ 0x6a09e667);
}

/** Filter lines for a block of `flows` flows. */
export function linesFor(flows: number): number {
  if (flows <= 0) return 0;
  const want = Math.ceil((2 * flows * BITS_PER_ADDRESS) / (LINE_WORDS * 32));
  let n = 1;
  while (n < want) n *= 2;
  return n;
}

/** The three bit positions (0-511) of a key within its line, from one multiply of the key. */
function bitsOf(key: number): number {
  return Math.imul(key | 1, 0x9e3779b1);
}

/** Set a key's three bits in a filter of `mask + 1` lines (words `f[0 .. 16·lines)`). */
function insert(f: Int32Array, mask: number, key: number): void {
  const base = (key & mask) << 4;
  const g = bitsOf(key);
  f[base + (g >>> 28)] |= 1 << ((g >>> 23) & 31);
  f[base + ((g >>> 19) & 15)] |= 1 << ((g >>> 14) & 31);
  f[base + ((g >>> 10) & 15)] |= 1 << ((g >>> 5) & 31);
}

/** Which of a filter's lines a key is in (its byte offset within the filter). */
export function lineOffset(lines: number, key: number): number {
  return (key & (lines - 1)) * LINE_BYTES;
}

/** True when the 16-word line `line` (at `at`) has all three of `key`'s bits. */
export function lineHas(line: Int32Array, at: number, key: number): boolean {
  const g = bitsOf(key);
  return (line[at + (g >>> 28)] & (1 << ((g >>> 23) & 31))) !== 0 &&
    (line[at + ((g >>> 19) & 15)] & (1 << ((g >>> 14) & 31))) !== 0 &&
    (line[at + ((g >>> 10) & 15)] & (1 << ((g >>> 5) & 31))) !== 0;
}

/**
 * Builds the index of one file as its blocks are decoded: `addBlock` after each block (its rows in a batch), and
 * `addOther` for a block that holds no flow records; the filters go to `write` as they are made, and `finish`
 * returns the table and header (the caller writes them at `tableAt` and 0).
 */
export class BlockIndexBuilder {
  readonly entries: IndexEntry[] = [];
  // Int32 words: a bit 31 set keeps a word a small integer to V8 (a Uint32Array word past 2^31 is a double).
  private scratch = new Int32Array(0);
  /** Where the next filter goes in the index file. */
  private at: number;

  constructor(
    private readonly file: { path: string; size: number; mtimeMs: number },
    private readonly write: (bytes: Uint8Array, position: number) => void,
  ) {
    this.at = filtersStart(file.path);
  }

  /** A block of flows: rows [from, to) of `b`. */
  addBlock(meta: { offset: number; stored: number; others: number }, b: FlowBatch, from: number, to: number): void {
    const flows = to - from;
    const lines = linesFor(flows);
    const words = lines * LINE_WORDS;
    if (this.scratch.length < words) this.scratch = new Int32Array(words);
    const f = this.scratch.subarray(0, words);
    f.fill(0);
    let first = Infinity, last = -Infinity;
    const { family, srcV4, dstV4, src6, dst6, start } = b;
    const mask = lines - 1;
    for (let i = from; i < to; i++) {
      if (family[i] === 6) {
        const w = 4 * i;
        insert(f, mask, v6Key(src6[w], src6[w + 1], src6[w + 2], src6[w + 3]));
        insert(f, mask, v6Key(dst6[w], dst6[w + 1], dst6[w + 2], dst6[w + 3]));
      } else {
        insert(f, mask, v4Key(srcV4[i]));
        insert(f, mask, v4Key(dstV4[i]));
      }
      const s = start[i];
      if (s < first) first = s;
      if (s > last) last = s;
    }
    const entry: IndexEntry = { offset: meta.offset, stored: meta.stored, flows, others: meta.others, lines, firstStart: flows > 0 ? first : 0, lastStart: flows > 0 ? last : -1, filterAt: this.at };
    if (words > 0) {
      this.write(new Uint8Array(f.buffer, f.byteOffset, words * 4), this.at);
      this.at += words * 4;
    }
    this.entries.push(entry);
  }

  /** A block that is not a flow block (or holds none): always read. */
  addOther(meta: { offset: number; stored: number; others: number }): void {
    this.entries.push({ offset: meta.offset, stored: meta.stored, flows: 0, others: Math.max(1, meta.others), lines: 0, firstStart: 0, lastStart: -1, filterAt: this.at });
  }

  /** The table (to write at `tableAt`) and the header with the data file's path (to write at 0). */
  finish(): { table: Uint8Array; tableAt: number; header: Uint8Array } {
    const table = encodeTable(this.entries);
    const tableAt = this.at;
    return { table, tableAt, header: encodeHeader({ version: INDEX_VERSION, blocks: this.entries.length, tableAt, fileSize: this.file.size, fileMtimeMs: this.file.mtimeMs, path: this.file.path }) };
  }
}

function filtersStart(path: string): number {
  const n = Buffer.byteLength(path, 'utf8');
  return INDEX_HEADER_SIZE + Math.ceil(n / 8) * 8;
}

/** The header bytes (with the path, padded to 8). */
export function encodeHeader(h: Omit<IndexHeader, 'filtersAt'>): Uint8Array {
  const pathBytes = Buffer.from(h.path, 'utf8');
  const out = Buffer.alloc(filtersStart(h.path));
  out.write(INDEX_MAGIC, 0, 'latin1');
  out.writeUInt32LE(h.version, 8);
  out.writeUInt32LE(h.blocks, 12);
  out.writeDoubleLE(h.tableAt, 16);
  out.writeDoubleLE(h.fileSize, 24);
  out.writeDoubleLE(h.fileMtimeMs, 32);
  out.writeUInt32LE(pathBytes.length, 40);
  pathBytes.copy(out, INDEX_HEADER_SIZE);
  return out;
}

/**
 * Parse a header (the first bytes of an index file, at least INDEX_HEADER_SIZE plus its path), or why it is not one:
 * wrong magic or version, or a table that does not end the file exactly. `size`: the index file's size.
 */
export function decodeHeader(bytes: Uint8Array, size: number): IndexHeader | { error: string } {
  if (bytes.length < INDEX_HEADER_SIZE) return { error: 'index header cut short' };
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.toString('latin1', 0, 8) !== INDEX_MAGIC) return { error: 'not a nocflow block index' };
  const version = b.readUInt32LE(8);
  if (version !== INDEX_VERSION) return { error: `index version ${version}` };
  const blocks = b.readUInt32LE(12);
  const tableAt = b.readDoubleLE(16);
  const fileSize = b.readDoubleLE(24);
  const fileMtimeMs = b.readDoubleLE(32);
  const pathLength = b.readUInt32LE(40);
  if (INDEX_HEADER_SIZE + pathLength > bytes.length) return { error: 'index path cut short' };
  const path = b.toString('utf8', INDEX_HEADER_SIZE, INDEX_HEADER_SIZE + pathLength);
  const filtersAt = filtersStart(path);
  if (!Number.isInteger(tableAt) || tableAt < filtersAt || tableAt + blocks * ENTRY_SIZE !== size) return { error: 'index table does not end the file' };
  return { version, blocks, tableAt, fileSize, fileMtimeMs, path, filtersAt };
}

/** The table bytes. */
export function encodeTable(entries: IndexEntry[]): Uint8Array {
  const out = Buffer.alloc(entries.length * ENTRY_SIZE);
  entries.forEach((e, k) => {
    const o = k * ENTRY_SIZE;
    out.writeDoubleLE(e.offset, o);
    out.writeUInt32LE(e.stored, o + 8);
    out.writeUInt32LE(e.flows, o + 12);
    out.writeUInt32LE(e.others, o + 16);
    out.writeUInt32LE(e.lines, o + 20);
    out.writeDoubleLE(e.firstStart, o + 24);
    out.writeDoubleLE(e.lastStart, o + 32);
    out.writeDoubleLE(e.filterAt, o + 40);
  });
  return out;
}

/** Parse the table, or why it cannot belong to the index `h` heads (a filter line outside the filters' region). */
export function decodeTable(bytes: Uint8Array, blocks: number, h: IndexHeader): IndexEntry[] | { error: string } {
  if (bytes.length < blocks * ENTRY_SIZE) return { error: 'index table cut short' };
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: IndexEntry[] = [];
  for (let k = 0; k < blocks; k++) {
    const o = k * ENTRY_SIZE;
    const e: IndexEntry = {
      offset: b.readDoubleLE(o), stored: b.readUInt32LE(o + 8), flows: b.readUInt32LE(o + 12), others: b.readUInt32LE(o + 16),
      lines: b.readUInt32LE(o + 20), firstStart: b.readDoubleLE(o + 24), lastStart: b.readDoubleLE(o + 32), filterAt: b.readDoubleLE(o + 40),
    };
    if ((e.lines & (e.lines - 1)) !== 0 || e.filterAt < h.filtersAt || e.filterAt + e.lines * LINE_BYTES > h.tableAt) return { error: `index entry ${k} is inconsistent` };
    out.push(e);
  }
  return out;
}

/** True when every flow of the block starts outside [from, to). */
export function entryOutside(e: IndexEntry, w: { from: number; to: number }): boolean {
  return e.flows > 0 && (e.lastStart < w.from || e.firstStart >= w.to);
}

/** Most addresses a read looks up in the index (one 64-byte read per block each). */
export const MAX_INDEX_KEYS = 64;

/**
 * The index keys of the addresses a filter requires (a row must have one of them as its source or destination): a
 * single address, or every address of a prefix small enough to look up one by one (an IPv4 /26 or an IPv6 /122 and
 * narrower: {@link MAX_INDEX_KEYS} in all); undefined when it requires none that way (wider prefixes, no address, or
 * too many).
 */
export function filterKeys(f: FlowFilter | undefined): number[] | undefined {
  const lists = requiredAddresses(f, prefixKeys).map((l) => l.flat());
  return lists.filter((l) => l.length <= MAX_INDEX_KEYS).sort((a, b) => a.length - b.length)[0];
}

/** The keys of every address in `p`, or undefined when it holds more than MAX_INDEX_KEYS. */
function prefixKeys(p: NumericPrefix): number[] | undefined {
  if (p.family === 4) {
    const size = (~p.mask >>> 0) + 1;
    return size <= MAX_INDEX_KEYS ? Array.from({ length: size }, (_, k) => v4Key((p.net + k) >>> 0)) : undefined;
  }
  if (p.mask[0] !== 0xffffffff || p.mask[1] !== 0xffffffff || p.mask[2] !== 0xffffffff) return undefined;
  const size = (~p.mask[3] >>> 0) + 1;
  return size <= MAX_INDEX_KEYS ? Array.from({ length: size }, (_, k) => v6Key(p.net[0], p.net[1], p.net[2], (p.net[3] + k) >>> 0)) : undefined;
}
