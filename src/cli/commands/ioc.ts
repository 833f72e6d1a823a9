/**
 * `nocflow ioc fetch | run | report`: the daily IoC blacklist × a day of flows (src/ioc/). `fetch` gets today's
 * lists now; `run` correlates one day (the engine does it every day by itself); `report` ranks the remotes of the
 * lookback. They work on the engine's database directly (SQLite WAL: the engine may be running).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import type { NocflowConfig } from '../../config/schema.js';
import { checkIocConfig } from '../../config/sections/ioc.js';
import { createElasticsearchArea } from '../../es/area.js';
import { createEsClient } from '../../es/client.js';
import { parseLang } from '../../i18n/labels.js';
import { formatFetch, formatReport, formatRun } from '../../i18n/ioc-text.js';
import { FlowSourceError } from '../../ingest/errors.js';
import { flowSourceFrom } from '../../ingest/flow-source.js';
import { listCompleted } from '../../ingest/watcher.js';
import { resolveThresholds } from '../../ioc/classify.js';
import { fetchDayLists, storedDayList } from '../../ioc/daily-lists.js';
import { addDays, isDay, localDay } from '../../ioc/days.js';
import { IocFetchError, readListFile } from '../../ioc/fetch.js';
import { runIocDay, type DayList } from '../../ioc/job.js';
import { parseIocList } from '../../ioc/list.js';
import { buildReport } from '../../ioc/report.js';
import { dayFiles, jobDepsFrom } from '../../ioc/service.js';
import { IocStore } from '../../ioc/store.js';
import { openDb, resolveDbPath, type Db } from '../../store/db.js';
import { PrefixSet } from '../../util/ip.js';
import { dataDir } from '../../util/paths.js';
import { CliError } from '../errors.js';

function openStore(config: NocflowConfig, dryRun?: boolean): { db: Db; store: IocStore } {
  const db = openDb(dryRun ? ':memory:' : resolveDbPath(config.store.path, dataDir()));
  return { db, store: new IocStore(db) };
}

function dayOption(text: string | undefined, fallback: string): string {
  if (text === undefined) return fallback;
  if (!isDay(text)) throw new CliError(`--day must be YYYY-MM-DD, got "${text}"`, 2);
  return text;
}

/** Register `nocflow ioc`. */
export function registerIoc(program: Command): void {
  const ioc = program.command('ioc').description('daily IoC blacklists correlated with a day of flows: infected hosts scored over weeks');

  ioc
    .command('fetch')
    .description("fetch every configured list (ioc.sources) now and keep it as the day's list (the engine does this at ioc.fetchAt)")
    .option('--day <YYYY-MM-DD>', 'the day the lists are kept for (default today)')
    .option('--json', 'print one JSON document')
    .action(async (o: { day?: string; json?: boolean }, cmd: Command) => {
      const { config } = loadConfig();
      const problems = checkIocConfig(config.ioc);
      if (problems.length) throw new CliError(problems.join('; '), 2);
      if (config.ioc.sources.length === 0) throw new CliError('no lists configured: nocflow config set ioc.sources \'[{"name":"nics","url":"https://..."}]\'', 2);
      const day = dayOption(o.day, localDay(Date.now()));
      const { db, store } = openStore(config);
      try {
        const rows = await fetchDayLists(config.ioc, store, day, Date.now);
        process.stdout.write(o.json ? `${JSON.stringify({ day, lists: rows })}\n` : formatFetch(day, rows, parseLang(cmd.optsWithGlobals().lang)));
        if (rows.some((r) => r.status === 'failed')) process.exitCode = 1;
      } finally {
        db.close();
      }
    });

  ioc
    .command('run')
    .description('correlate one day: every flow of the day touching an IoC (one pass), IoC classes, remotes scored into their verdicts')
    .option('--day <YYYY-MM-DD>', 'the (local) day; default: with --files the day of its oldest file, else yesterday')
    .option('--list <file>', "the IoC list to use (kept as the day's list, source \"cli\"); default: the lists fetched for the day")
    .option('--files <dir>', 'nfcapd files to read (default engine.nfcapdDir); without --day every file in it')
    .option('--flow-store <files|elasticsearch>', 'read the day from nfcapd files or from Elasticsearch (default ioc.flowStore)')
    .option('--dry-run', 'use a private in-memory database: nothing is stored')
    .option('--limit <n>', 'remotes printed (text)', '50')
    .option('--json', 'print one JSON document')
    .action(async (o: { day?: string; list?: string; files?: string; flowStore?: string; dryRun?: boolean; limit: string; json?: boolean }, cmd: Command) => {
      const { config } = loadConfig();
      const problems = checkIocConfig(config.ioc);
      if (problems.length) throw new CliError(problems.join('; '), 2);
      if (o.flowStore !== undefined && o.flowStore !== 'files' && o.flowStore !== 'elasticsearch') throw new CliError(`--flow-store must be files or elasticsearch, got "${o.flowStore}"`, 2);
      const flowStore = (o.flowStore ?? config.ioc.flowStore) as 'files' | 'elasticsearch';
      const dir = o.files ?? config.engine.nfcapdDir;
      let files: string[] = [];
      let day: string;
      if (flowStore === 'files') {
        if (!dir) throw new CliError('no flow files: give --files DIR or set engine.nfcapdDir', 2);
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`--files: not a directory: ${dir}`, 2);
        if (o.files && !o.day) {
          const all = listCompleted(dir);
          if (all.length === 0) throw new CliError(`no completed nfcapd files in ${dir}`, 1);
          files = all.map((f) => f.path);
          day = localDay(all[0].time);
        } else {
          day = dayOption(o.day, addDays(localDay(Date.now()), -1));
          files = dayFiles(dir, day);
        }
      } else {
        day = dayOption(o.day, addDays(localDay(Date.now()), -1));
        if (!config.elasticsearch.node) throw new CliError('--flow-store elasticsearch needs elasticsearch.node', 2);
      }
      const { db, store } = openStore(config, o.dryRun);
      const es = config.elasticsearch.node ? createElasticsearchArea(config.elasticsearch, { dataDir: dataDir() }) : undefined;
      try {
        let list: DayList;
        if (o.list) {
          let text: string;
          try {
            text = readListFile('cli', o.list, config.ioc.maxBytes);
          } catch (err) {
            throw new CliError((err as IocFetchError).message, 1, { cause: err });
          }
          const parsed = parseIocList(text);
          store.saveList(day, 'cli', Date.now(), parsed);
          list = parsed;
        } else {
          list = storedDayList(store, day);
          if (list.entries.length === 0) throw new CliError(`no IoC list for ${day}: run \`nocflow ioc fetch\` or give --list FILE`, 1);
        }
        const deps = jobDepsFrom(config, {
          store,
          source: flowSourceFrom(config.engine),
          now: Date.now,
          flowStore,
          ...(flowStore === 'elasticsearch' ? { esClient: createEsClient(config.elasticsearch) } : {}),
          ...(es ? { esStore: es.store } : {}),
        });
        let result;
        try {
          result = await runIocDay(day, list, { ...deps, files });
        } catch (err) {
          if (err instanceof FlowSourceError) throw new CliError(err.message, 1, { cause: err });
          throw new CliError(`ioc run ${day}: ${(err as Error).message}`, 1, { cause: err });
        }
        process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : formatRun(result, parseLang(cmd.optsWithGlobals().lang), { limit: Number(o.limit) || 50 }));
      } finally {
        await es?.stop().catch(() => undefined);
        db.close();
      }
    });

  ioc
    .command('report')
    .description('remotes of the lookback ranked by the days they appear, with scores, categories and the three-level aggregation')
    .option('--days <n>', 'lookback in days', '30')
    .option('--day <YYYY-MM-DD>', 'the last day of the lookback (default today)')
    .option('--limit <n>', 'remotes listed', '50')
    .option('--analyse <n>', 'top remotes given the three-level aggregation', '10')
    .option('--json', 'print one JSON document')
    .action(async (o: { days: string; day?: string; limit: string; analyse: string; json?: boolean }, cmd: Command) => {
      const days = Number(o.days);
      if (!Number.isInteger(days) || days < 1 || days > 3660) throw new CliError(`--days must be a whole number 1..3660, got "${o.days}"`, 2);
      const { config } = loadConfig();
      const to = dayOption(o.day, localDay(Date.now()));
      const { db, store } = openStore(config);
      try {
        const r = buildReport(store, {
          from: addDays(to, -(days - 1)), to, limit: Number(o.limit) || 50, analyse: Number(o.analyse) || 0, thresholds: resolveThresholds(config.ioc.thresholds),
          units: new PrefixSet(config.engine.units.map((u) => ({ prefix: u.prefix, tag: u.name }))),
        });
        process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : formatReport(r, parseLang(cmd.optsWithGlobals().lang)));
      } finally {
        db.close();
      }
    });
}
