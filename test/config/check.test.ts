import { describe, expect, it } from 'vitest';
import { checkConfig, SECTION_CHECKERS } from '../../src/config/check.js';
import { configDefaults, type NocflowConfig } from '../../src/config/schema.js';
import { mergeDeep } from '../../src/config/config.js';
import { speakerProblems } from '../../src/config/sections/flowspec.js';
import { thresholdProblems } from '../../src/config/sections/engine.js';
import { closest, mailReason, urlReason } from '../../src/config/validate.js';

const cfg = (over: unknown): NocflowConfig => mergeDeep(configDefaults, over) as NocflowConfig;
const neighbor = { address: '192.0.2.1', as: 65002 };

describe('semantic configuration check', () => {
  it('the defaults have no problem', () => expect(checkConfig(configDefaults)).toEqual([]));

  it.each([
    [{ engine: { inside: ['10.0.0.0/8', '10.0.0.0/33'] } }, 'engine.inside[1]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"'],
    [{ engine: { inside: ['140.110.26.0/16'] } }, 'engine.inside[0]: "140.110.26.0/16" has host bits set (network is 140.110.0.0/16)'],
    [{ engine: { inside: ['::ffff:0:0/95'] } }, 'engine.inside[0]: "::ffff:0:0/95" is an IPv4-mapped address with a prefix shorter than /96 (it would mix IPv4 and IPv6): write the IPv4 prefix'],
    [{ engine: { units: [{ prefix: 'campus-a', name: 'A' }] } }, 'engine.units[0].prefix: not an IP address or prefix: "campus-a"'],
    [{ engine: { units: [{ prefix: '10.1.0.0/16', name: ' ' }] } }, 'engine.units[0].name: must name the unit'],
    [{ engine: { knownServers: ['8.8.8.8', 'dns.google'] } }, 'engine.knownServers[1]: not an IP address or prefix: "dns.google"'],
    [{ engine: { thresholds: { 'scan.pears': 10 } } }, 'engine.thresholds.scan.pears: unknown threshold key (did you mean scan.peers?)'],
    [{ engine: { thresholds: { 'scan.peers': -1 } } }, 'engine.thresholds.scan.peers: -1 is not a number ≥ 0'],
    [{ engine: { thresholds: { 'scan.peers': '10' } } }, 'engine.thresholds.scan.peers: "10" is not a number ≥ 0'],
    [{ engine: { retrySeconds: 600, retryMaxSeconds: 60 } }, 'engine.retryMaxSeconds: 60 is shorter than engine.retrySeconds (600)'],
    [{ engine: { nfdumpBin: '' } }, 'engine.nfdumpBin: must name the nfdump binary'],
    [{ flowspec: { protectedPrefixes: ['192.0.2.0/24', '192.0.2.300'] } }, 'flowspec.protectedPrefixes[1]: not an IP address or prefix: "192.0.2.300"'],
    [{ flowspec: { routerId: '2001:db8::1' } }, 'flowspec.routerId: "2001:db8::1" is not an IPv4 address'],
    [{ flowspec: { routerId: '127.0.0.1" \n[evil]' } }, 'flowspec.routerId: "127.0.0.1\\" \\n[evil]" is not an IPv4 address'],
    [{ flowspec: { listenAddress: 'localhost' } }, 'flowspec.listenAddress: "localhost" is not an IP address'],
    [{ flowspec: { apiHost: 'bad host' } }, 'flowspec.apiHost: "bad host" is neither an IP address nor a host name'],
    [{ flowspec: { neighbors: [{ address: '192.0.2.1/32', as: 65002 }] } }, 'flowspec.neighbors[0].address: "192.0.2.1/32" is not an IP address'],
    [{ flowspec: { neighbors: [neighbor, { ...neighbor }] } }, 'flowspec.neighbors[1].address: 192.0.2.1 is also flowspec.neighbors[0]'],
    [{ flowspec: { neighbors: [{ ...neighbor, localAddress: '2001:db8::1' }] } }, 'flowspec.neighbors[0].localAddress: 2001:db8::1 and the neighbor 192.0.2.1 are of different address families'],
    [{ flowspec: { neighbors: [{ address: '2001:db8::2', as: 65002 }] } }, 'flowspec.neighbors[0].address: 2001:db8::2 cannot be reached from flowspec.listenAddress 127.0.0.1 (another address family): set flowspec.neighbors[0].localAddress'],
    [{ flowspec: { neighbors: [{ ...neighbor, password: 'x'.repeat(81) }] } }, 'flowspec.neighbors[0].password: is 81 characters long; TCP-MD5 keys are at most 80'],
    [{ flowspec: { neighbors: [{ ...neighbor, password: 'line\nbreak' }] } }, 'flowspec.neighbors[0].password: must be printable ASCII (no control characters)'],
    [{ flowspec: { defaultTtlSeconds: 7200, maxTtlSeconds: 3600 } }, 'flowspec.maxTtlSeconds: 3600 is shorter than flowspec.defaultTtlSeconds (7200)'],
    [{ devices: { list: [{ name: 'gw', host: 'gw_1.campus', user: 'noc', kind: 'ios', password: 'p' }] } }, 'devices.list[0].host: "gw_1.campus" is neither an IP address nor a host name'],
    [{ devices: { list: [{ name: 'gw', host: '192.0.2.9', user: 'noc', kind: 'ios' }] } }, 'devices.list[0]: gw has neither keyFile nor password'],
    [{ devices: { allowMacs: [{ mac: 'aa:bb:cc', role: 'mobile' }] } }, 'devices.allowMacs[0].mac: "aa:bb:cc" is not a MAC address'],
    [{ elasticsearch: { node: 'ftp://es:9200' } }, 'elasticsearch.node: "ftp://es:9200": the scheme must be http or https'],
    [{ elasticsearch: { node: 'es.example:9200' } }, 'elasticsearch.node: "es.example:9200": the scheme must be http or https'],
    [{ elasticsearch: { flowIndex: 'netflow-daily' } }, 'elasticsearch.flowIndex: "netflow-daily" lacks {YYYY.MM.DD} (the UTC day of each daily index)'],
    [{ elasticsearch: { indexPrefix: 'NocFlow' } }, 'elasticsearch.indexPrefix: "NocFlow" is not an index name (lower case letters, digits, . _ -)'],
  ])('%j → %s', (over, line) => expect(checkConfig(cfg(over))).toEqual([line]));

  it.each([
    { engine: { inside: ['10.0.0.0/8', '2001:db8::/32', '::ffff:192.168.0.0/112'], units: [{ prefix: '10.1.0.0/16', name: 'A' }], knownServers: ['8.8.8.8'], thresholds: { 'scan.peers': 2000 } } },
    { flowspec: { routerId: '192.0.2.254', listenAddress: '::1', neighbors: [{ address: '2001:db8::2', as: 4200000000, password: 'md5 "key" \\ ok' }] } },
    { flowspec: { mode: 'external', listenAddress: 'not checked in external mode', apiHost: 'gobgp.noc.example' } },
    { devices: { list: [{ name: 'gw', host: 'gw-1.campus.example', port: 2222, user: 'noc', kind: 'ios', keyFile: '/k' }], allowMacs: [{ mac: 'aabb.ccdd.eeff', role: 'router' }] } },
    { elasticsearch: { node: 'https://user:pw@[2001:db8::9]:9200', flowIndex: 'netflow-{YYYY.MM.DD}' } },
  ])('accepts %j', (over) => expect(checkConfig(cfg(over))).toEqual([]));

  it('reports every violation, not the first', () => {
    const lines = checkConfig(cfg({ engine: { inside: ['x', 'y'], thresholds: { nope: 1 } }, flowspec: { routerId: 'r' } }));
    expect(lines.map((l) => l.split(':')[0])).toEqual(['engine.inside[0]', 'engine.inside[1]', 'engine.thresholds.nope', 'flowspec.routerId']);
  });

  it('a section checker is one entry of the registry; one that throws is reported, not fatal', () => {
    const checkers = [...SECTION_CHECKERS, { section: 'alerts', check: (c: NocflowConfig) => ((c.alerts as { to?: string })?.to === 'x' ? ['alerts.to: "x" is not a mail address'] : []) }, { section: 'hunt', check: () => { throw new Error('boom'); } }];
    expect(checkConfig(cfg({ alerts: { to: 'x' } }), checkers)).toEqual(['alerts.to: "x" is not a mail address', 'hunt: cannot be checked (boom)']);
    expect(SECTION_CHECKERS.map((c) => c.section)).toEqual(['engine', 'devices', 'elasticsearch', 'flowspec', 'limits', 'alerts', 'hunt', 'ioc']);
  });

  it('speaker settings are checked under any prefix (gobgp.ts refuses a TOML from bad ones)', () => {
    expect(speakerProblems({ routerId: '10.0.0.1', as: 0, listenAddress: '10.0.0.1', listenPort: 179, apiHost: '127.0.0.1', apiPort: 70000, neighbors: [] })).toEqual(['as: 0 is not an AS number (1-4294967295)', 'apiPort: 70000 is not a port (1-65535)']);
  });

  it('threshold problems for the --threshold flag name the flag', () => {
    expect(thresholdProblems({ 'scan.pears': 10, 'many-peers.peers': 10 }, '--threshold')).toEqual(['--threshold.scan.pears: unknown threshold key (did you mean scan.peers?)']);
  });

  it.each([
    ['noc@twaren.example', undefined],
    ['first.last+tag@mail.campus.edu.tw', undefined],
    ['noc@localhost', '"noc@localhost" is not a mail address'],
    ['NOC <noc@twaren.example>', '"NOC <noc@twaren.example>" is not a mail address'],
    ['noc@twaren.example\r\nBcc: x@y.z', '"noc@twaren.example\\r\\nBcc: x@y.z" is not a mail address'],
  ])('mail address %j', (v, why) => expect(mailReason(v)).toBe(why));

  it.each([
    ['https://hooks.example/notify?x=1', undefined],
    ['javascript:alert(1)', '"javascript:alert(1)": the scheme must be http or https'],
    ['http://', '"http://" is not a URL'],
  ])('URL %j', (v, why) => expect(urlReason(v)).toBe(why));

  it('"did you mean" picks the nearest key within two edits', () => {
    expect(closest('scan.pears', ['scan.peers', 'scan.ports'])).toBe('scan.peers');
    expect(closest('completely.else', ['scan.peers'])).toBeUndefined();
  });
});
