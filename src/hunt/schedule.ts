/**
 * When the daily hunt is due (pure): the previous UTC day is hunted once `at` (minutes after midnight UTC) has passed;
 * a day whose run never finished (still `running` after a crash, or interrupted) is due again at once, a failed one
 * after `retryMs`; after an outage the newest `catchUpDays` missed days are hunted too, oldest first.
 */
import type { HuntRun } from './records.js';
import { dayText } from './report.js';

const DAY = 86_400_000;

/** The newest day whose hunt is due at `now` (its next midnight + `atMinutes` has passed), epoch ms of its midnight. */
export function latestDueDay(now: number, atMinutes: number): number {
  return Math.floor((now - atMinutes * 60_000) / DAY) * DAY - DAY;
}

/** When the hunt of `dayMs` becomes due. */
export function dueAt(dayMs: number, atMinutes: number): number {
  return dayMs + DAY + atMinutes * 60_000;
}

/** Days (epoch ms, oldest first) to hunt now. `runOf(day)` reads the record of a day; `lastDay` is the newest recorded day. */
export function dueDays(now: number, opts: { atMinutes: number; catchUpDays: number; retryMs: number; runOf: (day: string) => HuntRun | undefined; lastDay?: string }): number[] {
  const latest = latestDueDay(now, opts.atMinutes);
  const out: number[] = [];
  // Without any record, only the newest day: the engine does not dig into a past it never promised to hunt.
  const first = opts.lastDay === undefined ? latest : latest - Math.max(0, opts.catchUpDays) * DAY;
  for (let d = first; d <= latest; d += DAY) {
    const day = dayText(d);
    if (opts.lastDay !== undefined && day < opts.lastDay) continue;
    const run = opts.runOf(day);
    if (!run) out.push(d);
    else if (run.status === 'running') out.push(d);
    else if (run.status === 'failed' && (run.finishedAt === null || now - run.finishedAt >= opts.retryMs)) out.push(d);
  }
  return out;
}
