import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { migrate, openDb } from '../../src/store/db.js';
import { allMigrations } from '../../src/store/migrations/index.js';
import { DeviceStore } from '../../src/devices/store.js';
import { formatWhere, whereLookup, WhereQueryError } from '../../src/devices/where.js';
import { devicesHandlers } from '../../src/devices/handlers.js';
import { mergeSlot } from '../../src/devices/merge.js';
import type { CollectionRun, DeviceResult } from '../../src/devices/collector.js';
import { parseIosXrArp, parseNxosMac, parseTable, type ArpEntry, type MacEntry } from '../../src/devices/parsers.js';
import { tableReport } from '../../src/devices/table-report.js';
import { ipMoves, macsWithSeveralIps } from '../../src/devices/anomalies.js';
import { devicesDefaults } from '../../src/config/sections/devices.js';
import { RpcError } from '../../src/daemon/protocol.js';

const fx = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');

const S = 5648278;
const t0 = S * 300_000;
const gwArp = parseIosXrArp(fx('iosxr-arp-seed-gateway.txt')).entries;
const nxMac = parseNxosMac(fx('nxos-mac-seed-n5672.txt')).entries;
const swArp: ArpEntry[] = [{ ip: '10.9.0.5', mac: '70:e4:22:24:88:f5', state: 'Dynamic', ageSeconds: 30, interface: 'Vlan3260', vlan: 3260 }];

function result(device: string, timestamp: number, arp: ArpEntry[], mac: MacEntry[], ok = true): DeviceResult {
  return { device, kind: 'iosxr', host: '127.0.0.1', ok, ...(ok ? {} : { reason: 'connect' as const, error: `${device}: refused` }), timestamp, durationMs: 5, arp: ok ? arp : [], mac: ok ? mac : [], skipped: 0, skippedSamples: [], tables: [], warnings: [], morePrompts: 0, hostKeyRecorded: false };
}
function run(slot: number, results: DeviceResult[]): CollectionRun {
  return { timeSlot: slot, startedAt: slot * 300_000, results, merged: mergeSlot(slot, []) };
}

function fixtureStore() {
  const store = new DeviceStore(openDb(':memory:'));
  store.saveRun(run(S, [result('gw', t0 + 1000, gwArp, []), result('sw', t0 + 2000, swArp, nxMac)]));
  // Next window: 211.79.60.27 answers from another MAC; the switch cannot be reached.
  const moved = gwArp.map((e) => (e.ip === '211.79.60.27' ? { ...e, mac: '02:00:00:00:00:27' } : e));
  store.saveRun(run(S + 1, [result('gw', t0 + 301_000, moved, []), result('sw', t0 + 302_000, [], [], false)]));
  return store;
}

describe('device history store', () => {
  it('rebuilds a slot\'s merged documents from every device, even after an on-demand run of one', () => {
    const store = fixtureStore();
    expect(store.mergedAt(S).byIp).toHaveLength(16);
    store.saveRun(run(S, [result('gw', t0 + 9000, gwArp.slice(0, 2), [])]));
    const m = store.mergedAt(S);
    expect(m.byIp.map((d) => d.ip)).toEqual(['10.9.0.5', '211.79.60.26', '211.79.60.27']);
    expect(m.byMac.filter((d) => d.device === 'sw')).toHaveLength(13);
    expect(store.latestSlot()).toBe(S + 1);
    expect(store.ipStates().filter((s) => s.typeList.every((t) => t === 'Incomplete' || t === 'Deleted'))).toHaveLength(12);
  });

  it('keeps first and last seen per binding, and the latest run of each device', () => {
    const store = fixtureStore();
    const h = store.history();
    const zero = h.filter((r) => r.ip === '211.79.60.29');
    expect(zero).toEqual([{ source: 'arp', device: 'gw', ip: '211.79.60.29', mac: '00:00:00:00:00:00', port: '', state: 'Incomplete', system: false, firstSeen: t0 + 1000, lastSeen: t0 + 301_000 }]);
    expect(store.latestRuns().map((r) => [r.device, r.ok, r.timeSlot, r.reason, r.arpEntries])).toEqual([
      ['gw', true, S + 1, null, 15],
      ['sw', false, S + 1, 'connect', 0],
    ]);
    expect(store.history(t0 + 100_000).filter((r) => r.device === 'sw')).toHaveLength(0);
  });
});

describe('retention', () => {
  it('prunes tables and sightings last seen before a slot, keeping the runs', () => {
    const store = fixtureStore();
    const before = store.history().length;
    // Slot S holds gw + sw tables; S+1 holds gw only. Sightings last seen in S: the switch's 14 and gw's old MAC binding.
    expect(store.prune(S + 1)).toBe(2 + 14 + 1);
    expect(store.history()).toHaveLength(before - 15);
    expect(store.mergedAt(S).byIp).toEqual([]);
    expect(store.mergedAt(S + 1).byIp).toHaveLength(15);
    expect(store.latestRuns()).toHaveLength(2);
  });
});

describe('where', () => {
  it('shows the current MAC of an IP, and its past MAC with --history', () => {
    const store = fixtureStore();
    const now = whereLookup(store, '211.79.60.27');
    expect(now.kind).toBe('ip');
    expect(now.rows.map((r) => [r.mac, r.device, r.interface, r.state, r.current, r.firstSeen, r.lastSeen])).toEqual([
      ['02:00:00:00:00:27', 'gw', 'TenGigE0/5/0/3', 'Dynamic', true, t0 + 301_000, t0 + 301_000],
    ]);
    const past = whereLookup(store, '211.79.60.27', { history: true });
    expect(past.rows.map((r) => [r.mac, r.current])).toEqual([
      ['02:00:00:00:00:27', true],
      ['70:e4:22:19:86:f9', false],
    ]);
  });

  it('follows an IP to its switch port through the MAC table, current as of the switch\'s last good run', () => {
    const store = fixtureStore();
    const a = whereLookup(store, '10.9.0.5');
    expect(a.rows.map((r) => [r.source, r.device, r.mac, r.interface, r.port, r.vlan, r.current])).toEqual([
      ['arp', 'sw', '70:e4:22:24:88:f5', 'Vlan3260', 'Eth1/43', 3260, true],
      ['mac', 'sw', '70:e4:22:24:88:f5', '', 'Eth1/43', 3260, true],
    ]);
    const byMac = whereLookup(store, '70E4.2224.88F5');
    expect(byMac.kind).toBe('mac');
    expect(byMac.query).toBe('70:e4:22:24:88:f5');
    expect(byMac.rows).toHaveLength(2);
  });

  it('names what the history says about the address: unused, moved between MACs, a MAC holding several IPs', () => {
    const store = fixtureStore();
    expect(whereLookup(store, '211.79.60.29').findings).toEqual([
      { kind: 'unused', reason: 'no device resolves 211.79.60.29 (Incomplete on gw): whoever sends to it is probing an unused address', ip: '211.79.60.29', on: ['Incomplete on gw'] },
    ]);
    expect(whereLookup(store, '211.79.60.27').findings).toEqual([
      { kind: 'ip-moved-mac', reason: 'IP 211.79.60.27 answered from 2 MACs: 70:e4:22:19:86:f9 → 02:00:00:00:00:27', ip: '211.79.60.27', trail: ['70:e4:22:19:86:f9', '02:00:00:00:00:27'] },
    ]);
    expect(whereLookup(store, '02:00:00:00:00:27').findings.map((f) => f.kind)).toEqual(['ip-moved-mac']);
    expect(whereLookup(store, '211.79.60.30').findings).toEqual([]);
    // The MAC of .30 starts answering for .31 too: both addresses' lookups say so, unless the MAC is allow-listed.
    const claim = gwArp.map((e) => (e.ip === '211.79.60.29' ? { ...e, ip: '211.79.60.31', mac: 'b4:0c:25:ef:40:4c', state: 'Dynamic' } : e));
    store.saveRun(run(S + 2, [result('gw', t0 + 601_000, claim, [])]));
    const several = 'MAC b4:0c:25:ef:40:4c held 2 IPs (211.79.60.30, 211.79.60.31); not allow-listed as mobile or router';
    const claimFinding = { kind: 'mac-several-ips', reason: several, mac: 'b4:0c:25:ef:40:4c', ips: ['211.79.60.30', '211.79.60.31'] };
    expect(whereLookup(store, '211.79.60.30').findings).toEqual([claimFinding]);
    expect(whereLookup(store, 'b40c.25ef.404c').findings).toEqual([claimFinding]);
    expect(whereLookup(store, '211.79.60.30', { allowMacs: [{ mac: 'b4:0c:25:ef:40:4c', role: 'router' }] }).findings).toEqual([]);
    // .29 is no longer in the gateway's table: its latest rows (Incomplete) still say unused.
    expect(whereLookup(store, '211.79.60.29').findings.map((f) => f.kind)).toEqual(['unused']);
    expect(formatWhere(whereLookup(store, '211.79.60.30'))).toContain(`\n! ${several}\n`);
  });

  it('a MAC that moved between ports of the switch: both the IP and the MAC lookup say so, the other MACs do not', () => {
    const store = fixtureStore();
    const moved = nxMac.map((e) => (e.mac === '70:e4:22:24:88:f5' ? { ...e, ports: ['Eth1/44'] } : e));
    store.saveRun(run(S + 2, [result('sw', t0 + 602_000, swArp, moved)]));
    const want = { kind: 'ip-moved-port', ip: '10.9.0.5', mac: '70:e4:22:24:88:f5', trail: ['sw Eth1/43', 'sw Eth1/44'], reason: 'IP 10.9.0.5 (MAC 70:e4:22:24:88:f5) moved between ports: sw Eth1/43 → sw Eth1/44' };
    expect(whereLookup(store, '10.9.0.5').findings).toEqual([want]);
    expect(whereLookup(store, '70:e4:22:24:88:f5').findings).toEqual([want]);
    expect(whereLookup(store, nxMac.find((e) => e.mac !== '70:e4:22:24:88:f5')!.mac).findings).toEqual([]);
  });

  it('marks current only what the latest run saw, also when an on-demand run shares the scheduled run\'s slot', () => {
    const store = new DeviceStore(openDb(':memory:'));
    store.saveRun(run(S, [result('gw', t0 + 10_000, gwArp, [])]));
    const moved = gwArp.map((e) => (e.ip === '211.79.60.30' ? { ...e, mac: '02:00:00:00:00:30' } : e));
    store.saveRun(run(S, [result('gw', t0 + 150_000, moved, [])]));
    const a = whereLookup(store, '211.79.60.30', { history: true });
    expect(a.rows.map((r) => [r.mac, r.current])).toEqual([['02:00:00:00:00:30', true], ['b4:0c:25:ef:40:4c', false]]);
    expect(whereLookup(store, '211.79.60.30').rows.map((r) => r.mac)).toEqual(['02:00:00:00:00:30']);
  });

  it('answers nothing for an unseen IP and refuses a query that is neither IP nor MAC', () => {
    const store = fixtureStore();
    expect(whereLookup(store, '192.0.2.200').rows).toEqual([]);
    expect(formatWhere(whereLookup(store, '192.0.2.200'))).toMatch(/never seen/);
    expect(() => whereLookup(store, 'sw1; rm -rf /')).toThrow(WhereQueryError);
    expect(() => whereLookup(store, '211.79.60.0/24')).toThrow(WhereQueryError);
    expect(whereLookup(store, '211.79.60.27/32').rows).toHaveLength(1);
  });

  it('formats a table with a header and one line per row, without control characters', () => {
    const store = fixtureStore();
    const a = whereLookup(store, '211.79.60.27', { history: true });
    a.rows[0].interface = 'Te0\x1b[31m/5';
    const text = formatWhere(a);
    expect(text.split('\n').filter(Boolean)).toHaveLength(5);
    expect(text.trimEnd().split('\n').pop()).toBe('! IP 211.79.60.27 answered from 2 MACs: 70:e4:22:19:86:f9 → 02:00:00:00:00:27');
    expect(text).toMatch(/^# 211\.79\.60\.27 \(ip\): 2 rows of history\nIP +MAC +DEVICE/);
    expect(text).not.toContain('\x1b');
  });
});

describe('devices handlers', () => {
  const store = fixtureStore();
  const h = devicesHandlers({ config: { ...devicesDefaults, list: [{ name: 'gw', host: '127.0.0.1', port: 22, user: 'u', password: 'p', kind: 'iosxr', collect: ['arp'] }] }, store });
  const ctx = { user: 'test' };

  it('devices.where takes {ip} (the TUI) or {query}, and refuses garbage with BAD_REQUEST', async () => {
    const a = (await h['devices.where']({ ip: '211.79.60.27' }, ctx)) as { rows: unknown[] };
    expect(a.rows).toHaveLength(1);
    const b = (await h['devices.where']({ query: '211.79.60.27', history: true }, ctx)) as { rows: unknown[] };
    expect(b.rows).toHaveLength(2);
    await expect(h['devices.where']({ query: 'x' }, ctx)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(h['devices.where']({}, ctx)).rejects.toBeInstanceOf(RpcError);
  });

  it('devices.anomalies: unused addresses, the engine\'s probers, and the IP that changed MAC', async () => {
    const a = (await h['devices.anomalies']({}, ctx)) as {
      timeSlot: number; unusedAddresses: string[]; probers: unknown[]; probersWindow: number | null; ipMoves: { ip: string; kind: string }[]; macsWithSeveralIps: unknown[];
    };
    expect(a.timeSlot).toBe(S + 1);
    expect(a.unusedAddresses).toHaveLength(12);
    expect([a.probers, a.probersWindow]).toEqual([[], null]); // no engine window to read them from
    expect(a.ipMoves.map((m) => [m.ip, m.kind])).toEqual([['211.79.60.27', 'mac']]);
    expect(a.macsWithSeveralIps).toEqual([]);
    const prober = { ip: '198.51.100.7', role: 'attacker' as const, type: 'unused-probe', targets: ['211.73.94.9'], total: 1, flows: 4, reason: 'sent 4 flows to 1 address no device resolves' };
    const asked: (number | undefined)[] = [];
    const withEngine = devicesHandlers({ config: devicesDefaults, store, probersAt: (slot) => (asked.push(slot), { timeSlot: 77, probers: [prober] }) });
    const b = (await withEngine['devices.anomalies']({ timeSlot: S }, ctx)) as { probers: unknown[]; probersWindow: number; timeSlot: number };
    expect([b.probers, b.probersWindow, b.timeSlot, asked]).toEqual([[prober], 77, S, [S]]);
  });

  it('devices.collect says UNAVAILABLE without a collector; devices.status lists runs', async () => {
    await expect(h['devices.collect']({}, ctx)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const s = (await h['devices.status']({}, ctx)) as { devices: { name: string }[]; runs: { device: string }[] };
    expect(s.devices.map((d) => d.name)).toEqual(['gw']);
    expect(s.runs.map((r) => r.device)).toEqual(['gw', 'sw']);
  });
});

describe('table reports and system entries in the history', () => {
  const router = parseTable('ios', 'mac', fx('ios-mac-sup2t-flags.txt'));
  const RMAC = '00:6c:bc:1c:a8:65'; // the Sup2T's own gateway MAC (flag R, port Router)
  const gwArpOf = (mac: string): ArpEntry[] => [
    { ip: '10.51.0.1', mac, state: 'Dynamic', ageSeconds: 10, interface: 'Vlan51', vlan: 51 },
    { ip: '10.52.0.1', mac, state: 'Dynamic', ageSeconds: 10, interface: 'Vlan52', vlan: 52 },
  ];

  it('keeps each run\'s table reports and says which tables were unreadable', () => {
    const store = new DeviceStore(openDb(':memory:'));
    const good = tableReport('mac', 'show mac address-table', router);
    const bad = tableReport('mac', 'show mac address-table', parseTable('ios', 'mac', fx('ios-mac-catos-unreadable.txt')));
    store.saveRun(run(S, [
      { ...result('core', t0, [], router.entries), tables: [good] },
      { ...result('old', t0, [], []), skipped: 9, tables: [bad] },
    ]));
    const runs = store.latestRuns();
    expect(runs.map((r) => [r.device, r.macEntries, r.skipped, r.tables.map((t) => t.unreadable), r.warnings.length])).toEqual([
      ['core', 12, 0, [false], 0],
      ['old', 0, 9, [true], 1],
    ]);
    expect(runs[1].tables[0]).toEqual(bad);
    expect(runs[1].warnings[0]).toMatch(/^mac table mostly unreadable: 9 of 10 lines skipped/);
  });

  it('marks the switch\'s own entries as system sightings, apart from learned hosts', () => {
    const store = new DeviceStore(openDb(':memory:'));
    store.saveRun(run(S, [result('core', t0, [], router.entries)]));
    const h = store.history().filter((r) => r.source === 'mac');
    expect(h).toHaveLength(12);
    expect(h.filter((r) => r.system).map((r) => [r.mac, r.port]).sort()).toEqual([
      ['00:6c:bc:1c:a8:65', 'Router'],
      ['00:6c:bc:1c:a8:65', 'Router'],
      ['01:00:0c:cc:cc:cc', 'Router'],
      ['01:00:0c:dd:dd:dd', 'Router'],
      ['01:00:5e:00:00:fc', ''],
      ['01:00:5e:01:01:01', 'Gi1/1,Gi1/2,Gi1/3,Gi1/4,Gi1/5,Gi1/6,Gi1/7,Gi1/8'],
    ]);
    const w = whereLookup(store, RMAC);
    expect(w.rows.map((r) => [r.vlan, r.port, r.state, r.system])).toEqual([[51, 'Router', 'static', true], [52, 'Router', 'static', true]]);
    expect(formatWhere(w)).toMatch(/Router +51 +static \(sys\)/);
    // A static entry on several ports: the PORT column grows so VLAN and STATE stay under their headers.
    const eos = new DeviceStore(openDb(':memory:'));
    eos.saveRun(run(S, [result('leaf', t0, [], parseTable('eos', 'mac', fx('eos-mac-static-multiport.txt')).entries)]));
    const text = formatWhere(whereLookup(eos, '001c.7301.0a0b')).split('\n');
    expect(text[2]).toContain(' Po135,Po12,po5,eth1/1 1     static ');
    expect(text[1].indexOf('VLAN')).toBe(text[2].indexOf(' 1     static') + 1);
  });

  it('a router MAC answering for its addresses is not "a MAC holding several IPs" once its own table says so', () => {
    const without = new DeviceStore(openDb(':memory:'));
    without.saveRun(run(S, [result('gw', t0, gwArpOf(RMAC), [])]));
    expect(macsWithSeveralIps(without.history()).map((m) => m.mac)).toEqual([RMAC]);
    expect(whereLookup(without, '10.51.0.1').findings.map((f) => f.kind)).toEqual(['mac-several-ips']);
    const store = new DeviceStore(openDb(':memory:'));
    store.saveRun(run(S, [result('gw', t0, gwArpOf(RMAC), []), result('core', t0, [], router.entries)]));
    expect(macsWithSeveralIps(store.history())).toEqual([]);
    expect(whereLookup(store, '10.51.0.1').findings).toEqual([]);
    expect(whereLookup(store, RMAC).findings).toEqual([]);
  });

  it('a host MAC showing up on the switch\'s own SVI entry is not a port move', () => {
    const host = '00:50:56:a3:10:f2';
    const arp: ArpEntry[] = [{ ip: '10.51.0.20', mac: host, state: 'Dynamic', ageSeconds: 10, interface: 'Vlan51', vlan: 51 }];
    const learned: MacEntry = { mac: host, vlan: 51, type: 'dynamic', ports: ['Gi1/0/1'], ageSeconds: 5, flags: [], system: false };
    const store = new DeviceStore(openDb(':memory:'));
    store.saveRun(run(S, [result('sw', t0, arp, [learned])]));
    store.saveRun(run(S + 1, [result('sw', t0 + 300_000, arp, [{ ...learned, type: 'static', ports: ['Vl51'], system: true }])]));
    expect(ipMoves(store.history())).toEqual([]);
    store.saveRun(run(S + 2, [result('sw', t0 + 600_000, arp, [{ ...learned, ports: ['Gi1/0/2'] }])]));
    expect(ipMoves(store.history()).map((m) => [m.kind, m.trail])).toEqual([['port', ['sw Gi1/0/1', 'sw Gi1/0/2']]]);
  });

  it('reads a database written before table reports: old MAC entries, runs without reports', () => {
    const db = new Database(':memory:');
    expect(migrate(db, allMigrations.filter((m) => m.id !== 'devices-002'))).toContain('devices-001');
    // What the previous version stored: ports as one string, a single flag, no system; runs without reports.
    const legacy = [
      { mac: '70:e4:22:24:88:f5', vlan: 3260, type: 'dynamic', ports: 'Eth1/43', ageSeconds: 10, flag: '*' },
      { mac: '40:06:d5:c5:51:1f', vlan: null, type: 'static', ports: 'sup-eth1(R)', ageSeconds: null, flag: 'G' },
    ];
    db.prepare('INSERT INTO device_tables (time_slot, device, timestamp, arp, mac) VALUES (?, ?, ?, ?, ?)').run(S, 'nx', t0, '[]', JSON.stringify(legacy));
    db.prepare('INSERT INTO device_runs (device, time_slot, started_at, duration_ms, ok, arp_entries, mac_entries, skipped) VALUES (?, ?, ?, ?, 1, 0, 2, 0)').run('nx', S, t0, 5);
    db.prepare(`INSERT INTO device_sightings VALUES ('mac', 'nx', '', '40:06:d5:c5:51:1f', '', 'sup-eth1(R)', -1, 'static', ?, ?, ?, ?, 1)`).run(t0, t0, S, S);
    expect(migrate(db)).toEqual(['devices-002']);
    const store = new DeviceStore(db);
    expect(store.mergedAt(S).byMac.map((d) => [d.mac, d.interfaceList, d.system])).toEqual([
      ['40:06:d5:c5:51:1f', ['sup-eth1(R)'], true],
      ['70:e4:22:24:88:f5', ['Eth1/43'], false],
    ]);
    expect(store.latestRuns().map((r) => [r.device, r.tables, r.warnings])).toEqual([['nx', [], []]]);
    expect(store.history().map((r) => [r.mac, r.system])).toEqual([['40:06:d5:c5:51:1f', false]]);
    // The next collection of the same binding marks it system.
    store.saveRun(run(S + 1, [result('nx', t0 + 300_000, [], parseNxosMac(fx('nxos-mac-seed-n5672.txt')).entries)]));
    expect(store.history().filter((r) => r.mac === '40:06:d5:c5:51:1f').map((r) => [r.system, r.firstSeen])).toEqual([[true, t0]]);
  });
});
