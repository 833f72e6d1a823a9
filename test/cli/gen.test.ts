import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { reject: false, env: { NOCFLOW_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-cfg-')) } });

describe('nocflow gen (built CLI)', () => {
  it('writes a scenario through a private nfcapd and its ground truth', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-gencli-'));
    const file = path.join(dir, 'nfcapd.202611221405');
    const r = await nocflow('gen', 'syn-scan', '--scale', '0.1', '--seed', '3', '--file', file, '--truth', path.join(dir, 'truth.json'), '--base-time', '2026-11-22T14:05:00Z');
    expect(r.exitCode, r.stderr).toBe(0);
    const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8'));
    expect(truth).toMatchObject({ scenario: 'syn-scan', seed: 3, flows: 2000, base: Date.UTC(2026, 10, 22, 14, 5) });
    const { stdout } = await execa('nfdump', ['-r', file, '-I'], { env: { TZ: 'UTC' } });
    expect(stdout).toMatch(/Flows: 2000\b/);
  });

  it('refuses non-loopback collectors, unknown scenarios and protocols', async () => {
    const a = await nocflow('gen', 'syn-scan', '--host', '192.0.2.1', '--port', '2055');
    expect(a.exitCode).toBe(2);
    expect(a.stderr).toMatch(/only loopback/);
    const b = await nocflow('gen', 'nonsense', '--port', '2055');
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toMatch(/unknown scenario/);
    const c = await nocflow('gen', 'syn-scan', '--port', '2055', '--protocol', 'sflow');
    expect(c.exitCode).toBe(2);
  });
});
