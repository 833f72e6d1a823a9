import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-enginecli-'));

/** A private engine setup: config (as given), data, runtime and nfcapd directories with one generated file. */
function setup(config: Record<string, unknown>) {
  const base = tmp();
  const nf = path.join(base, 'nfcapd');
  fs.mkdirSync(nf);
  fs.copyFileSync(SCAN, path.join(nf, 'nfcapd.202611221400'));
  const env = { NOCFLOW_CONFIG_DIR: path.join(base, 'config'), NOCFLOW_DATA_DIR: path.join(base, 'data'), NOCFLOW_RUNTIME_DIR: path.join(base, 'run') };
  fs.mkdirSync(env.NOCFLOW_CONFIG_DIR);
  const engine = (config.engine ?? {}) as Record<string, unknown>;
  fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({ ...config, engine: { nfcapdDir: nf, pollSeconds: 0.2, ...engine } }));
  const run = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false, timeout: 60_000, stdin: 'ignore' });
  return { base, env, run, db: path.join(env.NOCFLOW_DATA_DIR, 'nocflow.db'), config: path.join(env.NOCFLOW_CONFIG_DIR, 'config.json') };
}

let SCAN: string;
beforeAll(async () => {
  SCAN = (await makeScenarioFile('syn-scan', { scale: 0.1 })).file;
}, 120_000);

describe('nocflow engine refuses to start on what it cannot use (built CLI)', () => {
  it('an invalid configuration: exit 2, every problem with its path, the ledger never opened', async () => {
    const s = setup({ engine: { inside: ['10.0.0.0/33'], units: [{ prefix: 'campus', name: 'A' }] }, flowspec: { neighbors: [{ address: '192.0.2.1"\n[x]', as: 65002 }] } });
    const r = await s.run('engine');
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'nocflow: engine.inside[0]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"',
      'nocflow: engine.units[0].prefix: not an IP address or prefix: "campus"',
      'nocflow: flowspec.neighbors[0].address: "192.0.2.1\\"\\n[x]" is not an IP address',
      `nocflow: engine not started: 3 problems in ${s.config} (nocflow config check)`,
    ]);
    expect(fs.existsSync(s.db)).toBe(false);
    expect(fs.existsSync(path.join(s.env.NOCFLOW_RUNTIME_DIR, 'engine.sock.pid'))).toBe(false);
    // In the background too: the reason comes back with exit 2.
    const bg = await s.run('engine', 'start');
    expect(bg.exitCode).toBe(2);
    expect(bg.stderr).toMatch(/^nocflow: the engine did not start \(engine not started: 3 problems in .*config\.json \(nocflow config check\)\); see /);
    expect(fs.existsSync(s.db)).toBe(false);
  });

  it('a reader that cannot run (nfdump missing): exit 2 with the reason, no file marked in the ledger', async () => {
    const s = setup({ engine: { reader: 'nfdump', nfdumpBin: '/nonexistent/nfdump' } });
    const r = await s.run('engine');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('nocflow: engine not started: engine.reader nfdump: cannot run nfdump (not found) (engine.nfdumpBin is "/nonexistent/nfdump")');
    expect(fs.existsSync(s.db)).toBe(false);
  });

  it('engine --check lists the plan and every problem (config, reader, store) and exits 2; a good setup exits 0', async () => {
    const bad = setup({ engine: { reader: 'nfdump', nfdumpBin: '/nonexistent/nfdump', thresholds: { 'syn-attack.synflows': 5 } } });
    const r = await bad.run('engine', '--check');
    expect(r.exitCode).toBe(2);
    expect(r.stdout.trim().split('\n').filter((l) => l.startsWith('problem: '))).toEqual([
      'problem: engine.thresholds.syn-attack.synflows: unknown threshold key (did you mean syn-attack.synFlows?)',
      'problem: engine.reader nfdump: cannot run nfdump (not found) (engine.nfdumpBin is "/nonexistent/nfdump")',
    ]);
    expect(r.stderr).toBe('nocflow: 2 problems found');
    expect(fs.existsSync(bad.db)).toBe(false);
    const good = setup({});
    const ok = await good.run('engine', '--check');
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    // The native reader (the default) needs nothing outside the process; the nfdump reader is asked its version.
    expect(ok.stdout).toMatch(/^reader: native\nnfcapd dir: .*\ndatabase: .*nocflow\.db\nareas: devices, hunt, alerts, geo$/);
    const nfdump = setup({ engine: { reader: 'nfdump' } });
    const withNfdump = await nfdump.run('engine', '--check');
    expect(withNfdump.exitCode, withNfdump.stdout + withNfdump.stderr).toBe(0);
    expect(withNfdump.stdout).toMatch(/^reader: nfdump \(nfdump \(nfdump: Version: .*1\.7.*\)\)\n/);
    expect(fs.existsSync(good.db)).toBe(false);
  });
});
