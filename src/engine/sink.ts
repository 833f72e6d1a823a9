/** Where analysed windows go besides SQLite (e.g. Elasticsearch), and who else reads a window's flows as it is read. */
import type { FlowBatch, WindowResult } from './types.js';

/** A destination for window results; `writeWindow` must not throw for transient outages (spool instead). */
export interface WindowSink {
  name: string;
  writeWindow(result: WindowResult): Promise<void>;
  close?(): Promise<void>;
}

/** The window a tap is asked about, before its file is read. */
export interface WindowTapInfo {
  file: string;
  /** Epoch ms of the file's interval start (from its name). */
  fileTime: number;
  timeSlot: number;
  /** The rotation interval in seconds (how long the file's window is). */
  intervalSeconds: number;
}

/**
 * Another reader of each window's batches besides the analysis (the block effect meter): the runner reads the file
 * once and hands every batch to the analysis and to the consumers the taps opened for it.
 */
export interface WindowTap {
  name: string;
  /** A consumer for this window's batches, or undefined to stay out of it (cheap: called for every file). */
  open(info: WindowTapInfo): WindowTapConsumer | undefined;
}

/** One window's consumer. `add` must not keep the batch (the reader may reuse it) and should not throw. */
export interface WindowTapConsumer {
  add(batch: FlowBatch): void;
  /** The window was read whole and committed. */
  done(result: WindowResult): void | Promise<void>;
}
