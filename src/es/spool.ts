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

/** What an append had to drop to stay within the spool's byte limit (oldest first). */
export interface SpoolDrop {
  /** Documents dropped: whole oldest segments, then the oldest of the new items when they alone were too many. */
  documents: number;
  /** Bytes on disk after the append. */
  bytes: number;
}

/**
 * A spool directory. Thin adapter over fs; its only state is the files. With `maxBytes`, an append that would make it
 * larger drops the oldest segments first (an outage longer than the disk allows loses the oldest documents, counted,
 * never the newest).
 */
export class Spool {
  constructor(readonly dir: string, readonly maxBytes = Infinity) {}

  /** Bytes the segments take on disk. */
  bytes(): number {
    let n = 0;
    for (const s of this.segments()) n += fs.statSync(s, { throwIfNoEntry: false })?.size ?? 0;
    return n;
  }

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

  /**
   * Append items as a new segment after every existing one (order kept). Beyond `maxBytes`, the oldest segments are
   * removed first; what was dropped is returned (undefined when nothing was).
   */
  append(items: BulkItem[]): SpoolDrop | undefined {
    if (items.length === 0) return undefined;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const segments = this.segments();
    const last = segments.at(-1);
    const seq = last ? Number(SEGMENT.exec(path.basename(last))![1]) + 1 : 1;
    const file = path.join(this.dir, `segment-${String(seq).padStart(12, '0')}.ndjson`);
    let lines = items.map((i) => `${JSON.stringify(i)}\n`);
    let dropped = 0;
    let size = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
    if (Number.isFinite(this.maxBytes)) {
      // The new items alone too many: keep the newest that fit.
      while (size > this.maxBytes && lines.length > 0) {
        size -= Buffer.byteLength(lines[0]);
        lines = lines.slice(1);
        dropped++;
      }
      const sizes = segments.map((sg) => fs.statSync(sg, { throwIfNoEntry: false })?.size ?? 0);
      let total = sizes.reduce((a, b) => a + b, 0);
      for (let i = 0; i < segments.length && total + size > this.maxBytes; i++) {
        dropped += this.countLines(segments[i]);
        fs.rmSync(segments[i], { force: true });
        total -= sizes[i];
      }
      if (lines.length > 0) fs.writeFileSync(file, lines.join(''), { flag: 'ax', mode: 0o600 });
      return dropped > 0 ? { documents: dropped, bytes: total + size } : undefined;
    }
    fs.writeFileSync(file, lines.join(''), { flag: 'ax', mode: 0o600 });
    return undefined;
  }

  /** Complete lines (documents) in a segment, without parsing them. */
  private countLines(file: string): number {
    let n = 0;
    const buf = fs.readFileSync(file);
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
    return n;
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
