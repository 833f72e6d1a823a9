/**
 * The one place the engine is assembled: configuration → areas (Elasticsearch, FlowSpec, devices, …) → the engine
 * process (pid file, store, runner, socket). `buildEngine` wires; `engine.start()` takes the pid file first, opens
 * the store, starts the areas in order and opens the socket last; `stop()` undoes it in reverse. `checkEngine` is
 * `nocflow engine --check`: the same assembly, judged without starting anything.
 */
import { createAlertsArea, type AlertsArea, type RaiseInput } from '../alerts/area.js';
import type { NocflowConfig } from '../config/schema.js';
import type { FlowspecConfig } from '../config/sections/flowspec.js';
import { createDevicesArea } from '../devices/area.js';
import { probersFrom } from '../devices/handlers.js';
import { createElasticsearchArea } from '../es/area.js';
import { createEsDeviceDocSink } from '../es/device-sink.js';
import { auditDoc, blockDoc } from '../es/documents.js';
import { createFlowspecArea } from '../flowspec/area.js';
import { createEsClient } from '../es/client.js';
import { createIocArea, type IocAreaDeps } from '../ioc/area.js';
import type { InfectedHost } from '../ioc/job.js';
import { createGeoArea } from '../geo/area.js';
import { checkFlowspecTargeting } from '../flowspec/entry.js';
import type { AuditEntry, Block } from '../flowspec/service.js';
import { flowSourceFrom } from '../ingest/flow-source.js';
import type { HandlerTable } from './protocol.js';
import { createHuntArea } from '../hunt/area.js';
import { openDb, resolveDbPath, type Db } from '../store/db.js';
import { EngineStore } from '../store/engine-store.js';
import { dataDir } from '../util/paths.js';
import { createLogger, type Logger } from '../util/log.js';
import { createEngineProcess, type EngineArea, type EngineProcess, type EngineProcessOptions } from './engine-process.js';
import { applyHotKeys } from './reload.js';

/**
 * FlowSpec keys a reload applies at once (the guards, TTLs, auto-block, reconciliation period: read for every
 * request). The others describe the BGP speaker: restarting it would withdraw every route at the routers, so they
 * wait for a restart of the engine.
 */
export const FLOWSPEC_HOT_KEYS: readonly string[] = [
  'protectedPrefixes', 'minPrefixV4', 'minPrefixV6', 'maxActiveRules', 'maxChangesPerMinute', 'defaultTtlSeconds', 'maxTtlSeconds',
  'repeatMultiplier', 'reconcileSeconds', 'victimRateBytesPerSecond', 'autoBlock', 'autoBlockTtlSeconds',
];

/** The assembled engine and what it is made of. */
export interface EngineAssembly {
  engine: EngineProcess;
  /** Area names in start order. */
  areas: string[];
  /** The alerts area: other areas raise alerts with `alerts.raise(...)`. */
  alerts: AlertsArea;
}

/** The Elasticsearch area (when `elasticsearch.node` is set): windows, ARP/MAC merges, blocks and the audit go to ES. */
function esArea(config: NocflowConfig, log: (line: string) => void) {
  const es = createElasticsearchArea(config.elasticsearch, { dataDir: dataDir(), log, spoolMaxBytes: config.limits.esSpoolBytes });
  if (!es) return undefined;
  const area: EngineArea = {
    name: 'elasticsearch',
    sinks: [es.sink],
    // The spool is replayed on a timer (every 5 s while it holds documents), not only before the next write.
    start: () => es.store.start(),
    stop: () => es.stop(),
    status: () => es.store.state(),
  };
  return { es, area };
}

/** FlowSpec (when enabled): its own connection to the same SQLite file (WAL). */
function flowspecArea(config: NocflowConfig, es: ReturnType<typeof esArea>, intervalSeconds?: number): EngineArea | undefined {
  if (!(config.flowspec as FlowspecConfig | undefined)?.enabled) return undefined;
  // The area's own live copy: the service and handlers read it for every request, so a reload can update it in place.
  const cfg = structuredClone(config.flowspec);
  let db: Db | undefined;
  let fs: ReturnType<typeof createFlowspecArea> | undefined;
  const onRecord = es
    ? (entry: AuditEntry, block?: Block) => {
        void es.es.store.writeDocs('audit', [auditDoc(entry)]).catch(() => undefined);
        if (block) void es.es.store.writeDocs('block', [blockDoc(block)]).catch(() => undefined);
      }
    : undefined;
  return {
    name: 'flowspec',
    handlers: () => fs?.handlers ?? {},
    // The block effect meter reads every window's batches as the runner reads them (once the area has started).
    taps: [{ name: 'block-effect', open: (info) => fs?.taps[0].open(info) }],
    async start(ctx) {
      db = openDb(resolveDbPath(config.store.path, dataDir()));
      const store = new EngineStore(db);
      fs = createFlowspecArea(cfg, {
        db,
        dataDir: dataDir(),
        latestFiles: () => store.latestWindow()?.files ?? [],
        source: flowSourceFrom(config.engine),
        inside: config.engine.inside,
        intervalSeconds,
        onRecord,
        bus: { publish: ctx.publish },
        log: ctx.log,
        latestWindow: () => {
          const w = store.latestWindow();
          return w ? { timeSlot: w.window.timeSlot, anomalies: w.anomalies } : undefined;
        },
      });
      await fs.start();
    },
    async stop() {
      await fs?.stop();
      db?.close();
    },
    status: () => fs?.status(),
    reload: (next, keys) =>
      applyHotKeys('flowspec', cfg as unknown as Record<string, unknown>, next.flowspec as unknown as Record<string, unknown>, keys, FLOWSPEC_HOT_KEYS,
        'the BGP speaker is not restarted by a reload (that would withdraw every route at the routers)'),
  };
}

/**
 * ARP/MAC collection: its own connection to the same SQLite file, opened on first use. A reload with a changed
 * `devices` section restarts it in-process (the new device list, credentials and schedule; history is in SQLite);
 * its socket methods keep their names and reach the new instance.
 */
function devicesArea(config: NocflowConfig, es: ReturnType<typeof esArea>, logger: Logger) {
  let db: Db | undefined;
  const dbOf = () => (db ??= openDb(resolveDbPath(config.store.path, dataDir())));
  const make = (cfg: NocflowConfig['devices']) =>
    createDevicesArea(cfg, dbOf, {
      ...(es ? { sinks: [createEsDeviceDocSink(es.es.store)] } : {}),
      // devices.anomalies lists the engine's ARP-confirmed probers of a stored window.
      probersAt: (slot) => probersFrom(new EngineStore(dbOf()))(slot),
      maxOutputBytes: config.limits.deviceOutputBytes,
      // Store, sink and prune failures are counted by the collector and said here (they are not a device's fault).
      onError: (err: Error) => logger.warn(err.message),
    });
  const current = { devices: make(config.devices), list: config.devices.list.length };
  const handlers = () => Object.fromEntries(Object.keys(current.devices.handlers).map((m) => [m, ((p, ctx) => current.devices.handlers[m](p, ctx)) as HandlerTable[string]]));
  let running = false;
  const area: EngineArea = {
    name: 'devices',
    handlers,
    start() {
      running = true;
      current.devices.start();
    },
    async stop() {
      running = false;
      await current.devices.stop();
      db?.close();
    },
    status: () => {
      const last = current.devices.collector.lastRun();
      return {
        ...current.devices.collector.counters(),
        devices: current.list,
        ...(last
          ? {
              lastRun: {
                timeSlot: last.timeSlot,
                startedAt: last.startedAt,
                results: last.results.map((r) => ({ device: r.device, ok: r.ok, ...(r.reason ? { reason: r.reason } : {}), ...(r.error ? { error: r.error } : {}), arp: r.arp.length, mac: r.mac.length, skipped: r.skipped, durationMs: r.durationMs })),
              },
            }
          : {}),
      };
    },
    async reload(next) {
      const fresh = make(next.devices);
      const old = current.devices;
      await old.stop();
      current.devices = fresh;
      current.list = next.devices.list.length;
      if (running) fresh.start();
      return { applied: ['devices'], restart: [] };
    },
  };
  return { devices: current, area };
}

/**
 * The daily hunt: the previous UTC day after `hunt.at`, on the engine's database (scheduled when `hunt.enabled`; its
 * `hunt.*` methods answer from the records either way).
 */
function huntArea(config: NocflowConfig, opts: EngineProcessOptions, es: ReturnType<typeof esArea>): EngineArea {
  const e = config.engine;
  return createHuntArea(config.hunt, {
    nfcapdDir: opts.nfcapdDir ?? e.nfcapdDir,
    source: flowSourceFrom(e),
    analysis: { topN: e.topN, inside: e.inside, units: e.units, knownServers: e.knownServers, thresholds: e.thresholds, peerCap: e.peerCap },
    knownServers: e.knownServers,
    ...((config.flowspec as FlowspecConfig | undefined)?.enabled ? { maxActiveRules: config.flowspec.maxActiveRules } : {}),
    ...(es ? { es: { store: es.es.store, flows: es.es.flows } } : {}),
  });
}

/**
 * The IoC blacklist correlation (when `ioc.sources` is set): its own connection to the same SQLite file. `onNewInfected`
 * is the alerts area's hook (an inside host newly classed relay-check-in).
 */
function iocArea(config: NocflowConfig, es: ReturnType<typeof esArea>, nfcapdDir: string, onNewInfected?: IocAreaDeps['onNewInfected']): EngineArea | undefined {
  if (config.ioc.sources.length === 0) return undefined;
  let db: Db | undefined;
  const esClient = config.ioc.flowStore === 'elasticsearch' && config.elasticsearch.node ? createEsClient(config.elasticsearch) : undefined;
  const area = createIocArea(config, {
    db: () => (db ??= openDb(resolveDbPath(config.store.path, dataDir()))),
    source: flowSourceFrom(config.engine),
    nfcapdDir,
    esClient,
    esStore: es?.es.store,
    onNewInfected,
  });
  return {
    ...area,
    async stop() {
      await area.stop?.();
      await esClient?.close().catch(() => undefined);
      db?.close();
    },
  };
}

/**
 * The alert for an inside host the IoC job newly found checking in with C&C relays (pure): keyed by host and last day,
 * so a catch-up or a re-run of the day raises it once.
 */
export function infectedAlert(h: InfectedHost): RaiseInput {
  const relays = h.relays.slice(0, 5).map((r) => `${r.ioc}:${r.port}`).join(', ') + (h.relays.length > 5 ? ` (+${h.relays.length - 5})` : '');
  const unit = h.unit ? ` (${h.unit})` : '';
  return {
    source: 'ioc',
    key: `infected:${h.ip}:${h.lastDay}`,
    ip: h.ip,
    type: 'relay-check-in',
    severity: 'over',
    role: 'internal',
    title: { en: 'Infected host checks in with C&C relays', 'zh-TW': '疑似受感染主機定期連線 C&C 中繼站' },
    text: {
      en: `${h.ip}${unit} checked in with ${h.relays.length} IoC relay(s) on ${h.daysSeen} day(s) (${h.firstDay} to ${h.lastDay}): ${relays}. Score ${h.score}${h.categories.length ? `; ${h.categories.join(', ')}` : ''}.`,
      'zh-TW': `${h.ip}${unit} 於 ${h.daysSeen} 天內（${h.firstDay} 至 ${h.lastDay}）連線 ${h.relays.length} 個 IoC 中繼站：${relays}。分數 ${h.score}${h.categories.length ? `；${h.categories.join('、')}` : ''}。`,
    },
    details: { score: h.score, iocs: h.iocs, relays: h.relays, categories: h.categories, firstDay: h.firstDay, lastDay: h.lastDay },
  };
}

/** Wire the engine from configuration (inert until `engine.start()`). */
export function buildEngine(config: NocflowConfig, opts: EngineProcessOptions, deps: { logger?: Logger } = {}): EngineAssembly {
  const logger = deps.logger ?? createLogger('engine', { now: opts.now });
  const esLog = logger.child('elasticsearch');
  const es = esArea(config, (line) => esLog.warn(line));
  const flowspec = flowspecArea(config, es, opts.intervalSeconds);
  const dev = devicesArea(config, es, logger.child('devices'));
  const log = (line: string) => logger.info(line);
  const hunt = huntArea(config, opts, es);
  // Alerts before IoC: an area that raises alerts (`alerts.raise`, e.g. IoC's catch-up at its start) finds the
  // alerts area started, and it stops only after them.
  const alerts = createAlertsArea(config, { log });
  // A host newly classed as checking in with a C&C relay is an alert to the NOC and to its unit (once per host and day).
  const ioc = iocArea(config, es, opts.nfcapdDir ?? config.engine.nfcapdDir, (h) => void alerts.raise(infectedAlert(h)));
  const areas = [...(es ? [es.area] : []), ...(flowspec ? [flowspec] : []), dev.area, hunt, alerts, ...(ioc ? [ioc] : []), createGeoArea()];
  const engine = createEngineProcess(config, opts, {
    areas,
    flowQuery: es?.es.flows,
    // The ARP tables' unused addresses: their outside senders become `unused-probe` attackers of the window.
    arpUnused: (slot) => dev.devices.devices.unusedAddresses(slot),
    logger,
  });
  return { engine, areas: areas.map((a) => a.name), alerts };
}

/** What `engine --check` reports: problems (each one line with its path) and the plan. */
export interface EngineCheck {
  problems: string[];
  areas: string[];
  reader: string;
  nfcapdDir: string;
}

/**
 * What the engine itself needs of a configuration, beyond each section's own check (config/check.ts, which every caller
 * runs too): the nfcapd directory, the FlowSpec targeting, IoC over Elasticsearch; and what would run. Pure.
 */
export function checkEngine(config: NocflowConfig, opts: { nfcapdDir?: string } = {}): EngineCheck {
  const problems: string[] = [];
  const nfcapdDir = opts.nfcapdDir ?? config.engine.nfcapdDir;
  if (!nfcapdDir) problems.push('engine.nfcapdDir: not set (nocflow config set engine.nfcapdDir /path/to/nfcapd)');
  const fsCfg = config.flowspec as FlowspecConfig | undefined;
  if (fsCfg?.enabled) problems.push(...checkFlowspecTargeting(fsCfg));
  const areas = [
    ...(config.elasticsearch.node ? ['elasticsearch'] : []),
    ...((config.flowspec as FlowspecConfig | undefined)?.enabled ? ['flowspec'] : []),
    'devices',
    'hunt',
    'alerts',
    ...(config.ioc.sources.length > 0 ? ['ioc'] : []),
    'geo',
  ];
  if (config.ioc.flowStore === 'elasticsearch' && !config.elasticsearch.node) problems.push('ioc.flowStore: elasticsearch needs elasticsearch.node');
  return { problems, areas, reader: config.engine.reader, nfcapdDir };
}
