import { describe, expect, it } from 'vitest';
import { batchFromRecords, flow } from '../../src/engine/batch.js';
import { DayHunt, huntDay } from '../../src/hunt/day-hunt.js';
import type { FlowRecord } from '../../src/engine/types.js';

const A = { signature: '1433-3-152', port: 1433, packets: 3, bytes: 152 };
const B = { signature: '5060-1-437', port: 5060, packets: 1, bytes: 437 };
const t0 = Date.UTC(2026, 10, 22);

/** `n` flows of a shape from `src` to distinct destinations. */
function member(src: string, n: number, shape: { port: number; packets: number; bytes: number }, over: Partial<FlowRecord> = {}, at = t0): FlowRecord[] {
  return Array.from({ length: n }, (_, i) => flow({ src, dst: `20.1.${i >> 8}.${i & 255}`, sport: 40000 + i, dport: shape.port, packets: shape.packets, bytes: shape.bytes, start: at + i * 1000, ...over }));
}

describe('the day-major hunt', () => {
  it('finds every signature in one pass: destinations, flows, source ports, files, first and last seen', async () => {
    const file1 = [...member('198.51.100.1', 30, A), ...member('198.51.100.2', 5, B), ...member('198.51.100.9', 50, { port: 443, packets: 3, bytes: 152 })];
    const file2 = [...member('198.51.100.1', 10, A, {}, t0 + 3_600_000), ...member('198.51.100.3', 8, A, { sport: 50000 }, t0 + 7_200_000)];
    // The same destinations again: flows add, destinations do not.
    const file3 = member('198.51.100.1', 10, A, {}, t0 + 9_000_000);
    const r = await huntDay([[batchFromRecords(file1)], [batchFromRecords(file2)], [batchFromRecords(file3)]], [A, B]);
    expect(r.files).toBe(3);
    expect(r.flows).toBe(file1.length + file2.length + file3.length);
    expect(r.matched).toBe(30 + 5 + 10 + 8 + 10);
    const [a, b] = r.signatures;
    expect(a.members).toEqual([
      { ip: '198.51.100.1', destinations: 30, flows: 50, sourcePorts: 30, files: 3, firstSeen: t0, lastSeen: t0 + 9_000_000 + 9000 },
      { ip: '198.51.100.3', destinations: 8, flows: 8, sourcePorts: 1, files: 1, firstSeen: t0 + 7_200_000, lastSeen: t0 + 7_200_000 + 7000 },
    ]);
    expect(b.members.map((m) => [m.ip, m.destinations])).toEqual([['198.51.100.2', 5]]);
    // Another port with the same packets and bytes is no member.
    expect(a.members.some((m) => m.ip === '198.51.100.9')).toBe(false);
  });

  it('ranks by destinations, then flows: a one-server client sinks to the bottom', async () => {
    const recs = [...member('198.51.100.5', 3, A), ...member('198.51.100.4', 40, A), ...Array.from({ length: 200 }, (_, i) => flow({ src: '198.51.100.6', dst: '192.0.2.14', sport: 41000 + i, dport: 1433, packets: 3, bytes: 152 }))];
    const r = await huntDay([[batchFromRecords(recs)]], [A]);
    expect(r.signatures[0].members.map((m) => [m.ip, m.destinations, m.flows])).toEqual([['198.51.100.4', 40, 40], ['198.51.100.5', 3, 3], ['198.51.100.6', 1, 200]]);
  });

  it('a service answering (from its own port or a well-known one) and a known server are not members, and are counted', async () => {
    const recs = [
      ...member('198.51.100.60', 40, B, { sport: 5060 }), // SIP proxy 5060 → 5060
      ...member('198.51.100.61', 20, A, { sport: 80 }), // from a well-known port
      ...member('198.51.100.62', 25, A), // a configured known server
      ...member('2001:db8::62', 5, A), // inside a known IPv6 prefix
      ...member('198.51.100.63', 7, A),
      ...member('2001:db9::1', 4, A), // an IPv6 member
    ];
    const r = await huntDay([[batchFromRecords(recs.filter((x) => !x.src.includes(':'))), batchFromRecords(recs.filter((x) => x.src.includes(':')).map((x) => ({ ...x, dst: `2001:db8:ff::${(x.sport % 65536).toString(16)}` })))]], [A, B], { knownServers: ['198.51.100.62', '2001:db8::/32'] });
    const [a, b] = r.signatures;
    expect(a.members.map((m) => [m.ip, m.destinations])).toEqual([['198.51.100.63', 7], ['2001:db9::1', 4]]);
    expect(a.serverReplyFlows).toBe(20);
    expect(a.knownServerFlows).toBe(30);
    expect(b.members).toEqual([]);
    expect(b.serverReplyFlows).toBe(40);
  });

  it('near shapes (same port and packets, bytes within ±N) are reported apart; a flow that is another catalogue shape is exact for it', async () => {
    const C = { signature: '1433-3-160', port: 1433, packets: 3, bytes: 160 };
    const recs = [...member('198.51.100.7', 9, { port: 1433, packets: 3, bytes: 156 }), ...member('198.51.100.8', 4, { port: 1433, packets: 3, bytes: 144 }), ...member('198.51.100.9', 6, C), ...member('198.51.100.10', 2, { port: 1433, packets: 3, bytes: 170 })];
    const off = await huntDay([[batchFromRecords(recs)]], [A, C]);
    expect(off.signatures[0].near).toBeUndefined();
    const r = await huntDay([[batchFromRecords(recs)]], [A, C], { near: 8 });
    const [a, c] = r.signatures;
    expect(a.members).toEqual([]);
    expect(a.near!.map((m) => [m.ip, m.destinations, m.bytes])).toEqual([['198.51.100.7', 9, [156]], ['198.51.100.8', 4, [144]]]);
    expect(c.members.map((m) => m.ip)).toEqual(['198.51.100.9']);
    // 144 is exactly 8 from 152 (inside); 156 is within 8 of 160 too: near both shapes; 170 is 10 away from 160: near neither.
    expect(c.near!.map((m) => m.ip)).toEqual(['198.51.100.7']);
  });

  it('bounds memory: at most memberCap members per signature, the rest counted as dropped', async () => {
    const recs = [...member('198.51.100.1', 10, A), ...member('198.51.100.2', 5, A), ...member('198.51.100.3', 4, A), ...member('198.51.100.2', 3, B)];
    const r = await huntDay([[batchFromRecords(recs)]], [A, B], { memberCap: 1 });
    expect(r.signatures[0].members.map((m) => m.ip)).toEqual(['198.51.100.1']);
    expect(r.signatures[0]).toMatchObject({ droppedSources: 2, droppedFlows: 9, flows: 10 });
    expect(r.signatures[1].members.map((m) => m.ip)).toEqual(['198.51.100.2']); // the cap is per signature
  });

  it('refuses shapes it cannot key and counts rows it never looks at', () => {
    expect(() => new DayHunt([{ signature: '1-5000-1', port: 1, packets: 5000, bytes: 1 }])).toThrow(/packets/);
    const h = new DayHunt([A]);
    h.beginFile();
    h.add(batchFromRecords([flow({ src: '198.51.100.1', dst: '192.0.2.1', dport: 1433, packets: 9000, bytes: 152 })]));
    expect(h.result()).toMatchObject({ flows: 1, matched: 0 });
  });
});
