import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngineRunner, rotationInterval, type EngineEvent, type RunnerDeps } from '../../src/ingest/runner.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { openDb, type Db } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { engineDefaults } from '../../src/config/sections/engine.js';
import { CAPTURES } from '../helpers/captures.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import type { WindowTap, WindowTapInfo } from '../../src/engine/sink.js';


const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-run-'));
const dbs: Db[] = [];
afterEach(() => { while (dbs.length) dbs.pop()!.close(); });

function setup(dir: string, dbFile: string, extra: { retentionDays?: number; source?: RunnerDeps['source']; now?: number; sinks?: RunnerDeps['sinks'] } = {}) {
  const db = openDb(dbFile);
  dbs.push(db);
  const store = new EngineStore(db);
  const logs: string[] = [];
  const runner = createEngineRunner(
    { ...engineDefaults, nfcapdDir: dir, pollSeconds: 0.05, retentionDays: extra.retentionDays ?? 0 },
    { store, source: extra.source ?? createNfdumpSource(), sinks: extra.sinks, now: () => extra.now ?? Date.UTC(2026, 10, 22, 14, 30), log: (l) => logs.push(l) },
  );
  const events: EngineEvent[] = [];
  runner.on((e) => events.push(e));
  return { store, runner, events, logs };
}
const cap = (name: string, dest: string) => fs.copyFileSync(path.join(CAPTURES, name), dest);
const slotOf = (ms: number) => Math.floor((ms / 1000 + 150) / 300);

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
    expect(a.runner.stats).toEqual({ processed: 2, failed: 1, skipped: 0, flows: 2002 + 9705, pruned: 0 });
    expect(a.logs).toEqual([expect.stringMatching(/^failed .*nfcapd\.202611221405: .*bad magic/)]);
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

  it('a truncated real file is recorded failed with nfdump\'s reason, and the files around it are processed', async () => {
    const dir = tmp();
    cap('nmap_80_all.ipfix.nfcapd', path.join(dir, 'nfcapd.202611221400'));
    const whole = fs.readFileSync(path.join(CAPTURES, 'synscan.ipfix.nfcapd'));
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), whole.subarray(0, Math.floor(whole.length / 2)));
    cap('nmap_80_all.ipfix.nfcapd', path.join(dir, 'nfcapd.202611221410'));
    const { runner, store, events } = setup(dir, ':memory:');
    expect(await runner.processOnce()).toBe(3);
    expect(events.filter((e) => e.kind !== 'lag').map((e) => `${e.kind}:${path.basename((e as { file: string }).file)}`)).toEqual([
      'window:nfcapd.202611221400', 'file-error:nfcapd.202611221405', 'window:nfcapd.202611221410',
    ]);
    expect(store.failures()).toEqual([{ path: path.join(dir, 'nfcapd.202611221405'), error: expect.stringMatching(/appendix offset error/), at: expect.any(Number) }]);
    expect(store.fileStatus(path.join(dir, 'nfcapd.202611221405'))).toBe('failed');
    // A failed file is not retried on the next pass.
    expect(await runner.processOnce()).toBe(0);
    expect(store.listWindows()).toHaveLength(2);
    // Unless it changes (the operator copies the whole file again): then it is tried again, and now it reads.
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), whole);
    expect(await runner.processOnce()).toBe(1);
    expect(store.fileStatus(path.join(dir, 'nfcapd.202611221405'))).toBe('done');
    expect(store.failures()).toEqual([]);
    expect(store.listWindows().map((w) => [path.basename(w.file), w.flows])).toEqual([
      ['nfcapd.202611221410', 71], ['nfcapd.202611221405', 2002], ['nfcapd.202611221400', 71],
    ]);
    expect(await runner.processOnce()).toBe(0);
  });

  it('a file removed before its turn is reported as skipped, kept out of the ledger, and the next is processed', async () => {
    const dir = tmp();
    for (const t of ['1400', '1405', '1410']) cap('nmap_80_all.ipfix.nfcapd', path.join(dir, `nfcapd.20261122${t}`));
    const real = createNfdumpSource();
    // Reading the first file removes the second (as nfexpire or an operator would), between listing and reading.
    const source: RunnerDeps['source'] = {
      read(files, opts) {
        if (files[0].endsWith('1400')) fs.rmSync(path.join(dir, 'nfcapd.202611221405'));
        return real.read(files, opts);
      },
    };
    const { runner, store, events, logs } = setup(dir, ':memory:', { source });
    expect(await runner.processOnce()).toBe(3);
    expect(events.filter((e) => e.kind !== 'lag').map((e) => `${e.kind}:${path.basename((e as { file: string }).file)}`)).toEqual([
      'window:nfcapd.202611221400', 'file-skipped:nfcapd.202611221405', 'window:nfcapd.202611221410',
    ]);
    expect(runner.stats).toMatchObject({ processed: 2, failed: 0, skipped: 1 });
    expect(store.fileStatus(path.join(dir, 'nfcapd.202611221405'))).toBeUndefined();
    expect(logs).toEqual([`skipped ${path.join(dir, 'nfcapd.202611221405')}: removed before it was read`]);
  });

  it('files in -S sub-directories are processed in time order across directories', async () => {
    const dir = tmp();
    const put = (rel: string) => {
      fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
      cap('nmap_80_all.ipfix.nfcapd', path.join(dir, rel));
    };
    put('2026/11/22/15/nfcapd.202611221500');
    put('2026/11/22/09/nfcapd.202611220955');
    put('2026/11/22/14/nfcapd.202611221400');
    const { runner, events } = setup(dir, ':memory:');
    await runner.processOnce();
    const order = events.flatMap((e) => (e.kind === 'window' ? [e.result.window.timeSlot] : []));
    expect(order).toEqual([Date.UTC(2026, 10, 22, 9, 55), Date.UTC(2026, 10, 22, 14), Date.UTC(2026, 10, 22, 15)].map(slotOf));
  });

  it('1-minute files share a TimeSlot: one window row each, tracking counts the slot once', async () => {
    const dir = tmp();
    for (const t of ['1403', '1404', '1405', '1406', '1407', '1408']) cap('synscan.ipfix.nfcapd', path.join(dir, `nfcapd.20261122${t}`));
    const { runner, store, events } = setup(dir, ':memory:', { now: Date.UTC(2026, 10, 22, 14, 12) });
    expect(await runner.processOnce()).toBe(6);
    const windows = events.flatMap((e) => (e.kind === 'window' ? [e.result] : []));
    // The slot centred on 14:05 covers [14:02:30, 14:07:30): 14:03..14:07 share it, 14:08 starts the next.
    expect(windows.map((w) => w.window.timeSlot - windows[0].window.timeSlot)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(store.listWindows()).toHaveLength(6);
    const scanner = (w: (typeof windows)[number]) => w.anomalies.find((a) => a.ip === '172.16.0.8')!.tracking;
    expect(windows.map((w) => scanner(w)!.windowsSeen)).toEqual([1, 1, 1, 1, 1, 2]);
    expect(scanner(windows[5])).toEqual({ firstSeenSlot: windows[0].window.timeSlot, windowsSeen: 2, shareAbove: 1, streak: 2 });
    // Lag uses the rotation inferred from the names (60 s): newest 14:08 + 1 min, clock 14:12.
    expect(runner.lagSeconds()).toBe(3 * 60);
  });

  it('retention prunes windows older than retentionDays before the newest processed slot', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    cap('synscan.ipfix.nfcapd', path.join(dir, 'nfcapd.202611201400'));
    cap('synscan.ipfix.nfcapd', path.join(dir, 'nfcapd.202611221400'));
    const a = setup(dir, dbFile, { retentionDays: 1 });
    expect(await a.runner.processOnce()).toBe(2);
    expect(a.runner.stats.pruned).toBe(1);
    expect(a.store.listWindows().map((w) => path.basename(w.file))).toEqual(['nfcapd.202611221400']);
    // The pruned file stays in the ledger: a restart does not bring it back.
    const b = setup(dir, dbFile, { retentionDays: 1 });
    expect(await b.runner.processOnce()).toBe(0);
    expect(b.store.fileStatus(path.join(dir, 'nfcapd.202611201400'))).toBe('done');
    // Tracking is pruned only for (IP, type) not seen since the cut-off: the scanner's still counts both windows.
    expect(b.store.latestWindow()!.anomalies.find((x) => x.ip === '172.16.0.8')!.tracking!.windowsSeen).toBe(2);
  });
});

describe('failures that are not nfdump\'s', () => {
  it('a file whose reading fails otherwise is recorded failed as an analysis failure, and the next is processed', async () => {
    const dir = tmp();
    for (const t of ['1400', '1405']) cap('nmap_80_all.ipfix.nfcapd', path.join(dir, `nfcapd.20261122${t}`));
    const real = createNfdumpSource();
    const source: RunnerDeps['source'] = {
      read(files, opts) {
        if (!files[0].endsWith('1400')) return real.read(files, opts);
        return (async function* () {
          yield* real.read(files, opts);
          throw new Error('decoder bug');
        })();
      },
    };
    const { runner, store, events } = setup(dir, ':memory:', { source });
    expect(await runner.processOnce()).toBe(2);
    // The reader had counted the file before the failure: the event carries its counters.
    expect(events.filter((e) => e.kind === 'file-error')).toEqual([
      { kind: 'file-error', file: path.join(dir, 'nfcapd.202611221400'), reason: 'analysis failed: decoder bug', read: expect.objectContaining({ reader: 'nfdump', records: expect.any(Number) }) },
    ]);
    expect(store.listWindows().map((w) => path.basename(w.file))).toEqual(['nfcapd.202611221405']);
  });

  it('a store failure ends the pass with an error event; the file stays pending and is processed at the next poll', async () => {
    const dir = tmp();
    cap('nmap_80_all.ipfix.nfcapd', path.join(dir, 'nfcapd.202611221400'));
    const { runner, store, events, logs } = setup(dir, ':memory:');
    const commit = store.commitWindow.bind(store);
    let calls = 0;
    store.commitWindow = (...args: Parameters<typeof commit>) => {
      if (calls++ === 0) throw new Error('SQLITE_FULL: database or disk is full');
      return commit(...args);
    };
    runner.start();
    for (let i = 0; i < 200 && !events.some((e) => e.kind === 'window'); i++) await new Promise((r) => setTimeout(r, 25));
    await runner.stop();
    expect(events.filter((e) => e.kind === 'error' || e.kind === 'window').map((e) => e.kind)).toEqual(['error', 'window']);
    expect(logs).toEqual(['pass failed: SQLITE_FULL: database or disk is full']);
    expect(store.fileStatus(path.join(dir, 'nfcapd.202611221400'))).toBe('done');
    expect(store.failures()).toEqual([]);
  });

  it('a listener that throws does not stop the engine', async () => {
    const dir = tmp();
    for (const t of ['1400', '1405']) cap('nmap_80_all.ipfix.nfcapd', path.join(dir, `nfcapd.20261122${t}`));
    const { runner, store } = setup(dir, ':memory:');
    runner.on(() => {
      throw new Error('listener bug');
    });
    expect(await runner.processOnce()).toBe(2);
    expect(store.listWindows()).toHaveLength(2);
  });
});

describe('window sinks', () => {
  it('get each window after it is committed, with tracking; a failing sink is reported and does not stop the others', async () => {
    const dir = tmp();
    for (const t of ['1400', '1405']) cap('synscan.ipfix.nfcapd', path.join(dir, `nfcapd.20261122${t}`));
    const seen: { file: string; done: string | undefined; windowsSeen: number | undefined }[] = [];
    let store: EngineStore | undefined;
    const sinks: RunnerDeps['sinks'] = [
      { name: 'broken', writeWindow: async () => { throw new Error('es down'); } },
      {
        name: 'recorder',
        writeWindow: async (r) => {
          const file = r.files![0];
          seen.push({ file: path.basename(file), done: store!.fileStatus(file), windowsSeen: r.anomalies.find((a) => a.ip === '172.16.0.8')?.tracking?.windowsSeen });
        },
      },
    ];
    const x = setup(dir, ':memory:', { sinks });
    store = x.store;
    expect(await x.runner.processOnce()).toBe(2);
    expect(seen).toEqual([
      { file: 'nfcapd.202611221400', done: 'done', windowsSeen: 1 },
      { file: 'nfcapd.202611221405', done: 'done', windowsSeen: 2 },
    ]);
    expect(x.events.filter((e) => e.kind === 'sink-error')).toEqual([
      { kind: 'sink-error', sink: 'broken', reason: 'es down' },
      { kind: 'sink-error', sink: 'broken', reason: 'es down' },
    ]);
  });
});

describe('window taps (other readers of a window\'s batches)', () => {
  it('each batch goes to the analysis and to the consumers a tap opened, once; a throwing consumer never fails the file', async () => {
    const dir = tmp();
    const { file, truth } = await makeScenarioFile('syn-scan', { scale: 0.1 });
    fs.copyFileSync(file, path.join(dir, 'nfcapd.202611221400'));
    fs.copyFileSync(file, path.join(dir, 'nfcapd.202611221405'));
    const opened: WindowTapInfo[] = [];
    const seen: { rows: number; done?: number }[] = [];
    const counting: WindowTap = {
      name: 'counting',
      open(info) {
        opened.push(info);
        // Stays out of the second window: a tap may decline.
        if (info.fileTime === Date.UTC(2026, 10, 22, 14, 5)) return undefined;
        const me: { rows: number; done?: number } = { rows: 0 };
        seen.push(me);
        return { add: (b) => void (me.rows += b.size), done: (r) => void (me.done = r.flows) };
      },
    };
    const broken: WindowTap = { name: 'broken', open: () => ({ add: () => { throw new Error('tap bug'); }, done: () => { throw new Error('never called'); } }) };
    const db = openDb(':memory:');
    dbs.push(db);
    const runner = createEngineRunner({ ...engineDefaults, nfcapdDir: dir, intervalSeconds: 300 }, { store: new EngineStore(db), source: createNfdumpSource(), taps: [counting, broken], now: () => Date.UTC(2026, 10, 22, 14, 30) });
    const events: EngineEvent[] = [];
    runner.on((e) => events.push(e));
    expect(await runner.processOnce()).toBe(2);
    expect(opened.map((o) => [path.basename(o.file), o.timeSlot, o.intervalSeconds])).toEqual([
      ['nfcapd.202611221400', slotOf(Date.UTC(2026, 10, 22, 14, 0)), 300],
      ['nfcapd.202611221405', slotOf(Date.UTC(2026, 10, 22, 14, 5)), 300],
    ]);
    expect(seen).toEqual([{ rows: truth.flows, done: truth.flows }]);
    expect(events.filter((e) => e.kind === 'window')).toHaveLength(2);
    expect(events.filter((e) => e.kind === 'sink-error')).toEqual([
      { kind: 'sink-error', sink: 'broken', reason: 'tap bug' },
      { kind: 'sink-error', sink: 'broken', reason: 'tap bug' },
    ]);
    expect(runner.stats).toMatchObject({ processed: 2, failed: 0 });
  });
});

describe('two engines on one database', () => {
  it('running at the same time, they never double-count: one window per file, tracking counts each slot once', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    for (const t of ['1400', '1405', '1410']) cap('synscan.ipfix.nfcapd', path.join(dir, `nfcapd.20261122${t}`));
    const a = setup(dir, dbFile);
    const b = setup(dir, dbFile);
    const [na, nb] = await Promise.all([a.runner.processOnce(), b.runner.processOnce()]);
    expect(na + nb).toBeGreaterThanOrEqual(3);
    expect(a.store.listWindows().map((w) => path.basename(w.file))).toEqual(['nfcapd.202611221410', 'nfcapd.202611221405', 'nfcapd.202611221400']);
    expect(a.store.db.prepare("SELECT windows_seen, streak FROM tracking WHERE ip = '172.16.0.8' AND type = 'scan'").get()).toEqual({ windows_seen: 3, streak: 3 });
    expect(a.store.db.prepare("SELECT count(*) AS n FROM anomalies WHERE ip = '172.16.0.8'").get()).toEqual({ n: 3 });
  });
});

describe('rotationInterval', () => {
  it.each([
    [[], undefined, 300_000],
    [[0, 60_000, 120_000], undefined, 60_000],
    [[0, 300_000, 900_000], undefined, 300_000],
    [[0, 2_000, 4_000], undefined, 2_000],
    [[0, 60_000], 300, 300_000],
  ])('%j configured %s → %i ms', (times, configured, ms) => expect(rotationInterval(times, configured)).toBe(ms));
});
