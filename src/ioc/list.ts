/**
 * IoC lists as text (pure): one address per line, `#` comments and blank lines ignored, IPv4 and IPv6. Malformed
 * lines and duplicates are counted and reported, never fatal; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the
 * IPv4 address it maps (flows carry it as IPv4). Also the day-to-day difference of two lists.
 */
import { canonicalIp, v6ToGroups } from '../util/ip.js';

/** One line that is not an address. */
export interface InvalidLine {
  line: number;
  /** The line as read, control characters removed, at most 80 characters. */
  text: string;
}

/** A parsed list. */
export interface ParsedList {
  /** Valid distinct addresses in canonical text, in first-seen order. */
  entries: string[];
  /** Malformed lines (count). */
  invalid: number;
  /** Valid lines naming an address already listed (count). */
  duplicates: number;
  /** IPv4-mapped IPv6 lines read as IPv4. */
  mapped: number;
  /** The first malformed lines (at most 20), for the report. */
  invalidSample: InvalidLine[];
  /** Lines read (including comments and blanks). */
  lines: number;
}

/** Canonical text of one list address (an IPv4-mapped IPv6 becomes IPv4), or undefined when it is not an address. */
export function listAddress(text: string): { ip: string; mapped: boolean } | undefined {
  // canonicalIp reads an IPv6 address carrying an IPv4 one (::ffff:a.b.c.d, ::a.b.c.d) as that IPv4 address.
  const ip = canonicalIp(text);
  if (ip === undefined) return undefined;
  return { ip, mapped: text.includes(':') && !ip.includes(':') };
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Parse a list's text. Never throws. */
export function parseIocList(text: string): ParsedList {
  const seen = new Set<string>();
  const out: ParsedList = { entries: [], invalid: 0, duplicates: 0, mapped: 0, invalidSample: [], lines: 0 };
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    out.lines++;
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).replace(/^\uFEFF/, '').trim();
    if (body === '') return;
    const a = listAddress(body);
    if (!a) {
      out.invalid++;
      if (out.invalidSample.length < 20) out.invalidSample.push({ line: i + 1, text: raw.replace(CONTROL, '').slice(0, 80) });
      return;
    }
    if (a.mapped) out.mapped++;
    if (seen.has(a.ip)) {
      out.duplicates++;
      return;
    }
    seen.add(a.ip);
    out.entries.push(a.ip);
  });
  return out;
}

/** Several lists of one day merged: the union of their entries, counters added. */
export function mergeLists(lists: ParsedList[]): ParsedList {
  const seen = new Set<string>();
  const out: ParsedList = { entries: [], invalid: 0, duplicates: 0, mapped: 0, invalidSample: [], lines: 0 };
  for (const l of lists) {
    out.invalid += l.invalid;
    out.duplicates += l.duplicates;
    out.mapped += l.mapped;
    out.lines += l.lines;
    out.invalidSample.push(...l.invalidSample.slice(0, 20 - out.invalidSample.length));
    for (const e of l.entries) {
      if (seen.has(e)) out.duplicates++;
      else {
        seen.add(e);
        out.entries.push(e);
      }
    }
  }
  return out;
}

/** Which IoCs appeared and which left between two days' lists. */
export function diffLists(previous: readonly string[], current: readonly string[]): { appeared: string[]; left: string[] } {
  const p = new Set(previous);
  const c = new Set(current);
  return { appeared: current.filter((x) => !p.has(x)), left: previous.filter((x) => !c.has(x)) };
}
