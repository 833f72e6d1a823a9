/**
 * The daily hunt in the engine: the previous UTC day after hunt.at, once, across restarts — in-process engines on one
 * database with a controlled clock (due / not due / caught up / interrupted), and a REAL engine process restarted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { makeHuntDay } from '../helpers/nfcapd.js';
import { createEngineProcess, type EngineProcess } from '../../src/daemon/engine-process.js';
import { connectEngine } from '../../src/daemon/client.js';
import { createHuntArea } from '../../src/hunt/area.js';
import { configDefaults, type NocflowConfig } from '../../src/config/schema.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import type { FlowSource } from '../../src/engine/types.js';
import type { HuntDayTruth } from '../../src/gen/index.js';
import type { HuntAreaStatus } from '../../src/hunt/area.js';
import type { HuntRun } from '../../src/hunt/records.js';
import { buildEngine } from '../../src/daemon/main.js';
import { checkConfig } from '../../src/config/check.js';

const BIN = path.resolve('bin/nocflow.js');
let d1: { files: string[]; truth: HuntDayTruth };
let d2: { files: string[]; truth: HuntDayTruth };
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-hunt-area-'));
const nfDir = path.join(base, 'nfcapd');
// The engine's runner watches an empty directory: the hunt reads nfDir itself (and analyses its files), so the tests
// do not wait behind the runner's own analysis of the same files on a loaded machine.
const runnerDir = path.join(base, 'runner-nfcapd');
const sock = path.join(base, 'run', 'engine.sock');
let clock = Date.UTC(2026, 10, 23, 0, 10);

const config: NocflowConfig = {
  ...configDefaults,
  engine: { ...configDefaults.engine, nfcapdDir: nfDir, pollSeconds: 0.2, knownServers: ['198.51.100.61/32'] },
  store: { ...configDefaults.store, path: path.join(base, 'nocflow.db') },
};

const copyDay = (files: string[]) => {
  fs.mkdirSync(nfDir, { recursive: true });
  for (const f of files) fs.copyFileSync(f, path.join(nfDir, path.basename(f)));
};

/** An in-process engine with a hunt area that looks at the clock every 50 ms. */
function engineWith(source: FlowSource = createNfdumpSource()): EngineProcess {
  const area = createHuntArea(config.hunt, {
    nfcapdDir: nfDir, source, analysis: {}, knownServers: config.engine.knownServers, tickMs: 50,
  });
  return createEngineProcess(config, { socketPath: sock, nfcapdDir: runnerDir, now: () => clock }, { areas: [area] });
}

async function waitFor<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 120_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function withEngine<T>(e: EngineProcess, fn: (call: <R>(m: string, p?: unknown) => Promise<R>) => Promise<T>): Promise<T> {
  await e.start();
  const c = await connectEngine({ socketPath: sock, reconnect: false });
  try {
    return await fn((m, p) => c.call(m as never, p as never));
  } finally {
    c.close();
    await e.stop();
  }
}

beforeAll(async () => {
  d1 = await makeHuntDay(1);
  d2 = await makeHuntDay(2);
  copyDay(d1.files);
}, 300_000);

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('the daily hunt in the engine (in-process, controlled clock)', () => {
  it('is not due before hunt.at; runs the previous day once after it; a restart does not repeat it', async () => {
    const runs = await withEngine(engineWith(), async (call) => {
      // 00:10: yesterday's hunt (11-22) is not due yet; 11-21 (no files) is, and is recorded as done with nothing.
      await waitFor(() => call<HuntRun[]>('hunt.runs'), (r) => r.length === 1, 20_000, 'the first run');
      expect((await call<HuntRun[]>('hunt.runs')).map((r) => [r.day, r.status, r.files])).toEqual([['2026-11-21', 'done', 0]]);
      clock = Date.UTC(2026, 10, 23, 0, 31);
      const st = await waitFor(() => call<HuntAreaStatus>('hunt.status'), (s) => s.lastRun?.day === '2026-11-22' && s.lastRun.status === 'done', 180_000, 'the 11-22 hunt');
      expect(st.runs).toBe(2);
      expect(st.nextDueAt).toBe(Date.UTC(2026, 10, 24, 0, 30));
      const cat = await call<{ day: string; signatures: { signature: string; weak: boolean; hunted: boolean; attackers: string[]; members: number }[] }>('hunt.catalogue');
      expect(cat.day).toBe('2026-11-22');
      expect(cat.signatures.map((s) => [s.signature, s.weak, s.hunted, s.members])).toEqual([
        ['1433-3-152', false, true, d1.truth.signatures['1433-3-152'].members.length],
        ['5060-1-437', false, true, d1.truth.signatures['5060-1-437'].members.length],
        ['1433-1-40', true, false, 0],
      ]);
      const m = await call<{ members: unknown[] }>('hunt.members', { day: '2026-11-22', signature: '1433-3-152' });
      expect(m.members).toEqual(d1.truth.signatures['1433-3-152'].members);
      await expect(call('hunt.members', { day: '2026-11-22', signature: 'x; drop' })).rejects.toMatchObject({ code: 'BAD_PARAMS' });
      return call<HuntRun[]>('hunt.runs');
    });
    clock = Date.UTC(2026, 10, 23, 6, 0);
    await withEngine(engineWith(), async (call) => {
      await new Promise((r) => setTimeout(r, 600)); // a dozen ticks
      const st = await call<HuntAreaStatus>('hunt.status');
      expect(st.runs).toBe(0);
      expect(await call<HuntRun[]>('hunt.runs')).toEqual(runs);
    });
  }, 400_000);

  it('a day missed while the engine was down is hunted at the next start', async () => {
    copyDay(d2.files);
    clock = Date.UTC(2026, 10, 24, 9, 0); // the engine was down at 11-24 00:30
    await withEngine(engineWith(), async (call) => {
      const st = await waitFor(() => call<HuntAreaStatus>('hunt.status'), (s) => s.lastRun?.day === '2026-11-23' && s.lastRun.status === 'done', 180_000, 'the 11-23 hunt');
      expect(st.runs).toBe(1);
      const m = await call<{ members: unknown[] }>('hunt.members', { day: '2026-11-23', signature: '5060-1-437' });
      expect(m.members).toEqual(d2.truth.signatures['5060-1-437'].members);
      const recs = await call<{ multiSignatureIps: { ip: string }[] }>('hunt.records');
      expect(recs.multiSignatureIps.map((x) => x.ip)).toEqual(['103.207.36.130']);
    });
  }, 400_000);

  it('a run interrupted by a stop is run again at the next start', async () => {
    clock = Date.UTC(2026, 10, 25, 1, 0); // 11-24 is due (no files: quick) — make its reads hang instead
    fs.copyFileSync(d2.files[0], path.join(nfDir, 'nfcapd.202611241200'));
    const inner = createNfdumpSource();
    let started = 0;
    const slow: FlowSource = {
      async *read(files, opts) {
        started++;
        await new Promise((res, rej) => {
          const t = setTimeout(res, 60_000);
          opts?.signal?.addEventListener('abort', () => (clearTimeout(t), rej(opts.signal!.reason)), { once: true });
        });
        yield* inner.read(files, opts);
      },
    };
    const e = engineWith(slow);
    await e.start();
    const c = await connectEngine({ socketPath: sock, reconnect: false });
    await waitFor(async () => started, (n) => n > 0, 20_000, 'the slow read');
    expect((await c.call<HuntAreaStatus>('hunt.status' as never)).running).toBe('2026-11-24');
    c.close();
    await e.stop();
    await withEngine(engineWith(), async (call) => {
      const runs0 = await call<HuntRun[]>('hunt.runs');
      expect(runs0[0].day).toBe('2026-11-24'); // recorded, not done yet: either still 'failed' (interrupted) or already re-running
      const st = await waitFor(() => call<HuntAreaStatus>('hunt.status'), (s) => s.lastRun?.day === '2026-11-24' && s.lastRun.status === 'done', 180_000, 'the 11-24 re-run');
      expect(st.runs).toBe(1);
    });
  }, 400_000);

  it('buildEngine wires the hunt area (its methods answer even with scheduling off); engine --check reports a bad hunt.at', async () => {
    expect(buildEngine(config, { socketPath: sock }).areas).toContain('hunt');
    const off = { ...config, engine: { ...config.engine, nfcapdDir: runnerDir }, hunt: { ...config.hunt, enabled: false } };
    const e = buildEngine(off, { socketPath: sock, now: () => clock });
    await withEngine(e.engine, async (call) => {
      await new Promise((r) => setTimeout(r, 300));
      const st = await call<HuntAreaStatus>('hunt.status');
      expect(st).toMatchObject({ enabled: false, runs: 0, nextDueAt: null });
      expect((await call<{ day: string }>('hunt.catalogue')).day).toBe('2026-11-24');
    });
    expect(checkConfig({ ...config, hunt: { ...config.hunt, at: '25:00' } })).toContain('hunt.at: "25:00" is not a UTC time HH:MM');
    expect(checkConfig({ ...config, hunt: { ...config.hunt, source: 'elasticsearch' } })).toContain('hunt.source: "elasticsearch" needs elasticsearch.node');
  }, 120_000);
});

describe('a real engine process restarted', () => {
  it('hunts yesterday once at start and not again after a restart', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-hunt-proc-'));
    const dir = path.join(root, 'nfcapd');
    fs.mkdirSync(dir);
    // Yesterday's files (named by the real clock): the day-1 flows under yesterday's names.
    const y = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000);
    const ymd = y.toISOString().slice(0, 10).replace(/-/g, '');
    for (const f of d1.files) fs.copyFileSync(f, path.join(dir, `nfcapd.${ymd}${path.basename(f).slice(-4)}`));
    const env = { ...process.env, NOCFLOW_CONFIG_DIR: path.join(root, 'cfg'), NOCFLOW_DATA_DIR: path.join(root, 'data'), NOCFLOW_RUNTIME_DIR: path.join(root, 'run') };
    fs.mkdirSync(env.NOCFLOW_CONFIG_DIR, { recursive: true });
    fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({ engine: { pollSeconds: 60, knownServers: ['198.51.100.61/32'] }, hunt: { at: '00:00' } }));
    const runsOf = async () => (JSON.parse((await execa('node', [BIN, 'hunt', '--records', '--json'], { env })).stdout) as { runs: HuntRun[] }).runs;
    const start = () => execa('node', [BIN, 'engine', '--dir', dir], { env, reject: false, stdin: 'ignore' });
    let p = start();
    try {
      const runs = await waitFor(() => runsOf().catch(() => [] as HuntRun[]), (r) => r[0]?.status === 'done', 240_000, 'the real engine\'s hunt');
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ day: y.toISOString().slice(0, 10), trigger: 'schedule', files: 6 });
      p.kill('SIGTERM');
      await p;
      p = start();
      // The restarted engine is up (status answers) and has looked at the clock: no second run.
      const st = await waitFor(
        async () => JSON.parse((await execa('node', [BIN, 'engine', 'status', '--json'], { env, reject: false })).stdout || 'null') as { areas?: { hunt?: HuntAreaStatus } } | null,
        (s) => s?.areas?.hunt !== undefined,
        60_000,
        'the restarted engine',
      );
      await new Promise((r) => setTimeout(r, 1500));
      expect(st!.areas!.hunt!.runs).toBe(0);
      expect(await runsOf()).toEqual(runs);
      const mem = JSON.parse((await execa('node', [BIN, 'hunt', '--records', '--signature', '1433-3-152', '--json'], { env })).stdout) as { master: { members: number } };
      expect(mem.master.members).toBe(d1.truth.signatures['1433-3-152'].members.length);
    } finally {
      p.kill('SIGTERM');
      await p;
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 400_000);
});
