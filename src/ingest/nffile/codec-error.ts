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
