import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDefaults, type NocflowConfig } from '../../src/config/schema.js';
import type { AreaContext } from '../../src/daemon/engine-process.js';
import { IOC_DAY } from '../../src/gen/index.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { createIocArea } from '../../src/ioc/area.js';
import { dayRange } from '../../src/ioc/days.js';
import type { InfectedHost } from '../../src/ioc/job.js';
import { openDb, type Db } from '../../src/store/db.js';
import { iocDayFixture } from '../helpers/ioc-day.js';

const DAY = '2026-11-22';
const BEFORE = '2026-11-21';
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-ioc-area-'));
const dbFile = path.join(home, 'nocflow.db');
let fx: Awaited<ReturnType<typeof iocDayFixture>>;
let config: NocflowConfig;
const at = (h: number, m: number, d = 0) => dayRange(DAY).from + d * 86_400_000 + (h * 60 + m) * 60_000;

beforeAll(async () => {
  fx = await iocDayFixture(DAY);
  config = {
    ...configDefaults,
    engine: { ...configDefaults.engine, inside: [...IOC_DAY.insidePrefixes], units: [{ prefix: '10.20.5.0/24', name: 'Dorm' }] },
    ioc: { ...configDefaults.ioc, sources: [{ name: 'nics', file: fx.listFile }] },
  };
}, 180_000);
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** One engine run of the area: its own database connection, a settable clock, the alerts it handed over. */
function engine(clock: { now: number }) {
  let db: Db | undefined;
  const alerts: InfectedHost[] = [];
  const area = createIocArea(config, {
    db: () => (db ??= openDb(dbFile)),
    source: createNfdumpSource(),
    nfcapdDir: fx.dir,
    now: () => clock.now,
    tickMs: 3_600_000,
    onNewInfected: (h) => alerts.push(h),
    log: () => undefined,
  });
  return { area, alerts, close: () => db?.close(), db: () => db! };
}

const ctx = {} as AreaContext;

describe('the IoC engine area', () => {
  it('fetches at 23:59, correlates the day after midnight once, and hands each newly infected inside host over once', async () => {
    const clock = { now: at(23, 58) };
    const e = engine(clock);
    await e.area.tick();
    // Yesterday's missed fetch is caught up (and that day correlated, with no files); today's waits for 23:59.
    expect(e.area.store.listStatus(BEFORE).map((s) => s.status)).toEqual(['ok']);
    expect(e.area.store.job(BEFORE)?.status).toBe('done');
    expect(e.area.store.listStatus(DAY)).toEqual([]);
    clock.now = at(23, 59);
    await e.area.tick();
    expect(e.area.store.listStatus(DAY)).toEqual([expect.objectContaining({ status: 'ok', entries: 10, invalid: 5, duplicates: 2 })]);
    expect(e.area.store.job(DAY)).toBeUndefined();
    clock.now = at(0, 9, 1);
    await e.area.tick();
    expect(e.area.store.job(DAY)).toBeUndefined();
    clock.now = at(0, 10, 1);
    await e.area.tick();
    expect(e.area.store.job(DAY)?.status).toBe('done');
    const st = e.area.status!() as { jobs: number; alerts: number; lastJob: { day: string } };
    expect(st.jobs).toBe(2);
    expect(st.lastJob.day).toBe(DAY);
    const expected = [...IOC_DAY.inside, ...IOC_DAY.inside6, ...IOC_DAY.familyMembers].sort();
    expect(e.alerts.map((a) => a.ip).sort()).toEqual(expected);
    expect(st.alerts).toBe(expected.length);
    expect(e.alerts.find((a) => a.ip === IOC_DAY.inside[0])).toMatchObject({ unit: 'Dorm', categories: expect.arrayContaining(['relay-check-in']) });
    await e.area.tick();
    clock.now = at(6, 0, 1);
    await e.area.tick();
    expect((e.area.status!() as { jobs: number }).jobs).toBe(2);
    expect(e.alerts).toHaveLength(expected.length);
    await e.area.stop!();
    e.close();
  }, 180_000);

  it('a restart neither repeats a finished day nor its alerts; a day interrupted before its commit runs again', async () => {
    const clock = { now: at(0, 20, 1) };
    const e = engine(clock);
    await e.area.start!(ctx);
    await e.area.tick();
    expect(e.area.status!()).toMatchObject({ jobs: 0 });
    expect(e.alerts).toEqual([]);
    await e.area.stop!();
    // The engine died while correlating the day: the ledger says running, the results are the earlier commit's.
    e.db().prepare(`UPDATE ioc_jobs SET status = 'running' WHERE day = ?`).run(DAY);
    const scores = e.db().prepare('SELECT ip, score FROM ioc_verdicts ORDER BY ip').all();
    e.close();
    const again = engine(clock);
    again.area.start!(ctx);
    await again.area.tick();
    expect((again.area.status!() as { jobs: number }).jobs).toBe(1);
    expect(again.area.store.job(DAY)?.error ?? null).toBeNull();
    expect(again.area.store.job(DAY)?.status).toBe("done");
    expect(again.db().prepare('SELECT ip, score FROM ioc_verdicts ORDER BY ip').all()).toEqual(scores);
    expect(again.alerts).toEqual([]);
    await again.area.stop!();
    again.close();
  }, 180_000);

  it('an alert committed but not handed over before a stop is handed over at the next start, once', async () => {
    const db = openDb(dbFile);
    db.prepare(`UPDATE ioc_verdicts SET relay_alert = 'pending' WHERE ip = ?`).run(IOC_DAY.inside[1]);
    db.close();
    const clock = { now: at(7, 0, 1) };
    const e = engine(clock);
    e.area.start!(ctx);
    await e.area.tick();
    expect(e.alerts.map((a) => a.ip)).toEqual([IOC_DAY.inside[1]]);
    await e.area.stop!();
    e.close();
    const e2 = engine(clock);
    e2.area.start!(ctx);
    await e2.area.tick();
    expect(e2.alerts).toEqual([]);
    await e2.area.stop!();
    e2.close();
  }, 60_000);

  it('answers ioc.infected and ioc.relations on the socket', async () => {
    const e = engine({ now: at(8, 0, 1) });
    const h = e.area.handlers!();
    const inf = (await h['ioc.infected']!({ limit: 5 }, { user: 't' } as never)) as { rows: { ip: string; score: number; inside: boolean; unit?: string }[]; total: number };
    expect(inf.rows).toHaveLength(5);
    expect(inf.total).toBeGreaterThan(50);
    expect(inf.rows[0].score).toBeGreaterThanOrEqual(inf.rows[4].score);
    const rel = (await h['ioc.relations']!({ ip: IOC_DAY.inside[0] }, { user: 't' } as never)) as { unit: string; verdict: { relays: { ioc: string; category?: string }[] }; contacts: { ioc: string }[]; listed: string[] };
    expect(rel.unit).toBe('Dorm');
    expect(rel.verdict.relays).toEqual([expect.objectContaining({ ioc: IOC_DAY.relay, category: 'relay-check-in', port: 443 })]);
    expect(rel.contacts.map((c) => c.ioc)).toEqual([IOC_DAY.relay]);
    const asIoc = (await h['ioc.relations']!({ ip: IOC_DAY.mass }, { user: 't' } as never)) as { listed: string[]; asIoc: { class: string }[]; verdict: unknown };
    expect(asIoc.listed).toEqual([DAY, BEFORE]);
    expect(asIoc.asIoc.map((d) => d.class)).toEqual(['mass', 'no-flows']);
    expect(asIoc.verdict).toBeNull();
    await expect(h['ioc.relations']!({ ip: '10.0.0.0/8' }, { user: 't' } as never)).rejects.toThrow(/prefix, not an address/);
    e.close();
  });
});
