import { checkConfig } from '../../src/config/check.js';
import { configDefaults } from '../../src/config/schema.js';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { mergeDeep } from '../../src/config/config.js';
import { alertsDefaults, checkAlertsConfig, isMailAddress, webhookUrlProblem } from '../../src/config/sections/alerts.js';
import { engineDefaults } from '../../src/config/sections/engine.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const check = (alerts: unknown, engine: unknown = {}) => checkAlertsConfig({ alerts: mergeDeep(alertsDefaults, alerts), engine: mergeDeep(engineDefaults, engine) });

describe('checkAlertsConfig: what the schema cannot see', () => {
  it.each([
    ['noc@twaren.net.tw', true], ['a.b+alerts@x-y.example', true], ['netadm@ntu.example', true],
    ['noc', false], ['noc@', false], ['@x.example', false], ['a b@x.example', false], ['a@x.example\r\nBcc: e@vil', false],
    ['"Ops" <ops@x.example>', false], ['a..b@x.example', false], ['a@-x.example', false], ['a,b@x.example', false],
  ])('mail address %j → %s', (text, ok) => expect(isMailAddress(text)).toBe(ok));

  it.each([
    ['https://hooks.slack.com/services/T/B/X', undefined], ['http://127.0.0.1:8080/hook', undefined],
    ['ftp://x.example/h', 'scheme ftp is not http or https'], ['hooks.slack.com/services/x', 'not a URL'], ['http://', 'not a URL'],
  ])('webhook URL %j → %j', (url, problem) => expect(webhookUrlProblem(url)).toBe(problem));

  it('a good configuration has no problem; the defaults neither', () => {
    expect(check({})).toEqual([]);
    expect(check({
      email: { host: 'smtp.noc.example', port: 587, from: 'nocflow@noc.example', to: ['noc@noc.example'], user: 'nocflow', password: 'x' },
      syslog: { host: '192.0.2.50', port: 6514, protocol: 'tcp' },
      webhook: { url: 'https://chat.noc.example/hooks/abc', format: 'slack' },
    }, { units: [{ prefix: '140.112.0.0/16', name: 'NTU', contacts: ['netadm@ntu.example'], lang: 'zh-TW', alerts: { minWindows: 1, thresholds: { 'scan.peers': 5000 } } }] })).toEqual([]);
  });

  it('every bad address, URL, port and key is reported with its path, and no secret is repeated', () => {
    const problems = check({
      email: { host: 'smtp noc', port: 70000, from: 'nocflow', to: ['noc@noc.example', 'not-an-address'], user: 'u', password: '' },
      syslog: { host: 'siem..example', port: 0, protocol: 'sctp', appName: 'noc flow' },
      webhook: { url: 'ftp://hooks.example/T0KEN-secret' },
      retry: { initialSeconds: 900, maxSeconds: 60 },
    }, { units: [{ prefix: '140.112.0.0/33', name: 'NTU', contacts: ['netadm@ntu', 'ok@ntu.example'], lang: 'fr', alerts: { thresholds: { 'scan.peer': 5 } } }] });
    expect(problems).toEqual([
      'alerts.email.host: "smtp noc" is not a host name or address',
      'alerts.email.port: 70000 is not a port (1-65535)',
      'alerts.email.from: "nocflow" is not a mail address',
      'alerts.email.to[1]: "not-an-address" is not a mail address',
      'alerts.email.password: a user is set without a password',
      'alerts.syslog.host: "siem..example" is not a host name or address',
      'alerts.syslog.port: 0 is not a port (1-65535)',
      'alerts.syslog.protocol: "sctp" is not udp or tcp',
      'alerts.syslog.appName: 1-48 printable ASCII characters, no spaces (RFC 5424 APP-NAME)',
      'alerts.webhook.url: scheme ftp is not http or https',
      'alerts.retry.initialSeconds: larger than retry.maxSeconds',
      'engine.units[0].contacts[0]: "netadm@ntu" is not a mail address',
      'engine.units[0].lang: "fr" is not en or zh-TW',
      'engine.units[0].alerts.thresholds.scan.peer: not a threshold key (see src/engine/rules.ts)',
    ]);
    expect(problems.join('\n')).not.toContain('T0KEN');
    // The unit's prefix is the engine section's to check: the whole registry names it once.
    const all = checkConfig({ ...configDefaults, engine: { ...configDefaults.engine, units: [{ prefix: '140.112.0.0/33', name: 'NTU', contacts: ['netadm@ntu.example'] }] } });
    expect(all.filter((p) => p.startsWith('engine.units[0].prefix'))).toHaveLength(1);
  });

  it('recipients without a server, a server without recipients, TLS on the STARTTLS port', () => {
    expect(check({ email: { to: ['noc@noc.example'] } })).toEqual(['alerts.email.host: not set, so no mail is sent to the recipients configured']);
    expect(check({}, { units: [{ prefix: '10.0.0.0/8', name: 'X', contacts: ['a@x.example'] }] })).toEqual(['alerts.email.host: not set, so no mail is sent to the recipients configured']);
    expect(check({ email: { host: 'smtp.x.example', from: 'n@x.example' } })).toEqual(['alerts.email.to: no recipients (and no unit has contacts)']);
    expect(check({ email: { host: 'smtp.x.example', from: 'n@x.example', to: ['a@x.example'], secure: true, port: 587 } })).toEqual([
      'alerts.email.secure: true on port 587 (the STARTTLS port); use 465 for TLS from the first byte, or secure false',
    ]);
  });
});

describe('nocflow config check (built CLI)', () => {
  it('reports bad alert addresses with their path and exits 2; a fixed file says ok', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-cfgcheck-'));
    const env = { NOCFLOW_CONFIG_DIR: dir };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      alerts: { email: { host: 'smtp.noc.example', from: 'nocflow@noc.example', to: ['noc@@noc.example'], user: 'n', password: 'pw-never-printed' }, webhook: { url: 'not a url' } },
      engine: { units: [{ prefix: '140.112.0.0/16', name: 'NTU', contacts: ['netadm at ntu'] }] },
    }), { mode: 0o600 });
    const bad = await execa('node', [BIN, 'config', 'check'], { env, reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout.split('\n')).toEqual([
      'alerts.email.to[0]: "noc@@noc.example" is not a mail address',
      'alerts.webhook.url: not a URL',
      'engine.units[0].contacts[0]: "netadm at ntu" is not a mail address',
    ]);
    expect(bad.stderr).toMatch(/config\.json: 3 problem\(s\)/);
    expect(bad.stdout + bad.stderr).not.toContain('pw-never-printed');
    // The schema itself refuses what it can: a port out of range is a violation with its path.
    const port = await execa('node', [BIN, 'config', 'set', 'alerts.syslog.port', '70000'], { env, reject: false });
    expect(port.exitCode).toBe(2);
    expect(port.stderr).toMatch(/syslog.*port|port.*65535/);
    await execa('node', [BIN, 'config', 'set', 'alerts.email.to', '["noc@noc.example"]'], { env });
    await execa('node', [BIN, 'config', 'set', 'alerts.webhook.url', 'https://chat.noc.example/hooks/T0KEN'], { env });
    await execa('node', [BIN, 'config', 'set', 'engine.units', '[{"prefix":"140.112.0.0/16","name":"NTU","contacts":["netadm@ntu.example"],"lang":"zh-TW"}]'], { env });
    const ok = await execa('node', [BIN, 'config', 'check'], { env, reject: false });
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok: .*config\.json$/);
    expect(fs.statSync(path.join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    // `config get` masks the password and the webhook URL (a hook URL is a credential).
    const got = JSON.parse((await execa('node', [BIN, 'config', 'get', 'alerts'], { env })).stdout);
    expect(got.email.password).toBe('********');
    expect(got.webhook.url).toBe('********');
  }, 180_000);
});
