import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { formatEvent } from '../../src/cli/commands/watch.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-watchcli-'));
const env = { NOCFLOW_CONFIG_DIR: tmp() };
const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false });
const nocflowWith = (cfg: unknown, ...args: string[]) => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  return execa('node', [BIN, ...args], { env: { NOCFLOW_CONFIG_DIR: dir }, reject: false });
};

/** A generated syn-scan window (through a real nfcapd): one scanner, its flows. */
let SCAN: { file: string; scanner: string; flows: number };
beforeAll(async () => {
  const g = await makeScenarioFile('syn-scan', { scale: 0.1 });
  SCAN = { file: g.file, scanner: g.truth.planted[0].ip, flows: g.truth.flows };
}, 120_000);

describe('nocflow watch (built CLI)', () => {
  it('--once --json: one JSON line per event, each file once, also across runs', async () => {
    const dir = tmp();
    const db = path.join(tmp(), 'n.db');
    fs.copyFileSync(SCAN.file, path.join(dir, 'nfcapd.202611221400'));
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), 'not nfcapd\n'.repeat(40));
    fs.copyFileSync(SCAN.file, path.join(dir, 'nfcapd.current.9'));
    const r = await nocflow('watch', dir, '--once', '--json', '--db', db);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; file?: string; flows?: number; anomalies?: { ip: string; tracking: unknown }[] });
    expect(lines.map((l) => `${l.kind}:${l.file ? path.basename(l.file) : ''}`)).toEqual(['window:nfcapd.202611221400', 'file-error:nfcapd.202611221405', 'lag:']);
    expect(lines[0].flows).toBe(SCAN.flows);
    expect(lines[0].anomalies!.find((a) => a.ip === SCAN.scanner)!.tracking).toMatchObject({ windowsSeen: 1, streak: 1 });
    const again = await nocflow('watch', dir, '--once', '--json', '--db', db);
    expect(again.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['lag']);
    fs.copyFileSync(SCAN.file, path.join(dir, 'nfcapd.202611221410'));
    const human = await nocflow('watch', dir, '--once', '--db', db);
    expect(human.stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^window \\d+ 2026-11-22 14:10 .*nfcapd\\.202611221410: ${SCAN.flows} flows, \\d+ anomalies \\(${SCAN.scanner.replace(/\./g, '\\.')} scan`))]);
  }, 60_000);

  it('--json shows a deferred file (reader killed) with its retry time, and the next run reads it', async () => {
    const dir = tmp();
    const db = path.join(tmp(), 'n.db');
    fs.copyFileSync(SCAN.file, path.join(dir, 'nfcapd.202611221400'));
    // An nfdump that is killed (as by the OOM killer) whenever it reads: the reader's fault, not the file's.
    const killed = path.join(tmp(), 'nfdump');
    fs.writeFileSync(killed, '#!/bin/sh\n[ "$1" = "-V" ] && exec nfdump -V\nkill -9 $$\n', { mode: 0o755 });
    const r = await nocflowWith({ engine: { reader: 'nfdump', nfdumpBin: killed } }, 'watch', dir, '--once', '--json', '--db', db);
    expect(r.exitCode, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; file?: string; reason?: string; retryAt?: number; deferrals?: number });
    expect(events[0]).toEqual({ kind: 'file-deferred', file: path.join(dir, 'nfcapd.202611221400'), reason: 'nfdump was killed (SIGKILL)', retryAt: expect.any(Number), deferrals: 1 });
    expect(events[0].retryAt! - Date.now()).toBeGreaterThan(30_000);
    const human = await nocflowWith({ engine: { reader: 'nfdump', nfdumpBin: killed } }, 'watch', dir, '--once', '--db', db);
    expect(human.stdout).toMatch(/^deferred .*nfcapd\.202611221400: nfdump was killed \(SIGKILL\) \(tried again at .* UTC, and at the next start\)/);
    const fixed = await nocflow('watch', dir, '--once', '--json', '--db', db);
    expect(fixed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['window', 'lag']);
  }, 60_000);

  it('refuses an invalid configuration (exit 2, every problem with its path) before opening the ledger', async () => {
    const dir = tmp();
    const db = path.join(tmp(), 'n.db');
    fs.copyFileSync(SCAN.file, path.join(dir, 'nfcapd.202611221400'));
    const r = await nocflowWith({ engine: { inside: ['10.0.0.0/33'], thresholds: { 'scan.pears': 10 } } }, 'watch', dir, '--once', '--db', db);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'nocflow: engine.inside[0]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"',
      'nocflow: engine.thresholds.scan.pears: unknown threshold key (did you mean scan.peers?)',
      expect.stringMatching(/^nocflow: watch not started: 2 problems in .*config\.json \(nocflow config check\)$/),
    ]);
    expect(fs.existsSync(db)).toBe(false);
    const noReader = await nocflowWith({ engine: { reader: 'nfdump', nfdumpBin: '/nonexistent/nfdump' } }, 'watch', dir, '--once', '--db', db);
    expect(noReader.exitCode).toBe(2);
    expect(noReader.stderr.trim()).toBe('nocflow: watch not started: engine.reader nfdump: cannot run nfdump (not found) (engine.nfdumpBin is "/nonexistent/nfdump")');
    expect(fs.existsSync(db)).toBe(false);
  });

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
    [{ kind: 'file-deferred', file: '/d/nfcapd.3', reason: 'cannot run nfdump (not found)', retryAt: Date.UTC(2026, 10, 22, 14, 31, 5), deferrals: 1 }, 'deferred /d/nfcapd.3: cannot run nfdump (not found) (tried again at 2026-11-22 14:31:05 UTC, and at the next start)'],
    [{ kind: 'file-quarantined', file: '/d/nfcapd.4', reason: 'too large for this host: …', attempts: 3 }, 'quarantined /d/nfcapd.4: too large for this host: …'],
  ] as const)('%j', (e, line) => expect(formatEvent(e)).toBe(line));
});
