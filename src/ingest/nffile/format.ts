/**
 * nffile (nfdump 1.7.x, LAYOUT_VERSION_2) framing, pure: the 40-byte file header, the 12-byte block header and the
 * appendix (ident + stat record). Every size read from the file is checked against the file's length and against
 * BUFFSIZE before anything is allocated or read. Layout facts: /work/shared/NFFILE.md §1.
 */

/** nfdump's BUFFSIZE: the largest block payload (stored or decompressed) a reader has to accept. */
export const BUFFSIZE = 5 * 1024 * 1024;
export const FILE_HEADER_SIZE = 40;
export const BLOCK_HEADER_SIZE = 12;
/** Magic as a little-endian u16 (bytes 0C A5). */
export const NFFILE_MAGIC = 0xa50c;
export const LAYOUT_VERSION_1 = 1;
export const LAYOUT_VERSION_2 = 2;
export const LAYOUT_VERSION_3 = 3;

/** Block types (dataBlock_t.type). */
export const BlockType = { V1: 1, V2: 2, V3: 3, ARRAY: 4 } as const;

/** Per-file compression (fileHeaderV2_t.compression). */
export const Compression = { NONE: 0, LZO: 1, BZ2: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionId = (typeof Compression)[keyof typeof Compression];
/** Compression names as the counters and README print them. */
export const COMPRESSION_NAMES: Record<CompressionId, string> = { 0: 'none', 1: 'lzo', 2: 'bz2', 3: 'lz4', 4: 'zstd' };

/** Why a file cannot be read natively. `layout-v1`/`layout-v3` are files the nfdump driver can still read. */
export type FormatErrorCode = 'not-nffile' | 'big-endian' | 'truncated-header' | 'layout-v1' | 'layout-v3' | 'bad-version' | 'encrypted' | 'bad-compression' | 'bad-header';

/** A file-level format problem with a one-line reason. */
export class NffileFormatError extends Error {
  constructor(
    readonly code: FormatErrorCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'NffileFormatError';
  }
}

/** The parsed, validated file header. */
export interface FileHeader {
  version: number;
  nfdversion: number;
  /** UNIX seconds when the writer opened the file. */
  created: number;
  compression: CompressionId;
  appendixBlocks: number;
  creator: number;
  offAppendix: number;
  numBlocks: number;
}

const hex4 = (a: number, b: number) => `0x${a.toString(16).padStart(2, '0')}${b.toString(16).padStart(2, '0')}`;

/**
 * Parse and validate the file header from the first bytes of a file (`head` holds min(40, fileSize) bytes).
 * Throws {@link NffileFormatError} with a one-line reason.
 */
export function parseFileHeader(head: Uint8Array, fileSize: number): FileHeader {
  const n = Math.min(head.length, fileSize);
  if (n < 2) throw new NffileFormatError('not-nffile', n === 0 ? 'not an nffile (empty file)' : 'not an nffile (1 byte)');
  if (head[0] === 0xa5 && head[1] === 0x0c) throw new NffileFormatError('big-endian', 'nffile from a big-endian host (not supported)');
  if (head[0] !== 0x0c || head[1] !== 0xa5) throw new NffileFormatError('not-nffile', `not an nffile (bad magic ${hex4(head[0], head[1])})`);
  if (n < 4) throw new NffileFormatError('truncated-header', 'truncated header');
  const version = head[2] | (head[3] << 8);
  if (version === LAYOUT_VERSION_1) throw new NffileFormatError('layout-v1', 'nfdump 1.6 file (LAYOUT_VERSION_1): not read natively');
  if (version === LAYOUT_VERSION_3) throw new NffileFormatError('layout-v3', 'nfdump 1.8 file (LAYOUT_VERSION_3): not read natively');
  if (version !== LAYOUT_VERSION_2) throw new NffileFormatError('bad-version', `unknown layout version ${version}`);
  if (n < FILE_HEADER_SIZE) throw new NffileFormatError('truncated-header', 'truncated header');
  const v = new DataView(head.buffer, head.byteOffset, FILE_HEADER_SIZE);
  const compression = v.getUint8(16);
  const encryption = v.getUint8(17);
  if (encryption !== 0) throw new NffileFormatError('encrypted', 'encrypted file');
  if (compression > Compression.ZSTD) throw new NffileFormatError('bad-compression', `unknown compression ${compression}`);
  const offAppendix = readU64(v, 24);
  return {
    version,
    nfdversion: v.getUint32(4, true),
    created: readI64(v, 8),
    compression: compression as CompressionId,
    appendixBlocks: v.getUint16(18, true),
    creator: v.getUint32(20, true),
    offAppendix,
    numBlocks: v.getUint32(36, true),
  };
}

/** One block header. */
export interface BlockHeader {
  numRecords: number;
  /** Payload bytes as stored (compressed size). */
  size: number;
  type: number;
  flags: number;
}

/** Parse a 12-byte block header at `off` of `b`. */
export function parseBlockHeader(b: Uint8Array, off = 0): BlockHeader {
  const v = new DataView(b.buffer, b.byteOffset + off, BLOCK_HEADER_SIZE);
  return { numRecords: v.getUint32(0, true), size: v.getUint32(4, true), type: v.getUint16(8, true), flags: v.getUint16(10, true) };
}

/**
 * Why a block header cannot be followed (nfdump's own corruption checks plus the file's length), or undefined.
 * `room` is the number of bytes left in the data area after the 12-byte header.
 */
export function blockHeaderProblem(h: BlockHeader, room: number): string | undefined {
  if (h.size === 0) return 'empty block (size 0)';
  if (h.size > BUFFSIZE) return `block size ${h.size} exceeds ${BUFFSIZE}`;
  if (h.size > room) return `block runs past the end of the data (${h.size} bytes, ${Math.max(0, room)} left)`;
  if (h.numRecords === 0) return 'block with 0 records';
  return undefined;
}

/** The stat record of the appendix (`stat_record_t`). */
export interface StatRecord {
  numflows: number;
  numbytes: number;
  numpackets: number;
  /** Epoch ms. */
  firstseen: number;
  lastseen: number;
  sequenceFailures: number;
}

/** The appendix: the ident string and the stat record, when present. */
export interface Appendix {
  ident?: string;
  stat?: StatRecord;
}

export const TYPE_IDENT = 0x8001;
export const TYPE_STAT = 0x8002;
const STAT_RECORD_SIZE = 4 + 18 * 8;

/**
 * Parse a decompressed appendix block (`length` bytes, `numRecords` records). Unknown records are skipped; a record
 * that runs past the block is an error (returned, not thrown).
 */
export function parseAppendix(b: Uint8Array, length: number, numRecords: number): Appendix | { error: string } {
  const v = new DataView(b.buffer, b.byteOffset, length);
  const out: Appendix = {};
  let off = 0;
  for (let i = 0; i < numRecords; i++) {
    if (off + 4 > length) return { error: `appendix record ${i} runs past the block` };
    const type = v.getUint16(off, true);
    const size = v.getUint16(off + 2, true);
    if (size < 4 || off + size > length) return { error: `appendix record ${i} has a bad size ${size}` };
    if (type === TYPE_IDENT && size > 4) {
      let end = off + 4;
      while (end < off + size && b[end] !== 0) end++;
      out.ident = latin1(b, off + 4, end);
    } else if (type === TYPE_STAT && size >= STAT_RECORD_SIZE) {
      const p = off + 4;
      out.stat = {
        numflows: readU64(v, p),
        numbytes: readU64(v, p + 8),
        numpackets: readU64(v, p + 16),
        firstseen: readU64(v, p + 120),
        lastseen: readU64(v, p + 128),
        sequenceFailures: readU64(v, p + 136),
      };
    }
    off += size;
  }
  return out;
}

/** Printable ASCII of bytes [from, to): other bytes become '?', so an ident never carries control characters. */
function latin1(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to && i < from + 128; i++) s += b[i] >= 0x20 && b[i] < 0x7f ? String.fromCharCode(b[i]) : '?';
  return s;
}

/** A little-endian u64 as a number (exact below 2^53). */
export function readU64(v: DataView, off: number): number {
  return v.getUint32(off + 4, true) * 4294967296 + v.getUint32(off, true);
}

function readI64(v: DataView, off: number): number {
  return v.getInt32(off + 4, true) * 4294967296 + v.getUint32(off, true);
}
