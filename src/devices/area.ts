/**
 * The devices area wired in one place for the engine: the history store on the engine's database, the scheduled
 * collector, and the socket handlers. `start()` begins collecting at each 5-minute boundary (when
 * `devices.schedule` is on and devices are configured); `stop()` undoes it.
 */
import type { DevicesConfig } from '../config/sections/devices.js';
import type { HandlerTable } from '../daemon/protocol.js';
import type { Db } from '../store/db.js';
import { createDeviceCollector, type CollectionRun, type DeviceCollector } from './collector.js';
import { devicesHandlers } from './handlers.js';
import type { DeviceDocSink } from './merge.js';
import { DeviceStore } from './store.js';
import type { WindowSink } from '../engine/sink.js';
import type { WindowResult } from '../engine/types.js';
import type { ProbeSuspect } from './anomalies.js';
import { createUnusedProbeSink } from './probe-sink.js';

/** What the engine passes in. */
export interface DevicesAreaDeps {
  /** Receivers of each slot's merged documents (the Elasticsearch writer). */
  sinks?: DeviceDocSink[];
  /** Inbound (outside → inside) pairs of a slot, for the unused-address check in devices.anomalies. */
  inboundPairs?: (timeSlot: number) => Iterable<{ src: string; dst: string; flows: number }>;
  onRun?: (run: CollectionRun) => void;
  onError?: (err: Error) => void;
  knownHostsFile?: string;
}

/** The wired area. */
export interface DevicesArea {
  store: DeviceStore;
  collector: DeviceCollector;
  handlers: HandlerTable;
  /** A WindowSink naming each window's unused-address probers (add it to the engine's sinks). */
  unusedProbeSink(onSuspects: (suspects: ProbeSuspect[], result: WindowResult) => void): WindowSink;
  start(): void;
  /** Stops scheduling; resolves once a run in progress is saved. */
  stop(): Promise<void>;
}

/**
 * Wire the devices area (inert until start). `db` may be a getter, called on first use, for engines that open
 * their database in start() after building their handler tables.
 */
export function createDevicesArea(config: DevicesConfig, db: Db | (() => Db), deps: DevicesAreaDeps = {}): DevicesArea {
  const store = new DeviceStore(db);
  const keepSlots = config.retentionDays * 288;
  const onRun = (run: CollectionRun) => {
    // Once an hour (every 12th slot), forget what is older than the retention.
    if (keepSlots > 0 && run.timeSlot % 12 === 0) {
      try {
        store.prune(run.timeSlot - keepSlots);
      } catch (err) {
        deps.onError?.(new Error(`pruning device history: ${(err as Error).message}`, { cause: err }));
      }
    }
    deps.onRun?.(run);
  };
  const collector = createDeviceCollector(config, { store, ...deps, onRun });
  const handlers = devicesHandlers({ config, store, collector, ...(deps.inboundPairs ? { inboundPairs: deps.inboundPairs } : {}) });
  return {
    store,
    collector,
    handlers,
    unusedProbeSink: (onSuspects) => createUnusedProbeSink(store, onSuspects),
    start() {
      if (config.schedule && config.list.length > 0) collector.start();
    },
    stop() {
      return collector.stop();
    },
  };
}
