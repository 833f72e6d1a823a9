/**
 * Running a day's hunt (shell): build the catalogue (the engine's stored attackers of those files or that day; files
 * without a stored window are analysed first), then read each file ONCE through the FlowSource for every hunted
 * signature (DayHunt), or — when the flows live in Elasticsearch — ask the seeds' per-day query for each signature.
 * A file the source cannot read is recorded in the report and skipped; a reader fault (nfdump missing, cancelled)
 * ends the run.
 */
import { analyzeBatches, type AnalyzeOptions } from '../engine/analyze.js';
import type { Anomaly, FlowSource } from '../engine/types.js';
import { FlowSourceError } from '../ingest/errors.js';
import type { FlowQueryBackend, HuntRow } from '../es/types.js';
import { parsePrefix } from '../util/ip.js';
import { buildCatalogue, huntedEntries, type Catalogue, type CatalogueEntry } from './catalogue.js';
import { DayHunt, type DayHuntResult, type MemberRow, type NearRow, type SignatureHunt } from './day-hunt.js';
import type { HuntRecords } from './records.js';
import { assembleReport, dayText, type HuntReport } from './report.js';

/** Where a run is (for progress bars and status). */
export interface HuntProgress {
  phase: 'catalogue' | 'hunt';
  /** Files (or, from Elasticsearch, signatures) done and in total. */
  done: number;
  total: number;
  /** The file (or signature) just finished. */
  item: string;
  /** Flows read so far in this phase. */
  flows: number;
  elapsedMs: number;
}

/** A file that could not be read, with the reader's reason. */
export interface FailedFile {
  file: string;
  reason: string;
}

/** Options of a run. */
export interface HuntRunOptions {
  near?: number;
  includeWeak?: boolean;
  /** Most signatures hunted, strongest first (0 or absent = all). */
  maxSignatures?: number;
  memberCap?: number;
  knownServers?: string[];
  signal?: AbortSignal;
  onProgress?: (p: HuntProgress) => void;
  /** Clock for elapsed times (default Date.now). */
  clock?: () => number;
}

/** What a run produced besides the report. */
export interface HuntRunResult {
  report: HuntReport;
  catalogue: Catalogue;
  /** Files analysed for the catalogue because no stored window covered them. */
  analysed: string[];
  failed: FailedFile[];
}

/** Settings of the analysis of a file without a stored window (the engine's). */
export type CatalogueAnalysis = Pick<AnalyzeOptions, 'topN' | 'inside' | 'units' | 'knownServers' | 'thresholds' | 'peerCap'>;

const readFault = (err: unknown) => err instanceof FlowSourceError && err.fault === 'file';

/**
 * The catalogue of some files: the stored attackers of the day (`dayMs`) or of the files' stored windows, plus an
 * analysis of each file no stored window covers.
 */
export async function buildFilesCatalogue(
  files: string[],
  deps: { source: FlowSource; records?: HuntRecords; dayMs?: number; analysis?: CatalogueAnalysis; signal?: AbortSignal; onProgress?: (p: HuntProgress) => void; clock?: () => number },
): Promise<{ catalogue: Catalogue; analysed: string[]; failed: FailedFile[] }> {
  const clock = deps.clock ?? Date.now;
  const t0 = clock();
  const anomalies: Anomaly[] = [];
  let covered = new Set<string>();
  if (deps.records) {
    const byFile = deps.records.storedAttackersOfFiles(files);
    covered = byFile.covered;
    anomalies.push(...(deps.dayMs !== undefined ? deps.records.storedAttackers(deps.dayMs) : byFile.anomalies));
  }
  const todo = files.filter((f) => !covered.has(f));
  const analysed: string[] = [];
  const failed: FailedFile[] = [];
  let flows = 0;
  for (const [k, file] of todo.entries()) {
    deps.signal?.throwIfAborted();
    try {
      const r = await analyzeBatches(deps.source.read([file], { signal: deps.signal }), { ...deps.analysis, files: [file] });
      anomalies.push(...r.anomalies);
      flows += r.flows;
      analysed.push(file);
    } catch (err) {
      if (!readFault(err)) throw err;
      failed.push({ file, reason: (err as FlowSourceError).reason });
    }
    deps.onProgress?.({ phase: 'catalogue', done: k + 1, total: todo.length, item: file, flows, elapsedMs: clock() - t0 });
  }
  return { catalogue: buildCatalogue(anomalies), analysed, failed };
}

/** The entries a run hunts. */
export function targetsOf(c: Catalogue, opts: HuntRunOptions): CatalogueEntry[] {
  return huntedEntries(c, { includeWeak: opts.includeWeak, ...(opts.maxSignatures ? { limit: opts.maxSignatures } : {}) });
}

/** Hunt files day-major: each file read once, every target looked up per flow. */
export async function huntFiles(files: string[], targets: CatalogueEntry[], source: FlowSource, opts: HuntRunOptions = {}): Promise<{ result: DayHuntResult; failed: FailedFile[] }> {
  const clock = opts.clock ?? Date.now;
  const t0 = clock();
  const hunt = new DayHunt(targets, { near: opts.near, knownServers: opts.knownServers, memberCap: opts.memberCap });
  const failed: FailedFile[] = [];
  let flows = 0;
  for (const [k, file] of files.entries()) {
    opts.signal?.throwIfAborted();
    hunt.beginFile();
    try {
      // No filter: the hunt's own lookup is the filter, so a file is decoded once whatever the catalogue holds.
      for await (const b of source.read([file], { signal: opts.signal })) {
        hunt.add(b);
        flows += b.size;
      }
    } catch (err) {
      if (!readFault(err)) throw err;
      failed.push({ file, reason: (err as FlowSourceError).reason });
    }
    opts.onProgress?.({ phase: 'hunt', done: k + 1, total: files.length, item: file, flows, elapsedMs: clock() - t0 });
  }
  return { result: hunt.result(), failed };
}

/** Members of one signature from ES rows; `files` is the number of daily indices the member appeared in (1). */
function esMembers(rows: HuntRow[]): MemberRow[] {
  return rows.map((s) => ({ ip: s.ip, destinations: s.destinations, flows: s.flows, sourcePorts: s.sourcePorts, files: 1, firstSeen: s.firstSeen, lastSeen: s.lastSeen }));
}

/** Near-shape members from ES rows, each with its byte counts. */
function esNear(rows: HuntRow[]): NearRow[] {
  return esMembers(rows).map((m, k) => ({ ...m, bytes: rows[k].bytes ?? [] }));
}

/**
 * The same hunt over Elasticsearch's flow indices for one UTC day: the seeds' query per signature (server replies and
 * known servers excluded in the query), strongest first, one at a time.
 */
export async function huntElasticsearch(dayMs: number, targets: CatalogueEntry[], backend: Pick<FlowQueryBackend, 'huntSignature'>, opts: HuntRunOptions = {}): Promise<DayHuntResult> {
  const within = Math.max(0, Math.floor(opts.near ?? 0));
  const clock = opts.clock ?? Date.now;
  const t0 = clock();
  const sources = (opts.knownServers ?? []).map((p) => parsePrefix(p, { loose: true }));
  const signatures: SignatureHunt[] = [];
  let matched = 0;
  for (const [k, t] of targets.entries()) {
    opts.signal?.throwIfAborted();
    // Near shapes as the file hunt finds them: a flow of another hunted shape's exact bytes is that shape's member.
    const near = within > 0 ? { within, exactBytes: targets.filter((o) => o.port === t.port && o.packets === t.packets).map((o) => o.bytes) } : undefined;
    const r = await backend.huntSignature({ port: t.port, packets: t.packets, bytes: t.bytes }, { from: dayMs, to: dayMs + 86_400_000 }, { signal: opts.signal, exclude: { serverReplies: true, sources }, ...(near ? { near } : {}) });
    const members = esMembers(r.sources);
    const flows = members.reduce((s, m) => s + m.flows, 0);
    matched += flows;
    const distinct = r.distinctSourcesPerDay.reduce((s, n) => Math.max(s, n), 0);
    const dropped = r.truncated ? Math.max(0, distinct - members.length) : 0;
    signatures.push({ signature: t.signature, port: t.port, packets: t.packets, bytes: t.bytes, members, ...(near ? { near: esNear(r.near ?? []) } : {}), flows, serverReplyFlows: 0, knownServerFlows: 0, droppedSources: dropped, droppedFlows: 0 });
    opts.onProgress?.({ phase: 'hunt', done: k + 1, total: targets.length, item: t.signature, flows: matched, elapsedMs: clock() - t0 });
  }
  return { files: 1, flows: matched, matched, signatures };
}

/** A whole run over files: catalogue, hunt, report. */
export async function runFilesHunt(
  files: string[],
  deps: { source: FlowSource; records?: HuntRecords; dayMs?: number; analysis?: CatalogueAnalysis },
  opts: HuntRunOptions = {},
): Promise<HuntRunResult> {
  const cat = await buildFilesCatalogue(files, { ...deps, signal: opts.signal, onProgress: opts.onProgress, clock: opts.clock });
  const { result, failed } = await huntFiles(files, targetsOf(cat.catalogue, opts), deps.source, opts);
  const day = deps.dayMs !== undefined ? dayText(deps.dayMs) : undefined;
  const report = assembleReport(cat.catalogue, result, { source: 'files', ...(day ? { day } : {}) });
  const failedAll = [...cat.failed, ...failed.filter((f) => !cat.failed.some((c) => c.file === f.file))];
  return { report, catalogue: cat.catalogue, analysed: cat.analysed, failed: failedAll };
}

/** A whole run over Elasticsearch for one day: the catalogue from the stored attackers of the day. */
export async function runEsHunt(dayMs: number, deps: { records: HuntRecords; backend: Pick<FlowQueryBackend, 'huntSignature'> }, opts: HuntRunOptions = {}): Promise<HuntRunResult> {
  const catalogue = buildCatalogue(deps.records.storedAttackers(dayMs));
  const result = await huntElasticsearch(dayMs, targetsOf(catalogue, opts), deps.backend, opts);
  return { report: assembleReport(catalogue, result, { source: 'elasticsearch', day: dayText(dayMs) }), catalogue, analysed: [], failed: [] };
}
