/**
 * The one place Elasticsearch is wired for the engine: from the `elasticsearch` config section, either nothing
 * (node empty — ES disabled) or the result store, the WindowSink for the runner's `sinks`, and the flow backend for
 * investigations. Inert: no request is made until something is written or queried.
 */
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { ElasticsearchConfig } from '../config/sections/elasticsearch.js';
import type { WindowSink } from '../engine/sink.js';
import { createEsClient } from './client.js';
import { createEsFlowBackend } from './flow-backend.js';
import { createEsSink, createEsWriter } from './writer.js';
import type { FlowQueryBackend, ResultStore } from './types.js';

/** What the engine gets when ES is configured. */
export interface ElasticsearchArea {
  store: ResultStore;
  sink: WindowSink;
  flows: FlowQueryBackend;
  /** Stop the replay timer, replay what is left in the spool, then close the client. */
  stop(): Promise<void>;
}

/** Build the area, or undefined when `config.node` is empty. `dataDir` holds the default spool. */
export function createElasticsearchArea(config: ElasticsearchConfig, deps: { dataDir: string; client?: Client; log?: (line: string) => void; spoolMaxBytes?: number; retryIntervalMs?: number }): ElasticsearchArea | undefined {
  if (!config.node && !deps.client) return undefined;
  const client = deps.client ?? createEsClient(config);
  const store = createEsWriter(config, {
    client,
    spoolDir: config.spoolDir || path.join(deps.dataDir, 'es-spool'),
    log: deps.log,
    ...(deps.spoolMaxBytes ? { spoolMaxBytes: deps.spoolMaxBytes } : {}),
    ...(deps.retryIntervalMs ? { retryIntervalMs: deps.retryIntervalMs } : {}),
  });
  return {
    store,
    sink: createEsSink(config, { store }),
    flows: createEsFlowBackend(config, { client }),
    async stop() {
      store.stop();
      await store.replaySpool().catch(() => 0);
      await client.close();
    },
  };
}
