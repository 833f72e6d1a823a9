/**
 * The day's lists (shell): fetch every configured source once, parse, and keep it for the day — or, when a fetch
 * fails, keep the previous list for the day and say why. Also the DayList a job runs with, from the store.
 */
import type { IocConfig } from '../config/sections/ioc.js';
import { fetchSource, IocFetchError, loadCa } from './fetch.js';
import type { DayList } from './job.js';
import { diffLists, parseIocList } from './list.js';
import type { IocStore, ListStatus } from './store.js';

/** A source's outcome for the day, with what changed since the previous day's list. */
export type FetchOutcome = ListStatus & { appeared?: number; left?: number };

/** Fetch every source (one after the other) for `day`. Never throws for a source: its failure is its status. */
export async function fetchDayLists(cfg: IocConfig, store: IocStore, day: string, now: () => number, log?: (line: string) => void): Promise<FetchOutcome[]> {
  let ca: Buffer | undefined;
  let caError: string | undefined;
  try {
    ca = loadCa(cfg.caFile);
  } catch (err) {
    caError = (err as Error).message;
  }
  const out: FetchOutcome[] = [];
  for (const src of cfg.sources) {
    try {
      if (caError && src.url) throw new IocFetchError(src.name, 'config', caError);
      const text = await fetchSource(src, { timeoutMs: cfg.timeoutMs, maxBytes: cfg.maxBytes, ca });
      const parsed = parseIocList(text);
      const prevDay = store.previousListDay(day);
      store.saveList(day, src.name, now(), parsed);
      const st = store.listStatus(day).find((s) => s.source === src.name)!;
      const change = prevDay ? diffLists(store.entries(prevDay), parsed.entries) : undefined;
      out.push({ ...st, ...(change ? { appeared: change.appeared.length, left: change.left.length } : {}) });
      log?.(`ioc: list ${src.name} for ${day}: ${parsed.entries.length} entries, ${parsed.invalid} malformed, ${parsed.duplicates} duplicates`);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const st = store.saveFailedFetch(day, src.name, now(), msg);
      out.push(st);
      log?.(`ioc: ${msg}${st.status === 'kept' ? ` (keeping the list of ${st.fromDay})` : ''}`);
    }
  }
  return out;
}

/** The list a day runs with: the union of its sources' entries, their counters added. */
export function storedDayList(store: IocStore, day: string): DayList & { sources: number } {
  const st = store.listStatus(day);
  return {
    entries: store.entries(day),
    invalid: st.reduce((s, x) => s + x.invalid, 0),
    duplicates: st.reduce((s, x) => s + x.duplicates, 0),
    mapped: st.reduce((s, x) => s + x.mapped, 0),
    sources: st.length,
  };
}
