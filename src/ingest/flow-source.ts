/**
 * The one place a FlowSource is made from configuration (`engine.reader`): every command and the engine call
 * {@link flowSourceFrom}, so the reader is chosen once.
 */
import path from 'node:path';
import type { FlowSource } from '../engine/types.js';
import { dataDir } from '../util/paths.js';
import { createNativeSource } from './nffile/source.js';
import { createNfdumpSource } from './nfdump/source.js';
import { decodeInWorker } from './decode-workers.js';

export { FlowSourceError, type FlowSourceFault } from './errors.js';

/** The reader settings of `engine` that choose a source. */
export interface ReaderConfig {
  reader?: 'native' | 'nfdump';
  nfdumpBin?: string;
  /** Block indexes in the data directory's `block-index/` (native reader). */
  blockIndex?: boolean;
  /** Big reads in a decode worker thread (decode-workers.ts), leaving this thread the aggregation. */
  decodeWorker?: boolean;
}

/** Where the block indexes live. */
export function blockIndexDir(): string {
  return path.join(dataDir(), 'block-index');
}

/**
 * The FlowSource for a configuration: the native nffile reader (default), which hands nfdump 1.6/1.8 files to the
 * nfdump driver and, with `blockIndex`, keeps block indexes (nffile/index-files.ts), or the nfdump driver alone
 * (`reader: nfdump`).
 */
export function flowSourceFrom(config: ReaderConfig): FlowSource {
  const nfdump = createNfdumpSource({ bin: config.nfdumpBin });
  if (config.reader === 'nfdump') return nfdump;
  const indexDir = config.blockIndex ? blockIndexDir() : undefined;
  const native = createNativeSource({ fallback: nfdump, ...(indexDir ? { indexDir } : {}) });
  if (!config.decodeWorker) return native;
  return decodeInWorker({ inThread: native, reader: { ...(config.nfdumpBin ? { nfdumpBin: config.nfdumpBin } : {}), ...(indexDir ? { indexDir } : {}) } });
}
