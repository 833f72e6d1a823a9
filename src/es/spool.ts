/**
 * The on-disk spool for documents Elasticsearch could not take: append-only NDJSON segment files
 * (`segment-<seq>.ndjson`, one BulkItem per line) under the data dir, consumed oldest first. A segment shrinks by
 * atomic rename as its head is accepted, and is removed when empty, so a crash mid-replay re-sends at most one bulk
 * request — harmless, because document ids are deterministic (ES overwrites, nothing is duplicated).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BulkItem } from './types.js';

const SEGMENT = /^segment-(\d{12})\.ndjson$/;

/** A spool directory. Thin adapter over fs; its only state is the files. */
export class Spool {
  constructor(readonly dir: string) {}

  /** Segment files, oldest first. */
  segments(): string[] {
    if (!fs.existsSync(this.dir)) return [];
    return fs
      .readdirSync(this.dir)
      .filter((n) => SEGMENT.test(n))
      .sort()
      .map((n) => path.join(this.dir, n));
  }

  /** True when nothing is waiting. */
  isEmpty(): boolean {
    return this.segments().length === 0;
  }

  /** Documents waiting, across all segments. */
  count(): number {
    let n = 0;
    for (const s of this.segments()) n += this.readSegment(s).length;
    return n;
  }

  /** Append items as a new segment after every existing one (order kept). */
  append(items: BulkItem[]): void {
    if (items.length === 0) return;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const last = this.segments().at(-1);
    const seq = last ? Number(SEGMENT.exec(path.basename(last))![1]) + 1 : 1;
    const file = path.join(this.dir, `segment-${String(seq).padStart(12, '0')}.ndjson`);
    const text = items.map((i) => JSON.stringify(i)).join('\n') + '\n';
    fs.writeFileSync(file, text, { flag: 'ax', mode: 0o600 });
  }

  /** The items of one segment (a torn last line from a crash is ignored). */
  readSegment(file: string): BulkItem[] {
    const out: BulkItem[] = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        out.push(JSON.parse(line) as BulkItem);
      } catch {
        // A partially written line (process killed mid-append): nothing acknowledged it, skip.
      }
    }
    return out;
  }

  /** Replace a segment with its remaining items (atomic rename), or remove it when none remain. */
  rewriteSegment(file: string, remaining: BulkItem[]): void {
    if (remaining.length === 0) {
      fs.rmSync(file, { force: true });
      return;
    }
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, remaining.map((i) => JSON.stringify(i)).join('\n') + '\n', { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
}
