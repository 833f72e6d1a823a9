/**
 * `engine.decodeWorker` in a real engine process (built CLI): a file of 32 MiB or more is read in the decode worker
 * thread, the window is the one `analyze` finds in-thread, and `engine status` says where the file was read;
 * `watch --once --json` marks the window's read the same way. The file is the flood window eight times over, merged
 * into one file by nfdump (`-R dir -w`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { EngineStatus } from '../../src/daemon/methods.js';
import { floodFile } from '../helpers/pipeline-window.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const COPIES = 8;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-decodeengine-'));
const children: ResultPromise[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.allSettled(children);
  fs.rmSync(work, { recursive: true, force: true });
});

let big: string;
let flows: number;
beforeAll(async () => {
  const flood = await floodFile();
  const parts = path.join(work, 'parts');
  fs.mkdirSync(parts);
  for (let i = 0; i < COPIES; i++) fs.copyFileSync(flood, path.join(parts, `nfcapd.2026112214${String(i).padStart(2, '0')}`));
  const dir = path.join(work, 'nfcapd');
  fs.mkdirSync(dir);
  big = path.join(dir, 'nfcapd.202611221405');
  await execa('nfdump', ['-R', parts, '-w', big], { env: { TZ: 'UTC' }, stdin: 'ignore' });
  flows = Number(/Flows:\s+(\d+)/.exec((await execa('nfdump', ['-r', big, '-I'])).stdout)?.[1]);
}, 120_000);

function envFor(name: string, engine: Record<string, unknown>): Record<string, string> {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config', 'config.json'), JSON.stringify({ engine: { pollSeconds: 0.3, ...engine } }));
  return { NOCFLOW_CONFIG_DIR: path.join(dir, 'config'), NOCFLOW_DATA_DIR: path.join(dir, 'data'), NOCFLOW_SOCKET: path.join(work, `run-${name}`, 'engine.sock') };
}
const nocflow = (env: Record<string, string>, ...args: string[]) => execa('node', [BIN, ...args], { env, reject: false, stdin: 'ignore', timeout: 90_000 });

describe('engine.decodeWorker in the engine process', () => {
  it('reads a 32 MiB file in the worker: the window analyze finds in-thread, and engine status says where it was read', async () => {
    expect(fs.statSync(big).size).toBeGreaterThanOrEqual(32 * 1024 * 1024);
    const env = envFor('engine', { decodeWorker: true });
    const e = execa('node', [BIN, 'engine', '--dir', path.dirname(big)], { env, reject: false, stdin: 'ignore' });
    children.push(e);
    const status = async () => {
      const r = await nocflow(env, 'engine', 'status', '--json');
      return r.exitCode === 0 ? (JSON.parse(r.stdout) as EngineStatus) : undefined;
    };
    let st: EngineStatus | undefined;
    for (let i = 0; i < 900 && (st = await status())?.processed !== 1; i++) await new Promise((r) => setTimeout(r, 100));
    expect(st?.processed).toBe(1);
    expect(st!.reading).toMatchObject({ files: 1, workerFiles: 1, records: flows, skippedRecords: 0, byReader: { native: 1 } });
    expect(st!.reading!.recent[0]).toMatchObject({ file: big, reader: 'native', records: flows, thread: 'worker' });
    expect(st!.latestWindow?.flows).toBe(flows);
    // The same window in-thread (analyze with the default reader).
    const alone = await nocflow(envFor('analyze', {}), 'analyze', big, '--json');
    expect(alone.exitCode).toBe(0);
    const here = JSON.parse(alone.stdout) as { flows: number; anomalies: { ip: string; type: string }[] };
    expect(here.flows).toBe(flows);
    expect(here.anomalies.length).toBeGreaterThan(0);
    expect(st!.latestWindow?.anomalies).toBe(here.anomalies.length);
    const text = (await nocflow(env, 'engine', 'status')).stdout;
    expect(text).toMatch(/^reading: 1 file\(s\) \(native 1\), [\d,]+ records, 0 skipped, 0 partial, 0 via nfdump, 1 in the decode worker$/m);
    expect(text).toMatch(/^ {2}nfcapd\.202611221405: native, [\d,]+ records, 0 skipped, \d+\/\d+ blocks, in the decode worker$/m);
    expect((await nocflow(env, 'engine', 'stop')).exitCode).toBe(0);
    await e;
  }, 180_000);

  it('watch --once --json marks the window\'s read with thread "worker" with the setting on, and not without it', async () => {
    const runOnce = async (name: string, decodeWorker: boolean) => {
      const r = await nocflow(envFor(name, { decodeWorker }), 'watch', path.dirname(big), '--once', '--json');
      expect(r.exitCode).toBe(0);
      const windows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; flows?: number; read?: { records: number; thread?: string } }).filter((e) => e.kind === 'window');
      expect(windows).toHaveLength(1);
      expect(windows[0].flows).toBe(flows);
      expect(windows[0].read?.records).toBe(flows);
      return windows[0].read?.thread;
    };
    expect(await runOnce('watch-worker', true)).toBe('worker');
    expect(await runOnce('watch-here', false)).toBeUndefined();
  }, 180_000);
});
