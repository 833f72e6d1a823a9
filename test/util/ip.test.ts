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
    expect(canonicalIp('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalIp('010.1.1.1')).toBeUndefined();
    expect(canonicalIp('example.com')).toBeUndefined();
  });

  // An IPv6 address carrying an IPv4 one names that IPv4 host (GoBGP would announce a mapped one as <nil>/128).
  it.each([
    ['::ffff:1.2.3.4', { family: 4, address: '1.2.3.4', length: 32 }],
    ['::FFFF:1.2.3.4', { family: 4, address: '1.2.3.4', length: 32 }],
    ['::ffff:102:304', { family: 4, address: '1.2.3.4', length: 32 }],
    ['0:0:0:0:0:ffff:1.2.3.4/128', { family: 4, address: '1.2.3.4', length: 32 }],
    ['::ffff:10.0.0.0/104', { family: 4, address: '10.0.0.0', length: 8 }],
    ['::ffff:0:0/96', { family: 4, address: '0.0.0.0', length: 0 }],
    ['::1.2.3.4', { family: 4, address: '1.2.3.4', length: 32 }],
    ['::1.2.3.0/120', { family: 4, address: '1.2.3.0', length: 24 }],
    // not IPv4-compatible: the unspecified address, loopback, 0.x.y.z, other prefixes of ::/96
    ['::', { family: 6, address: '::', length: 128 }],
    ['::1', { family: 6, address: '::1', length: 128 }],
    ['::2', { family: 6, address: '::2', length: 128 }],
    ['::/64', { family: 6, address: '::', length: 64 }],
    ['::fffe:1.2.3.4', { family: 6, address: '::fffe:102:304', length: 128 }],
    ['64:ff9b::1.2.3.4', { family: 6, address: '64:ff9b::102:304', length: 128 }],
  ])('maps %s', (text, p) => expect(parsePrefix(text)).toEqual(p));

  it.each([
    ['::ffff:0:0/95', /IPv4-mapped address with a prefix shorter than \/96/],
    ['::1.2.3.4/64', /IPv4-compatible address with a prefix shorter than \/96/],
    ['::ffff:10.0.0.1/104', /host bits set \(network is 10\.0\.0\.0\/8\)/],
  ])('refuses %s', (text, why) => expect(() => parsePrefix(text)).toThrow(why));

  it('canonical text maps embedded IPv4 whatever the notation', () => {
    expect(['::ffff:198.51.100.7', '::ffff:c633:6407', '::198.51.100.7', ' ::FFFF:198.51.100.7 '].map(canonicalIp)).toEqual(Array(4).fill('198.51.100.7'));
    expect(canonicalIp('::1')).toBe('::1');
    expect(canonicalIp('2001:db8::ffff:1.2.3.4')).toBe('2001:db8::ffff:102:304');
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
