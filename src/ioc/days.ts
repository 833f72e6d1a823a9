/**
 * Days of the IoC job (pure): a day is a local calendar day (the process's time zone, as the seeds' daily cron),
 * written YYYY-MM-DD. Time is a parameter: nothing here reads the clock. And the daily plan: given `now` and what
 * the store says was done, what is due — the fetch of a day's lists at `fetchAt`, the job of a day once it has
 * ended (plus `runAfterMinutes`) and its list is there. A missed fetch is caught up for the day before.
 */
import { addDays } from './family.js';

export { addDays };

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Is this a YYYY-MM-DD that exists? */
export function isDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const d = new Date(+m[1], +m[2] - 1, +m[3]);
  return d.getFullYear() === +m[1] && d.getMonth() === +m[2] - 1 && d.getDate() === +m[3];
}

/** The local day containing `ms`. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** [start, end) of a local day, epoch ms (23 or 25 hours on a DST change). */
export function dayRange(day: string): { from: number; to: number } {
  const m = DAY.exec(day);
  if (!m) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
  return { from: new Date(+m[1], +m[2] - 1, +m[3]).getTime(), to: new Date(+m[1], +m[2] - 1, +m[3] + 1).getTime() };
}

/** Epoch ms of HH:MM local on `day`. */
export function timeOnDay(day: string, hhmm: string): number {
  const [h, mi] = hhmm.split(':').map(Number);
  const m = DAY.exec(day)!;
  return new Date(+m[1], +m[2] - 1, +m[3], h, mi).getTime();
}

/** What the store knows about a day. */
export interface DayState {
  listFetched: boolean;
  jobDone: boolean;
  /** The job failed at this time (it is retried an hour later). */
  jobFailedAt?: number;
}

/** What is due now. */
export type PlanStep = { kind: 'fetch'; day: string } | { kind: 'run'; day: string };

/** The steps due at `now`, oldest day first. Pure. */
export function dailyPlan(now: number, cfg: { fetchAt: string; runAfterMinutes: number }, state: (day: string) => DayState): PlanStep[] {
  const today = localDay(now);
  const yesterday = addDays(today, -1);
  const steps: PlanStep[] = [];
  for (const day of [yesterday, today]) {
    const s = state(day);
    // Yesterday's fetch is overdue whenever it is missing; today's is due from fetchAt.
    if (!s.listFetched && (day === yesterday || now >= timeOnDay(day, cfg.fetchAt))) steps.push({ kind: 'fetch', day });
    const ended = dayRange(day).to + cfg.runAfterMinutes * 60_000;
    const retryOk = s.jobFailedAt === undefined || now - s.jobFailedAt >= 3_600_000;
    if (!s.jobDone && now >= ended && retryOk) steps.push({ kind: 'run', day });
  }
  return steps;
}
