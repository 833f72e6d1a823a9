/** The known_hosts file: read it (none = no entries) and append a key trusted on first use (mode 0600). Shell. */
import fs from 'node:fs';
import path from 'node:path';
import { formatKnownHost, parseKnownHosts, type KnownHostEntry } from './known-hosts.js';

/** Read a known_hosts file ([] when it does not exist). */
export function loadKnownHosts(file: string): KnownHostEntry[] {
  try {
    return parseKnownHosts(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read known hosts file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Append a host key (trust on first use), creating the file with mode 0600. */
export function appendKnownHost(file: string, host: string, port: number, blob: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const prefix = fs.existsSync(file) && !fs.readFileSync(file, 'utf8').endsWith('\n') && fs.statSync(file).size > 0 ? '\n' : '';
  fs.appendFileSync(file, `${prefix}${formatKnownHost(host, port, blob)}\n`, { mode: 0o600 });
}
