/** `nocflow watch <dir>`: run the engine loop in the foreground (one line or JSON line per window). */
import type { Command } from 'commander';
import { readerProblem, storeProblem } from '../../daemon/preflight.js';
import { loadUsableConfig, refuse } from '../config-gate.js';
import { flowSourceFrom } from '../../ingest/flow-source.js';
import { configuredDestinations } from '../../ingest/window-workers.js';
import { createEngineRunner, type EngineEvent } from '../../ingest/runner.js';
import { openDb, resolveDbPath } from '../../store/db.js';
import { EngineStore } from '../../store/engine-store.js';
import { dataDir } from '../../util/paths.js';
import { stripControl } from '../../util/sanitize.js';
import { createAlertsArea } from '../../alerts/area.js';
import { CliError } from '../errors.js';
import type { FileReadInfo } from '../../engine/types.js';
import fs from 'node:fs';
import { createLogger } from '../../util/log.js';

/** One human line per event (pure). */
export function formatEvent(e: EngineEvent): string {
  switch (e.kind) {
    case 'window': {
      // A TimeSlot is centred on slot*300 (the seeds' convention): name the window by that minute.
      const when = new Date(e.result.window.timeSlot * 300 * 1000).toISOString().slice(0, 16).replace('T', ' ');
      const top = e.result.anomalies.slice(0, 3).map((a) => `${a.ip} ${a.type}`).join(', ');
      const p = e.result.partial;
      const partial = p ? `, PARTIAL ${p.blocksRead}/${p.blocksExpected} blocks (${stripControl(p.reason)})` : '';
      return `window ${e.result.window.timeSlot} ${when} ${e.file}: ${e.result.flows} flows, ${e.result.anomalies.length} anomalies${top ? ` (${top})` : ''}${partial} in ${e.seconds.toFixed(1)} s`;
    }
    case 'file-error':
      return `failed ${e.file}: ${stripControl(e.reason)} (skipped)`;
    case 'file-deferred':
      return `deferred ${e.file}: ${stripControl(e.reason)} (tried again at ${new Date(e.retryAt).toISOString().slice(0, 19).replace('T', ' ')} UTC, and at the next start)`;
    case 'file-quarantined':
      return `quarantined ${e.file}: ${stripControl(e.reason)}`;
    case 'file-skipped':
      return `skipped ${e.file}: ${stripControl(e.reason)}`;
    case 'sink-error':
      return `sink ${e.sink} failed: ${stripControl(e.reason)}`;
    case 'error':
      return `error: ${stripControl(e.reason)} (retrying at the next poll)`;
    case 'lag':
      return `lag ${e.seconds.toFixed(0)} s behind nfcapd`;
  }
}

/** The reader's counters of one file as `watch --json` prints them (pure). */
export function readCounters(i: FileReadInfo): Record<string, unknown> {
  return {
    reader: i.reader, records: i.records, skippedRecords: i.skippedRecords,
    ...(i.blocks !== undefined ? { blocks: i.blocks, blocksExpected: i.blocksExpected } : {}),
    ...(i.unknownElements !== undefined ? { unknownElements: i.unknownElements } : {}),
    ...(i.decompressErrors !== undefined ? { decompressErrors: i.decompressErrors } : {}),
    ...(i.compression ? { compression: i.compression } : {}),
    ...(i.partial ? { partial: i.partial } : {}),
    ...(i.fallback ? { fallback: i.fallback } : {}),
    ...(i.thread ? { thread: i.thread } : {}),
    ...(i.exporters ? { exporters: i.exporters.map((e) => ({ ip: e.ip, samplingRate: e.samplingRate ?? 1 })) } : {}),
  };
}

export function registerWatch(program: Command): void {
  program
    .command('watch [dir]')
    .description('process every new completed nfcapd file in a directory, once each and in order (foreground)')
    .option('--once', 'process what is there now, deliver the alerts it raised (waiting at most alerts.onceWaitSeconds), and exit')
    .option('--json', 'print JSON lines (one per event)')
    .option('--db <file>', 'SQLite database (default: config store.path or <data dir>/nocflow.db)')
    .action(async (dirArg: string | undefined, o: { once?: boolean; json?: boolean; db?: string }) => {
      // An invalid configuration, or a reader that cannot run, stops here before the ledger is opened (exit 2).
      const cfg = loadUsableConfig('watch').config;
      const dir = dirArg ?? cfg.engine.nfcapdDir;
      if (!dir) throw new CliError('no directory given and engine.nfcapdDir is not set', 2);
      if (!fs.existsSync(dir)) throw new CliError(`no such directory: ${dir}`);
      const source = flowSourceFrom(cfg.engine);
      const reader = await readerProblem(source, cfg);
      if (reader) refuse('watch', [reader]);
      const db = openDb(o.db ?? resolveDbPath(cfg.store.path, dataDir()));
      const unwritable = storeProblem(db);
      if (unwritable) {
        db.close();
        refuse('watch', [unwritable]);
      }
      const store = new EngineStore(db);
      // The alerts area decides each window's alerts in its commit and delivers them, as in the engine.
      const alerts = createAlertsArea(cfg, { log: (line) => process.stderr.write(`${line}\n`) });
      const destinations = configuredDestinations(cfg.engine);
      const runner = createEngineRunner({ ...cfg.engine, nfcapdDir: dir, limits: cfg.limits }, { store, source, commitHooks: alerts.commitHooks, ...(destinations ? { destinations } : {}) });
      await alerts.start?.({ store, db, publish: () => undefined, onEngineEvent: (l) => runner.on(l), log: (line) => process.stderr.write(`${line}\n`), logger: createLogger('alerts'), now: Date.now });
      runner.on((e) => {
        if (e.kind === 'lag' && !o.json) return;
        if (o.json) {
          const { kind } = e;
          // A window carries the reader's counters for its file (`read`), and `partial` when it holds only the intact blocks.
          const data =
            e.kind === 'window'
              ? {
                  kind, file: e.file, timeSlot: e.result.window.timeSlot, flows: e.result.flows,
                  ...(e.result.partial ? { partial: e.result.partial } : {}),
                  ...(e.result.exporters ? { exporters: e.result.exporters } : {}),
                  ...(e.read ? { read: readCounters(e.read) } : {}),
                  anomalies: e.result.anomalies.map((a) => ({ ip: a.ip, role: a.role, type: a.type, severity: a.severity, tracking: a.tracking })),
                }
              : e.kind === 'file-error' && e.read
                ? { ...e, read: readCounters(e.read) }
                : e;
          process.stdout.write(`${JSON.stringify(data)}\n`);
        } else process.stdout.write(`${formatEvent(e)}\n`);
      });
      if (o.once) {
        await runner.processOnce();
        // Deliver what these files raised before exiting (bounded); the outbox keeps the rest for the engine.
        const d = await alerts.drain(cfg.alerts.onceWaitSeconds * 1000);
        await alerts.stop?.();
        if (d.sent > 0 || d.pending > 0) {
          process.stdout.write(o.json ? `${JSON.stringify({ kind: 'alerts', sent: d.sent, pending: d.pending })}\n` : `alerts: ${d.sent} delivered, ${d.pending} still pending in the outbox (retried by the engine or the next watch)\n`);
        }
        db.close();
        return;
      }
      await new Promise<void>((resolve) => {
        // `on` and idempotent: conf's when-exit re-sends the signal after its own handler runs.
        let stopping: Promise<void> | undefined;
        const stop = () => void (stopping ??= runner.stop().then(async () => { await alerts.stop?.(); db.close(); resolve(); }));
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        runner.start();
      });
    });
}
