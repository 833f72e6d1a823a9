import { describe, expect, it } from 'vitest';
import { dueAt, dueDays, latestDueDay } from '../../src/hunt/schedule.js';
import type { HuntRun } from '../../src/hunt/records.js';

const D = (d: number, h = 0, m = 0) => Date.UTC(2026, 10, d, h, m);
const run = (day: string, status: HuntRun['status'], finishedAt: number | null = null): HuntRun => ({ day, status, trigger: 'schedule', source: 'files', startedAt: 0, finishedAt, files: 0, flows: 0, signatures: 0, members: 0, error: null });
const days = (ms: number[]) => ms.map((x) => new Date(x).toISOString().slice(0, 10));

describe('when the daily hunt is due', () => {
  it('the previous day becomes due at hunt.at after midnight UTC', () => {
    expect(days([latestDueDay(D(23, 0, 29), 30)])).toEqual(['2026-11-21']);
    expect(days([latestDueDay(D(23, 0, 30), 30)])).toEqual(['2026-11-22']);
    expect(dueAt(D(22), 30)).toBe(D(23, 0, 30));
  });

  it('a done day is not due again; a running (crashed) or interrupted one is due at once; a failed one after the retry delay', () => {
    const base = { atMinutes: 30, catchUpDays: 2, retryMs: 3_600_000 };
    const now = D(23, 1);
    const with_ = (r?: HuntRun) => days(dueDays(now, { ...base, runOf: (d) => (r && d === r.day ? r : d < '2026-11-22' ? run(d, 'done') : undefined), lastDay: r?.day ?? '2026-11-21' }));
    expect(with_()).toEqual(['2026-11-22']);
    expect(with_(run('2026-11-22', 'done'))).toEqual([]);
    expect(with_(run('2026-11-22', 'running'))).toEqual(['2026-11-22']);
    expect(with_(run('2026-11-22', 'failed', null))).toEqual(['2026-11-22']);
    expect(with_(run('2026-11-22', 'failed', now - 60_000))).toEqual([]);
    expect(with_(run('2026-11-22', 'failed', now - 3_600_000))).toEqual(['2026-11-22']);
  });

  it('after an outage the missed days are caught up oldest first, at most catchUpDays back; a first start hunts only the newest', () => {
    const runOf = (d: string) => (d === '2026-11-18' ? run(d, 'done') : undefined);
    expect(days(dueDays(D(23, 2), { atMinutes: 30, catchUpDays: 2, retryMs: 1, runOf, lastDay: '2026-11-18' }))).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    expect(days(dueDays(D(23, 2), { atMinutes: 30, catchUpDays: 10, retryMs: 1, runOf, lastDay: '2026-11-18' }))).toEqual(['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
    expect(days(dueDays(D(23, 2), { atMinutes: 30, catchUpDays: 2, retryMs: 1, runOf: () => undefined }))).toEqual(['2026-11-22']);
  });
});
