/** The engine component in-process: other areas' handler tables, the ES investigate path, windows.get by text. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectEngine, type EngineConnection } from '../../src/daemon/client.js';
import { createEngineProcess, parseWindowRef, type EngineProcess } from '../../src/daemon/engine-process.js';
import type { EngineEvents } from '../../src/daemon/methods.js';
import type { InvestigateSummary } from '../../src/daemon/investigate.js';
import { configDefaults } from '../../src/config/schema.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-ep-'));
const sock = path.join(base, 'run', 'engine.sock');
const asked: { target: string; from: number; to: number }[] = [];
let engine: EngineProcess;
let c: EngineConnection;

beforeAll(async () => {
  process.env.NOCFLOW_DATA_DIR = path.join(base, 'data');
  engine = createEngineProcess(
    { ...configDefaults, engine: { ...configDefaults.engine, pollSeconds: 60 }, limits: { ...configDefaults.limits, investigations: 2, investigationsPerClient: 1, investigateMaxHours: 2 } },
    { socketPath: sock, nfcapdDir: path.join(base, 'nfcapd'), now: () => Date.UTC(2026, 10, 22, 15, 0) },
    {
      handlers: [{ 'block.list': async (_p, ctx) => ({ rules: [], askedBy: ctx.user }) }],
      flowQuery: {
        async investigate(target, range, o) {
          asked.push({ target, ...range });
          // 198.51.100.0/24 is slow: it runs until cancelled (for the concurrency limits).
          if (target === '198.51.100.0/24') await new Promise((_res, rej) => o?.signal?.addEventListener('abort', () => rej(new Error('cancelled'))));
          const s: InvestigateSummary = {
            target, source: 'elasticsearch', from: range.from, to: range.to, files: 0, flows: 7, packets: 7, bytes: 700, asSource: 7, asDestination: 0,
            topPeers: [], topPorts: [], protocols: [], series: [],
          };
          return s;
        },
      },
    },
  );
  await engine.start();
  c = await connectEngine({ socketPath: sock, reconnect: false });
});

afterAll(async () => {
  c?.close();
  await engine?.stop();
  delete process.env.NOCFLOW_DATA_DIR;
});

describe('engine process (in-process)', () => {
  it('merges other areas\' handler tables: answered with the caller\'s context and listed by engine.methods', async () => {
    expect(await c.call('block.list')).toEqual({ rules: [], askedBy: os.userInfo().username.replace(/[^\w.@-]/g, '') });
    expect(await c.call<string[]>('engine.methods')).toContain('block.list');
  });

  it('investigate asks the configured flow backend (ES) with the validated target and the default last hour', async () => {
    let result: EngineEvents['investigate.result'] | undefined;
    c.on('investigate.result', (d) => (result = d as EngineEvents['investigate.result']));
    const { id, from, to } = await c.call<{ id: number; from: number; to: number }>('investigate.start', { target: ' 192.0.2.0/24 ' });
    expect(to - from).toBe(3_600_000);
    expect(to).toBe(Date.UTC(2026, 10, 22, 15, 0));
    for (let i = 0; i < 100 && result?.id !== id; i++) await new Promise((r) => setTimeout(r, 20));
    expect(result?.summary?.source).toBe('elasticsearch');
    expect(result?.summary?.flows).toBe(7);
    expect(result?.current).toBeNull();
    expect(asked).toEqual([{ target: '192.0.2.0/24', from, to }]);
  });

  it('refuses an empty range and an unreadable target before asking anything', async () => {
    await expect(c.call('investigate.start', { target: '192.0.2.1', from: 10, to: 10 })).rejects.toMatchObject({ code: 'BAD_PARAMS' });
    await expect(c.call('investigate.start', { target: 'example.org' })).rejects.toMatchObject({ code: 'BAD_PARAMS' });
    expect(asked).toHaveLength(1);
  });

  it('limits what one client can cost: the range, its own investigations at once, and everyone\'s', async () => {
    const before = asked.length;
    await expect(c.call('investigate.start', { target: '192.0.2.1', from: 0, to: 3 * 3_600_000 })).rejects.toMatchObject({ code: 'LIMIT', message: expect.stringMatching(/3 h is longer than limits.investigateMaxHours \(2 h\)/) });
    const c2 = await connectEngine({ socketPath: sock, reconnect: false });
    const c3 = await connectEngine({ socketPath: sock, reconnect: false });
    try {
      const a = await c.call<{ id: number }>('investigate.start', { target: '198.51.100.0/24' });
      await expect(c.call('investigate.start', { target: '198.51.100.0/24' })).rejects.toMatchObject({ code: 'BUSY', message: expect.stringMatching(/you already run 1 investigation/) });
      const b = await c2.call<{ id: number }>('investigate.start', { target: '198.51.100.0/24' });
      await expect(c3.call('investigate.start', { target: '198.51.100.0/24' })).rejects.toMatchObject({ code: 'BUSY', message: expect.stringMatching(/2 investigations are running \(limits.investigations 2\)/) });
      expect((await c.call<{ investigations: number }>('engine.status')).investigations).toBe(2);
      // Cancelling one frees a place.
      await c.call('investigate.cancel', { id: a.id });
      for (let i = 0; i < 100 && (await c.call<{ investigations: number }>('engine.status')).investigations > 1; i++) await new Promise((r) => setTimeout(r, 20));
      const d = await c3.call<{ id: number }>('investigate.start', { target: '198.51.100.0/24' });
      await c2.call('investigate.cancel', { id: b.id });
      await c3.call('investigate.cancel', { id: d.id });
      expect(asked.length - before).toBe(3);
    } finally {
      c2.close();
      c3.close();
    }
  });

  it('windows.get with nothing stored answers null; a bad :window text is BAD_PARAMS', async () => {
    expect(await c.call('windows.get', { ref: '-3' })).toBeNull();
    await expect(c.call('windows.get', { ref: 'yesterday-ish' })).rejects.toMatchObject({ code: 'BAD_PARAMS' });
  });
});

describe('parseWindowRef', () => {
  it.each([
    ['-3', { offset: -3 }],
    ['3', { offset: -3 }],
    ['0', { offset: -0 }],
    ['2026-11-22 14:05', { time: Date.UTC(2026, 10, 22, 14, 5) }],
    ['2026-11-22T14:05+08:00', { time: Date.UTC(2026, 10, 22, 6, 5) }],
  ])('%s', (t, want) => expect(parseWindowRef(t)).toEqual(want));
  it.each(['', 'soon', '14:05'])('refuses %j', (t) => expect(() => parseWindowRef(t)).toThrow(/cannot read/));
});
