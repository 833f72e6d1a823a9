/**
 * What the CLI and the engine area share (shell): the job's dependencies from configuration — the stage-1 reader
 * (nfcapd files through the FlowSource, or Elasticsearch), the stage-2 ES sink, the inside prefixes and units —
 * and the nfcapd files of a day.
 */
import type { Client } from '@elastic/elasticsearch';
import type { NocflowConfig } from '../config/schema.js';
import type { FlowSource } from '../engine/types.js';
import type { ResultStore } from '../es/types.js';
import { listCompleted } from '../ingest/watcher.js';
import { PrefixSet } from '../util/ip.js';
import { resolveThresholds } from './classify.js';
import { dayRange } from './days.js';
import { createIocEsSink } from './es-sink.js';
import type { InfectedHost, IocJobDeps } from './job.js';
import { esStage1, filesStage1 } from './stage1.js';
import type { IocStore } from './store.js';

/** The completed nfcapd files under `dir` whose interval starts within the local day. */
export function dayFiles(dir: string, day: string): string[] {
  const r = dayRange(day);
  return listCompleted(dir).filter((f) => f.time >= r.from && f.time < r.to).map((f) => f.path);
}

/** Options of {@link jobDepsFrom}. */
export interface JobDepsOptions {
  store: IocStore;
  source: FlowSource;
  now: () => number;
  flowStore?: 'files' | 'elasticsearch';
  /** The ES client for stage 1 (flowStore elasticsearch). */
  esClient?: Client;
  /** The ES result store for stage 2 (written when given). */
  esStore?: ResultStore;
  onNewInfected?: (host: InfectedHost) => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Job dependencies from the configuration (files are added per day). */
export function jobDepsFrom(config: NocflowConfig, o: JobDepsOptions): IocJobDeps {
  const ioc = config.ioc;
  const flowStore = o.flowStore ?? ioc.flowStore;
  if (flowStore === 'elasticsearch' && !o.esClient) throw new Error('ioc.flowStore is elasticsearch but elasticsearch.node is not set');
  return {
    store: o.store,
    reader: flowStore === 'elasticsearch' ? esStage1(config.elasticsearch, o.esClient!) : filesStage1(o.source),
    thresholds: resolveThresholds(ioc.thresholds),
    sampleSize: ioc.sampleSize,
    lookbackDays: ioc.lookbackDays,
    keepMassSamples: ioc.keepMassSamples,
    retentionDays: ioc.retentionDays,
    now: o.now,
    es: o.esStore ? createIocEsSink(o.esStore) : undefined,
    inside: new PrefixSet(config.engine.inside.map((prefix) => ({ prefix }))),
    units: new PrefixSet(config.engine.units.map((u) => ({ prefix: u.prefix, tag: u.name }))),
    onNewInfected: o.onNewInfected,
    log: o.log,
    signal: o.signal,
  };
}
