/**
 * A file cut short, as an operator meets it (built CLI, real processes): `analyze --json` gives the window with
 * `window.partial` and says so on stderr; `watch --once --json` prints each window with the reader's counters for
 * its file and the partial mark; the engine's `engine status --json` counts the partial file, lists its blocks and
 * marks the latest window partial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { EngineStatus } from '../../src/daemon/methods.js';
import { blockMap } from '../ingest/nffile/build.js';
import { BACKGROUND_FLOWS, floodFile } from '../helpers/pipeline-window.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-partialcli-'));
const children: ResultPromise[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.allSettled(children);
});

function envFor(name: string): Record<string, string> {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config', 'config.json'), JSON.stringify({ engine: { pollSeconds: 0.3 } }));
  return { NOCFLOW_CONFIG_DIR: path.join(dir, 'config'), NOCFLOW_DATA_DIR: path.join(dir, 'data'), NOCFLOW_SOCKET: path.join(work, `run-${name}`, 'engine.sock') };
}
const nocflow = (env: Record<string, string>, ...args: string[]) => execa('node', [BIN, ...args], { env, reject: false, stdin: 'ignore', timeout: 90_000 });

let full: string;
let cutBytes: Buffer;
let blocks: number;
beforeAll(async () => {
  full = await floodFile();
  const bytes = fs.readFileSync(full);
  const map = blockMap(bytes);
  blocks = map.length;
  cutBytes = bytes.subarray(0, map[1].end + 64);
}, 120_000);

/** A directory with the whole file at 14:00 and the cut copy at 14:05. */
function nfcapdDir(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(full, path.join(dir, 'nfcapd.202611221400'));
  fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), cutBytes);
  return dir;
}

describe('a cut-short file through the CLI', () => {
  it('analyze --json: window.partial with the blocks read, every intact flow, and one stderr line', async () => {
    const dir = nfcapdDir('analyze');
    const r = await nocflow(envFor('analyze'), 'analyze', path.join(dir, 'nfcapd.202611221405'), '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { window: { partial?: { reason: string; blocksRead: number; blocksExpected: number } }; flows: number; exporters?: { ip: string; samplingRate?: number }[] };
    expect(doc.window.partial).toEqual({ reason: expect.stringMatching(/^block 3 of \d+: block runs past the end of the data/), blocksRead: 2, blocksExpected: blocks });
    expect(doc.flows).toBeGreaterThan(0);
    expect(doc.flows).toBeLessThan(BACKGROUND_FLOWS);
    expect(doc.exporters?.length).toBeGreaterThan(0);
    expect(r.stderr.trim()).toBe(`nocflow: partial window: ${doc.window.partial!.reason} (2 of ${blocks} blocks read; every intact block is in the window)`);
    const whole = JSON.parse((await nocflow(envFor('analyze'), 'analyze', path.join(dir, 'nfcapd.202611221400'), '--json')).stdout);
    expect(whole.window.partial).toBeUndefined();
    expect(whole.flows).toBe(BACKGROUND_FLOWS + 1500);
  }, 60_000);

  it('watch --once --json: each window with its file\'s reader counters, the cut one marked partial', async () => {
    const dir = nfcapdDir('watch');
    const r = await nocflow(envFor('watch'), 'watch', dir, '--once', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind === 'window');
    expect(events.map((e) => path.basename(e.file))).toEqual(['nfcapd.202611221400', 'nfcapd.202611221405']);
    const [whole, cut] = events;
    expect(whole.read).toEqual({
      reader: 'native', records: BACKGROUND_FLOWS + 1500, skippedRecords: 0, blocks, blocksExpected: blocks, unknownElements: 0, decompressErrors: 0, compression: 'none',
      exporters: expect.arrayContaining([{ ip: '127.0.0.2', samplingRate: 1 }, { ip: '127.0.0.3', samplingRate: 1 }, { ip: '127.0.0.4', samplingRate: 1 }]),
    });
    expect(whole.partial).toBeUndefined();
    expect(cut.partial).toEqual({ reason: expect.stringMatching(/^block 3 of /), blocksRead: 2, blocksExpected: blocks });
    expect(cut.read).toMatchObject({ records: cut.flows, blocks: 2, blocksExpected: blocks, partial: cut.partial });
  }, 60_000);

  it('engine status --json: the partial file counted, its blocks listed, the latest window marked partial', async () => {
    const env = envFor('engine');
    const dir = nfcapdDir('engine-nfcapd');
    const e = execa('node', [BIN, 'engine', '--dir', dir], { env, reject: false, stdin: 'ignore' });
    children.push(e);
    const status = async () => {
      const r = await nocflow(env, 'engine', 'status', '--json');
      return r.exitCode === 0 ? (JSON.parse(r.stdout) as EngineStatus) : undefined;
    };
    let st: EngineStatus | undefined;
    for (let i = 0; i < 600 && (st = await status())?.processed !== 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(st?.processed).toBe(2);
    expect(st!.reading).toMatchObject({ files: 2, partialFiles: 1, skippedRecords: 0 });
    const recent = st!.reading!.recent;
    expect(recent[0]).toMatchObject({ file: path.join(dir, 'nfcapd.202611221405'), blocks: 2, blocksExpected: blocks, partial: { blocksRead: 2, blocksExpected: blocks } });
    expect(recent[1]).toMatchObject({ file: path.join(dir, 'nfcapd.202611221400'), blocks, blocksExpected: blocks, records: BACKGROUND_FLOWS + 1500 });
    expect(recent[1].partial).toBeUndefined();
    expect(st!.latestWindow?.partial).toEqual(recent[0].partial);
    const text = (await nocflow(env, 'engine', 'status')).stdout;
    expect(text).toMatch(new RegExp(`^latest window: .*, PARTIAL \\(2/${blocks} blocks\\)$`, 'm'));
    expect(text).toMatch(new RegExp(`^  nfcapd\\.202611221405: native, [\\d,]+ records, 0 skipped, 2/${blocks} blocks, PARTIAL \\(2/${blocks} blocks: block 3 of `, 'm'));
    expect((await nocflow(env, 'engine', 'stop')).exitCode).toBe(0);
    await e;
  }, 120_000);
});
