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
import type { Prober } from './handlers.js';

/** What the engine passes in. */
export interface DevicesAreaDeps {
  /** Receivers of each slot's merged documents (the Elasticsearch writer). */
  sinks?: DeviceDocSink[];
  /** The engine's ARP-confirmed probers of a window, for devices.anomalies. */
  probersAt?: (timeSlot?: number) => { timeSlot: number; probers: Prober[] } | undefined;
  onRun?: (run: CollectionRun) => void;
  onError?: (err: Error) => void;
  knownHostsFile?: string;
  /** Most bytes of one command's output (limits.deviceOutputBytes). */
  maxOutputBytes?: number;
}

/** The wired area. */
export interface DevicesArea {
  store: DeviceStore;
  collector: DeviceCollector;
  handlers: HandlerTable;
  /**
   * The unused addresses for a flow window (the engine's runner asks before analysing each file): see
   * DeviceStore.unusedAddressesFor. Undefined when no devices are configured or nothing was collected near it.
   */
  unusedAddresses(timeSlot: number): { addresses: string[]; slots: number[] } | undefined;
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
  const handlers = devicesHandlers({ config, store, collector, ...(deps.probersAt ? { probersAt: deps.probersAt } : {}) });
  return {
    store,
    collector,
    handlers,
    unusedAddresses(timeSlot) {
      if (config.list.length === 0) return undefined;
      const u = store.unusedAddressesFor(timeSlot);
      return u.slots.length > 0 ? u : undefined;
    },
    start() {
      if (config.schedule && config.list.length > 0) collector.start();
    },
    stop() {
      return collector.stop();
    },
  };
}
