/** `nocflow watch <dir>`: run the engine loop in the foreground (one line or JSON line per window). */
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { flowSourceFrom } from '../../ingest/flow-source.js';
import { createEngineRunner, type EngineEvent } from '../../ingest/runner.js';
import { openDb, resolveDbPath } from '../../store/db.js';
import { EngineStore } from '../../store/engine-store.js';
import { dataDir } from '../../util/paths.js';
import { stripControl } from '../../util/sanitize.js';
import { CliError } from '../errors.js';
import type { FileReadInfo } from '../../engine/types.js';
import fs from 'node:fs';

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
    ...(i.exporters ? { exporters: i.exporters.map((e) => ({ ip: e.ip, samplingRate: e.samplingRate ?? 1 })) } : {}),
  };
}

export function registerWatch(program: Command): void {
  program
    .command('watch [dir]')
    .description('process every new completed nfcapd file in a directory, once each and in order (foreground)')
    .option('--once', 'process what is there now and exit')
    .option('--json', 'print JSON lines (one per event)')
    .option('--db <file>', 'SQLite database (default: config store.path or <data dir>/nocflow.db)')
    .action(async (dirArg: string | undefined, o: { once?: boolean; json?: boolean; db?: string }) => {
      const cfg = loadConfig().config;
      const dir = dirArg ?? cfg.engine.nfcapdDir;
      if (!dir) throw new CliError('no directory given and engine.nfcapdDir is not set', 2);
      if (!fs.existsSync(dir)) throw new CliError(`no such directory: ${dir}`);
      const db = openDb(o.db ?? resolveDbPath(cfg.store.path, dataDir()));
      const runner = createEngineRunner({ ...cfg.engine, nfcapdDir: dir, limits: cfg.limits }, { store: new EngineStore(db), source: flowSourceFrom(cfg.engine) });
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
        db.close();
        return;
      }
      await new Promise<void>((resolve) => {
        // `on` and idempotent: conf's when-exit re-sends the signal after its own handler runs.
        let stopping: Promise<void> | undefined;
        const stop = () => void (stopping ??= runner.stop().then(() => { db.close(); resolve(); }));
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        runner.start();
      });
    });
}
