/** `nocflow collect [device...]`: collect ARP/MAC tables now — through the engine when it runs, else directly. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { connectEngine, EngineError } from '../../daemon/client.js';
import { collectDevices } from '../../devices/collector.js';
import { summarizeRun, type RunSummary } from '../../devices/handlers.js';
import { DeviceStore } from '../../devices/store.js';
import { tableNotes } from '../../devices/table-report.js';
import { openDb, resolveDbPath } from '../../store/db.js';
import { dataDir } from '../../util/paths.js';
import { stripControl } from '../../util/sanitize.js';
import { CliError } from '../errors.js';

/** Plain-text report of a collection. */
export function formatRunSummary(s: RunSummary, via: 'engine' | 'direct'): string {
  const out = [`# TimeSlot ${s.timeSlot} (${via}): ${s.results.filter((r) => r.ok).length}/${s.results.length} devices, ${s.macDocs} MAC docs, ${s.ipDocs} IP docs`];
  out.push(`${'DEVICE'.padEnd(20)} ${'KIND'.padEnd(6)} ${'RESULT'.padEnd(22)} ${'ARP'.padStart(6)} ${'MAC'.padStart(6)} ${'SKIPPED'.padStart(7)} ${'MS'.padStart(6)}`);
  for (const r of s.results) {
    const tables = r.tables ?? [];
    const ok = tables.some((t) => t.unreadable) ? 'unreadable' : 'ok';
    out.push(`${r.device.padEnd(20)} ${r.kind.padEnd(6)} ${(r.ok ? (r.hostKeyRecorded ? `${ok} (key saved)` : ok) : r.reason ?? 'failed').padEnd(22)} ${String(r.arp).padStart(6)} ${String(r.mac).padStart(6)} ${String(r.skipped).padStart(7)} ${String(r.durationMs).padStart(6)}`);
    if (!r.ok && r.error) out.push(`  ${stripControl(r.error)}`);
    for (const note of tableNotes(tables)) out.push(`  ${stripControl(note)}`);
  }
  return `${out.join('\n')}\n`;
}

/** Register `nocflow collect`. */
export function registerCollect(program: Command): void {
  program
    .command('collect [devices...]')
    .description('collect ARP and MAC tables from the configured devices over SSH now (all, or those named)')
    .option('--json', 'print one JSON document')
    .option('--direct', 'collect from this process even when an engine runs')
    .action(async (names: string[], o: { json?: boolean; direct?: boolean }) => {
      const { config } = loadConfig();
      const dc = config.devices;
      if (dc.list.length === 0) throw new CliError('no devices configured (set devices.list with: nocflow config set devices.list \'[...]\')');
      const unknown = names.filter((n) => !dc.list.some((d) => d.name === n));
      if (unknown.length > 0) throw new CliError(`no such device: ${unknown.join(', ')}`, 2);
      let summary: RunSummary | undefined;
      let via: 'engine' | 'direct' = 'engine';
      if (!o.direct) {
        try {
          const c = await connectEngine({ reconnect: false });
          try {
            // Generous: every device may take its connect timeout and two command timeouts.
            const budget = dc.connectTimeoutMs + 3 * dc.commandTimeoutMs + 10_000;
            summary = await c.call('devices.collect', { device: names }, budget * Math.ceil(Math.max(1, names.length || dc.list.length) / dc.concurrency));
          } finally {
            c.close();
          }
        } catch (err) {
          if (!(err instanceof EngineError) || !['NO_ENGINE', 'NO_METHOD', 'UNAVAILABLE'].includes(err.code)) throw new CliError(`engine: ${(err as Error).message}`, 1, { cause: err });
        }
      }
      if (!summary) {
        via = 'direct';
        const db = openDb(resolveDbPath(config.store.path, dataDir()));
        try {
          const run = await collectDevices(dc, { maxOutputBytes: config.limits.deviceOutputBytes }, names);
          new DeviceStore(db).saveRun(run);
          summary = summarizeRun(run);
        } finally {
          db.close();
        }
      }
      process.stdout.write(o.json ? `${JSON.stringify({ via, ...summary })}\n` : formatRunSummary(summary, via));
      // A device that failed, or answered with a table nocflow could mostly not read, makes the exit status 1.
      if (summary.results.some((r) => !r.ok || (r.tables ?? []).some((t) => t.unreadable))) process.exitCode = 1;
    });
}
