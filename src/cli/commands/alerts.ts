/** `nocflow alerts [--json]`: recent alerts and each delivery's state; `nocflow alerts test`: a test message per channel. */
import os from 'node:os';
import type { Command } from 'commander';
import { formatAlerts, formatTestResults } from '../../alerts/format.js';
import { summaryLine } from '../../alerts/messages.js';
import { AlertOutbox, type AlertView } from '../../alerts/outbox.js';
import { unitAudiences } from '../../alerts/policy.js';
import { redactorFor } from '../../alerts/redact.js';
import { sendTestMessages } from '../../alerts/test-send.js';
import { loadConfig } from '../../config/config.js';
import { callEngine, EngineError } from '../../daemon/client.js';
import { parseLang } from '../../i18n/labels.js';
import { openDb, resolveDbPath } from '../../store/db.js';
import { dataDir } from '../../util/paths.js';
import { CliError } from '../errors.js';

/** An alert as `--json` prints it: the view with a one-line summary; the whole document only with --full. */
function jsonView(a: AlertView, full: boolean) {
  const { doc, ...rest } = a;
  return { ...rest, summary: summaryLine(doc), ...(full ? { doc } : {}) };
}

/** Register `nocflow alerts`. */
export function registerAlerts(program: Command): void {
  const cmd = program
    .command('alerts')
    .description('recent alerts (newest first) and the state of each delivery (mail per recipient, syslog, webhook); see also: alerts test')
    .option('--json', 'print one JSON array')
    .option('--full', 'with --json: include each alert\'s whole document (anomaly, episode, location)')
    .option('--limit <n>', 'how many alerts', '50')
    .option('--db <file>', 'SQLite database (default: config store.path or <data dir>/nocflow.db); read directly when no engine runs')
    .action(async (o: { json?: boolean; full?: boolean; limit: string; db?: string }, sub: Command) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(`--limit must be 1-1000, not ${JSON.stringify(o.limit)}`, 2);
      let list: AlertView[] | undefined;
      if (!o.db) {
        try {
          list = await callEngine('alerts.list', { limit });
        } catch (err) {
          if (!(err instanceof EngineError) || !['NO_ENGINE', 'NO_METHOD'].includes(err.code)) throw new CliError(`engine: ${(err as Error).message}`, 1, { cause: err });
        }
      }
      if (!list) {
        const { config } = loadConfig();
        const db = openDb(o.db ?? resolveDbPath(config.store.path, dataDir()));
        try {
          list = new AlertOutbox(db).list(limit);
        } finally {
          db.close();
        }
      }
      // Stored errors were masked when written; mask again with today's configuration, in case it changed since.
      const redact = redactorFor(loadConfig().config.alerts);
      const text = o.json ? `${JSON.stringify(list.map((a) => jsonView(a, !!o.full)))}\n` : formatAlerts(list, parseLang(sub.optsWithGlobals().lang));
      process.stdout.write(redact(text));
    });
  cmd
    .command('test')
    .description('send a test message to every configured channel now (not through the outbox) and report each result')
    .option('--units', 'also mail every unit contact (engine.units[].contacts)')
    .option('--json', 'print one JSON array of results')
    .action(async (o: { units?: boolean; json?: boolean }) => {
      const { config } = loadConfig();
      const results = await sendTestMessages(config.alerts, {
        now: Date.now(), hostname: os.hostname(), procId: process.pid, ...(o.units ? { units: unitAudiences(config.engine.units) } : {}),
      });
      process.stdout.write(o.json ? `${JSON.stringify(results)}\n` : formatTestResults(results));
      if (results.length === 0) throw new CliError('no alert channel is configured', 2);
      const bad = results.filter((r) => !r.ok).length;
      if (bad > 0) throw new CliError(`${bad} of ${results.length} test message(s) failed`, 1);
    });
}
