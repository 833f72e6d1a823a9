/**
 * The long-lived engine process: wires config → SQLite store → runner → handler tables → socket server, starts in
 * that order and stops in reverse. Several operators' TUIs share this one engine, one state and one BGP speaker.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NocflowConfig } from '../config/schema.js';
import { createNfdumpSource } from '../engine/nfdump-source.js';
import { createEngineRunner, type EngineEvent, type EngineRunner } from '../engine/runner.js';
import type { AnomalyType, WindowResult } from '../engine/types.js';
import { openDb, resolveDbPath, type Db } from '../store/db.js';
import { EngineStore } from '../store/engine-store.js';
import { dataDir } from '../util/paths.js';
import { parsePrefix } from '../util/ip.js';
import { stripControl } from '../util/sanitize.js';
import { runInvestigate, type InvestigateSummary } from './investigate.js';
import { RpcError, type HandlerTable } from './protocol.js';
import { startEngineServer, type EngineServer } from './server.js';

/** The engine as a component. */
export interface EngineProcess {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly socketPath: string;
}

/** Status as `engine.status` answers it. */
export interface EngineStatus {
  version: string;
  pid: number;
  startedAt: number;
  nfcapdDir: string;
  database: string;
  clients: number;
  processed: number;
  failed: number;
  flows: number;
  lagSeconds: number | null;
  latestWindow: { timeSlot: number; start: number; flows: number; anomalies: number } | null;
  recentErrors: { path: string; error: string; at: number }[];
}

const VERSION = '0.1.0';

/** Parse the `:window` argument: a relative offset ("-3") or a UTC time ("2026-11-22 14:05"). Pure. */
export function parseWindowRef(text: string): { offset: number } | { time: number } {
  const t = text.trim();
  if (/^-?\d{1,6}$/.test(t)) return { offset: -Math.abs(Number(t)) };
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new RpcError('BAD_PARAMS', `cannot read "${text}" as a window: use -3 or 2026-11-22 14:05`);
  return { time: ms };
}

/** Create the engine (inert until start). */
export function createEngineProcess(config: NocflowConfig, opts: { socketPath: string; nfcapdDir?: string; intervalSeconds?: number; now?: () => number }): EngineProcess {
  const now = opts.now ?? Date.now;
  const nfcapdDir = opts.nfcapdDir ?? config.engine.nfcapdDir;
  let db: Db | undefined;
  let store: EngineStore | undefined;
  let runner: EngineRunner | undefined;
  let server: EngineServer | undefined;
  const startedAt = now();
  const investigations = new Map<number, AbortController>();
  let nextInvestigation = 1;
  const source = createNfdumpSource({ bin: config.engine.nfdumpBin });

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

  const handlers = (): HandlerTable => ({
    'engine.status': async (): Promise<EngineStatus> => {
      const latest = store!.listWindows(1)[0];
      return {
        version: VERSION,
        pid: process.pid,
        startedAt,
        nfcapdDir,
        database: db!.name,
        clients: server?.clients() ?? 0,
        processed: runner!.stats.processed,
        failed: runner!.stats.failed,
        flows: runner!.stats.flows,
        lagSeconds: runner!.lagSeconds() ?? null,
        latestWindow: latest ? { timeSlot: latest.timeSlot, start: latest.start, flows: latest.flows, anomalies: latest.anomalyCount } : null,
        recentErrors: store!.failures(5),
      };
    },
    'windows.latest': async () => decorate(store!.latestWindow()),
    'windows.get': async (params) => {
      const p = (params ?? {}) as { ref?: string; id?: number };
      if (typeof p.id === 'number') return decorate(store!.getWindow(p.id));
      const ref = parseWindowRef(String(p.ref ?? '0'));
      if ('offset' in ref) return decorate(store!.windowByOffset(ref.offset));
      return decorate(store!.windowAtSlot(Math.floor((ref.time / 1000 + 150) / 300)));
    },
    'windows.list': async (params) => store!.listWindows(Math.min(1000, Number((params as { limit?: number })?.limit ?? 100))),
    'anomalies.history': async (params) => {
      const target = String((params as { target?: string })?.target ?? '');
      try {
        parsePrefix(target, { loose: true });
      } catch (err) {
        throw new RpcError('BAD_PARAMS', (err as Error).message);
      }
      return store!.history(target, 200);
    },
    'verdict.set': async (params, ctx) => {
      const p = (params ?? {}) as { ip?: string; type?: string; reason?: string; clear?: boolean };
      if (!p.ip || !p.type) throw new RpcError('BAD_PARAMS', 'verdict.set needs ip and type');
      parsePrefix(p.ip);
      if (p.clear) store!.clearVerdict(p.ip, p.type);
      else store!.setVerdict({ ip: p.ip, type: p.type, reason: stripControl(String(p.reason ?? '')).slice(0, 200) || 'false positive', who: ctx.user, at: now() });
      server?.publish('verdict.changed', { ip: p.ip, type: p.type });
      return store!.verdicts();
    },
    'verdict.list': async () => store!.verdicts(),
    'investigate.start': async (params) => {
      const p = (params ?? {}) as { target?: string; from?: number; to?: number };
      const target = String(p.target ?? '');
      try {
        parsePrefix(target, { loose: true });
      } catch (err) {
        throw new RpcError('BAD_PARAMS', (err as Error).message);
      }
      const to = typeof p.to === 'number' ? p.to : now();
      const from = typeof p.from === 'number' ? p.from : to - 3_600_000;
      const id = nextInvestigation++;
      const ac = new AbortController();
      investigations.set(id, ac);
      const history = store!.history(target, 50);
      void runInvestigate({
        dir: nfcapdDir, target, from, to, source, signal: ac.signal, intervalMs: (opts.intervalSeconds ?? 300) * 1000,
        onProgress: (pr) => server?.publish('investigate.progress', { id, ...pr }),
      }).then(
        (summary: InvestigateSummary) => server?.publish('investigate.result', { id, summary, history }),
        (err: Error) => server?.publish('investigate.result', { id, error: ac.signal.aborted ? 'cancelled' : err.message, history }),
      ).finally(() => investigations.delete(id));
      return { id, from, to };
    },
    'investigate.cancel': async (params) => {
      const id = Number((params as { id?: number })?.id);
      investigations.get(id)?.abort();
      return { cancelled: investigations.has(id) };
    },
  });

  return {
    socketPath: opts.socketPath,
    async start() {
      if (!nfcapdDir) throw new Error('engine.nfcapdDir is not set (nocflow config set engine.nfcapdDir /path/to/nfcapd)');
      fs.mkdirSync(nfcapdDir, { recursive: true });
      db = openDb(resolveDbPath(config.store.path, dataDir()));
      store = new EngineStore(db);
      runner = createEngineRunner({ ...config.engine, nfcapdDir, intervalSeconds: opts.intervalSeconds }, { store, source, now });
      server = await startEngineServer({ socketPath: opts.socketPath, handlers: handlers() });
      runner.on((e: EngineEvent) => {
        if (e.kind === 'window') server?.publish('window', { file: e.file, timeSlot: e.result.window.timeSlot, flows: e.result.flows, anomalies: e.result.anomalies.length });
        else if (e.kind === 'file-error') server?.publish('file-error', { file: e.file, reason: e.reason });
        else if (e.kind === 'lag') server?.publish('engine-lag', { seconds: e.seconds });
        if (e.kind !== 'lag') process.stderr.write(`${new Date(now()).toISOString()} ${e.kind} ${'file' in e ? path.basename(e.file) : ''} ${e.kind === 'file-error' ? stripControl(e.reason) : ''}\n`);
      });
      runner.start();
    },
    async stop() {
      for (const ac of investigations.values()) ac.abort();
      await runner?.stop();
      await server?.close();
      db?.close();
    },
  };
}
