import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openDb, migrate } from '../../src/store/db.js';
import { allMigrations } from '../../src/store/migrations/index.js';
import { EngineStore } from '../../src/store/engine-store.js';
import type { Anomaly, WindowResult } from '../../src/engine/types.js';

const anomaly = (ip: string, type: Anomaly['type'] = 'scan'): Anomaly => ({
  ip, role: 'attacker', type, severity: 'over', score: 10, evidence: [],
  metrics: { flows: 1, packets: 1, bytes: 40, distinctPeers: 1, distinctPorts: 1 },
  features: { protocols: [], dstPorts: [], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 0, dstPorts: 0, packets: 0, bytes: 0 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
});
const win = (slot: number, ips: string[]): WindowResult => ({ window: { timeSlot: slot, start: slot * 300 - 150, end: slot * 300 + 150 }, flows: 10, packets: 10, bytes: 400, distinctIps: 5, anomalies: ips.map((ip) => anomaly(ip)) });

describe('engine store', () => {
  it('migrations are recorded by id and applied once', () => {
    const db = openDb(':memory:');
    expect(migrate(db)).toEqual([]);
    const ids = (db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id);
    expect(ids).toContain('engine-001');
    expect(ids).toContain('engine-002');
    expect(ids).toContain('engine-003');
    const cols = (db.prepare('PRAGMA table_info(processed_files)').all() as { name: string }[]).map((c) => c.name);
    expect(cols).toEqual(expect.arrayContaining(['path', 'status', 'error', 'file_size', 'file_mtime', 'attempts', 'deferrals', 'next_attempt_at']));
  });

  it('windows by slot, by offset, history by IP and prefix, presence for sparklines', () => {
    const s = new EngineStore(openDb(':memory:'));
    s.commitWindow('/d/nfcapd.1', win(100, ['10.0.0.1', '10.0.1.9']), 1);
    s.commitWindow('/d/nfcapd.2', win(101, ['10.0.0.1']), 2);
    s.commitWindow('/d/nfcapd.3', win(103, ['192.0.2.1']), 3);
    expect(s.latestWindow()!.window.timeSlot).toBe(103);
    expect(s.windowByOffset(-1)!.window.timeSlot).toBe(101);
    expect(s.windowByOffset(-5)).toBeUndefined();
    expect(s.windowAtSlot(102)!.window.timeSlot).toBe(101);
    expect(s.history('10.0.0.1').map((h) => h.timeSlot)).toEqual([101, 100]);
    expect(s.history('10.0.0.1')[0].anomaly.tracking).toEqual({ firstSeenSlot: 100, windowsSeen: 2, shareAbove: 1, streak: 2 });
    expect(s.history('10.0.0.0/16').map((h) => h.anomaly.ip).sort()).toEqual(['10.0.0.1', '10.0.0.1', '10.0.1.9']);
    expect(() => s.history('10.0.0.999')).toThrow();
    expect(s.presence('10.0.0.1', 'scan', 103, 4)).toEqual([1, 1, 0, 0]);
  });

  it('false-positive verdicts and pruning', () => {
    const s = new EngineStore(openDb(':memory:'));
    s.setVerdict({ ip: '10.0.0.1', type: 'scan', reason: 'our vulnerability scanner', who: 'alice', at: 5 });
    s.setVerdict({ ip: '10.0.0.1', type: 'scan', reason: 'the Nessus box', who: 'bob', at: 6 });
    expect(s.verdicts()).toEqual([{ ip: '10.0.0.1', type: 'scan', reason: 'the Nessus box', who: 'bob', at: 6 }]);
    s.clearVerdict('10.0.0.1', 'scan');
    expect(s.verdicts()).toEqual([]);
    s.commitWindow('/d/a', win(100, ['10.0.0.1']), 1);
    s.commitWindow('/d/b', win(200, ['10.0.0.1']), 1);
    expect(s.prune(150)).toBe(1);
    expect(s.history('10.0.0.1').map((h) => h.timeSlot)).toEqual([200]);
  });

  it('re-processing a file replaces its window and never counts tracking twice, also for an older slot', () => {
    const s = new EngineStore(openDb(':memory:'));
    s.commitWindow('/d/nfcapd.a', win(100, ['10.0.0.1']), 1);
    s.commitWindow('/d/nfcapd.b', win(101, ['10.0.0.1']), 1);
    s.commitWindow('/d/nfcapd.c', win(103, ['10.0.0.1']), 1);
    const before = s.latestWindow()!.anomalies[0].tracking;
    expect(before).toEqual({ firstSeenSlot: 100, windowsSeen: 3, shareAbove: 3 / 4, streak: 1 });
    // The older file again (slot 101 < last slot 103), and the newest again: nothing added.
    s.commitWindow('/d/nfcapd.b', win(101, ['10.0.0.1']), 2);
    s.commitWindow('/d/nfcapd.c', win(103, ['10.0.0.1']), 2);
    expect(s.listWindows()).toHaveLength(3);
    expect(s.latestWindow()!.anomalies[0].tracking).toEqual(before);
    // A second file of an already counted slot does not count it again; a new late slot does.
    s.commitWindow('/d/nfcapd.b2', win(101, ['10.0.0.1']), 3);
    s.commitWindow('/d/nfcapd.x', win(102, ['10.0.0.1']), 3);
    // Each stored anomaly keeps the tracking as of its own commit: the late slot-102 one saw 4 windows.
    expect(s.history('10.0.0.1').find((h) => h.timeSlot === 102)!.anomaly.tracking).toMatchObject({ windowsSeen: 4 });
    const row = s.db.prepare('SELECT first_slot, last_slot, windows_seen, streak FROM tracking').all();
    expect(row).toEqual([{ first_slot: 100, last_slot: 103, windows_seen: 4, streak: 1 }]);
  });

  it('pruning forgets tracking last seen before the cut-off and keeps the rest', () => {
    const s = new EngineStore(openDb(':memory:'));
    s.commitWindow('/d/a', win(100, ['10.0.0.1', '10.0.0.2']), 1);
    s.commitWindow('/d/b', win(200, ['10.0.0.2']), 1);
    expect(s.prune(150)).toBe(1);
    expect((s.db.prepare('SELECT ip, windows_seen FROM tracking ORDER BY ip').all())).toEqual([{ ip: '10.0.0.2', windows_seen: 2 }]);
    expect(s.db.prepare('SELECT count(*) AS n FROM anomalies').get()).toEqual({ n: 1 });
    // 10.0.0.1 comes back later: a fresh start.
    s.commitWindow('/d/c', win(300, ['10.0.0.1']), 1);
    expect(s.history('10.0.0.1')[0].anomaly.tracking).toEqual({ firstSeenSlot: 300, windowsSeen: 1, shareAbove: 1, streak: 1 });
  });

  it('verdicts are keyed by canonical IP and invalid addresses are refused', () => {
    const s = new EngineStore(openDb(':memory:'));
    s.setVerdict({ ip: '2001:DB8:0:0::1', type: 'many-peers', reason: 'resolver', who: 'alice', at: 1 });
    expect(s.falsePositiveKeys()).toEqual(new Set(['2001:db8::1|many-peers']));
    expect(() => s.setVerdict({ ip: '10.0.0.300', type: 'scan', reason: 'x', who: 'a', at: 1 })).toThrow(/not an IP/);
    expect(s.verdicts()).toHaveLength(1);
  });

  it('a failed file can later be recorded done; failures list only what is still failed', () => {
    const s = new EngineStore(openDb(':memory:'));
    s.recordFailure('/d/nfcapd.1', 'bad magic', 5, { size: 120, mtimeMs: 1700000000123.6 });
    expect(s.fileStatus('/d/nfcapd.1')).toBe('failed');
    expect(s.failedStamps()).toEqual([{ path: '/d/nfcapd.1', size: 120, mtimeMs: 1700000000123 }]);
    expect(s.knownFiles()).toEqual(new Set(['/d/nfcapd.1']));
    s.commitWindow('/d/nfcapd.1', win(100, []), 6);
    expect(s.fileStatus('/d/nfcapd.1')).toBe('done');
    expect(s.failures()).toEqual([]);
  });

  it('the ledger: an attempt is counted before reading, an ended attempt resets it; deferrals count up; quarantine keeps the count', () => {
    const s = new EngineStore(openDb(':memory:'));
    expect([s.beginAttempt('/d/a', 1), s.beginAttempt('/d/a', 2)]).toEqual([1, 2]);
    expect(s.fileEntry('/d/a')).toMatchObject({ status: 'started', attempts: 2, deferrals: 0, at: 2 });
    expect(s.settledFiles()).toEqual(new Set());
    expect(s.recordDeferral('/d/a', 'nfdump was killed (SIGKILL)', 3, (n) => 3 + n * 1000)).toBe(1);
    expect(s.recordDeferral('/d/a', 'nfdump was killed (SIGKILL)', 4, (n) => 4 + n * 1000)).toBe(2);
    expect(s.fileEntry('/d/a')).toMatchObject({ status: 'deferred', attempts: 0, deferrals: 2, nextAttemptAt: 2004, error: 'nfdump was killed (SIGKILL)' });
    s.beginAttempt('/d/a', 5);
    s.commitWindow('/d/a', win(100, []), 6);
    expect(s.fileEntry('/d/a')).toMatchObject({ status: 'done', attempts: 0, deferrals: 0, nextAttemptAt: null, error: null });
    for (let i = 0; i < 3; i++) s.beginAttempt('/d/b', i);
    s.quarantine('/d/b', 'too large for this host', 9, { size: 10, mtimeMs: 20 });
    expect(s.settledFiles(4).has('/d/b')).toBe(false);
    expect(s.fileEntry('/d/b')).toMatchObject({ status: 'quarantined', attempts: 3, error: 'too large for this host', size: 10, mtimeMs: 20 });
    s.recordFailure('/d/c', 'bad magic', 10);
    expect(s.settledFiles()).toEqual(new Set(['/d/a', '/d/b', '/d/c']));
    expect(s.failedStamps().map((f) => f.path).sort()).toEqual(['/d/b', '/d/c']);
    s.recordDeferral('/d/e', 'configuration: inside[0]: bad', 11, () => 99);
    expect(s.heldFiles().map((f) => [f.path, f.status])).toEqual([['/d/e', 'deferred'], ['/d/b', 'quarantined']]);
    expect(s.ledgerCounts()).toEqual({ started: 0, done: 1, failed: 1, deferred: 1, quarantined: 1 });
    expect(s.failures().map((f) => f.path)).toEqual(['/d/c']);
  });

  it('engine-003 turns old failures that were never the file\'s into deferrals, keeps the rest', () => {
    const db = new Database(':memory:');
    migrate(db, allMigrations.filter((m) => m.id === 'engine-001' || m.id === 'engine-002'));
    const put = db.prepare("INSERT INTO processed_files (path, status, error, processed_at, file_size) VALUES (?, ?, ?, 1, 7)");
    put.run('/d/1', 'failed', 'analysis failed: IPv4 prefix length 33 > 32 in "10.0.0.0/33"');
    put.run('/d/2', 'failed', 'cannot run nfdump (not found)');
    put.run('/d/3', 'failed', 'nfdump was killed (SIGKILL)');
    put.run('/d/4', 'failed', 'Open file /d/4: bad magic: 0x424D');
    put.run('/d/5', 'done', null);
    expect(migrate(db)).toContain('engine-003');
    const s = new EngineStore(db);
    expect(['/d/1', '/d/2', '/d/3', '/d/4', '/d/5'].map((p) => s.fileStatus(p))).toEqual(['deferred', 'deferred', 'deferred', 'failed', 'done']);
    expect(s.fileEntry('/d/4')).toMatchObject({ size: 7, attempts: 0, deferrals: 0, nextAttemptAt: null });
    expect(() => db.prepare("INSERT INTO processed_files (path, status, processed_at) VALUES ('/d/6', 'lost', 1)").run()).toThrow(/CHECK/);
  });

  it('prefix history spans many IPs (more than one query chunk), newest first, limited, IPv6 too', () => {
    const s = new EngineStore(openDb(':memory:'));
    const ips = Array.from({ length: 700 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    s.commitWindow('/d/a', win(100, ips.slice(0, 400)), 1);
    s.commitWindow('/d/b', win(101, [...ips.slice(400), '10.2.0.1', '2001:db8::7']), 1);
    const h = s.history('10.1.0.0/16', 1000);
    expect(h).toHaveLength(700);
    expect(h.slice(0, 300).every((x) => x.timeSlot === 101)).toBe(true);
    expect(h.slice(300).every((x) => x.timeSlot === 100)).toBe(true);
    expect(s.history('10.1.0.0/16', 5).map((x) => x.timeSlot)).toEqual([101, 101, 101, 101, 101]);
    expect(s.history('2001:db8::/32').map((x) => x.anomaly.ip)).toEqual(['2001:db8::7']);
    expect(s.history('192.0.2.0/24')).toEqual([]);
  });
});

describe('engine store: what a window reported beyond its summary', () => {
  it('keeps degraded (and a partial read) with the window, and a window without them reads back without them', () => {
    const s = new EngineStore(openDb(':memory:'));
    const degraded = { victimSources: { limit: 8192, candidates: 2, largest: 1_200_000 } };
    s.commitWindow('/nf/nfcapd.202611221405', { ...win(100, ['192.0.2.10']), degraded, partial: { reason: 'truncated block', blocksRead: 3, blocksExpected: 9 } }, 1);
    s.commitWindow('/nf/nfcapd.202611221410', win(101, []), 2);
    const first = s.windowAtSlot(100)!;
    expect(first.degraded).toEqual(degraded);
    expect(first.partial).toEqual({ reason: 'truncated block', blocksRead: 3, blocksExpected: 9 });
    expect('degraded' in s.latestWindow()!).toBe(false);
  });
});
