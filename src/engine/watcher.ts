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
