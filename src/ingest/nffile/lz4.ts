/**
 * Raw LZ4 block decoder (the block format, no frame and no size prefix: what nfdump's `LZ4_compress_default`
 * writes into an nffile block). Written from the LZ4 block format description. Pure and safe on hostile input:
 * every read and write is bounds-checked, and the output never grows past `dstLimit`.
 */
import { copyMatch, DecompressError } from './lz-common.js';

/**
 * Decode `src[srcStart..srcEnd)` into `dst` from offset 0, writing at most `dstLimit` bytes.
 * Returns the decoded length; throws {@link DecompressError} on malformed input.
 */
export function lz4DecodeBlock(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstLimit = dst.length): number {
  if (dstLimit > dst.length) dstLimit = dst.length;
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let ip = srcStart;
  let op = 0;
  if (srcEnd <= srcStart) throw new DecompressError('lz4', 'empty input');
  for (;;) {
    const token = src[ip++];
    // Literals.
    let len = token >>> 4;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) throw new DecompressError('lz4', 'truncated literal length');
        b = src[ip++];
        len += b;
      } while (b === 255);
    }
    if (len > srcEnd - ip) throw new DecompressError('lz4', 'literals run past the input');
    if (len > dstLimit - op) throw new DecompressError('lz4', 'output exceeds the bound');
    if (len < 16) for (let k = 0; k < len; k++) dst[op++] = src[ip++];
    else {
      dst.set(src.subarray(ip, ip + len), op);
      ip += len;
      op += len;
    }
    if (ip === srcEnd) return op; // the last sequence carries literals only
    // Match.
    if (srcEnd - ip < 2) throw new DecompressError('lz4', 'truncated match offset');
    const dist = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (dist === 0 || dist > op) throw new DecompressError('lz4', `match offset ${dist} before the start of the output`);
    len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) throw new DecompressError('lz4', 'truncated match length');
        b = src[ip++];
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (len > dstLimit - op) throw new DecompressError('lz4', 'output exceeds the bound');
    op = copyMatch(dst, view, op, dist, len);
    if (ip >= srcEnd) throw new DecompressError('lz4', 'input ends after a match (no final literals)');
  }
}
