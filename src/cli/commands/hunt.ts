/**
 * `nocflow hunt`: the seeds' botnet hunting.
 * - `nocflow hunt <signature> <file|dir...>`: every source of one port-packets-bytes shape, ranked by destinations.
 * - `nocflow hunt --auto <dir>`: the catalogue of the files' attackers (stored windows, else analysed), hunted in one
 *   pass over each file, reported by port (or one JSON document with --json).
 * - `nocflow hunt --day YYYY-MM-DD`: the same for one UTC day of engine.nfcapdDir, or of Elasticsearch's flow indices;
 *   recorded in the database (and ES) like the engine's daily run.
 * - `nocflow hunt --records`: what the records hold across days.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { huntSignature, parseSignature, signatureFilter } from '../../engine/hunt.js';
import { flowSourceFrom } from '../../ingest/flow-source.js';
import { FlowSourceError } from '../../ingest/errors.js';
import { loadConfig } from '../../config/config.js';
import type { NocflowConfig } from '../../config/schema.js';
import { listCompleted, listNfcapdFiles, parseNfcapdName } from '../../ingest/watcher.js';
import { openDb, resolveDbPath, type Db } from '../../store/db.js';
import { dataDir } from '../../util/paths.js';
import { parseLang, type Lang } from '../../i18n/labels.js';
import { huntReportText } from '../../hunt/text.js';
import { HuntRecords } from '../../hunt/records.js';
import { dayText, parseDay, reportJson } from '../../hunt/report.js';
import { runEsHunt, runFilesHunt, type HuntProgress, type HuntRunOptions, type HuntRunResult } from '../../hunt/run.js';
import { placeLookup } from '../../hunt/places.js';
import { createElasticsearchArea } from '../../es/area.js';
import { signatureDocs } from '../../hunt/es-docs.js';
import { CliError } from '../errors.js';
import { createProgress } from '../progress.js';

interface HuntOpts {
  json?: boolean;
  minDestinations: string;
  limit?: string;
  auto?: string;
  day?: string;
  source: string;
  near?: string;
  weak?: boolean;
  maxSignatures?: string;
  save?: boolean;
  records?: boolean;
  ip?: string;
  signature?: string;
  progress?: boolean;
}

const int = (name: string, v: string | undefined, min = 0): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${name} must be a whole number ≥ ${min}, got ${v}`, 2);
  return n;
};

/** The day's files of a directory: completed nfcapd files whose name time lies in the UTC day. */
export function dayFiles(dir: string, dayMs: number): string[] {
  return listCompleted(dir).filter((f) => f.time >= dayMs && f.time < dayMs + 86_400_000).map((f) => f.path);
}

/** The engine database, or undefined when it does not exist and `create` is false (nothing is created for a look). */
function openRecords(config: NocflowConfig, create: boolean): { db: Db; records: HuntRecords } | undefined {
  const file = resolveDbPath(config.store.path, dataDir());
  if (!create && !fs.existsSync(file)) return undefined;
  const db = openDb(file);
  return { db, records: new HuntRecords(db) };
}

/** Index the day's signature documents when Elasticsearch is configured (spooled on outage). */
async function shipSignatureDocs(config: NocflowConfig, r: HuntRunResult, dayMs: number): Promise<string | undefined> {
  const es = createElasticsearchArea(config.elasticsearch, { dataDir: dataDir(), log: (l) => process.stderr.write(`nocflow: ${l}\n`) });
  if (!es) return undefined;
  try {
    const docs = signatureDocs(r.report, dayMs);
    await es.store.writeDocs('signature', docs);
    const s = es.store.stats();
    return `${docs.length} signature documents: ${s.indexed} indexed, ${s.spooled} spooled`;
  } finally {
    await es.stop();
  }
}

function printReport(r: HuntRunResult, o: HuntOpts, lang: Lang, near: number | undefined): void {
  const limit = int('--limit', o.limit);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...(reportJson(r.report, limit ? { limit } : {}) as object), analysed: r.analysed.length, failed: r.failed })}\n`);
    return;
  }
  const places = placeLookup({ lang, warn: (l) => process.stderr.write(`nocflow: ${l}\n`) });
  process.stdout.write(huntReportText(r.report, { lang, place: places.place, limit: limit ?? 20, ...(near ? { near } : {}) }, r.failed));
}

async function huntAuto(o: HuntOpts, lang: Lang, config: NocflowConfig, run: HuntRunOptions): Promise<void> {
  const dir = o.auto!;
  if (!fs.existsSync(dir)) throw new CliError(`no such file or directory: ${dir}`);
  const files = fs.statSync(dir).isDirectory() ? listNfcapdFiles(dir) : [dir];
  if (files.length === 0) throw new CliError(`no completed nfcapd files under ${dir}`);
  const first = parseNfcapdName(path.basename(files[0]));
  const dayMs = first !== undefined ? Math.floor(first / 86_400_000) * 86_400_000 : undefined;
  if (o.save && dayMs === undefined) throw new CliError(`--save needs nfcapd.YYYYMMDDhhmm file names to date the day: ${path.basename(files[0])}`, 2);
  const store = openRecords(config, o.save === true);
  try {
    const r = await runFilesHunt(files.map((f) => path.resolve(f)), { source: flowSourceFrom(config.engine), records: store?.records, analysis: analysisOf(config) }, run);
    if (dayMs !== undefined) r.report.day = dayText(dayMs);
    if (o.save && store && dayMs !== undefined) {
      store.records.saveDay(dayText(dayMs), r.report, Date.now(), { trigger: 'cli' });
      const es = await shipSignatureDocs(config, r, dayMs);
      if (es) process.stderr.write(`nocflow: ${es}\n`);
    }
    printReport(r, o, lang, run.near);
  } finally {
    store?.db.close();
  }
}

const analysisOf = (config: NocflowConfig) => ({
  topN: config.engine.topN, inside: config.engine.inside, units: config.engine.units, knownServers: config.engine.knownServers, thresholds: config.engine.thresholds, peerCap: config.engine.peerCap,
});

async function huntDay(o: HuntOpts, lang: Lang, config: NocflowConfig, run: HuntRunOptions): Promise<void> {
  let dayMs: number;
  try {
    dayMs = parseDay(o.day!);
  } catch (err) {
    throw new CliError(`--day: ${(err as Error).message}`, 2);
  }
  const dir = config.engine.nfcapdDir;
  const files = dir && fs.existsSync(dir) ? dayFiles(dir, dayMs) : [];
  const source = o.source;
  if (!['auto', 'files', 'elasticsearch'].includes(source)) throw new CliError(`--source must be auto, files or elasticsearch, got ${source}`, 2);
  const useEs = source === 'elasticsearch' || (source === 'auto' && files.length === 0 && config.elasticsearch.node !== '');
  if (useEs && !config.elasticsearch.node) throw new CliError('--source elasticsearch needs elasticsearch.node (nocflow config set elasticsearch.node http://...)', 2);
  if (!useEs && files.length === 0) throw new CliError(`no nfcapd files of ${o.day} under engine.nfcapdDir (${dir || 'not set'})${config.elasticsearch.node ? '' : ', and Elasticsearch is not configured'}`);
  const save = o.save !== false;
  const store = openRecords(config, true)!;
  try {
    const day = dayText(dayMs);
    if (save) store.records.begin(day, 'cli', useEs ? 'elasticsearch' : 'files', Date.now());
    let r: HuntRunResult;
    try {
      if (useEs) {
        const es = createElasticsearchArea(config.elasticsearch, { dataDir: dataDir() })!;
        try {
          r = await runEsHunt(dayMs, { records: store.records, backend: es.flows }, run);
        } finally {
          await es.stop();
        }
      } else {
        r = await runFilesHunt(files, { source: flowSourceFrom(config.engine), records: store.records, dayMs, analysis: analysisOf(config) }, run);
      }
    } catch (err) {
      if (save) store.records.fail(day, (err as Error).message, Date.now());
      throw err;
    }
    if (save) {
      store.records.saveDay(day, r.report, Date.now(), { trigger: 'cli' });
      const es = await shipSignatureDocs(config, r, dayMs);
      if (es) process.stderr.write(`nocflow: ${es}\n`);
    }
    printReport(r, o, lang, run.near);
  } finally {
    store.db.close();
  }
}

function printRecords(o: HuntOpts, config: NocflowConfig): void {
  const store = openRecords(config, false);
  if (!store) throw new CliError(`no database yet (${resolveDbPath(config.store.path, dataDir())}): run a day's hunt first`);
  try {
    const r = store.records;
    if (o.ip) {
      const doc = { ip: o.ip, master: r.ips({ ip: o.ip })[0] ?? null, signatures: r.signaturesOf(o.ip) };
      if (o.json) process.stdout.write(`${JSON.stringify(doc)}\n`);
      else {
        if (!doc.master) process.stdout.write(`${o.ip}: never a member of a hunted signature\n`);
        else process.stdout.write(`${o.ip}: ${doc.master.days} days (${doc.master.firstDay} … ${doc.master.lastDay}), ${doc.master.signatures} signatures, at most ${doc.master.maxDestinations} destinations\n`);
        for (const s of doc.signatures) process.stdout.write(`  ${s.signature}: ${s.days.join(' ')}\n`);
      }
      return;
    }
    if (o.signature) {
      const doc = { signature: o.signature, master: r.signatures().find((s) => s.signature === o.signature) ?? null, recurring: r.recurringMembers(o.signature, 2) };
      if (o.json) process.stdout.write(`${JSON.stringify(doc)}\n`);
      else {
        if (!doc.master) process.stdout.write(`${o.signature}: not in the records\n`);
        else process.stdout.write(`${o.signature}: ${doc.master.daysSeen} days (${doc.master.firstDay} … ${doc.master.lastDay}), ${doc.master.attackers} attackers, ${doc.master.members} members\n`);
        process.stdout.write(`recurring members (2 days or more): ${doc.recurring.length}\n`);
        for (const m of doc.recurring) process.stdout.write(`  ${m.ip.padEnd(40)} ${m.days.join(' ')}  max ${m.maxDestinations} destinations\n`);
      }
      return;
    }
    const doc = { runs: r.runs(30), signatures: r.signatures(100), multiSignatureIps: r.ips({ minSignatures: 2, limit: 100 }) };
    if (o.json) {
      process.stdout.write(`${JSON.stringify(doc)}\n`);
      return;
    }
    process.stdout.write(`# hunt runs: ${doc.runs.map((x) => `${x.day} ${x.status}`).join(', ') || 'none'}\n\n`);
    process.stdout.write(`${'signature'.padEnd(20)} ${'days'.padStart(5)} ${'first'.padEnd(10)} ${'last'.padEnd(10)} ${'attackers'.padStart(9)} ${'members'.padStart(8)}\n`);
    for (const s of doc.signatures) process.stdout.write(`${s.signature.padEnd(20)} ${String(s.daysSeen).padStart(5)} ${s.firstDay} ${s.lastDay} ${String(s.attackers).padStart(9)} ${String(s.members).padStart(8)}${s.weak ? '  weak' : ''}\n`);
    process.stdout.write(`\nIPs with several signatures: ${doc.multiSignatureIps.length}\n`);
    for (const x of doc.multiSignatureIps) process.stdout.write(`  ${x.ip.padEnd(40)} ${x.signatures} signatures, ${x.days} days, at most ${x.maxDestinations} destinations\n`);
  } finally {
    store.db.close();
  }
}

export function registerHunt(program: Command): void {
  program
    .command('hunt [signature] [paths...]')
    .description('hunt botnet members: one port-packets-bytes signature across files, or the day\'s whole catalogue (--auto DIR, --day YYYY-MM-DD)')
    .option('--json', 'print one JSON document')
    .option('--min-destinations <n>', 'one signature: only sources that reached at least this many destinations', '1')
    .option('--limit <n>', 'members listed per signature (one signature: rows; default 100 there, 20 in the report, all in --json)')
    .option('--auto <dir>', 'hunt the catalogue of the attackers of the files under <dir> (stored windows, else analysed first)')
    .option('--day <YYYY-MM-DD>', 'hunt one UTC day of engine.nfcapdDir (or Elasticsearch) and record it')
    .option('--source <s>', 'with --day: auto (files when the day has any), files or elasticsearch', 'auto')
    .option('--near <bytes>', 'also report near shapes: same port and packets, bytes within ±N')
    .option('--weak', 'also hunt weak (bare-header) shapes')
    .option('--max-signatures <n>', 'hunt at most this many signatures, strongest first')
    .option('--save', 'with --auto: record the day in the database (and Elasticsearch)')
    .option('--no-save', 'with --day: do not record')
    .option('--records', 'show the accumulated records: runs, signatures across days, IPs with several signatures')
    .option('--ip <ip>', 'with --records: one IP\'s signatures and days')
    .option('--signature <sig>', 'with --records: one signature\'s recurring members')
    .option('--no-progress', 'no progress display on stderr')
    .addHelpText(
      'after',
      `
--auto/--day JSON: {files, flows, signatures:[{signature, port, packets, bytes, strength, weak, hunted, attackers:[ip],
members:[{ip, destinations, flows, sourcePorts, files, firstSeen, lastSeen}], near?, ...}]}, members sorted by
destinations; weak shapes are listed with hunted:false unless --weak. Progress (files read, flows/s) goes to stderr:
a bar on a terminal, plain lines otherwise.`,
    )
    .action(async (sigText: string | undefined, paths: string[], o: HuntOpts, cmd: Command) => {
      const lang = parseLang(cmd.optsWithGlobals().lang);
      const config = loadConfig().config;
      if (o.records) return printRecords(o, config);
      if (o.auto !== undefined || o.day !== undefined) {
        if (o.auto !== undefined && o.day !== undefined) throw new CliError('give --auto DIR or --day YYYY-MM-DD, not both', 2);
        if (sigText !== undefined) throw new CliError(`--auto/--day hunt the whole catalogue; drop the signature "${sigText}" (or hunt it alone without --auto)`, 2);
        const near = int('--near', o.near);
        const progress = createProgress(process.stderr, { enabled: o.progress !== false });
        const run: HuntRunOptions = {
          ...(near ? { near } : {}),
          includeWeak: o.weak === true,
          maxSignatures: int('--max-signatures', o.maxSignatures, 1),
          memberCap: config.hunt.memberCap,
          knownServers: config.engine.knownServers,
          onProgress: (p: HuntProgress) =>
            progress.update({ label: p.phase === 'catalogue' ? 'analyse' : 'hunt', done: p.done, total: p.total, item: path.basename(p.item), flows: p.flows, elapsedMs: p.elapsedMs, unit: p.item.includes('/') || p.item.startsWith('nfcapd') ? 'files' : 'signatures' }),
        };
        try {
          if (o.auto !== undefined) await huntAuto(o, lang, config, run);
          else await huntDay(o, lang, config, run);
        } catch (err) {
          if (err instanceof FlowSourceError) throw new CliError(err.message, 1, { cause: err });
          throw err;
        } finally {
          progress.end();
        }
        return;
      }
      if (sigText === undefined || paths.length === 0) throw new CliError('usage: nocflow hunt <port-packets-bytes> <file|dir...> | --auto <dir> | --day YYYY-MM-DD | --records', 2);
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
      const source = flowSourceFrom(config.engine);
      let rows;
      try {
        rows = await huntSignature(source.read(files, { filter: signatureFilter(sig) }), sig, { minDestinations: Number(o.minDestinations), limit: Number(o.limit ?? '100') });
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
