/**
 * The lookback report (reads the store; the ranking and analysis are the pure stage-4 functions): remotes ranked by
 * the days they appear in [from, to], each with its score, categories and, for the top ones, the seeds' three-level
 * aggregation recomputed over the range; the jobs of the range; the families and the candidate IoCs.
 */
import type { PrefixSet } from '../util/ip.js';
import type { IocThresholds } from './classify.js';
import type { Candidate, Family } from './family.js';
import { analyseRemote, rankRemotes, type RankedRemote, type RemoteAnalysis } from './remotes.js';
import type { IocStore, JobRow } from './store.js';

/** The report document. */
export interface IocReport {
  from: string;
  to: string;
  jobs: JobRow[];
  remotes: (RankedRemote & { unit?: string; analysis?: RemoteAnalysis })[];
  families: (Family & { status: string })[];
  candidates: Candidate[];
}

/** Build the report of [from, to] (YYYY-MM-DD, inclusive); the top `analyse` remotes get their analysis. */
export function buildReport(store: IocStore, o: { from: string; to: string; limit: number; analyse: number; thresholds: IocThresholds; units?: PrefixSet }): IocReport {
  const counts = store.remoteDayCounts(o.from, o.to);
  const rows: RankedRemote[] = [];
  for (const [ip, days] of counts) {
    const v = store.verdict(ip);
    rows.push({ ip, days, score: v?.score ?? 0, categories: Object.keys(v?.categories ?? {}).sort(), iocs: v?.iocs ?? [], patterns: v?.patterns ?? 0 });
  }
  const ranked = rankRemotes(rows).slice(0, o.limit).map((r, i) => {
    const unit = o.units?.match(r.ip);
    const analysis = i < o.analyse ? analyseRemote(r.ip, store.remoteRecords(r.ip, o.from, o.to), o.thresholds) : undefined;
    return { ...r, ...(unit ? { unit } : {}), ...(analysis ? { analysis, patterns: analysis.patterns } : {}) };
  });
  return {
    from: o.from,
    to: o.to,
    jobs: store.jobs(400).filter((j) => j.day >= o.from && j.day <= o.to),
    remotes: ranked,
    families: store.families(50).filter((f) => f.stoppedDay >= o.from && f.stoppedDay <= o.to),
    candidates: store.candidates(o.from, o.to),
  };
}
