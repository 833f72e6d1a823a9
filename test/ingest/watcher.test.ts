import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompletedFileScanner, listCompleted, parseNfcapdName } from '../../src/ingest/watcher.js';
import { startNfcapd } from '../helpers/nfcapd.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-watch-'));
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The sub-directory nfcapd's `-S n` puts a file starting at `ms` in (nfcapd(1) table), computed independently in UTC. */
function layoutDir(ms: number, n: number): string {
  const d = new Date(ms);
  const Y = String(d.getUTCFullYear());
  const m = pad(d.getUTCMonth() + 1);
  const day = pad(d.getUTCDate());
  const H = pad(d.getUTCHours());
  const jan1 = Date.UTC(d.getUTCFullYear(), 0, 1);
  const yday = Math.floor((ms - jan1) / 86_400_000); // 0-based
  const wday = d.getUTCDay(); // 0 = Sunday
  const W = pad(Math.floor((yday + 7 - ((wday + 6) % 7)) / 7)); // %W: weeks starting Monday
  const u = String(wday === 0 ? 7 : wday);
  const j = pad(yday + 1, 3);
  return [
    '',
    `${Y}/${m}/${day}`,
    `${Y}/${m}/${day}/${H}`,
    `${Y}/${W}/${u}`,
    `${Y}/${W}/${u}/${H}`,
    `${Y}/${j}`,
    `${Y}/${j}/${H}`,
    `${Y}-${m}-${day}`,
    `${Y}-${m}-${day}/${H}`,
  ][n];
}

describe('completed nfcapd file names', () => {
  it.each([
    ['nfcapd.202611221405', Date.UTC(2026, 10, 22, 14, 5)],
    ['nfcapd.20261122140530', Date.UTC(2026, 10, 22, 14, 5, 30)],
    ['nfcapd.current.4242', undefined],
    ['nfcapd.current', undefined],
    ['nfcapd.202611221405.truth.json', undefined],
    ['nfcapd.2026112214', undefined],
    ['xnfcapd.202611221405', undefined],
  ])('%s', (name, t) => expect(parseNfcapdName(name)).toBe(t));

  it('the week/day-of-year layouts agree with known dates', () => {
    // 2026-11-23 is a Monday in week 47; 2026-01-01 is a Thursday in week 00, day 001.
    expect(layoutDir(Date.UTC(2026, 10, 23, 0, 33), 4)).toBe('2026/47/1/00');
    expect(layoutDir(Date.UTC(2026, 0, 1, 9), 6)).toBe('2026/001/09');
    expect(layoutDir(Date.UTC(2026, 0, 1, 9), 3)).toBe('2026/00/4');
  });
});

describe('listCompleted', () => {
  it('finds completed files in flat and nested layouts, oldest first, never the open file', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, '2026/11/22/14'), { recursive: true });
    for (const p of ['2026/11/22/14/nfcapd.202611221410', 'nfcapd.202611221400', '2026/11/22/nfcapd.202611221405', 'nfcapd.current.77', '2026/11/22/14/nfcapd.current.78']) fs.writeFileSync(path.join(dir, p), '');
    expect(listCompleted(dir).map((f) => path.relative(dir, f.path))).toEqual(['nfcapd.202611221400', '2026/11/22/nfcapd.202611221405', '2026/11/22/14/nfcapd.202611221410']);
  });

  it('orders by the time in the name, not by directory or listing order', () => {
    const dir = tmp();
    // Layout 3 (%Y/%W/%u): week 47 sorts before week 5 as text but comes later in time.
    const files = ['2026/47/1/nfcapd.202611230000', '2026/05/1/nfcapd.202602020000', '2026/05/1/nfcapd.20260202000030'];
    for (const f of files) {
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), '');
    }
    expect(listCompleted(dir).map((f) => path.basename(f.path))).toEqual(['nfcapd.202602020000', 'nfcapd.20260202000030', 'nfcapd.202611230000']);
  });

  it('an absent directory lists nothing', () => {
    expect(listCompleted(path.join(tmp(), 'missing'))).toEqual([]);
  });

  // Every -S layout nfcapd 1.7.1 knows, made by the real nfcapd: SIGTERM closes and names the open file.
  it('finds the files real nfcapd writes in each -S layout', async () => {
    const layouts = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const dirs = layouts.map(() => tmp());
    const collectors = await Promise.all(layouts.map((n, i) => startNfcapd({ dir: dirs[i], interval: 2, subdirLayout: n })));
    await Promise.all(collectors.map((c) => c.stop()));
    for (const [i, n] of layouts.entries()) {
      const found = listCompleted(dirs[i]);
      expect(found.length, `layout ${n}`).toBeGreaterThanOrEqual(1);
      for (const f of found) {
        const rel = path.relative(dirs[i], path.dirname(f.path));
        expect(rel, `layout ${n}`).toBe(layoutDir(f.time, n));
        expect(path.basename(f.path)).not.toMatch(/current/);
      }
    }
  }, 30_000);
});

describe('CompletedFileScanner', () => {
  const old = new Date(Date.UTC(2020, 0, 1));
  const age = (dir: string, rels: string[]) => rels.forEach((r) => fs.utimesSync(path.join(dir, r), old, old));

  it('re-reads only directories whose mtime changed, and always the freshly modified ones', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, '2026/11/22'), { recursive: true });
    fs.writeFileSync(path.join(dir, '2026/11/22/nfcapd.202611221400'), '');
    fs.writeFileSync(path.join(dir, '2026/11/22/nfcapd.current.5'), '');
    const settled = ['', '2026', '2026/11', '2026/11/22'];
    age(dir, settled);
    const scanner = new CompletedFileScanner(dir);
    const names = () => scanner.list().map((f) => path.relative(dir, f.path));
    expect(names()).toEqual(['2026/11/22/nfcapd.202611221400']);
    expect(scanner.reads).toBe(4);
    expect(names()).toEqual(['2026/11/22/nfcapd.202611221400']);
    expect(scanner.reads).toBe(0);
    // nfcapd closes a file: the day directory's mtime changes, only it is read again (and, being fresh, not cached).
    fs.renameSync(path.join(dir, '2026/11/22/nfcapd.current.5'), path.join(dir, '2026/11/22/nfcapd.202611221405'));
    expect(names()).toEqual(['2026/11/22/nfcapd.202611221400', '2026/11/22/nfcapd.202611221405']);
    expect(scanner.reads).toBe(1);
    scanner.list();
    expect(scanner.reads).toBe(1);
    // A new day directory appears under a settled month: the month is read again and the new day found.
    fs.mkdirSync(path.join(dir, '2026/11/23'));
    fs.writeFileSync(path.join(dir, '2026/11/23/nfcapd.202611230000'), '');
    expect(names().at(-1)).toBe('2026/11/23/nfcapd.202611230000');
    // nfexpire removes a whole year: nothing listed, no error.
    fs.rmSync(path.join(dir, '2026'), { recursive: true });
    expect(names()).toEqual([]);
  });

  it('agrees with listCompleted on the same tree', () => {
    const dir = tmp();
    for (const f of ['nfcapd.202611221400', '2026/01/nfcapd.202601010000', '2026/01/x/nfcapd.20260101000010', 'nfcapd.current.1', 'readme']) {
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), '');
    }
    expect(new CompletedFileScanner(dir).list()).toEqual(listCompleted(dir));
    expect(listCompleted(dir)).toHaveLength(3);
  });
});
