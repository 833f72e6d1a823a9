/** The trust judgements (pure), table-driven over the layouts an operator meets: systemd's /run, XDG, /tmp squats. */
import { describe, expect, it } from 'vitest';
import { judgeRuntimeDir, judgeSocket, type PathNode } from '../../src/daemon/trust.js';

const DIR = 0o040000;
const SOCK = 0o140000;
const LINK = 0o120000;
const ROOT = 0;
const NOCFLOW = 999; // the service user
const ALICE = 1001; // an operator in group noc
const MALLORY = 1002; // another local user

const node = (path: string, uid: number, mode: number, type = DIR): PathNode => ({ path, uid, gid: 0, mode: type | mode });
const root = node('/', ROOT, 0o755);
const run = node('/run', ROOT, 0o755);
const tmp = node('/tmp', ROOT, 0o1777);

/** systemd: RuntimeDirectory=nocflow, mode 0750, group noc; socket 0660. */
const systemd = [root, run, node('/run/nocflow', NOCFLOW, 0o750), node('/run/nocflow/engine.sock', NOCFLOW, 0o660, SOCK)];
/** The fallback /tmp/nocflow-<uid>, made by its own user. */
const ownTmp = (uid: number) => [root, tmp, node(`/tmp/nocflow-${uid}`, uid, 0o750), node(`/tmp/nocflow-${uid}/engine.sock`, uid, 0o660, SOCK)];
/** The squat: MALLORY pre-created ALICE's /tmp/nocflow-1001 and runs an impostor there. */
const squat = (mode: number) => [root, tmp, node('/tmp/nocflow-1001', MALLORY, mode), node('/tmp/nocflow-1001/engine.sock', MALLORY, 0o660, SOCK)];

describe('judgeSocket (a client, before hello)', () => {
  it.each([
    ['an operator → the systemd service socket', systemd, ALICE],
    ['the service user itself → its socket', systemd, NOCFLOW],
    ['root → the service socket', systemd, ROOT],
    ['alice → her own /tmp/nocflow-1001', ownTmp(ALICE), ALICE],
    ['alice → her XDG runtime dir', [root, run, node('/run/user', ROOT, 0o755), node('/run/user/1001', ALICE, 0o700), node('/run/user/1001/nocflow', ALICE, 0o750), node('/run/user/1001/nocflow/engine.sock', ALICE, 0o660, SOCK)], ALICE],
    ['an operator → a socket in the service user\'s home', [root, node('/home', ROOT, 0o755), node('/home/nocflow', NOCFLOW, 0o755), node('/home/nocflow/run', NOCFLOW, 0o750), node('/home/nocflow/run/engine.sock', NOCFLOW, 0o660, SOCK)], ALICE],
  ])('trusts %s', (_what, chain, self) => expect(judgeSocket(chain, self)).toBeUndefined());

  it.each([
    ['the squat, mode 0755', squat(0o755), ALICE, /any user could have created it/],
    ['the squat, mode 0777', squat(0o777), ALICE, /may be written by other users/],
    ['bob → alice\'s /tmp/nocflow-1001 (it could be anyone\'s)', ownTmp(ALICE), 1003, /any user could have created it/],
    ['a socket of one user in another\'s directory', [root, run, node('/run/nocflow', NOCFLOW, 0o750), node('/run/nocflow/engine.sock', MALLORY, 0o660, SOCK)], ALICE, /belongs to uid 1002 but its directory to uid 999/],
    ['a group-writable engine directory', [root, run, node('/run/nocflow', NOCFLOW, 0o770), node('/run/nocflow/engine.sock', NOCFLOW, 0o660, SOCK)], ALICE, /mode 0770\) may be written/],
    ['an ancestor another user owns', [root, node('/srv', MALLORY, 0o755), node('/srv/nocflow', NOCFLOW, 0o750), node('/srv/nocflow/engine.sock', NOCFLOW, 0o660, SOCK)], ALICE, /\/srv is owned by uid 1002/],
    ['a world-writable ancestor without the sticky bit', [root, node('/shared', ROOT, 0o777), node('/shared/nocflow', NOCFLOW, 0o750), node('/shared/nocflow/engine.sock', NOCFLOW, 0o660, SOCK)], ALICE, /\/shared \(mode 0777\) may be written/],
    ['a regular file where the socket should be', [root, run, node('/run/nocflow', NOCFLOW, 0o750), node('/run/nocflow/engine.sock', NOCFLOW, 0o660, 0o100000)], ALICE, /not a socket/],
    ['an unresolved symlink on the way', [root, node('/var', ROOT, 0o755), node('/var/run', ROOT, 0o777, LINK), node('/var/run/nocflow', NOCFLOW, 0o750), node('/var/run/nocflow/engine.sock', NOCFLOW, 0o660, SOCK)], ALICE, /symbolic link/],
  ])('refuses %s', (_what, chain, self, why) => expect(judgeSocket(chain, self)).toMatch(why));
});

describe('judgeRuntimeDir (the engine, before its pid file)', () => {
  const dirs = (chain: PathNode[]) => chain.slice(0, -1);
  it.each([
    ['the service user → /run/nocflow', dirs(systemd), NOCFLOW],
    ['alice → her own /tmp/nocflow-1001', dirs(ownTmp(ALICE)), ALICE],
  ])('accepts %s', (_what, chain, self) => expect(judgeRuntimeDir(chain, self)).toBeUndefined());

  it.each([
    ['alice → the squatted /tmp/nocflow-1001', dirs(squat(0o755)), ALICE, /belongs to uid 1002, not to the engine's user \(uid 1001\)/],
    ['a directory of her own that others may write', [root, tmp, node('/tmp/nocflow-1001', ALICE, 0o777)], ALICE, /chmod 0750 \/tmp\/nocflow-1001/],
    ['/tmp itself (root)', [root, tmp], ROOT, /may be written by other users/],
    ['a directory under another user\'s', [root, node('/home', ROOT, 0o755), node('/home/mallory', MALLORY, 0o755), node('/home/mallory/run', ALICE, 0o750)], ALICE, /\/home\/mallory is owned by uid 1002/],
  ])('refuses %s', (_what, chain, self, why) => expect(judgeRuntimeDir(chain, self)).toMatch(why));
});
