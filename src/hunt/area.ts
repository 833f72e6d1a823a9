/**
 * The hunt as an engine area: after `hunt.at` (UTC, default 00:30) the previous day is hunted once — its files read
 * through the engine's FlowSource, or Elasticsearch's flow indices — recorded in SQLite (and as daily signature
 * documents in ES), so a restart neither skips nor repeats it (src/hunt/schedule.ts). One run at a time; `stop()`
 * interrupts a run, which is then due again at the next start. Socket methods `hunt.*` read the records.
 */
import type { HuntConfig } from '../config/sections/hunt.js';
import { minutesOf } from '../config/sections/hunt.js';
import type { AreaContext, EngineArea } from '../daemon/area.js';
import { RpcError, type HandlerTable } from '../daemon/protocol.js';
import type { FlowSource } from '../engine/types.js';
import { signatureDocs } from './es-docs.js';
import type { FlowQueryBackend, ResultStore } from '../es/types.js';
import { listCompleted } from '../ingest/watcher.js';
import { stripControl } from '../util/sanitize.js';
import { HuntRecords, type HuntRun } from './records.js';
import { dayText, parseDay } from './report.js';
import { runEsHunt, runFilesHunt, type CatalogueAnalysis, type HuntRunResult } from './run.js';
import { dueAt, dueDays, latestDueDay } from './schedule.js';

/** What the engine hands the area. */
export interface HuntAreaDeps {
  nfcapdDir: string;
  source: FlowSource;
  analysis: CatalogueAnalysis;
  knownServers: string[];
  /** Elasticsearch, when configured: signature documents go to `store`; `flows` answers when the day has no files. */
  es?: { store: ResultStore; flows: Pick<FlowQueryBackend, 'huntSignature'> };
  /** How often the clock is looked at (default 60 s). */
  tickMs?: number;
  /** A failed day is tried again after this long (default 1 h). */
  retryMs?: number;
  /** flowspec.maxActiveRules when FlowSpec is enabled (the Signatures view plans blocks against it). */
  maxActiveRules?: number;
}

/** The area's counters for `engine status`. */
export interface HuntAreaStatus {
  enabled: boolean;
  at: string;
  running: string | null;
  runs: number;
  failures: number;
  lastRun: HuntRun | null;
  /** When the next day's hunt becomes due (epoch ms). */
  nextDueAt: number | null;
  lastError: string | null;
}

const DAY = 86_400_000;

/** Create the area (inert until start). */
export function createHuntArea(config: HuntConfig, deps: HuntAreaDeps): EngineArea & { tick(): Promise<void>; idle(): Promise<void> } {
  const at = minutesOf(config.at) ?? 30;
  let ctx: AreaContext | undefined;
  let records: HuntRecords | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: { day: string; ac: AbortController; done: Promise<void> } | undefined;
  let runs = 0;
  let failures = 0;
  let lastError: string | null = null;

  const filesOf = (dayMs: number) => (deps.nfcapdDir ? listCompleted(deps.nfcapdDir).filter((f) => f.time >= dayMs && f.time < dayMs + DAY).map((f) => f.path) : []);

  async function huntDay(dayMs: number, ac: AbortController): Promise<void> {
    const c = ctx!;
    const r = records!;
    const day = dayText(dayMs);
    const files = filesOf(dayMs);
    const useEs = config.source === 'elasticsearch' || (config.source === 'auto' && files.length === 0 && deps.es !== undefined);
    if (useEs && !deps.es) throw new Error('hunt.source is elasticsearch but Elasticsearch is not configured');
    r.begin(day, 'schedule', useEs ? 'elasticsearch' : 'files', c.now());
    c.log(`hunt ${day}: started (${useEs ? 'elasticsearch' : `${files.length} files`})`);
    const opts = { near: config.near, includeWeak: config.includeWeak, maxSignatures: config.maxSignatures, memberCap: config.memberCap, knownServers: deps.knownServers, signal: ac.signal, clock: c.now };
    let result: HuntRunResult;
    try {
      result = useEs
        ? await runEsHunt(dayMs, { records: r, backend: deps.es!.flows }, opts)
        : await runFilesHunt(files, { source: deps.source, records: r, dayMs, analysis: deps.analysis }, opts);
    } catch (err) {
      const msg = ac.signal.aborted ? 'interrupted by engine stop' : stripControl((err as Error).message);
      r.fail(day, msg, ac.signal.aborted ? null : c.now());
      throw err;
    }
    r.saveDay(day, result.report, c.now(), { trigger: 'schedule' });
    runs++;
    const members = result.report.signatures.reduce((n, s) => n + s.members.length, 0);
    c.log(`hunt ${day}: done, ${result.report.signatures.length} signatures, ${members} members, ${result.failed.length} files unreadable`);
    c.publish('hunt.done', { day, signatures: result.report.signatures.length, members });
    if (deps.es) {
      // ES outages are spooled by the writer; a refusal is logged, never fatal to the day's record.
      await deps.es.store.writeDocs('signature', signatureDocs(result.report, dayMs)).catch((err: Error) => c.log(`hunt ${day}: signature documents: ${err.message}`));
    }
  }

  async function tick(): Promise<void> {
    if (!ctx || !records || running) return;
    const now = ctx.now();
    const last = records.runs(1)[0]?.day;
    const due = dueDays(now, { atMinutes: at, catchUpDays: config.catchUpDays, retryMs: deps.retryMs ?? 3_600_000, runOf: (d) => records!.run(d), lastDay: last });
    if (due.length === 0) return;
    const state = { day: dayText(due[0]), ac: new AbortController(), done: Promise.resolve() };
    running = state;
    state.done = (async () => {
      for (const d of due) {
        if (state.ac.signal.aborted) return;
        state.day = dayText(d);
        try {
          await huntDay(d, state.ac);
        } catch (err) {
          if (state.ac.signal.aborted) return;
          failures++;
          lastError = stripControl((err as Error).message);
          ctx?.log(`hunt ${dayText(d)}: failed: ${lastError}`);
        }
      }
    })();
    try {
      await state.done;
    } finally {
      running = undefined;
    }
  }

  const handlers = (): HandlerTable => ({
    'hunt.status': async () => status(),
    'hunt.runs': async (p) => records!.runs(Math.max(1, Math.min(366, Number((p as { limit?: number })?.limit ?? 30) || 30))),
    'hunt.catalogue': async (p) => {
      const day = dayParam((p as { day?: string })?.day) ?? records!.runs(10).find((x) => x.status === 'done')?.day;
      return day ? { day, signatures: records!.day(day) } : { day: null, signatures: [] };
    },
    'hunt.members': async (p) => {
      const q = (p ?? {}) as { day?: string; signature?: string; near?: boolean; limit?: number };
      const day = dayParam(q.day);
      if (!day || !q.signature || !/^\d{1,5}-\d{1,9}-\d{1,12}$/.test(q.signature)) throw new RpcError('BAD_PARAMS', 'hunt.members needs day (YYYY-MM-DD) and signature (port-packets-bytes)');
      return { day, signature: q.signature, members: records!.members(day, q.signature, { near: q.near === true, limit: Math.max(1, Math.min(100_000, Number(q.limit ?? 1000) || 1000)) }), maxActiveRules: deps.maxActiveRules ?? null };
    },
    'hunt.records': async (p) => {
      const q = (p ?? {}) as { ip?: string; signature?: string };
      if (q.ip) return { ip: q.ip, master: records!.ips({ ip: String(q.ip) })[0] ?? null, signatures: records!.signaturesOf(String(q.ip)) };
      if (q.signature) return { signature: q.signature, recurring: records!.recurringMembers(String(q.signature), 2) };
      return { signatures: records!.signatures(200), multiSignatureIps: records!.ips({ minSignatures: 2, limit: 200 }) };
    },
  });

  function dayParam(v: unknown): string | undefined {
    if (v === undefined || v === null || v === '') return undefined;
    try {
      return dayText(parseDay(String(v)));
    } catch (err) {
      throw new RpcError('BAD_PARAMS', (err as Error).message);
    }
  }

  function status(): HuntAreaStatus {
    const now = ctx?.now() ?? 0;
    const latest = latestDueDay(now, at);
    const nextDay = records?.run(dayText(latest))?.status === 'done' ? latest + DAY : latest;
    return {
      enabled: config.enabled,
      at: config.at,
      running: running?.day ?? null,
      runs,
      failures,
      lastRun: records?.runs(1)[0] ?? null,
      nextDueAt: config.enabled ? dueAt(nextDay, at) : null,
      lastError,
    };
  }

  return {
    name: 'hunt',
    handlers,
    start(c) {
      ctx = c;
      records = new HuntRecords(c.db);
      if (!config.enabled) return;
      timer = setInterval(() => void tick(), deps.tickMs ?? 60_000);
      timer.unref();
      void tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      const r = running;
      if (r) {
        r.ac.abort();
        await r.done.catch(() => undefined);
      }
      ctx = undefined;
    },
    status,
    tick,
    async idle() {
      await running?.done.catch(() => undefined);
    },
  };
}
