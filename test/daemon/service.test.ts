/**
 * The engine under systemd's protocol, with real processes: a real engine (`node bin/nocflow.js engine`, built dist/)
 * whose NOTIFY_SOCKET is a Unix datagram socket the test binds (test/helpers/notify-receiver.py). READY=1 must come
 * from the engine only once its socket accepts connections and engine.status answers; SIGHUP must apply a valid
 * change (seen in engine status) and keep out a bad file with the reason logged, the engine answering throughout.
 * Then the fallbacks: an abstract socket and a missing addon go through systemd-notify; with neither, the engine
 * refuses to run half-started.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { callEngine } from '../../src/daemon/client.js';
import type { EngineStatus } from '../../src/daemon/methods.js';
import { notifyMessage, notifyRoute } from '../../src/daemon/notify.js';
import { startNotifyReceiver, type NotifyReceiver } from '../helpers/notify.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-service-'));
const engines: ResultPromise[] = [];
const receivers: NotifyReceiver[] = [];
afterAll(async () => {
  for (const e of engines) if (e.exitCode === null) e.kill('SIGTERM');
  await Promise.allSettled(engines);
  for (const r of receivers) await r.close();
  fs.rmSync(base, { recursive: true, force: true });
});

const hasPython = fs.existsSync('/usr/bin/python3');
const hasSystemdNotify = fs.existsSync('/usr/bin/systemd-notify');

/** A private engine home: config, data, runtime and nfcapd directories. */
function home(name: string, config: Record<string, unknown> = {}) {
  const dir = path.join(base, name);
  const env = { NOCFLOW_CONFIG_DIR: path.join(dir, 'config'), NOCFLOW_DATA_DIR: path.join(dir, 'data'), NOCFLOW_RUNTIME_DIR: path.join(dir, 'run') };
  fs.mkdirSync(env.NOCFLOW_CONFIG_DIR, { recursive: true });
  fs.mkdirSync(path.join(dir, 'nfcapd'), { recursive: true });
  const cfgFile = path.join(env.NOCFLOW_CONFIG_DIR, 'config.json');
  const write = (c: Record<string, unknown>) => fs.writeFileSync(cfgFile, JSON.stringify(c));
  write({ engine: { pollSeconds: 0.5, nfcapdDir: path.join(dir, 'nfcapd') }, ...config });
  return { dir, env, sock: path.join(env.NOCFLOW_RUNTIME_DIR, 'engine.sock'), write, writeRaw: (text: string) => fs.writeFileSync(cfgFile, text) };
}

function engine(env: Record<string, string>, nodeArgs: string[] = []): ResultPromise {
  const p = execa(process.execPath, [...nodeArgs, BIN, 'engine'], { env, reject: false, stdin: 'ignore', all: true });
  engines.push(p);
  return p;
}

const status = (sock: string) => callEngine<EngineStatus>('engine.status', undefined, { socketPath: sock });

describe('sd_notify pieces (pure)', () => {
  it('one datagram of KEY=value lines, newlines in values flattened', () => {
    expect(notifyMessage({ READY: 1, STATUS: 'listening on /run/nocflow/engine.sock\nsecond line' })).toBe('READY=1\nSTATUS=listening on /run/nocflow/engine.sock second line');
  });
  it('routes: nothing without NOTIFY_SOCKET, the addon for a path, systemd-notify for @abstract, no addon, or when asked', () => {
    const table: [string | undefined, boolean, string | undefined, string][] = [
      [undefined, true, undefined, 'none'],
      ['/run/systemd/notify', true, undefined, 'unix-dgram'],
      ['/run/systemd/notify', false, undefined, 'systemd-notify'],
      ['@/org/freedesktop/systemd1/notify', true, undefined, 'systemd-notify'],
      ['/run/systemd/notify', true, 'systemd-notify', 'systemd-notify'],
    ];
    for (const [sock, addon, forced, want] of table) expect(notifyRoute(sock, addon, forced), JSON.stringify([sock, addon, forced])).toBe(want);
  });
});

describe.skipIf(!hasPython)('a real engine under NOTIFY_SOCKET', () => {
  it('says READY=1 from its own pid only once the socket listens; SIGHUP applies a valid file, refuses a bad one, and keeps answering', async () => {
    const h = home('ready', { devices: { schedule: false } });
    const rx = await startNotifyReceiver(path.join(h.dir, 'notify'), h.sock);
    receivers.push(rx);
    const e = engine({ ...h.env, NOTIFY_SOCKET: rx.address });
    const ready = await rx.next((n) => n.fields.READY === '1', 60_000);
    expect(ready.pid).toBe(e.pid);
    expect(ready.listening, ready.error).toBe(true);
    expect(ready.fields.STATUS).toBe(`listening on ${h.sock}`);
    // Nothing came before READY=1, and it came through the addon (no systemd-notify barrier); the engine answers.
    expect(rx.messages.indexOf(ready)).toBe(0);
    expect(rx.messages.filter((n) => n.fields.BARRIER)).toEqual([]);
    const s0 = await status(h.sock);
    expect(s0.pid).toBe(e.pid);
    expect(s0.analysis?.topN).toBe(500);

    // A valid change: engine.topN and a threshold apply from the next file, a devices change restarts that area,
    // the nfcapd directory waits for a restart.
    h.write({ engine: { pollSeconds: 0.5, nfcapdDir: path.join(h.dir, 'nfcapd-new'), topN: 77, thresholds: { 'scan.peers': 2000 } }, devices: { schedule: false, concurrency: 2 } });
    let from = rx.messages.length;
    process.kill(e.pid!, 'SIGHUP');
    await rx.next((n) => n.fields.RELOADING === '1', 30_000, from);
    const reloaded = await rx.next((n) => n.fields.READY === '1', 30_000, from);
    expect(reloaded.fields.STATUS).toBe(`listening on ${h.sock}; reloaded: 3 applied, 1 waiting for a restart`);
    const s1 = await status(h.sock);
    expect(s1.pid).toBe(e.pid);
    expect(s1.analysis).toMatchObject({ topN: 77, thresholds: { 'scan.peers': 2000 } });
    expect(s1.reload?.last?.ok).toBe(true);
    expect([...(s1.reload?.last?.applied ?? [])].sort()).toEqual(['devices', 'engine.thresholds', 'engine.topN']);
    expect(s1.reload?.pendingRestart).toEqual([{ key: 'engine.nfcapdDir', why: 'the watcher and the reader are set up when the engine starts' }]);
    expect(s1.nfcapdDir).toBe(path.join(h.dir, 'nfcapd'));

    // A bad file (schema violation): kept out, the reason in the status and the log; the engine keeps answering.
    h.writeRaw(JSON.stringify({ engine: { topN: 'many', nfcapdDir: path.join(h.dir, 'nfcapd') } }));
    from = rx.messages.length;
    process.kill(e.pid!, 'SIGHUP');
    const refused = await rx.next((n) => n.fields.READY === '1', 30_000, from);
    expect(refused.fields.STATUS).toMatch(/reload refused: the configuration file is invalid, running configuration kept/);
    const s2 = await status(h.sock);
    expect(s2.analysis?.topN).toBe(77);
    expect(s2.reload?.last).toMatchObject({ ok: false });
    expect(s2.reload?.last?.error).toMatch(/engine\/topN.* must be integer/);
    expect(s2.reload?.count).toBe(2);

    // Not JSON at all: the same.
    h.writeRaw('{ "engine": ');
    from = rx.messages.length;
    process.kill(e.pid!, 'SIGHUP');
    await rx.next((n) => n.fields.READY === '1', 30_000, from);
    expect((await status(h.sock)).reload?.last).toMatchObject({ ok: false });

    from = rx.messages.length;
    e.kill('SIGTERM');
    await rx.next((n) => n.fields.STOPPING === '1', 30_000, from);
    const r = await e;
    expect(r.exitCode).toBe(0);
    const log = String(r.all);
    expect(log).toMatch(/ notice reload: configuration reloaded: applied /);
    expect(log).toMatch(/ warn reload: engine\.nfcapdDir changed but waits for a restart \(the watcher and the reader are set up when the engine starts\)/);
    expect(log.match(/ error reload: the new configuration was refused, the running one is kept: /g)).toHaveLength(2);
    expect(log).toMatch(/must be integer/);
    // Every line has a timestamp, a level and a component (no journal here).
    for (const line of log.trim().split('\n')) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn|notice|info|debug) [\w.-]+: /);
  });

  it.skipIf(!hasSystemdNotify)('an abstract NOTIFY_SOCKET (@name) is reached through systemd-notify', async () => {
    const h = home('abstract', { devices: { schedule: false } });
    const rx = await startNotifyReceiver(`@nocflow-test-${process.pid}-${Date.now()}`, h.sock);
    receivers.push(rx);
    const e = engine({ ...h.env, NOTIFY_SOCKET: rx.address });
    const ready = await rx.next((n) => n.fields.READY === '1', 60_000);
    expect(ready.listening, ready.error).toBe(true);
    // systemd-notify carried it: its barrier follows (the addon sends none). Run as root it even passes the engine's
    // pid as the sender; as the service user it sends its own, which the unit's NotifyAccess=all accepts.
    await rx.next((n) => n.fields.BARRIER === '1', 30_000);
    expect((await status(h.sock)).pid).toBe(e.pid);
    e.kill('SIGTERM');
    expect((await e).exitCode).toBe(0);
  });

  it.skipIf(!hasSystemdNotify)('without the addon: one clear log line, and READY=1 through systemd-notify', async () => {
    const h = home('no-addon', { devices: { schedule: false } });
    const rx = await startNotifyReceiver(path.join(h.dir, 'notify'), h.sock);
    receivers.push(rx);
    const e = engine({ ...h.env, NOTIFY_SOCKET: rx.address }, ['--require', path.join(ROOT, 'test/helpers/no-unix-dgram.cjs')]);
    const ready = await rx.next((n) => n.fields.READY === '1', 60_000);
    expect(ready.listening, ready.error).toBe(true);
    await rx.next((n) => n.fields.BARRIER === '1', 30_000);
    e.kill('SIGTERM');
    const r = await e;
    expect(r.exitCode).toBe(0);
    expect(String(r.all).match(/error notify: cannot load the unix-dgram addon \(Could not locate the bindings file.*\): telling systemd through systemd-notify instead/g)).toHaveLength(1);
  });

  it('with neither the addon nor systemd-notify, the engine stops instead of running half-started', async () => {
    const h = home('no-way', { devices: { schedule: false } });
    const rx = await startNotifyReceiver(path.join(h.dir, 'notify'), h.sock);
    receivers.push(rx);
    const e = engine({ ...h.env, NOTIFY_SOCKET: rx.address, PATH: path.join(h.dir, 'empty-path') }, ['--require', path.join(ROOT, 'test/helpers/no-unix-dgram.cjs')]);
    const r = await e;
    expect(r.exitCode).toBe(1);
    expect(String(r.all)).toMatch(/nocflow: cannot notify systemd at .*notify through systemd-notify: .*; stopping, since systemd \(Type=notify\) would never see the engine ready/);
    expect(fs.existsSync(h.sock)).toBe(false);
    expect(rx.messages).toEqual([]);
  });
});
