import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseEosArp,
  parseIosArp,
  parseIosMac,
  parseIosXrArp,
  parseJunosArp,
  parseJunosMac,
  parseNxosArp,
  parseNxosMac,
  parseTable,
} from '../../src/devices/parsers.js';
import { normalizeMac } from '../../src/devices/mac.js';
import { DEVICE_KINDS, KIND_PROFILES, commandsFor, isRefused } from '../../src/devices/kinds.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fx = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

describe('normalizeMac', () => {
  it.each([
    ['5254.00a7.574d', '52:54:00:a7:57:4d'],
    ['D0:94:66:73:12:D9', 'd0:94:66:73:12:d9'],
    ['d0-94-66-73-12-d9', 'd0:94:66:73:12:d9'],
    ['D094667312D9', 'd0:94:66:73:12:d9'],
    ['0000.0000.0000', '00:00:00:00:00:00'],
  ])('%s → %s', (a, b) => expect(normalizeMac(a)).toBe(b));
  it.each(['Incomplete', '5254.00a7.574', '52:54:00:a7:57', 'zz:54:00:a7:57:4d', '52:54-00:a7:57:4d', ''])('refuses %j', (a) =>
    expect(normalizeMac(a)).toBeUndefined(),
  );
});

describe('IOS show arp (the seeds\' L3 switch)', () => {
  const r = parseIosArp(fx('ios-arp-seed-l3switch.txt'));
  it('reads all 13 entries, none skipped', () => {
    expect(r.entries).toHaveLength(13);
    expect(r.skipped).toBe(0);
  });
  it('maps Incomplete to the zero MAC with no interface, and `-` age to the interface address', () => {
    expect(r.entries.filter((e) => e.state === 'Incomplete').map((e) => e.ip)).toEqual([
      '192.168.205.104', '192.168.205.107', '192.168.205.115', '192.168.205.116', '192.168.205.117', '192.168.205.118',
    ]);
    expect(r.entries.find((e) => e.ip === '192.168.205.104')).toEqual({
      ip: '192.168.205.104', mac: '00:00:00:00:00:00', state: 'Incomplete', ageSeconds: 0, interface: '', vlan: null,
    });
    expect(r.entries.find((e) => e.ip === '192.168.204.97')).toMatchObject({ state: 'Interface', ageSeconds: null, interface: 'Gi1/0/3', mac: '84:b2:61:e3:50:d8' });
  });
  it('converts minutes to seconds and VLAN interfaces to VLAN ids', () => {
    expect(r.entries.find((e) => e.ip === '192.168.205.105')).toEqual({
      ip: '192.168.205.105', mac: '00:50:56:b4:be:5d', state: 'Dynamic', ageSeconds: 244 * 60, interface: 'Vlan10', vlan: 10,
    });
    expect(r.entries.filter((e) => e.vlan === 2)).toHaveLength(2);
  });
});

describe('IOS-XR show arp (the seeds\' gateway)', () => {
  const r = parseIosXrArp(fx('iosxr-arp-seed-gateway.txt'));
  it('reads all 15 entries with their states', () => {
    expect(r.skipped).toBe(0);
    expect(r.entries).toHaveLength(15);
    const count = (s: string) => r.entries.filter((e) => e.state === s).length;
    expect([count('Interface'), count('Dynamic'), count('Incomplete'), count('Deleted')]).toEqual([1, 2, 7, 5]);
  });
  it('parses hh:mm:ss ages and keeps the zero MAC', () => {
    expect(r.entries.find((e) => e.ip === '211.79.60.27')!.ageSeconds).toBe(2 * 3600 + 49 * 60 + 4);
    expect(r.entries.find((e) => e.ip === '211.79.60.29')).toEqual({
      ip: '211.79.60.29', mac: '00:00:00:00:00:00', state: 'Incomplete', ageSeconds: 4, interface: 'TenGigE0/5/0/3', vlan: null,
    });
    expect(r.entries.find((e) => e.ip === '211.73.94.2')).toMatchObject({ state: 'Deleted', ageSeconds: null, interface: 'Bundle-Ether60' });
  });
  it('ignores the node banner XR prints before the table', () => {
    const n = parseIosXrArp(fx('iosxr-arp-with-node-header.txt'));
    expect(n.entries.map((e) => e.state)).toEqual(['Interface', 'Dynamic', 'Incomplete']);
    expect(n.skipped).toBe(0);
  });
});

describe('NX-OS show mac address-table (the seeds\' Nexus 5672)', () => {
  const r = parseNxosMac(fx('nxos-mac-seed-n5672.txt'));
  it('reads all 13 rows including the gateway MAC', () => {
    expect(r.skipped).toBe(0);
    expect(r.entries).toHaveLength(13);
    expect(r.entries.filter((e) => e.vlan === 2000)).toHaveLength(6);
    expect(r.entries.at(-1)).toEqual({ mac: '40:06:d5:c5:51:1f', vlan: null, type: 'static', ports: ['sup-eth1(R)'], ageSeconds: null, flags: ['G'], system: true });
    expect(r.entries[9]).toEqual({ mac: '24:6e:96:05:03:dc', vlan: 612, type: 'dynamic', ports: ['Eth1/38'], ageSeconds: 430, flags: ['*'], system: false });
    expect(r.entries.filter((e) => e.system)).toHaveLength(1);
  });
  it('reads the newer layout with its legend and a vPC peer-link port', () => {
    const n = parseNxosMac(fx('nxos-mac-legend.txt'));
    expect(n.skipped).toBe(0);
    expect(n.entries.map((e) => [e.flags, e.vlan, e.ports, e.system])).toEqual([
      [['*'], 10, ['Eth1/1'], false],
      [['+'], 20, ['vPC Peer-Link'], false],
      [['G'], null, ['sup-eth1(R)'], true],
    ]);
  });
});

describe('other kinds in their vendors\' formats', () => {
  it('NX-OS show ip arp: legend ignored, INCOMPLETE, flags', () => {
    const r = parseNxosArp(fx('nxos-arp.txt'));
    expect(r.skipped).toBe(0);
    expect(r.entries.map((e) => [e.ip, e.state, e.ageSeconds, e.vlan])).toEqual([
      ['198.51.100.1', 'Interface', null, 10],
      ['198.51.100.20', 'Dynamic', 92, 10],
      ['198.51.100.21', 'Incomplete', 5, 10],
      ['198.51.100.22', 'Dynamic', 17 * 60 + 40, 20],
    ]);
    expect(r.entries[2].mac).toBe('00:00:00:00:00:00');
  });
  it('NX-OS 9 show ip arp with the Physical Interface column', () => {
    const r = parseNxosArp(fx('nxos-arp-physical.txt'));
    expect(r.skipped).toBe(0);
    expect(r.entries.map((e) => [e.ip, e.interface, e.port, e.vlan, e.state])).toEqual([
      ['198.51.100.30', 'Vlan30', 'Ethernet1/5', 30, 'Dynamic'],
      ['198.51.100.31', 'Vlan30', 'port-channel10', 30, 'Dynamic'],
      ['198.51.100.1', 'Vlan30', undefined, 30, 'Interface'],
    ]);
  });
  it('IOS show mac address-table', () => {
    const r = parseIosMac(fx('ios-mac.txt'));
    expect(r.skipped).toBe(0);
    expect(r.entries.map((e) => [e.vlan, e.mac, e.type, e.ports, e.system])).toEqual([
      [null, '01:00:0c:cc:cc:cc', 'static', ['CPU'], true],
      [10, '00:50:56:b4:1a:2b', 'dynamic', ['Gi1/0/5'], false],
      [20, '00:50:56:b4:1a:2c', 'dynamic', ['Gi1/0/7'], false],
    ]);
  });
  it('EOS show ip arp: physical port after the SVI, N/A age', () => {
    const r = parseEosArp(fx('eos-arp.txt'));
    expect(r.skipped).toBe(0);
    expect(r.entries).toEqual([
      { ip: '203.0.113.2', mac: '00:1c:73:00:00:01', state: 'Dynamic', ageSeconds: 72, interface: 'Vlan10', port: 'Ethernet1', vlan: 10 },
      { ip: '203.0.113.3', mac: '00:1c:73:00:00:02', state: 'Static', ageSeconds: null, interface: 'Vlan10', vlan: 10 },
      { ip: '203.0.113.4', mac: '00:1c:73:00:00:03', state: 'Dynamic', ageSeconds: 9, interface: 'Ethernet5', vlan: null },
    ]);
  });
  it('EOS show mac address-table with moves', () => {
    const r = parseTable('eos', 'mac', fx('eos-mac.txt'));
    expect(r.skipped).toBe(0);
    expect(r.entries.map((e) => [e.vlan, e.mac, e.ports])).toEqual([
      [10, '00:1c:73:00:00:01', ['Et1']],
      [10, '00:1c:73:00:00:03', ['Et5']],
    ]);
  });
  it('Junos show arp no-resolve: irb with the member port, permanent', () => {
    const r = parseJunosArp(fx('junos-arp.txt'));
    expect(r.skipped).toBe(0);
    expect(r.entries.map((e) => [e.ip, e.interface, e.port, e.vlan, e.state])).toEqual([
      ['192.0.2.33', 'ge-0/0/0.0', undefined, null, 'Dynamic'],
      ['192.0.2.34', 'irb.100', 'ge-0/0/1.0', 100, 'Dynamic'],
      ['192.0.2.35', 'irb.100', 'ge-0/0/2.0', 100, 'Static'],
    ]);
  });
  it('Junos show ethernet-switching table (ELS)', () => {
    const r = parseJunosMac(fx('junos-mac.txt'));
    expect(r.skipped).toBe(0);
    expect(r.entries.map((e) => [e.vlanName, e.vlan, e.mac, e.type, e.ports])).toEqual([
      ['v100', 100, '00:05:85:c8:90:01', 'dynamic', ['ge-0/0/1.0']],
      ['v100', 100, '00:05:85:c8:90:02', 'static', ['ge-0/0/2.0']],
    ]);
  });
});

describe('garbage, banners and truncated output', () => {
  it('counts a banner, garbage and a cut-off last line without throwing', () => {
    const text = [
      '*** Authorized access only ***',
      fx('iosxr-arp-seed-gateway.txt').trim(),
      '\x1b[31mgarbage\x07 \x00line',
      '211.73.94.13    00:00:0', // the connection dropped here
    ].join('\n');
    const r = parseIosXrArp(text);
    expect(r.entries).toHaveLength(15);
    expect(r.skipped).toBe(3);
    expect(r.skippedSamples[1]).toBe('garbage line');
  });
  it('refuses invalid addresses inside well-formed lines', () => {
    const r = parseIosArp('Internet  192.168.3.300           0   5254.00a7.574d  ARPA   Vlan2\nInternet  192.168.3.3  0  5254.00a7.57  ARPA  Vlan2\n');
    expect(r.entries).toHaveLength(0);
    expect(r.skipped).toBe(2);
  });
  it.each(DEVICE_KINDS)('%s parsers survive random bytes', (kind) => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const junk = Array.from({ length: 2000 }, () => String.fromCharCode(Math.floor(rnd() * 128))).join('');
    const a = parseTable(kind, 'arp', junk);
    const m = parseTable(kind, 'mac', junk);
    expect(a.entries.length + m.entries.length).toBe(0);
    expect(a.skipped).toBeGreaterThan(0);
  });
});

describe('kind table', () => {
  it('has a paging-off command for every kind and no MAC table on IOS-XR', () => {
    for (const k of DEVICE_KINDS) expect(KIND_PROFILES[k].pagingOff).toMatch(/length 0$/);
    expect(commandsFor('iosxr', ['arp', 'mac'])).toEqual([{ table: 'arp', command: 'show arp' }]);
    expect(commandsFor('junos', ['mac'])).toEqual([{ table: 'mac', command: 'show ethernet-switching table' }]);
  });
  it('asks an old IOS switch the older spelling of the MAC table when it refuses the newer one', () => {
    expect(commandsFor('ios', ['arp', 'mac'])).toEqual([
      { table: 'arp', command: 'show arp' },
      { table: 'mac', command: 'show mac address-table', fallbacks: ['show mac-address-table'] },
    ]);
    expect(commandsFor('iosxe', ['mac'])).toEqual([{ table: 'mac', command: 'show mac address-table' }]);
  });
  it.each([
    ["                  ^\n% Invalid input detected at '^' marker.\n", true],
    ['% Incomplete command.', true],
    ['% Ambiguous command:  "show mac"', true],
    ["% Invalid command at '^' marker.", true],
    ['                  ^\nunknown command.', true],
    ['syntax error, expecting <command>.', true],
    [fx('ios-mac.txt'), false],
    [fx('nxos-mac-legend.txt'), false],
    ['Vlan  Mac Address  Type  Ports\n'.repeat(3) + '% Invalid input detected', false],
  ])('isRefused(%j) → %s', (text, want) => expect(isRefused(text)).toBe(want));
});
