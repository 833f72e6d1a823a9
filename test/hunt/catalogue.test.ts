import { describe, expect, it } from 'vitest';
import { buildCatalogue, headerBytes, huntedEntries, isBareShape, signatureStrength } from '../../src/hunt/catalogue.js';
import type { Anomaly } from '../../src/engine/types.js';

/** A stored attacker as the engine keeps it (only what the catalogue reads). */
function att(ip: string, signature: string | undefined, proto = 6, flows = 1000, role: Anomaly['role'] = 'attacker'): Pick<Anomaly, 'ip' | 'role' | 'signature' | 'features' | 'metrics'> {
  return {
    ip, role, signature,
    metrics: { flows, packets: 0, bytes: 0, distinctPeers: 0, distinctPorts: 0 },
    features: { protocols: [{ value: proto, share: 1 }], dstPorts: [], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 0, onePacket40Share: 0, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
  };
}

describe('the day\'s signature catalogue', () => {
  it('bare headers: 40 B for TCP, 28 B for UDP and ICMP; a shape with nothing beyond them is bare', () => {
    expect([headerBytes(6), headerBytes(17), headerBytes(1)]).toEqual([40, 28, 28]);
    expect(isBareShape(1, 40, 6)).toBe(true);
    expect(isBareShape(3, 120, 6)).toBe(true);
    expect(isBareShape(1, 44, 6)).toBe(false);
    expect(isBareShape(1, 28, 17)).toBe(true);
    expect(isBareShape(1, 40, 17)).toBe(false);
  });

  it('strength grows with packets, with bytes per packet above the header, and (slowly) with attackers', () => {
    const s = signatureStrength;
    expect(s(4, 240, 6, 1)).toBeGreaterThan(s(3, 152, 6, 1)); // more packets and more payload
    expect(s(3, 152, 6, 1)).toBeGreaterThan(s(3, 130, 6, 1)); // same packets, less payload
    expect(s(3, 152, 6, 2)).toBeGreaterThan(s(3, 152, 6, 1)); // bigger family
    expect(s(2, 200, 6, 1)).toBeGreaterThan(s(1, 100, 6, 1)); // same bytes per packet, more packets
    expect(s(1, 40, 6, 55)).toBeLessThan(s(1, 52, 6, 8)); // 55 lone SYNs are still weaker than a TCP option
    // The seeds' example: a common one-packet shape of 76 attackers does not outrank a rich shape of 2.
    expect(s(1, 48, 6, 76)).toBeLessThan(s(3, 152, 6, 2));
    // The UDP header is 28 B: the same shape means more payload over UDP.
    expect(s(1, 100, 17, 1)).toBeGreaterThan(s(1, 100, 6, 1));
    expect(s(3, 152, 6, 2)).toBe(11.36);
  });

  it('groups attackers by shape, ranks by strength, keeps bare shapes as weak, groups by port', () => {
    const c = buildCatalogue([
      att('222.74.48.230', '1433-3-152', 6, 5000),
      att('218.4.133.202', '1433-3-152', 6, 9000),
      att('125.64.94.220', '1433-1-40'),
      att('125.64.94.221', '1433-1-40'),
      att('185.232.67.11', '22-4-240'),
      att('103.207.36.130', '22-1-52'),
      att('185.232.67.11', '22-4-240', 6, 10), // the same attacker in another window: counted once
      att('192.0.2.10', '80-1-60', 6, 10, 'victim'), // victims' shapes are spoofed sources: not a catalogue shape
      att('192.0.2.11', undefined), // no dominant shape
      att('192.0.2.12', 'garbage'), // a stored document from elsewhere
    ]);
    expect(c.entries.map((e) => [e.signature, e.weak, e.attackers])).toEqual([
      ['22-4-240', false, ['185.232.67.11']],
      ['1433-3-152', false, ['218.4.133.202', '222.74.48.230']], // most flows first
      ['22-1-52', false, ['103.207.36.130']],
      ['1433-1-40', true, ['125.64.94.220', '125.64.94.221']],
    ]);
    expect(c.ports.map((p) => [p.port, p.entries.map((e) => e.signature)])).toEqual([
      [22, ['22-4-240', '22-1-52']],
      [1433, ['1433-3-152', '1433-1-40']],
    ]);
    expect(huntedEntries(c).map((e) => e.signature)).toEqual(['22-4-240', '1433-3-152', '22-1-52']);
    expect(huntedEntries(c, { includeWeak: true })).toHaveLength(4);
    expect(huntedEntries(c, { limit: 1 }).map((e) => e.signature)).toEqual(['22-4-240']);
  });

  it('the protocol most attackers of a shape used decides its header', () => {
    const udp = buildCatalogue([att('198.51.100.1', '5060-1-28', 17, 100), att('198.51.100.2', '5060-1-28', 17, 100), att('198.51.100.3', '5060-1-28', 6, 50)]);
    expect(udp.entries[0]).toMatchObject({ proto: 17, weak: true });
    const tcp = buildCatalogue([att('198.51.100.1', '5060-1-28', 6, 500), att('198.51.100.2', '5060-1-28', 17, 100)]);
    expect(tcp.entries[0]).toMatchObject({ proto: 6, weak: true }); // 28 < 40: still bare over TCP
    expect(buildCatalogue([att('198.51.100.1', '53-1-60', 17)]).entries[0].weak).toBe(false);
  });
});
