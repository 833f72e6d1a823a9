/**
 * A file that kills the engine: a REAL engine process (`node bin/nocflow.js engine`) is killed with SIGKILL while it
 * reads one file — as the kernel's OOM killer would — three times; the fourth engine quarantines that file ("too
 * large for this host") instead of dying on it again, and processes the files after it.
 *
 * The reader is real nfdump behind a tiny wrapper (engine.nfdumpBin) that, for the poison file only, hangs the way
 * nfdump on a huge window keeps the engine busy; the test is the OOM killer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import type { EngineStatus } from '../../src/daemon/methods.js';
import { isAlive } from '../../src/daemon/server.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-crash-'));
const nfDir = path.join(base, 'nfcapd');
const runDir = path.join(base, 'run');
const sock = path.join(runDir, 'engine.sock');
const dbFile = path.join(base, 'nocflow.db');
const pidsFile = path.join(base, 'hung-readers');
const poison = path.join(nfDir, 'nfcapd.202611221405');
const env = { NOCFLOW_CONFIG_DIR: path.join(base, 'config'), NOCFLOW_DATA_DIR: path.join(base, 'data'), NOCFLOW_RUNTIME_DIR: runDir };

const engines: ResultPromise[] = [];
const startEngine = () => {
  const p = execa('node', [BIN, 'engine', '--dir', nfDir], { env, reject: false, stdin: 'ignore' });
  engines.push(p);
  return p;
};
async function waitFor<T>(get: () => T | undefined | Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await get();
    if (v !== undefined && v !== false) return v as T;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
/** The poison file's ledger row, read as another process would (read-only). */
function ledger(file: string): { status: string; attempts: number; error: string | null } | undefined {
  if (!fs.existsSync(dbFile)) return undefined;
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT status, attempts, error FROM processed_files WHERE path = ?').get(file) as { status: string; attempts: number; error: string | null } | undefined;
  } catch {
    return undefined; // not migrated yet
  } finally {
    db.close();
  }
}
const hungReaders = () => (fs.existsSync(pidsFile) ? fs.readFileSync(pidsFile, 'utf8').split('\n').filter(Boolean).map(Number) : []);

beforeAll(async () => {
  const scan = await makeScenarioFile('syn-scan', { scale: 0.1 });
  fs.mkdirSync(nfDir, { recursive: true });
  for (const t of ['1400', '1405', '1410']) fs.copyFileSync(scan.file, path.join(nfDir, `nfcapd.20261122${t}`));
  // nfdump, except for the poison file: then hang like a reader of a window too large for the host.
  const wrapper = path.join(base, 'nfdump');
  fs.writeFileSync(wrapper, `#!/bin/sh\nfor a in "$@"; do\n  if [ "$a" = "${poison}" ]; then echo $$ >> "${pidsFile}"; exec sleep 120; fi\ndone\nexec nfdump "$@"\n`, { mode: 0o755 });
  fs.mkdirSync(env.NOCFLOW_CONFIG_DIR, { recursive: true });
  fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({ engine: { pollSeconds: 0.2, reader: 'nfdump', nfdumpBin: wrapper }, store: { path: dbFile } }));
}, 120_000);

afterAll(async () => {
  for (const e of engines) if (e.exitCode === null) e.kill('SIGKILL');
  await Promise.allSettled(engines);
  for (const pid of hungReaders()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('a file that kills the engine (real process, kill -9)', () => {
  it('is quarantined after engine.maxAttempts deaths instead of crash-looping; the other files are processed', async () => {
    for (let death = 1; death <= 3; death++) {
      const engine = startEngine();
      // The attempt is in the ledger before the file is read; then the engine is killed in the middle of it.
      await waitFor(() => { const r = ledger(poison); return r?.status === 'started' && r.attempts === death ? r : undefined; }, 30_000, `attempt ${death}`);
      await waitFor(() => hungReaders().length === death || undefined, 10_000, `reader ${death}`);
      engine.kill('SIGKILL');
      const r = await engine;
      expect(r.signal).toBe('SIGKILL');
    }
    expect(ledger(path.join(nfDir, 'nfcapd.202611221400'))).toMatchObject({ status: 'done', attempts: 0 });
    expect(ledger(path.join(nfDir, 'nfcapd.202611221410'))).toBeUndefined(); // never reached: the engine died first

    const survivor = startEngine();
    const after = await waitFor(() => ledger(path.join(nfDir, 'nfcapd.202611221410'))?.status === 'done' || undefined, 30_000, 'the file after the poison');
    expect(after).toBe(true);
    expect(ledger(poison)).toEqual({ status: 'quarantined', attempts: 3, error: expect.stringMatching(/^too large for this host: the engine stopped 3 times while reading it \(engine\.maxAttempts 3\)/) });
    expect(hungReaders()).toHaveLength(3); // the fourth engine never started a read of it
    await waitFor(() => isAlive(sock), 10_000, 'socket');
    const st = await execa('node', [BIN, 'engine', 'status', '--json'], { env, reject: false });
    const status = JSON.parse(st.stdout) as EngineStatus;
    expect(status.pid).toBe(survivor.pid);
    expect(status.ledger).toMatchObject({ done: 2, quarantined: 1, started: 0 });
    expect(status.held).toEqual([{ path: poison, status: 'quarantined', reason: expect.stringMatching(/^too large for this host/), attempts: 3, deferrals: 0, retryAt: null }]);
    const human = await execa('node', [BIN, 'engine', 'status'], { env, reject: false });
    expect(human.stdout).toContain(`quarantined: ${poison}: too large for this host`);
    expect(survivor.exitCode).toBeNull();
  }, 180_000);
});
