import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDeviceCollector, type CollectionRun } from '../../src/devices/collector.js';
import { DeviceStore } from '../../src/devices/store.js';
import { openDb } from '../../src/store/db.js';
import { devicesDefaults, type DevicesConfig } from '../../src/config/sections/devices.js';
import type { MergedSlot } from '../../src/devices/merge.js';
import { timeSlotOf } from '../../src/engine/types.js';
import { newKeyPair, publicBlob, startFakeDevice, type FakeDevice } from '../../src/gen/device-sim.js';

const fx = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');

/** Timers under the test's control: `fire()` runs the pending one. */
function fakeTimers() {
  const pending: { fn: () => void; ms: number; id: number }[] = [];
  let next = 1;
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const id = next++;
      pending.push({ fn, ms, id });
      return id;
    },
    clearTimer: (h: unknown) => {
      const i = pending.findIndex((p) => p.id === h);
      if (i >= 0) pending.splice(i, 1);
    },
    fire: () => pending.shift()!.fn(),
  };
}

const servers: FakeDevice[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('scheduled collector', () => {
  it('is inert until start, waits for the next 5-minute boundary, and stop() cancels', () => {
    const clock = { t: 1_700_000_123_456 };
    const timers = fakeTimers();
    const c = createDeviceCollector(devicesDefaults, { now: () => clock.t, ...timers });
    expect(timers.pending).toHaveLength(0);
    c.start();
    // 1_700_000_123_456 ms is 23_456 ms past a multiple of 300_000.
    expect(timers.pending.map((p) => p.ms)).toEqual([300_000 - 23_456]);
    expect(c.msToNextBoundary(1_700_000_100_000)).toBe(300_000);
    clock.t = 1_700_000_400_000;
    timers.fire(); // no devices configured: nothing to collect, the next boundary is scheduled
    expect(c.counters().runs).toBe(0);
    expect(timers.pending.map((p) => p.ms)).toEqual([300_000]);
    clock.t = 1_700_000_699_999; // fired a hair early: must not fire twice for one boundary
    timers.fire();
    expect(timers.pending.map((p) => p.ms)).toEqual([300_001]);
    c.stop();
    expect(timers.pending).toHaveLength(0);
  });

  it('at a boundary collects, saves to the store and hands the merged slot to every sink; a failing sink is counted', async () => {
    const host = newKeyPair();
    const d = await startFakeDevice({ kind: 'iosxr', hostname: 'gw', hostKey: host.private, user: 'noc', password: 'pw', outputs: { 'show arp': fx('iosxr-arp-seed-gateway.txt') }, lineDelayMs: 2 });
    servers.push(d);
    const kh = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-sched-')), 'known_hosts');
    fs.writeFileSync(kh, `[127.0.0.1]:${d.port} ssh-ed25519 ${publicBlob(host.public).toString('base64')}\n`);
    const config: DevicesConfig = { ...devicesDefaults, knownHostsFile: kh, list: [{ name: 'gw', host: '127.0.0.1', port: d.port, user: 'noc', password: 'pw', kind: 'iosxr', collect: ['arp', 'mac'] }] };
    const store = new DeviceStore(openDb(':memory:'));
    const got: MergedSlot[] = [];
    const errors: Error[] = [];
    const timers = fakeTimers();
    const t = 1_685_283_000_000;
    let done!: (r: CollectionRun) => void;
    const finished = new Promise<CollectionRun>((r) => (done = r));
    const c = createDeviceCollector(config, {
      now: () => t,
      ...timers,
      store,
      sinks: [{ onMerged: (m) => void got.push(m) }, { onMerged: async () => { throw new Error('es down'); } }],
      onError: (e) => errors.push(e),
      onRun: (r) => done(r),
    });
    c.start();
    timers.fire();
    expect(timers.pending).toHaveLength(1); // the next boundary is already scheduled
    timers.fire(); // a boundary while the first run is still going: skipped
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    expect(stopped).toBe(false); // the run is still going
    await stopping;
    const r = await finished;
    expect(r.timeSlot).toBe(timeSlotOf(t / 1000));
    expect(r.results.map((x) => [x.device, x.ok, x.arp.length])).toEqual([['gw', true, 15]]);
    expect(got).toHaveLength(1);
    expect(got[0].byIp).toHaveLength(15);
    expect(got[0].byMac.find((m) => m.mac === '00:00:00:00:00:00')!.ipList).toHaveLength(12);
    expect(store.mergedAt(r.timeSlot).byIp).toHaveLength(15);
    expect(c.counters()).toEqual({ runs: 1, devicesOk: 1, devicesFailed: 0, overlapsSkipped: 1, sinkErrors: 1, storeErrors: 0, tablesUnreadable: 0 });
    expect(errors.map((e) => e.message)).toEqual([`device doc sink failed for slot ${r.timeSlot}: es down`]);
    expect(c.lastRun()).toBe(r);
  });

  it('serializes on-demand runs with a run in progress', async () => {
    const host = newKeyPair();
    const d = await startFakeDevice({ kind: 'ios', hostname: 'sw', hostKey: host.private, user: 'noc', password: 'pw', outputs: { 'show arp': fx('ios-arp-seed-l3switch.txt') }, lineDelayMs: 2 });
    servers.push(d);
    const config: DevicesConfig = { ...devicesDefaults, trustOnFirstUse: true, knownHostsFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-sched-')), 'kh'), list: [{ name: 'sw', host: '127.0.0.1', port: d.port, user: 'noc', password: 'pw', kind: 'ios', collect: ['arp'] }] };
    const c = createDeviceCollector(config, {});
    const [a, b] = await Promise.all([c.collectAll(), c.collectAll(['sw'])]);
    expect(a.results[0].ok && b.results[0].ok).toBe(true);
    expect(a.results[0].hostKeyRecorded).toBe(true);
    expect(b.results[0].hostKeyRecorded).toBe(false);
    expect(c.counters().runs).toBe(2);
  });
});
