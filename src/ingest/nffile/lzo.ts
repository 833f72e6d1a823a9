/**
 * LZO1X decoder (the stream `lzo1x_1_compress` writes: raw, no header and no length, ending with the EOF marker
 * `11 00 00`). Written from the LZO1X instruction format, not from minilzo (GPL); this project is MIT.
 * Pure and safe on hostile input: every read and write is bounds-checked and output never passes `dstLimit`.
 *
 * Instruction summary (t = the instruction byte, "state" = literals that followed the previous match):
 *   0..15 after a match with no trailing literals (or at the start): a literal run of t+3 (t=0: 18 + zero-run + next)
 *   0..15 right after a literal run: a 3-byte match at distance 2049 + (t>>2) + (next<<2)
 *   0..15 after 1..3 trailing literals: a 2-byte match at distance 1 + (t>>2) + (next<<2)
 *   16..31 (M4): distance 16384 + ((t&8)<<11) + (LE16>>2), length (t&7)+2 (0: 9 + zero-run + next); distance 16384 = EOF
 *   32..63 (M3): distance 1 + (LE16>>2), length (t&31)+2 (0: 33 + zero-run + next)
 *   64..255 (M2): distance 1 + ((t>>2)&7) + (next<<3), length (t>>5)+1
 * Each match's low two bits (of t, or of the first distance byte) give 0..3 literals that follow it.
 */
import { copyMatch, DecompressError } from './lz-common.js';

const TOP = 0;
const AFTER_RUN = 1;
const AFTER_MATCH = 2;

/**
 * Decode `src[srcStart..srcEnd)` into `dst` from offset 0, writing at most `dstLimit` bytes.
 * Returns the decoded length; throws {@link DecompressError} on malformed input.
 */
export function lzoDecode(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstLimit = dst.length): number {
  if (dstLimit > dst.length) dstLimit = dst.length;
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let ip = srcStart;
  let op = 0;
  let mode = TOP;
  if (srcEnd - ip < 3) throw new DecompressError('lzo', 'input too short');
  if (src[ip] > 17) {
    const n = src[ip++] - 17;
    if (n > srcEnd - ip) throw new DecompressError('lzo', 'literals run past the input');
    if (n > dstLimit) throw new DecompressError('lzo', 'output exceeds the bound');
    for (let k = 0; k < n; k++) dst[op++] = src[ip++];
    mode = n < 4 ? AFTER_MATCH : AFTER_RUN;
  }
  for (;;) {
    if (ip >= srcEnd) throw new DecompressError('lzo', 'input ends without the EOF marker');
    let t = src[ip++];
    let dist: number;
    let len: number;
    let trailing: number;
    if (t < 16) {
      if (mode === TOP) {
        // A literal run.
        if (t === 0) {
          t = 15;
          while (ip < srcEnd && src[ip] === 0) {
            t += 255;
            ip++;
          }
          if (ip >= srcEnd) throw new DecompressError('lzo', 'truncated literal length');
          t += src[ip++];
        }
        len = t + 3;
        if (len > srcEnd - ip) throw new DecompressError('lzo', 'literals run past the input');
        if (len > dstLimit - op) throw new DecompressError('lzo', 'output exceeds the bound');
        if (len < 16) for (let k = 0; k < len; k++) dst[op++] = src[ip++];
        else {
          dst.set(src.subarray(ip, ip + len), op);
          ip += len;
          op += len;
        }
        mode = AFTER_RUN;
        continue;
      }
      if (ip >= srcEnd) throw new DecompressError('lzo', 'truncated match');
      dist = 1 + (t >>> 2) + (src[ip++] << 2);
      if (mode === AFTER_RUN) {
        dist += 0x800;
        len = 3;
      } else len = 2;
      trailing = t & 3;
    } else if (t >= 64) {
      if (ip >= srcEnd) throw new DecompressError('lzo', 'truncated match');
      dist = 1 + ((t >>> 2) & 7) + (src[ip++] << 3);
      len = (t >>> 5) + 1;
      trailing = t & 3;
    } else {
      const m3 = t >= 32;
      len = m3 ? t & 31 : t & 7;
      if (len === 0) {
        len = m3 ? 31 : 7;
        while (ip < srcEnd && src[ip] === 0) {
          len += 255;
          ip++;
        }
        if (ip >= srcEnd) throw new DecompressError('lzo', 'truncated match length');
        len += src[ip++];
      }
      len += 2;
      if (srcEnd - ip < 2) throw new DecompressError('lzo', 'truncated match distance');
      const b0 = src[ip];
      const d = (b0 >>> 2) + (src[ip + 1] << 6);
      ip += 2;
      trailing = b0 & 3;
      if (m3) dist = 1 + d;
      else {
        dist = ((t & 8) << 11) + d;
        if (dist === 0) {
          // EOF marker: M4 with distance 0 and length 3, and nothing after it.
          if (len !== 3) throw new DecompressError('lzo', 'malformed EOF marker');
          if (ip !== srcEnd) throw new DecompressError('lzo', `${srcEnd - ip} bytes after the EOF marker`);
          return op;
        }
        dist += 0x4000;
      }
    }
    if (dist > op) throw new DecompressError('lzo', `match distance ${dist} before the start of the output`);
    if (len > dstLimit - op) throw new DecompressError('lzo', 'output exceeds the bound');
    op = copyMatch(dst, view, op, dist, len);
    if (trailing === 0) mode = TOP;
    else {
      if (trailing > srcEnd - ip) throw new DecompressError('lzo', 'literals run past the input');
      if (trailing > dstLimit - op) throw new DecompressError('lzo', 'output exceeds the bound');
      for (let k = 0; k < trailing; k++) dst[op++] = src[ip++];
      mode = AFTER_MATCH;
    }
  }
}
