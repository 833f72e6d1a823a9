import { describe, expect, it } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import { App, type Backend } from '../../src/tui/app.js';
import { infectedHeader, infectedLine, iocRelationLines, toInfectedRows } from '../../src/views/ioc.js';
import stringWidth from 'string-width';

const cellWidth = (s: string) => stringWidth(s);

const ROWS = [
  { ip: '10.20.5.1', score: 35, categories: ['mechanical', 'relay-check-in'], iocs: ['185.220.101.7'], daysSeen: 5, firstDay: '2026-11-01', lastDay: '2026-11-05', unit: 'Dorm', inside: true },
  { ip: '2001:db8:20:ffff:ffff:ffff:ffff:11', score: 14, categories: ['apt-target'], iocs: ['45.155.205.99', '185.220.101.7'], daysSeen: 2, firstDay: '2026-11-04', lastDay: '2026-11-05', inside: false },
  { ip: '61.10.0.9', score: 3, categories: ['check-in'], iocs: ['103.77.192.13\u001b[2J'], daysSeen: 1, firstDay: '2026-11-05', lastDay: '2026-11-05', inside: false },
];
const RELATIONS = {
  ip: '10.20.5.1', unit: 'Dorm', listed: [], asIoc: [],
  verdict: { score: 35, categories: { 'relay-check-in': 5, mechanical: 5 }, daysSeen: 5, firstDay: '2026-11-01', lastDay: '2026-11-05', iocs: ['185.220.101.7'], patterns: 2, relays: [{ ioc: '185.220.101.7', port: 443, flows: 120, days: 5, category: 'relay-check-in' }] },
  contacts: [{ day: '2026-11-05', remote: '10.20.5.1', ioc: '185.220.101.7', flows: 24 }],
  candidate: [],
};

function backendWith(opts: { ioc: boolean }) {
  const calls: { method: string; params: unknown }[] = [];
  const backend: Backend = {
    async call<T>(method: string, params?: unknown): Promise<T> {
      calls.push({ method, params });
      if (method === 'windows.latest') return null as T;
      if (opts.ioc && method === 'ioc.infected') return { rows: ROWS, total: 3 } as T;
      if (opts.ioc && method === 'ioc.relations') return RELATIONS as T;
      if (method === 'investigate.start') return { id: 1, from: 0, to: 1 } as T;
      throw Object.assign(new Error(`unknown method ${method}`), { code: 'NO_METHOD' });
    },
    on: () => () => undefined,
  };
  return { backend, calls };
}

const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
const type = async (r: ReturnType<typeof render>, keys: string[]) => {
  for (const k of keys) {
    r.stdin.write(k);
    await tick(15);
  }
};

describe('the infected-hosts screen', () => {
  it('rows fit the width at 80 and 160 cells, IPv6 cut, control characters stripped', () => {
    const rows = toInfectedRows({ rows: ROWS });
    for (const w of [80, 160]) {
      expect(cellWidth(infectedHeader(w, 'en'))).toBeLessThanOrEqual(w);
      for (const r of rows) expect(cellWidth(infectedLine(r, w, 'zh-TW'))).toBeLessThanOrEqual(w);
    }
    expect(infectedLine(rows[0], 80, 'en')).toMatch(/^\s+35 10\.20\.5\.1\s+Dorm\s+5 mech RELAY\s+185\.220\.101\.7/);
    expect(infectedLine(rows[1], 160, 'en')).toContain('45.155.205.99 +1');
    expect(infectedLine(rows[2], 160, 'en')).not.toContain('\u001b');
    expect(infectedLine(rows[0], 80, 'zh-TW')).toContain('中繼簽到');
    expect(toInfectedRows({ rows: [{ nope: 1 }, 7] })).toEqual([]);
  });

  it(':infected lists the hosts by score; Enter investigates the selected one, whose IoC relations show', async () => {
    const { backend, calls } = backendWith({ ioc: true });
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    await type(r, [':', 'i', 'n', 'f', 'e', 'c', 't', 'e', 'd', '\r']);
    await tick();
    const frame = r.lastFrame()!;
    expect(frame).toContain('Infected hosts: 3 of 3');
    expect(frame.indexOf('10.20.5.1')).toBeLessThan(frame.indexOf('61.10.0.9'));
    await type(r, ['\r']);
    await tick(80);
    const inv = calls.find((c) => c.method === 'investigate.start')!.params as { target: string; from: number; to: number };
    expect(inv.target).toBe('10.20.5.1');
    expect(inv.to - inv.from).toBe(24 * 3_600_000);
    expect(calls.find((c) => c.method === 'ioc.relations')?.params).toEqual({ ip: '10.20.5.1' });
    const f2 = r.lastFrame()!;
    expect(f2).toContain('IoC relations');
    expect(f2).toContain('infection score 35 over 5 day(s)');
    expect(f2).toContain('185.220.101.7  port 443  120 flows, 5 day(s)  → checks in with a relay');
    r.unmount();
  });

  it('an engine without the IoC area says so instead of failing', async () => {
    const { backend } = backendWith({ ioc: false });
    const r = render(<App backend={backend} lang="zh-TW" size={{ w: 80, h: 24 }} />);
    await tick();
    await type(r, [':', 'i', 'n', 'f', 'e', 'c', 't', 'e', 'd', '\r']);
    await tick();
    expect(r.lastFrame()).toContain('此引擎未啟用 IoC 關聯');
    r.unmount();
  });

  it('relation lines in both languages; nothing known is no lines', () => {
    expect(iocRelationLines(RELATIONS, 'zh-TW')[0]).toBe('受感染評分 35，5 天（2026-11-01 – 2026-11-05）：向中繼站簽到 ×5、行為機械化（樣態少） ×5');
    expect(iocRelationLines({ ip: '1.2.3.4', listed: ['2026-11-05'], asIoc: [{ day: '2026-11-05', class: 'mass', totalFlows: 12000 }], verdict: null, contacts: [], candidate: [] }, 'en')).toEqual([
      'on the IoC list 1 day(s) (last 2026-11-05); 2026-11-05: mass (scanner or DDoS pawn, not analysed), 12000 flows',
    ]);
    expect(iocRelationLines({ ip: '1.2.3.4', listed: [], asIoc: [], verdict: null, contacts: [], candidate: [] }, 'en')).toEqual([]);
  });
});
