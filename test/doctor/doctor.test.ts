/**
 * `nocflow doctor` as an operator runs it (the built CLI, a clean environment) against a demo-like setup made of real
 * parts: nfcapd files from the generator (real nfcapd), a real engine on a private socket with FlowSpec managed (its
 * gobgpd) peering with a second gobgpd standing for the router, a simulated SSH device whose host key is known, an
 * Elasticsearch stand-in and an SMTP/webhook listener on loopback. Everything passes; then each part is broken alone
 * and doctor must name it, fail (exit 1), and leave the others ok.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { freeTcpPort, startDemoRouter, type DemoRouter } from '../../src/gen/demo-bgp.js';
import { newKeyPair, publicBlob, startFakeDevice, type FakeDevice } from '../../src/gen/device-sim.js';
import { callEngine } from '../../src/daemon/client.js';
import type { EngineStatus } from '../../src/daemon/methods.js';
import type { DoctorReport, Finding } from '../../src/doctor/report.js';
import { ago, formatReport, judgeFreshness, judgeSocketAccess, report } from '../../src/doctor/report.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-doctor-'));
const nfDir = path.join(base, 'nfcapd');
const runDir = path.join(base, 'run');
const sock = path.join(runDir, 'engine.sock');
const hasGobgpd = fs.existsSync('/usr/bin/gobgpd') || fs.existsSync('/usr/sbin/gobgpd');

let router: DemoRouter | undefined;
let engine: ResultPromise | undefined;
let device: FakeDevice;
let stranger: FakeDevice;
const closers: (() => Promise<unknown> | void)[] = [];
let good: Record<string, unknown>;
let esPort = 0;
let smtpPort = 0;
let hookPort = 0;

/** A UTC nfcapd file name for a time. */
const nameAt = (ms: number) => `nfcapd.${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 12)}`;

/** Run doctor with a configuration (written to its own directory) against the engine's runtime directory. */
async function doctor(config: Record<string, unknown>, extraEnv: Record<string, string> = {}, execOpts: { uid?: number; gid?: number } = {}): Promise<{ code: number | undefined; r: DoctorReport; text: string }> {
  const dir = fs.mkdtempSync(path.join(base, 'cfg-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  if (execOpts.uid !== undefined) {
    fs.chownSync(dir, execOpts.uid, execOpts.gid ?? 0);
    fs.chownSync(path.join(dir, 'config.json'), execOpts.uid, execOpts.gid ?? 0);
  }
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: base, NOCFLOW_CONFIG_DIR: dir, NOCFLOW_DATA_DIR: path.join(base, 'data'), NOCFLOW_RUNTIME_DIR: runDir, ...extraEnv };
  const json = await execa('node', [BIN, 'doctor', '--json', '--timeout', '10'], { env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 90_000, ...execOpts });
  const text = await execa('node', [BIN, 'doctor', '--timeout', '10'], { env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 90_000, ...execOpts });
  expect(text.exitCode, text.stdout).toBe(json.exitCode);
  return { code: json.exitCode, r: JSON.parse(json.stdout) as DoctorReport, text: text.stdout };
}

const failed = (r: DoctorReport) => r.findings.filter((f) => f.status === 'fail');
const parts = (fs_: Finding[]) => [...new Set(fs_.map((f) => f.part))];

beforeAll(async () => {
  fs.chmodSync(base, 0o755); // an operator of another uid must get as far as the socket's directory
  fs.mkdirSync(nfDir, { recursive: true });
  // One fresh window of a real nfcapd's making, named for the current 5 minutes.
  const file = path.join(nfDir, nameAt(Math.floor(Date.now() / 300_000) * 300_000));
  const gen = await execa('node', [BIN, 'gen', 'syn-scan', '--file', file], { reject: false, env: { NOCFLOW_CONFIG_DIR: path.join(base, 'gen-cfg') } });
  if (gen.exitCode !== 0) throw new Error(`gen failed: ${gen.stderr}`);

  const hostKey = newKeyPair();
  device = await startFakeDevice({ kind: 'iosxr', hostname: 'gw1', hostKey: hostKey.private, user: 'noc', password: 'pw-never-sent', outputs: { 'show arp': '' } });
  const otherKey = newKeyPair();
  stranger = await startFakeDevice({ kind: 'ios', hostname: 'sw9', hostKey: otherKey.private, user: 'noc', password: 'pw-never-sent', outputs: {} });
  closers.push(() => device.close(), () => stranger.close());
  const knownHosts = path.join(base, 'known_hosts');
  fs.writeFileSync(knownHosts, `[127.0.0.1]:${device.port} ssh-ed25519 ${publicBlob(hostKey.public).toString('base64')}\n`, { mode: 0o600 });

  // Elasticsearch's root answer, and listeners for mail and the webhook (accepting connections, nothing more).
  const es = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ cluster_name: 'noc-test', version: { number: '8.15.0' } }));
  });
  await new Promise<void>((r) => es.listen(0, '127.0.0.1', r));
  esPort = (es.address() as net.AddressInfo).port;
  const tcp = net.createServer((c) => c.end());
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  smtpPort = (tcp.address() as net.AddressInfo).port;
  const hook = net.createServer((c) => c.end());
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as net.AddressInfo).port;
  closers.push(() => new Promise((r) => es.close(r)), () => new Promise((r) => tcp.close(r)), () => new Promise((r) => hook.close(r)));

  good = {
    engine: { nfcapdDir: nfDir, pollSeconds: 1 },
    devices: { list: [{ name: 'gw1', host: '127.0.0.1', port: device.port, user: 'noc', password: 'pw-never-sent', kind: 'iosxr', collect: ['arp'] }], knownHostsFile: knownHosts, schedule: false },
    elasticsearch: { node: `http://127.0.0.1:${esPort}` },
    alerts: { email: { host: '127.0.0.1', port: smtpPort, from: 'nocflow@noc.example', to: ['noc@noc.example'] }, webhook: { url: `http://127.0.0.1:${hookPort}/hooks/T000/SECRET-TOKEN` } },
  };
  if (hasGobgpd) {
    const r = await startDemoRouter(path.join(base, 'router'));
    if ('unavailable' in r) throw new Error(r.unavailable);
    router = r;
    closers.push(() => router?.stop());
    // The engine's managed gobgpd peers with the router (demo ports, fresh ones).
    good.flowspec = r.flowspec;
  }
  // The engine runs the same configuration, minus ES and alerts (it would write to them): doctor reads its own copy.
  const engineCfg = path.join(base, 'engine-cfg');
  fs.mkdirSync(engineCfg, { recursive: true });
  fs.writeFileSync(path.join(engineCfg, 'config.json'), JSON.stringify({ ...good, elasticsearch: undefined, alerts: undefined }));
  engine = execa('node', [BIN, 'engine'], { env: { NOCFLOW_CONFIG_DIR: engineCfg, NOCFLOW_DATA_DIR: path.join(base, 'data'), NOCFLOW_RUNTIME_DIR: runDir }, reject: false, stdin: 'ignore' });
  closers.push(async () => {
    if (engine?.exitCode === null) engine.kill('SIGTERM');
    await engine;
  });
  const end = Date.now() + 90_000;
  for (;;) {
    if (engine.exitCode !== null) throw new Error(`engine exited: ${String((await engine).stderr)}`);
    const s = await callEngine<EngineStatus>('engine.status', undefined, { socketPath: sock }).catch(() => undefined);
    // Wait for the window to be processed and, with FlowSpec, for the BGP session to come up.
    if (s && s.processed >= 1) {
      if (!hasGobgpd) break;
      const n = await execa('gobgp', ['-u', '127.0.0.1', '-p', String((good.flowspec as { apiPort: number }).apiPort), 'neighbor', '-j'], { reject: false });
      // Every router of the demo's set (127.0.0.2-4) established, not only the first.
      const states = [...n.stdout.matchAll(/"session_state":(\d+)/g)].map((m) => m[1]);
      if (states.length > 0 && states.every((x) => x === '6')) break;
    }
    if (Date.now() > end) throw new Error('the demo-like setup did not come up');
    await new Promise((r) => setTimeout(r, 500));
  }
}, 180_000);

afterAll(async () => {
  for (const c of closers.reverse()) await c();
  fs.rmSync(base, { recursive: true, force: true });
}, 60_000);

describe('doctor (pure parts)', () => {
  it('freshness: stale after two rotations and a minute without a new file', () => {
    const start = Date.UTC(2026, 10, 22, 14, 0);
    expect(judgeFreshness(start, 300_000, start + 300_000 + 600_000)).toMatchObject({ fresh: true, limitSeconds: 660 });
    expect(judgeFreshness(start, 300_000, start + 300_000 + 661_000)).toMatchObject({ fresh: false });
    expect(judgeFreshness(undefined, 300_000, start).fresh).toBe(false);
    expect([ago(59), ago(600), ago(7500), ago(400_000)]).toEqual(['59 s', '10 min', '2 h 5 min', '5 d']);
  });

  it('socket access: owner, group (primary or supplementary), others, and why not', () => {
    const sock = { uid: 998, gid: 999, mode: 0o140660 };
    const table: [Parameters<typeof judgeSocketAccess>[1], ReturnType<typeof judgeSocketAccess>][] = [
      [{ uid: 998, gid: 999, groups: [], listed: false }, { ok: true, via: 'owner' }],
      [{ uid: 1000, gid: 999, groups: [], listed: false }, { ok: true, via: 'group' }],
      [{ uid: 1000, gid: 1000, groups: [27, 999], listed: true }, { ok: true, via: 'group' }],
      [{ uid: 1000, gid: 1000, groups: [27], listed: true }, { ok: false, why: 'relogin' }],
      [{ uid: 1000, gid: 1000, groups: [27], listed: false }, { ok: false, why: 'not-in-group' }],
      [{ uid: 0, gid: 0, groups: [], listed: false }, { ok: true, via: 'root' }],
    ];
    for (const [who, want] of table) expect(judgeSocketAccess(sock, who), JSON.stringify(who)).toEqual(want);
    expect(judgeSocketAccess({ ...sock, mode: 0o140600 }, { uid: 1000, gid: 999, groups: [], listed: false })).toEqual({ ok: false, why: 'mode' });
  });

  it('the report: one line per finding, the fix under a problem, the verdict last', () => {
    const text = formatReport(report([
      { part: 'nfcapd', status: 'ok', text: 'fine' },
      { part: 'socket', status: 'fail', text: 'no engine socket', fix: 'start it' },
    ]));
    expect(text.split('\n')).toEqual(['ok    nfcapd  fine', 'FAIL  socket  no engine socket', '              → start it', '', '1 problem']);
  });
});

describe('doctor against a working demo-like setup, then one broken part at a time', () => {
  it('all good: every part named, exit 0, credentials never sent to a device', async () => {
    const { code, r, text } = await doctor(good);
    expect(failed(r), text).toEqual([]);
    expect(code).toBe(0);
    const seen = parts(r.findings);
    expect(seen).toEqual(expect.arrayContaining(['config', 'nfcapd', 'reader', 'nfdump', 'store', 'socket', 'group', 'engine', 'device', 'elasticsearch', 'alerts', ...(hasGobgpd ? ['flowspec'] : [])]));
    expect(text).toMatch(/^ok +nfcapd +.*nfcapd: readable, 1 file, the newest nfcapd\.\d{12} closed/m);
    expect(text).toMatch(/^ok +engine +nocflow \d+\.\d+\.\d+, pid \d+, up/m);
    expect(text).toMatch(new RegExp(`^ok +device +gw1 \\(127\\.0\\.0\\.1:${device.port}\\): reachable, host key known \\(ssh-ed25519 SHA256:`, 'm'));
    expect(text).toMatch(/^ok +elasticsearch +http:\/\/127\.0\.0\.1:\d+: cluster noc-test, Elasticsearch 8\.15\.0/m);
    expect(text).toMatch(/^ok +alerts +webhook: 127\.0\.0\.1:\d+ accepts connections \(nothing was posted\)/m);
    expect(text).not.toMatch(/SECRET-TOKEN/);
    if (hasGobgpd) expect(text).toMatch(/^ok +flowspec +peer 127\.0\.0\.2 \(AS65002\): established/m);
    expect(text.trim().split('\n').at(-1)).toMatch(/^all good/);
    // The host-key check stopped at the key: no user name, password or key ever reached the device.
    expect(device.auths).toEqual([]);
  });

  const cases: [string, () => Record<string, unknown> | Promise<Record<string, unknown>>, string, RegExp][] = [
    ['the nfcapd directory is missing', () => ({ ...good, engine: { nfcapdDir: path.join(base, 'no-such-dir') } }), 'nfcapd', /no-such-dir does not exist/],
    ['the nfcapd directory is stale', () => {
      const stale = path.join(base, 'stale');
      fs.mkdirSync(stale, { recursive: true });
      fs.copyFileSync(fs.readdirSync(nfDir).map((f) => path.join(nfDir, f)).find((f) => /nfcapd\.\d{12}$/.test(f))!, path.join(stale, nameAt(Date.now() - 3 * 3600_000)));
      return { ...good, engine: { nfcapdDir: stale } };
    }, 'nfcapd', /the newest file nfcapd\.\d{12} closed 2 h 5\d min ago .*stale after 11 min/],
    ['nfdump is missing and the reader is nfdump', () => ({ ...good, engine: { nfcapdDir: nfDir, reader: 'nfdump', nfdumpBin: path.join(base, 'bin', 'nfdump') } }), 'nfdump', /nfdump does not run/],
    ['the store cannot be written', () => {
      fs.writeFileSync(path.join(base, 'a-file'), 'x');
      return { ...good, store: { path: path.join(base, 'a-file', 'nocflow.db') } };
    }, 'store', /a-file is not a directory/],
    ['a device presents an unknown host key', () => ({ ...good, devices: { ...(good.devices as object), list: [{ name: 'sw9', host: '127.0.0.1', port: stranger.port, user: 'noc', password: 'pw-never-sent', kind: 'ios', collect: ['arp'] }] } }), 'device', /sw9 \(127\.0\.0\.1:\d+\): unknown host key ssh-ed25519 SHA256:\S+ \(not in .*known_hosts\): the engine refuses this device/],
    ['a device is unreachable', async () => ({ ...good, devices: { ...(good.devices as object), list: [{ name: 'gone', host: '127.0.0.1', port: await freeTcpPort(), user: 'noc', password: 'x', kind: 'ios', collect: ['arp'] }] } }), 'device', /gone \(127\.0\.0\.1:\d+\): connection refused/],
    ['Elasticsearch refuses connections', async () => ({ ...good, elasticsearch: { node: `http://127.0.0.1:${await freeTcpPort()}` } }), 'elasticsearch', /connection refused/],
    ['the mail server refuses connections', async () => ({ ...good, alerts: { email: { host: '127.0.0.1', port: await freeTcpPort(), from: 'nocflow@noc.example', to: ['noc@noc.example'] } } }), 'alerts', /mail: 127\.0\.0\.1:\d+: connection refused/],
  ];
  for (const [what, config, part, text] of cases) {
    it(`${what}: doctor fails on "${part}" alone`, async () => {
      const d = await doctor(await config());
      expect(d.code, d.text).toBe(1);
      expect(parts(failed(d.r)), d.text).toEqual([part]);
      expect(failed(d.r).map((f) => f.text).join('\n')).toMatch(text);
      expect(stranger.auths).toEqual([]);
    });
  }

  it('nfdump missing with the native reader is a warning, not a failure', async () => {
    const d = await doctor({ ...good, engine: { nfcapdDir: nfDir, nfdumpBin: path.join(base, 'bin', 'nfdump') } });
    expect(failed(d.r), d.text).toEqual([]);
    expect(d.r.findings.find((f) => f.part === 'nfdump')).toMatchObject({ status: 'warn' });
  });

  it('the socket is absent: doctor says no engine runs and how to start one', async () => {
    const d = await doctor(good, { NOCFLOW_RUNTIME_DIR: path.join(base, 'no-engine-here') });
    expect(d.code).toBe(1);
    expect(parts(failed(d.r)), d.text).toEqual(['socket']);
    expect(d.text).toMatch(/FAIL +socket +no engine socket at .*no-engine-here\/engine\.sock: no engine is running there/);
    expect(d.text).toMatch(/→ nocflow engine start/);
  });

  it.skipIf(process.getuid?.() !== 0)('an operator outside the socket\'s group is told which group and how to join', async () => {
    const OUTSIDER = 48003;
    const d = await doctor(good, {}, { uid: OUTSIDER, gid: OUTSIDER });
    expect(d.code).toBe(1);
    expect(d.text).toMatch(/FAIL +group +uid 48003 is not in group root, the engine socket's group|FAIL +group +.* is not in group/);
    expect(d.text).toMatch(/sudo usermod -aG /);
  });

  it.skipIf(!hasGobgpd)('the router\'s BGP session is down: doctor names the peer (checked last: it stops the router)', async () => {
    await router!.stop();
    router = undefined;
    const end = Date.now() + 30_000;
    let d = await doctor(good);
    while (failed(d.r).length === 0 && Date.now() < end) d = await doctor(good);
    expect(d.code).toBe(1);
    expect(parts(failed(d.r)), d.text).toEqual(['flowspec']);
    expect(d.text).toMatch(/FAIL +flowspec +peer 127\.0\.0\.2 \(AS65002\): (active|idle|connect|opensent|openconfirm), not established/);
  });
});
