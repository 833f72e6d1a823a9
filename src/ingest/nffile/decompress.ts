/**
 * The per-file block codecs, as a table keyed by the header's compression id: none, LZO1X and raw LZ4 (our own
 * decoders), BZ2 (seek-bzip 2.0.0, MIT) and ZSTD (fzstd 0.1.1, MIT). Pure. Every codec writes into the caller's
 * buffer and never past `limit` (nfdump's 5 MiB BUFFSIZE); every failure, including one thrown deep inside a
 * library, comes out as a {@link DecompressError} with a one-line reason.
 */
import Bunzip from 'seek-bzip';
import { Decompress as ZstdStream } from 'fzstd';
import { DecompressError } from './lz-common.js';
import { lz4DecodeBlock } from './lz4.js';
import { lzoDecode } from './lzo.js';
import { Compression, type CompressionId } from './format.js';

export { DecompressError } from './lz-common.js';

/** Decode `src[start..end)` into `dst` (at most `limit` bytes); returns the decoded length. */
export type BlockCodec = (src: Uint8Array, start: number, end: number, dst: Uint8Array, limit: number) => number;

function none(src: Uint8Array, start: number, end: number, dst: Uint8Array, limit: number): number {
  const n = end - start;
  if (n > limit) throw new DecompressError('none', 'block exceeds the bound');
  if (src !== dst || start !== 0) dst.set(src.subarray(start, end), 0);
  return n;
}

/** BZ2 through seek-bzip, with an input that refuses to read past the block and an output that refuses to grow past the bound. */
function bz2(src: Uint8Array, start: number, end: number, dst: Uint8Array, limit: number): number {
  let pos = start;
  let out = 0;
  const input = {
    readByte(): number {
      if (pos >= end) throw new DecompressError('bz2', 'truncated stream');
      return src[pos++];
    },
    read(buffer: Uint8Array, offset: number, length: number): number {
      const n = Math.min(length, end - pos);
      if (n <= 0) return -1;
      buffer.set(src.subarray(pos, pos + n), offset);
      pos += n;
      return n;
    },
    seek(p: number): void {
      pos = start + p;
    },
    eof(): boolean {
      return pos >= end;
    },
  };
  const output = {
    writeByte(b: number): void {
      if (out >= limit) throw new DecompressError('bz2', 'output exceeds the bound');
      dst[out++] = b;
    },
  };
  try {
    Bunzip.decode(input, output, false);
  } catch (e) {
    throw asDecompressError('bz2', e);
  }
  return out;
}

const ZSTD_MAGIC = 0xfd2fb528;
/** Largest zstd window accepted: an honest frame of at most 5 MiB never needs more (fzstd allocates the window). */
const ZSTD_WINDOW_LIMIT = 16 * 1024 * 1024;
const ZSTD_BLOCK_MAX = 128 * 1024;

/**
 * Walk one zstd frame's header and block headers without decoding (RFC 8878 §3.1.1): a single frame, no dictionary,
 * a window and a content size within bounds, every block inside the input. Returns the frame's length and its
 * declared content size (-1 when absent).
 */
export function zstdFrameExtent(src: Uint8Array, start: number, end: number, limit: number): { length: number; contentSize: number } {
  const fail = (why: string): never => {
    throw new DecompressError('zstd', why);
  };
  if (end - start < 6) fail('frame too short');
  const magic = (src[start] | (src[start + 1] << 8) | (src[start + 2] << 16) | (src[start + 3] << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) fail(`not a zstd frame (magic 0x${magic.toString(16)})`);
  const fhd = src[start + 4];
  const fcsFlag = fhd >>> 6;
  const single = (fhd >>> 5) & 1;
  const checksum = (fhd >>> 2) & 1;
  const dictFlag = fhd & 3;
  if (fhd & 8) fail('reserved bit set in the frame header');
  let p = start + 5;
  let window = 0;
  if (!single) {
    const wd = src[p++];
    const base = 2 ** (10 + (wd >>> 3));
    window = base + (base / 8) * (wd & 7);
  }
  const dictBytes = [0, 1, 2, 4][dictFlag];
  let dict = 0;
  for (let k = 0; k < dictBytes; k++) dict += src[p + k] * 2 ** (8 * k);
  p += dictBytes;
  if (dict !== 0) fail('frame needs a dictionary');
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
  if (p + fcsBytes > end) fail('truncated frame header');
  let contentSize = -1;
  if (fcsBytes > 0) {
    contentSize = 0;
    for (let k = 0; k < fcsBytes; k++) contentSize += src[p + k] * 2 ** (8 * k);
    if (fcsBytes === 2) contentSize += 256;
    if (contentSize > limit) fail(`declared content size ${contentSize} exceeds the bound`);
  }
  p += fcsBytes;
  if (single) window = contentSize;
  if (window > ZSTD_WINDOW_LIMIT) fail(`window ${window} too large`);
  for (;;) {
    if (p + 3 > end) fail('truncated block header');
    const bh = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16);
    p += 3;
    const last = bh & 1;
    const type = (bh >>> 1) & 3;
    const size = bh >>> 3;
    if (type === 3) fail('reserved block type');
    if (size > ZSTD_BLOCK_MAX) fail(`block size ${size} too large`);
    p += type === 1 ? 1 : size;
    if (p > end) fail('block runs past the input');
    if (last) break;
  }
  if (checksum) p += 4;
  if (p > end) fail('truncated checksum');
  return { length: p - start, contentSize };
}

function zstd(src: Uint8Array, start: number, end: number, dst: Uint8Array, limit: number): number {
  const { length, contentSize } = zstdFrameExtent(src, start, end, limit);
  if (start + length !== end) throw new DecompressError('zstd', `${end - start - length} bytes after the frame`);
  let out = 0;
  try {
    // The stream decoder hands over each block's output: counted against the bound as it comes.
    const stream = new ZstdStream((chunk) => {
      if (chunk.length > limit - out) throw new DecompressError('zstd', 'output exceeds the bound');
      dst.set(chunk, out);
      out += chunk.length;
    });
    stream.push(src.subarray(start, end), true);
  } catch (e) {
    throw asDecompressError('zstd', e);
  }
  if (contentSize >= 0 && out !== contentSize) throw new DecompressError('zstd', `decoded ${out} bytes, frame declares ${contentSize}`);
  return out;
}

function asDecompressError(codec: string, e: unknown): DecompressError {
  if (e instanceof DecompressError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new DecompressError(codec, msg.split('\n')[0] || 'failed', { cause: e });
}

const lzo: BlockCodec = (src, start, end, dst, limit) => guard('lzo', () => lzoDecode(src, start, end, dst, limit));
const lz4: BlockCodec = (src, start, end, dst, limit) => guard('lz4', () => lz4DecodeBlock(src, start, end, dst, limit));

function guard(codec: string, f: () => number): number {
  try {
    return f();
  } catch (e) {
    throw asDecompressError(codec, e);
  }
}

/** The codec of each compression id. */
export const CODECS: Record<CompressionId, BlockCodec> = {
  [Compression.NONE]: none,
  [Compression.LZO]: lzo,
  [Compression.BZ2]: bz2,
  [Compression.LZ4]: lz4,
  [Compression.ZSTD]: zstd,
};
