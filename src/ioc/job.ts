/**
 * The daily job: one day's list × one day's flows through the four stages, committed in one transaction, then
 * the alerts of newly infected inside hosts. Stage 1 reads (files or ES), stages 2–4 are the pure modules, the
 * store writes; this file only sequences them. `runIocDay` is what the engine area and `nocflow ioc run` call.
 */
import type { Evidence } from '../engine/types.js';
import type { PrefixSet } from '../util/ip.js';
import { ANALYSED_CLASSES, classifyIoc, type IocClass, type IocThresholds } from './classify.js';
import { addDays, dayRange } from './days.js';
import { familyCandidates, stoppedFamilies, type Candidate, type Family } from './family.js';
import { diffLists } from './list.js';
import { toRecords, type IocRecord } from './records.js';
import { analyseRemote, dayCategories, dayPoints, remoteDays, retractDay, updateVerdict, type RemoteCategory, type RemoteVerdict } from './remotes.js';
import type { Stage1Reader } from './stage1.js';
import type { DayCommit, IocDayRow, IocStore } from './store.js';

/** The list a day is run with (counted as the contract says: `entries` = valid distinct addresses). */
export interface DayList {
  entries: string[];
  invalid: number;
  duplicates: number;
  mapped?: number;
}

/** Where stage 2's records also go (the ES daily index), besides SQLite. */
export interface Stage2Sink {
  writeDay(day: string, records: IocRecord[]): Promise<{ documents: number }>;
}

/** An inside host newly classed `relay-check-in` (what the alerts area receives). */
export interface InfectedHost {
  ip: string;
  unit?: string;
  score: number;
  categories: string[];
  iocs: string[];
  daysSeen: number;
  firstDay: string;
  lastDay: string;
  /** The relays (IoCs) it checks in with, with their port. */
  relays: { ioc: string; port: number; flows: number; days: number }[];
}

/** What a job needs. */
export interface IocJobDeps {
  store: IocStore;
  reader: Stage1Reader;
  thresholds: IocThresholds;
  sampleSize: number;
  lookbackDays: number;
  keepMassSamples: boolean;
  retentionDays: number;
  now: () => number;
  /** The day's nfcapd files (files reader). */
  files?: string[];
  es?: Stage2Sink;
  inside?: PrefixSet;
  units?: PrefixSet;
  onNewInfected?: (host: InfectedHost) => void;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** One IoC in the result. */
export interface IocResultRow {
  ip: string;
  totalFlows: number;
  sampled: number;
  remotes: number;
  class: IocClass;
  evidence: Evidence[];
}

/** One remote in the result: its verdict after the day. */
export interface RemoteResultRow {
  ip: string;
  /** IoCs it touched that day. */
  iocs: string[];
  /** Accumulated score. */
  score: number;
  /** Every category it has held (accumulated). */
  categories: string[];
  /** The day's categories and points. */
  today: RemoteCategory[];
  points: number;
  daysSeen: number;
  patterns: number;
  unit?: string;
  inside: boolean;
}

/** The job's result (the `ioc run --json` document). */
export interface IocRunResult {
  day: string;
  list: { entries: number; invalid: number; duplicates: number; mapped: number; appeared: string[]; left: string[] };
  reader: 'files' | 'elasticsearch';
  files: number;
  /** Files skipped as unreadable, with the reason. */
  skippedFiles: { file: string; reason: string }[];
  flowsRead: number;
  sampleRows: number;
  seconds: number;
  iocs: IocResultRow[];
  remotes: RemoteResultRow[];
  families: Family[];
  candidates: Candidate[];
  es?: { documents: number };
  alerts: string[];
}

/** Run one day. Throws (with the stage named) on a read or store failure; nothing is committed then. */
export async function runIocDay(day: string, list: DayList, deps: IocJobDeps): Promise<IocRunResult> {
  const t = deps.thresholds;
  const started = deps.now();
  const range = dayRange(day);
  const pending = deps.store.pendingFamilies(day);
  const watch = [...new Set(pending.flatMap((f) => f.members))].sort();

  // Stage 1: the flows of every IoC.
  const s1 = await deps.reader.collect(list.entries, watch, range, { sampleSize: deps.sampleSize, signal: deps.signal, files: deps.files });

  // Stages 2 and 3: records and classes.
  const iocDays: IocDayRow[] = [];
  const stored: IocRecord[] = [];
  const all: IocRecord[] = [];
  const analysed: IocRecord[] = [];
  s1.iocs.forEach((ip, k) => {
    const flows = s1.flowsOf(k);
    const v = classifyIoc(s1.totals[k], flows, t);
    iocDays.push({ day, ioc: ip, totalFlows: s1.totals[k], sampled: flows.length, remotes: v.features.remotes, class: v.class, evidence: v.evidence });
    const keep = v.class !== 'mass' || deps.keepMassSamples;
    // A mass IoC's sample only goes on when Elasticsearch takes it (or it is kept): otherwise it is dropped here.
    if (!keep && !deps.es) return;
    const recs = toRecords(day, flows, s1.files, v.class);
    if (deps.es) for (const r of recs) all.push(r);
    if (keep) for (const r of recs) stored.push(r);
    if (ANALYSED_CLASSES.has(v.class)) for (const r of recs) analysed.push(r);
  });
  let es: { documents: number } | undefined;
  if (deps.es && all.length > 0) es = await deps.es.writeDay(day, all);

  // Stage 4: remotes, analysed over the lookback, scored into their verdicts.
  const from = addDays(day, -(deps.lookbackDays - 1));
  const yesterday = addDays(day, -1);
  const rdays = remoteDays(day, analysed);
  const byRemote = new Map<string, IocRecord[]>();
  for (const r of analysed) {
    let l = byRemote.get(r.remote);
    if (!l) byRemote.set(r.remote, (l = []));
    l.push(r);
  }
  const verdicts: RemoteVerdict[] = [];
  const remoteRows: RemoteResultRow[] = [];
  const scored: DayCommit['remoteDays'] = [];
  const newAlerts: string[] = [];
  const now = deps.now();
  for (const rd of rdays) {
    const history = deps.store.remoteRecords(rd.ip, from, yesterday).concat(byRemote.get(rd.ip) ?? []);
    const analysis = analyseRemote(rd.ip, history, t);
    const cats = dayCategories(rd, analysis);
    const score = { day, points: dayPoints(cats), categories: cats, iocs: rd.iocs };
    const before = deps.store.verdict(rd.ip);
    const v = updateVerdict(before, score, deps.store.dayScore(day, rd.ip), analysis, now);
    verdicts.push(v);
    scored.push({ ...rd, score });
    const inside = deps.inside?.has(rd.ip) ?? false;
    if (inside && (v.categories['relay-check-in'] ?? 0) > 0) newAlerts.push(rd.ip);
    remoteRows.push({
      ip: rd.ip, iocs: rd.iocs, score: v.score, categories: Object.keys(v.categories).sort(), today: cats, points: score.points, daysSeen: v.daysSeen,
      patterns: analysis.patterns, inside, ...(deps.units?.match(rd.ip) ? { unit: deps.units.match(rd.ip) } : {}),
    });
  }
  // A remote scored by an earlier run of this day but absent now: its points of the day are taken back.
  const present = new Set(rdays.map((r) => r.ip));
  for (const old of deps.store.dayScores(day)) {
    if (present.has(old.ip)) continue;
    const before = deps.store.verdict(old.ip);
    if (before) verdicts.push(retractDay(before, old, now));
  }

  // Families that stopped today; the candidates of those looked up today.
  const contacts = deps.store.contacts(addDays(day, -t.familyDays), yesterday).concat(rdays.flatMap((r) => r.contacts));
  const listed = new Set(list.entries);
  const families = stoppedFamilies(day, contacts, listed, t);
  const candidates = pending.flatMap((f) => familyCandidates(day, f, s1.watched, listed, t));

  const prevDay = deps.store.previousListDay(day);
  const change = prevDay ? diffLists(deps.store.entries(prevDay), list.entries) : { appeared: [...list.entries], left: [] };
  const result: IocRunResult = {
    day,
    list: { entries: list.entries.length, invalid: list.invalid, duplicates: list.duplicates, mapped: list.mapped ?? 0, appeared: change.appeared, left: change.left },
    reader: deps.reader.kind,
    files: s1.files.length,
    skippedFiles: s1.skipped,
    flowsRead: s1.counters.flows,
    sampleRows: s1.counters.sampleRows,
    seconds: 0,
    iocs: iocDays.map((d) => ({ ip: d.ioc, totalFlows: d.totalFlows, sampled: d.sampled, remotes: d.remotes, class: d.class, evidence: d.evidence })),
    remotes: remoteRows.sort((a, b) => b.score - a.score || (a.ip < b.ip ? -1 : 1)),
    families,
    candidates,
    ...(es ? { es } : {}),
    alerts: [],
  };
  result.seconds = (deps.now() - started) / 1000;
  const summary = { entries: result.list.entries, files: result.files, flowsRead: result.flowsRead, remotes: result.remotes.length, candidates: candidates.length, classes: countClasses(result.iocs) };
  deps.store.commitDay({ day, iocDays, records: stored, remoteDays: scored, verdicts, newAlerts, families, lookedUp: pending, candidates }, deps.now(), summary);
  if (deps.retentionDays > 0) deps.store.prune(addDays(day, -deps.retentionDays));
  result.alerts = deliverAlerts(deps.store, deps.onNewInfected, deps.units, deps.log);
  return result;
}

/** Count of IoCs per class. */
export function countClasses(rows: readonly { class: IocClass }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.class] = (out[r.class] ?? 0) + 1;
  return out;
}

/** The alert value of a verdict. */
export function infectedHost(v: RemoteVerdict, units?: PrefixSet): InfectedHost {
  const unit = units?.match(v.ip);
  return {
    ip: v.ip, ...(unit ? { unit } : {}), score: v.score, categories: Object.keys(v.categories).sort(), iocs: v.iocs, daysSeen: v.daysSeen, firstDay: v.firstDay, lastDay: v.lastDay,
    relays: v.analysis.pairs.filter((p) => p.category === 'relay-check-in').map((p) => ({ ioc: p.ioc, port: p.port, flows: p.flows, days: p.days })),
  };
}

/**
 * Hand every pending relay-check-in alert to `onNewInfected`, each marked done after its call (a crash in between
 * repeats it at the next start rather than losing it). Without a receiver, alerts stay pending. Returns the IPs.
 */
export function deliverAlerts(store: IocStore, onNewInfected: ((h: InfectedHost) => void) | undefined, units?: PrefixSet, log?: (line: string) => void): string[] {
  if (!onNewInfected) return [];
  const out: string[] = [];
  for (const v of store.pendingAlerts()) {
    try {
      onNewInfected(infectedHost(v, units));
    } catch (err) {
      log?.(`ioc: alert for ${v.ip} failed: ${(err as Error).message}`);
      continue;
    }
    store.markAlerted(v.ip);
    out.push(v.ip);
  }
  return out;
}
