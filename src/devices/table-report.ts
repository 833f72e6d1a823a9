/**
 * What became of one collected table: which command gave it, how many lines were read and skipped (with samples),
 * which layouts were recognized, and the verdict — a table whose lines are mostly unreadable is reported as such,
 * never taken for an empty table. Pure: the collector builds reports, the store keeps them with the run, the CLI
 * and the socket show them.
 */
import type { TableName } from './kinds.js';
import type { ParseResult } from './parsers.js';

/** One table of one collection. */
export interface TableReport {
  table: TableName;
  /** The command whose output was read (an older switch may have answered only the fallback). */
  command: string;
  /** The device refused every command tried for this table (`% Invalid input ...`). */
  refused: boolean;
  entries: number;
  /** Non-empty lines of the output. */
  lines: number;
  skipped: number;
  skippedSamples: string[];
  /** MAC tables: the layouts recognized (mac-table.ts ids). */
  layouts: string[];
  /** The entry count the device printed in a footer, when it prints one. */
  declared?: number;
  /** Most of the lines could not be read, or nothing was read while something was not: see unreadable(). */
  unreadable: boolean;
}

/**
 * True when a table cannot be trusted as read: more than half of its lines were skipped, or it gave no entry while
 * some line was skipped (an unknown layout, an error message). A table of only headers (an empty switch) is fine.
 */
export function isUnreadable(r: Pick<TableReport, 'entries' | 'lines' | 'skipped'>): boolean {
  return r.skipped > 0 && (r.skipped * 2 > r.lines || r.entries === 0);
}

/** The report of one parsed table. */
export function tableReport(table: TableName, command: string, parsed: ParseResult<unknown>, refused = false): TableReport {
  const base = { entries: parsed.entries.length, lines: parsed.lines, skipped: parsed.skipped };
  return {
    table,
    command,
    refused,
    ...base,
    skippedSamples: parsed.skippedSamples,
    layouts: parsed.layouts ?? [],
    ...(parsed.declared !== undefined ? { declared: parsed.declared } : {}),
    unreadable: refused || isUnreadable(base),
  };
}

const quote = (s: string) => JSON.stringify(s);

/**
 * The warnings a table deserves, in English: refused, mostly unreadable, or fewer entries than the device counted;
 * `sample: false` leaves out the first skipped line (when the samples are shown next to it).
 * Skipped lines in an otherwise readable table are not a warning (the count and samples are shown anyway).
 */
export function tableWarnings(r: TableReport, opts: { sample?: boolean } = {}): string[] {
  const out: string[] = [];
  const sample = opts.sample !== false && r.skippedSamples[0] !== undefined ? `, e.g. ${quote(r.skippedSamples[0])}` : '';
  if (r.refused) out.push(`${r.table} table: the device refused ${quote(r.command)}${sample}`);
  else if (r.unreadable) {
    out.push(`${r.table} table mostly unreadable: ${r.skipped} of ${r.lines} lines skipped, ${r.entries} entries read${r.layouts.length === 0 ? ' (no known layout)' : ''}${sample}`);
  }
  if (r.declared !== undefined && r.declared !== r.entries) out.push(`${r.table} table: the device counted ${r.declared} entries, ${r.entries} read`);
  return out;
}

/** A stored report read back defensively (device_runs.tables JSON); undefined for anything else. */
export function reviveTableReport(raw: unknown): TableReport | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (o.table !== 'arp' && o.table !== 'mac') return undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    table: o.table,
    command: typeof o.command === 'string' ? o.command : '',
    refused: o.refused === true,
    entries: n(o.entries),
    lines: n(o.lines),
    skipped: n(o.skipped),
    skippedSamples: strings(o.skippedSamples),
    layouts: strings(o.layouts),
    ...(typeof o.declared === 'number' ? { declared: o.declared } : {}),
    unreadable: o.unreadable === true,
  };
}

/**
 * Plain-text notes on a run's tables for the CLI: one line per table that skipped lines (count, command, layouts,
 * up to three samples cut to 60 characters), then one `! ` line per warning. Empty when every line was read.
 */
export function tableNotes(tables: TableReport[]): string[] {
  const cut = (s: string) => quote(s.length > 60 ? `${s.slice(0, 59)}…` : s);
  const out: string[] = [];
  for (const t of tables) {
    if (t.skipped === 0) continue;
    const layouts = t.layouts.length > 0 ? `, read as ${t.layouts.join(' + ')}` : '';
    out.push(`${t.table}: ${t.skipped} of ${t.lines} lines skipped (${quote(t.command)}${layouts}): ${t.skippedSamples.map(cut).join(' · ')}`);
  }
  for (const t of tables) for (const w of tableWarnings(t, { sample: t.skipped === 0 })) out.push(`! ${w}`);
  return out;
}
