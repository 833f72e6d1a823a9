import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../../src/es/spool.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const mk = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-spool-'));
  dirs.push(d);
  return path.join(d, 'spool');
};
const item = (n: number) => ({ index: 'nocflow-audit-2026.11.22', id: `id${n}`, body: { n } });

describe('Spool', () => {
  it('appends segments in order, private files, and counts across them', () => {
    const s = new Spool(mk());
    expect(s.isEmpty()).toBe(true);
    s.append([item(1), item(2)]);
    s.append([]);
    s.append([item(3)]);
    expect(s.segments().map((f) => path.basename(f))).toEqual(['segment-000000000001.ndjson', 'segment-000000000002.ndjson']);
    expect(s.count()).toBe(3);
    expect(fs.statSync(s.segments()[0]).mode & 0o777).toBe(0o600);
    expect(fs.statSync(s.dir).mode & 0o777).toBe(0o700);
  });

  it('ignores a torn last line (killed mid-append) and shrinks a segment atomically', () => {
    const s = new Spool(mk());
    s.append([item(1), item(2), item(3)]);
    const seg = s.segments()[0];
    fs.appendFileSync(seg, '{"index":"nocflow-audit-2026.11.22","id":"id4","bo');
    expect(s.readSegment(seg).map((i) => i.id)).toEqual(['id1', 'id2', 'id3']);
    s.rewriteSegment(seg, [item(3)]);
    expect(s.readSegment(seg).map((i) => i.id)).toEqual(['id3']);
    expect(fs.readdirSync(s.dir)).toEqual(['segment-000000000001.ndjson']);
    s.rewriteSegment(seg, []);
    expect(s.isEmpty()).toBe(true);
    // numbering continues after the newest existing segment, never reusing a live name
    s.append([item(5)]);
    s.append([item(6)]);
    s.rewriteSegment(s.segments()[0], []);
    s.append([item(7)]);
    expect(s.segments().map((f) => path.basename(f))).toEqual(['segment-000000000002.ndjson', 'segment-000000000003.ndjson']);
  });
});
