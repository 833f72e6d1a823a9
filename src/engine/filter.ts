/**
 * Structured flow predicates (pure): validation and compilation of a {@link FlowFilter} into a per-row matcher over
 * FlowBatch columns. Compiled once, run per row (nfdump's lesson: filters compile once). The nfdump driver renders
 * the same value as nfdump filter text (ingest/nfdump/filter-text.ts), so both drivers select the same flows.
 */
import type { FlowBatch, FlowFilter, Range } from './types.js';
import { IpError, parsePrefix, v4ToNumber, v6ToWords } from '../util/ip.js';

/** true when row `i` of `b` matches. */
export type RowMatcher = (b: FlowBatch, i: number) => boolean;

/** A filter that does not validate: names the field and why. */
export class FilterError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`filter ${path}: ${reason}`);
    this.name = 'FilterError';
  }
}

/** A parsed prefix as numbers: IPv4 (net, mask) or IPv6 (4 net words, 4 mask words). */
export type NumericPrefix = { family: 4; net: number; mask: number } | { family: 6; net: Uint32Array; mask: Uint32Array };

/** Parse a prefix or address into numbers (host bits allowed and masked off). Throws IpError when malformed. */
export function numericPrefix(text: string): NumericPrefix {
  const p = parsePrefix(text, { loose: true });
  if (p.family === 4) {
    const mask = p.length === 0 ? 0 : (0xffffffff << (32 - p.length)) >>> 0;
    return { family: 4, net: (v4ToNumber(p.address) & mask) >>> 0, mask };
  }
  const words = v6ToWords(p.address)!;
  const mask = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const bits = Math.max(0, Math.min(32, p.length - 32 * k));
    mask[k] = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
  }
  const net = new Uint32Array(4);
  for (let k = 0; k < 4; k++) net[k] = (words[k] & mask[k]) >>> 0;
  return { family: 6, net, mask };
}

const PORT = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
const PROTO = (n: number) => Number.isInteger(n) && n >= 0 && n <= 255;

/** Check every field of a filter; throws FilterError naming the first bad one. Pure. */
export function validateFilter(f: FlowFilter, path = 'filter'): void {
  for (const key of ['host', 'src', 'dst'] as const) {
    (f[key] ?? []).forEach((p, i) => {
      try {
        numericPrefix(p);
      } catch (err) {
        throw new FilterError(`${path}.${key}[${i}]`, err instanceof IpError ? err.message : String(err));
      }
    });
  }
  for (const key of ['port', 'srcPort', 'dstPort'] as const) {
    (f[key] ?? []).forEach((p, i) => {
      if (!PORT(p)) throw new FilterError(`${path}.${key}[${i}]`, `not a port: ${p}`);
    });
  }
  (f.proto ?? []).forEach((p, i) => {
    if (!PROTO(p)) throw new FilterError(`${path}.proto[${i}]`, `not a protocol number: ${p}`);
  });
  for (const key of ['packets', 'bytes'] as const) {
    const r = f[key];
    if (!r) continue;
    for (const end of ['min', 'max'] as const) {
      const v = r[end];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new FilterError(`${path}.${key}.${end}`, `not a count: ${v}`);
    }
  }
  (f.anyOf ?? []).forEach((g, i) => validateFilter(g, `${path}.anyOf[${i}]`));
}

/** true when the filter selects every flow. */
export function isEmptyFilter(f: FlowFilter | undefined): boolean {
  if (!f) return true;
  return !f.host?.length && !f.src?.length && !f.dst?.length && !f.proto?.length && !f.port?.length && !f.srcPort?.length &&
    !f.dstPort?.length && !f.packets && !f.bytes && !(f.anyOf && f.anyOf.length > 0);
}

/** true when row `i`'s source (or destination) address lies in one of `ps`. */
export function inPrefixes(ps: NumericPrefix[], b: FlowBatch, i: number, side: 'src' | 'dst'): boolean {
  const fam = b.family[i];
  const v4 = side === 'src' ? b.srcV4 : b.dstV4;
  const v6 = side === 'src' ? b.src6 : b.dst6;
  for (const p of ps) {
    if (p.family !== fam) continue;
    if (p.family === 4) {
      if (((v4[i] & p.mask) >>> 0) === p.net) return true;
    } else {
      const o = 4 * i;
      if (((v6[o] & p.mask[0]) >>> 0) === p.net[0] && ((v6[o + 1] & p.mask[1]) >>> 0) === p.net[1] &&
        ((v6[o + 2] & p.mask[2]) >>> 0) === p.net[2] && ((v6[o + 3] & p.mask[3]) >>> 0) === p.net[3]) return true;
    }
  }
  return false;
}

function rangeTest(r: Range): (v: number) => boolean {
  const lo = r.min ?? -Infinity, hi = r.max ?? Infinity;
  return (v) => v >= lo && v <= hi;
}

function setOf(values: number[]): (v: number) => boolean {
  if (values.length === 1) {
    const x = values[0];
    return (v) => v === x;
  }
  const s = new Set(values);
  return (v) => s.has(v);
}

/** Most needles a read searches each block for; a filter with more (an IoC list) is decoded row by row. */
export const MAX_NEEDLES = 16;

/**
 * The bytes every address of a prefix has in common as nfcapd stores it (nffile V3 records: an IPv4 address is a
 * little-endian u32, an IPv6 address two little-endian u64, high half first), or undefined when they are too few to be
 * worth a search: the top whole bytes of the address, which come last (IPv4: 2–4 bytes, /16 or longer; IPv6: the
 * top 4–8 bytes, /32 or longer, all 16 for an address). Pure.
 */
export function prefixNeedle(p: NumericPrefix): Uint8Array | undefined {
  if (p.family === 4) {
    const k = Math.floor(bitCount(p.mask) / 8);
    if (k < 2) return undefined;
    const le = [p.net & 255, (p.net >>> 8) & 255, (p.net >>> 16) & 255, p.net >>> 24];
    return Uint8Array.from(le.slice(4 - k));
  }
  const len = bitCount(p.mask[0]) + bitCount(p.mask[1]) + bitCount(p.mask[2]) + bitCount(p.mask[3]);
  const stored = new Uint8Array(16);
  const v = new DataView(stored.buffer);
  v.setUint32(0, p.net[1], true);
  v.setUint32(4, p.net[0], true);
  v.setUint32(8, p.net[3], true);
  v.setUint32(12, p.net[2], true);
  if (len === 128) return stored;
  const k = Math.min(8, Math.floor(len / 8));
  return k < 4 ? undefined : stored.slice(8 - k, 8);
}

function bitCount(x: number): number {
  let n = 0;
  for (let w = x >>> 0; w !== 0; w = (w & (w - 1)) >>> 0) n++;
  return n;
}

/**
 * The address lists a filter requires a flow to match one member of — `host`, `src`, `dst`, and the union of the
 * `anyOf` alternatives' own lists — each mapped by `map`; a list with a member `map` has no value for (undefined)
 * is left out. Every row the filter keeps matches a member of each list returned. Pure.
 */
export function requiredAddresses<T>(f: FlowFilter | undefined, map: (p: NumericPrefix) => T | undefined): T[][] {
  if (!f || isEmptyFilter(f)) return [];
  const lists: T[][] = [];
  for (const key of ['host', 'src', 'dst'] as const) {
    const list = f[key];
    if (!list?.length) continue;
    const ts = list.map((p) => map(numericPrefix(p)));
    if (ts.every((t): t is T => t !== undefined)) lists.push(ts);
  }
  if (f.anyOf?.length) {
    // Each alternative must require something, and then one of any of its lists (its shortest) will do.
    const alts = f.anyOf.map((g) => requiredAddresses(g, map).sort((a, b) => a.length - b.length)[0]);
    if (alts.every((a): a is T[] => a !== undefined)) lists.push(alts.flat());
  }
  return lists;
}

/**
 * Byte patterns one of which the stored record of every flow a filter keeps must contain — the common bytes of the
 * addresses it requires ({@link requiredAddresses}) — so a reader may skip the records (and blocks) that hold none
 * without decoding them; undefined when the filter requires no address, or too short or too many ones (see
 * {@link prefixNeedle}, {@link MAX_NEEDLES}). A hint only: the rows found are still matched in full. Pure.
 */
export function filterNeedles(f: FlowFilter | undefined): Uint8Array[] | undefined {
  // The list that is cheapest to search: fewest needles, then the longest shortest one.
  const score = (ns: Uint8Array[]) => ns.length * 100 - Math.min(...ns.map((n) => n.length));
  return requiredAddresses(f, prefixNeedle)
    .filter((ns) => ns.length <= MAX_NEEDLES)
    .sort((a, b) => score(a) - score(b))[0];
}

/** Compile a filter (validated first) into a row matcher. An empty filter matches everything. */
export function compileFilter(f: FlowFilter | undefined): RowMatcher {
  if (!f || isEmptyFilter(f)) return () => true;
  validateFilter(f);
  const tests: RowMatcher[] = [];
  if (f.host?.length) {
    const ps = f.host.map(numericPrefix);
    tests.push((b, i) => inPrefixes(ps, b, i, 'src') || inPrefixes(ps, b, i, 'dst'));
  }
  if (f.src?.length) {
    const ps = f.src.map(numericPrefix);
    tests.push((b, i) => inPrefixes(ps, b, i, 'src'));
  }
  if (f.dst?.length) {
    const ps = f.dst.map(numericPrefix);
    tests.push((b, i) => inPrefixes(ps, b, i, 'dst'));
  }
  if (f.proto?.length) {
    const t = setOf(f.proto);
    tests.push((b, i) => t(b.proto[i]));
  }
  if (f.port?.length) {
    const t = setOf(f.port);
    tests.push((b, i) => t(b.sport[i]) || t(b.dport[i]));
  }
  if (f.srcPort?.length) {
    const t = setOf(f.srcPort);
    tests.push((b, i) => t(b.sport[i]));
  }
  if (f.dstPort?.length) {
    const t = setOf(f.dstPort);
    tests.push((b, i) => t(b.dport[i]));
  }
  if (f.packets) {
    const t = rangeTest(f.packets);
    tests.push((b, i) => t(b.packets[i]));
  }
  if (f.bytes) {
    const t = rangeTest(f.bytes);
    tests.push((b, i) => t(b.bytes[i]));
  }
  if (f.anyOf && f.anyOf.length > 0) {
    const alts = f.anyOf.map(compileFilter);
    tests.push((b, i) => {
      for (const a of alts) if (a(b, i)) return true;
      return false;
    });
  }
  if (tests.length === 1) return tests[0];
  return (b, i) => {
    for (const t of tests) if (!t(b, i)) return false;
    return true;
  };
}
