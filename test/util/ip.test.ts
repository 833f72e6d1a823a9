import { describe, expect, it } from 'vitest';
import { canonicalIp, parsePrefix, prefixContains, prefixesOverlap, PrefixSet } from '../../src/util/ip.js';

describe('ip helpers', () => {
  it.each([
    ['10.0.0.0/8', { family: 4, address: '10.0.0.0', length: 8 }],
    ['192.0.2.7', { family: 4, address: '192.0.2.7', length: 32 }],
    ['2001:DB8::/32', { family: 6, address: '2001:db8::', length: 32 }],
    ['2001:db8:0:0:0:0:0:1', { family: 6, address: '2001:db8::1', length: 128 }],
  ])('parses %s', (text, p) => expect(parsePrefix(text)).toEqual(p));

  it.each(['10.0.0.1/8', '256.1.1.1', '1.2.3', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/-1', '10.0.0.0/8; rm -rf /', '', 'fe80::1%eth0'])(
    'refuses %s',
    (text) => expect(() => parsePrefix(text)).toThrow(),
  );

  it('canonicalizes addresses and rejects garbage', () => {
    expect(canonicalIp('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalIp('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
    expect(canonicalIp('010.1.1.1')).toBeUndefined();
    expect(canonicalIp('example.com')).toBeUndefined();
  });

  it('containment and overlap', () => {
    expect(prefixContains(parsePrefix('10.20.0.0/16'), '10.20.255.1')).toBe(true);
    expect(prefixContains(parsePrefix('10.20.0.0/16'), '10.21.0.1')).toBe(false);
    expect(prefixesOverlap(parsePrefix('10.0.0.0/8'), parsePrefix('10.1.2.0/24'))).toBe(true);
    expect(prefixesOverlap(parsePrefix('10.0.0.0/8'), parsePrefix('11.0.0.0/8'))).toBe(false);
    expect(prefixesOverlap(parsePrefix('10.0.0.0/8'), parsePrefix('::/0'))).toBe(false);
    expect(prefixContains(parsePrefix('2001:db8::/32'), '2001:db8:ffff::1')).toBe(true);
  });

  it('PrefixSet answers with the most specific tag', () => {
    const s = new PrefixSet([{ prefix: '140.110.0.0/16', tag: 'NCHC' }, { prefix: '140.110.26.0/24', tag: 'lab' }, { prefix: '2001:db8::/32', tag: 'v6' }]);
    expect(s.match('140.110.26.68')).toBe('lab');
    expect(s.match('140.110.1.1')).toBe('NCHC');
    expect(s.match('2001:db8::5')).toBe('v6');
    expect(s.match('8.8.8.8')).toBeUndefined();
  });
});
