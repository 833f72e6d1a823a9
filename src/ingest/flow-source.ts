/**
 * The one place a FlowSource is made from configuration (`engine.reader`): every command and the engine call
 * {@link flowSourceFrom}, so the reader is chosen once.
 */
import type { FlowSource } from '../engine/types.js';
import { createNativeSource } from './nffile/source.js';
import { createNfdumpSource } from './nfdump/source.js';

export { FlowSourceError, type FlowSourceFault } from './errors.js';

/** The reader settings of `engine` that choose a source. */
export interface ReaderConfig {
  reader?: 'native' | 'nfdump';
  nfdumpBin?: string;
}

/**
 * The FlowSource for a configuration: the native nffile reader (default), which hands nfdump 1.6/1.8 files to the
 * nfdump driver, or the nfdump driver alone (`reader: nfdump`).
 */
export function flowSourceFrom(config: ReaderConfig): FlowSource {
  const nfdump = createNfdumpSource({ bin: config.nfdumpBin });
  if (config.reader === 'nfdump') return nfdump;
  return createNativeSource({ fallback: nfdump });
}
