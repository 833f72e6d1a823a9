/** The reading boundary's error: a file a FlowSource could not read, and whose fault that was. */

/**
 * Whose fault a read failure is: `file` — the file itself (not an nffile, damaged header): recorded failed, retried
 * only when the file changes; `reader` — the environment (nfdump missing or killed, out of memory, cancelled): the
 * file is not to blame and is tried again later.
 */
export type FlowSourceFault = 'file' | 'reader';

/** A file a source could not read, with a one-line reason. */
export class FlowSourceError extends Error {
  readonly fault: FlowSourceFault;
  constructor(
    message: string,
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown; fault?: FlowSourceFault },
  ) {
    super(message, options);
    this.name = 'FlowSourceError';
    this.fault = options?.fault ?? 'file';
  }
}

/** A read stopped by its AbortSignal: the reader's fault, never the file's. */
export function cancelledRead(file: string): FlowSourceError {
  return new FlowSourceError(`reading ${file} was cancelled`, file, 'cancelled', { fault: 'reader' });
}
