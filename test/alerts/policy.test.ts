import { describe, expect, it } from 'vitest';
import {
  backoffSeconds, decideWindow, episodeId, meetsCondition, planMail, policyResolver, routesFor, unitAudiences, unitGate, type Episode, type Notice,
} from '../../src/alerts/policy.js';
import type { AlertPolicy } from '../../src/config/sections/alerts.js';
import type { UnitConfig } from '../../src/config/sections/engine.js';
import { resolveThresholds } from '../../src/engine/rules.js';
import type { Anomaly, AnomalyType, Evidence, Severity } from '../../src/engine/types.js';

const POLICY: AlertPolicy = { minWindows: 2, minShareAbove: 0.5, realertMinutes: 60, endAfterWindows: 3 };
const ENGINE = resolveThresholds({}).thresholds;

/** A scan-like anomaly with one evidence line (distinct destinations against the default 1000). */
function anom(ip: string, o: { type?: AnomalyType; severity?: Severity; score?: number; evidence?: Evidence[]; unit?: string } = {}): Anomaly {
  return {
    ip, role: 'attacker', type: o.type ?? 'scan', severity: o.severity ?? 'over', score: o.score ?? 10,
    evidence: o.evidence ?? [{ indicator: 'distinct destinations', value: 2000, threshold: 1000, ratio: 2 }],
    metrics: { flows: 1, packets: 1, bytes: 40, distinctPeers: 1, distinctPorts: 1 },
    features: { protocols: [], dstPorts: [], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 0, dstPorts: 0, packets: 0, bytes: 0 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
    ...(o.unit ? { unit: o.unit } : {}),
  };
}

/** Run windows through the policy the way the outbox applies decisions; notices by slot. */
function run(windows: [slot: number, anomalies: Anomaly[]][], opts: { units?: UnitConfig[]; policy?: AlertPolicy; start?: Episode[] } = {}) {
  const rulesOf = policyResolver(opts.policy ?? POLICY, opts.units ?? []);
  const live = new Map<string, Episode>((opts.start ?? []).map((e) => [`${e.ip}|${e.type}`, e]));
  const notices: Notice[] = [];
  for (const [slot, anomalies] of windows) {
    const d = decideWindow({ slot, anomalies, episodes: [...live.values()], rulesOf, engineThresholds: ENGINE });
    for (const r of d.remove) live.delete(`${r.ip}|${r.type}`);
    for (const e of d.upsert) live.set(`${e.ip}|${e.type}`, e);
    notices.push(...d.notices);
  }
  return { notices, live };
}
const kinds = (ns: Notice[]) => ns.map((n) => `${n.timeSlot}:${n.kind}:${n.ip}`);

describe('alert policy: tracking decides', () => {
  it('the first window below minWindows sends nothing; the second window alerts once, with a stable id', () => {
    const one = run([[100, [anom('203.0.113.7')]]]);
    expect(one.notices).toEqual([]);
    expect([...one.live.values()][0]).toMatchObject({ status: 'pending', windows: 1, startSlot: 100 });
    const two = run([[100, [anom('203.0.113.7')]], [101, [anom('203.0.113.7')]], [102, [anom('203.0.113.7')]]]);
    expect(kinds(two.notices)).toEqual(['101:alert:203.0.113.7']);
    expect(two.notices[0].id).toBe(`${episodeId('203.0.113.7', 'scan', 100)}-a`);
    expect(two.notices[0].id).toMatch(/^[0-9a-f]{16}-a$/);
    expect(two.notices[0].summary).toMatchObject({ startSlot: 100, windows: 2, shareAbove: 1 });
  });

  it('super severity alerts at once, in its first window', () => {
    const r = run([[100, [anom('198.51.100.9', { severity: 'super', score: 70 })]]]);
    expect(kinds(r.notices)).toEqual(['100:alert:198.51.100.9']);
    expect(r.notices[0].severity).toBe('super');
  });

  it('minShareAbove: two windows in four spans 50% (fires at 0.5), not at 0.6 until a third', () => {
    const w = (s: number): [number, Anomaly[]] => [s, [anom('192.0.2.5')]];
    const quiet = (s: number): [number, Anomaly[]] => [s, []];
    expect(kinds(run([w(100), quiet(101), quiet(102), w(103)]).notices)).toEqual(['103:alert:192.0.2.5']);
    const strict = { ...POLICY, minShareAbove: 0.6, endAfterWindows: 5 };
    expect(kinds(run([w(100), quiet(101), quiet(102), w(103)], { policy: strict }).notices)).toEqual([]);
    expect(kinds(run([w(100), quiet(101), quiet(102), w(103), w(104)], { policy: strict }).notices)).toEqual(['104:alert:192.0.2.5']);
    expect(meetsCondition({ windows: 2, startSlot: 100 }, 103, POLICY)).toBe(true);
    expect(meetsCondition({ windows: 2, startSlot: 100 }, 104, POLICY)).toBe(false);
  });

  it('a reminder every realertMinutes while it lasts (60 min = 12 windows), numbered', () => {
    const ws: [number, Anomaly[]][] = [];
    for (let s = 100; s <= 126; s++) ws.push([s, [anom('203.0.113.7')]]);
    const r = run(ws);
    expect(kinds(r.notices)).toEqual(['101:alert:203.0.113.7', '113:reminder:203.0.113.7', '125:reminder:203.0.113.7']);
    expect(r.notices.map((n) => n.id.slice(17))).toEqual(['a', 'r1', 'r2']);
    expect(r.notices[2].summary).toMatchObject({ windows: 26, reminders: 2 });
    expect(kinds(run(ws, { policy: { ...POLICY, realertMinutes: 0 } }).notices)).toEqual(['101:alert:203.0.113.7']);
  });

  it('an "ended" notice after endAfterWindows quiet windows, with duration and peak; the episode is gone', () => {
    const r = run([
      [100, [anom('203.0.113.7', { score: 10 })]],
      [101, [anom('203.0.113.7', { score: 40, evidence: [{ indicator: 'distinct destinations', value: 9000, threshold: 1000, ratio: 9 }] })]],
      [102, [anom('203.0.113.7', { score: 20 })]],
      [103, []], [104, []],
    ]);
    expect(kinds(r.notices)).toEqual(['101:alert:203.0.113.7']);
    const ended = run([[105, []]], { start: [...r.live.values()] });
    expect(kinds(ended.notices)).toEqual(['105:ended:203.0.113.7']);
    expect(ended.notices[0].id).toBe(`${episodeId('203.0.113.7', 'scan', 100)}-e`);
    expect(ended.notices[0].summary).toMatchObject({ startSlot: 100, lastSlot: 102, windows: 3, durationMinutes: 15, shareAbove: 1, peak: { slot: 101, score: 40 } });
    expect(ended.notices[0].summary.peak.evidence[0].value).toBe(9000);
    expect(ended.live.size).toBe(0);
  });

  it('an episode that never alerted ends without a notice; its IP starts afresh', () => {
    const r = run([[100, [anom('192.0.2.1')]], [101, []], [102, []], [103, []], [104, [anom('192.0.2.1')]]]);
    expect(r.notices).toEqual([]);
    expect([...r.live.values()][0]).toMatchObject({ startSlot: 104, windows: 1, status: 'pending', id: episodeId('192.0.2.1', 'scan', 104) });
  });

  it('back after a long gap with no window in between: the old episode ends and a new one starts', () => {
    const r = run([[100, [anom('192.0.2.1')]], [101, [anom('192.0.2.1')]], [110, [anom('192.0.2.1')]], [111, [anom('192.0.2.1')]]]);
    expect(kinds(r.notices)).toEqual(['101:alert:192.0.2.1', '110:ended:192.0.2.1', '111:alert:192.0.2.1']);
    expect(new Set(r.notices.map((n) => n.episode)).size).toBe(2);
  });

  it('one episode per (IP, type): two types of one IP are two episodes; two roles of one type one', () => {
    const both = [anom('192.0.2.1'), anom('192.0.2.1', { type: 'many-peers' }), { ...anom('192.0.2.1', { score: 3 }), role: 'victim' as const }];
    const r = run([[100, both], [101, both]]);
    expect(kinds(r.notices).sort()).toEqual(['101:alert:192.0.2.1', '101:alert:192.0.2.1']);
    expect(r.notices.map((n) => n.type).sort()).toEqual(['many-peers', 'scan']);
    expect(r.live.size).toBe(2);
  });

  it('several files of one slot, or the same file again, count once and decide the same ids', () => {
    const a = [anom('203.0.113.7')];
    const r = run([[100, a], [100, a], [100, a]]);
    expect(r.notices).toEqual([]);
    expect([...r.live.values()][0].windows).toBe(1);
    // A window decided twice from the same stored state gives the same notices (ids included).
    const start = [...run([[100, a]]).live.values()];
    const d1 = run([[101, a]], { start }).notices;
    const d2 = run([[101, a]], { start }).notices;
    expect(d1.map((n) => n.id)).toEqual(d2.map((n) => n.id));
    expect(d1).toHaveLength(1);
    // A late (older) file ends nothing and counts nothing.
    const late = run([[99, []]], { start: [...run([[100, a], [101, a]]).live.values()] });
    expect(late.notices).toEqual([]);
  });

  it('a super anomaly in a later file of the same slot fires the pending episode at once', () => {
    const r = run([[100, [anom('203.0.113.7')]], [100, [anom('203.0.113.7', { severity: 'super', score: 60 })]]]);
    expect(kinds(r.notices)).toEqual(['100:alert:203.0.113.7']);
  });
});

describe('alert policy per unit', () => {
  const units: UnitConfig[] = [
    { prefix: '140.112.0.0/16', name: 'NTU', alerts: { minWindows: 1 } },
    { prefix: '140.112.8.0/24', name: 'NTU-lab', alerts: { minWindows: 3, realertMinutes: 15 } },
    { prefix: '163.13.0.0/16', name: 'TKU', alerts: { thresholds: { 'scan.peers': 5000, 'scan.peers.super': 8000 } } },
  ];

  it('resolves the policy least specific first, so the more specific unit wins', () => {
    const of = policyResolver(POLICY, units);
    expect(of('140.112.1.1').policy).toEqual({ ...POLICY, minWindows: 1 });
    expect(of('140.112.8.9').policy).toEqual({ ...POLICY, minWindows: 3, realertMinutes: 15 });
    expect(of('8.8.8.8').policy).toEqual(POLICY);
  });

  it('a unit with minWindows 1 alerts on the first window, others still wait', () => {
    const r = run([[100, [anom('140.112.1.1'), anom('8.8.8.8'), anom('140.112.8.9')]]], { units });
    expect(kinds(r.notices)).toEqual(['100:alert:140.112.1.1']);
  });

  it("a unit's alert thresholds raise the bar: below them the window does not count", () => {
    const low = anom('163.13.2.2', { evidence: [{ indicator: 'distinct destinations', value: 2000, threshold: 1000, ratio: 2 }] });
    const high = anom('163.13.2.2', { evidence: [{ indicator: 'distinct destinations', value: 6000, threshold: 1000, ratio: 6 }] });
    expect(run([[100, [low]], [101, [low]]], { units }).notices).toEqual([]);
    expect(kinds(run([[100, [high]], [101, [high]]], { units }).notices)).toEqual(['101:alert:163.13.2.2']);
    // 9000 passes the unit's super threshold of 8000: at once, as super.
    const sup = anom('163.13.2.2', { evidence: [{ indicator: 'distinct destinations', value: 9000, threshold: 1000, ratio: 9 }] });
    const r = run([[100, [sup]]], { units });
    expect(r.notices.map((n) => [n.kind, n.severity])).toEqual([['alert', 'super']]);
  });

  it('unitGate scales a volume threshold the way the window scaled the engine one', () => {
    // egress-high.bytes default 5e9; a 150-s window scaled the threshold to 2.5e9 (scale 0.5).
    const a = { type: 'egress-high' as const, severity: 'over' as const, evidence: [{ indicator: 'bytes sent', value: 4e9, threshold: 2.5e9, ratio: 1.6 }] };
    expect(unitGate(a, { 'egress-high.bytes': 7e9 }, ENGINE).pass).toBe(true); // 7e9 × 0.5 = 3.5e9 ≤ 4e9
    expect(unitGate(a, { 'egress-high.bytes': 9e9 }, ENGINE).pass).toBe(false); // 4.5e9 > 4e9
    expect(unitGate(a, {}, ENGINE)).toEqual({ pass: true, severity: 'over' });
  });
});

describe('routing: each unit hears about its own addresses only', () => {
  const units = unitAudiences([
    { prefix: '140.112.0.0/16', name: 'NTU', contacts: ['netadm@ntu.example'], lang: 'zh-TW' },
    { prefix: '2001:db8:112::/48', name: 'NTU', contacts: ['soc@ntu.example'] },
    { prefix: '163.13.0.0/16', name: 'TKU', contacts: ['noc@tku.example'] },
    { prefix: '192.0.2.0/24', name: 'NoContacts' },
  ]);
  const cfg = { email: { to: ['noc@twaren.example'], lang: 'en' as const }, syslog: true, webhook: { lang: 'en' as const } };

  it('merges the entries of one unit name; units without contacts are not audiences', () => {
    expect(units.map((u) => [u.name, u.contacts, u.lang])).toEqual([['NTU', ['netadm@ntu.example', 'soc@ntu.example'], 'zh-TW'], ['TKU', ['noc@tku.example'], undefined]]);
  });

  it.each([
    ['140.112.5.5', ['email noc@twaren.example noc en', 'syslog  noc en', 'webhook  noc en', 'email netadm@ntu.example NTU zh-TW', 'email soc@ntu.example NTU zh-TW']],
    ['2001:db8:112::9', ['email noc@twaren.example noc en', 'syslog  noc en', 'webhook  noc en', 'email netadm@ntu.example NTU zh-TW', 'email soc@ntu.example NTU zh-TW']],
    ['163.13.1.1', ['email noc@twaren.example noc en', 'syslog  noc en', 'webhook  noc en', 'email noc@tku.example TKU en']],
    ['8.8.8.8', ['email noc@twaren.example noc en', 'syslog  noc en', 'webhook  noc en']],
  ])('%s', (ip, want) => {
    expect(routesFor(ip, cfg, units).map((r) => `${r.channel} ${r.target} ${r.audience} ${r.lang}`)).toEqual(want);
  });

  it('no mail channel: units get nothing (syslog and webhook are the NOC\'s); a NOC address that is also a contact gets one mail', () => {
    expect(routesFor('140.112.5.5', { syslog: true }, units).map((r) => r.channel)).toEqual(['syslog']);
    const overlap = routesFor('163.13.1.1', { email: { to: ['NOC@tku.example'], lang: 'en' }, syslog: false }, units);
    expect(overlap.map((r) => `${r.target} ${r.audience}`)).toEqual(['NOC@tku.example noc']);
  });
});

describe('delivery arithmetic', () => {
  it.each([
    [1, 10, 600, 10], [2, 10, 600, 20], [4, 10, 600, 80], [7, 10, 600, 600], [30, 10, 600, 600],
  ])('back-off after failure %i: %i doubling to %i → %i s', (n, initial, max, s) => expect(backoffSeconds(n, initial, max)).toBe(s));

  it.each([
    // due, sent in the last hour, maxPerHour → single, digest, wait
    [3, 0, 5, 3, 0, 0],
    [5, 0, 5, 5, 0, 0],
    [8, 0, 5, 4, 4, 0],
    [8, 4, 5, 0, 8, 0],
    [8, 5, 5, 0, 0, 8],
    [2, 6, 5, 0, 0, 2],
    [0, 0, 5, 0, 0, 0],
  ])('%i due, %i sent, max %i → %i single, %i in a digest, %i waiting', (n, sent, max, single, digest, wait) => {
    const p = planMail(Array.from({ length: n }, (_, i) => i), sent, max);
    expect([p.single.length, p.digest.length, p.wait.length]).toEqual([single, digest, wait]);
    // Never more mails than the budget allows, nothing dropped.
    expect(p.single.length + (p.digest.length > 0 ? 1 : 0)).toBeLessThanOrEqual(Math.max(0, max - sent));
    expect(p.single.length + p.digest.length + p.wait.length).toBe(n);
  });
});
