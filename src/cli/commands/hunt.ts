/** `nocflow hunt <signature> <file|dir...>`: find every source of one port-packets-bytes signature. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { huntSignature, parseSignature, signatureFilter } from '../../engine/hunt.js';
import { flowSourceFrom } from '../../ingest/flow-source.js';
import { FlowSourceError } from '../../ingest/errors.js';
import { loadConfig } from '../../config/config.js';
import { listNfcapdFiles } from '../../ingest/watcher.js';
import { CliError } from '../errors.js';

export function registerHunt(program: Command): void {
  program
    .command('hunt <signature> <paths...>')
    .description('find the sources of a port-packets-bytes signature (e.g. 1433-3-152) across nfcapd files, ranked by destinations reached')
    .option('--json', 'print one JSON document')
    .option('--min-destinations <n>', 'only sources that reached at least this many destinations', '1')
    .option('--limit <n>', 'at most this many rows', '100')
    .action(async (sigText: string, paths: string[], o: { json?: boolean; minDestinations: string; limit: string }) => {
      let sig;
      try {
        sig = parseSignature(sigText);
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      const files: string[] = [];
      for (const p of paths) {
        if (!fs.existsSync(p)) throw new CliError(`no such file or directory: ${p}`);
        files.push(...(fs.statSync(p).isDirectory() ? listNfcapdFiles(p) : [p]));
      }
      const source = flowSourceFrom(loadConfig().config.engine);
      let rows;
      try {
        rows = await huntSignature(source.read(files, { filter: signatureFilter(sig) }), sig, { minDestinations: Number(o.minDestinations), limit: Number(o.limit) });
      } catch (err) {
        if (err instanceof FlowSourceError) throw new CliError(err.message, 1, { cause: err });
        throw err;
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ signature: sigText, files: files.length, sources: rows })}\n`);
        return;
      }
      process.stdout.write(`# ${sigText}: ${rows.length} sources in ${files.length} files\n`);
      process.stdout.write(`${'source'.padEnd(40)} ${'dests'.padStart(8)} ${'flows'.padStart(8)} ${'sports'.padStart(8)}\n`);
      for (const r of rows) process.stdout.write(`${r.ip.padEnd(40)} ${String(r.destinations).padStart(8)} ${String(r.flows).padStart(8)} ${String(r.sourcePorts).padStart(8)}\n`);
    });
}
