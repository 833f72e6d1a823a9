/**
 * The IoC area of the engine: every day it fetches the lists at `ioc.fetchAt` (local) and, once the day is over
 * (plus `ioc.runAfterMinutes`) and its list is there, correlates the day — once: the job ledger in SQLite says
 * which days are done, so a restart neither skips nor repeats one (a job interrupted before its commit runs again).
 * A missed fetch of yesterday is caught up at start. Inside hosts newly classed `relay-check-in` are handed to
 * `onNewInfected` exactly once each (the alerts area's hook). Idle when no list is configured.
 */
import type { NocflowConfig } from '../config/schema.js';
import type { EngineArea } from '../daemon/area.js';
import type { Db } from '../store/db.js';
import type { FlowSource } from '../engine/types.js';
import type { ResultStore } from '../es/types.js';
import type { Client } from '@elastic/elasticsearch';
import { PrefixSet } from '../util/ip.js';
import { fetchDayLists, storedDayList } from './daily-lists.js';
import { dailyPlan, localDay, type PlanStep } from './days.js';
import { deliverAlerts, runIocDay, type InfectedHost } from './job.js';
import { iocHandlers } from './handlers.js';
import { dayFiles, jobDepsFrom } from './service.js';
import { IocStore } from './store.js';

/** What the engine passes in. */
export interface IocAreaDeps {
  /** The engine's database (a getter: opened on first use). */
  db: () => Db;
  source: FlowSource;
  nfcapdDir: string;
  /** Elasticsearch: the client for stage 1 (flowStore elasticsearch), the result store for stage 2. */
  esClient?: Client;
  esStore?: ResultStore;
  /** Called once per inside host newly classed `relay-check-in` (the alerts area). */
  onNewInfected?: (host: InfectedHost) => void;
  now?: () => number;
  /** How often the plan is looked at (default 30 s). */
  tickMs?: number;
  log?: (line: string) => void;
  /** Events to clients (`ioc.day` after each job). */
  publish?: (event: string, data: unknown) => void;
}

/** Counters of the area (engine status `areas.ioc`). */
export interface IocAreaStatus {
  enabled: boolean;
  sources: string[];
  fetchAt: string;
  running: string | null;
  fetches: number;
  fetchFailures: number;
  jobs: number;
  jobFailures: number;
  alerts: number;
  lastJob: { day: string; seconds: number; iocs: number; remotes: number } | null;
  lastError: string | null;
}

/** The area with a handle to run its plan now (tests). */
export type IocArea = EngineArea & { tick(): Promise<void>; store: IocStore };

/** Create the area (inert until start). */
export function createIocArea(config: NocflowConfig, deps: IocAreaDeps): IocArea {
  const cfg = config.ioc;
  const now = deps.now ?? Date.now;
  const store = new IocStore(deps.db);
  const inside = new PrefixSet(config.engine.inside.map((prefix) => ({ prefix })));
  const units = new PrefixSet(config.engine.units.map((u) => ({ prefix: u.prefix, tag: u.name })));
  const names = cfg.sources.map((s) => s.name);
  const st: IocAreaStatus = { enabled: names.length > 0, sources: names, fetchAt: cfg.fetchAt, running: null, fetches: 0, fetchFailures: 0, jobs: 0, jobFailures: 0, alerts: 0, lastJob: null, lastError: null };
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> | undefined;
  let ac: AbortController | undefined;
  let log = deps.log ?? (() => undefined);
  let publish = deps.publish ?? (() => undefined);
  const onNewInfected = deps.onNewInfected
    ? (h: InfectedHost) => {
        deps.onNewInfected!(h);
        st.alerts++;
      }
    : undefined;

  const stateOf = (day: string) => {
    const j = store.job(day);
    return { listFetched: store.listFetched(day, names), jobDone: j?.status === 'done', jobFailedAt: j?.status === 'failed' ? (j.finishedAt ?? j.startedAt) : undefined };
  };

  async function step(s: PlanStep): Promise<void> {
    if (s.kind === 'fetch') {
      const rows = await fetchDayLists(cfg, store, s.day, now, log);
      st.fetches++;
      st.fetchFailures += rows.filter((r) => r.status !== 'ok').length;
      return;
    }
    const list = storedDayList(store, s.day);
    st.running = s.day;
    store.markRunning(s.day, now());
    ac = new AbortController();
    try {
      const jd = jobDepsFrom(config, { store, source: deps.source, now, esClient: deps.esClient, esStore: deps.esStore, onNewInfected, log, signal: ac.signal });
      const files = jd.reader.kind === 'files' ? dayFiles(deps.nfcapdDir, s.day) : undefined;
      const r = await runIocDay(s.day, list, { ...jd, files });
      st.jobs++;
      st.lastJob = { day: s.day, seconds: r.seconds, iocs: r.iocs.length, remotes: r.remotes.length };
      log(`ioc: ${s.day} correlated: ${r.list.entries} IoCs, ${r.files} files, ${r.remotes.length} remotes, ${r.candidates.length} candidates`);
      publish('ioc.day', { day: s.day, iocs: r.iocs.length, remotes: r.remotes.length, candidates: r.candidates.length, alerts: r.alerts });
    } catch (err) {
      const msg = (err as Error).message;
      if (ac.signal.aborted) {
        // Stopped: the day stays "running" in the ledger and runs again at the next start.
        return;
      }
      st.jobFailures++;
      st.lastError = `${s.day}: ${msg}`;
      store.markFailed(s.day, now(), msg);
      log(`ioc: ${s.day} failed: ${msg}`);
    } finally {
      st.running = null;
      ac = undefined;
    }
  }

  async function tick(): Promise<void> {
    if (!st.enabled) return;
    if (busy) return busy;
    busy = (async () => {
      try {
        for (const s of dailyPlan(now(), cfg, stateOf)) {
          if (stopped) break;
          await step(s);
        }
      } catch (err) {
        st.lastError = (err as Error).message;
        log(`ioc: ${st.lastError}`);
      }
    })().finally(() => {
      busy = undefined;
    });
    return busy;
  }

  let stopped = false;
  return {
    name: 'ioc',
    store,
    tick,
    handlers: () => iocHandlers({ store, status: () => ({ ...st }), inside, units, today: () => localDay(now()) }),
    start(ctx) {
      stopped = false;
      log = deps.log ?? ctx?.log ?? log;
      publish = deps.publish ?? ctx?.publish ?? publish;
      if (!st.enabled) return;
      // Alerts committed but not delivered before a stop are delivered now.
      st.alerts += deliverAlerts(store, deps.onNewInfected, units, log).length;
      void tick();
      timer = setInterval(() => void tick(), deps.tickMs ?? 30_000);
      timer.unref?.();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      ac?.abort();
      await busy?.catch(() => undefined);
    },
    status: () => ({ ...st }),
  };
}
