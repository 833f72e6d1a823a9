/** The socket server in-process: group hand-over, pid file rules, oversize lines, handler errors. */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { acquirePidFile, isEngineCommandLine, prepareRuntimeDir, resolveGroup, startEngineServer, type EngineServer } from '../../src/daemon/server.js';
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
    // A process whose command line is `… nocflow.js engine` (an engine); a nocflow that is not `engine` is not one.
    const fakeBin = path.join(dir, 'nocflow.js');
    fs.writeFileSync(fakeBin, 'setTimeout(() => {}, 30000);\n');
    const fake = execa('node', [fakeBin, 'engine', '--dir', dir], { reject: false });
    const notEngine = execa('node', [fakeBin, 'watch', '--dir', dir], { reject: false });
    try {
      await new Promise((r) => setTimeout(r, 300));
      fs.writeFileSync(file, String(other.pid));
      acquirePidFile(file)();
      fs.writeFileSync(file, String(notEngine.pid));
      acquirePidFile(file)();
      fs.writeFileSync(file, String(fake.pid));
      expect(() => acquirePidFile(file)).toThrow(/already running/);
      expect(Number(fs.readFileSync(file, 'utf8'))).toBe(fake.pid);
    } finally {
      for (const p of [other, fake, notEngine]) p.kill('SIGKILL');
      await Promise.allSettled([other, fake, notEngine]);
    }
  });
});

describe('isEngineCommandLine', () => {
  it.each([
    ['node\0/usr/lib/nocflow/bin/nocflow.js\0engine\0--dir\0/srv/nfcapd\0', true],
    ['node\0/usr/bin/nocflow\0engine\0', true],
    ['node\0bin/nocflow.js\0--lang\0zh-TW\0engine\0start\0', true],
    ['node\0/usr/bin/nocflow\0watch\0/srv/nfcapd\0', false],
    ['vim\0/home/alice/nocflow-engine-notes.md\0', false],
    ['node\0-e\0setTimeout(() => {}, 1)\0nocflow\0', false],
    ['sleep\0030\0', false],
  ])('%j → %s', (cmdline, want) => expect(isEngineCommandLine(cmdline)).toBe(want));
});

const ROOT = process.getuid?.() === 0;

describe('prepareRuntimeDir (the engine\'s side of the trust boundary)', () => {
  it('creates a missing directory 0750 and tightens its own', () => {
    const dir = path.join(tmp(), 'run', 'nocflow');
    prepareRuntimeDir(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o750);
  });

  it('refuses its own directory when other users may write it, and changes nothing', () => {
    const dir = path.join(tmp(), 'wide');
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    expect(() => prepareRuntimeDir(dir)).toThrow(/may be written by other users.*chmod 0750/);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o777);
  });

  it.skipIf(!ROOT)('refuses a directory another user created (the /tmp/nocflow-<uid> squat), before any socket exists (needs root to chown)', async () => {
    const dir = path.join(tmp(), 'squatted');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chownSync(dir, 12345, 12345);
    expect(() => prepareRuntimeDir(dir)).toThrow(/belongs to uid 12345, not to the engine's user/);
    await expect(startEngineServer({ socketPath: path.join(dir, 'engine.sock'), handlers: {} })).rejects.toMatchObject({ reason: 'UNTRUSTED_DIR' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('startEngineServer', () => {
  it.skipIf(!ROOT)('hands socket and directory to the configured group (needs root to chown to a group it is not in)', async () => {
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

describe('a client that stops reading', () => {
  it('is dropped once its unsent bytes pass the bound; a client that reads gets every event; both are counted', async () => {
    const sock = path.join(tmp(), 'engine.sock');
    const logged: string[] = [];
    const s = await startEngineServer({ socketPath: sock, handlers: {}, maxClientBuffer: 256 * 1024, log: (l) => logged.push(l) });
    servers.push(s);
    // The reader: a normal client.
    const reader = await connectEngine({ socketPath: sock, reconnect: false });
    let got = 0;
    reader.on('tick', () => got++);
    // The sleeper: says hello, then never reads again (a TUI suspended with Ctrl-Z).
    const sleeper = net.connect(sock);
    await new Promise((r) => sleeper.once('connect', r));
    sleeper.write(`${JSON.stringify({ v: 1, id: 1, method: 'hello', params: { user: 'carol', pid: 4242 } })}\n`);
    await new Promise((r) => sleeper.once('data', r));
    sleeper.pause();
    const payload = 'x'.repeat(10_000);
    let maxBuffered = 0;
    for (let i = 0; i < 300; i++) {
      s.publish('tick', { i, payload });
      maxBuffered = Math.max(maxBuffered, ...s.clientList().map((c) => c.bufferedBytes));
      // The reader keeps up (it has every event before the next is sent); the sleeper does not.
      for (let w = 0; w < 500 && got <= i; w++) await new Promise((r) => setTimeout(r, 2));
    }
    expect(got).toBe(300);
    expect(maxBuffered).toBeLessThanOrEqual(256 * 1024);
    expect(s.stats()).toMatchObject({ dropped: 1, connections: 2, lastDropped: { user: 'carol', pid: 4242 } });
    expect(s.clientList()).toHaveLength(1);
    expect(s.clientList()[0]).toMatchObject({ events: 300, requests: 1, errors: 0, user: os.userInfo().username.replace(/[^\w.@-]/g, '') });
    expect(logged).toEqual([expect.stringMatching(/^dropped client 2 \(carol, pid 4242\): \d+ bytes unread, limit 262144$/)]);
    reader.close();
    sleeper.destroy();
  });
});


describe('the client: events and answers in arrival order', () => {
  it('an event that follows an answer in the same read reaches its listener after the answer\'s callbacks ran', async () => {
    // A raw engine stand-in: it answers hello, then answers investigate.start and publishes its result in ONE write
    // (what a quick investigation does when the client reads both lines at once).
    const sock = path.join(tmp(), 'engine.sock');
    const srv = net.createServer((c) => {
      c.setEncoding('utf8');
      const lines = lineSplitter((line) => {
        const m = JSON.parse(line) as { id: number; method: string };
        if (m.method === 'hello') c.write(`${JSON.stringify({ id: m.id, result: { version: 1 } })}\n`);
        else c.write(`${JSON.stringify({ id: m.id, result: { id: 42 } })}\n${JSON.stringify({ event: 'investigate.result', data: { id: 42 } })}\n`);
      });
      c.on('data', (d: string) => lines.push(d));
    });
    await new Promise<void>((r) => srv.listen(sock, r));
    const c = await connectEngine({ socketPath: sock, reconnect: false });
    try {
      let known: number | undefined;
      let seenWith: (number | undefined)[] = [];
      c.on('investigate.result', () => (seenWith = [...seenWith, known]));
      // The answer's callback goes through an async wrapper too, as the TUI's backend calls do.
      const start = async () => (await c.call('investigate.start' as never, { target: '192.0.2.1' } as never)) as { id: number };
      await start().then((r) => (known = r.id));
      for (let i = 0; i < 50 && seenWith.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(seenWith).toEqual([42]);
    } finally {
      c.close();
      await new Promise((r) => srv.close(r));
    }
  });
});
