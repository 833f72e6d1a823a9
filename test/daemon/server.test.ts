/** The socket server in-process: group hand-over, pid file rules, oversize lines, handler errors. */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { acquirePidFile, resolveGroup, startEngineServer, type EngineServer } from '../../src/daemon/server.js';
import { connectEngine } from '../../src/daemon/client.js';
import { lineSplitter, RpcError } from '../../src/daemon/protocol.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-srv-'));
const servers: EngineServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

describe('lineSplitter (the NDJSON framing of both ends)', () => {
  it('hands over whole lines in order, however the chunks fall, and counts what is still incomplete', () => {
    const got: string[] = [];
    const l = lineSplitter((x) => got.push(x));
    l.push('{"a":1}\n{"b"');
    expect([got, l.buffered]).toEqual([['{"a":1}'], 4]);
    l.push(':2}\n\n{"c":3}\n{"d');
    expect([got, l.buffered]).toEqual([['{"a":1}', '{"b":2}', '', '{"c":3}'], 3]);
    l.reset();
    l.push('4}\n');
    expect(got.at(-1)).toBe('4}');
    expect(l.buffered).toBe(0);
  });
});

describe('resolveGroup', () => {
  const file = path.join(tmp(), 'group');
  fs.writeFileSync(file, 'root:x:0:\nnoc:x:1234:alice,bob\nbad:x:notanumber:\n');
  it.each([
    ['noc', 1234],
    ['root', 0],
    ['4321', 4321],
  ])('%s → %d', (g, gid) => expect(resolveGroup(g, file)).toBe(gid));
  it.each(['nobody-here', 'bad', ''])('refuses %j', (g) => expect(() => resolveGroup(g, file)).toThrow(/unknown group/));
});

describe('acquirePidFile', () => {
  it('takes a free pid file, replaces a stale one, and refuses while a nocflow process holds it', async () => {
    const dir = tmp();
    const file = path.join(dir, 'engine.sock.pid');
    const release = acquirePidFile(file);
    expect(Number(fs.readFileSync(file, 'utf8'))).toBe(process.pid);
    release();
    expect(fs.existsSync(file)).toBe(false);

    // Stale: a pid that no longer runs.
    const gone = execa('true');
    await gone;
    fs.writeFileSync(file, String(gone.pid));
    acquirePidFile(file)();

    // A live process that is not nocflow (a reused pid) does not block; a live nocflow does.
    const other = execa('sleep', ['30'], { reject: false });
    const fake = execa('node', ['-e', 'setTimeout(() => {}, 30000)', 'nocflow-engine-fake'], { reject: false });
    try {
      await new Promise((r) => setTimeout(r, 300));
      fs.writeFileSync(file, String(other.pid));
      acquirePidFile(file)();
      fs.writeFileSync(file, String(fake.pid));
      expect(() => acquirePidFile(file)).toThrow(/already running/);
      expect(Number(fs.readFileSync(file, 'utf8'))).toBe(fake.pid);
    } finally {
      other.kill('SIGKILL');
      fake.kill('SIGKILL');
      await Promise.allSettled([other, fake]);
    }
  });
});

describe('startEngineServer', () => {
  // Only root may chown to a group it is not in: reported as skipped otherwise (never a silent pass).
  it.skipIf(process.getuid?.() !== 0)('hands socket and directory to the configured group (root)', async () => {
    const dir = path.join(tmp(), 'run');
    const s = await startEngineServer({ socketPath: path.join(dir, 'engine.sock'), handlers: {}, group: 65534 });
    servers.push(s);
    expect(fs.statSync(s.socketPath).gid).toBe(65534);
    expect(fs.statSync(dir).gid).toBe(65534);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o750);
  });

  it('answers handler errors with their code, an oversize line with TOO_LONG, and counts them', async () => {
    const sock = path.join(tmp(), 'engine.sock');
    const s = await startEngineServer({
      socketPath: sock,
      handlers: {
        'x.fail': async () => {
          throw new RpcError('GUARD', 'refused by a guard', { rule: 1 });
        },
        'x.crash': async () => {
          throw new Error('boom');
        },
        'x.who': async (_p, ctx) => ctx,
      },
    });
    servers.push(s);
    const c = await connectEngine({ socketPath: sock, reconnect: false });
    await expect(c.call('x.fail')).rejects.toMatchObject({ code: 'GUARD', message: 'refused by a guard', details: { rule: 1 } });
    await expect(c.call('x.crash')).rejects.toMatchObject({ code: 'INTERNAL', message: 'boom' });
    expect(await c.call('x.who')).toMatchObject({ user: os.userInfo().username.replace(/[^\w.@-]/g, ''), pid: process.pid });
    c.close();

    const raw = net.connect(sock);
    await new Promise((r) => raw.once('connect', r));
    let got = '';
    raw.setEncoding('utf8');
    raw.on('data', (d: string) => (got += d));
    raw.write('x'.repeat(4_100_000));
    // Under load the 4 MB line takes a while to arrive: wait for the answer instead of a fixed pause.
    for (let i = 0; i < 200 && !/"code":"TOO_LONG"/.test(got); i++) await new Promise((r) => setTimeout(r, 50));
    expect(got).toMatch(/"code":"TOO_LONG"/);
    raw.destroy();
    expect(s.stats()).toMatchObject({ errors: 3 });
    expect(s.stats().badLines).toBeGreaterThanOrEqual(1);
  });
});
