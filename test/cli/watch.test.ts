import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { formatEvent } from '../../src/cli/commands/watch.js';
import { CAPTURES } from '../helpers/captures.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-watchcli-'));
const env = { NOCFLOW_CONFIG_DIR: tmp() };
const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false });

describe('nocflow watch (built CLI)', () => {
  it('--once --json: one JSON line per event, each file once, also across runs', async () => {
    const dir = tmp();
    const db = path.join(tmp(), 'n.db');
    fs.copyFileSync(path.join(CAPTURES, 'synscan.ipfix.nfcapd'), path.join(dir, 'nfcapd.202611221400'));
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), 'not nfcapd\n'.repeat(40));
    fs.copyFileSync(path.join(CAPTURES, 'nmap_80_all.ipfix.nfcapd'), path.join(dir, 'nfcapd.current.9'));
    const r = await nocflow('watch', dir, '--once', '--json', '--db', db);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; file?: string; flows?: number; anomalies?: { ip: string; tracking: unknown }[] });
    expect(lines.map((l) => `${l.kind}:${l.file ? path.basename(l.file) : ''}`)).toEqual(['window:nfcapd.202611221400', 'file-error:nfcapd.202611221405', 'lag:']);
    expect(lines[0].flows).toBe(2002);
    expect(lines[0].anomalies!.find((a) => a.ip === '172.16.0.8')!.tracking).toMatchObject({ windowsSeen: 1, streak: 1 });
    const again = await nocflow('watch', dir, '--once', '--json', '--db', db);
    expect(again.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['lag']);
    fs.copyFileSync(path.join(CAPTURES, 'synscan.ipfix.nfcapd'), path.join(dir, 'nfcapd.202611221410'));
    const human = await nocflow('watch', dir, '--once', '--db', db);
    expect(human.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^window \d+ 2026-11-22 14:10 .*nfcapd\.202611221410: 2002 flows, \d+ anomalies \(172\.16\.0\.8 /)]);
  }, 60_000);

  it('a missing directory exits non-zero with a one-line reason', async () => {
    const r = await nocflow('watch', path.join(tmp(), 'nope'), '--once', '--db', path.join(tmp(), 'n.db'));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/no such directory: .*nope$/);
  });
});

describe('formatEvent', () => {
  it.each([
    [{ kind: 'file-error', file: '/d/nfcapd.1', reason: 'bad magic\u001b[31m' }, 'failed /d/nfcapd.1: bad magic (skipped)'],
    [{ kind: 'file-skipped', file: '/d/nfcapd.2', reason: 'removed before it was read' }, 'skipped /d/nfcapd.2: removed before it was read'],
    [{ kind: 'sink-error', sink: 'es', reason: 'refused' }, 'sink es failed: refused'],
    [{ kind: 'lag', seconds: 61.4 }, 'lag 61 s behind nfcapd'],
    [{ kind: 'error', reason: 'disk full' }, 'error: disk full (retrying at the next poll)'],
  ] as const)('%j', (e, line) => expect(formatEvent(e)).toBe(line));
});
