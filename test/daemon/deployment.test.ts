/**
 * The local trust boundary with real processes under real uids (root is needed to run them as other users): the
 * systemd deployment — a service user's engine in a root-made runtime directory (mode 0750, group noc), reached by
 * operators of group noc and by nobody else — and the /tmp squat, where another user pre-created an operator's
 * `/tmp/nocflow-<uid>`: the operator's engine refuses to start there, and the operator's client refuses the impostor's
 * socket before it says a word.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

const ROOT = process.getuid?.() === 0;
const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const NOCFLOW = 47999; // the service user
const NOC = 47998; // the operators' group
const ALICE = 47001; // an operator (group noc)
const MALLORY = 47002; // another local user
const OUTSIDER = 47003; // not in group noc

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-deploy-'));
fs.chmodSync(base, 0o755);
/** Stands for /run: root's, 0755. */
const run = path.join(base, 'run');
/** Stands for /tmp: root's, 1777. */
const tmp = path.join(base, 'tmp');
const svc = path.join(base, 'svc');
const engines: ResultPromise[] = [];

/** A directory owned by uid:gid with a mode (what systemd, or a user, would have made). */
function dirOf(p: string, uid: number, gid: number, mode: number): string {
  fs.mkdirSync(p, { recursive: true });
  fs.chownSync(p, uid, gid);
  fs.chmodSync(p, mode);
  return p;
}

/** `nocflow ...` as a given user, with a private HOME. */
function as(uid: number, gid: number, args: string[], env: Record<string, string>) {
  return execa('node', [BIN, ...args], { uid, gid, env: { HOME: base, USER: `u${uid}`, ...env }, extendEnv: false, reject: false, stdin: 'ignore', timeout: 30_000 });
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const serviceEnv = { NOCFLOW_CONFIG_DIR: path.join(svc, 'config'), NOCFLOW_DATA_DIR: path.join(svc, 'data'), NOCFLOW_RUNTIME_DIR: path.join(run, 'nocflow') };

beforeAll(async () => {
  if (!ROOT) return;
  dirOf(run, 0, 0, 0o755);
  dirOf(tmp, 0, 0, 0o1777);
  dirOf(svc, NOCFLOW, NOCFLOW, 0o700);
  dirOf(path.join(svc, 'config'), NOCFLOW, NOCFLOW, 0o700);
  fs.writeFileSync(path.join(svc, 'config', 'config.json'), JSON.stringify({ engine: { pollSeconds: 1, nfcapdDir: path.join(svc, 'nfcapd') } }));
  fs.chownSync(path.join(svc, 'config', 'config.json'), NOCFLOW, NOCFLOW);
  // systemd's RuntimeDirectory=nocflow with RuntimeDirectoryMode=0750 and Group=noc.
  dirOf(path.join(run, 'nocflow'), NOCFLOW, NOC, 0o750);
  const engine = execa('node', [BIN, 'engine', '--group', String(NOC)], { uid: NOCFLOW, gid: NOC, env: { HOME: svc, ...serviceEnv }, extendEnv: false, reject: false, stdin: 'ignore' });
  engines.push(engine);
  await waitFor(() => fs.existsSync(path.join(run, 'nocflow', 'engine.sock')) || engine.exitCode !== null, 30_000, 'the service engine');
  if (engine.exitCode !== null) throw new Error(`service engine exited: ${String((await engine).stderr)}`);
}, 60_000);

afterAll(async () => {
  for (const e of engines) if (e.exitCode === null) e.kill('SIGTERM');
  await Promise.allSettled(engines);
});

describe.skipIf(!ROOT)('deployment: a service user, operators in group noc (needs root to run other uids)', () => {
  it('the service engine\'s socket is 0660 noc in its 0750 directory; an operator of group noc reads its status', async () => {
    const sock = path.join(run, 'nocflow', 'engine.sock');
    expect(fs.statSync(sock)).toMatchObject({ uid: NOCFLOW, gid: NOC });
    expect(fs.statSync(sock).mode & 0o777).toBe(0o660);
    expect(fs.statSync(path.dirname(sock)).mode & 0o777).toBe(0o750);
    const r = await as(ALICE, NOC, ['engine', 'status', '--json'], { NOCFLOW_RUNTIME_DIR: path.join(run, 'nocflow') });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).pid).toBe(engines[0].pid);
  });

  it('a user outside group noc cannot connect at all', async () => {
    const r = await as(OUTSIDER, OUTSIDER, ['engine', 'status'], { NOCFLOW_RUNTIME_DIR: path.join(run, 'nocflow') });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/EACCES|permission denied|no engine/i);
  });

  it('the squat: the operator\'s client refuses the impostor\'s socket before sending anything, and her engine refuses the directory', async () => {
    // MALLORY pre-creates ALICE's fallback runtime directory and listens there, recording what arrives.
    const squatted = dirOf(path.join(tmp, `nocflow-${ALICE}`), MALLORY, MALLORY, 0o755);
    const sock = path.join(squatted, 'engine.sock');
    let received = '';
    let connections = 0;
    const impostor = net.createServer((c) => {
      connections++;
      c.setEncoding('utf8');
      c.on('data', (d: string) => (received += d));
    });
    await new Promise<void>((r) => impostor.listen(sock, r));
    fs.chownSync(sock, MALLORY, MALLORY);
    fs.chmodSync(sock, 0o666);
    try {
      const env = { NOCFLOW_RUNTIME_DIR: squatted, SSH_CONNECTION: '203.0.113.9 50000 192.0.2.1 22' };
      const status = await as(ALICE, ALICE, ['engine', 'status'], env);
      expect(status.exitCode).toBe(3);
      expect(status.stderr).toMatch(/refusing the engine socket .*any user could have created it/);
      const block = await as(ALICE, ALICE, ['block', '198.51.100.7'], env);
      expect(block.exitCode).not.toBe(0);
      expect(block.stderr).toMatch(/refusing the engine socket/);
      await new Promise((r) => setTimeout(r, 200));
      expect({ connections, received }).toEqual({ connections: 0, received: '' });

      // Her own engine, pointed at the squatted directory, refuses it and writes nothing there.
      const own = dirOf(path.join(base, 'alice'), ALICE, ALICE, 0o700);
      const engine = await as(ALICE, ALICE, ['engine', '--dir', path.join(own, 'nfcapd')], { ...env, NOCFLOW_CONFIG_DIR: path.join(own, 'config'), NOCFLOW_DATA_DIR: path.join(own, 'data') });
      expect(engine.exitCode).toBe(1);
      expect(engine.stderr).toMatch(/runtime directory .*nocflow-47001 belongs to uid 47002, not to the engine's user \(uid 47001\)/);
      expect(fs.readdirSync(squatted)).toEqual(['engine.sock']);
    } finally {
      await new Promise((r) => impostor.close(r));
    }
  });
});
