/**
 * The engine runner: watches the nfcapd directory, processes each completed file exactly once and in order
 * (ledger in SQLite, so also across restarts), analyses it, commits the result atomically, then hands it to the
 * sinks. A file nfdump cannot read is recorded as failed with its reason, reported, and skipped.
 */
import fs from 'node:fs';
import type { EngineConfig } from '../config/sections/engine.js';
import type { LimitsConfig } from '../config/sections/limits.js';
import type { EngineStore } from '../store/engine-store.js';
import { analyzeRead, type AnalyzeDeps, type ReadPass } from '../engine/analyze.js';
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
  /** `read` when the reader got as far as counting (e.g. no flow decoded although the stat record counts some). */
  | { kind: 'file-error'; file: string; reason: string; read?: FileReadInfo }
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
   * worker (window-workers.ts) was measured slower on a busy 2-core host (README, Benchmarks).
   */
  destinations?: AnalyzeDeps['destinations'];
}

/** A running engine loop. */
export interface EngineRunner {
  start(): void;
  stop(): Promise<void>;
  /** Process every pending completed file now; resolves to the number processed (done or failed). */
  processOnce(): Promise<number>;
  on(listener: (e: EngineEvent) => void): () => void;
  /** nfcapd's rotation in ms: configured, else inferred from the file names (60 000 for `nfcapd -t 60`). */
  intervalMs(): number;
  /** Seconds between now and the end of the newest completed file's interval (how far behind nfcapd we are). */
  lagSeconds(): number | undefined;
  readonly stats: { processed: number; failed: number; skipped: number; flows: number; pruned: number };
  /** What the readers said about the files read (FileReadInfo), summed, with the newest files. */
  reading(): ReadCounters;
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
  const stats = { processed: 0, failed: 0, skipped: 0, flows: 0, pruned: 0 };
  const destinations = deps.destinations;
  const reading = createReadCounters();
  const log = deps.log ?? (() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;
  let newest: number | undefined;
  let interval = rotationInterval([], config.intervalSeconds);
  const scanner = new CompletedFileScanner(config.nfcapdDir);
  let known: Set<string> | undefined;
  const retry = new Set<string>();

  async function processFile(file: string, fileTime: number): Promise<void> {
    const t0 = now();
    if (!fs.existsSync(file)) {
      stats.skipped++;
      log(`skipped ${file}: removed before it was read`);
      emit({ kind: 'file-skipped', file, reason: 'removed before it was read' });
      return;
    }
    const timeSlot = timeSlotOf(Math.floor(fileTime / 1000));
    let arpUnused: { addresses: string[]; slots: number[] } | undefined;
    try {
      arpUnused = deps.arpUnused?.(timeSlot);
    } catch (err) {
      log(`device tables unavailable for ${file}: ${(err as Error).message}`);
    }
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
      }, { destinations });
    } catch (err) {
      // Reading or analysing this one file failed: record, report, skip; the next file is processed.
      const reason = err instanceof FlowSourceError ? err.reason : `analysis failed: ${(err as Error).message}`;
      deps.store.recordFailure(file, reason, now(), stampOf(file));
      stats.failed++;
      log(`failed ${file}: ${reason}`);
      emit({ kind: 'file-error', file, reason, ...(info ? { read: info } : {}) });
      return;
    }
    // A store error (disk full, locked too long) is not the file's fault: it ends the pass, the file stays pending.
    const stored = deps.store.commitWindow(file, result, now(), deps.beforeCommit && (() => deps.beforeCommit!(file)));
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
  }

  async function once(): Promise<number> {
    // The ledger is read once; later passes ask it only about files this runner has not seen done (another engine
    // on the same database may have processed them meanwhile).
    known ??= deps.store.knownFiles();
    const files = scanner.list();
    // A failed file that changed since it failed (re-copied, repaired) is tried again.
    for (const f of deps.store.failedStamps()) {
      const st = stampOf(f.path);
      if (st && f.size !== null && f.mtimeMs !== null && (st.size !== f.size || Math.trunc(st.mtimeMs) !== f.mtimeMs)) {
        known.delete(f.path);
        retry.add(f.path);
      }
    }
    if (files.length > 0) newest = files[files.length - 1].time;
    interval = rotationInterval(files.map((f) => f.time), config.intervalSeconds);
    let n = 0;
    let newestSlot: number | undefined;
    for (const f of files) {
      if (known.has(f.path)) continue;
      if (stopping) break;
      if (!retry.delete(f.path) && deps.store.fileStatus(f.path) !== undefined) {
        known.add(f.path);
        continue;
      }
      await processFile(f.path, f.time);
      if (fs.existsSync(f.path)) known.add(f.path); // a skipped (vanished) file is not in the ledger
      newestSlot = timeSlotOf(Math.floor(f.time / 1000));
      n++;
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
