import { describe, expect, it } from 'vitest';
import { demoGatewayArp, demoProbeFlows, demoSwitchMac, DEMO_PROBER, startDemoGateway, startDemoSwitch } from '../../src/gen/demo-devices.js';
import { parseIosMac } from '../../src/devices/parsers.js';
import { DeviceStore } from '../../src/devices/store.js';
import { whereLookup } from '../../src/devices/where.js';
import { openDb } from '../../src/store/db.js';
import { demoMinute } from '../../src/gen/demo.js';
import { parseIosXrArp } from '../../src/devices/parsers.js';
import { mergeSlot } from '../../src/devices/merge.js';
import { ipMoves, macsWithSeveralIps, unusedAddressesOf, type HistoryRow } from '../../src/devices/anomalies.js';
import { collectDevices } from '../../src/devices/collector.js';
import { devicesDefaults } from '../../src/config/sections/devices.js';
import { analyzeBatches } from '../../src/engine/analyze.js';
import { batchFromRecords } from '../../src/engine/batch.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const T = Date.UTC(2026, 10, 23, 10, 0);

describe('the demo gateway', () => {
  it('prints an IOS-XR ARP table the parser reads whole: 53 unused of the 64 swept addresses', () => {
    const first = parseIosXrArp(demoGatewayArp(0));
    expect([first.entries.length, first.skipped]).toEqual([64, 0]);
    const unused = unusedAddressesOf([mergeSlot(1, [{ device: 'demo-gw', timestamp: T, arp: first.entries, mac: [] }]).byIp]);
    expect(unused).toHaveLength(53);
    expect(unused).not.toContain('10.20.100.1');
    expect(unused).not.toContain('10.20.100.15');
  });

  it('has one MAC answering for two addresses, and one address that changes MAC after the first collection', () => {
    const rows = (n: number): HistoryRow[] =>
      parseIosXrArp(demoGatewayArp(n)).entries.map((e) => ({ source: 'arp', device: 'demo-gw', ip: e.ip, mac: e.mac, port: '', state: e.state, firstSeen: T + n, lastSeen: T + n }));
    expect(macsWithSeveralIps(rows(0)).map((m) => [m.mac, m.ips])).toEqual([['00:50:56:aa:00:12', ['10.20.100.18', '10.20.100.19']]]);
    expect(ipMoves(rows(0))).toEqual([]);
    expect(ipMoves([...rows(0), ...rows(1)]).map((m) => [m.ip, m.trail])).toEqual([['10.20.100.12', ['00:50:56:aa:00:0c', '00:50:56:bb:0c:0c']]]);
  });

  it('every demo minute carries the sweep, and with the gateway\'s table the prober is named for 53 addresses', async () => {
    const minute = demoMinute(0, T);
    const probe = minute.filter((f) => f.src === DEMO_PROBER);
    expect(probe).toEqual(demoProbeFlows(T));
    expect(probe).toHaveLength(64);
    const arp = parseIosXrArp(demoGatewayArp(0)).entries;
    const addresses = unusedAddressesOf([mergeSlot(1, [{ device: 'demo-gw', timestamp: T, arp, mac: [] }]).byIp]);
    const r = await analyzeBatches([batchFromRecords(minute)], { arpUnused: { addresses, slots: [1] } });
    const a = r.anomalies.find((x) => x.ip === DEMO_PROBER);
    expect([a?.type, a?.role, a?.unusedProbe?.total, a?.unusedProbe?.flows]).toEqual(['unused-probe', 'attacker', 53, 53]);
  });

  it('answers a real collection over SSH (random password, loopback only)', async () => {
    const gw = await startDemoGateway();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-demo-gw-'));
    try {
      expect(gw.config.host).toBe('127.0.0.1');
      expect(gw.config.password).toMatch(/^[\w-]{16}$/);
      const run = await collectDevices({ ...devicesDefaults, list: [gw.config], trustOnFirstUse: true }, { knownHostsFile: path.join(dir, 'known_hosts') });
      expect(run.results.map((x) => [x.device, x.ok, x.arp.length, x.skipped])).toEqual([['demo-gw', true, 64, 0]]);
    } finally {
      await gw.close();
    }
  });

  it('with the access switch, where names the switch port of each answering host (over SSH, two collections)', async () => {
    // The switch's table as the parser reads it: the gateway on the uplink, every answering MAC on its own port.
    const first = parseIosMac(demoSwitchMac(0));
    expect(first.skipped).toBe(0);
    expect(first.entries.filter((e) => !e.system).map((e) => [e.mac, e.ports[0], e.vlan])).toContainEqual(['00:50:56:aa:00:0f', 'Gi1/0/15', 20]);
    expect(first.entries.filter((e) => !e.system)).toHaveLength(10); // the gateway and nine MACs (.19 shares .18's)
    const gw = await startDemoGateway();
    const sw = await startDemoSwitch();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-demo-sw-'));
    const store = new DeviceStore(openDb(':memory:'));
    try {
      for (let n = 0; n < 2; n++) {
        const run = await collectDevices({ ...devicesDefaults, list: [gw.config, sw.config], trustOnFirstUse: true }, { knownHostsFile: path.join(dir, 'known_hosts'), now: () => T + n * 300_000 });
        expect(run.results.map((x) => [x.device, x.ok, x.arp.length, x.mac.length])).toEqual([['demo-gw', true, 64, 0], ['demo-sw1', true, 0, 11]]);
        store.saveRun(run);
      }
      const port = (ip: string) => [...new Set(whereLookup(store, ip).rows.filter((r) => r.source === 'mac').map((r) => `${r.device} ${r.port}`))];
      expect(port('10.20.100.15')).toEqual(['demo-sw1 Gi1/0/15']);
      expect(port('10.20.100.19')).toEqual(['demo-sw1 Gi1/0/18']); // the MAC it answers with is .18's
      expect(port('10.20.100.12')).toEqual(['demo-sw1 Gi1/0/12']); // its new MAC, on the same port
      expect(port('10.20.100.40')).toEqual([]); // unused: no MAC, no port
    } finally {
      await gw.close();
      await sw.close();
    }
  });
});
