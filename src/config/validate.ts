/**
 * Small pure validators for configuration values: each returns the reason a value is wrong, or undefined when it is
 * fine. Section checkers (`check<Area>Config`) build their "path: reason" lines from them, so every section words the
 * same mistake the same way.
 */
import { canonicalIp, IpError, parsePrefix } from '../util/ip.js';
import { normalizeMac } from '../util/mac.js';

/** A reason, or undefined when the value is acceptable. */
export type Reason = string | undefined;

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/** An IPv4 or IPv6 address (an IPv4-mapped one counts as IPv4). */
export function addressReason(v: unknown): Reason {
  if (typeof v !== 'string') return `${show(v)} is not an IP address`;
  return canonicalIp(v) === undefined ? `${show(v)} is not an IP address` : undefined;
}

/** An IPv4 address in dotted-quad form (a BGP router id). */
export function ipv4Reason(v: unknown): Reason {
  const c = typeof v === 'string' ? canonicalIp(v) : undefined;
  return c !== undefined && !c.includes(':') ? undefined : `${show(v)} is not an IPv4 address`;
}

/** An address or a prefix with its host bits zero ("10.0.0.0/8", "192.0.2.7", "2001:db8::/32"). */
export function prefixReason(v: unknown): Reason {
  if (typeof v !== 'string') return `${show(v)} is not an IP prefix`;
  try {
    parsePrefix(v);
    return undefined;
  } catch (err) {
    return err instanceof IpError ? err.message : String(err);
  }
}

/** A TCP/UDP port, 1..65535. */
export function portReason(v: unknown): Reason {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535 ? undefined : `${show(v)} is not a port (1-65535)`;
}

/** A BGP AS number, 1..4294967295 (4-octet AS). */
export function asReason(v: unknown): Reason {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4294967295 ? undefined : `${show(v)} is not an AS number (1-4294967295)`;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** An IP address or a DNS host name. */
export function hostReason(v: unknown): Reason {
  if (typeof v === 'string' && (canonicalIp(v) !== undefined || HOSTNAME.test(v))) return undefined;
  return `${show(v)} is neither an IP address nor a host name`;
}

/** An absolute URL with one of `schemes` (default http, https) and a host. */
export function urlReason(v: unknown, schemes: string[] = ['http', 'https']): Reason {
  if (typeof v !== 'string') return `${show(v)} is not a URL`;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `${show(v)} is not a URL`;
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (!schemes.includes(scheme)) return `${show(v)}: the scheme must be ${schemes.join(' or ')}`;
  if (!u.hostname) return `${show(v)} has no host`;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (hostReason(host) !== undefined) return `${show(v)}: bad host ${show(host)}`;
  return undefined;
}

// The addr-spec of RFC 5322 reduced to what mail servers accept in practice: dot-atom local part, a DNS domain.
const MAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$/;

/** A mail address (local@domain.tld), at most 254 characters, no display name. */
export function mailReason(v: unknown): Reason {
  return typeof v === 'string' && v.length <= 254 && MAIL.test(v) ? undefined : `${show(v)} is not a mail address`;
}

/** A MAC address in any common spelling (aa:bb:cc:dd:ee:ff, aabb.ccdd.eeff, aa-bb-…). */
export function macReason(v: unknown): Reason {
  return typeof v === 'string' && normalizeMac(v) !== undefined ? undefined : `${show(v)} is not a MAC address`;
}

/**
 * A TCP-MD5 key (RFC 2385) for a BGP session: 1..80 bytes (Linux TCP_MD5SIG_MAXKEYLEN) of printable ASCII, so that it
 * can be typed on the router too.
 */
export function tcpMd5KeyReason(v: unknown): Reason {
  if (typeof v !== 'string' || v.length === 0) return 'must be a non-empty string';
  if (!/^[\x20-\x7e]+$/.test(v)) return 'must be printable ASCII (no control characters)';
  if (v.length > 80) return `is ${v.length} characters long; TCP-MD5 keys are at most 80`;
  return undefined;
}

/** A finite number ≥ `min`. */
export function numberReason(v: unknown, min = 0): Reason {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? undefined : `${show(v)} is not a number ≥ ${min}`;
}

/** The known names closest to `name` (edit distance ≤ 2), for "did you mean". */
export function closest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Collects "path: reason" lines. */
export class Problems {
  readonly list: string[] = [];
  /** Record `reason` for `path` when there is one. */
  add(path: string, reason: Reason): void {
    if (reason !== undefined) this.list.push(`${path}: ${reason}`);
  }
  /** Check every member of an array value (`path[i]`); a non-array is one problem. */
  each(path: string, value: unknown, check: (v: unknown) => Reason): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) return this.add(path, `${show(value)} is not a list`);
    value.forEach((v, i) => this.add(`${path}[${i}]`, check(v)));
  }
}
