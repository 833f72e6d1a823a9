import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/config.js';
import { newKeyPair, startFakeDevice, type FakeDevice } from '../../src/gen/device-sim.js';
import { startEngineServer } from '../../src/daemon/server.js';
import { defaultSocketPath } from '../../src/daemon/client.js';
import { createDevicesArea } from '../../src/devices/area.js';
import { openDb } from '../../src/store/db.js';

const fx = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-cli-dev-'));
const saved = { ...process.env };
let dev: FakeDevice;

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'nocflow', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

beforeAll(async () => {
  process.env.NOCFLOW_CONFIG_DIR = path.join(root, 'conf');
  process.env.NOCFLOW_DATA_DIR = path.join(root, 'data');
  process.env.NOCFLOW_RUNTIME_DIR = path.join(root, 'run'); // no engine there: the commands work directly
  const host = newKeyPair();
  dev = await startFakeDevice({ kind: 'iosxr', hostname: 'gw', hostKey: host.private, user: 'noc', password: 'Secr3t!pw', outputs: { 'show arp': fx('iosxr-arp-seed-gateway.txt') } });
  const c = loadConfig();
  c.set('devices', {
    list: [{ name: 'tn-gw', host: '127.0.0.1', port: dev.port, user: 'noc', password: 'Secr3t!pw', kind: 'iosxr', collect: ['arp'] }],
    trustOnFirstUse: true,
  });
  expect(fs.statSync(c.path).mode & 0o777).toBe(0o600);
});

afterAll(async () => {
  process.env = saved;
  await dev.close();
});

describe('nocflow collect / where without an engine', () => {
  it('collects, records the host key, and reports per device', async () => {
    const r = await run('collect');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\(direct\): 1\/1 devices, 4 MAC docs, 15 IP docs/);
    expect(r.out).toMatch(/tn-gw\s+iosxr\s+ok \(key saved\)\s+15\s+0\s+0/);
    expect(r.out).not.toContain('Secr3t');
    expect(fs.readFileSync(path.join(root, 'data', 'known_hosts'), 'utf8')).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${dev.port} ssh-ed25519 `));
  });

  it('where <ip> --json answers from the store', async () => {
    const r = await run('where', '211.79.60.29', '--json');
    expect(r.code).toBe(0);
    const a = JSON.parse(r.out) as { kind: string; rows: { device: string; mac: string; state: string; interface: string; current: boolean }[] };
    expect(a.kind).toBe('ip');
    expect(a.rows.map((x) => [x.device, x.mac, x.state, x.interface, x.current])).toEqual([['tn-gw', '00:00:00:00:00:00', 'Incomplete', 'TenGigE0/5/0/3', true]]);
  });

  it('where <mac> prints a table; refuses a bad query and an unknown device with exit 2', async () => {
    const r = await run('where', '70e4.2219.86f9', '--history');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('# 70:e4:22:19:86:f9 (mac): 1 rows of history');
    expect(r.out).toMatch(/211\.79\.60\.27\s+70:e4:22:19:86:f9\s+tn-gw\s+TenGigE0\/5\/0\/3/);
    expect((await run('where', 'not-an-address')).code).toBe(2);
    const u = await run('collect', 'nope');
    expect([u.code, u.err]).toEqual([2, 'nocflow: no such device: nope\n']);
  });
});

describe('nocflow collect / where through an engine', () => {
  it('uses the engine\'s devices handlers, and falls back when the engine has none', async () => {
    const db = openDb(path.join(root, 'engine.db'));
    const area = createDevicesArea(loadConfig().config.devices, db);
    const server = await startEngineServer({ socketPath: defaultSocketPath(), handlers: area.handlers });
    try {
      const c = await run('collect', 'tn-gw');
      expect(c.code).toBe(0);
      expect(c.out).toMatch(/\(engine\): 1\/1 devices/);
      expect(area.collector.counters().runs).toBe(1);
      const w = await run('where', '211.79.60.30', '--json');
      expect((JSON.parse(w.out) as { rows: { mac: string }[] }).rows.map((r) => r.mac)).toEqual(['b4:0c:25:ef:40:4c']);
    } finally {
      await server.close();
      await area.stop();
      db.close();
    }
    const bare = await startEngineServer({ socketPath: defaultSocketPath(), handlers: {} });
    try {
      const c = await run('collect');
      expect(c.out).toMatch(/\(direct\): 1\/1 devices/);
    } finally {
      await bare.close();
    }
  });
});

describe('nocflow devices: what each table gave, skipped lines and unreadable tables', () => {
  const extra: FakeDevice[] = [];
  afterAll(async () => {
    await Promise.all(extra.map((d) => d.close()));
  });

  it('collect and devices show the skipped lines with samples, and a table nocflow could mostly not read', async () => {
    const host = newKeyPair();
    const ios = (outputs: Record<string, string>) => startFakeDevice({ kind: 'ios', hostname: 'sw', hostKey: host.private, user: 'noc', password: 'Secr3t!pw', outputs });
    const sup2t = fx('ios-mac-sup2t-flags.txt').replace('*   51  0050.56a3.2b11   dynamic  Yes        120   Po12', '*   51  0050.56a3.2b11   dynamic  Yes        120   Po12\n\x1b[7m%%link flap%%\x1b[0m');
    const [old, catos, core] = await Promise.all([
      ios({ 'show arp': fx('ios-arp-seed-l3switch.txt'), 'show mac-address-table': fx('ios-mac-cat2950-counts.txt') }),
      ios({ 'show arp': fx('ios-arp-seed-l3switch.txt'), 'show mac address-table': fx('ios-mac-catos-unreadable.txt') }),
      ios({ 'show arp': fx('ios-arp-seed-l3switch.txt'), 'show mac address-table': sup2t }),
    ]);
    extra.push(old, catos, core);
    const c = loadConfig();
    const d = (name: string, port: number) => ({ name, host: '127.0.0.1', port, user: 'noc', password: 'Secr3t!pw', kind: 'ios', collect: ['arp', 'mac'] });
    c.set('devices.list', [...c.config.devices.list.filter((x) => x.name === 'tn-gw'), d('old-2950', old.port), d('catos-6509', catos.port), d('core-sup2t', core.port)]);

    const r = await run('collect', '--direct');
    expect(r.err).toBe('');
    expect(r.code).toBe(1); // a table nocflow could mostly not read
    expect(r.out).toMatch(/^old-2950 +ios +ok \(key saved\) +13 +8 +0 /m);
    expect(r.out).toMatch(/^catos-6509 +ios +unreadable \(key saved\) +13 +0 +9 /m);
    expect(r.out).toMatch(/^core-sup2t +ios +ok \(key saved\) +13 +12 +1 /m);
    expect(r.out).toContain('\n  mac: 1 of 24 lines skipped ("show mac address-table", read as cat-learn-age): "%%link flap%%"\n');
    expect(r.out).toContain('\n  ! mac table mostly unreadable: 9 of 10 lines skipped, 0 entries read (no known layout)\n');
    expect(r.out.split('\n')[1]).toMatch(/^DEVICE +KIND +RESULT +ARP +MAC +SKIPPED +MS$/);
    // Columns stay aligned whatever the result says.
    const at = (name: string) => r.out.split('\n').find((l) => l.startsWith(name))!.search(/ 13 /);
    expect(new Set(['old-2950', 'catos-6509', 'core-sup2t'].map(at)).size).toBe(1);
    expect(r.out).not.toContain('\x1b');

    const s = await run('devices');
    expect(s.code).toBe(0);
    const lines = s.out.split('\n');
    expect(lines[0]).toMatch(/^DEVICE +KIND +HOST +LAST RUN \(UTC\) +RESULT +ARP +MAC +SKIPPED$/);
    expect(s.out).toMatch(/^old-2950 +ios +127\.0\.0\.1:\d+ +\d{4}-\d\d-\d\d \d\d:\d\d +ok +13 +8 +0$/m);
    expect(s.out).toMatch(/^catos-6509 +ios +127\.0\.0\.1:\d+ +\S+ \S+ +unreadable +13 +0 +9$/m);
    expect(s.out).toMatch(/^core-sup2t +ios +127\.0\.0\.1:\d+ +\S+ \S+ +ok +13 +12 +1$/m);
    expect(s.out).toMatch(/\n {2}mac: 9 of 10 lines skipped \("show mac address-table"\): "\* = Static Entry\. .*" · "X = Port Security Entry \$ = Dot1x Security Entry" · "VLAN {2}Dest MAC\/.*"\n {2}! mac table mostly unreadable: 9 of 10 lines skipped/);
    expect(s.out.trimEnd().split('\n').pop()).toBe('! 1 device returned a table nocflow could mostly not read: its entries are missing from where and the anomalies');

    const j = JSON.parse((await run('devices', '--json')).out) as { runs: { device: string; skipped: number; warnings: string[]; tables: { table: string; command: string; entries: number; skipped: number; skippedSamples: string[]; layouts: string[]; unreadable: boolean }[] }[] };
    const by = new Map(j.runs.map((x) => [x.device, x]));
    expect(by.get('old-2950')!.tables.map((t) => [t.table, t.command, t.entries, t.skipped, t.layouts, t.unreadable])).toEqual([
      ['arp', 'show arp', 13, 0, [], false],
      ['mac', 'show mac-address-table', 8, 0, ['cat-destination'], false],
    ]);
    expect(by.get('core-sup2t')!.tables[1]).toMatchObject({ entries: 12, skipped: 1, skippedSamples: ['%%link flap%%'], unreadable: false });
    expect(by.get('catos-6509')!.tables[1]).toMatchObject({ entries: 0, skipped: 9, unreadable: true });
    expect(by.get('catos-6509')!.warnings).toHaveLength(1);
    expect([by.get('old-2950')!.warnings, by.get('core-sup2t')!.warnings]).toEqual([[], []]);

    // The 2950's hosts are where nocflow says they are.
    const w = await run('where', '0010.a4e2.7731');
    expect(w.out).toMatch(/-\s+00:10:a4:e2:77:31\s+old-2950\s+-\s+FastEthernet0\/12\s+20\s+secure\s/);
  }, 30_000);
});
