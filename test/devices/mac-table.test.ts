import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isGroupMac, isSystemMacEntry, parseMacTable, reviveMacEntry, type MacEntry } from '../../src/devices/mac-table.js';
import { parseTable } from '../../src/devices/parsers.js';
import type { DeviceKind } from '../../src/devices/kinds.js';

const fx = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');

/** An entry written compactly: MAC, VLAN, type, ports, flags, system, age. */
type Row = [string, number | null, string, string[], string[], boolean, number | null];
const rows = (entries: MacEntry[]): Row[] => entries.map((e) => [e.mac, e.vlan, e.type, e.ports, e.flags, e.system, e.ageSeconds]);

const CASES: { name: string; kind: DeviceKind; file: string; layouts: string[]; lines: number; declared?: number; want: Row[] }[] = [
  {
    name: 'Catalyst 2950 (12.1 EA) show mac-address-table: counts preamble, MAC first, VLAN third',
    kind: 'ios',
    file: 'ios-mac-cat2950-counts.txt',
    layouts: ['cat-destination'],
    lines: 17,
    want: [
      ['00:07:e9:a1:0c:11', 1, 'dynamic', ['FastEthernet0/1'], [], false, null],
      ['00:07:e9:a1:0c:12', 1, 'dynamic', ['FastEthernet0/1'], [], false, null],
      ['00:0b:cd:3f:2e:80', 10, 'dynamic', ['FastEthernet0/4'], [], false, null],
      ['00:0d:60:15:9a:01', 10, 'dynamic', ['FastEthernet0/7'], [], false, null],
      ['00:10:a4:e2:77:31', 20, 'secure', ['FastEthernet0/12'], [], false, null],
      ['00:30:6e:1c:44:b0', 20, 'dynamic', ['FastEthernet0/15'], [], false, null],
      ['00:e0:1e:45:9d:21', 300, 'dynamic', ['GigabitEthernet0/1'], [], false, null],
      ['00:50:04:ab:cd:12', 300, 'dynamic', ['GigabitEthernet0/1'], [], false, null],
    ],
  },
  {
    name: 'Catalyst 4500 show mac-address-table: Unicast Entries with protocols, Multicast Entries with a wrapped port list',
    kind: 'ios',
    file: 'ios-mac-cat4500-sections.txt',
    layouts: ['cat-protocols', 'ios'],
    lines: 19,
    want: [
      ['00:00:0c:07:ac:01', 1, 'dynamic', ['GigabitEthernet1/1'], [], false, null],
      ['00:03:47:00:8a:6c', 1, 'dynamic', ['Port-channel1'], [], false, null],
      ['00:11:bb:2c:0f:80', 1, 'static', ['Switch'], [], true, null],
      ['00:11:bb:2c:0f:80', 10, 'static', ['Switch'], [], true, null],
      ['00:12:7f:9e:1b:2c', 10, 'dynamic', ['FastEthernet3/14'], [], false, null],
      ['00:15:c5:e1:44:a0', 10, 'dynamic', ['FastEthernet3/22'], [], false, null],
      ['00:19:b9:f1:0a:33', 20, 'dynamic', ['GigabitEthernet2/3'], [], false, null],
      ['00:1e:4a:7d:c3:01', 20, 'dynamic', ['Port-channel1'], [], false, null],
      ['ff:ff:ff:ff:ff:ff', 1, 'system', ['Switch', 'Gi1/1', 'Gi1/2', 'Po1'], [], true, null],
      ['01:00:5e:00:01:28', 10, 'igmp', ['Switch', 'Fa3/14', 'Fa3/22'], [], true, null],
      ['ff:ff:ff:ff:ff:ff', 10, 'system', ['Switch', 'Fa3/1', 'Fa3/2', 'Fa3/3', 'Fa3/4', 'Fa3/5', 'Fa3/6', 'Fa3/7', 'Fa3/8', 'Fa3/14', 'Fa3/22', 'Po1'], [], true, null],
      ['ff:ff:ff:ff:ff:ff', 20, 'system', ['Switch', 'Gi2/3', 'Po1'], [], true, null],
    ],
  },
  {
    name: 'Catalyst 6500 Sup2T show mac address-table: legend marks, learn and age, empty and wrapped ports, VLAN All',
    kind: 'ios',
    file: 'ios-mac-sup2t-flags.txt',
    layouts: ['cat-learn-age'],
    lines: 23,
    want: [
      ['00:50:56:a3:10:f2', 51, 'dynamic', ['Gi1/1'], ['*'], false, 5],
      ['00:50:56:a3:2b:11', 51, 'dynamic', ['Po12'], ['*'], false, 120],
      ['00:6c:bc:1c:a8:65', 51, 'static', ['Router'], ['R'], true, null],
      ['00:6c:bc:1c:a8:65', 52, 'static', ['Router'], ['*', 'R'], true, null],
      ['00:24:e8:aa:01:c3', 60, 'static', ['Gi2/14'], ['*', 'S'], false, null],
      ['00:24:e8:aa:01:c4', 60, 'dynamic', ['Gi2/15'], ['*', 'D'], false, 30],
      ['02:00:0a:0a:0a:0a', 70, 'dynamic', ['Tu10'], ['*', '#'], false, 10],
      ['01:00:0c:cc:cc:cc', null, 'static', ['Router'], ['*'], true, null],
      ['01:00:0c:dd:dd:dd', null, 'static', ['Router'], ['*'], true, null],
      ['01:00:5e:00:00:fc', 70, 'static', [], ['*'], true, null],
      ['01:00:5e:01:01:01', 80, 'static', ['Gi1/1', 'Gi1/2', 'Gi1/3', 'Gi1/4', 'Gi1/5', 'Gi1/6', 'Gi1/7', 'Gi1/8'], ['*'], true, null],
      ['00:50:56:a3:77:e0', 90, 'dynamic', [], ['*'], false, 250],
    ],
  },
  {
    name: 'Catalyst 3750 show mac address-table: the CPU entries of VLAN All apart from learned hosts, a sticky static host',
    kind: 'ios',
    file: 'ios-mac-c3750-vlan-all.txt',
    layouts: ['ios'],
    lines: 17,
    declared: 12,
    want: [
      ['01:00:0c:cc:cc:cc', null, 'static', ['CPU'], [], true, null],
      ['01:00:0c:cc:cc:cd', null, 'static', ['CPU'], [], true, null],
      ['01:80:c2:00:00:00', null, 'static', ['CPU'], [], true, null],
      ['01:80:c2:00:00:01', null, 'static', ['CPU'], [], true, null],
      ['01:80:c2:00:00:02', null, 'static', ['CPU'], [], true, null],
      ['01:80:c2:00:00:03', null, 'static', ['CPU'], [], true, null],
      ['ff:ff:ff:ff:ff:ff', null, 'static', ['CPU'], [], true, null],
      ['00:1b:d4:e0:3c:41', 10, 'dynamic', ['Gi1/0/1'], [], false, null],
      ['00:24:97:c1:5e:3a', 10, 'static', ['Gi1/0/12'], [], false, null],
      ['00:1b:d4:e0:3c:41', 20, 'dynamic', ['Gi1/0/1'], [], false, null],
      ['5c:26:0a:11:9f:02', 20, 'dynamic', ['Gi2/0/24'], [], false, null],
      ['e8:ba:70:aa:03:01', 100, 'dynamic', ['Po1'], [], false, null],
    ],
  },
  {
    name: 'Arista EOS show mac address-table: a static entry on several ports, moves, the multicast table',
    kind: 'eos',
    file: 'eos-mac-static-multiport.txt',
    layouts: ['ios'],
    lines: 17,
    declared: 7,
    want: [
      ['00:1c:73:01:0a:0b', 1, 'static', ['Po135', 'Po12', 'po5', 'eth1/1'], [], false, null],
      ['00:1c:73:01:11:22', 10, 'static', ['Cpu'], [], true, null],
      ['28:99:3a:4d:00:01', 10, 'dynamic', ['Et3'], [], false, null],
      ['28:99:3a:4d:00:02', 10, 'dynamic', ['Po12'], [], false, null],
      ['00:1c:73:01:11:22', 20, 'static', ['Cpu'], [], true, null],
      ['28:99:3a:4d:01:05', 20, 'dynamic', ['Vx1'], [], false, null],
      ['01:00:5e:01:02:03', 10, 'static', ['Cpu', 'Et3', 'Et4'], [], true, null],
    ],
  },
];

describe('MAC tables of every generation, the layout chosen by content', () => {
  it.each(CASES)('$name', ({ kind, file, layouts, lines, declared, want }) => {
    const r = parseTable(kind, 'mac', fx(file));
    expect(rows(r.entries)).toEqual(want);
    expect([r.skipped, r.skippedSamples]).toEqual([0, []]);
    expect(r.layouts).toEqual(layouts);
    expect(r.lines).toBe(lines);
    expect(r.declared).toBe(declared);
  });

  it.each(CASES)('the same entries whatever kind the operator named: $file', ({ file, want }) => {
    for (const kind of ['ios', 'iosxe', 'nxos', 'eos'] as const) expect(rows(parseTable(kind, 'mac', fx(file)).entries)).toEqual(want);
  });

  it.each(CASES.filter((c) => !c.layouts.includes('cat-protocols')))('rows without their column header are still read by guessing: $file', ({ file, want }) => {
    const headerless = fx(file)
      .split('\n')
      .filter((l) => !/^\s*(?:vlan|Destination Address)\s+/i.test(l))
      .join('\n');
    const r = parseMacTable(headerless, 'cisco', 'ios');
    expect(rows(r.entries)).toEqual(want);
    expect(r.skipped).toBe(0);
  });

  it('NX-OS 9 with its longer legend, an NA age, an overlay port and a control-plane MAC', () => {
    const text = [
      'Legend:',
      '        * - primary entry, G - Gateway MAC, (R) - Routed MAC, O - Overlay MAC',
      '        age - seconds since last seen,+ - primary entry using vPC Peer-Link,',
      '        (T) - True, (F) - False, C - ControlPlane MAC, ~ - vsan,',
      '        (NA)- Not Applicable',
      '   VLAN     MAC Address      Type      age     Secure NTFY Ports',
      '---------+-----------------+--------+---------+------+----+------------------',
      '*   10     5254.0012.3456   dynamic  NA         F      F    nve1(192.0.2.10)',
      'C   10     0000.0c9f.f00a   static   -          F      F    vPC Peer-Link',
      'G    -     00a6.ca9b.1b07   static   -          F      F    sup-eth1(R)',
    ].join('\n');
    const r = parseTable('nxos', 'mac', text);
    expect([r.skipped, r.layouts]).toEqual([0, ['nxos']]);
    expect(rows(r.entries)).toEqual([
      ['52:54:00:12:34:56', 10, 'dynamic', ['nve1(192.0.2.10)'], ['*'], false, null],
      ['00:00:0c:9f:f0:0a', 10, 'static', ['vPC Peer-Link'], ['C'], true, null],
      ['00:a6:ca:9b:1b:07', null, 'static', ['sup-eth1(R)'], ['G'], true, null],
    ]);
  });

  it('a 4500 unicast row never reads its protocols column as ports, with or without the header', () => {
    const row = '   1    0003.4700.8a6c   dynamic ip,ipx,assigned,other Port-channel1';
    expect(rows(parseMacTable(row, 'cisco', 'ios').entries)).toEqual([['00:03:47:00:8a:6c', 1, 'dynamic', ['Port-channel1'], [], false, null]]);
    // Under the IOS header (4 columns) it is not a row of that table.
    const underIos = parseMacTable(`Vlan    Mac Address       Type        Ports\n${row}`, 'cisco', 'ios');
    expect([underIos.entries.length, underIos.skipped]).toEqual([0, 1]);
  });

  it('a header holds its layout for the rows below it, and the next header switches', () => {
    const row = '0010.a4e2.7731       Secure          20  FastEthernet0/12';
    const sup2t = '    vlan   mac address     type    learn     age              ports';
    const c2950 = 'Destination Address  Address Type  VLAN  Destination Port';
    const r = parseMacTable([sup2t, row, c2950, row].join('\n'), 'cisco', 'ios');
    expect([r.entries.length, r.skipped, r.skippedSamples, r.layouts]).toEqual([1, 1, [row], ['cat-destination']]);
    // The 4500 sections: 8 unicast rows under the protocols header, 4 multicast rows under their own.
    const text = fx('ios-mac-cat4500-sections.txt');
    expect(parseMacTable(text.slice(0, text.indexOf('Multicast Entries')), 'cisco', 'ios').entries).toHaveLength(8);
  });

  it('an unknown layout (CatOS show cam) is all skipped, with samples, not read as an empty table', () => {
    const r = parseTable('ios', 'mac', fx('ios-mac-catos-unreadable.txt'));
    expect(r.entries).toEqual([]);
    expect([r.skipped, r.lines, r.layouts]).toEqual([9, 10, []]);
    expect(r.skippedSamples).toEqual([
      '* = Static Entry. + = Permanent Entry. # = System Entry. R = Router Entry.',
      'X = Port Security Entry $ = Dot1x Security Entry',
      'VLAN  Dest MAC/Route Des    [CoS]  Destination Ports or VCs / [Protocol Type]',
    ]);
  });

  it('counts a cut-off row and garbage inside a known table, and keeps the rows around them', () => {
    const text = fx('ios-mac-sup2t-flags.txt').replace('*   51  0050.56a3.2b11   dynamic  Yes        120   Po12', '*   51  0050.56a3.2b1\n%%garbage%%');
    const r = parseTable('ios', 'mac', text);
    expect(r.entries).toHaveLength(11);
    expect(r.skipped).toBe(2);
    expect(r.skippedSamples).toEqual(['*   51  0050.56a3.2b1', '%%garbage%%']);
  });

  it('a wrapped port list continues only the row just above it', () => {
    const r = parseMacTable('Vlan    Mac Address       Type        Ports\n  10    0100.5e00.0001    IGMP        Gi1/0/1,Gi1/0/2\n                                      Gi1/0/3\n\n                                      Gi1/0/4\n', 'cisco', 'ios');
    expect(r.entries.map((e) => e.ports)).toEqual([['Gi1/0/1', 'Gi1/0/2', 'Gi1/0/3']]);
    expect(r.skipped).toBe(1);
  });

  it('reads the IOS refusal as two skipped lines and no entry', () => {
    const r = parseTable('ios', 'mac', "                         ^\n% Invalid input detected at '^' marker.\n");
    expect([r.entries.length, r.skipped, r.lines]).toEqual([0, 2, 2]);
  });
});

describe('system entries', () => {
  const e = (o: Partial<MacEntry>): Pick<MacEntry, 'mac' | 'type' | 'ports' | 'flags'> => ({ mac: '00:50:56:00:00:01', type: 'dynamic', ports: ['Gi1/0/1'], flags: [], ...o });
  it.each([
    [e({}), false, false],
    [e({}), true, true],
    [e({ mac: '01:00:5e:00:00:01' }), false, true],
    [e({ mac: '02:00:00:00:00:01' }), false, false],
    [e({ type: 'static', ports: ['CPU'] }), false, true],
    [e({ ports: ['Switch', 'Router'] }), false, true],
    [e({ ports: ['sup-eth1(R)'] }), false, true],
    [e({ type: 'static', ports: ['Vl10'] }), false, true],
    [e({ ports: ['CPU', 'Gi1/0/2'] }), false, false],
    [e({ ports: [] }), false, false],
    [e({ flags: ['*', 'R'] }), false, true],
    [e({ flags: ['G'] }), false, true],
    [e({ flags: ['*', 'S'] }), false, false],
    [e({ type: 'system', ports: ['Switch', 'Gi1/1'] }), false, true],
  ])('%j (VLAN All %s) → %s', (entry, all, want) => expect(isSystemMacEntry(entry, all)).toBe(want));

  it('group MACs', () => {
    expect([isGroupMac('ff:ff:ff:ff:ff:ff'), isGroupMac('01:80:c2:00:00:00'), isGroupMac('00:1c:73:00:00:01'), isGroupMac('03:00:00:00:00:00')]).toEqual([true, true, false, true]);
  });
});

describe('stored entries of earlier versions', () => {
  it('reads ports as one string and a single flag into today\'s shape', () => {
    expect(reviveMacEntry({ mac: '40:06:d5:c5:51:1f', vlan: null, type: 'static', ports: 'sup-eth1(R)', ageSeconds: null, flag: 'G' })).toEqual({
      mac: '40:06:d5:c5:51:1f', vlan: null, type: 'static', ports: ['sup-eth1(R)'], ageSeconds: null, flags: ['G'], system: true,
    });
    expect(reviveMacEntry({ mac: '01:00:5e:00:00:01', vlan: 10, type: 'igmp', ports: 'Gi1/0/1, Gi1/0/2', ageSeconds: null })).toMatchObject({ ports: ['Gi1/0/1', 'Gi1/0/2'], flags: [], system: true });
    expect(reviveMacEntry({ mac: '00:50:56:b4:1a:2b', vlan: 10, vlanName: 'v10', type: 'dynamic', ports: ['Gi1/0/5'], ageSeconds: 3, flags: [], system: false })).toEqual({
      mac: '00:50:56:b4:1a:2b', vlan: 10, vlanName: 'v10', type: 'dynamic', ports: ['Gi1/0/5'], ageSeconds: 3, flags: [], system: false,
    });
  });
  it.each([null, 3, 'x', {}, { mac: 5 }])('refuses %j', (raw) => expect(reviveMacEntry(raw)).toBeUndefined());
});
