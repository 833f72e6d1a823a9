/**
 * One machine, many operators, with real processes under real uids (root is needed to run them as other users): the
 * layout the unit makes — the service user's engine reading the shared /etc/nocflow (0750/0640 root:noc) with its
 * secrets.json (0600, the service user's), in a runtime directory like systemd's RuntimeDirectory= (service user,
 * group noc, 0750) — and what an operator of group noc and a user outside it get from `nocflow` without any flag.
 * The system paths are stand-ins under a temporary directory (NOCFLOW_SYSTEM_CONFIG_DIR / NOCFLOW_SYSTEM_RUNTIME_DIR):
 * the real /etc/nocflow and /run/nocflow of this shared machine are never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

const ROOT_USER = process.getuid?.() === 0;
const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const NOCFLOW = 48999; // the service user
const NOC = 48998; // the operators' group
const ALICE = 48001; // an operator (group noc)
const OUTSIDER = 48003; // not in group noc

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-operators-'));
fs.chmodSync(base, 0o755);
const etc = path.join(base, 'etc-nocflow');
const run = path.join(base, 'run');
const shared = path.join(run, 'nocflow');
const state = path.join(base, 'state');
const nfDir = path.join(base, 'nfcapd');
let engine: ResultPromise | undefined;

function dirOf(p: string, uid: number, gid: number, mode: number): string {
  fs.mkdirSync(p, { recursive: true });
  fs.chownSync(p, uid, gid);
  fs.chmodSync(p, mode);
  return p;
}
function fileOf(p: string, text: string, uid: number, gid: number, mode: number): void {
  fs.writeFileSync(p, text);
  fs.chownSync(p, uid, gid);
  fs.chmodSync(p, mode);
}

/** The system-wide paths every process of this test sees as /etc/nocflow and /run/nocflow. */
const systemEnv = { NOCFLOW_SYSTEM_CONFIG_DIR: etc, NOCFLOW_SYSTEM_RUNTIME_DIR: shared, PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** `nocflow ...` as a user with a home of their own and no NOCFLOW_* of their own. */
function as(uid: number, gid: number, args: string[], env: Record<string, string> = {}) {
  const home = dirOf(path.join(base, `home-${uid}`), uid, gid, 0o700);
  return execa('node', [BIN, ...args], { uid, gid, env: { HOME: home, USER: `u${uid}`, ...systemEnv, ...env }, extendEnv: false, reject: false, stdin: 'ignore', timeout: 60_000 });
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  if (!ROOT_USER) return;
  dirOf(nfDir, 0, 0, 0o755);
  dirOf(etc, 0, NOC, 0o750);
  fileOf(path.join(etc, 'config.json'), JSON.stringify({
    engine: { nfcapdDir: nfDir, pollSeconds: 1 },
    devices: { schedule: false, list: [{ name: 'gw1', host: '192.0.2.1', user: 'noc', kind: 'iosxr', collect: ['arp'] }] },
  }), 0, NOC, 0o640);
  fileOf(path.join(etc, 'secrets.json'), JSON.stringify({ devices: { list: [{ name: 'gw1', password: 's3cret-pw' }] } }), NOCFLOW, NOCFLOW, 0o600);
  dirOf(run, 0, 0, 0o755);
  // What RuntimeDirectory=nocflow, RuntimeDirectoryMode=0750, User=nocflow, Group=noc make; StateDirectory likewise.
  dirOf(shared, NOCFLOW, NOC, 0o750);
  dirOf(state, NOCFLOW, NOC, 0o700);
  // The unit's environment (deploy/nocflow-engine.service).
  engine = execa('node', [BIN, 'engine', '--group', String(NOC)], {
    uid: NOCFLOW,
    gid: NOC,
    env: { HOME: state, NOCFLOW_CONFIG_DIR: etc, NOCFLOW_DATA_DIR: state, NOCFLOW_RUNTIME_DIR: shared, PATH: systemEnv.PATH },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  await waitFor(() => fs.existsSync(path.join(shared, 'engine.sock')) || engine!.exitCode !== null, 60_000, 'the service engine');
  if (engine.exitCode !== null) throw new Error(`service engine exited: ${String((await engine).all)}`);
}, 90_000);

afterAll(async () => {
  if (engine && engine.exitCode === null) engine.kill('SIGTERM');
  await engine;
  fs.rmSync(base, { recursive: true, force: true });
});

describe.skipIf(!ROOT_USER)('one machine, many operators (needs root to run other uids)', () => {
  it('an operator of group noc reaches the service engine without any flag', async () => {
    const r = await as(ALICE, NOC, ['engine', 'status', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).pid).toBe(engine!.pid);
    expect(fs.statSync(path.join(shared, 'engine.sock'))).toMatchObject({ uid: NOCFLOW, gid: NOC });
  });

  it('she reads the shared configuration (she has none of her own) but not its secrets; the engine has them', async () => {
    const p = await as(ALICE, NOC, ['config', 'path']);
    expect(p.stdout.trim()).toBe(path.join(etc, 'config.json'));
    const mine = await as(ALICE, NOC, ['config', 'get', 'devices.list', '--show-secrets']);
    expect(mine.exitCode, mine.stderr).toBe(0);
    expect(JSON.parse(mine.stdout)[0]).not.toHaveProperty('password');
    const svc = await as(NOCFLOW, NOC, ['config', 'get', 'devices.list', '--show-secrets'], { NOCFLOW_CONFIG_DIR: etc });
    expect(JSON.parse(svc.stdout)[0].password).toBe('s3cret-pw');
    const masked = await as(NOCFLOW, NOC, ['config', 'get', 'devices.list'], { NOCFLOW_CONFIG_DIR: etc });
    expect(JSON.parse(masked.stdout)[0].password).toBe('********');
  });

  it('her `config set` on the shared file says whose it is and changes nothing', async () => {
    const before = fs.readFileSync(path.join(etc, 'config.json'), 'utf8');
    const r = await as(ALICE, NOC, ['config', 'set', 'engine.topN', '100']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`nocflow: ${etc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/config\\.json \\(root:${NOC} 0640\\) is not writable by you \\(the shared configuration: an admin changes it, e\\.g\\. sudo nocflow config set …, then sudo systemctl reload nocflow-engine`));
    expect(fs.readFileSync(path.join(etc, 'config.json'), 'utf8')).toBe(before);
  });

  it('an admin\'s `config set` keeps the shared file root:noc 0640, and a reload applies it for everyone', async () => {
    const r = await as(0, 0, ['config', 'set', 'engine.topN', '123']);
    expect(r.exitCode, r.stderr).toBe(0);
    const st = fs.statSync(path.join(etc, 'config.json'));
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ uid: 0, gid: NOC, mode: 0o640 });
    process.kill(engine!.pid!, 'SIGHUP');
    await waitFor(async () => {
      const s = await as(ALICE, NOC, ['engine', 'status', '--json']);
      return s.exitCode === 0 && JSON.parse(s.stdout).analysis?.topN === 123;
    }, 30_000, 'the reload');
  });

  it('doctor, as the operator: her group, the secrets being the engine\'s, the store the service\'s', async () => {
    const r = await as(ALICE, NOC, ['doctor', '--timeout', '1']);
    expect(r.stdout).toMatch(new RegExp(`^ok +group +u${ALICE} reaches it through group ${NOC}$`, 'm'));
    expect(r.stdout).toMatch(/^ok +config +secrets: .*secrets\.json is there, readable by the engine only/m);
    expect(r.stdout).toMatch(/^-- +store +.* belongs to the service|^-- +store +.*not there yet or not visible to you/m);
    expect(r.stdout).toMatch(/^ok +engine +nocflow \S+, pid \d+/m);
  });

  it('a user outside group noc is told why, by config and by the socket', async () => {
    const c = await as(OUTSIDER, OUTSIDER, ['config', 'get', 'engine.topN']);
    expect(c.exitCode).toBe(2);
    expect(c.stderr).toMatch(/cannot read .*config\.json \(.*\): the shared configuration is for the operators' group/);
    const d = await as(OUTSIDER, OUTSIDER, ['doctor', '--timeout', '1']);
    expect(d.exitCode).toBe(1);
    expect(d.stdout).toMatch(new RegExp(`FAIL +group +u${OUTSIDER} is not in group ${NOC}, the engine socket's group`));
    expect(d.stdout).toMatch(new RegExp(`sudo usermod -aG ${NOC} u${OUTSIDER}`));
  });

  it('with the service stopped, her `engine start` refuses a private engine on the shared configuration', async () => {
    engine!.kill('SIGTERM');
    await engine;
    expect(fs.existsSync(path.join(shared, 'engine.sock'))).toBe(false);
    const r = await as(ALICE, NOC, ['engine', 'start']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/no engine answers on .*engine\.sock, and .*config\.json is the shared configuration, whose engine is the service: ask an admin to start it \(sudo systemctl start nocflow-engine\)/);
    expect(fs.readdirSync(path.join(base, `home-${ALICE}`))).not.toContain('.local');
  });
});
