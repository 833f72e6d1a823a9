/**
 * OpenSSH known_hosts: parsing, matching (plain, `[host]:port`, globs, negation, hashed `|1|salt|hash`) and the
 * verdict for a presented key. Pure; the file itself is read and appended in known-hosts-file.ts.
 */
import crypto from 'node:crypto';

/** One known_hosts line. */
export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  /** Plain patterns (comma list split), or empty when hashed. */
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  keyB64: string;
}

/** The verdict for a presented host key. */
export type HostKeyVerdict = 'match' | 'unknown' | 'changed' | 'revoked';

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise. */
export function hostPatternFor(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** Parse known_hosts text; comments, blank and malformed lines are ignored. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (f[0] === '@revoked' || f[0] === '@cert-authority') marker = f.shift() as KnownHostEntry['marker'];
    if (f.length < 3 || !/^[A-Za-z0-9+/=]+$/.test(f[2])) continue;
    const [hosts, keyType, keyB64] = f;
    const h = /^\|1\|([^|]+)\|([^|]+)$/.exec(hosts);
    if (h) out.push({ ...(marker ? { marker } : {}), patterns: [], hashed: { salt: Buffer.from(h[1], 'base64'), hash: Buffer.from(h[2], 'base64') }, keyType, keyB64 });
    else out.push({ ...(marker ? { marker } : {}), patterns: hosts.toLowerCase().split(','), keyType, keyB64 });
  }
  return out;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\[/g, '\\[').replace(/\]/g, '\\]').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

/** True when the entry names `hostPattern` (as made by hostPatternFor). */
export function entryMatches(e: KnownHostEntry, hostPattern: string): boolean {
  if (e.hashed) {
    const mac = crypto.createHmac('sha1', e.hashed.salt).update(hostPattern).digest();
    return mac.length === e.hashed.hash.length && crypto.timingSafeEqual(mac, e.hashed.hash);
  }
  let hit = false;
  for (const p of e.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), hostPattern)) return false;
    } else if (globMatch(p, hostPattern)) hit = true;
  }
  return hit;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/**
 * The verdict for `blob` presented by host:port. Any recorded key for the host that differs from the presented
 * one (of the same or another type) means `changed`: only an exact match is trusted.
 */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = hostPatternFor(host, port);
  const b64 = blob.toString('base64');
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e, name));
  if (mine.some((e) => e.marker === '@revoked' && e.keyB64 === b64)) return 'revoked';
  if (entries.some((e) => e.marker === '@revoked' && e.keyB64 === b64)) return 'revoked';
  const plain = mine.filter((e) => !e.marker);
  if (plain.some((e) => e.keyB64 === b64)) return 'match';
  return plain.length > 0 ? 'changed' : 'unknown';
}

/** One known_hosts line for a host key. */
export function formatKnownHost(host: string, port: number, blob: Buffer): string {
  return `${hostPatternFor(host, port)} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}`;
}
