/** What the LZ decoders (lz4.ts, lzo.ts) share: their error, and the copy of a back-reference. Pure. */
/** A block that does not decompress: hostile or damaged input, or output past the bound. Pure. */
export class DecompressError extends Error {
  constructor(
    readonly codec: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${codec}: ${reason}`, options);
    this.name = 'DecompressError';
  }
}

/**
 * Copy a match of `len` bytes from `dist` bytes back to `dst[op]` and answer the new `op` (the caller has checked
 * both bounds). A far, long match is one `copyWithin`; an overlapping one (dist < len repeats the last bytes) or a
 * short one goes byte by byte, which is both what the formats mean and faster for a few bytes.
 */
export function copyMatch(dst: Uint8Array, op: number, dist: number, len: number): number {
  let from = op - dist;
  if (dist >= len && len > 32) {
    dst.copyWithin(op, from, from + len);
    return op + len;
  }
  const end = op + len;
  while (op < end) dst[op++] = dst[from++];
  return op;
}
