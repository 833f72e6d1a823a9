/**
 * The engine runner: watches the nfcapd directory, processes each completed file exactly once and in order
 * (ledger in SQLite, so also across restarts), analyses it, commits the result atomically, then hands it to the
 * sinks. A failure is classified: a file that cannot be read through its own fault is `failed` (retried only when
 * it changes); one that could not be read for another reason (reader missing or killed, configuration, out of
 * memory, a cancel) is `deferred` and tried again with back-off, and at the next start. An attempt is written
 * before the file is read, so a file that kills the engine `maxAttempts` times is `quarantined`, not crash-looped.
 */
import { BufferPool } from '../engine/tables.js';
import fs from 'node:fs';
import type { EngineConfig } from '../config/sections/engine.js';
import type { LimitsConfig } from '../config/sections/limits.js';
import type { EngineStore, WindowCommitHook } from '../store/engine-store.js';
import { AnalysisConfigError, analyzeRead, type AnalyzeDeps, type ReadPass } from '../engine/analyze.js';
import { FlowSourceError } from './errors.js';
import type { WindowSink, WindowTap, WindowTapConsumer } from '../engine/sink.js';
import type { FileReadInfo, FlowBatch, FlowSource, WindowResult } from '../engine/types.js';
import { timeSlotOf } from '../engine/types.js';
import { CompletedFileScanner } from './watcher.js';
import { createReadCounters, type ReadCounters } from './read-counters.js';

/** What the runner tells its listeners. */
export type EngineEvent =
  /** `read`: the reader's counters for the file (records, blocks, skipped, unknown elements, partial, exporters). */
  | { kind: 'window'; file: string; result: WindowResult; seconds: number; read?: FileReadInfo }
  /**
   * A file that cannot be read through its own fault (not an nffile, damaged): failed, retried when it changes.
   * `read` when the reader got as far as counting (e.g. no flow decoded although the stat record counts some).
   */
  | { kind: 'file-error'; file: string; reason: string; read?: FileReadInfo }
  /** A file not read for a reason not its own (reader, configuration, memory, cancel): tried again at `retryAt`. */
  | { kind: 'file-deferred'; file: string; reason: string; retryAt: number; deferrals: number }
  /** A file the engine died reading `attempts` times: set aside ("too large for this host"). */
  | { kind: 'file-quarantined'; file: string; reason: string; attempts: number }
  /** A listed file that was gone when its turn came (nfexpire, an operator): not in the ledger, never retried. */
  | { kind: 'file-skipped'; file: string; reason: string }
  | { kind: 'sink-error'; sink: string; reason: string }
  | { kind: 'lag'; seconds: number }
  /** A pass ended early (e.g. the store failed); the pending files are tried again at the next poll. */
  | { kind: 'error'; reason: string };

/** Dependencies, injected. */
export interface RunnerDeps {
  store: EngineStore;
  source: FlowSource;
  sinks?: WindowSink[];
  /** The clock (epoch ms); tests inject one. */
  now?: () => number;
  /** A log line sink (file errors and skips, naming the file and why); default: none. */
  log?: (line: string) => void;
  /**
   * The ARP-confirmed unused addresses for a window (the devices area); their outside senders become
   * `unused-probe` attackers. A failure here is logged and the window is analysed without them.
   */
  arpUnused?: (timeSlot: number) => { addresses: string[]; slots: number[] } | undefined;
  /** Runs inside a window's commit transaction, before it commits (fault-injection tests: kill -9 mid-commit). */
  beforeCommit?: (file: string) => void;
  /**
   * Other readers of each window's batches (the block effect meter): the file is read once, each batch goes to the
   * analysis and to every consumer a tap opened for the file. A tap that opens nothing costs nothing.
   */
  taps?: WindowTap[];
  /**
   * Where the destination side of each window's aggregation runs (engine/aggregate.ts). Default: in-thread — a
   * worker (window-workers.ts, `engine.destinationWorker`) was measured slower on a busy 2-core host and ~1.1×
   * faster on a quiet one (README, Benchmarks).
   */
  destinations?: AnalyzeDeps['destinations'];
  /** Buffers kept from one window for the next (default: a pool of the runner's own). */
  pool?: BufferPool;
  /** Run inside each window's commit transaction (the alerts area's decision); see EngineStore.commitWindow. */
  commitHooks?: WindowCommitHook[];
}

/** A running engine loop. */
export interface EngineRunner {
  start(): void;
  stop(): Promise<void>;
  /** Process every pending completed file now; resolves to the number attempted (done, failed, deferred or skipped). */
  processOnce(): Promise<number>;
  on(listener: (e: EngineEvent) => void): () => void;
  /** nfcapd's rotation in ms: configured, else inferred from the file names (60 000 for `nfcapd -t 60`). */
  intervalMs(): number;
  /** Seconds between now and the end of the newest completed file's interval (how far behind nfcapd we are). */
  lagSeconds(): number | undefined;
  readonly stats: { processed: number; failed: number; deferred: number; quarantined: number; skipped: number; flows: number; pruned: number };
  /** What the readers said about the files read (FileReadInfo), summed, with the newest files. */
  reading(): ReadCounters;
}

/** How a failed read is classified: whose fault it was, and the one-line reason. */
export interface FailureClass {
  status: 'failed' | 'deferred';
  reason: string;
}

// What V8 throws when a typed array or buffer cannot be allocated (the heap limit itself kills the process instead).
const OUT_OF_MEMORY = /allocation failed|invalid (typed )?array length|out of memory|Array buffer allocation/i;

/**
 * Whose fault a failure to read and analyse a file was (pure): the file's own (`failed`: not an nffile, a damaged
 * header, or an analysis error on its data), or not (`deferred`: the reader missing, killed or cancelled, a
 * configuration the analysis cannot use, memory).
 */
export function classifyFailure(err: unknown): FailureClass {
  if (err instanceof FlowSourceError) return { status: err.fault === 'reader' ? 'deferred' : 'failed', reason: err.reason };
  if (err instanceof AnalysisConfigError) return { status: 'deferred', reason: err.message };
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof RangeError && OUT_OF_MEMORY.test(message)) return { status: 'deferred', reason: `out of memory: ${message}` };
  return { status: 'failed', reason: `analysis failed: ${message}` };
}

/** The wait before the `n`-th try of a deferred file (n ≥ 1): `base` doubled each time, at most `max` (ms). Pure. */
export function retryDelay(n: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, n - 1)));
}

/** The reason a quarantined file carries. */
export function quarantineReason(attempts: number, maxAttempts: number): string {
  return `too large for this host: the engine stopped ${attempts} times while reading it (engine.maxAttempts ${maxAttempts}); it is tried again when it changes or engine.maxAttempts is raised`;
}

/** Size and mtime of a file, or undefined when it is gone. */
function stampOf(file: string): { size: number; mtimeMs: number } | undefined {
  try {
    const st = fs.statSync(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * The rotation interval in ms: configured, else the smallest gap between the newest completed files' start times
 * (1-minute demo files → 60 s), else 300 s. Pure.
 */
export function rotationInterval(times: number[], configuredSeconds?: number): number {
  if (configuredSeconds && configuredSeconds > 0) return configuredSeconds * 1000;
  let best = Infinity;
  for (let i = Math.max(1, times.length - 8); i < times.length; i++) {
    const d = times[i] - times[i - 1];
    if (d > 0 && d < best) best = d;
  }
  return Number.isFinite(best) ? best : 300_000;
}

/**
 * Pass every batch to the consumers before yielding it on (to the analysis). A consumer that throws is reported once
 * and dropped for the rest of the file: its bug never fails the file.
 */
async function* teeBatches(source: AsyncIterable<FlowBatch>, consumers: { name: string; c: WindowTapConsumer }[], onError: (name: string, err: Error) => void): AsyncIterable<FlowBatch> {
  let live = consumers.slice();
  for await (const b of source) {
    for (const x of live) {
      try {
        x.c.add(b);
      } catch (err) {
        onError(x.name, err as Error);
        live = live.filter((y) => y !== x);
        consumers.splice(consumers.indexOf(x), 1);
      }
    }
    yield b;
  }
}

/** Create the runner (inert until start). Config: nfcapdDir, pollSeconds, and the analysis settings. */
export function createEngineRunner(
  config: EngineConfig & { intervalSeconds?: number; retentionDays?: number; limits?: Pick<LimitsConfig, 'victimSources' | 'campusCandidates'> },
  deps: RunnerDeps,
): EngineRunner {
  const now = deps.now ?? Date.now;
  // One window after another: each window's big tables reuse the last one's buffers (no fresh pages to fault in).
  const pool = deps.pool ?? new BufferPool();
  const listeners = new Set<(e: EngineEvent) => void>();
  const emit = (e: EngineEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not stop the engine (nor skip the sinks).
      }
    }
  };
  const stats = { processed: 0, failed: 0, deferred: 0, quarantined: 0, skipped: 0, flows: 0, pruned: 0 };
  const destinations = deps.destinations;
  const reading = createReadCounters();
  const log = deps.log ?? (() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;
  let newest: number | undefined;
  let interval = rotationInterval([], config.intervalSeconds);
  const scanner = new CompletedFileScanner(config.nfcapdDir);
  let settled: Set<string> | undefined;
  const retry = new Set<string>();

  const maxAttempts = config.maxAttempts ?? 3;
  const retryAt = (n: number) => now() + retryDelay(n, (config.retrySeconds ?? 60) * 1000, (config.retryMaxSeconds ?? 3600) * 1000);

  /** Read, analyse and commit one file; resolves to what became of it. */
  async function processFile(file: string, fileTime: number): Promise<'done' | 'failed' | 'deferred' | 'skipped'> {
    const t0 = now();
    if (!fs.existsSync(file)) {
      stats.skipped++;
      log(`skipped ${file}: removed before it was read`);
      emit({ kind: 'file-skipped', file, reason: 'removed before it was read' });
      return 'skipped';
    }
    const timeSlot = timeSlotOf(Math.floor(fileTime / 1000));
    let arpUnused: { addresses: string[]; slots: number[] } | undefined;
    try {
      arpUnused = deps.arpUnused?.(timeSlot);
    } catch (err) {
      log(`device tables unavailable for ${file}: ${(err as Error).message}`);
    }
    // Written before reading: if the engine dies in this file (out of memory), the next start knows.
    deps.store.beginAttempt(file, now());
    // Taps first: a tap that throws on open is reported and left out of this window.
    const consumers: { name: string; c: WindowTapConsumer }[] = [];
    for (const tap of deps.taps ?? []) {
      try {
        const c = tap.open({ file, fileTime, timeSlot, intervalSeconds: interval / 1000 });
        if (c) consumers.push({ name: tap.name, c });
      } catch (err) {
        emit({ kind: 'sink-error', sink: tap.name, reason: (err as Error).message });
      }
    }
    // Pass 0 is the aggregation (the taps see its batches); a window too big to keep its flows reads the file again
    // for the later passes. What the reader said (partial, exporters and their sampling) comes with the result.
    let info: FileReadInfo | undefined;
    const onFile = (pass: ReadPass) => (i: FileReadInfo) => {
      info = i;
      reading.onFile(i);
      pass.onFile?.(i);
    };
    const read = (pass: ReadPass) => {
      const batches = deps.source.read([file], { onOpen: pass.onOpen, ...(pass.pass === 0 ? { onFile: onFile(pass) } : {}) });
      return pass.pass === 0 && consumers.length ? teeBatches(batches, consumers, (name, err) => emit({ kind: 'sink-error', sink: name, reason: err.message })) : batches;
    };
    let result: WindowResult;
    try {
      result = await analyzeRead(read, {
        topN: config.topN,
        inside: config.inside,
        units: config.units,
        knownServers: config.knownServers,
        thresholds: config.thresholds,
        peerCap: config.peerCap,
        timeSlot,
        files: [file],
        ...(config.limits ? { maxVictimSources: config.limits.victimSources, maxCampusCandidates: config.limits.campusCandidates } : {}),
        ...(arpUnused && arpUnused.addresses.length > 0 ? { arpUnused } : {}),
      }, { destinations, pool });
    } catch (err) {
      const c = classifyFailure(err);
      if (c.status === 'deferred') {
        let due = 0;
        const deferrals = deps.store.recordDeferral(file, c.reason, now(), (n) => (due = retryAt(n)));
        stats.deferred++;
        log(`deferred ${file}: ${c.reason} (try ${deferrals + 1} at ${new Date(due).toISOString()})`);
        emit({ kind: 'file-deferred', file, reason: c.reason, retryAt: due, deferrals });
        return 'deferred';
      }
      // This one file cannot be read: record, report, skip; the next file is processed.
      deps.store.recordFailure(file, c.reason, now(), stampOf(file));
      stats.failed++;
      log(`failed ${file}: ${c.reason}`);
      emit({ kind: 'file-error', file, reason: c.reason, ...(info ? { read: info } : {}) });
      return 'failed';
    }
    // A store error (disk full, locked too long) is not the file's fault: it ends the pass, the file stays pending.
    let stored: WindowResult;
    try {
      stored = deps.store.commitWindow(file, result, now(), { hooks: deps.commitHooks, ...(deps.beforeCommit ? { beforeCommit: () => deps.beforeCommit!(file) } : {}) });
    } catch (err) {
      // Not a crash in this file: put the attempt back to a deferral (if the store still takes a write) and end the pass.
      try {
        deps.store.recordDeferral(file, `store: ${(err as Error).message}`, now(), () => now());
      } catch {
        // The store is gone; the attempt stays counted.
      }
      throw err;
    }
    stats.processed++;
    stats.flows += result.flows;
    emit({ kind: 'window', file, result: stored, seconds: (now() - t0) / 1000, ...(info ? { read: info } : {}) });
    for (const { name, c } of consumers) {
      try {
        await c.done(stored);
      } catch (err) {
        emit({ kind: 'sink-error', sink: name, reason: (err as Error).message });
      }
    }
    for (const sink of deps.sinks ?? []) {
      try {
        await sink.writeWindow(stored);
      } catch (err) {
        emit({ kind: 'sink-error', sink: sink.name, reason: (err as Error).message });
      }
    }
    return 'done';
  }

  let firstPass = true;

  async function once(): Promise<number> {
    // The ledger is read once; later passes ask it only about files this runner has not seen settled (another engine
    // on the same database may have processed them meanwhile). Deferred files are not settled: they are asked
    // about at every pass, and are due at once at a runner's first pass (a restart retries them).
    settled ??= deps.store.settledFiles(maxAttempts);
    const files = scanner.list();
    // A failed or quarantined file that changed since (re-copied, repaired) is tried again.
    for (const f of deps.store.failedStamps()) {
      const st = stampOf(f.path);
      if (st && f.size !== null && f.mtimeMs !== null && (st.size !== f.size || Math.trunc(st.mtimeMs) !== f.mtimeMs)) {
        settled.delete(f.path);
        retry.add(f.path);
      }
    }
    if (files.length > 0) newest = files[files.length - 1].time;
    interval = rotationInterval(files.map((f) => f.time), config.intervalSeconds);
    const first = firstPass;
    firstPass = false;
    let n = 0;
    let newestSlot: number | undefined;
    for (const f of files) {
      if (settled.has(f.path)) continue;
      if (stopping) break;
      const entry = retry.delete(f.path) ? undefined : deps.store.fileEntry(f.path);
      if (entry) {
        const released = entry.status === 'quarantined' && entry.attempts < maxAttempts; // engine.maxAttempts was raised
        if ((entry.status === 'done' || entry.status === 'failed' || entry.status === 'quarantined') && !released) {
          settled.add(f.path);
          continue;
        }
        if (entry.status === 'deferred' && !first && (entry.nextAttemptAt ?? 0) > now()) continue;
        if (entry.status === 'started' && entry.attempts >= maxAttempts) {
          const reason = quarantineReason(entry.attempts, maxAttempts);
          deps.store.quarantine(f.path, reason, now(), stampOf(f.path));
          settled.add(f.path);
          stats.quarantined++;
          log(`quarantined ${f.path}: ${reason}`);
          emit({ kind: 'file-quarantined', file: f.path, reason, attempts: entry.attempts });
          continue;
        }
      }
      const outcome = await processFile(f.path, f.time);
      if (outcome === 'done' || outcome === 'failed') settled.add(f.path); // a skipped (vanished) file is not in the ledger
      newestSlot = timeSlotOf(Math.floor(f.time / 1000));
      n++;
      // The reader or the configuration is broken, not this file: the rest of the backlog waits for the next pass.
      if (outcome === 'deferred') break;
    }
    // Retention: windows (and their anomalies) older than retentionDays before the newest processed file's slot.
    if (newestSlot !== undefined && config.retentionDays && config.retentionDays > 0) {
      stats.pruned += deps.store.prune(newestSlot - Math.round(config.retentionDays * 288));
    }
    const lag = runner.lagSeconds();
    if (lag !== undefined) emit({ kind: 'lag', seconds: lag });
    return n;
  }

  let stopping = false;
  const runner: EngineRunner = {
    stats,
    reading: () => reading.snapshot(),
    on(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    processOnce() {
      // One pass at a time: a call that comes while a pass runs waits for it.
      const next = (running ?? Promise.resolve(0)).catch(() => 0).then(() => once());
      running = next;
      return next;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      stopping = false;
      const tick = async () => {
        try {
          await runner.processOnce();
        } catch (err) {
          const reason = (err as Error).message;
          log(`pass failed: ${reason}`);
          emit({ kind: 'error', reason });
        } finally {
          if (!stopped) timer = setTimeout(tick, config.pollSeconds * 1000);
        }
      };
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
    intervalMs: () => interval,
    lagSeconds() {
      return newest === undefined ? undefined : Math.max(0, (now() - (newest + interval)) / 1000);
    },
  };
  return runner;
}
