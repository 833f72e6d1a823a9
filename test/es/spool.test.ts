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

  it('bounded: an append beyond maxBytes drops the oldest segments first and says how many documents went', () => {
    const line = Buffer.byteLength(`${JSON.stringify(item(101))}\n`);
    const s = new Spool(mk(), line * 5);
    expect(s.append([item(101), item(102)])).toBeUndefined();
    expect(s.append([item(103), item(104)])).toBeUndefined();
    expect(s.bytes()).toBe(line * 4);
    // Two more: the oldest segment (two documents) goes.
    expect(s.append([item(105), item(106)])).toEqual({ documents: 2, bytes: line * 4 });
    expect(s.segments().flatMap((f) => s.readSegment(f)).map((i) => i.id)).toEqual(['id103', 'id104', 'id105', 'id106']);
    // More new items than the whole spool holds: only the newest that fit are kept.
    expect(s.append([item(107), item(108), item(109), item(110), item(111), item(112), item(113)])).toEqual({ documents: 4 + 2, bytes: line * 5 });
    expect(s.segments().flatMap((f) => s.readSegment(f)).map((i) => i.id)).toEqual(['id109', 'id110', 'id111', 'id112', 'id113']);
    expect(s.bytes()).toBeLessThanOrEqual(line * 5);
  });
});
