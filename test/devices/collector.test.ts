import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDevice, collectDevices, createDeviceCollector } from '../../src/devices/collector.js';
import { KIND_PROFILES, type DeviceKind } from '../../src/devices/kinds.js';
import { parseTable } from '../../src/devices/parsers.js';
import { devicesDefaults, type DeviceSpec, type DevicesConfig } from '../../src/config/sections/devices.js';
import { newKeyPair, publicBlob, startFakeDevice, type FakeDevice, type FakeDeviceOptions } from '../../src/gen/device-sim.js';

const fxDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fx = (name: string) => fs.readFileSync(path.join(fxDir, name), 'utf8');

const OUTPUTS: Record<DeviceKind, { arp: string; mac?: string }> = {
  ios: { arp: 'ios-arp-seed-l3switch.txt', mac: 'ios-mac.txt' },
  iosxe: { arp: 'ios-arp-seed-l3switch.txt', mac: 'ios-mac.txt' },
  iosxr: { arp: 'iosxr-arp-seed-gateway.txt' },
  nxos: { arp: 'nxos-arp.txt', mac: 'nxos-mac-seed-n5672.txt' },
  junos: { arp: 'junos-arp.txt', mac: 'junos-mac.txt' },
  eos: { arp: 'eos-arp.txt', mac: 'eos-mac.txt' },
};

function outputsFor(kind: DeviceKind): Record<string, string> {
  const p = KIND_PROFILES[kind];
  const o: Record<string, string> = { [p.commands.arp!]: fx(OUTPUTS[kind].arp) };
  if (p.commands.mac && OUTPUTS[kind].mac) o[p.commands.mac] = fx(OUTPUTS[kind].mac!);
  return o;
}

const hostKey = newKeyPair();
const otherHostKey = newKeyPair();
const userKey = newKeyPair();
const PASSWORD = 's3cret-Pa55';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-dev-'));
const servers: FakeDevice[] = [];

async function device(kind: DeviceKind, extra: Partial<FakeDeviceOptions> = {}): Promise<FakeDevice> {
  const d = await startFakeDevice({ kind, hostname: `${kind}-sw1`, hostKey: hostKey.private, user: 'noc', password: PASSWORD, outputs: outputsFor(kind), ...extra });
  servers.push(d);
  return d;
}

function knownHosts(entries: { port: number; pub: string }[]): string {
  const file = path.join(fs.mkdtempSync(path.join(tmp, 'kh-')), 'known_hosts');
  fs.writeFileSync(file, entries.map((e) => `[127.0.0.1]:${e.port} ssh-ed25519 ${publicBlob(e.pub).toString('base64')}\n`).join(''), { mode: 0o600 });
  return file;
}

function spec(name: string, kind: DeviceKind, port: number, extra: Partial<DeviceSpec> = {}): DeviceSpec {
  return { name, host: '127.0.0.1', port, user: 'noc', password: PASSWORD, kind, collect: ['arp', 'mac'], ...extra };
}

function cfg(list: DeviceSpec[], knownHostsFile: string, extra: Partial<DevicesConfig> = {}): DevicesConfig {
  return { ...devicesDefaults, list, knownHostsFile, connectTimeoutMs: 5000, commandTimeoutMs: 5000, ...extra };
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('the simulated devices\' keys', () => {
  it('newKeyPair only hands out keys ssh2 can parse again (its keygen breaks 1 in 256: mscdex/ssh2#1390), over 2000 pairs', async () => {
    const { default: ssh2 } = await import('ssh2');
    let bad = 0;
    for (let i = 0; i < 2000; i++) {
      const k = newKeyPair();
      if (ssh2.utils.parseKey(k.private) instanceof Error || ssh2.utils.parseKey(k.public) instanceof Error) bad++;
    }
    expect(bad).toBe(0);
  });
});

describe('collecting each kind from a real SSH server', () => {
  it.each(Object.keys(OUTPUTS) as DeviceKind[])('%s: prompt, paging off, both tables parsed exactly', async (kind) => {
    const d = await device(kind);
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec(`${kind}-1`, kind, d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    const p = KIND_PROFILES[kind];
    expect(r.arp).toEqual(parseTable(kind, 'arp', fx(OUTPUTS[kind].arp)).entries);
    expect(r.arp.length).toBeGreaterThan(2);
    if (OUTPUTS[kind].mac) expect(r.mac).toEqual(parseTable(kind, 'mac', fx(OUTPUTS[kind].mac!)).entries);
    else expect(r.mac).toEqual([]);
    expect(r.skipped).toBe(0);
    expect(r.morePrompts).toBe(0);
    expect(d.commands.filter((c) => c !== 'exit' && c !== '')).toEqual([p.pagingOff, p.commands.arp, ...(p.commands.mac ? [p.commands.mac] : [])]);
  });

  it('answers --More-- with a space when the device ignores paging-off, and loses no line', async () => {
    const d = await device('nxos', { ignorePagingOff: true, pageLines: 4 });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('nx-paged', 'nxos', d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.ok).toBe(true);
    // nxos-arp.txt has 15 lines (4 pages), the seed MAC table 14 (4 pages): 3 + 3 pager prompts.
    expect(d.pages).toBe(6);
    expect(r.morePrompts).toBe(6);
    expect(r.mac).toHaveLength(13);
    expect(r.arp).toHaveLength(4);
    expect(r.skipped).toBe(0);
  });

  it('reads a 5000-entry gateway table through pages without losing or splitting a line', async () => {
    const rows = ['Address         Age        Hardware Addr   State      Type  Interface'];
    for (let i = 0; i < 5000; i++) {
      const ip = `10.${(i >> 8) & 255}.${i & 255}.${(i % 7) + 1}`;
      const mac = `0050.56${(i >> 8).toString(16).padStart(2, '0')}.${(i & 255).toString(16).padStart(2, '0')}01`;
      rows.push(`${ip.padEnd(15)} 00:0${i % 10}:1${i % 6}   ${mac}  Dynamic    ARPA  Bundle-Ether${i % 4}`);
    }
    const d = await device('iosxr', { ignorePagingOff: true, pageLines: 1200, outputs: { 'show arp': rows.join('\n') } });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('xr-big', 'iosxr', d.port);
    const r = await collectDevice(s, cfg([s], kh, { commandTimeoutMs: 60_000 }));
    expect(r.error).toBeUndefined();
    expect(r.morePrompts).toBe(4);
    expect(r.arp).toHaveLength(5000);
    expect(new Set(r.arp.map((e) => e.mac)).size).toBe(5000);
    expect(r.skipped).toBe(0);
  });

  it('copes with Junos ---(more)--- paging too', async () => {
    const d = await device('junos', { ignorePagingOff: true, pageLines: 3 });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('ex-paged', 'junos', d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.ok).toBe(true);
    expect(r.morePrompts).toBeGreaterThan(0);
    expect(r.arp).toHaveLength(3);
    expect(r.mac).toHaveLength(2);
    expect(r.skipped).toBe(0);
  });

  it('waits for slow output', async () => {
    const d = await device('iosxr', { lineDelayMs: 15 });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('xr-slow', 'iosxr', d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.ok).toBe(true);
    expect(r.arp).toHaveLength(15);
  });

  it('skips a banner at login and a device that prints garbage', async () => {
    const d = await device('ios', { banner: '*** Authorized access only ***\nsw1 rack 3', outputs: { 'show arp': `${fx('ios-arp-seed-l3switch.txt')}%%garbage%%\nInternet  10.0.0.1   0   5254` , 'show mac address-table': fx('ios-mac.txt') } });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('ios-banner', 'ios', d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.ok).toBe(true);
    expect(r.arp).toHaveLength(13);
    expect(r.skipped).toBe(2);
  });

  it('is not fooled by a banner line that looks like a prompt and ends a chunk', async () => {
    const d = await device('ios', { banner: '#### lab use only ####\nbackup-core#', bannerDelayMs: 150 });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('ios-fake-prompt', 'ios', d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.error).toBeUndefined();
    expect(r.arp).toHaveLength(13);
    expect(r.mac).toHaveLength(3);
    expect(r.skipped).toBe(0);
  });

  it('reaches an old device only with legacyAlgorithms', async () => {
    const d = await device('ios', { algorithms: { kex: ['diffie-hellman-group14-sha1'], cipher: ['aes128-cbc'] } });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const modern = spec('old-ios', 'ios', d.port);
    const r1 = await collectDevice(modern, cfg([modern], kh));
    expect([r1.ok, r1.reason]).toEqual([false, 'connect']);
    const legacy = spec('old-ios', 'ios', d.port, { legacyAlgorithms: true });
    const r2 = await collectDevice(legacy, cfg([legacy], kh));
    expect(r2.error).toBeUndefined();
    expect(r2.arp).toHaveLength(13);
  });

  it('logs in with a key file', async () => {
    const d = await device('eos', { password: undefined, authorizedKey: userKey.public });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const keyFile = path.join(tmp, 'id_ed25519');
    fs.writeFileSync(keyFile, userKey.private, { mode: 0o600 });
    const s = spec('eos-key', 'eos', d.port, { password: undefined, keyFile });
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.ok).toBe(true);
    expect(d.auths).toContainEqual({ method: 'publickey', ok: true });
    expect(r.arp).toHaveLength(3);
  });
});

describe('MAC tables of older generations, and tables nocflow cannot read', () => {
  it('asks an old Catalyst the older spelling when it refuses the newer one, and reads its 2950 layout through pages', async () => {
    const d = await device('ios', { ignorePagingOff: true, pageLines: 5, outputs: { 'show arp': fx('ios-arp-seed-l3switch.txt'), 'show mac-address-table': fx('ios-mac-cat2950-counts.txt') } });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('c2950', 'ios', d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.error).toBeUndefined();
    expect(d.commands.filter((c) => c !== 'exit' && c !== '')).toEqual(['terminal length 0', 'show arp', 'show mac address-table', 'show mac-address-table']);
    expect(r.mac).toEqual(parseTable('ios', 'mac', fx('ios-mac-cat2950-counts.txt')).entries);
    expect(r.mac).toHaveLength(8);
    expect(r.morePrompts).toBeGreaterThan(3);
    expect(r.tables.map((t) => [t.table, t.command, t.refused, t.entries, t.skipped, t.layouts, t.unreadable])).toEqual([
      ['arp', 'show arp', false, 13, 0, [], false],
      ['mac', 'show mac-address-table', false, 8, 0, ['cat-destination'], false],
    ]);
    expect([r.skipped, r.warnings]).toEqual([0, []]);
  });

  it.each([
    ['ios', 'ios-mac-cat4500-sections.txt', 12],
    ['ios', 'ios-mac-sup2t-flags.txt', 12],
    ['iosxe', 'ios-mac-c3750-vlan-all.txt', 12],
    ['eos', 'eos-mac-static-multiport.txt', 7],
  ] as const)('%s: %s over SSH with pages gives exactly the fixture\'s entries', async (kind, file, n) => {
    const d = await device(kind, { ignorePagingOff: true, pageLines: 6, outputs: { ...outputsFor(kind), 'show mac address-table': fx(file) } });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec(`${kind}-${file}`, kind, d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.ok).toBe(true);
    expect(r.mac).toEqual(parseTable(kind, 'mac', fx(file)).entries);
    expect(r.mac).toHaveLength(n);
    expect(r.tables[1]).toMatchObject({ table: 'mac', skipped: 0, unreadable: false });
    expect(r.warnings).toEqual([]);
  });

  it('reports a table in an unknown layout as unreadable, keeps the ARP table, and counts it', async () => {
    const d = await device('ios', { outputs: { 'show arp': fx('ios-arp-seed-l3switch.txt'), 'show mac address-table': fx('ios-mac-catos-unreadable.txt') } });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('catos', 'ios', d.port);
    const c = createDeviceCollector(cfg([s], kh));
    const run = await c.collectAll();
    const r = run.results[0];
    expect([r.ok, r.arp.length, r.mac.length, r.skipped]).toEqual([true, 13, 0, 9]);
    expect(r.tables[1]).toMatchObject({ command: 'show mac address-table', refused: false, entries: 0, lines: 10, skipped: 9, unreadable: true });
    expect(r.warnings).toEqual([`mac table mostly unreadable: 9 of 10 lines skipped, 0 entries read (no known layout), e.g. "* = Static Entry. + = Permanent Entry. # = System Entry. R = Router Entry."`]);
    expect(c.counters()).toMatchObject({ devicesOk: 1, devicesFailed: 0, tablesUnreadable: 1 });
  });

  it('reports a table every spelling of which the device refused', async () => {
    const d = await device('ios', { outputs: { 'show arp': fx('ios-arp-seed-l3switch.txt') } });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('no-mac', 'ios', d.port);
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.ok).toBe(true);
    expect(r.tables[1]).toMatchObject({ command: 'show mac-address-table', refused: true, entries: 0, unreadable: true });
    expect(r.warnings).toEqual([`mac table: the device refused "show mac-address-table", e.g. "% Invalid input detected at '^' marker."`]);
  });
});

describe('failures', () => {
  it('reports a command timeout when the device stops mid-output', async () => {
    const d = await device('iosxr', { hangDuring: { command: 'show arp', afterLines: 5 } });
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('xr-hang', 'iosxr', d.port);
    const r = await collectDevice(s, cfg([s], kh, { commandTimeoutMs: 600 }));
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('command-timeout');
    expect(r.error).toMatch(/xr-hang.*"show arp".*600 ms/);
  });

  it('abandons a device whose output passes the byte limit, well before the command timeout; the next device is collected', async () => {
    // A device streaming an ARP table far larger than the limit (4 MB of rows against a 256 KiB limit).
    const row = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}   00:0${i % 10}:00   0011.2233.4455  Dynamic    ARPA  GigabitEthernet0/0/0/0`;
    const huge = Array.from({ length: 50_000 }, (_x, i) => row(i)).join('\n');
    const flood = await device('iosxr', { outputs: { 'show arp': huge } });
    const good = await device('iosxr');
    const kh = knownHosts([flood, good].map((d) => ({ port: d.port, pub: hostKey.public })));
    const list = [spec('xr-flood', 'iosxr', flood.port), spec('xr-ok', 'iosxr', good.port)];
    const t0 = Date.now();
    const run = await collectDevices(cfg(list, kh, { commandTimeoutMs: 30_000, concurrency: 1 }), { maxOutputBytes: 256 * 1024 });
    expect(run.results.map((r) => [r.device, r.ok, r.reason])).toEqual([
      ['xr-flood', false, 'output-too-large'],
      ['xr-ok', true, undefined],
    ]);
    expect(run.results[0].error).toMatch(/xr-flood .*more than 262144 bytes of output \(limits.deviceOutputBytes\)/);
    expect(Date.now() - t0).toBeLessThan(25_000);
    // Without the limit the same device is collected whole.
    const whole = await collectDevice(list[0], cfg(list, kh, { commandTimeoutMs: 30_000 }));
    expect([whole.ok, whole.arp.length]).toEqual([true, 50_000]);
  });

  it('reports a mid-output disconnect, and the other devices of the run still succeed', async () => {
    const tracker = { active: 0, max: 0 };
    const bad = await device('nxos', { dropDuring: { command: 'show mac address-table', afterLines: 6 }, tracker });
    const good1 = await device('ios', { tracker });
    const good2 = await device('iosxr', { tracker, lineDelayMs: 5 });
    const kh = knownHosts([bad, good1, good2].map((d) => ({ port: d.port, pub: hostKey.public })));
    const list = [spec('nx-drop', 'nxos', bad.port), spec('ios-ok', 'ios', good1.port), spec('xr-ok', 'iosxr', good2.port)];
    const run = await collectDevices(cfg(list, kh, { concurrency: 1 }));
    expect(run.results.map((r) => [r.device, r.ok, r.reason])).toEqual([
      ['nx-drop', false, 'disconnected'],
      ['ios-ok', true, undefined],
      ['xr-ok', true, undefined],
    ]);
    expect(run.results[0].error).toMatch(/mid-output|closed/);
    expect(tracker.max).toBe(1);
    // Only the two good devices are merged: 13 + 15 IPs.
    expect(run.merged.byIp).toHaveLength(28);
  });

  it('runs devices in parallel up to the concurrency limit', async () => {
    const tracker = { active: 0, max: 0 };
    const ds = await Promise.all([0, 1, 2, 3].map(() => device('iosxr', { tracker, lineDelayMs: 60 })));
    const kh = knownHosts(ds.map((d) => ({ port: d.port, pub: hostKey.public })));
    const run = await collectDevices(cfg(ds.map((d, i) => spec(`xr-${i}`, 'iosxr', d.port)), kh, { concurrency: 2 }));
    expect(run.results.every((r) => r.ok)).toBe(true);
    expect(tracker.max).toBe(2);
  });

  it('reports a wrong password without ever printing it', async () => {
    const d = await device('ios');
    const kh = knownHosts([{ port: d.port, pub: hostKey.public }]);
    const s = spec('ios-badpw', 'ios', d.port, { password: 'wrong-Secret-77' });
    const r = await collectDevice(s, cfg([s], kh));
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('auth');
    expect(JSON.stringify(r)).not.toContain('wrong-Secret-77');
    expect(d.auths.some((a) => a.method === 'password' && !a.ok)).toBe(true);
    expect(d.commands).toEqual([]);
  });

  it('reports a refused connection', async () => {
    const port = await new Promise<number>((res) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => res(p));
      });
    });
    const s = spec('nobody', 'ios', port);
    const r = await collectDevice(s, cfg([s], path.join(tmp, 'none')));
    expect(r.ok).toBe(false);
    expect(r.reason).toBe('connect');
    expect(r.error).toMatch(/nobody \(127\.0\.0\.1:\d+\)/);
  });

  it('gives up on a host that accepts TCP but never speaks SSH (connect timeout)', async () => {
    const silent = net.createServer((sock) => sock.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const s = spec('mute', 'ios', (silent.address() as net.AddressInfo).port);
      const r = await collectDevice(s, cfg([s], path.join(tmp, 'none'), { connectTimeoutMs: 400 }));
      expect([r.ok, r.reason]).toEqual([false, 'connect-timeout']);
      expect(r.error).toMatch(/no SSH handshake within 400 ms/);
    } finally {
      silent.close();
    }
  });

  it('reports a device with neither password nor key', async () => {
    const s = spec('nocred', 'ios', 22, { password: undefined });
    const r = await collectDevice(s, cfg([s], path.join(tmp, 'none')));
    expect([r.ok, r.reason]).toEqual([false, 'config']);
    for (const host of ['-oProxyCommand=x', 'a b', 'fe80::1%eth0']) {
      const h = spec('badhost', 'ios', 22, { host });
      const rh = await collectDevice(h, cfg([h], path.join(tmp, 'none')));
      expect([rh.ok, rh.reason, rh.error]).toEqual([false, 'config', 'badhost: host is neither an IP address nor a host name']);
    }
  });
});

describe('host keys', () => {
  let d: FakeDevice;
  beforeAll(async () => {
    d = await device('iosxe');
  });

  it('refuses an unknown host key without trust-on-first-use, before sending credentials', async () => {
    const kh = path.join(fs.mkdtempSync(path.join(tmp, 'kh-')), 'known_hosts');
    const s = spec('xe-unknown', 'iosxe', d.port);
    const before = d.auths.length;
    const r = await collectDevice(s, cfg([s], kh));
    expect([r.ok, r.reason]).toEqual([false, 'hostkey-unknown']);
    expect(d.auths.length).toBe(before);
    expect(fs.existsSync(kh)).toBe(false);
  });

  it('with trust-on-first-use, records an unknown key (mode 0600) and then trusts it', async () => {
    const kh = path.join(fs.mkdtempSync(path.join(tmp, 'kh-')), 'known_hosts');
    const s = spec('xe-tofu', 'iosxe', d.port);
    const r1 = await collectDevice(s, cfg([s], kh, { trustOnFirstUse: true }));
    expect([r1.ok, r1.hostKeyRecorded]).toEqual([true, true]);
    expect(fs.readFileSync(kh, 'utf8')).toBe(`[127.0.0.1]:${d.port} ssh-ed25519 ${publicBlob(hostKey.public).toString('base64')}\n`);
    expect(fs.statSync(kh).mode & 0o777).toBe(0o600);
    const r2 = await collectDevice(s, cfg([s], kh, { trustOnFirstUse: false }));
    expect([r2.ok, r2.hostKeyRecorded]).toEqual([true, false]);
    expect(fs.readFileSync(kh, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('refuses the host when the known-hosts file cannot be read', async () => {
    const kh = fs.mkdtempSync(path.join(tmp, 'kh-dir-')); // a directory: reading it fails with EISDIR
    const s = spec('xe-unreadable', 'iosxe', d.port);
    const r = await collectDevice(s, cfg([s], kh, { trustOnFirstUse: true }));
    expect([r.ok, r.reason]).toEqual([false, 'config']);
    expect(r.error).toMatch(/cannot check the host key: cannot read known hosts file/);
  });

  it('refuses a changed host key even with trust-on-first-use', async () => {
    const kh = knownHosts([{ port: d.port, pub: otherHostKey.public }]);
    const s = spec('xe-changed', 'iosxe', d.port);
    const before = d.auths.length;
    const r = await collectDevice(s, cfg([s], kh, { trustOnFirstUse: true }));
    expect([r.ok, r.reason]).toEqual([false, 'hostkey-changed']);
    expect(d.auths.length).toBe(before);
    expect(fs.readFileSync(kh, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });
});
