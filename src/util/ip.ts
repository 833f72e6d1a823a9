/** IP address and prefix helpers. Pure; every address that leaves the process is validated here first. */
import net from 'node:net';

export interface Prefix {
  family: 4 | 6;
  /** Network address in canonical text form. */
  address: string;
  length: number;
}

/** Error for a malformed address or prefix. */
export class IpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpError';
  }
}

/** uint32 → dotted quad. */
export function v4ToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Dotted quad → uint32; NaN when malformed. */
export function v4ToNumber(s: string): number {
  if (net.isIPv4(s) === false) return NaN;
  const p = s.split('.');
  return ((+p[0] << 24) >>> 0) + (+p[1] << 16) + (+p[2] << 8) + +p[3];
}

/** Expand an IPv6 text address to 8 groups of 16 bits; undefined when not IPv6. */
export function v6ToGroups(s: string): number[] | undefined {
  // Zone ids (fe80::1%eth0) are local to a host: never valid in a flow match or a route.
  if (!net.isIPv6(s) || s.includes('%')) return undefined;
  let text = s;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = v4ToNumber(v4[1]);
    tail.push(n >>> 16, n & 0xffff);
    text = text.slice(0, -v4[1].length) + (text.endsWith('::' + v4[1]) ? '' : '0');
    if (text.endsWith(':0')) text = text.slice(0, -2);
  }
  const [head, rest] = text.split('::');
  const h = head ? head.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16)) : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16)) : [];
  const fill = 8 - h.length - r.length - tail.length;
  if (text.includes('::')) return [...h, ...new Array(Math.max(0, fill)).fill(0), ...r, ...tail];
  return [...h, ...tail];
}

/** Canonical (RFC 5952) IPv6 text from 8 groups. */
export function v6FromGroups(g: number[]): string {
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * The IPv4 address an IPv6 address carries, or undefined: IPv4-mapped `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2, what a
 * dual-stack socket shows for an IPv4 peer) and the deprecated IPv4-compatible `::a.b.c.d` (§2.5.5.1; only with a
 * non-zero first octet, so `::`, `::1` and other 0.x.y.z remain IPv6). Such an address names an IPv4 host: flows
 * carry it as IPv4, and GoBGP encodes a mapped address in an IPv6 FlowSpec rule as `<nil>/128` (its peer then
 * panics listing the RIB). So every parser here maps it to IPv4.
 */
export function embeddedV4(groups: readonly number[]): number | undefined {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return undefined;
  const v4 = ((groups[6] << 16) >>> 0) + groups[7];
  if (groups[5] === 0xffff) return v4;
  if (groups[5] === 0 && groups[6] >>> 8 !== 0) return v4;
  return undefined;
}

/**
 * Canonical text of an address, or undefined when it is not a valid IPv4/IPv6 address. An IPv6 address carrying an
 * IPv4 address (mapped or compatible: {@link embeddedV4}) comes back as that IPv4 address.
 */
export function canonicalIp(s: string): string | undefined {
  const t = s.trim();
  if (net.isIPv4(t)) return v4ToString(v4ToNumber(t));
  const g = v6ToGroups(t);
  if (!g) return undefined;
  const v4 = embeddedV4(g);
  return v4 === undefined ? v6FromGroups(g) : v4ToString(v4);
}

/**
 * Parse "a.b.c.d", "a.b.c.d/len", "v6" or "v6/len"; the host bits must be zero unless `loose`. An IPv6 address or
 * prefix (/96 or longer) that carries an IPv4 address ({@link embeddedV4}: `::ffff:1.2.3.4`, `::ffff:10.0.0.0/104`,
 * `::1.2.3.4`) is that IPv4 address or prefix (`1.2.3.4/32`, `10.0.0.0/8`); one shorter than /96 would mix both
 * families and is refused.
 */
export function parsePrefix(text: string, opts: { loose?: boolean } = {}): Prefix {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash < 0 ? t : t.slice(0, slash);
  const lenText = slash < 0 ? undefined : t.slice(slash + 1);
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) throw new IpError(`bad prefix length in "${text}"`);
  if (net.isIPv4(addr)) return v4Prefix(v4ToNumber(addr), lenText === undefined ? 32 : Number(lenText), text, opts);
  const g = v6ToGroups(addr);
  if (g) {
    const length = lenText === undefined ? 128 : Number(lenText);
    if (length > 128) throw new IpError(`IPv6 prefix length ${length} > 128 in "${text}"`);
    const v4 = embeddedV4(g);
    if (v4 !== undefined) {
      const kind = g[5] === 0xffff ? 'IPv4-mapped' : 'IPv4-compatible';
      if (length < 96) throw new IpError(`"${text}" is an ${kind} address with a prefix shorter than /96 (it would mix IPv4 and IPv6): write the IPv4 prefix`);
      return v4Prefix(v4, length - 96, text, opts);
    }
    const masked = g.map((x, i) => {
      const bits = Math.max(0, Math.min(16, length - i * 16));
      return bits === 0 ? 0 : x & ((0xffff << (16 - bits)) & 0xffff);
    });
    if (!opts.loose && masked.some((x, i) => x !== g[i])) throw new IpError(`"${text}" has host bits set`);
    return { family: 6, address: v6FromGroups(masked), length };
  }
  throw new IpError(`not an IP address or prefix: "${text}"`);
}

function v4Prefix(n: number, length: number, text: string, opts: { loose?: boolean }): Prefix {
  if (length > 32) throw new IpError(`IPv4 prefix length ${length} > 32 in "${text}"`);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  const netw = (n & mask) >>> 0;
  if (netw !== n && !opts.loose) throw new IpError(`"${text}" has host bits set (network is ${v4ToString(netw)}/${length})`);
  return { family: 4, address: v4ToString(netw), length };
}

/** "addr/len" text of a prefix. */
export function prefixToString(p: Prefix): string {
  return `${p.address}/${p.length}`;
}

/** True when the two prefixes share any address. */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const len = Math.min(a.length, b.length);
  return prefixContains({ ...a, length: len }, b.address) || prefixContains({ ...b, length: len }, a.address);
}

/** True when `ip` (text) lies inside `p`. */
export function prefixContains(p: Prefix, ip: string): boolean {
  if (p.family === 4) {
    if (!net.isIPv4(ip)) return false;
    const mask = p.length === 0 ? 0 : (0xffffffff << (32 - p.length)) >>> 0;
    return ((v4ToNumber(ip) & mask) >>> 0) === ((v4ToNumber(p.address) & mask) >>> 0);
  }
  const g = v6ToGroups(ip);
  const n = v6ToGroups(p.address);
  if (!g || !n) return false;
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, p.length - i * 16));
    if (bits === 0) break;
    const m = (0xffff << (16 - bits)) & 0xffff;
    if ((g[i] & m) !== (n[i] & m)) return false;
  }
  return true;
}

/** A set of prefixes answering "is this IP inside?" quickly (IPv4 via sorted ranges). */
export class PrefixSet {
  private readonly v4: { lo: number; hi: number; tag: string }[] = [];
  private readonly v6: { p: Prefix; tag: string }[] = [];
  constructor(entries: { prefix: string; tag?: string }[] = []) {
    for (const e of entries) this.add(e.prefix, e.tag ?? e.prefix);
  }
  add(prefix: string, tag: string = prefix): void {
    const p = parsePrefix(prefix, { loose: true });
    if (p.family === 4) {
      const lo = v4ToNumber(p.address);
      const size = 2 ** (32 - p.length);
      this.v4.push({ lo, hi: lo + size - 1, tag });
      // Longest prefix first among equals: sort by size ascending so the first hit is the most specific.
      this.v4.sort((a, b) => a.hi - a.lo - (b.hi - b.lo));
    } else {
      this.v6.push({ p, tag });
      this.v6.sort((a, b) => b.p.length - a.p.length);
    }
  }
  get size(): number {
    return this.v4.length + this.v6.length;
  }
  /** Tag of the most specific prefix containing an IPv4 uint32, or undefined. */
  matchV4(n: number): string | undefined {
    for (const r of this.v4) if (n >= r.lo && n <= r.hi) return r.tag;
    return undefined;
  }
  /** Tag of the most specific prefix containing `ip` (text), or undefined. */
  match(ip: string): string | undefined {
    if (net.isIPv4(ip)) return this.matchV4(v4ToNumber(ip));
    for (const e of this.v6) if (prefixContains(e.p, ip)) return e.tag;
    return undefined;
  }
  has(ip: string): boolean {
    return this.match(ip) !== undefined;
  }
}

/** Numeric order for IPv4 text, text order otherwise. */
export function compareIp(a: string, b: string): number {
  const pa = a.split('.'), pb = b.split('.');
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) if (+pa[i] !== +pb[i]) return +pa[i] - +pb[i];
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** IPv6 text → four 32-bit words, most significant first; undefined when not IPv6. */
export function v6ToWords(s: string): [number, number, number, number] | undefined {
  const g = v6ToGroups(s);
  if (!g) return undefined;
  return [((g[0] << 16) | g[1]) >>> 0, ((g[2] << 16) | g[3]) >>> 0, ((g[4] << 16) | g[5]) >>> 0, ((g[6] << 16) | g[7]) >>> 0];
}

/** Canonical IPv6 text of the four words at `words[o..o+3]` (most significant first). */
export function v6FromWords(words: ArrayLike<number>, o = 0): string {
  const w0 = words[o], w1 = words[o + 1], w2 = words[o + 2], w3 = words[o + 3];
  return v6FromGroups([w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff]);
}
