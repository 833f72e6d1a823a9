import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { newKeyPair, startFakeDevice, type FakeDevice } from '../../src/gen/device-sim.js';
import { callEngine } from '../../src/daemon/client.js';
import type { FlowRecord } from '../../src/engine/types.js';
import { writeFlowsFile } from '../../src/gen/index.js';

/**
 * Issue 5's probe check through the whole engine, as it runs for an operator: a real SSH "gateway" (ssh2's server)
 * serving the seeds' IOS-XR `show arp`; `nocflow collect` through the engine's socket; then nfcapd writes the
 * window's file; the engine reads it through nfdump and stores the senders to unused addresses as `unused-probe`
 * attackers. `nocflow devices anomalies` and `nocflow where` then say the same.
 */
const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-probe-e2e-'));
const nfdir = path.join(work, 'nfcapd');
const sock = path.join(work, 'engine.sock');
const env = { NOCFLOW_CONFIG_DIR: path.join(work, 'config'), NOCFLOW_DATA_DIR: path.join(work, 'data'), NOCFLOW_RUNTIME_DIR: work, NOCFLOW_SOCKET: sock };
const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false });
const gatewayArp = fs.readFileSync(path.join(__dirname, 'fixtures', 'iosxr-arp-seed-gateway.txt'), 'utf8');
let dev: FakeDevice;
let engine: ResultPromise | undefined;

beforeAll(async () => {
  const host = newKeyPair();
  dev = await startFakeDevice({ kind: 'iosxr', hostname: 'TN-GW', hostKey: host.private, user: 'noc', password: 'Pr0be!pw', outputs: { 'show arp': gatewayArp } });
  const set = await nocflow('config', 'set', 'devices', JSON.stringify({
    list: [{ name: 'tn-gw', host: '127.0.0.1', port: dev.port, user: 'noc', password: 'Pr0be!pw', kind: 'iosxr', collect: ['arp'] }],
    trustOnFirstUse: true,
    schedule: false,
  }));
  expect(set.exitCode, set.stderr).toBe(0);
  await nocflow('config', 'set', 'engine.pollSeconds', '0.2');
  engine = execa('node', [BIN, 'engine', '--dir', nfdir], { env, reject: false, stdin: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if ((await nocflow('engine', 'status', '--json')).exitCode === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`engine did not start: ${(await engine.catch((e) => e)).stderr ?? ''}`);
}, 60_000);

afterAll(async () => {
  engine?.kill('SIGTERM');
  await engine;
  await dev?.close();
});

describe('nocflow config get', () => {
  it('masks the device password unless asked, in the whole config, a section and the key itself', async () => {
    const all = await nocflow('config', 'get');
    const section = await nocflow('config', 'get', 'devices');
    for (const r of [all, section]) {
      expect(r.exitCode).toBe(0);
      expect(r.stdout).not.toContain('Pr0be!pw');
      expect(r.stdout).toContain('"password": "********"');
    }
    expect((JSON.parse(all.stdout) as { devices: { list: { port: number }[] } }).devices.list[0].port).toBe(dev.port);
    expect((await nocflow('config', 'get', 'devices', '--show-secrets')).stdout).toContain('"password": "Pr0be!pw"');
  });
});

describe('unused-address probers through the running engine', () => {
  it('collects the gateway, then names the senders of the next window to its unused addresses', async () => {
    const c = await nocflow('collect');
    expect(c.exitCode, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/\(engine\): 1\/1 devices, 4 MAC docs, 15 IP docs/);

    // The current 5-minute window's file: a prober of four unused gateway addresses and a client of a used one.
    const start = Math.floor(Date.now() / 300_000) * 300_000;
    const f = (src: string, dst: string, o: Partial<FlowRecord> = {}): FlowRecord => ({ src, dst, sport: 51000, dport: 3389, proto: 6, flags: 2, packets: 1, bytes: 40, start: start + 5000, end: start + 5000, inIf: 3, outIf: 7, exporter: '127.0.0.1', srcAs: 0, dstAs: 0, ...o });
    const flows = [
      ...['211.73.94.1', '211.73.94.6', '211.73.94.8', '211.79.60.29'].map((d) => f('198.51.100.77', d)),
      ...Array.from({ length: 30 }, () => f('203.0.113.20', '211.79.60.30', { dport: 443, flags: 27, packets: 10, bytes: 5000 })),
    ];
    const name = `nfcapd.${new Date(start).toISOString().slice(0, 16).replace(/[-T:]/g, '')}`;
    const tmp = await writeFlowsFile([flows], path.join(work, name));
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(tmp, old, old);
    fs.mkdirSync(nfdir, { recursive: true });
    fs.renameSync(tmp, path.join(nfdir, name));

    type View = { window: { timeSlot: number }; anomalies: { ip: string; role: string; type: string; unusedProbe?: { targets: string[]; total: number; flows: number; arpSlots: number[]; reason: string } }[] } | null;
    let w: View = null;
    for (let i = 0; i < 100 && !w; i++) {
      w = await callEngine<View>('windows.latest', undefined, { socketPath: sock });
      if (!w) await new Promise((r) => setTimeout(r, 100));
    }
    expect(w).not.toBeNull();
    expect(w!.window.timeSlot).toBe(start / 300_000);
    const probers = w!.anomalies.filter((a) => a.unusedProbe);
    expect(probers.map((a) => [a.ip, a.role, a.type, a.unusedProbe!.targets, a.unusedProbe!.flows])).toEqual([
      ['198.51.100.77', 'attacker', 'unused-probe', ['211.73.94.1', '211.73.94.6', '211.73.94.8', '211.79.60.29'], 4],
    ]);
    const collectedSlot = Math.floor((Date.now() / 1000 + 150) / 300);
    expect(probers[0].unusedProbe!.arpSlots.every((s) => s === collectedSlot || s === collectedSlot - 1)).toBe(true);
    expect(w!.anomalies.some((a) => a.ip === '203.0.113.20')).toBe(false);

    const d = await nocflow('devices', 'anomalies');
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^unused addresses \(only Incomplete\/Deleted, or MAC 0\): 12: 211\.73\.94\.1 211\.73\.94\.2 /m);
    expect(d.stdout).toMatch(/probers of unused addresses in the window of .* UTC: 1\n  198\.51\.100\.77 +unused-probe +sent 4 flows to 4 addresses no device resolves/);
    const j = JSON.parse((await nocflow('devices', 'anomalies', '--json')).stdout) as { probers: { ip: string; total: number }[]; probersWindow: number };
    expect([j.probers.map((p) => [p.ip, p.total]), j.probersWindow]).toEqual([[['198.51.100.77', 4]], start / 300_000]);

    // The same in Traditional Chinese.
    const zh = await nocflow('devices', 'anomalies', '--lang', 'zh-TW');
    expect(zh.stdout).toMatch(/^未使用位址（僅 Incomplete\/Deleted 或 MAC 為 0）：12：211\.73\.94\.1 /m);
    expect(zh.stdout).toMatch(/探測未使用位址者（時段 .* UTC）：1\n  198\.51\.100\.77 +unused-probe +送出4筆Flow至4個無設備回應的位址/);
    const whereZh = await nocflow('where', '211.73.94.6', '--lang', 'zh-TW');
    expect(whereZh.stdout).toMatch(/\n! 沒有設備回應 211\.73\.94\.6（Deleted on tn-gw）：送往此位址者為探測未使用位址$/);

    const bad = await nocflow('devices', 'anomalies', '--since', '3x');
    expect([bad.exitCode, bad.stderr]).toEqual([2, 'nocflow: --since wants a duration such as 30m, 24h or 7d, got "3x"']);

    const s = await nocflow('devices');
    expect(s.stdout).toMatch(/^tn-gw +iosxr +127\.0\.0\.1:\d+ +\d{4}-\d\d-\d\d \d\d:\d\d +ok +15 +0 +0$/m);
    expect(s.stdout).not.toContain('Pr0be');
    // The same file analysed by hand, with and without the collected tables.
    type Doc = { anomalies: { ip: string; type: string; unusedProbe?: { total: number } }[] };
    const withArp = await nocflow('analyze', path.join(nfdir, name), '--arp', '--json');
    expect(withArp.exitCode, withArp.stderr).toBe(0);
    expect((JSON.parse(withArp.stdout) as Doc).anomalies.map((a) => [a.ip, a.type, a.unusedProbe?.total])).toEqual([['198.51.100.77', 'unused-probe', 4]]);
    expect((JSON.parse((await nocflow('analyze', path.join(nfdir, name), '--json')).stdout) as Doc).anomalies).toEqual([]);
    // A file whose name does not date the window cannot be matched with device tables.
    const undated = path.join(work, 'capture.nfcapd');
    fs.copyFileSync(path.join(nfdir, name), undated);
    const refused = await nocflow('analyze', undated, '--arp');
    expect([refused.exitCode, refused.stderr]).toEqual([2, 'nocflow: --arp needs nfcapd.YYYYMMDDhhmm file names to date the window: capture.nfcapd']);

    const where = await nocflow('where', '211.73.94.6');
    expect(where.stdout).toMatch(/\n! no device resolves 211\.73\.94\.6 \(Deleted on tn-gw\): whoever sends to it is probing an unused address$/);
  }, 60_000);
});
