import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { compact, createProgress, progressText } from '../../src/cli/progress.js';

const step = { label: 'hunt', done: 3, total: 24, item: 'nfcapd.202611220300', flows: 6_000_000, elapsedMs: 12_000 };

describe('progress display', () => {
  it('plain text: files read, flows and flows/s', () => {
    expect(progressText(step, { bar: false })).toBe('hunt: 3/24 files  6.0 M flows  500 k flows/s  nfcapd.202611220300');
    expect([compact(999), compact(12_345), compact(2_500_000), compact(3e9)]).toEqual(['999', '12 k', '2.5 M', '3.0 G']);
  });

  it('on a terminal: a bar proportional to files done, within the width', () => {
    const t = progressText(step, { bar: true, width: 80 });
    expect(t.length).toBeLessThanOrEqual(79);
    const bar = /\[(#*)(-*)\]/.exec(t)!;
    expect(bar[1].length / (bar[1].length + bar[2].length)).toBeCloseTo(3 / 24, 1);
    expect(progressText({ ...step, done: 24 }, { bar: true, width: 80 })).toMatch(/\[#+\]/);
  });

  it('redraws in place on a TTY and ends the line; writes one line per step otherwise', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    const saved = process.env.CI;
    delete process.env.CI;
    const p = createProgress(tty);
    p.update(step);
    p.update({ ...step, done: 4 });
    p.end();
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
    const out = String(tty.read());
    expect(out.startsWith('\r')).toBe(true);
    expect(out.split('\r')).toHaveLength(3);
    expect(out.endsWith('\n')).toBe(true);
    const pipe = new PassThrough();
    const q = createProgress(pipe);
    q.update(step);
    q.update({ ...step, done: 4 });
    q.end();
    expect(String(pipe.read()).split('\n')).toEqual([progressText(step, { bar: false }), progressText({ ...step, done: 4 }, { bar: false }), '']);
  });
});
