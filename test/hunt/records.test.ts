/** The records that accumulate: two generated days hunted and saved, the master tables and the across-days queries. */
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHuntDay } from '../helpers/nfcapd.js';
import { runFilesHunt } from '../../src/hunt/run.js';
import { HuntRecords } from '../../src/hunt/records.js';
import { openDb, type Db } from '../../src/store/db.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { analyzeBatches } from '../../src/engine/analyze.js';
import type { HuntDayTruth, MemberTruth } from '../../src/gen/index.js';
import type { HuntReport } from '../../src/hunt/report.js';

type Day = { dir: string; files: string[]; truth: HuntDayTruth };
let d1: Day, d2: Day;
let db: Db;
let rec: HuntRecords;
const reports: HuntReport[] = [];

const exact = (t: HuntDayTruth): { sig: string; m: MemberTruth }[] => Object.entries(t.signatures).flatMap(([sig, e]) => e.members.map((m) => ({ sig, m })));

beforeAll(async () => {
  d1 = await makeHuntDay(1);
  d2 = await makeHuntDay(2);
  db = openDb(':memory:');
  rec = new HuntRecords(db);
  const source = createNfdumpSource();
  for (const [k, d] of [d1, d2].entries()) {
    const r = await runFilesHunt(d.files, { source, records: rec, dayMs: d.truth.day }, { knownServers: d.truth.knownServers, near: 4 });
    rec.saveDay(k === 0 ? '2026-11-22' : '2026-11-23', r.report, 1000 + k);
    reports.push(r.report);
  }
}, 300_000);

describe('records after two days', () => {
  it('members per signature per day, exactly as hunted (near members kept apart)', () => {
    for (const [day, t] of [['2026-11-22', d1.truth], ['2026-11-23', d2.truth]] as const) {
      for (const [sig, e] of Object.entries(t.signatures)) expect(rec.members(day, sig), `${day} ${sig}`).toEqual(e.members);
      expect(rec.members(day, '1433-3-152', { near: true }).map((m) => [m.ip, m.bytes])).toEqual(t.near['1433-3-152'].map((m) => [m.ip, m.bytes]));
    }
    expect(rec.runs().map((r) => [r.day, r.status, r.files])).toEqual([['2026-11-23', 'done', 6], ['2026-11-22', 'done', 6]]);
  });

  it('the signature master: first/last day, days seen, distinct attackers and members over both days', () => {
    const m = new Map(rec.signatures().map((s) => [s.signature, s]));
    const union = (sig: string, f: (t: HuntDayTruth) => string[]) => new Set([d1.truth, d2.truth].flatMap((t) => (t.signatures[sig] ? f(t) : []))).size;
    for (const sig of ['1433-3-152', '5060-1-437']) {
      expect(m.get(sig), sig).toMatchObject({
        firstDay: '2026-11-22', lastDay: '2026-11-23', daysSeen: 2,
        attackers: union(sig, (t) => t.signatures[sig].attackers),
        members: union(sig, (t) => t.signatures[sig].members.map((x) => x.ip)),
      });
    }
    expect(m.get('1433-1-40')).toMatchObject({ weak: true, daysSeen: 2, members: 0 });
  });

  it('the anomalous-IP master: days, signatures and most destinations across days', () => {
    const all = [...exact(d1.truth).map((x) => ({ ...x, day: '2026-11-22' })), ...exact(d2.truth).map((x) => ({ ...x, day: '2026-11-23' }))];
    const ips = new Set(all.map((x) => x.m.ip));
    for (const ip of ips) {
      const mine = all.filter((x) => x.m.ip === ip);
      expect(rec.ips({ ip })[0], ip).toEqual({
        ip,
        firstSeen: Math.min(...mine.map((x) => x.m.firstSeen)),
        lastSeen: Math.max(...mine.map((x) => x.m.lastSeen)),
        firstDay: mine.map((x) => x.day).sort()[0],
        lastDay: mine.map((x) => x.day).sort().at(-1),
        days: new Set(mine.map((x) => x.day)).size,
        signatures: new Set(mine.map((x) => x.sig)).size,
        maxDestinations: Math.max(...mine.map((x) => x.m.destinations)),
      });
    }
    expect(rec.ips({ ip: '198.51.100.60' })).toEqual([]); // the SIP proxy never became a member
    expect(rec.ips({ ip: d1.truth.near['1433-3-152'][0].ip })).toEqual([]); // a near shape is not membership
  });

  it('across days: which members recur, and which IPs carry several signatures', () => {
    const both = (sig: string) => d1.truth.signatures[sig].members.map((m) => m.ip).filter((ip) => d2.truth.signatures[sig]?.members.some((m) => m.ip === ip)).sort();
    expect(rec.recurringMembers('1433-3-152').map((r) => r.ip).sort()).toEqual(both('1433-3-152'));
    expect(rec.recurringMembers('1433-3-152').find((r) => r.ip === '1.170.36.229')).toEqual({ ip: '1.170.36.229', days: ['2026-11-22', '2026-11-23'], maxDestinations: 280 });
    expect(rec.recurringMembers('5060-1-437').map((r) => r.ip)).toEqual(['103.207.36.130']);
    expect(rec.ips({ minSignatures: 2 }).map((r) => r.ip)).toEqual(['103.207.36.130']);
    expect(rec.signaturesOf('103.207.36.130')).toEqual([{ signature: '1433-3-152', days: ['2026-11-23'] }, { signature: '5060-1-437', days: ['2026-11-22', '2026-11-23'] }]);
  });

  it('saving a day again replaces it: nothing counted twice, and what left the day leaves the masters', () => {
    const before = { s: rec.signatures(), i: rec.ips({ limit: 1000 }) };
    rec.saveDay('2026-11-23', reports[1], 2000);
    expect(rec.signatures()).toEqual(before.s);
    expect(rec.ips({ limit: 1000 })).toEqual(before.i);
    // Day 2 re-run without its 5060 signature: 36.110.5.5 (day-2 only member of 1433) stays; 185.232.67.12 (only 5060 on day 2) leaves.
    rec.saveDay('2026-11-23', { ...reports[1], signatures: reports[1].signatures.filter((s) => s.signature !== '5060-1-437') }, 3000);
    expect(rec.ips({ ip: '185.232.67.12' })).toEqual([]);
    expect(rec.ips({ ip: '36.110.5.5' })).toHaveLength(1);
    expect(rec.signatures().find((s) => s.signature === '5060-1-437')).toMatchObject({ daysSeen: 1, lastDay: '2026-11-22' });
    rec.saveDay('2026-11-23', reports[1], 4000);
    expect(rec.signatures()).toEqual(before.s);
  });

  it('with an engine database, the catalogue comes from the stored windows and no file is analysed again', async () => {
    const edb = openDb(':memory:');
    const store = new EngineStore(edb);
    const source = createNfdumpSource();
    for (const f of d1.files) store.commitWindow(f, await analyzeBatches(source.read([f]), { files: [f] }), 1);
    let reads = 0;
    const counted = { read: (files: string[], o?: object) => (reads++, source.read(files, o)) };
    const r = await runFilesHunt(d1.files, { source: counted, records: new HuntRecords(edb), dayMs: d1.truth.day }, { knownServers: d1.truth.knownServers });
    expect(r.analysed).toEqual([]);
    expect(reads).toBe(d1.files.length);
    expect(r.report.signatures.map((s) => [s.signature, [...s.attackers].sort()])).toEqual(reports[0].signatures.map((s) => [s.signature, [...s.attackers].sort()]));
    expect(r.report.signatures[0].members).toEqual(d1.truth.signatures['1433-3-152'].members);
    edb.close();
  }, 300_000);
});
