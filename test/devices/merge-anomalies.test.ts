import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeSlot, sightingsOf, type DeviceTables } from '../../src/devices/merge.js';
import { parseIosArp, parseIosXrArp, parseNxosMac } from '../../src/devices/parsers.js';
import { ipMoves, isUnusedAddress, macsWithSeveralIps, unusedAddressesOf, type HistoryRow } from '../../src/devices/anomalies.js';
import { ZERO_MAC } from '../../src/devices/mac.js';
import { createDevicesArea } from '../../src/devices/area.js';
import { openDb } from '../../src/store/db.js';
import { devicesDefaults } from '../../src/config/sections/devices.js';

const fx = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');

const SLOT = 5648278;
const T = SLOT * 300 * 1000;
const gw: DeviceTables = { device: 'TN-GW', timestamp: T + 1000, arp: parseIosXrArp(fx('iosxr-arp-seed-gateway.txt')).entries, mac: [] };
const l3: DeviceTables = { device: 'campus-l3', timestamp: T + 2000, arp: parseIosArp(fx('ios-arp-seed-l3switch.txt')).entries, mac: [] };
const nx: DeviceTables = { device: 'TWAREN-TN-N5672-M-01', timestamp: T + 3000, arp: [], mac: parseNxosMac(fx('nxos-mac-seed-n5672.txt')).entries };

describe('merge by MAC and by IP (the seeds\' documents)', () => {
  const m = mergeSlot(SLOT, [gw, l3, nx]);

  it('makes one MAC document per device and MAC, one IP document per IP', () => {
    expect(m.timeSlot).toBe(SLOT);
    expect(m.byIp).toHaveLength(15 + 13);
    expect(m.byMac.filter((d) => d.device === 'TN-GW')).toHaveLength(4);
    expect(m.byMac.filter((d) => d.device === 'campus-l3')).toHaveLength(8);
    expect(m.byMac.filter((d) => d.device === 'TWAREN-TN-N5672-M-01')).toHaveLength(13);
  });

  it('gathers the gateway\'s unresolved IPs under the zero MAC, like the seeds\' second document', () => {
    const z = m.byMac.find((d) => d.device === 'TN-GW' && d.mac === ZERO_MAC)!;
    expect(z.ipList).toHaveLength(12);
    expect(z.ipList.slice(0, 3)).toEqual(['211.73.94.1', '211.73.94.11', '211.73.94.12']);
    expect(z.interfaceList).toEqual(['Bundle-Ether60', 'TenGigE0/5/0/3']);
    expect(z.typeList).toEqual(['Deleted', 'Incomplete']);
    expect(z.timestamp).toBe(T + 1000);
    expect(z.timeSlot).toBe(SLOT);
    const campusZero = m.byMac.find((d) => d.device === 'campus-l3' && d.mac === ZERO_MAC)!;
    expect([campusZero.ipList.length, campusZero.interfaceList]).toEqual([6, []]);
  });

  it('puts the MAC table\'s VLAN and port on the MAC document', () => {
    const d = m.byMac.find((x) => x.mac === '24:6e:96:05:03:dc')!;
    expect([d.vlan, d.interfaceList, d.typeList, d.ipList]).toEqual([612, ['Eth1/38'], ['dynamic'], []]);
    const v = m.byMac.find((x) => x.mac === '00:50:56:b4:be:5d')!;
    expect([v.vlan, v.ipList, v.interfaceList]).toEqual([10, ['192.168.205.105'], ['Vlan10']]);
  });

  it('merges an IP seen on two devices with both states, MACs and devices', () => {
    const mac = '00:50:56:00:00:01';
    const a: DeviceTables = { device: 'gw', timestamp: T, arp: [{ ip: '10.0.0.1', mac: ZERO_MAC, state: 'Incomplete', ageSeconds: 3, interface: 'Vlan5', vlan: 5 }], mac: [] };
    const b: DeviceTables = { device: 'sw', timestamp: T + 5, arp: [{ ip: '10.0.0.1', mac, state: 'Dynamic', ageSeconds: 60, interface: 'Vlan5', vlan: 5 }], mac: [{ mac, vlan: 5, type: 'dynamic', ports: ['Gi1/0/9'], ageSeconds: 10, flags: [], system: false }] };
    const r = mergeSlot(SLOT, [a, b]);
    expect(r.byIp).toEqual([{ ip: '10.0.0.1', timestamp: T + 5, timeSlot: SLOT, macList: [ZERO_MAC, mac], typeList: ['Dynamic', 'Incomplete'], devices: ['gw', 'sw'], interfaceList: ['Vlan5'] }]);
    expect(isUnusedAddress(r.byIp[0])).toBe(false);
    expect(r.byMac.find((d) => d.device === 'sw')!.interfaceList).toEqual(['Gi1/0/9', 'Vlan5']);
  });

  it('flattens tables into sightings without duplicates', () => {
    const s = sightingsOf({ ...nx, mac: [...nx.mac, nx.mac[0]] });
    expect(s).toHaveLength(13);
    expect(s[0]).toEqual({ source: 'mac', device: 'TWAREN-TN-N5672-M-01', ip: '', mac: '70:e4:22:24:88:f5', interface: '', port: 'Eth1/43', vlan: 3260, state: 'dynamic', system: false });
  });
});

describe('unused addresses and the hosts probing them', () => {
  const states = mergeSlot(SLOT, [gw, l3]).byIp;

  it.each([
    [{ ip: 'a', typeList: ['Incomplete', 'Deleted'], macList: [ZERO_MAC] }, true],
    [{ ip: 'b', typeList: ['Deleted'], macList: [] }, true],
    [{ ip: 'c', typeList: ['Dynamic'], macList: [ZERO_MAC] }, true],
    [{ ip: 'd', typeList: ['Incomplete', 'Dynamic'], macList: [ZERO_MAC, '00:11:22:33:44:55'] }, false],
    [{ ip: 'e', typeList: [], macList: [] }, false],
  ])('%j → %s', (s, want) => expect(isUnusedAddress(s)).toBe(want));

  it('counts 18 unused addresses in the seeds\' samples (12 on the gateway, 6 on the switch)', () => {
    expect(states.filter(isUnusedAddress)).toHaveLength(18);
  });

  it('takes several slots together: an address resolved in any of them is in use', () => {
    expect(unusedAddressesOf([states])).toHaveLength(18);
    const later = mergeSlot(SLOT + 1, [{ ...gw, arp: gw.arp.map((e) => (e.ip === '211.73.94.9' ? { ...e, mac: '00:11:22:33:44:55', state: 'Dynamic' } : e)) }]).byIp;
    const both = unusedAddressesOf([states, later]);
    expect(both).toHaveLength(17);
    expect(both).not.toContain('211.73.94.9');
    expect(both.slice(0, 2)).toEqual(['192.168.205.104', '192.168.205.107']);
    expect(unusedAddressesOf([])).toEqual([]);
  });
});

const row = (r: Partial<HistoryRow> & Pick<HistoryRow, 'ip' | 'mac'>): HistoryRow => ({ source: 'arp', device: 'gw', port: '', state: 'Dynamic', firstSeen: 100, lastSeen: 100, ...r });

describe('history anomalies', () => {
  const A = '00:aa:00:00:00:01', B = '00:bb:00:00:00:02', C = '00:cc:00:00:00:03', D = '00:dd:00:00:00:04';
  const rows: HistoryRow[] = [
    row({ ip: '10.0.0.5', mac: A, firstSeen: 100, lastSeen: 400 }),
    row({ ip: '10.0.0.6', mac: A, firstSeen: 500, lastSeen: 600, device: 'gw2' }),
    row({ ip: '10.0.0.7', mac: A, firstSeen: 700, lastSeen: 900 }),
    row({ ip: '10.0.0.8', mac: B }),
    row({ ip: '10.0.0.9', mac: B }),
    row({ ip: '10.0.0.10', mac: C }),
    row({ ip: '10.0.0.11', mac: D, state: 'Interface' }),
    row({ ip: '10.0.0.12', mac: D, state: 'Interface' }),
    row({ ip: '10.0.0.13', mac: ZERO_MAC, state: 'Incomplete' }),
    row({ ip: '10.0.0.14', mac: ZERO_MAC, state: 'Deleted' }),
  ];

  it('flags a MAC holding several IPs, not allow-listed, not the zero MAC, not interface addresses', () => {
    const r = macsWithSeveralIps(rows, [{ mac: '00BB.0000.0002', role: 'mobile' }]);
    expect(r).toEqual([
      { mac: A, ips: ['10.0.0.5', '10.0.0.6', '10.0.0.7'], devices: ['gw', 'gw2'], firstSeen: 100, lastSeen: 900, reason: expect.stringMatching(/held 3 IPs/) },
    ]);
    expect(macsWithSeveralIps(rows).map((x) => x.mac)).toEqual([A, B]);
    expect(macsWithSeveralIps(rows, [], { minIps: 4 })).toEqual([]);
  });

  it('flags an IP moving between MACs, in time order', () => {
    const moves = ipMoves([
      row({ ip: '10.1.0.9', mac: C, firstSeen: 200, lastSeen: 250 }),
      row({ ip: '10.1.0.9', mac: A, firstSeen: 100, lastSeen: 150 }),
      row({ ip: '10.1.0.9', mac: ZERO_MAC, state: 'Incomplete', firstSeen: 160 }),
      row({ ip: '10.1.0.20', mac: B, firstSeen: 100 }),
    ]);
    expect(moves).toEqual([{ ip: '10.1.0.9', kind: 'mac', trail: [A, C], reason: `IP 10.1.0.9 answered from 2 MACs: ${A} → ${C}` }]);
  });

  it('flags a MAC that moved between ports of one switch, not between switches or to the CPU', () => {
    const moves = ipMoves([
      row({ ip: '10.1.0.30', mac: D }),
      row({ source: 'mac', ip: '', mac: D, device: 'sw1', port: 'Eth1/2', firstSeen: 300 }),
      row({ source: 'mac', ip: '', mac: D, device: 'sw1', port: 'Eth1/1', firstSeen: 100 }),
      row({ source: 'mac', ip: '', mac: D, device: 'sw2', port: 'Po1', firstSeen: 100 }),
      row({ ip: '10.1.0.31', mac: B }),
      row({ source: 'mac', ip: '', mac: B, device: 'sw1', port: 'Eth1/5', firstSeen: 100 }),
      row({ source: 'mac', ip: '', mac: B, device: 'sw2', port: 'Eth1/6', firstSeen: 100 }),
      row({ source: 'mac', ip: '', mac: B, device: 'sw2', port: 'sup-eth1(R)', firstSeen: 200 }),
    ]);
    expect(moves.map((m) => [m.ip, m.kind, m.mac, m.trail])).toEqual([['10.1.0.30', 'port', D, ['sw1 Eth1/1', 'sw1 Eth1/2']]]);
    expect(moves[0].reason).toBe(`IP 10.1.0.30 (MAC ${D}) moved between ports: sw1 Eth1/1 → sw1 Eth1/2`);
    expect(ipMoves(rows.concat(row({ ip: '10.0.0.5', mac: B, firstSeen: 50 })), [{ mac: B, role: 'router' }])).toEqual([]);
  });
});

describe('devices area wiring', () => {
  it('resolves a lazily opened database on first use, and start() stays idle without devices', async () => {
    let opened = 0;
    let db: ReturnType<typeof openDb> | undefined;
    const area = createDevicesArea(devicesDefaults, () => {
      if (!db) {
        opened++;
        db = openDb(':memory:');
      }
      return db;
    });
    expect(opened).toBe(0);
    area.start();
    expect(area.collector.counters().runs).toBe(0);
    const a = (await area.handlers['devices.where']({ ip: '192.0.2.1' }, { user: 't' })) as { rows: unknown[] };
    expect([opened, a.rows.length]).toEqual([1, 0]);
    expect(Object.keys(area.handlers).sort()).toEqual(['devices.anomalies', 'devices.collect', 'devices.status', 'devices.where']);
    area.stop();
  });
});
