import { describe, expect, it } from 'vitest';
import { gobgpRuleArgs, nlriText, RuleError, ruleKey, ruleText, validateRule } from '../../src/flowspec/rule.js';
import { checkGuards, type GuardContext } from '../../src/flowspec/guards.js';
import { proposeRule } from '../../src/flowspec/propose.js';
import { parseTtl, ttlFor } from '../../src/flowspec/service.js';
import type { Anomaly } from '../../src/engine/types.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';

const ctx = (p: Partial<GuardContext> = {}): GuardContext => ({
  protectedPrefixes: ['192.0.2.0/26', '2001:db8:53::/48'], minPrefixV4: 24, minPrefixV6: 48, force: false, activeRules: 0, maxActiveRules: 10, changesLastMinute: 0, maxChangesPerMinute: 5, ...p,
});

describe('FlowSpec rule values', () => {
  it('validates into canonical values and gobgp argument arrays', () => {
    const r = validateRule({ destination: '198.51.100.10', protocol: 'tcp', destinationPort: '80', action: 'rate-limit', bytesPerSecond: 1000 });
    expect(r).toEqual({ family: 4, destination: '198.51.100.10/32', protocol: 6, destinationPort: 80, action: { kind: 'rate-limit', bytesPerSecond: 1000 } });
    expect(gobgpRuleArgs(r, 'add')).toEqual(['global', 'rib', '-a', 'ipv4-flowspec', 'add', 'match', 'destination', '198.51.100.10/32', 'protocol', 'tcp', 'destination-port', '==80', 'then', 'rate-limit', '1000']);
    expect(gobgpRuleArgs(r, 'del')).toEqual(['global', 'rib', '-a', 'ipv4-flowspec', 'del', 'match', 'destination', '198.51.100.10/32', 'protocol', 'tcp', 'destination-port', '==80']);
    expect(nlriText(r)).toBe('[destination: 198.51.100.10/32][protocol: ==tcp][destination-port: ==80]');
    const v6 = validateRule({ source: '2001:DB8:1::/48', packetLength: 152 });
    expect(nlriText(v6)).toBe('[source: 2001:db8:1::/48/0][packet-length: ==152]');
    expect(ruleKey(v6)).toBe('ipv6|[source: 2001:db8:1::/48/0][packet-length: ==152]');
    expect(ruleText(v6)).toBe('ipv6 src 2001:db8:1::/48 len 152 → discard');
  });

  it('an IPv6 address carrying an IPv4 one becomes an IPv4 rule (GoBGP would announce <nil>/128)', () => {
    for (const source of ['::ffff:198.51.100.7', '::ffff:c633:6407', '::198.51.100.7']) {
      const r = validateRule({ source, protocol: 'tcp', destinationPort: 22 });
      expect(r).toEqual({ family: 4, source: '198.51.100.7/32', protocol: 6, destinationPort: 22, action: { kind: 'discard' } });
      expect(gobgpRuleArgs(r, 'add').slice(0, 8)).toEqual(['global', 'rib', '-a', 'ipv4-flowspec', 'add', 'match', 'source', '198.51.100.7/32']);
    }
    expect(validateRule({ destination: '::ffff:198.51.100.0/120' }).destination).toBe('198.51.100.0/24');
    expect(() => validateRule({ source: '::ffff:198.51.100.7', destination: '2001:db8::1' })).toThrow(/source is IPv4 but destination is IPv6/);
  });

  it.each([
    [{ source: '10.0.0.1/8' }, /host bits/],
    [{ source: '0.0.0.0/0' }, /\/0 would match everything/],
    [{ source: '256.1.1.1' }, /not an IP/],
    [{ source: '198.51.100.1; gobgp global rib del all' }, /not an IP|prefix length/],
    [{ source: '198.51.100.1', destination: '2001:db8::1' }, /IPv4 but destination is IPv6/],
    [{ destination: '198.51.100.1', protocol: 'icmp', destinationPort: 80 }, /ports only make sense/],
    [{ destination: '198.51.100.1', destinationPort: 70000 }, /destination port/],
    [{}, /needs a source or a destination/],
    [{ destination: '198.51.100.1', community: '666' }, /community/],
  ])('refuses %j', (input, why) => {
    expect(() => validateRule(input as never)).toThrow(RuleError);
    expect(() => validateRule(input as never)).toThrow(why);
  });
});

describe('guards', () => {
  const r = (p: object) => validateRule(p as never);
  it.each([
    ['protected', r({ destination: '192.0.2.5' }), ctx(), /overlaps protected prefix 192\.0\.2\.0\/26/],
    ['protected v6', r({ source: '2001:db8:53:1::/64' }), ctx(), /overlaps protected/],
    ['protected mapped', r({ destination: '::ffff:192.0.2.5' }), ctx({ protectedPrefixes: ['::ffff:192.0.2.0/122'] }), /overlaps protected prefix ::ffff:192\.0\.2\.0\/122/],
    ['prefix-length', r({ source: '198.51.0.0/16' }), ctx(), /\/16 is shorter than \/24/],
    ['spoofed-source', r({ source: '198.51.100.7' }), ctx({ spoofedShare: 0.97 }), /97% of the sources look spoofed/],
    ['victim-bare-discard', r({ destination: '198.51.100.10' }), ctx({ victimIp: '198.51.100.10' }), /bare discard of victim/],
    ['max-rules', r({ source: '198.51.100.7' }), ctx({ activeRules: 10 }), /already 10 active rules/],
    ['churn', r({ source: '198.51.100.7' }), ctx({ changesLastMinute: 5 }), /5 rule changes in the last minute/],
  ])('%s refuses with a reason', (guard, rule, c, why) => {
    const res = checkGuards(rule, c)!;
    expect(res.guard).toBe(guard.split(' ')[0]);
    expect(res.reason).toMatch(why);
  });

  it.each([
    ['a narrow attacker block', r({ source: '198.51.100.7', protocol: 'tcp', destinationPort: 22 }), ctx()],
    ['a short prefix when forced', r({ source: '198.51.0.0/16' }), ctx({ force: true })],
    ['a victim rule narrowed by port', r({ destination: '198.51.100.10', protocol: 'tcp', destinationPort: 80 }), ctx({ victimIp: '198.51.100.10' })],
    ['a confirmed victim discard', r({ destination: '198.51.100.10' }), ctx({ victimIp: '198.51.100.10', confirmedVictimDiscard: true })],
  ])('lets through %s', (_n, rule, c) => expect(checkGuards(rule, c)).toBeUndefined());
});

describe('proposals and TTLs', () => {
  const base = (p: Partial<Anomaly>): Anomaly => ({
    ip: '203.0.113.9', role: 'attacker', type: 'scan', severity: 'over', score: 1, evidence: [], metrics: { flows: 1, packets: 1, bytes: 1, distinctPeers: 1, distinctPorts: 1 },
    features: { protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: 2375, share: 0.99 }], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
    ...p,
  });
  it('attacker → source match narrowed by its port; victim → destination, protocol, port, rate-limited', () => {
    expect(proposeRule(base({})).rule).toEqual({ family: 4, source: '203.0.113.9/32', protocol: 6, destinationPort: 2375, action: { kind: 'discard' } });
    const v = proposeRule(base({ ip: '198.51.100.10', role: 'victim', type: 'port-ddos-victim', features: { ...base({}).features, dstPorts: [{ value: 80, share: 1 }] }, victim: { distinctSources: 9000, spoofedShare: 0.98 } }), { victimRateBytesPerSecond: 5000 });
    expect(v.rule).toEqual({ family: 4, destination: '198.51.100.10/32', protocol: 6, destinationPort: 80, action: { kind: 'rate-limit', bytesPerSecond: 5000 } });
    expect(v.notes.join(' ')).toMatch(/98% of sources look spoofed/);
  });
  it('repeat offenders get doubling TTLs, capped; TTL text parses', () => {
    expect([1, 2, 3, 10].map((n) => ttlFor(n, flowspecDefaults))).toEqual([1800, 3600, 7200, 86400]);
    expect(ttlFor(2, flowspecDefaults, 600)).toBe(1200);
    expect(['30m', '2h', '1d', '90s', '45', 'x', '-5'].map((t) => parseTtl(t))).toEqual([1800, 7200, 86400, 90, 45, undefined, undefined]);
  });
});
