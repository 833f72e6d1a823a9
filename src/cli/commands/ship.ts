/** `nocflow ship <file|dir...> [--watch]`: nfcapd files → Elasticsearch flow indices (IPFIX schema), with the spool. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { flowSourceFrom } from '../../ingest/flow-source.js';
import { createEsClient, EsError } from '../../es/client.js';
import { createShipper } from '../../es/shipper.js';
import { createEsWriter } from '../../es/writer.js';
import { Spool } from '../../es/spool.js';
import { dataDir } from '../../util/paths.js';
import { stripControl } from '../../util/sanitize.js';
import { listNfcapdFiles } from '../../ingest/watcher.js';
import { CliError } from '../errors.js';

/** Register `nocflow ship`. */
export function registerShip(program: Command): void {
  program
    .command('ship [paths...]')
    .description('ship nfcapd files (or every completed file under a directory) into the Elasticsearch flow indices')
    .option('--watch', 'keep shipping new completed files of the directory (default: engine.nfcapdDir)')
    .option('--replay', 'only send what the spool holds (oldest first), then report what is left')
    .option('--node <url>', 'Elasticsearch URL (default: elasticsearch.node)')
    .option('--no-backfill', 'do not disable refresh while shipping closed days')
    .option('--interval <seconds>', 'poll interval with --watch', '10')
    .option('--json', 'print the counters as one JSON document')
    .action(async (paths: string[], o: { replay?: boolean; watch?: boolean; node?: string; backfill: boolean; interval: string; json?: boolean }) => {
      const cfg = loadConfig().config;
      const es = { ...cfg.elasticsearch, ...(o.node ? { node: o.node } : {}) };
      if (!es.node) throw new CliError('Elasticsearch is not configured: set elasticsearch.node or pass --node', 2);
      const spoolDir = es.spoolDir || path.join(dataDir(), 'es-spool');
      let client;
      try {
        client = createEsClient(es);
      } catch (err) {
        throw new CliError((err as Error).message, 2, { cause: err });
      }
      const log = (line: string) => process.stderr.write(`${stripControl(line)}\n`);
      const store = createEsWriter(es, { client, spoolDir, log });
      const shipper = createShipper({ source: flowSourceFrom(cfg.engine), store, fieldMap: es.fieldMap, bulkBytes: es.bulkBytes, log });
      try {
        if (o.replay) {
          const sent = await store.replaySpool();
          const left = new Spool(spoolDir).count();
          process.stdout.write(o.json ? `${JSON.stringify({ replayed: sent, left })}\n` : `replayed ${sent} documents from ${spoolDir}, ${left} left\n`);
          if (left > 0) process.exitCode = 3;
          return;
        }
        if (o.watch) {
          const dir = paths[0] ?? cfg.engine.nfcapdDir;
          if (!dir || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`--watch needs a directory (got ${dir || 'none'})`, 2);
          const ac = new AbortController();
          const stop = () => ac.abort();
          // `on`: conf's when-exit re-sends the signal after its own handler runs (abort is idempotent).
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
          await shipper.watch(dir, {
            ledger: path.join(dataDir(), 'ship-ledger.log'),
            intervalMs: Number(o.interval) * 1000,
            signal: ac.signal,
            onShipped: (f, s) => log(`shipped ${f}: ${s.flows} flows (${JSON.stringify(store.stats())})`),
          });
          return;
        }
        if (paths.length === 0) throw new CliError('give nfcapd files or directories, or --watch', 2);
        const files: string[] = [];
        for (const p of paths) {
          if (!fs.existsSync(p)) throw new CliError(`no such file or directory: ${p}`);
          files.push(...(fs.statSync(p).isDirectory() ? listNfcapdFiles(p) : [p]));
        }
        const stats = await shipper.ship(files, { backfill: o.backfill });
        const out = { ...stats, ...store.stats() };
        if (o.json) process.stdout.write(`${JSON.stringify(out)}\n`);
        else {
          process.stdout.write(`shipped ${stats.flows} flows from ${stats.files} files (${out.indexed} indexed, ${out.spooled} spooled, ${out.rejected} rejected)\n`);
          for (const f of stats.failedFiles) process.stdout.write(`skipped ${f.file}: ${stripControl(f.reason)}\n`);
        }
        if (out.spooled > 0) process.exitCode = 3;
      } catch (err) {
        if (err instanceof EsError) throw new CliError(err.message, 1, { cause: err });
        throw err;
      } finally {
        await client.close();
      }
    });
}
