/**
 * What a configuration reload (SIGHUP, `systemctl reload nocflow-engine`) means, as pure decisions over the running
 * and the new configuration. A reload never drops state the operators or the routers see:
 * - the analysis settings the runner reads for every file (`engine.topN`, `thresholds`, `inside`, …) apply from the
 *   next file on;
 * - an area whose section changed decides itself (EngineArea.reload): FlowSpec applies its guards, TTLs and
 *   auto-block at once but never restarts its BGP speaker (that would withdraw every route at the routers), the
 *   devices area restarts its collector in-process;
 * - everything read only when the engine starts (the nfcapd directory, the reader, the database, a section without
 *   an area that can reload) is reported as needing a restart, with the reason, and keeps its running value.
 */

import type { PendingRestart, ReloadResult } from './area.js';

export type { PendingRestart, ReloadResult };


/** Engine keys the runner reads for every file: a reload applies them to the next file. */
export const HOT_ENGINE_KEYS: readonly string[] = ['topN', 'inside', 'units', 'knownServers', 'peerCap', 'thresholds', 'pollSeconds', 'retentionDays'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Structural equality of JSON values. Pure. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameValue(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** The keys that differ, as `section.key` (or `section` when the section is not an object). Pure. */
export function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const section of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[section];
    const b = after[section];
    if (sameValue(a, b)) continue;
    if (!isObject(a) || !isObject(b)) {
      out.push(section);
      continue;
    }
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) if (!sameValue(a[k], b[k])) out.push(`${section}.${k}`);
  }
  return out;
}

/** Changed keys by section: `{engine: ['topN'], flowspec: ['neighbors']}`. Pure. */
export function bySection(keys: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const k of keys) {
    const [section, ...rest] = k.split('.');
    const list = m.get(section) ?? [];
    if (rest.length > 0) list.push(rest.join('.'));
    m.set(section, list);
  }
  return m;
}

/** Why a key of a section no running area reloads waits for a restart. */
export function restartReason(section: string, key: string): string {
  if (section === 'engine' && (key === 'nfcapdDir' || key === 'reader' || key === 'nfdumpBin')) return 'the watcher and the reader are set up when the engine starts';
  if (section === 'store') return 'the database is opened when the engine starts';
  return `the ${section} settings are read when the engine starts`;
}

/**
 * Split a section's changed keys into those applied in place (`hot`) and the rest (restart), for an area that takes
 * `hot` keys at once: copies the hot values into `target` (the area's own live copy of its section). Returns what it
 * did in ReloadResult terms.
 */
export function applyHotKeys(
  section: string,
  target: Record<string, unknown>,
  next: Record<string, unknown>,
  keys: string[],
  hot: readonly string[],
  why: string,
): { applied: string[]; restart: PendingRestart[] } {
  const applied: string[] = [];
  const restart: PendingRestart[] = [];
  for (const k of keys) {
    if (hot.includes(k)) {
      target[k] = structuredClone(next[k]);
      applied.push(`${section}.${k}`);
    } else restart.push({ key: `${section}.${k}`, why });
  }
  return { applied, restart };
}
