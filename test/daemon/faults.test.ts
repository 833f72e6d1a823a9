/**
 * Fault injection against the real engine process (built dist/): kill -9 it mid-file and mid-commit, again and again,
 * kill its gobgpd, keep Elasticsearch refusing connections until its spool is full — and after each fault check that
 * no window is lost or doubled (SQLite) and that every active block is on the router (a real gobgpd peer's RIB).
 * At the end ES comes back: the spool replays on its timer and no window document arrives twice.
 *
 * Mid-commit is made exact with NOCFLOW_FAULT_COMMIT_PAUSE_MS (src/daemon/engine-process.ts): the commit transaction
 * says which file it holds and waits, and the test kills the engine then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import Database from 'better-sqlite3';
import { createGobgpSpeaker, startGobgpd, type ManagedGobgpd } from '../../src/flowspec/gobgp.js';
import type { EngineStatus } from '../../src/daemon/methods.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import { closedPort, startFakeEs, type FakeEs } from '../es/es-server.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-faults-'));
const nf = path.join(work, 'nfcapd');
const data = path.join(work, 'data');
const env = { NOCFLOW_CONFIG_DIR: path.join(work, 'config'), NOCFLOW_DATA_DIR: data, NOCFLOW_SOCKET: path.join(work, 'run', 'engine.sock') };
const base = 43000 + Math.floor(Math.random() * 8000);
const router: ManagedGobgpd = { routerId: '127.0.0.2', as: 65002, listenAddress: '127.0.0.2', listenPort: base + 2, apiHost: '127.0.0.1', apiPort: base + 3, neighbors: [{ address: '127.0.0.1', as: 65001, port: base }] };
const routerRib = createGobgpSpeaker({ apiHost: '127.0.0.1', apiPort: router.apiPort, learned: true });
/**
 * Files the test lands, each its own window (5-minute names, one TimeSlot each). A window of the mixed scenario gives
 * ~5.5 KB of ES documents: the seven before the last restart leave ~40 KB in the spool and the last engine alone
 * writes ten more, so its 64 KiB spool (the smallest limits.esSpoolBytes allows) must drop, even if the earlier
 * engines' documents were fewer.
 */
const NAMES = Array.from({ length: 16 }, (_, i) => `nfcapd.20261122${String(13 + Math.floor((i * 5) / 60)).padStart(2, '0')}${String((i * 5) % 60).padStart(2, '0')}`);
let routerProc: { stop(): Promise<void> };
let engine: ResultPromise | undefined;
let esPort: number;
let es: FakeEs | undefined;
let sourceFile: string;
let flowsPerFile: number;
const log: string[] = [];

const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false, stdin: 'ignore', timeout: 60_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${log.slice(-20).join('\n')}`);
    await sleep(100);
  }
}
async function status(): Promise<EngineStatus | undefined> {
  const r = await nocflow('engine', 'status', '--json');
  return r.exitCode === 0 ? (JSON.parse(r.stdout) as EngineStatus) : undefined;
}
function startEngine(extra: Record<string, string> = {}): ResultPromise {
  const p = execa('node', [BIN, 'engine', '--dir', nf], { env: { ...env, ...extra }, reject: false, stdin: 'ignore', all: true });
  p.all?.on('data', (d: Buffer) => log.push(...String(d).trim().split('\n')));
  engine = p;
  return p;
}
async function kill9(): Promise<void> {
  engine!.kill('SIGKILL');
  await engine;
  engine = undefined;
}
/** What SQLite holds: a row per window, by file, and the ledger. */
function stored(): { windows: { file: string; flows: number }[]; done: number } {
  const db = new Database(path.join(data, 'nocflow.db'), { readonly: true, fileMustExist: true });
  try {
    return {
      windows: db.prepare('SELECT file, flows FROM windows ORDER BY file').all() as { file: string; flows: number }[],
      done: (db.prepare("SELECT COUNT(*) AS n FROM processed_files WHERE status = 'done'").get() as { n: number }).n,
    };
  } catch {
    return { windows: [], done: 0 };
  } finally {
    db.close();
  }
}
/** No window lost or doubled: one row per committed file, each with the file's flows, none for another file. */
function checkWindows(): number {
  const s = stored();
  const files = s.windows.map((w) => path.basename(w.file));
  expect(new Set(files).size).toBe(files.length);
  expect(files.every((f) => NAMES.includes(f))).toBe(true);
  expect(s.windows.every((w) => w.flows === flowsPerFile)).toBe(true);
  expect(s.done).toBe(s.windows.length);
  return s.windows.length;
}
/** Every active block of the store is on the router, and nothing else of ours. */
async function checkRouter(): Promise<void> {
  const active = JSON.parse((await nocflow('blocks', '--json')).stdout) as { text: string; status: string }[];
  const want = active.filter((b) => b.status === 'active').map((b) => `[source: ${/src (\S+)/.exec(b.text)![1]}]`).sort();
  await waitFor(`the router to hold ${want.join(' ')}`, 90_000, async () => {
    const rib = (await routerRib.list())[4].sort();
    return JSON.stringify(rib) === JSON.stringify(want) || undefined;
  });
}
const land = (name: string) => {
  fs.linkSync(sourceFile, path.join(nf, `.${name}`));
  fs.renameSync(path.join(nf, `.${name}`), path.join(nf, name));
};

beforeAll(async () => {
  ({ file: sourceFile } = await makeScenarioFile('mixed'));
  fs.mkdirSync(nf, { recursive: true });
  esPort = await closedPort();
  fs.mkdirSync(env.NOCFLOW_CONFIG_DIR, { recursive: true });
  fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({
    engine: { pollSeconds: 0.3 },
    flowspec: { enabled: true, mode: 'managed', apiHost: '127.0.0.1', apiPort: base + 1, routerId: '127.0.0.1', as: 65001, listenAddress: '127.0.0.1', listenPort: base, neighbors: [{ address: '127.0.0.2', as: 65002, port: base + 2 }], reconcileSeconds: 5, maxChangesPerMinute: 100 },
    elasticsearch: { node: `http://127.0.0.1:${esPort}`, requestTimeoutMs: 1000 },
    limits: { esSpoolBytes: 65536 },
  }));
  routerProc = await startGobgpd(router, path.join(work, 'router'));
}, 120_000);

afterAll(async () => {
  if (engine) {
    engine.kill('SIGTERM'); // its gobgpd stops with it
    await engine;
  } else {
    // Killed last: its gobgpd is still running. An engine started on the same data dir stops it (pid file + config
    // check in startGobgpd); then that engine stops with its own.
    const e = startEngine();
    await waitFor('the last engine', 60_000, status).catch(() => undefined);
    e.kill('SIGTERM');
    await e;
  }
  await routerProc?.stop();
  await es?.close();
}, 120_000);

describe('fault injection (real engine, gobgpd peer, ES refusing)', () => {
  it('kill -9 mid-file and mid-commit, kill gobgpd, a full spool: no window lost or doubled, every block on the router', async () => {
    startEngine();
    await waitFor('the engine', 60_000, status);
    for (const ip of ['198.51.100.71', '198.51.100.72', '198.51.100.73']) expect((await nocflow('block', ip, '--ttl', '2h')).exitCode).toBe(0);
    await checkRouter();
    let next = 0;
    const landNext = (n: number) => {
      for (let i = 0; i < n && next < NAMES.length; i++) land(NAMES[next++]);
    };
    // The first window, as a baseline for the flows of a file.
    landNext(1);
    const first = await waitFor('the first window', 120_000, () => stored().windows[0]);
    flowsPerFile = first.flows;
    expect(flowsPerFile).toBeGreaterThan(10_000);

    // kill -9 mid-file, twice: two files land; right after the first is committed, the second is being read.
    for (let round = 0; round < 2; round++) {
      const before = checkWindows();
      landNext(2);
      await waitFor(`window ${before + 1}`, 120_000, () => (stored().windows.length > before ? true : undefined));
      await sleep(100 + round * 100);
      await kill9();
      const after = checkWindows();
      log.push(`-- killed mid-file with ${after} window(s) committed`);
      expect(after).toBeLessThanOrEqual(before + 2);
      startEngine();
      await waitFor('the engine back', 60_000, status);
      await waitFor(`windows ${before + 2}`, 120_000, () => (stored().windows.length === before + 2 ? true : undefined));
      checkWindows();
      await checkRouter();
    }

    // kill -9 mid-commit, twice: the transaction holds a window when the engine dies; nothing of it remains.
    for (let round = 0; round < 2; round++) {
      const marker = path.join(data, 'fault-in-commit');
      fs.rmSync(marker, { force: true });
      await kill9();
      const before = stored().windows.map((w) => w.file);
      landNext(1);
      startEngine({ NOCFLOW_FAULT_COMMIT_PAUSE_MS: '60000' });
      const holding = await waitFor('a commit in progress', 120_000, () => (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : undefined));
      expect(before).not.toContain(holding);
      await kill9();
      log.push(`-- killed mid-commit of ${path.basename(holding)}`);
      expect(stored().windows.map((w) => w.file)).toEqual(before); // the held window was rolled back
      checkWindows();
      startEngine();
      await waitFor('the engine back', 60_000, status);
      // The file that died in its commit is processed again, exactly once.
      await waitFor(`${path.basename(holding)} committed`, 120_000, () => (stored().windows.some((w) => w.file === holding) ? true : undefined));
      checkWindows();
      await checkRouter();
    }

    // kill -9 the engine's gobgpd: restarted, reconciled, the router has every block again.
    const st = (await status())!;
    const pid = st.areas!.flowspec!.speaker.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor('gobgpd restarted', 60_000, async () => ((await status())?.areas?.flowspec?.speaker.restarts ?? 0) >= 1 || undefined);
    await checkRouter();

    // The rest of the files; every file once, in SQLite.
    landNext(NAMES.length);
    await waitFor('every file', 300_000, () => (stored().windows.length === NAMES.length ? true : undefined));
    expect(checkWindows()).toBe(NAMES.length);

    // ES refused throughout: the spool stayed within its limit, dropped its oldest documents, counted and alarmed.
    // The documents of the last window are written after its commit: wait for the alarm rather than read once.
    const esState = await waitFor('the spool-full alarm', 60_000, async () => {
      const e = (await status())?.areas?.elasticsearch;
      return e?.alarm ? e : undefined;
    });
    expect(esState.down).toBe(true);
    expect(esState.spool.bytes).toBeLessThanOrEqual(65536);
    expect(esState.dropped).toBeGreaterThan(0);
    expect(esState.alarm).toMatch(/spool full/);
    expect((await nocflow('engine', 'status')).stdout).toMatch(/^ {2}ALARM: elasticsearch spool full/m);

    // ES comes back: the spool replays on its timer; no window document twice, none for a window SQLite lacks.
    es = await startFakeEs(esPort);
    await waitFor('the spool replayed', 60_000, async () => ((await status())?.areas?.elasticsearch?.spool.segments === 0 ? true : undefined));
    const windowIndex = [...es.docs.keys()].find((k) => k.startsWith('nocflow-window-'));
    const slots = [...(es.docs.get(windowIndex!)?.values() ?? [])].map((d) => (d as { timeSlot: number }).timeSlot);
    expect(slots.length).toBeGreaterThan(0);
    const storedSlots = new Set(stored().windows.map((w) => Math.floor((Date.UTC(2026, 10, 22, Number(path.basename(w.file).slice(15, 17)), Number(path.basename(w.file).slice(17, 19))) / 1000 + 150) / 300)));
    expect(slots.every((s) => storedSlots.has(s))).toBe(true);
    const ids = es.received.filter((r) => r.index === windowIndex).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    await checkRouter();
  }, 900_000);
});
