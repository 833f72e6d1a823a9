/** Where analysed windows go besides SQLite (e.g. Elasticsearch). */
import type { WindowResult } from './types.js';

/** A destination for window results; `writeWindow` must not throw for transient outages (spool instead). */
export interface WindowSink {
  name: string;
  writeWindow(result: WindowResult): Promise<void>;
  close?(): Promise<void>;
}
