/**
 * The long-lived engine process: wires config → SQLite store → runner → handler tables → socket server, starts in
 * that order and stops in reverse. Several operators' TUIs share this one engine, one state and one BGP speaker.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NocflowConfig } from '../config/schema.js';
import { flowSourceFrom } from '../ingest/flow-source.js';
import { configuredDestinations } from '../ingest/window-workers.js';
import { createEngineRunner, type EngineEvent, type EngineRunner, type RunnerDeps } from '../ingest/runner.js';
import type { WindowSink, WindowTap } from '../engine/sink.js';
import { timeSlotOf, type AnomalyType, type WindowResult } from '../engine/types.js';
import { openDb, resolveDbPath, type Db } from '../store/db.js';
import { EngineStore } from '../store/engine-store.js';
import { limitsDefaults } from '../config/sections/limits.js';
import { dataDir } from '../util/paths.js';
import { parsePrefix, prefixContains, prefixToString } from '../util/ip.js';
import { stripControl } from '../util/sanitize.js';
import { VERSION } from '../util/version.js';
import { createLogger, type Logger } from '../util/log.js';
import { runInvestigate, type InvestigateProgress, type InvestigateSummary } from './investigate.js';
import { type EngineStatus, type HistoryParams, type WindowEvent, type WindowsGetParams } from './methods.js';
import { RpcError, type HandlerTable } from './protocol.js';
import type { AreaContext, EngineArea } from './area.js';
import { configProblems, PreflightError, readerProblem, storeProblem } from './preflight.js';
import { bySection, changedKeys, HOT_ENGINE_KEYS, restartReason, type PendingRestart, type ReloadResult } from './reload.js';
import { acquirePidFile, prepareRuntimeDir, resolveGroup, startEngineServer, type EngineServer } from './server.js';

export type { EngineStatus } from './methods.js';

/** The engine as a component. */
export interface EngineProcess {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Apply a new (already validated) configuration without a restart (src/daemon/reload.ts): the runner's analysis
   * settings from the next file, each changed area as it decides; the rest is reported as waiting for a restart.
   */
  reload(next: NocflowConfig): Promise<ReloadResult>;
  /** Record a reload that was refused (the new file is invalid): the running configuration stays; status shows why. */
  refuseReload(reason: string): ReloadResult;
  readonly socketPath: string;
}

/** Parse the `:window` argument: a relative offset ("-3") or a UTC time ("2026-11-22 14:05"). Pure. */
export function parseWindowRef(text: string): { offset: number } | { time: number } {
  const t = text.trim();
  if (/^-?\d{1,6}$/.test(t)) return { offset: -Math.abs(Number(t)) };
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new RpcError('BAD_PARAMS', `cannot read "${text}" as a window: use -3 or 2026-11-22 14:05`);
  return { time: ms };
}

/** The pid file that goes with a socket path. */
export function pidFileFor(socketPath: string): string {
  return `${socketPath}.pid`;
}

/** Validate an IP or prefix param (the only form a target takes before it reaches nfdump or SQL). */
function targetParam(text: unknown): string {
  const t = String(text ?? '');
  try {
    return prefixToString(parsePrefix(t, { loose: true }));
  } catch (err) {
    throw new RpcError('BAD_PARAMS', (err as Error).message);
  }
}

/** Options of the engine process. */
export interface EngineProcessOptions {
  socketPath: string;
  /** Overrides config engine.nfcapdDir. */
  nfcapdDir?: string;
  /** nfcapd's rotation interval in seconds (lag and investigate file ranges); default: inferred from the file names. */
  intervalSeconds?: number;
  /** Group (name or gid) the socket is handed to; default: the user's own group. */
  group?: string | number;
  now?: () => number;
}

export type { AreaContext, AreaReload, EngineArea } from './area.js';

/** Dependencies: the areas, and the hooks the core reads. */
export interface EngineProcessDeps {
  areas?: EngineArea[];
  /** Handler tables merged after the core ones (tests). */
  handlers?: HandlerTable[];
  /** Answers investigate from Elasticsearch instead of the nfcapd files (src/es FlowQueryBackend), when configured. */
  flowQuery?: { investigate(target: string, range: { from: number; to: number }, opts?: { signal?: AbortSignal }): Promise<InvestigateSummary> };
  /** Where windows go besides SQLite (the Elasticsearch sink), handed to the runner. */
  sinks?: WindowSink[];
  /** ARP-confirmed unused addresses per window (the devices area), handed to the runner. */
  arpUnused?: RunnerDeps['arpUnused'];
  /** Inside each window's commit transaction (fault injection: see `commitPauseFromEnv`). */
  beforeCommit?: RunnerDeps['beforeCommit'];
  /** The engine's logger (component `engine`); areas get children named after them. Default: stderr. */
  logger?: Logger;
}

/**
 * Fault injection for tests (never set in production): with `NOCFLOW_FAULT_COMMIT_PAUSE_MS`, every window's commit
 * transaction writes `<data dir>/fault-in-commit` (the file being committed) and then blocks for that long before it
 * commits, so a test can kill -9 the engine mid-commit and check that nothing of the window was kept.
 */
export function commitPauseFromEnv(env: NodeJS.ProcessEnv = process.env): RunnerDeps['beforeCommit'] {
  const ms = Number(env.NOCFLOW_FAULT_COMMIT_PAUSE_MS);
  if (!(ms > 0)) return undefined;
  return (file) => {
    fs.writeFileSync(path.join(dataDir(), 'fault-in-commit'), `${file}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  };
}

/** Create the engine (inert until start). */
export function createEngineProcess(config: NocflowConfig, opts: EngineProcessOptions, deps: EngineProcessDeps = {}): EngineProcess {
  const now = opts.now ?? Date.now;
  const nfcapdDir = opts.nfcapdDir ?? config.engine.nfcapdDir;
  let db: Db | undefined;
  let store: EngineStore | undefined;
  let runner: EngineRunner | undefined;
  let server: EngineServer | undefined;
  let releasePid: (() => void) | undefined;
  const startedAt = now();
  const investigations = new Map<number, { ac: AbortController; connection?: number; user: string; target: string; since: number }>();
  const limits = { ...limitsDefaults, ...(config.limits ?? {}) };
  const invCounters = { started: 0, refusedBusy: 0, refusedRange: 0 };
  let nextInvestigation = 1;
  const source = flowSourceFrom(config.engine);
  const areas = deps.areas ?? [];
  const started: EngineArea[] = [];
  const logger = deps.logger ?? createLogger('engine', { now });
  const log = (line: string) => logger.info(line);
  /** The running configuration; its `engine` analysis keys are the runner's (it reads them for every file). */
  let running: NocflowConfig = structuredClone(config);
  const runnerConfig = { ...structuredClone(config.engine), nfcapdDir, intervalSeconds: opts.intervalSeconds, limits };
  const reloads = { count: 0, last: undefined as ReloadResult | undefined, pending: new Map<string, PendingRestart>() };

  const decorate = (w: WindowResult | undefined) => {
    if (!w || !store) return w ?? null;
    const verdicts = new Map(store.verdicts().map((v) => [`${v.ip}|${v.type}`, v]));
    return {
      ...w,
      anomalies: w.anomalies.map((a) => ({
        ...a,
        history: store!.presence(a.ip, a.type as AnomalyType, w.window.timeSlot, 12),
        verdict: verdicts.get(`${a.ip}|${a.type}`) ?? null,
      })),
    };
  };

  /** The target's anomalies in the newest window (its role right now). */
  const currentRole = (target: string) => {
    const w = store!.latestWindow();
    if (!w) return null;
    const p = parsePrefix(target, { loose: true });
    return { timeSlot: w.window.timeSlot, anomalies: w.anomalies.filter((a) => prefixContains(p, a.ip)) };
  };

  const handlers = (): HandlerTable => {
    const table: HandlerTable = { ...core() };
    for (const a of areas) if (a.handlers) Object.assign(table, a.handlers());
    for (const t of deps.handlers ?? []) Object.assign(table, t);
    table['engine.methods'] = async () => Object.keys(table).sort();
    return table;
  };

  const core = (): HandlerTable => ({
    'engine.status': async (): Promise<EngineStatus> => {
      const latest = store!.listWindows(1)[0];
      return {
        version: VERSION,
        pid: process.pid,
        startedAt,
        uptimeSeconds: Math.round((now() - startedAt) / 1000),
        investigations: investigations.size,
        nfcapdDir,
        database: db!.name,
        clients: server?.clients() ?? 0,
        processed: runner!.stats.processed,
        failed: runner!.stats.failed,
        flows: runner!.stats.flows,
        ledger: store!.ledgerCounts(),
        held: store!.heldFiles(20).map((h) => ({ path: h.path, status: h.status as 'deferred' | 'quarantined', reason: h.error ?? '', attempts: h.attempts, deferrals: h.deferrals, retryAt: h.nextAttemptAt })),
        lagSeconds: runner!.lagSeconds() ?? null,
        rotation: { seconds: runner!.intervalMs() / 1000, inferred: !opts.intervalSeconds },
        latestWindow: latest ? { timeSlot: latest.timeSlot, start: latest.start, flows: latest.flows, anomalies: latest.anomalyCount, ...(latest.degraded ? { degraded: latest.degraded } : {}), ...(latest.partial ? { partial: latest.partial } : {}) } : null,
        recentErrors: store!.failures(5),
        skipped: runner!.stats.skipped,
        reading: runner!.reading(),
        ...(server ? { server: server.stats(), clientList: server.clientList() } : {}),
        investigate: {
          running: [...investigations].map(([id, i]) => ({ id, user: i.user, target: i.target, since: i.since })),
          ...invCounters,
          limit: limits.investigations,
          perClient: limits.investigationsPerClient,
        },
        areas: Object.fromEntries(
          started.filter((a) => a.status).map((a) => {
            try {
              return [a.name, a.status!()];
            } catch (err) {
              return [a.name, { error: (err as Error).message }];
            }
          }),
        ),
        analysis: { topN: runnerConfig.topN, peerCap: runnerConfig.peerCap, pollSeconds: runnerConfig.pollSeconds, inside: runnerConfig.inside, thresholds: runnerConfig.thresholds },
        reload: { count: reloads.count, last: reloads.last ?? null, pendingRestart: [...reloads.pending.values()] },
      };
    },
    'windows.latest': async () => decorate(store!.latestWindow()),
    'windows.get': async (params) => {
      const p = (params ?? {}) as WindowsGetParams;
      if (typeof p.id === 'number') return decorate(store!.getWindow(p.id));
      if (typeof p.timeSlot === 'number') return decorate(store!.windowAtSlot(p.timeSlot));
      if (typeof p.offset === 'number') return decorate(store!.windowByOffset(p.offset));
      const ref = typeof p.time === 'number' ? { time: p.time } : parseWindowRef(String(p.ref ?? '0'));
      if ('offset' in ref) return decorate(store!.windowByOffset(ref.offset));
      return decorate(store!.windowAtSlot(timeSlotOf(Math.floor(ref.time / 1000))));
    },
    'windows.list': async (params) => store!.listWindows(Math.min(1000, Number((params as { limit?: number })?.limit ?? 100))),
    'anomalies.history': async (params) => {
      const p = (params ?? {}) as HistoryParams;
      const target = targetParam(p.target ?? p.ip ?? p.prefix);
      return store!.history(target, Math.max(1, Math.min(2000, Number(p.limit ?? 200) || 200)));
    },
    'verdict.set': async (params, ctx) => {
      const p = (params ?? {}) as { ip?: string; type?: string; reason?: string; clear?: boolean };
      if (!p.ip || !p.type) throw new RpcError('BAD_PARAMS', 'verdict.set needs ip and type');
      try {
        parsePrefix(p.ip);
      } catch (err) {
        throw new RpcError('BAD_PARAMS', (err as Error).message);
      }
      if (!/^[a-z0-9-]{1,40}$/.test(p.type)) throw new RpcError('BAD_PARAMS', `bad anomaly type "${stripControl(p.type).slice(0, 40)}"`);
      if (p.clear) store!.clearVerdict(p.ip, p.type);
      else store!.setVerdict({ ip: p.ip, type: p.type, reason: stripControl(String(p.reason ?? '')).slice(0, 200) || 'false positive', who: ctx.user, at: now() });
      server?.publish('verdict.changed', { ip: p.ip, type: p.type, cleared: p.clear === true });
      return store!.verdicts();
    },
    'verdict.list': async () => store!.verdicts(),
    'investigate.start': async (params, ctx) => {
      const p = (params ?? {}) as { target?: string; from?: number; to?: number };
      const target = targetParam(p.target);
      const to = typeof p.to === 'number' ? p.to : now();
      const from = typeof p.from === 'number' ? p.from : to - 3_600_000;
      if (!(from < to)) throw new RpcError('BAD_PARAMS', `empty time range: from ${from} is not before to ${to}`);
      // What one client can cost everyone: the range, the investigations at once (all, and its own), the peers kept.
      const hours = (to - from) / 3_600_000;
      if (hours > limits.investigateMaxHours) {
        invCounters.refusedRange++;
        throw new RpcError('LIMIT', `a range of ${Math.round(hours * 10) / 10} h is longer than limits.investigateMaxHours (${limits.investigateMaxHours} h): investigate a shorter range`);
      }
      const mine = [...investigations.values()].filter((i) => i.connection !== undefined && i.connection === ctx.connection).length;
      if (investigations.size >= limits.investigations || mine >= limits.investigationsPerClient) {
        invCounters.refusedBusy++;
        throw new RpcError(
          'BUSY',
          mine >= limits.investigationsPerClient
            ? `you already run ${mine} investigation(s) (limits.investigationsPerClient ${limits.investigationsPerClient}): wait for one, or cancel it`
            : `${investigations.size} investigations are running (limits.investigations ${limits.investigations}): try again when one ends`,
        );
      }
      const id = nextInvestigation++;
      const ac = new AbortController();
      invCounters.started++;
      investigations.set(id, { ac, connection: ctx.connection, user: ctx.user, target, since: now() });
      const history = store!.history(target, 50);
      const current = currentRole(target);
      const onProgress = (pr: InvestigateProgress) => server?.publish('investigate.progress', { id, ...pr });
      // Elasticsearch answers when configured (deps.flowQuery); otherwise the nfcapd file store through nfdump.
      const run = deps.flowQuery
        ? deps.flowQuery.investigate(target, { from, to }, { signal: ac.signal })
        : runInvestigate({ dir: nfcapdDir, target, from, to, source, signal: ac.signal, intervalMs: runner?.intervalMs() ?? (opts.intervalSeconds ?? 300) * 1000, onProgress, maxPeers: limits.investigatePeers });
      void run
        .then(
          (summary: InvestigateSummary) => server?.publish('investigate.result', { id, summary, history, current }),
          (err: Error) => server?.publish('investigate.result', { id, error: ac.signal.aborted ? 'cancelled' : err.message, history, current }),
        )
        .finally(() => investigations.delete(id));
      return { id, from, to };
    },
    'investigate.cancel': async (params) => {
      const id = Number((params as { id?: number })?.id);
      investigations.get(id)?.ac.abort();
      return { cancelled: investigations.has(id) };
    },
  });

  const stopAll = async () => {
    await runner?.stop();
    for (const i of investigations.values()) i.ac.abort();
    await server?.close();
    // Areas stop in reverse; one that fails to stop does not keep the others (or the pid file) alive.
    for (const a of started.splice(0).reverse()) {
      try {
        await a.stop?.();
      } catch (err) {
        logger.error(`stopping ${a.name}: ${(err as Error).message}`);
      }
    }
    db?.close();
    releasePid?.();
    runner = undefined;
    server = undefined;
    db = undefined;
    releasePid = undefined;
  };

  return {
    socketPath: opts.socketPath,
    async start() {
      if (!nfcapdDir) throw new Error('engine.nfcapdDir is not set (nocflow config set engine.nfcapdDir /path/to/nfcapd)');
      // The runtime directory is judged before anything is written into it (trust.ts), then the pid file is taken
      // before any area starts: a second engine never starts a gobgpd, a collector or a reconcile of its own.
      prepareRuntimeDir(path.dirname(opts.socketPath), opts.group === undefined || opts.group === '' ? undefined : resolveGroup(opts.group));
      releasePid = acquirePidFile(pidFileFor(opts.socketPath));
      try {
        // Preflight: a configuration the engine cannot use, or a reader that cannot run, refuses the start before the
        // store is opened; then the store must take a write.
        const readerInfo: string[] = [];
        const refused = [...configProblems(config), ...[await readerProblem(source, config, readerInfo)].filter((p): p is string => p !== undefined)];
        if (refused.length > 0) throw new PreflightError(refused);
        fs.mkdirSync(nfcapdDir, { recursive: true });
        db = openDb(resolveDbPath(config.store.path, dataDir()));
        const unwritable = storeProblem(db);
        if (unwritable) throw new PreflightError([unwritable]);
        if (readerInfo.length > 0) log(`reader: ${readerInfo.join(', ')}`);
        store = new EngineStore(db);
        const sinks = [...(deps.sinks ?? []), ...areas.flatMap((a) => a.sinks ?? [])];
        const taps = areas.flatMap((a) => a.taps ?? []);
        const commitHooks = areas.flatMap((a) => a.commitHooks ?? []);
        const destinations = configuredDestinations(config.engine);
        const r = createEngineRunner(runnerConfig, { store, source, now, sinks, taps, arpUnused: deps.arpUnused, beforeCommit: deps.beforeCommit ?? commitPauseFromEnv(), commitHooks, ...(destinations ? { destinations } : {}) });
        runner = r;
        const ctx: AreaContext = {
          store,
          db,
          publish: (event, data) => server?.publish(event, data),
          onEngineEvent: (l) => r.on(l),
          log,
          logger,
          now,
        };
        for (const a of areas) {
          started.push(a);
          const child = logger.child(a.name);
          await a.start?.({ ...ctx, logger: child, log: (line) => child.info(line) });
        }
        server = await startEngineServer({ socketPath: opts.socketPath, handlers: handlers(), group: opts.group, maxClientBuffer: limits.clientBufferBytes, log, now });
      } catch (err) {
        runner = undefined; // never started
        await stopAll();
        throw err;
      }
      runner.on((e: EngineEvent) => {
        if (e.kind === 'window') {
          const data: WindowEvent = { file: e.file, timeSlot: e.result.window.timeSlot, start: e.result.window.start, flows: e.result.flows, anomalies: e.result.anomalies.length, seconds: e.seconds };
          server?.publish('window', data);
        } else if (e.kind === 'file-error') server?.publish('file-error', { file: e.file, reason: e.reason });
        else if (e.kind === 'file-deferred') server?.publish('file-deferred', { file: e.file, reason: e.reason, retryAt: e.retryAt, deferrals: e.deferrals });
        else if (e.kind === 'file-quarantined') server?.publish('file-quarantined', { file: e.file, reason: e.reason, attempts: e.attempts });
        else if (e.kind === 'lag') server?.publish('engine-lag', { seconds: e.seconds });
        if (e.kind === 'window') log(`window ${path.basename(e.file)}: ${e.result.flows} flows, ${e.result.anomalies.length} anomalies, ${e.seconds.toFixed(1)} s`);
        else if (e.kind === 'file-error') logger.warn(`file-error ${path.basename(e.file)}: ${stripControl(e.reason)}`);
        else if (e.kind !== 'lag') logger.warn(`${e.kind}${'file' in e ? ` ${path.basename(e.file)}` : ''}: ${'reason' in e ? stripControl(e.reason) : ''}`);
      });
      runner.start();
    },
    stop: stopAll,
    async reload(next) {
      const keys = changedKeys(running as Record<string, unknown>, next as Record<string, unknown>);
      const result: ReloadResult = { at: now(), ok: true, applied: [], restart: [] };
      for (const [section, sectionKeys] of bySection(keys)) {
        if (section === 'engine') {
          for (const k of sectionKeys) {
            if (HOT_ENGINE_KEYS.includes(k)) {
              (runnerConfig as Record<string, unknown>)[k] = structuredClone((next.engine as unknown as Record<string, unknown>)[k]);
              result.applied.push(`engine.${k}`);
            } else result.restart.push({ key: `engine.${k}`, why: restartReason('engine', k) });
          }
          continue;
        }
        const area = started.find((a) => (a.section ?? a.name) === section);
        if (area?.reload) {
          try {
            const r = await area.reload(next, sectionKeys);
            result.applied.push(...r.applied);
            result.restart.push(...r.restart);
          } catch (err) {
            result.restart.push({ key: section, why: `reloading ${area.name} failed: ${(err as Error).message}` });
            logger.error(`reload: ${area.name}: ${(err as Error).message}`);
          }
        } else {
          const keysOrSection = sectionKeys.length > 0 ? sectionKeys.map((k) => `${section}.${k}`) : [section];
          for (const key of keysOrSection) result.restart.push({ key, why: restartReason(section, key.split('.').slice(1).join('.')) });
        }
      }
      // Applied keys no longer wait for a restart; the others do, until the engine restarts.
      const nextRunning = structuredClone(next);
      for (const p of result.restart) {
        const [section, key] = p.key.split('.');
        const live = running as Record<string, Record<string, unknown> | unknown>;
        const target = nextRunning as Record<string, unknown>;
        if (key === undefined) target[section] = structuredClone(live[section]);
        else if (typeof target[section] === 'object' && target[section] !== null) (target[section] as Record<string, unknown>)[key] = structuredClone((live[section] as Record<string, unknown> | undefined)?.[key]);
        reloads.pending.set(p.key, p);
      }
      for (const k of result.applied) reloads.pending.delete(k);
      running = nextRunning;
      reloads.count++;
      reloads.last = result;
      const rlog = logger.child('reload');
      if (keys.length === 0) rlog.info('configuration reloaded: nothing changed');
      else {
        rlog.notice(`configuration reloaded: ${result.applied.length > 0 ? `applied ${result.applied.join(', ')}` : 'nothing applied'}`);
        for (const p of result.restart) rlog.warn(`${p.key} changed but waits for a restart (${p.why}): systemctl restart nocflow-engine`);
      }
      return result;
    },
    refuseReload(reason) {
      const result: ReloadResult = { at: now(), ok: false, applied: [], restart: [], error: reason };
      reloads.count++;
      reloads.last = result;
      logger.child('reload').error(`the new configuration was refused, the running one is kept: ${reason}`);
      return result;
    },
  };
}
