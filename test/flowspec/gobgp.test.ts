import { describe, expect, it } from 'vitest';
import { gobgpdConfig, SpeakerError, tomlString, type ManagedGobgpd } from '../../src/flowspec/gobgp.js';

const base: ManagedGobgpd = { routerId: '192.0.2.254', as: 65001, listenAddress: '192.0.2.254', listenPort: 179, apiHost: '127.0.0.1', apiPort: 50051, neighbors: [] };

describe('gobgpd configuration (pure)', () => {
  it('writes canonical, escaped values and the TCP-MD5 key as auth-password', () => {
    const toml = gobgpdConfig({
      ...base,
      routerId: '::ffff:192.0.2.254',
      neighbors: [
        { address: '192.0.2.1', as: 65002, password: 'md5 "key" \\ x', port: 1179 },
        { address: '2001:DB8::0001', as: 4200000000, localAddress: '2001:db8::fe' },
      ],
    });
    expect(toml).toBe(
      [
        '[global.config]', '  as = 65001', '  router-id = "192.0.2.254"', '  port = 179', '  local-address-list = ["192.0.2.254"]',
        '[[neighbors]]', '  [neighbors.config]', '    neighbor-address = "192.0.2.1"', '    peer-as = 65002', '    auth-password = "md5 \\"key\\" \\\\ x"',
        '  [neighbors.transport.config]', '    local-address = "192.0.2.254"', '    remote-port = 1179',
        '  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', '      afi-safi-name = "ipv4-flowspec"',
        '  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', '      afi-safi-name = "ipv6-flowspec"',
        '[[neighbors]]', '  [neighbors.config]', '    neighbor-address = "2001:db8::1"', '    peer-as = 4200000000',
        '  [neighbors.transport.config]', '    local-address = "2001:db8::fe"',
        '  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', '      afi-safi-name = "ipv4-flowspec"',
        '  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', '      afi-safi-name = "ipv6-flowspec"',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [{ routerId: '127.0.0.1"\n[evil]\nx = "' }, /routerId: "127\.0\.0\.1\\"\\n\[evil\]\\nx = \\"" is not an IPv4 address/],
    [{ listenAddress: '0.0.0.0"]\nport = 1' }, /listenAddress: .* is not an IP address/],
    [{ neighbors: [{ address: '192.0.2.1', as: 65002, localAddress: '192.0.2.254" ' }] }, /neighbors\[0\]\.localAddress: .* is not an IP address/],
    [{ neighbors: [{ address: '192.0.2.1', as: 65002, password: 'a\u0000b' }] }, /neighbors\[0\]\.password: must be printable ASCII/],
    [{ as: 0, listenPort: 0 }, /as: 0 is not an AS number \(1-4294967295\); listenPort: 0 is not a port/],
  ])('refuses %j before writing anything', (over, why) => {
    expect(() => gobgpdConfig({ ...base, ...over } as ManagedGobgpd)).toThrow(SpeakerError);
    expect(() => gobgpdConfig({ ...base, ...over } as ManagedGobgpd)).toThrow(why);
  });

  it('escapes TOML basic strings', () => {
    expect(tomlString('a"b\\c\u0001\u007f')).toBe('"a\\"b\\\\c\\u0001\\u007f"');
  });
});
