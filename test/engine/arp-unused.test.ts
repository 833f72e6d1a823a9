import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzeBatches } from '../../src/engine/analyze.js';
import { alertText } from '../../src/engine/alert-text.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { createEngineRunner, type EngineEvent } from '../../src/ingest/runner.js';
import type { Anomaly, FlowRecord, WindowResult } from '../../src/engine/types.js';
import { engineDefaults } from '../../src/config/sections/engine.js';
import { DeviceStore } from '../../src/devices/store.js';
import { mergeSlot } from '../../src/devices/merge.js';
import { parseIosArp, parseIosXrArp, type ArpEntry } from '../../src/devices/parsers.js';
import { probersOfWindow } from '../../src/devices/handlers.js';
import { writeFlowsFile } from '../../src/gen/index.js';
import { openDb } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';

/**
 * The seeds' gateway check end to end in the engine: the device tables (the seeds' IOS-XR gateway and IOS L3 switch
 * samples) name the unused addresses; a generated window written through nfcapd and read back through nfdump
 * carries senders to them; the analysis names the outside senders `unused-probe` attackers with the reason.
 */
const FX = path.resolve(__dirname, '../devices/fixtures');
const gatewayArp = parseIosXrArp(fs.readFileSync(path.join(FX, 'iosxr-arp-seed-gateway.txt'), 'utf8')).entries;
const switchArp = parseIosArp(fs.readFileSync(path.join(FX, 'ios-arp-seed-l3switch.txt'), 'utf8')).entries;

const T0 = Date.UTC(2026, 10, 23, 9, 0); // window 09:00-09:05
const SLOT = Math.floor((T0 / 1000 + 150) / 300);

function saveTables(store: DeviceStore, slot: number, tables: { device: string; arp: ArpEntry[] }[]): void {
  const ts = slot * 300_000;
  store.saveRun({
    timeSlot: slot,
    startedAt: ts,
    results: tables.map((t) => ({ device: t.device, kind: 'iosxr' as const, host: '127.0.0.1', ok: true, timestamp: ts, durationMs: 5, arp: t.arp, mac: [], skipped: 0, skippedSamples: [], morePrompts: 0, hostKeyRecorded: false })),
    merged: mergeSlot(slot, []),
  });
}

let k = 0;
function f(src: string, dst: string, o: Partial<FlowRecord> = {}): FlowRecord {
  const start = T0 + 1000 + (k++ % 200_000);
  return { src, dst, sport: 40000 + (k % 20000), dport: 23, proto: 6, flags: 2, packets: 1, bytes: 40, start, end: start, inIf: 1, outIf: 2, exporter: '127.0.0.1', srcAs: 0, dstAs: 0, ...o };
}

/** The window: every sender and why it is there. */
function traffic(): FlowRecord[] {
  const out: FlowRecord[] = [];
  // A prober: 5 flows to 3 unused gateway addresses (Incomplete .29 twice, Deleted .2, Incomplete .5), plus a used one.
  out.push(f('198.51.100.66', '211.79.60.29'), f('198.51.100.66', '211.79.60.29'), f('198.51.100.66', '211.73.94.2'), f('198.51.100.66', '211.73.94.5'), f('198.51.100.66', '211.73.94.5'));
  for (let i = 0; i < 10; i++) out.push(f('198.51.100.66', '211.79.60.27'));
  // A quiet one-shot to an unused address on the L3 switch (Incomplete 192.168.205.115).
  out.push(f('203.0.113.10', '192.168.205.115'));
  // A client of a used server: 20 normal flows, never named.
  for (let i = 0; i < 20; i++) out.push(f('203.0.113.9', '211.79.60.27', { dport: 443, flags: 27, packets: 12, bytes: 4800 }));
  // A flood at one unused address from 300 distinct sources: a victim pattern, not 300 probers. One of them also
  // probes another unused address and is named for that one only.
  for (let i = 0; i < 300; i++) out.push(f(`100.64.${i >> 8}.${i & 255}`, '211.73.94.9', { dport: 80 }));
  out.push(f('100.64.0.7', '211.73.94.11'));
  // A wide scanner (2,000 addresses of 198.18.0.0/15) that also hit one unused address: stays a scan.
  for (let i = 0; i < 2000; i++) out.push(f('192.0.2.200', `198.18.${i >> 8}.${i & 255}`, { dport: 445 }));
  out.push(f('192.0.2.200', '211.73.94.7', { dport: 445 }));
  // An inside (used) gateway host to an unused inside address: named in backbone mode only.
  out.push(f('211.79.60.30', '211.73.94.3'));
  // An unused address as the sender (it cannot be the prober of another unused one).
  out.push(f('192.168.205.104', '211.73.94.4'));
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-arpunused-'));
const file = path.join(dir, 'nfcapd.202611230900');
const source = createNfdumpSource();
let devices: DeviceStore;

beforeAll(async () => {
  await writeFlowsFile([traffic()], file);
  devices = new DeviceStore(openDb(':memory:'));
  saveTables(devices, SLOT, [{ device: 'tn-gw', arp: gatewayArp }, { device: 'l3sw', arp: switchArp }]);
}, 60_000);

const byIp = (r: WindowResult) => new Map(r.anomalies.filter((a) => a.role === 'attacker').map((a) => [a.ip, a]));
const analyze = (opts: Parameters<typeof analyzeBatches>[1] = {}) => analyzeBatches(source.read([file]), { timeSlot: SLOT, ...opts });

describe('unused addresses from the device tables', () => {
  it('the window uses the collections at its start and end, else the newest of the two before, never older', () => {
    const s = new DeviceStore(openDb(':memory:'));
    expect(s.unusedAddressesFor(SLOT)).toEqual({ addresses: [], slots: [] });
    saveTables(s, SLOT - 3, [{ device: 'tn-gw', arp: gatewayArp }]);
    expect(s.unusedAddressesFor(SLOT).slots).toEqual([]); // 15 minutes old: too stale
    saveTables(s, SLOT - 2, [{ device: 'tn-gw', arp: gatewayArp }]);
    expect(s.unusedAddressesFor(SLOT)).toMatchObject({ slots: [SLOT - 2] });
    expect(s.unusedAddressesFor(SLOT).addresses).toHaveLength(12);
    // At the window's end, .29 answered (a host came up): it is in use for this window.
    const up = gatewayArp.map((e) => (e.ip === '211.79.60.29' ? { ...e, mac: '00:11:22:33:44:55', state: 'Dynamic' } : e));
    saveTables(s, SLOT + 1, [{ device: 'tn-gw', arp: up }]);
    saveTables(s, SLOT, [{ device: 'tn-gw', arp: gatewayArp }]);
    const u = s.unusedAddressesFor(SLOT);
    expect(u.slots).toEqual([SLOT, SLOT + 1]);
    expect(u.addresses).toHaveLength(11);
    expect(u.addresses).not.toContain('211.79.60.29');
    expect(u.addresses.slice(0, 3)).toEqual(['211.73.94.1', '211.73.94.2', '211.73.94.3']); // numeric order
    expect(devices.unusedAddressesFor(SLOT).addresses).toHaveLength(18); // 12 on the gateway + 6 on the switch
  });
});

describe('ARP-confirmed probers in the window (flows through nfcapd and nfdump)', () => {
  it('names the outside senders to unused addresses as unused-probe attackers, with targets, flows and the reason', async () => {
    const u = devices.unusedAddressesFor(SLOT);
    const r = await analyze({ arpUnused: u });
    const a = byIp(r);
    const p = a.get('198.51.100.66')!;
    expect(p.type).toBe('unused-probe');
    expect(p.unusedProbe).toMatchObject({ targets: ['211.73.94.2', '211.73.94.5', '211.79.60.29'], total: 3, flows: 5, arpSlots: [SLOT] });
    expect(p.unusedProbe!.reason).toBe('sent 5 flows to 3 addresses no device resolves (ARP only Incomplete/Deleted or MAC 00:00:00:00:00:00): 211.73.94.2, 211.73.94.5, 211.79.60.29');
    expect(p.evidence).toEqual([{ indicator: 'unused addresses contacted (ARP)', value: 3, threshold: 1, ratio: 3 }]);
    expect(p.metrics.flows).toBe(15); // the breakdown covers all its flows, used address included
    expect(a.get('203.0.113.10')!.unusedProbe).toMatchObject({ targets: ['192.168.205.115'], total: 1, flows: 1 });
    // The flood source that also probed .11 is named for .11 only; the other 299 flood sources are not named.
    expect(a.get('100.64.0.7')!.unusedProbe).toMatchObject({ targets: ['211.73.94.11'], total: 1, flows: 1 });
    expect([...a.keys()].filter((ip) => ip.startsWith('100.64.'))).toEqual(['100.64.0.7']);
    // The scanner stays a scan and carries the ARP evidence.
    const scan = a.get('192.0.2.200')!;
    expect(scan.type).toBe('scan');
    expect(scan.alsoMatched).toContain('unused-probe');
    expect(scan.unusedProbe).toMatchObject({ targets: ['211.73.94.7'], total: 1, flows: 1 });
    // Backbone mode: the gateway's own host counts as a sender; an unused sender and the client never do.
    expect(a.get('211.79.60.30')?.unusedProbe?.targets).toEqual(['211.73.94.3']);
    expect(a.has('192.168.205.104')).toBe(false);
    expect(a.has('203.0.113.9')).toBe(false);
    expect(probersOfWindow(r).map((x) => [x.ip, x.total])).toEqual(
      [...a.values()].filter((x) => x.unusedProbe).map((x) => [x.ip, x.unusedProbe!.total]),
    );
    expect(probersOfWindow(r)).toHaveLength(5);
  });

  it('in campus mode counts outside senders only, and obeys the thresholds', async () => {
    const u = devices.unusedAddressesFor(SLOT);
    const campus = byIp(await analyze({ arpUnused: u, inside: ['211.79.60.0/24', '211.73.94.0/24', '192.168.0.0/16'] }));
    expect(campus.get('198.51.100.66')?.unusedProbe?.total).toBe(3);
    expect(campus.get('211.79.60.30')?.unusedProbe).toBeUndefined();
    const two = byIp(await analyze({ arpUnused: u, thresholds: { 'unused-probe.arpTargets': 2 } }));
    expect([...two.values()].filter((x) => x.unusedProbe).map((x) => x.ip)).toEqual(['198.51.100.66']);
    const super1 = byIp(await analyze({ arpUnused: u, thresholds: { 'unused-probe.arpTargets.super': 3 } }));
    expect(super1.get('198.51.100.66')!.severity).toBe('super');
    // A higher flood cut-off (400 senders): the 300-source address counts as probed, and every flood source is named.
    const loose = byIp(await analyze({ arpUnused: u, thresholds: { 'unused-probe.arpMaxSources': 400 } }));
    expect([...loose.keys()].filter((ip) => ip.startsWith('100.64.'))).toHaveLength(300);
  });

  it('without device tables nothing is named for them (the rule needs the ARP evidence)', async () => {
    const r = await analyze();
    expect(r.anomalies.some((x) => x.unusedProbe)).toBe(false);
    expect(byIp(r).has('198.51.100.66')).toBe(false);
    const none = await analyze({ arpUnused: { addresses: ['10.99.99.99'], slots: [SLOT] } });
    expect(none.anomalies.some((x) => x.unusedProbe)).toBe(false);
  });

  it('states the ARP evidence in the alert text, in English and Traditional Chinese', async () => {
    const r = await analyze({ arpUnused: devices.unusedAddressesFor(SLOT) });
    const p = r.anomalies.find((x) => x.ip === '198.51.100.66') as Anomaly;
    expect(alertText(p, 'en', SLOT)).toContain('* ARP: sent 5 flows to 3 addresses no device resolves (ARP only Incomplete/Deleted or MAC 00:00:00:00:00:00): 211.73.94.2, 211.73.94.5, 211.79.60.29');
    expect(alertText(p, 'en', SLOT)).toContain('unused addresses contacted (ARP) in 5 minutes: 3 (threshold 1, 3.0×)');
    expect(alertText(p, 'zh-TW', SLOT)).toContain('＊ARP確認：送出5筆Flow至3個無設備回應的位址');
    expect(alertText(p, 'zh-TW', SLOT)).toContain('探測未使用位址數（ARP確認）');
  });
});

describe('the engine runner asks the device tables for each window', () => {
  it('stores the unused-probe attackers with the window, and goes on without them when the tables fail', async () => {
    const db = openDb(':memory:');
    const store = new EngineStore(db);
    const logs: string[] = [];
    let fail = false;
    const asked: number[] = [];
    const runner = createEngineRunner(
      { ...engineDefaults, nfcapdDir: dir, pollSeconds: 1 },
      {
        store,
        source,
        now: () => T0 + 600_000,
        log: (l) => logs.push(l),
        arpUnused: (slot) => {
          asked.push(slot);
          if (fail) throw new Error('database is locked');
          return devices.unusedAddressesFor(slot);
        },
      },
    );
    const events: EngineEvent[] = [];
    runner.on((e) => events.push(e));
    expect(await runner.processOnce()).toBe(1);
    expect(asked).toEqual([SLOT]);
    const w = store.latestWindow()!;
    expect(probersOfWindow(w).map((x) => x.ip).sort()).toEqual(['100.64.0.7', '192.0.2.200', '198.51.100.66', '203.0.113.10', '211.79.60.30']);
    expect(w.anomalies.find((x) => x.ip === '198.51.100.66')!.tracking).toMatchObject({ windowsSeen: 1, streak: 1 });
    expect(store.history('198.51.100.66')[0].anomaly.unusedProbe?.total).toBe(3);

    // The same file again (re-copied): the tables fail, the window is still stored, without ARP evidence.
    fail = true;
    const again = path.join(dir, 'nfcapd.202611230905');
    fs.copyFileSync(file, again);
    try {
      expect(await runner.processOnce()).toBe(1);
      expect(logs).toEqual([`device tables unavailable for ${again}: database is locked`]);
      expect(probersOfWindow(store.latestWindow()!)).toEqual([]);
      expect(events.filter((e) => e.kind === 'window')).toHaveLength(2);
    } finally {
      fs.rmSync(again);
    }
  });
});
