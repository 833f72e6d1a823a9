import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngineRunner, type EngineEvent } from '../../src/engine/runner.js';
import { listCompleted, parseNfcapdName } from '../../src/engine/watcher.js';
import { createNfdumpSource } from '../../src/engine/nfdump-source.js';
import { openDb, type Db } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { engineDefaults } from '../../src/config/sections/engine.js';

const CAPTURES = path.resolve(__dirname, '../../../shared/captures');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-run-'));
const dbs: Db[] = [];
afterEach(() => { while (dbs.length) dbs.pop()!.close(); });

function setup(dir: string, dbFile: string) {
  const db = openDb(dbFile);
  dbs.push(db);
  const store = new EngineStore(db);
  const runner = createEngineRunner({ ...engineDefaults, nfcapdDir: dir, pollSeconds: 0.05 }, { store, source: createNfdumpSource(), now: () => Date.UTC(2026, 10, 22, 14, 30) });
  const events: EngineEvent[] = [];
  runner.on((e) => events.push(e));
  return { store, runner, events };
}

describe('watcher', () => {
  it.each([
    ['nfcapd.202611221405', Date.UTC(2026, 10, 22, 14, 5)],
    ['nfcapd.20261122140530', Date.UTC(2026, 10, 22, 14, 5, 30)],
    ['nfcapd.current.4242', undefined],
    ['nfcapd.202611221405.truth.json', undefined],
    ['nfcapd.2026112214', undefined],
  ])('%s', (name, t) => expect(parseNfcapdName(name)).toBe(t));

  it('finds completed files in flat and nested (-S) layouts, oldest first, never the open file', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, '2026/11/22/14'), { recursive: true });
    for (const p of ['2026/11/22/14/nfcapd.202611221410', 'nfcapd.202611221400', '2026/11/22/nfcapd.202611221405', 'nfcapd.current.77', '2026/11/22/14/nfcapd.current.78']) fs.writeFileSync(path.join(dir, p), '');
    expect(listCompleted(dir).map((f) => path.relative(dir, f.path))).toEqual(['nfcapd.202611221400', '2026/11/22/nfcapd.202611221405', '2026/11/22/14/nfcapd.202611221410']);
  });
});

describe('engine runner', () => {
  it('processes each file once, in order, skips a corrupt one with its reason, and remembers across restarts', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    fs.copyFileSync(path.join(CAPTURES, 'synscan.ipfix.nfcapd'), path.join(dir, 'nfcapd.202611221400'));
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), 'garbage, not an nfcapd file'.repeat(50));
    fs.copyFileSync(path.join(CAPTURES, 'pkt.TCP.DOMINATE.syn.ecn.cwr.ipfix.nfcapd'), path.join(dir, 'nfcapd.202611221410'));
    fs.copyFileSync(path.join(CAPTURES, 'nmap_80_all.ipfix.nfcapd'), path.join(dir, 'nfcapd.current.1234'));
    const a = setup(dir, dbFile);
    expect(await a.runner.processOnce()).toBe(3);
    const kinds = a.events.filter((e) => e.kind !== 'lag').map((e) => `${e.kind}:${path.basename((e as { file: string }).file)}`);
    expect(kinds).toEqual(['window:nfcapd.202611221400', 'file-error:nfcapd.202611221405', 'window:nfcapd.202611221410']);
    const err = a.events.find((e) => e.kind === 'file-error') as Extract<EngineEvent, { kind: 'file-error' }>;
    expect(err.reason).toMatch(/bad magic/);
    expect(a.runner.stats).toEqual({ processed: 2, failed: 1, flows: 2002 + 9705 });
    // The window's TimeSlot comes from the file name, not from the (2010) flows inside.
    const w = a.events.find((e) => e.kind === 'window') as Extract<EngineEvent, { kind: 'window' }>;
    expect(w.result.window.timeSlot).toBe(Math.floor((Date.UTC(2026, 10, 22, 14, 0) / 1000 + 150) / 300));
    expect(w.result.anomalies[0].tracking).toEqual({ firstSeenSlot: w.result.window.timeSlot, windowsSeen: 1, shareAbove: 1, streak: 1 });
    expect(a.store.failures()[0].path).toBe(path.join(dir, 'nfcapd.202611221405'));
    expect(a.runner.lagSeconds()).toBe(15 * 60); // newest file 14:10 + 5 min, clock 14:30

    // A second engine on the same database: nothing new to do, then exactly the new file.
    const b = setup(dir, dbFile);
    expect(await b.runner.processOnce()).toBe(0);
    fs.copyFileSync(path.join(CAPTURES, 'synscan.ipfix.nfcapd'), path.join(dir, 'nfcapd.202611221415'));
    expect(await b.runner.processOnce()).toBe(1);
    expect(b.store.listWindows().map((x) => path.basename(x.file))).toEqual(['nfcapd.202611221415', 'nfcapd.202611221410', 'nfcapd.202611221400']);
    // The scanner was abnormal at 14:00 and 14:15: two windows of four slots, streak 1.
    const last = b.store.latestWindow()!;
    expect(last.anomalies[0]).toMatchObject({ ip: '172.16.0.8', tracking: { windowsSeen: 2, shareAbove: 0.5, streak: 1 } });
  });

  it('picks up new files while started, and stops cleanly', async () => {
    const dir = tmp();
    const { runner, events } = setup(dir, ':memory:');
    runner.start();
    fs.copyFileSync(path.join(CAPTURES, 'synscan.ipfix.nfcapd'), path.join(dir, 'nfcapd.202611221400'));
    for (let i = 0; i < 100 && !events.some((e) => e.kind === 'window'); i++) await new Promise((r) => setTimeout(r, 50));
    await runner.stop();
    expect(events.filter((e) => e.kind === 'window')).toHaveLength(1);
  });

  it('a crash inside the commit leaves no partial window and the file is processed again', async () => {
    const dir = tmp();
    fs.copyFileSync(path.join(CAPTURES, 'synscan.ipfix.nfcapd'), path.join(dir, 'nfcapd.202611221400'));
    const { store } = setup(dir, ':memory:');
    const result = { window: { timeSlot: 1, start: 0, end: 300 }, flows: 5, packets: 5, bytes: 5, distinctIps: 2, anomalies: [] };
    expect(() => store.commitWindow('/x/nfcapd.202611221400', result, 0, () => { throw new Error('power cut'); })).toThrow('power cut');
    expect(store.listWindows()).toEqual([]);
    expect(store.fileStatus('/x/nfcapd.202611221400')).toBeUndefined();
    store.commitWindow('/x/nfcapd.202611221400', result, 0);
    store.commitWindow('/x/nfcapd.202611221400', result, 0);
    expect(store.listWindows()).toHaveLength(1);
    expect(store.fileStatus('/x/nfcapd.202611221400')).toBe('done');
  });
});
