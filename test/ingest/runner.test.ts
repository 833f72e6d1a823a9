import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classifyFailure, createEngineRunner, quarantineReason, retryDelay, rotationInterval, type EngineEvent, type RunnerDeps } from '../../src/ingest/runner.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { createNativeSource } from '../../src/ingest/nffile/source.js';
import { configuredDestinations, workerDestinations } from '../../src/ingest/window-workers.js';
import { BufferPool } from '../../src/engine/tables.js';
import { pathToFileURL } from 'node:url';
import { FlowSourceError } from '../../src/ingest/errors.js';
import { AnalysisConfigError } from '../../src/engine/analyze.js';
import { openDb, type Db } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { engineDefaults, type EngineConfig } from '../../src/config/sections/engine.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import type { WindowTap, WindowTapInfo } from '../../src/engine/sink.js';


/**
 * Every file here is generated (src/gen scenarios through a real nfcapd), so a fresh clone runs these tests: the
 * syn-scan window (one scanner, 140.110.26.68, 2000 SYNs to distinct hosts) and the spoofed DDoS window.
 */
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-run-'));
const dbs: Db[] = [];
afterEach(() => { while (dbs.length) dbs.pop()!.close(); });

let SCAN: string;
let SCAN_FLOWS: number;
let SCANNER: string;
let DDOS: string;
let DDOS_FLOWS: number;
beforeAll(async () => {
  const scan = await makeScenarioFile('syn-scan', { scale: 0.1 });
  const ddos = await makeScenarioFile('spoofed-ddos', { scale: 0.05 });
  [SCAN, SCAN_FLOWS, SCANNER] = [scan.file, scan.truth.flows, scan.truth.planted[0].ip];
  [DDOS, DDOS_FLOWS] = [ddos.file, ddos.truth.flows];
}, 120_000);

const T0 = Date.UTC(2026, 10, 22, 14, 30);

function setup(dir: string, dbFile: string, extra: { retentionDays?: number; source?: RunnerDeps['source']; now?: () => number; sinks?: RunnerDeps['sinks']; config?: Partial<EngineConfig>; destinations?: RunnerDeps['destinations']; pool?: RunnerDeps['pool'] } = {}) {
  const db = openDb(dbFile);
  dbs.push(db);
  const store = new EngineStore(db);
  const logs: string[] = [];
  const runner = createEngineRunner(
    { ...engineDefaults, nfcapdDir: dir, pollSeconds: 0.05, retentionDays: extra.retentionDays ?? 0, ...extra.config },
    { store, source: extra.source ?? createNfdumpSource(), sinks: extra.sinks, now: extra.now ?? (() => T0), log: (l) => logs.push(l), ...(extra.destinations ? { destinations: extra.destinations } : {}), ...(extra.pool ? { pool: extra.pool } : {}) },
  );
  const events: EngineEvent[] = [];
  runner.on((e) => events.push(e));
  return { store, runner, events, logs };
}
const put = (src: string, dest: string) => {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(src, dest);
};
const slotOf = (ms: number) => Math.floor((ms / 1000 + 150) / 300);
const kinds = (events: EngineEvent[]) => events.filter((e) => e.kind !== 'lag').map((e) => `${e.kind}:${path.basename((e as { file: string }).file)}`);

describe('engine runner', () => {
  it('processes each file once, in order, skips a corrupt one with its reason, and remembers across restarts', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    put(SCAN, path.join(dir, 'nfcapd.202611221400'));
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), 'garbage, not an nfcapd file'.repeat(50));
    put(DDOS, path.join(dir, 'nfcapd.202611221410'));
    put(SCAN, path.join(dir, 'nfcapd.current.1234'));
    const a = setup(dir, dbFile);
    expect(await a.runner.processOnce()).toBe(3);
    expect(kinds(a.events)).toEqual(['window:nfcapd.202611221400', 'file-error:nfcapd.202611221405', 'window:nfcapd.202611221410']);
    const err = a.events.find((e) => e.kind === 'file-error') as Extract<EngineEvent, { kind: 'file-error' }>;
    expect(err.reason).toMatch(/bad magic/);
    expect(a.runner.stats).toEqual({ processed: 2, failed: 1, deferred: 0, quarantined: 0, skipped: 0, flows: SCAN_FLOWS + DDOS_FLOWS, pruned: 0 });
    expect(a.logs).toEqual([expect.stringMatching(/^failed .*nfcapd\.202611221405: .*bad magic/)]);
    // The window's TimeSlot comes from the file name, not from the (14:05) flows inside.
    const w = a.events.find((e) => e.kind === 'window') as Extract<EngineEvent, { kind: 'window' }>;
    expect(w.result.window.timeSlot).toBe(slotOf(Date.UTC(2026, 10, 22, 14, 0)));
    expect(w.result.anomalies.find((x) => x.ip === SCANNER)!.tracking).toEqual({ firstSeenSlot: w.result.window.timeSlot, windowsSeen: 1, shareAbove: 1, streak: 1 });
    expect(a.store.failures()[0].path).toBe(path.join(dir, 'nfcapd.202611221405'));
    expect(a.store.fileStatus(path.join(dir, 'nfcapd.202611221405'))).toBe('failed');
    expect(a.runner.lagSeconds()).toBe(15 * 60); // newest file 14:10 + 5 min, clock 14:30

    // A second engine on the same database: nothing new to do (the corrupt file is not retried), then exactly the new file.
    const b = setup(dir, dbFile);
    expect(await b.runner.processOnce()).toBe(0);
    put(SCAN, path.join(dir, 'nfcapd.202611221415'));
    expect(await b.runner.processOnce()).toBe(1);
    expect(b.store.listWindows().map((x) => path.basename(x.file))).toEqual(['nfcapd.202611221415', 'nfcapd.202611221410', 'nfcapd.202611221400']);
    // The scanner was abnormal at 14:00 and 14:15: two windows of four slots, streak 1.
    const last = b.store.latestWindow()!;
    expect(last.anomalies.find((x) => x.ip === SCANNER)).toMatchObject({ type: 'scan', tracking: { windowsSeen: 2, shareAbove: 0.5, streak: 1 } });
  });

  it('with the destination side in a worker (engine.destinationWorker) stores the same windows as in-thread with its buffer pool', async () => {
    const worker = path.resolve(__dirname, '../../dist/src/ingest/destination-worker.js');
    expect(fs.existsSync(worker), `${worker} is built by npx tsc (the worker runs compiled code)`).toBe(true);
    expect(configuredDestinations({ destinationWorker: false })).toBeUndefined();
    expect(configuredDestinations({ destinationWorker: true })).toBeTypeOf('function');
    const dir = tmp();
    put(SCAN, path.join(dir, 'nfcapd.202611221400'));
    put(DDOS, path.join(dir, 'nfcapd.202611221405'));
    const pool = new BufferPool();
    const inThread = setup(dir, path.join(tmp(), 'a.db'), { source: createNativeSource(), pool });
    let workers = 0;
    const startWorker = workerDestinations({ minFlows: 0, workerUrl: pathToFileURL(worker) });
    const viaWorker = setup(dir, path.join(tmp(), 'b.db'), { source: createNativeSource(), destinations: (n) => (workers++, startWorker(n)) });
    expect(await inThread.runner.processOnce()).toBe(2);
    expect(await viaWorker.runner.processOnce()).toBe(2);
    expect(workers).toBe(2); // one worker a window
    // The in-thread runner's second window took the first one's buffers.
    expect(pool.stats.reused).toBeGreaterThan(0);
    const windows = (x: typeof inThread) =>
      x.events.flatMap((e) => (e.kind === 'window' ? [{ file: path.basename(e.file), result: e.result }] : []));
    expect(windows(viaWorker)).toEqual(windows(inThread));
    expect(windows(inThread).flatMap((w) => w.result.anomalies).length).toBeGreaterThan(0);
  });

  it('picks up new files while started, and stops cleanly', async () => {
    const dir = tmp();
    const { runner, events } = setup(dir, ':memory:');
    runner.start();
    await new Promise((r) => setTimeout(r, 100));
    put(SCAN, path.join(dir, 'nfcapd.202611221400'));
    for (let i = 0; i < 200 && !events.some((e) => e.kind === 'window'); i++) await new Promise((r) => setTimeout(r, 50));
    await runner.stop();
    expect(events.filter((e) => e.kind === 'window').map((e) => (e as Extract<EngineEvent, { kind: 'window' }>).result.flows)).toEqual([SCAN_FLOWS]);
  });

  it('a crash inside the commit leaves no partial window, and the runner processes the file again (once)', async () => {
    const dir = tmp();
    put(SCAN, path.join(dir, 'nfcapd.202611221400'));
    const { runner, store, events } = setup(dir, ':memory:');
    const commit = store.commitWindow.bind(store);
    let crashes = 0;
    // The first commit dies inside its transaction, after the window, anomalies, tracking and ledger rows were written.
    store.commitWindow = (file, result, now) => commit(file, result, now, () => { if (crashes++ === 0) throw new Error('power cut'); });
    await expect(runner.processOnce()).rejects.toThrow('power cut');
    expect(store.listWindows()).toEqual([]);
    expect(store.db.prepare('SELECT count(*) AS n FROM anomalies').get()).toEqual({ n: 0 });
    expect(store.db.prepare('SELECT count(*) AS n FROM tracking').get()).toEqual({ n: 0 });
    expect(store.fileStatus(path.join(dir, 'nfcapd.202611221400'))).toBe('deferred');
    expect(await runner.processOnce()).toBe(1);
    expect(await runner.processOnce()).toBe(0);
    expect(store.listWindows().map((w) => w.flows)).toEqual([SCAN_FLOWS]);
    expect(store.fileStatus(path.join(dir, 'nfcapd.202611221400'))).toBe('done');
    expect(store.db.prepare('SELECT windows_seen FROM tracking WHERE ip = ? AND type = ?').get(SCANNER, 'scan')).toEqual({ windows_seen: 1 });
    expect(events.filter((e) => e.kind === 'window')).toHaveLength(1);
  });

  it("a truncated file is recorded failed with nfdump's reason, the files around it are processed, and it is retried when it changes", async () => {
    const dir = tmp();
    put(DDOS, path.join(dir, 'nfcapd.202611221400'));
    const whole = fs.readFileSync(SCAN);
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), whole.subarray(0, Math.floor(whole.length / 2)));
    put(DDOS, path.join(dir, 'nfcapd.202611221410'));
    const { runner, store, events } = setup(dir, ':memory:');
    expect(await runner.processOnce()).toBe(3);
    expect(kinds(events)).toEqual(['window:nfcapd.202611221400', 'file-error:nfcapd.202611221405', 'window:nfcapd.202611221410']);
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
      ['nfcapd.202611221410', DDOS_FLOWS], ['nfcapd.202611221405', SCAN_FLOWS], ['nfcapd.202611221400', DDOS_FLOWS],
    ]);
    expect(await runner.processOnce()).toBe(0);
  });

  it('a file removed before its turn is reported as skipped, kept out of the ledger, and the next is processed', async () => {
    const dir = tmp();
    for (const t of ['1400', '1405', '1410']) put(DDOS, path.join(dir, `nfcapd.20261122${t}`));
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
    expect(kinds(events)).toEqual(['window:nfcapd.202611221400', 'file-skipped:nfcapd.202611221405', 'window:nfcapd.202611221410']);
    expect(runner.stats).toMatchObject({ processed: 2, failed: 0, skipped: 1 });
    expect(store.fileStatus(path.join(dir, 'nfcapd.202611221405'))).toBeUndefined();
    expect(logs).toEqual([`skipped ${path.join(dir, 'nfcapd.202611221405')}: removed before it was read`]);
  });

  it('files in -S sub-directories are processed in time order across directories', async () => {
    const dir = tmp();
    put(DDOS, path.join(dir, '2026/11/22/15/nfcapd.202611221500'));
    put(DDOS, path.join(dir, '2026/11/22/09/nfcapd.202611220955'));
    put(DDOS, path.join(dir, '2026/11/22/14/nfcapd.202611221400'));
    const { runner, events } = setup(dir, ':memory:');
    await runner.processOnce();
    const order = events.flatMap((e) => (e.kind === 'window' ? [e.result.window.timeSlot] : []));
    expect(order).toEqual([Date.UTC(2026, 10, 22, 9, 55), Date.UTC(2026, 10, 22, 14), Date.UTC(2026, 10, 22, 15)].map(slotOf));
  });

  it('1-minute files share a TimeSlot: one window row each, tracking counts the slot once', async () => {
    const dir = tmp();
    for (const t of ['1403', '1404', '1405', '1406', '1407', '1408']) put(SCAN, path.join(dir, `nfcapd.20261122${t}`));
    const { runner, store, events } = setup(dir, ':memory:', { now: () => Date.UTC(2026, 10, 22, 14, 12) });
    expect(await runner.processOnce()).toBe(6);
    const windows = events.flatMap((e) => (e.kind === 'window' ? [e.result] : []));
    // The slot centred on 14:05 covers [14:02:30, 14:07:30): 14:03..14:07 share it, 14:08 starts the next.
    expect(windows.map((w) => w.window.timeSlot - windows[0].window.timeSlot)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(store.listWindows()).toHaveLength(6);
    const scanner = (w: (typeof windows)[number]) => w.anomalies.find((a) => a.ip === SCANNER)!.tracking;
    expect(windows.map((w) => scanner(w)!.windowsSeen)).toEqual([1, 1, 1, 1, 1, 2]);
    expect(scanner(windows[5])).toEqual({ firstSeenSlot: windows[0].window.timeSlot, windowsSeen: 2, shareAbove: 1, streak: 2 });
    // Lag uses the rotation inferred from the names (60 s): newest 14:08 + 1 min, clock 14:12.
    expect(runner.lagSeconds()).toBe(3 * 60);
  });

  it('retention prunes windows older than retentionDays before the newest processed slot', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    put(SCAN, path.join(dir, 'nfcapd.202611201400'));
    put(SCAN, path.join(dir, 'nfcapd.202611221400'));
    const a = setup(dir, dbFile, { retentionDays: 1 });
    expect(await a.runner.processOnce()).toBe(2);
    expect(a.runner.stats.pruned).toBe(1);
    expect(a.store.listWindows().map((w) => path.basename(w.file))).toEqual(['nfcapd.202611221400']);
    // The pruned file stays in the ledger: a restart does not bring it back.
    const b = setup(dir, dbFile, { retentionDays: 1 });
    expect(await b.runner.processOnce()).toBe(0);
    expect(b.store.fileStatus(path.join(dir, 'nfcapd.202611201400'))).toBe('done');
    // Tracking is pruned only for (IP, type) not seen since the cut-off: the scanner's still counts both windows.
    expect(b.store.latestWindow()!.anomalies.find((x) => x.ip === SCANNER)!.tracking!.windowsSeen).toBe(2);
  });
});

describe('failures, classified', () => {
  it.each([
    [new FlowSourceError('m', '/f', 'bad magic: 0x424D'), { status: 'failed', reason: 'bad magic: 0x424D' }],
    [new FlowSourceError('m', '/f', 'cannot run nfdump (not found)', { fault: 'reader' }), { status: 'deferred', reason: 'cannot run nfdump (not found)' }],
    [new FlowSourceError('m', '/f', 'nfdump was killed (SIGKILL)', { fault: 'reader' }), { status: 'deferred', reason: 'nfdump was killed (SIGKILL)' }],
    [new FlowSourceError('m', '/f', 'cancelled', { fault: 'reader' }), { status: 'deferred', reason: 'cancelled' }],
    [new AnalysisConfigError(['inside[0]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"']), { status: 'deferred', reason: 'configuration: inside[0]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"' }],
    [new RangeError('Array buffer allocation failed'), { status: 'deferred', reason: 'out of memory: Array buffer allocation failed' }],
    [new RangeError('Invalid typed array length: 4294967296'), { status: 'deferred', reason: 'out of memory: Invalid typed array length: 4294967296' }],
    [new RangeError('Maximum call stack size exceeded'), { status: 'failed', reason: 'analysis failed: Maximum call stack size exceeded' }],
    [new Error('decoder bug'), { status: 'failed', reason: 'analysis failed: decoder bug' }],
  ])('%s → %j', (err, c) => expect(classifyFailure(err)).toEqual(c));

  it.each([
    [1, 60_000], [2, 120_000], [3, 240_000], [6, 1_920_000], [7, 3_600_000], [500, 3_600_000],
  ])('try %i of a deferred file waits %i ms (60 s doubling, at most an hour)', (n, ms) => expect(retryDelay(n, 60_000, 3_600_000)).toBe(ms));

  it('a file whose reading fails otherwise is recorded failed as an analysis failure, and the next is processed', async () => {
    const dir = tmp();
    for (const t of ['1400', '1405']) put(DDOS, path.join(dir, `nfcapd.20261122${t}`));
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

  it('nfdump missing defers the file (never fails it), ends the pass, backs off; the next start with nfdump reads everything', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    for (const t of ['1400', '1405', '1410']) put(SCAN, path.join(dir, `nfcapd.20261122${t}`));
    let clock = T0;
    const a = setup(dir, dbFile, { source: createNfdumpSource({ bin: '/nonexistent/nfdump' }), now: () => clock });
    expect(await a.runner.processOnce()).toBe(1);
    expect(kinds(a.events)).toEqual(['file-deferred:nfcapd.202611221400']);
    expect(a.events[0]).toEqual({ kind: 'file-deferred', file: path.join(dir, 'nfcapd.202611221400'), reason: 'cannot run nfdump (not found)', retryAt: T0 + 60_000, deferrals: 1 });
    expect(a.store.failures()).toEqual([]);
    // Within its back-off the first file waits; the next pass tries the next file.
    clock += 30_000;
    expect(await a.runner.processOnce()).toBe(1);
    expect(kinds(a.events).at(-1)).toBe('file-deferred:nfcapd.202611221405');
    // Past it, the first is tried again and waits twice as long.
    clock += 31_000;
    await a.runner.processOnce();
    expect(a.events.filter((e) => e.kind === 'file-deferred').at(-1)).toMatchObject({ file: path.join(dir, 'nfcapd.202611221400'), retryAt: clock + 120_000, deferrals: 2 });
    expect(a.runner.stats).toMatchObject({ processed: 0, failed: 0, deferred: 3 });
    expect(a.store.ledgerCounts()).toMatchObject({ deferred: 2, failed: 0, done: 0 });
    // nfdump installed, the engine restarted: every deferred file is due at once, in order, and nothing is lost.
    const b = setup(dir, dbFile, { now: () => clock + 1000 });
    expect(await b.runner.processOnce()).toBe(3);
    expect(kinds(b.events)).toEqual(['window:nfcapd.202611221400', 'window:nfcapd.202611221405', 'window:nfcapd.202611221410']);
    expect(b.store.ledgerCounts()).toMatchObject({ done: 3, deferred: 0, failed: 0 });
  });

  it('a prefix the analysis cannot use defers every file instead of failing it; fixing the configuration processes them', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    for (const t of ['1400', '1405']) put(SCAN, path.join(dir, `nfcapd.20261122${t}`));
    let reads = 0;
    const real = createNfdumpSource();
    const counting: RunnerDeps['source'] = { read: (f, o) => (reads++, real.read(f, o)) };
    const a = setup(dir, dbFile, { source: counting, config: { inside: ['10.0.0.0/33'] } });
    expect(await a.runner.processOnce()).toBe(1);
    expect(a.events.filter((e) => e.kind !== 'lag')).toEqual([expect.objectContaining({ kind: 'file-deferred', reason: 'configuration: inside[0]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"' })]);
    expect(a.store.fileStatus(path.join(dir, 'nfcapd.202611221400'))).toBe('deferred');
    expect(reads).toBe(0); // no batch was read: the options are refused before the file is even opened
    const b = setup(dir, dbFile, { config: { inside: ['10.0.0.0/8'] } });
    expect(await b.runner.processOnce()).toBe(2);
    expect(b.store.listWindows().map((w) => w.flows)).toEqual([SCAN_FLOWS, SCAN_FLOWS]);
  });

  it('a reader killed mid-file (out of memory) defers it; the other files go on; it reads once the reader survives', async () => {
    const dir = tmp();
    for (const t of ['1400', '1405']) put(SCAN, path.join(dir, `nfcapd.20261122${t}`));
    const real = createNfdumpSource();
    let kills = 1;
    const source: RunnerDeps['source'] = {
      read(files, opts) {
        if (!files[0].endsWith('1400') || kills-- <= 0) return real.read(files, opts);
        return (async function* () {
          throw new FlowSourceError('nfdump was killed (SIGKILL) reading x', files[0], 'nfdump was killed (SIGKILL)', { fault: 'reader' });
        })();
      },
    };
    let clock = T0;
    const { runner, store, events } = setup(dir, ':memory:', { source, now: () => clock });
    await runner.processOnce();
    await runner.processOnce();
    expect(kinds(events)).toEqual(['file-deferred:nfcapd.202611221400', 'window:nfcapd.202611221405']);
    clock += 60_000;
    expect(await runner.processOnce()).toBe(1);
    expect(kinds(events).at(-1)).toBe('window:nfcapd.202611221400');
    expect(store.ledgerCounts()).toMatchObject({ done: 2, deferred: 0 });
  });

  it('a file the engine died in maxAttempts times is quarantined ("too large for this host"); the rest is processed', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    for (const t of ['1400', '1405', '1410']) put(SCAN, path.join(dir, `nfcapd.20261122${t}`));
    const poison = path.join(dir, 'nfcapd.202611221405');
    // Three engines died reading it: each wrote its attempt before reading and never ended it.
    const store = new EngineStore(openDb(dbFile));
    for (let i = 0; i < 3; i++) store.beginAttempt(poison, T0 - 1000 * (3 - i));
    store.db.close();
    const a = setup(dir, dbFile);
    expect(await a.runner.processOnce()).toBe(2);
    expect(kinds(a.events)).toEqual(['window:nfcapd.202611221400', 'file-quarantined:nfcapd.202611221405', 'window:nfcapd.202611221410']);
    expect(a.events.find((e) => e.kind === 'file-quarantined')).toEqual({ kind: 'file-quarantined', file: poison, reason: quarantineReason(3, 3), attempts: 3 });
    expect(a.store.fileEntry(poison)).toMatchObject({ status: 'quarantined', attempts: 3, error: expect.stringMatching(/^too large for this host/) });
    expect(a.logs).toEqual([`quarantined ${poison}: ${quarantineReason(3, 3)}`]);
    expect(a.runner.stats).toMatchObject({ processed: 2, quarantined: 1 });
    // Not crash-looped: a restart leaves it aside too.
    const b = setup(dir, dbFile);
    expect(await b.runner.processOnce()).toBe(0);
    // More memory for the engine and engine.maxAttempts raised: it is tried again.
    const c = setup(dir, dbFile, { config: { maxAttempts: 5 } });
    expect(await c.runner.processOnce()).toBe(1);
    expect(c.store.fileEntry(poison)).toMatchObject({ status: 'done', attempts: 0 });
  });

  it('fewer deaths than maxAttempts: the file is simply read again (the count is written before reading)', async () => {
    const dir = tmp();
    const dbFile = path.join(tmp(), 'nocflow.db');
    put(SCAN, path.join(dir, 'nfcapd.202611221400'));
    const file = path.join(dir, 'nfcapd.202611221400');
    const s = new EngineStore(openDb(dbFile));
    s.beginAttempt(file, T0);
    s.beginAttempt(file, T0);
    s.db.close();
    let attemptsWhileReading = -1;
    const real = createNfdumpSource();
    let st: EngineStore | undefined;
    const source: RunnerDeps['source'] = { read: (f, o) => ((attemptsWhileReading = st!.fileEntry(f[0])!.attempts), real.read(f, o)) };
    const a = setup(dir, dbFile, { source });
    st = a.store;
    expect(await a.runner.processOnce()).toBe(1);
    expect(attemptsWhileReading).toBe(3);
    expect(a.store.fileEntry(file)).toMatchObject({ status: 'done', attempts: 0 });
  });

  it('a store failure ends the pass with an error event; the file stays pending and is processed at the next poll', async () => {
    const dir = tmp();
    put(DDOS, path.join(dir, 'nfcapd.202611221400'));
    const { runner, store, events, logs } = setup(dir, ':memory:', { now: () => Date.now() });
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
    expect(store.fileEntry(path.join(dir, 'nfcapd.202611221400'))).toMatchObject({ status: 'done', attempts: 0 });
    expect(store.failures()).toEqual([]);
  });

  it('a listener that throws does not stop the engine', async () => {
    const dir = tmp();
    for (const t of ['1400', '1405']) put(DDOS, path.join(dir, `nfcapd.20261122${t}`));
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
    for (const t of ['1400', '1405']) put(SCAN, path.join(dir, `nfcapd.20261122${t}`));
    const seen: { file: string; done: string | undefined; windowsSeen: number | undefined }[] = [];
    let store: EngineStore | undefined;
    const sinks: RunnerDeps['sinks'] = [
      { name: 'broken', writeWindow: async () => { throw new Error('es down'); } },
      {
        name: 'recorder',
        writeWindow: async (r) => {
          const file = r.files![0];
          seen.push({ file: path.basename(file), done: store!.fileStatus(file), windowsSeen: r.anomalies.find((a) => a.ip === SCANNER)?.tracking?.windowsSeen });
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
    for (const t of ['1400', '1405', '1410']) put(SCAN, path.join(dir, `nfcapd.20261122${t}`));
    const a = setup(dir, dbFile);
    const b = setup(dir, dbFile);
    const [na, nb] = await Promise.all([a.runner.processOnce(), b.runner.processOnce()]);
    expect(na + nb).toBeGreaterThanOrEqual(3);
    expect(a.store.listWindows().map((w) => path.basename(w.file))).toEqual(['nfcapd.202611221410', 'nfcapd.202611221405', 'nfcapd.202611221400']);
    expect(a.store.db.prepare("SELECT windows_seen, streak FROM tracking WHERE ip = ? AND type = 'scan'").get(SCANNER)).toEqual({ windows_seen: 3, streak: 3 });
    expect(a.store.db.prepare('SELECT count(*) AS n FROM anomalies WHERE ip = ?').get(SCANNER)).toEqual({ n: 3 });
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
