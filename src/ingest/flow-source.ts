/**
 * The one place a FlowSource is made from configuration (`engine.reader`): every command and the engine call
 * {@link flowSourceFrom}, so the reader is chosen once.
 */
import type { FlowSource } from '../engine/types.js';
import { createNfdumpSource } from './nfdump/source.js';

export { FlowSourceError, type FlowSourceFault } from './errors.js';

/** The reader settings of `engine` that choose a source. */
export interface ReaderConfig {
  reader?: 'native' | 'nfdump';
  nfdumpBin?: string;
}

/** The FlowSource for a configuration: the native nffile reader (default), or the nfdump driver. */
export function flowSourceFrom(config: ReaderConfig): FlowSource {
  const nfdump = createNfdumpSource({ bin: config.nfdumpBin });
  // The native reader is wired in here; until it exists both settings read through nfdump.
  return nfdump;
}
