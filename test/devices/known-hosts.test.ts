import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { checkHostKey, entryMatches, formatKnownHost, hostPatternFor, keyTypeOfBlob, parseKnownHosts } from '../../src/devices/known-hosts.js';
import { cleanPagerArtifacts, commandOutput } from '../../src/devices/ssh-session.js';
import { loadConfig } from '../../src/config/config.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}
const K1 = blob('ssh-ed25519', 'key-one-material-000000000000000');
const K2 = blob('ssh-ed25519', 'key-two-material-000000000000000');
const R1 = blob('ssh-rsa', 'rsa-key-material');

function hashed(name: string): string {
  const salt = crypto.randomBytes(20);
  return `|1|${salt.toString('base64')}|${crypto.createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('names hosts as OpenSSH does', () => {
    expect(hostPatternFor('Core-GW.example.net', 22)).toBe('core-gw.example.net');
    expect(hostPatternFor('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(keyTypeOfBlob(K1)).toBe('ssh-ed25519');
    expect(formatKnownHost('10.1.1.1', 22, R1)).toBe(`10.1.1.1 ssh-rsa ${R1.toString('base64')}`);
  });

  it('parses plain, hashed, marked and broken lines', () => {
    const text = [
      '# comment',
      '',
      `gw1,10.0.0.1 ssh-ed25519 ${K1.toString('base64')} comment here`,
      `${hashed('[127.0.0.1]:2200')} ssh-ed25519 ${K2.toString('base64')}`,
      `@revoked * ssh-rsa ${R1.toString('base64')}`,
      'only-two fields',
    ].join('\n');
    const e = parseKnownHosts(text);
    expect(e).toHaveLength(3);
    expect(e[0].patterns).toEqual(['gw1', '10.0.0.1']);
    expect(e[1].hashed).toBeDefined();
    expect(e[2].marker).toBe('@revoked');
    expect(entryMatches(e[1], '[127.0.0.1]:2200')).toBe(true);
    expect(entryMatches(e[1], '[127.0.0.1]:2201')).toBe(false);
  });

  it('matches globs and honours negation', () => {
    const [e] = parseKnownHosts(`*.campus.example,!bad.campus.example ssh-ed25519 ${K1.toString('base64')}`);
    expect(entryMatches(e, 'sw1.campus.example')).toBe(true);
    expect(entryMatches(e, 'bad.campus.example')).toBe(false);
    expect(entryMatches(e, 'campus.example')).toBe(false);
  });

  it.each([
    ['the same key', `[127.0.0.1]:2200 ssh-ed25519 ${K1.toString('base64')}`, K1, 'match'],
    ['a hashed entry with the same key', `${hashed('[127.0.0.1]:2200')} ssh-ed25519 ${K1.toString('base64')}`, K1, 'match'],
    ['no entry for this port', `[127.0.0.1]:2201 ssh-ed25519 ${K1.toString('base64')}`, K1, 'unknown'],
    ['another key of the same type', `[127.0.0.1]:2200 ssh-ed25519 ${K2.toString('base64')}`, K1, 'changed'],
    ['a key of another type only', `[127.0.0.1]:2200 ssh-rsa ${R1.toString('base64')}`, K1, 'changed'],
    ['a revoked key', `@revoked * ssh-ed25519 ${K1.toString('base64')}\n[127.0.0.1]:2200 ssh-ed25519 ${K1.toString('base64')}`, K1, 'revoked'],
  ])('%s → %s', (_name, text, key, verdict) => {
    expect(checkHostKey(parseKnownHosts(text), '127.0.0.1', 2200, key)).toBe(verdict);
  });
});

describe('session text helpers', () => {
  it('drops the echo and the prompt, and the pager dance', () => {
    const raw = 'show arp\r\nline 1\r\nline 2\r\n --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bline 3\r\nsw1#';
    expect(commandOutput(raw, 'show arp', 'sw1#')).toBe('line 1\nline 2\nline 3');
    expect(cleanPagerArtifacts('a\r\n---(more 45%)---b')).toBe('a\r\nb');
  });
  it('keeps a first line that is not the echo', () => {
    expect(commandOutput('x\r\ny\r\nsw1#', 'show arp', 'sw1#')).toBe('x\ny');
  });
});

describe('devices config section', () => {
  it('has safe defaults and refuses an unknown kind, a bad port or an unknown field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-devconf-'));
    const c = loadConfig({ dir });
    expect(c.config.devices).toMatchObject({ list: [], trustOnFirstUse: false, concurrency: 4, connectTimeoutMs: 10_000, commandTimeoutMs: 30_000, schedule: true });
    const ok = { name: 'gw1', host: '192.0.2.1', port: 22, user: 'noc', keyFile: '/k', kind: 'junos', collect: ['arp'] };
    c.set('devices.list', [ok]);
    expect(fs.statSync(c.path).mode & 0o777).toBe(0o600);
    expect(() => c.set('devices.list', [{ ...ok, kind: 'vyos' }])).toThrow(/kind|allowed/);
    expect(() => c.set('devices.list', [{ ...ok, port: 70000 }])).toThrow(/port|<=/);
    expect(() => c.set('devices.list', [{ ...ok, community: 'public' }])).toThrow(/devices\.list\[0\]\.community: unknown key/);
    expect(() => c.set('devices.allowMacs', [{ mac: 'aa:bb:cc:dd:ee:ff', role: 'printer' }])).toThrow();
    expect(loadConfig({ dir }).config.devices.list).toEqual([ok]);
  });
});
