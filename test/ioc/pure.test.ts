import { describe, expect, it } from 'vitest';
import { batchFromRecords, flow } from '../../src/engine/batch.js';
import { classifyIoc, resolveThresholds, type IocClass } from '../../src/ioc/classify.js';
import { dailyPlan, dayRange, localDay } from '../../src/ioc/days.js';
import { familyCandidates, stoppedFamilies } from '../../src/ioc/family.js';
import { diffLists, listAddress, mergeLists, parseIocList } from '../../src/ioc/list.js';
import { IocMatcher, type IocFlow } from '../../src/ioc/match.js';
import { analyseRemote, updateVerdict } from '../../src/ioc/remotes.js';
import type { IocRecord } from '../../src/ioc/records.js';

const t = resolveThresholds();

describe('IoC list text', () => {
  it('counts valid distinct entries, malformed lines and duplicates; comments and blanks are ignored', () => {
    const l = parseIocList('# header\n\n192.0.2.1\n 192.0.2.1 # again\nbogus\n2001:DB8::1\n2001:db8:0::1\n::ffff:192.0.2.9\n192.0.2.9\n10.0.0.0/8\r\n198.51.100.3\r\n\u001b[31mred\n');
    expect(l.entries).toEqual(['192.0.2.1', '2001:db8::1', '192.0.2.9', '198.51.100.3']);
    expect(l.duplicates).toBe(3);
    expect(l.invalid).toBe(3);
    expect(l.mapped).toBe(1);
    expect(l.invalidSample.map((x) => x.line)).toEqual([5, 10, 12]);
    expect(l.invalidSample[2].text).not.toContain('\u001b');
  });

  it('an IPv4-mapped IPv6 address is its IPv4; other IPv6 stay IPv6', () => {
    expect(listAddress('::ffff:10.1.2.3')).toEqual({ ip: '10.1.2.3', mapped: true });
    expect(listAddress('::ffff:a01:203')).toEqual({ ip: '10.1.2.3', mapped: true });
    expect(listAddress('64:ff9b::a01:203')).toEqual({ ip: '64:ff9b::a01:203', mapped: false });
    expect(listAddress('fe80::1%eth0')).toBeUndefined();
  });

  it('merges sources and tells which IoCs appeared and left', () => {
    const m = mergeLists([parseIocList('192.0.2.1\n192.0.2.2\n'), parseIocList('192.0.2.2\n192.0.2.3\nx\n')]);
    expect(m.entries).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(m.duplicates).toBe(1);
    expect(m.invalid).toBe(1);
    expect(diffLists(['a', 'b', 'c'], ['b', 'c', 'd'])).toEqual({ appeared: ['d'], left: ['a'] });
  });
});

describe('stage 1 matcher', () => {
  it('one pass matches every IoC at once, IPv4, IPv6 and IPv4-mapped rows; totals exact, samples capped', () => {
    const m = new IocMatcher(['192.0.2.1', '2001:db8::7', '198.51.100.9'], 3);
    m.beginFile('f1');
    const rows = [
      ...Array.from({ length: 5 }, (_, i) => flow({ src: '192.0.2.1', dst: `203.0.113.${i}`, sport: 443, dport: 40000 + i })),
      flow({ src: '203.0.113.50', dst: '192.0.2.1', sport: 50000, dport: 443 }),
      flow({ src: '192.0.2.1', dst: '198.51.100.9' }), // IoC to IoC: counted for both
      flow({ src: '203.0.113.1', dst: '203.0.113.2' }),
    ];
    m.add(batchFromRecords(rows));
    m.add(batchFromRecords([flow({ src: '2001:db8::7', dst: '2001:db8::99' }), flow({ src: '::ffff:198.51.100.9', dst: '::ffff:203.0.113.77' })]));
    expect(Array.from(m.totals)).toEqual([7, 1, 2]);
    expect(Array.from(m.sampled)).toEqual([3, 1, 2]);
    expect(m.counters).toEqual({ flows: 10, matched: 9, batches: 2 });
    const [a, v6, c] = m.flowsByIoc();
    expect(a.map((f) => [f.remote, f.direction, f.iocPort, f.remotePort])).toEqual([['203.0.113.0', 'send', 443, 40000], ['203.0.113.1', 'send', 443, 40001], ['203.0.113.2', 'send', 443, 40002]]);
    expect(v6[0]).toMatchObject({ remote: '2001:db8::99', ipVersion: 6, direction: 'send', file: 0 });
    expect(c.map((f) => [f.remote, f.direction])).toEqual([['192.0.2.1', 'rcv'], ['203.0.113.77', 'send']]);
    expect(m.files).toEqual(['f1']);
  });

  it('watched addresses: the peers they send to, with ports and shapes', () => {
    const m = new IocMatcher([], 10, ['10.0.0.1']);
    m.add(batchFromRecords([flow({ src: '10.0.0.1', dst: '192.0.2.5', dport: 8443, packets: 3, bytes: 180 }), flow({ src: '10.0.0.1', dst: '192.0.2.5', dport: 8443, packets: 3, bytes: 180 }), flow({ src: '192.0.2.5', dst: '10.0.0.1' })]));
    const p = m.watchedPeers().get('10.0.0.1')!;
    expect(p).toHaveLength(1);
    expect(p[0].flows).toBe(2);
    expect([...p[0].ports]).toEqual([[8443, 2]]);
    expect([...p[0].shapes]).toEqual([['3/180', 2]]);
  });
});

const F = (p: Partial<IocFlow>): IocFlow => ({ ioc: '192.0.2.1', remote: '203.0.113.1', direction: 'rcv', iocPort: 443, remotePort: 40000, protocol: 6, tcpFlags: 2, packets: 1, octets: 60, start: 1_700_000_000_000, exporter: '', iocAs: 0, remoteAs: 0, ipVersion: 4, file: 0, ...p });

describe('stage 3 classes (each rule with a case that holds and one that does not)', () => {
  const many = (n: number, p: (i: number) => Partial<IocFlow>) => Array.from({ length: n }, (_, i) => F(p(i)));
  const cases: [string, number | undefined, IocFlow[], IocClass][] = [
    ['nothing', 0, [], 'no-flows'],
    ['over 10 000', 10_001, many(100, (i) => ({ remote: `203.0.113.${i}` })), 'mass'],
    ['exactly 10 000 is not mass', 10_000, many(10, (i) => ({ remote: `198.51.100.${i}`, packets: 40, octets: 40000, direction: 'send' })), 'analysed'],
    ['one SYN to each of 50', undefined, many(50, (i) => ({ remote: `203.0.113.${i}`, direction: 'send', iocPort: 40000, remotePort: 23 })), 'wide-scan'],
    ['scan-like but large flows', undefined, many(50, (i) => ({ remote: `203.0.113.${i}`, direction: 'send', packets: 40, octets: 50000 })), 'analysed'],
    ['one victim flooded in one slot', undefined, many(500, () => ({ remote: '203.0.113.9', direction: 'send', start: 1_700_000_000_000 })), 'dos'],
    ['one peer, spread over the day (a beacon)', undefined, many(500, (i) => ({ remote: '203.0.113.9', start: 1_700_000_000_000 + i * 170_000, packets: 10, octets: 900 })), 'analysed'],
    ['40 remotes each send one small packet to it', undefined, many(40, (i) => ({ remote: `203.0.113.${i}` })), 'check-in'],
    ['4 remotes is not a family', undefined, many(4, (i) => ({ remote: `203.0.113.${i}` })), 'analysed'],
  ];
  it.each(cases)('%s', (_name, total, flows, cls) => {
    expect(classifyIoc(total ?? flows.length, flows, t).class).toBe(cls);
  });
  it('says why: the evidence names the thresholds', () => {
    const v = classifyIoc(12_000, [], t);
    expect(v.evidence).toEqual([{ indicator: 'flows', value: 12_000, threshold: 10_000, ratio: 1.2 }]);
  });
});

const R = (p: Partial<IocRecord>): IocRecord => ({ day: '2026-11-01', ioc: '192.0.2.1', remote: '10.0.0.1', exporter: '', iocPort: 443, remotePort: 40000, direction: 'rcv', packets: 3, octets: 180, tcpFlags: 24, protocol: 6, ipVersion: 4, iocAs: 0, remoteAs: 0, timeStamp: 0, file: '', iocClass: 'analysed', ...p });

describe('stage 4 remote analysis', () => {
  it('IoC server-like with a converging port: relay-check-in; remote server-like: apt-target; unclear: neither', () => {
    const relay = analyseRemote('10.0.0.1', [R({}), R({ remotePort: 41000 }), R({ direction: 'send', remotePort: 42000, packets: 2, octets: 120 })], t);
    expect(relay.categories).toEqual(['mechanical', 'relay-check-in']);
    expect(relay.pairs[0]).toMatchObject({ serverSide: 'ioc', port: 443, portShare: 1 });
    expect(relay.patterns).toBe(2);
    const apt = analyseRemote('10.0.0.1', [0, 1, 2].map((i) => R({ iocPort: 50000 + i, remotePort: 22, direction: 'send' })), t);
    expect(apt.categories).toContain('apt-target');
    const spread = analyseRemote('10.0.0.1', [80, 443, 8080, 22].map((p) => R({ iocPort: p, packets: p, octets: p * 10 })), t);
    expect(spread.categories).toEqual([]); // server-like but the port does not converge, and 4 patterns
    const twoFlows = analyseRemote('10.0.0.1', [R({}), R({})], t);
    expect(twoFlows.categories).toEqual([]); // fewer than minPairFlows
  });

  it('a re-scored day replaces its points instead of adding them', () => {
    const a = analyseRemote('10.0.0.1', [R({})], t);
    const d1 = { day: '2026-11-01', points: 7, categories: ['relay-check-in' as const, 'mechanical' as const], iocs: ['192.0.2.1'] };
    const v1 = updateVerdict(undefined, d1, undefined, a, 1);
    const v2 = updateVerdict(v1, { ...d1, day: '2026-11-02', points: 3, categories: ['check-in'] }, undefined, a, 2);
    expect(v2).toMatchObject({ score: 10, daysSeen: 2, categories: { 'relay-check-in': 1, mechanical: 1, 'check-in': 1 }, firstDay: '2026-11-01', lastDay: '2026-11-02' });
    const v3 = updateVerdict(v2, { ...d1, day: '2026-11-02', points: 1, categories: [] }, { day: '2026-11-02', points: 3, categories: ['check-in'], iocs: [] }, a, 3);
    expect(v3).toMatchObject({ score: 8, daysSeen: 2, categories: { 'relay-check-in': 1, mechanical: 1 } });
  });
});

describe('the daily plan (time as a parameter)', () => {
  const cfg = { fetchAt: '23:59', runAfterMinutes: 10 };
  const day = localDay(Date.UTC(2026, 10, 22, 12));
  const at = (h: number, m: number, d = 0) => dayRange(day).from + d * 86_400_000 + (h * 60 + m) * 60_000;
  const nothing = { listFetched: false, jobDone: false };
  const done = { listFetched: true, jobDone: true };
  it('fetches at 23:59, runs the day after midnight + 10 minutes, once', () => {
    const state = (s: Record<string, typeof nothing>) => (d: string) => s[d] ?? done;
    expect(dailyPlan(at(23, 58), cfg, state({ [day]: nothing }))).toEqual([]);
    expect(dailyPlan(at(23, 59), cfg, state({ [day]: nothing }))).toEqual([{ kind: 'fetch', day }]);
    expect(dailyPlan(at(0, 5, 1), cfg, state({ [day]: { listFetched: true, jobDone: false } }))).toEqual([]);
    expect(dailyPlan(at(0, 10, 1), cfg, state({ [day]: { listFetched: true, jobDone: false } }))).toEqual([{ kind: 'run', day }]);
    expect(dailyPlan(at(0, 10, 1), cfg, state({}))).toEqual([]);
  });
  it("a missed fetch is caught up for yesterday; a failed job is retried an hour later", () => {
    const state = (d: string) => (d === day ? nothing : { listFetched: false, jobDone: false });
    expect(dailyPlan(at(9, 0, 1), cfg, state)).toEqual([{ kind: 'fetch', day }, { kind: 'run', day }]);
    const failed = (d: string) => (d === day ? { listFetched: true, jobDone: false, jobFailedAt: at(0, 10, 1) } : done);
    expect(dailyPlan(at(0, 40, 1), cfg, failed)).toEqual([]);
    expect(dailyPlan(at(1, 10, 1), cfg, failed)).toEqual([{ kind: 'run', day }]);
  });
});

describe('family lookup (pure)', () => {
  const fam = { formerIoc: '192.0.2.1', stoppedDay: '2026-11-04', lookupDay: '2026-11-05', members: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'], port: 8443, pattern: '3/180' };
  const peer = (p: string, port: number, shape: string, flows = 2) => ({ peer: p, flows, ports: new Map([[port, flows]]), shapes: new Map([[shape, flows]]) });
  it('a common peer with the old port or shape is a candidate; a common service of another shape is not', () => {
    const peers = new Map(fam.members.map((m, i) => [m, [peer('198.51.100.53', 53, '1/70'), ...(i < 3 ? [peer('203.0.113.66', 8443, '3/180')] : []), ...(i < 1 ? [peer('203.0.113.99', 8443, '3/180')] : [])]]));
    const c = familyCandidates('2026-11-05', fam, peers, new Set(), t);
    expect(c.map((x) => [x.ip, x.members, x.samePort, x.sameShape])).toEqual([['203.0.113.66', 3, true, true]]);
  });
  it('stops: every member checked in on each of the days before and none touches the IoC that day, while it is listed', () => {
    const contacts = ['2026-11-01', '2026-11-02', '2026-11-03'].flatMap((day) => fam.members.map((remote) => ({ day, remote, ioc: fam.formerIoc, flows: 4, packets: 10, octets: 600, checkInFlows: 2, iocPort: 8443, pattern: '3/180' })));
    expect(stoppedFamilies('2026-11-04', contacts, new Set([fam.formerIoc]), t).map((f) => [f.formerIoc, f.members.length, f.port, f.pattern, f.lookupDay])).toEqual([[fam.formerIoc, 4, 8443, '3/180', '2026-11-05']]);
    expect(stoppedFamilies('2026-11-04', contacts, new Set(), t)).toEqual([]); // no longer listed: silence cannot be seen
    const oneStays = [...contacts, { ...contacts[0], day: '2026-11-04' }];
    expect(stoppedFamilies('2026-11-04', oneStays, new Set([fam.formerIoc]), t)).toEqual([]);
    expect(stoppedFamilies('2026-11-04', contacts.filter((c) => c.day !== '2026-11-02'), new Set([fam.formerIoc]), t)).toEqual([]);
  });
});
