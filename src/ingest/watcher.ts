/**
 * Finding completed nfcapd files in a directory, in nfcapd's flat or sub-directory layouts (`-S`). A completed file
 * is named `nfcapd.YYYYMMDDhhmm` (or with seconds when the interval is under a minute); `nfcapd.current.*` is the open
 * file and is never read. The name's time is the interval start (nfcapd uses its own local time: run it with TZ=UTC).
 */
import fs from 'node:fs';
import path from 'node:path';

const NAME = /^nfcapd\.(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/;

/** Interval start (epoch ms, UTC) from a completed file name, or undefined for other names. Pure. */
export function parseNfcapdName(name: string): number | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0);
  return Number.isFinite(t) ? t : undefined;
}

/** A completed file. */
export interface NfcapdFile {
  path: string;
  /** Interval start, epoch ms. */
  time: number;
}

/**
 * A cached lister for a directory polled every few seconds: a sub-directory whose mtime has not changed since it was
 * last read is not read again (nfcapd's rename of `.current` changes the mtime). A directory modified within the
 * last `settleMs` is always re-read, because kernel mtimes are coarse and a change in the same tick would be missed.
 */
export class CompletedFileScanner {
  private readonly cache = new Map<string, { mtimeNs: bigint; files: NfcapdFile[]; dirs: string[] }>();
  /** Directories read (not served from cache) by the last `list`; for tests and counters. */
  reads = 0;

  constructor(readonly dir: string, private readonly settleMs = 2000) {}

  /** Completed files under the directory (any depth), oldest first; ties by path. */
  list(): NfcapdFile[] {
    this.reads = 0;
    const out: NfcapdFile[] = [];
    const seen = new Set<string>();
    const walk = (d: string, depth: number) => {
      seen.add(d);
      let st: fs.BigIntStats;
      try {
        st = fs.statSync(d, { bigint: true });
      } catch {
        return; // removed while we walk (nfexpire)
      }
      let c = this.cache.get(d);
      if (!c || c.mtimeNs !== st.mtimeNs) {
        this.reads++;
        const read = readDir(d);
        if (!read) return;
        c = { mtimeNs: st.mtimeNs, ...read };
        const fresh = Date.now() - Number(st.mtimeNs / 1_000_000n) < this.settleMs;
        if (fresh) this.cache.delete(d);
        else this.cache.set(d, c);
      }
      out.push(...c.files);
      if (depth < 6) for (const sub of c.dirs) walk(sub, depth + 1);
    };
    walk(this.dir, 0);
    for (const k of this.cache.keys()) if (!seen.has(k)) this.cache.delete(k);
    return out.sort((a, b) => a.time - b.time || a.path.localeCompare(b.path));
  }
}

function readDir(d: string): { files: NfcapdFile[]; dirs: string[] } | undefined {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(d, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const files: NfcapdFile[] = [];
  const dirs: string[] = [];
  for (const e of entries) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) dirs.push(p);
    else if (e.isFile()) {
      const time = parseNfcapdName(e.name);
      if (time !== undefined) files.push({ path: p, time });
    }
  }
  return { files, dirs };
}

/** Completed files under `dir` (any depth), oldest first; ties by path. */
export function listCompleted(dir: string): NfcapdFile[] {
  const out: NfcapdFile[] = [];
  const walk = (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // a directory removed while we walk (nfexpire) is not an error
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 6) walk(p, depth + 1);
      else if (e.isFile()) {
        const time = parseNfcapdName(e.name);
        if (time !== undefined) out.push({ path: p, time });
      }
    }
  };
  walk(dir, 0);
  return out.sort((a, b) => a.time - b.time || a.path.localeCompare(b.path));
}

/** Completed nfcapd files under a directory (any sub-directory layout), oldest first; never `nfcapd.current.*`. */
export function listNfcapdFiles(dir: string): string[] {
  return listCompleted(dir).map((f) => f.path);
}

/** nfcapd's name for a file whose interval starts at `ms` (`nfcapd.YYYYMMDDhhmm`, UTC: nfcapd runs with TZ=UTC). */
export function nfcapdName(ms: number): string {
  const t = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `nfcapd.${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}`;
}
