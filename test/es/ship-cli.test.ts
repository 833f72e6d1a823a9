import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { Client } from '@elastic/elasticsearch';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { createShipper } from '../../src/es/shipper.js';
import { createEsWriter } from '../../src/es/writer.js';
import { elasticsearchDefaults } from '../../src/config/sections/elasticsearch.js';
import { closedPort, esTestScope, startFakeEs, type FakeEs } from './es-server.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');
/** Two small generated windows (real nfcapd) and their flow counts. */
let SSH: string;
let NMAP: string;
let N_SSH: number;
let N_NMAP: number;
beforeAll(async () => {
  const a = await makeScenarioFile('ssh-attacker', { scale: 0.02 });
  const b = await makeScenarioFile('syn-scan', { scale: 0.004 });
  [SSH, N_SSH, NMAP, N_NMAP] = [a.file, a.truth.flows, b.file, b.truth.flows];
}, 120_000);

let server: FakeEs | undefined;
const { tmp, track } = esTestScope('nocflow-shipcli-');

describe('nocflow ship (built CLI)', () => {
  it('ships files and prints the counters; refuses to run without a node', async () => {
    server = track(await startFakeEs());
    const home = tmp();
    const env = { NOCFLOW_CONFIG_DIR: path.join(home, 'cfg'), NOCFLOW_DATA_DIR: path.join(home, 'data') };
    const r = await execa('node', [BIN, 'ship', SSH, NMAP, '--node', server.url, '--json'], { env, reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 2, flows: N_SSH + N_NMAP, indexed: N_SSH + N_NMAP, spooled: 0, rejected: 0, failedFiles: [] });
    expect(server.received).toHaveLength(N_SSH + N_NMAP);
    const none = await execa('node', [BIN, 'ship', SSH], { env, reject: false });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/elasticsearch\.node/);
  });
});

describe('nocflow ship with ES down, then --replay', () => {
  it('exits 3 with everything spooled, and --replay sends it all once ES is up', async () => {
    const port = await closedPort();
    const home = tmp();
    const env = { NOCFLOW_CONFIG_DIR: path.join(home, 'cfg'), NOCFLOW_DATA_DIR: path.join(home, 'data') };
    const down = await execa('node', [BIN, 'ship', SSH, '--node', `http://127.0.0.1:${port}`, '--json'], { env, reject: false });
    expect(down.exitCode).toBe(3);
    expect(JSON.parse(down.stdout)).toMatchObject({ flows: N_SSH, indexed: 0, spooled: N_SSH });
    expect(down.stderr).toMatch(/unavailable, spooling/);
    server = track(await startFakeEs(port));
    const up = await execa('node', [BIN, 'ship', '--replay', '--node', server.url, '--json'], { env, reject: false });
    expect(up.exitCode).toBe(0);
    expect(JSON.parse(up.stdout)).toEqual({ replayed: N_SSH, left: 0 });
    expect(server.received).toHaveLength(N_SSH);
  });
});

describe('shipper.watch', () => {
  it('ships each completed file once, never .current, and resumes from its ledger', async () => {
    server = track(await startFakeEs());
    const dir = tmp();
    const ledger = path.join(tmp(), 'ledger.log');
    fs.copyFileSync(SSH, path.join(dir, 'nfcapd.202611221400'));
    fs.copyFileSync(NMAP, path.join(dir, 'nfcapd.current.1234'));
    const client = new Client({ node: server.url, maxRetries: 0 });
    const shipper = createShipper({ source: createNfdumpSource(), store: createEsWriter(elasticsearchDefaults, { client, spoolDir: tmp() }), fieldMap: elasticsearchDefaults.fieldMap });
    const shipped: string[] = [];
    const ac = new AbortController();
    const running = shipper.watch(dir, { ledger, intervalMs: 20, signal: ac.signal, onShipped: (f) => {
      shipped.push(path.basename(f));
      if (shipped.length === 1) fs.copyFileSync(NMAP, path.join(dir, 'nfcapd.202611221405')); // nfcapd rotates
      if (shipped.length === 2) ac.abort();
    } });
    await running;
    expect(shipped).toEqual(['nfcapd.202611221400', 'nfcapd.202611221405']);
    expect(server.received).toHaveLength(N_SSH + N_NMAP);
    expect(fs.readFileSync(ledger, 'utf8').trim().split('\n')).toHaveLength(2);

    const ac2 = new AbortController();
    const again: string[] = [];
    setTimeout(() => ac2.abort(), 200);
    await shipper.watch(dir, { ledger, intervalMs: 20, signal: ac2.signal, onShipped: (f) => again.push(f) });
    expect(again).toEqual([]);
    expect(server.received).toHaveLength(N_SSH + N_NMAP);
    await client.close();
  });
});
