import { describe, expect, it } from 'vitest';
import { openDb, migrate } from '../../src/store/db.js';
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
});
