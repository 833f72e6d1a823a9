/**
 * The systemd unit: the rendering's decisions (capability, read-only and writable paths), the shipped files equal to
 * the rendering of the defaults, and `systemd-analyze verify` (systemd 252's) on them. verify needs every command the
 * unit names to exist and the units it orders against: it runs with `--root` on a temporary root holding a copy of
 * the host's unit directory, `/bin/kill` and a stub executable at /usr/local/bin/nocflow (a real file, never the
 * host's /usr/local). verify exits 0 even on unknown keys and bad values: any line it prints fails the test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { configDefaults, type NocflowConfig } from '../../src/config/schema.js';
import { mergeDeep } from '../../src/config/config.js';
import { DEFAULT_LAYOUT, extraWritablePaths, needsBindCapability, renderSysusers, renderUnit } from '../../src/deploy/unit.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');
const SHIPPED = path.join(ROOT, 'deploy/nocflow-engine.service');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-unit-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const hasVerify = fs.existsSync('/usr/bin/systemd-analyze') && fs.existsSync('/usr/lib/systemd/system/sysinit.target');
const cfg = (over: unknown): NocflowConfig => mergeDeep(configDefaults, over) as NocflowConfig;
const directives = (unit: string, key: string) => unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

/** A temporary root where verify finds what the unit names; returns the unit's path inside it. */
function verifyRoot(unit: string, name = 'nocflow-engine.service'): { root: string; unitPath: string } {
  const root = fs.mkdtempSync(path.join(base, 'root-'));
  for (const d of ['etc/systemd/system', 'usr/local/bin', 'usr/lib/systemd', 'usr/bin']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.symlinkSync('usr/bin', path.join(root, 'bin'));
  fs.symlinkSync('usr/lib', path.join(root, 'lib'));
  fs.cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  fs.copyFileSync('/usr/bin/kill', path.join(root, 'usr/bin/kill'));
  fs.writeFileSync(path.join(root, 'usr/local/bin/nocflow'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const unitPath = path.join(root, 'etc/systemd/system', name);
  fs.writeFileSync(unitPath, unit);
  return { root, unitPath };
}

async function verify(unit: string): Promise<{ exitCode: number | undefined; output: string }> {
  const { root, unitPath } = verifyRoot(unit);
  const r = await execa('systemd-analyze', ['verify', `--root=${root}`, unitPath], { reject: false, env: { SYSTEMD_LOG_COLOR: '0' } });
  return { exitCode: r.exitCode, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('renderUnit: what depends on the configuration', () => {
  it('grants CAP_NET_BIND_SERVICE only to a managed speaker below port 1024', () => {
    const cases: [unknown, boolean][] = [
      [{}, false],
      [{ flowspec: { enabled: true, mode: 'managed', listenPort: 179 } }, true],
      [{ flowspec: { enabled: true, mode: 'managed', listenPort: 1179 } }, false],
      [{ flowspec: { enabled: true, mode: 'external', listenPort: 179 } }, false],
      [{ flowspec: { enabled: false, mode: 'managed', listenPort: 179 } }, false],
    ];
    for (const [over, want] of cases) {
      const c = cfg(over);
      expect(needsBindCapability(c), JSON.stringify(over)).toBe(want);
      const unit = renderUnit(c);
      expect(directives(unit, 'AmbientCapabilities'), JSON.stringify(over)).toEqual([want ? 'CAP_NET_BIND_SERVICE' : '']);
      expect(directives(unit, 'CapabilityBoundingSet'), JSON.stringify(over)).toEqual([want ? 'CAP_NET_BIND_SERVICE' : '']);
    }
  });

  it('reads the nfcapd directory read-only and writes only state, runtime and configured outside paths', () => {
    const c = cfg({
      engine: { nfcapdDir: '/var/cache/nfdump' },
      store: { path: '/srv/nocflow/db/nocflow.db' },
      elasticsearch: { spoolDir: '/var/lib/nocflow/es-spool' },
      devices: { knownHostsFile: '/etc/nocflow/ssh/known_hosts' },
    });
    expect(extraWritablePaths(c)).toEqual(['/etc/nocflow/ssh', '/srv/nocflow/db']);
    const unit = renderUnit(c);
    expect(directives(unit, 'ReadOnlyPaths')).toEqual(['/var/cache/nfdump']);
    expect(directives(unit, 'ReadWritePaths')).toEqual(['/etc/nocflow/ssh /srv/nocflow/db']);
    expect(directives(unit, 'ProtectSystem')).toEqual(['strict']);
    expect(directives(unit, 'ProtectHome')).toEqual(['yes']);
    expect(directives(unit, 'RuntimeDirectoryMode')).toEqual(['0750']);
    expect(directives(unit, 'StateDirectory')).toEqual(['nocflow']);
    expect(directives(unit, 'User')).toEqual([DEFAULT_LAYOUT.user]);
    expect(directives(unit, 'Group')).toEqual([DEFAULT_LAYOUT.group]);
    expect(directives(unit, 'Type')).toEqual(['notify']);
    expect(directives(unit, 'Restart')).toEqual(['on-failure']);
    expect(directives(unit, 'StartLimitBurst')).toEqual(['5']);
    // Everything the defaults keep in the state directory needs no extra path.
    expect(directives(renderUnit(cfg({ engine: { nfcapdDir: '/var/cache/nfdump' } })), 'ReadWritePaths')).toEqual([]);
  });

  it('keeps homes visible (read-only) only when a configured path lies in one', () => {
    expect(directives(renderUnit(cfg({ engine: { nfcapdDir: '/home/noc/nfcapd' } })), 'ProtectHome')).toEqual(['read-only']);
    expect(directives(renderUnit(cfg({ engine: { nfcapdDir: '/var/cache/nfdump' } })), 'ProtectHome')).toEqual(['yes']);
  });

  it('the shipped unit and sysusers file are the renderings of the defaults', () => {
    expect(fs.readFileSync(SHIPPED, 'utf8')).toBe(renderUnit(configDefaults));
    expect(fs.readFileSync(path.join(ROOT, 'deploy/nocflow.sysusers'), 'utf8')).toBe(renderSysusers());
  });
});

describe.skipIf(!hasVerify)('systemd-analyze verify (systemd 252)', () => {
  it('accepts the shipped unit without a single warning', async () => {
    const r = await verify(fs.readFileSync(SHIPPED, 'utf8'));
    expect(r).toEqual({ exitCode: 0, output: '' });
  });

  it('accepts a rendering with FlowSpec on port 179, an nfcapd directory and an outside store', async () => {
    const unit = renderUnit(cfg({ engine: { nfcapdDir: '/var/cache/nfdump' }, store: { path: '/srv/nocflow/nocflow.db' }, flowspec: { enabled: true, listenPort: 179 } }), { version: '9.9.9' });
    expect(unit).toContain('AmbientCapabilities=CAP_NET_BIND_SERVICE');
    expect(await verify(unit)).toEqual({ exitCode: 0, output: '' });
  });

  it('the check is not blind: a misspelt value, an unknown key or a missing ExecStart binary is reported', async () => {
    const shipped = fs.readFileSync(SHIPPED, 'utf8');
    expect((await verify(shipped.replace('Type=notify', 'Type=notfy'))).output).toMatch(/Failed to parse service type/);
    expect((await verify(shipped.replace('[Install]', 'ProtectSystm=strict\n[Install]'))).output).toMatch(/Unknown key 'ProtectSystm'/);
    expect((await verify(shipped.replace('/usr/local/bin/nocflow', '/usr/local/bin/nocflow-missing'))).output).toMatch(/nocflow-missing is not executable/);
  });
});

describe('sysusers and the CLI', () => {
  it.skipIf(!fs.existsSync('/usr/bin/systemd-sysusers'))('the sysusers file creates the service user with the operators\' group as its primary group', async () => {
    const root = fs.mkdtempSync(path.join(base, 'sysusers-'));
    fs.mkdirSync(path.join(root, 'etc'));
    const r = await execa('systemd-sysusers', [`--root=${root}`, path.join(ROOT, 'deploy/nocflow.sysusers')], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const group = fs.readFileSync(path.join(root, 'etc/group'), 'utf8').split('\n').find((l) => l.startsWith('noc:'))!;
    const user = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith('nocflow:'))!;
    expect(user.split(':')[3]).toBe(group.split(':')[2]);
    expect(user.split(':').slice(5)).toEqual(['/var/lib/nocflow', '/usr/sbin/nologin']);
  });

  it('`nocflow engine unit` renders the machine\'s configuration', async () => {
    const dir = path.join(base, 'config');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ engine: { nfcapdDir: '/var/cache/nfdump' }, flowspec: { enabled: true, listenPort: 179 } }));
    const r = await execa('node', [BIN, 'engine', 'unit'], { env: { NOCFLOW_CONFIG_DIR: dir }, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(directives(r.stdout, 'ReadOnlyPaths')).toEqual(['/var/cache/nfdump']);
    expect(directives(r.stdout, 'AmbientCapabilities')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(r.stdout).toMatch(/^# The nocflow engine as a systemd service \(nocflow \d+\.\d+\.\d+\)/);
    const d = await execa('node', [BIN, 'engine', 'unit', '--defaults'], { reject: false });
    expect(d.stdout + '\n').toBe(fs.readFileSync(SHIPPED, 'utf8'));
  });
});
