import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IOC_DAY } from '../../src/gen/index.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { resolveThresholds } from '../../src/ioc/classify.js';
import { addDays } from '../../src/ioc/days.js';
import { runIocDay, type InfectedHost, type IocRunResult } from '../../src/ioc/job.js';
import { parseIocList } from '../../src/ioc/list.js';
import { buildReport } from '../../src/ioc/report.js';
import { filesStage1 } from '../../src/ioc/stage1.js';
import { IocStore } from '../../src/ioc/store.js';
import { openDb } from '../../src/store/db.js';
import { PrefixSet } from '../../src/util/ip.js';
import { iocDayFixture } from '../helpers/ioc-day.js';

const FIRST = '2026-11-01';
const DAYS = 5;
const SWITCH = 3;
const t = resolveThresholds();

const db = openDb(':memory:');
const store = new IocStore(db);
const alerts: InfectedHost[] = [];
const results: IocRunResult[] = [];
let clock = 0;

beforeAll(async () => {
  const source = createNfdumpSource();
  for (let k = 0; k < DAYS; k++) {
    const day = addDays(FIRST, k);
    const fx = await iocDayFixture(day, { dayIndex: k, files: 1, noMass: true, familySwitchDay: SWITCH, background: 100 });
    clock = Date.parse(`${day}T23:30:00Z`);
    results.push(
      await runIocDay(day, parseIocList(fs.readFileSync(fx.listFile, 'utf8')), {
        store, reader: filesStage1(source), files: fx.files, thresholds: t, sampleSize: 10_000, lookbackDays: 30, keepMassSamples: false, retentionDays: 0,
        now: () => clock, inside: new PrefixSet(IOC_DAY.insidePrefixes.map((prefix) => ({ prefix }))), onNewInfected: (h) => alerts.push(h),
      }),
    );
  }
}, 300_000);

describe('the IoC job over several generated days', () => {
  it('ranks the remotes of the lookback by the days they appear, scores accumulated day by day', () => {
    const to = addDays(FIRST, DAYS - 1);
    const r = buildReport(store, { from: addDays(to, -29), to, limit: 1000, analyse: 3, thresholds: t });
    const days = new Map(r.remotes.map((x) => [x.ip, x.days]));
    for (const h of IOC_DAY.inside) expect(days.get(h)).toBe(DAYS);
    expect(days.get(IOC_DAY.aptTarget)).toBe(DAYS);
    for (const m of IOC_DAY.familyMembers) expect(days.get(m)).toBe(SWITCH); // their new relay is not listed
    // Ranked by days, then score: every 5-day remote before every 3-day one.
    const firstThree = r.remotes.findIndex((x) => x.days === SWITCH);
    expect(r.remotes.slice(firstThree).every((x) => x.days <= SWITCH)).toBe(true);
    expect(r.remotes.slice(0, firstThree).every((x) => x.days === DAYS)).toBe(true);
    // Within the 5-day remotes the relay check-ins score highest.
    expect(IOC_DAY.inside as readonly string[]).toContain(r.remotes[0].ip);
    // One verdict per address whose score is the sum of its daily points.
    const v = store.verdict(IOC_DAY.inside[0])!;
    const daily = db.prepare('SELECT SUM(points) AS s, COUNT(*) AS n FROM ioc_remote_days WHERE remote = ?').get(IOC_DAY.inside[0]) as { s: number; n: number };
    expect(daily.n).toBe(DAYS);
    expect(v.score).toBe(daily.s);
    expect(v.daysSeen).toBe(DAYS);
    expect((db.prepare('SELECT COUNT(*) AS n FROM ioc_verdicts WHERE ip = ?').get(IOC_DAY.inside[0]) as { n: number }).n).toBe(1);
    // The top ones carry the seeds' three levels: IoC → ports → packets/octets, two patterns for a mechanical check-in.
    const top = r.remotes[0].analysis!;
    expect(top.pairs[0].ioc).toBe(IOC_DAY.relay);
    expect(top.pairs[0].ports[0].ports).toBe('443/client');
    expect(top.pairs[0].ports[0].shapes.map((s) => s.shape).sort()).toEqual(['2/120', '3/180']);
    expect(top.patterns).toBe(2);
  });

  it('time is a parameter: a report ending on day 2 over 2 days counts 2 days', () => {
    const to = addDays(FIRST, 2);
    const r = buildReport(store, { from: addDays(to, -1), to, limit: 1000, analyse: 0, thresholds: t });
    expect(new Map(r.remotes.map((x) => [x.ip, x.days])).get(IOC_DAY.inside[0])).toBe(2);
    for (const m of IOC_DAY.familyMembers) expect(r.remotes.find((x) => x.ip === m)?.days).toBe(2);
  });

  it('a family that checked in daily and stopped on the same day is looked up the next day: its new relay is a candidate', () => {
    const stopDay = addDays(FIRST, SWITCH);
    expect(results[SWITCH].families.map((f) => f.formerIoc)).toEqual([IOC_DAY.family]);
    expect(results[SWITCH].families[0].members).toEqual([...IOC_DAY.familyMembers].sort());
    expect(results[SWITCH].families[0].port).toBe(8443);
    expect(results.slice(0, SWITCH).every((r) => r.families.length === 0)).toBe(true);
    const next = results[SWITCH + 1];
    expect(next.candidates.map((c) => c.ip)).toEqual([IOC_DAY.familyNew]);
    const c = next.candidates[0];
    expect(c).toMatchObject({ formerIoc: IOC_DAY.family, members: 4, familySize: 4, samePort: true, sameShape: true, listed: false, port: 8443 });
    expect(c.evidence).toContain(stopDay);
    expect(store.families().find((f) => f.formerIoc === IOC_DAY.family)?.status).toBe('done');
  });

  it('an inside host newly classed relay-check-in is handed over exactly once', () => {
    const ips = alerts.map((a) => a.ip).sort();
    expect(ips).toEqual([...IOC_DAY.inside, ...IOC_DAY.inside6, ...IOC_DAY.familyMembers].sort());
    expect(new Set(ips).size).toBe(ips.length);
    const a = alerts.find((x) => x.ip === IOC_DAY.inside[0])!;
    expect(a.relays).toEqual([expect.objectContaining({ ioc: IOC_DAY.relay, port: 443 })]);
    expect(alerts.some((x) => x.ip === IOC_DAY.aptTarget)).toBe(false); // outside, and not a relay check-in
  });
});

describe('an unreadable file in the day', () => {
  it('is skipped with its reason; the other files are still read', async () => {
    const fx = await iocDayFixture(FIRST, { dayIndex: 0, files: 1, noMass: true, familySwitchDay: SWITCH, background: 100 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-ioc-bad-'));
    const bad = path.join(dir, 'nfcapd.202611011200');
    fs.writeFileSync(bad, 'not a flow file'.repeat(40));
    const r = await filesStage1(createNfdumpSource()).collect([IOC_DAY.relay], [], { from: 0, to: 0 }, { sampleSize: 10_000, files: [fx.files[0], bad] });
    expect(r.skipped.map((x) => x.file)).toEqual([bad]);
    expect(r.skipped[0].reason).toMatch(/nfcapd\.202611011200/);
    expect(r.totals[0]).toBe(IOC_DAY.inside.length * 3 * 2); // three check-ins per file, both directions
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
