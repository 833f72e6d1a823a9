import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import { ALL_COMMANDS, App, helpLines, topRow, type Backend } from '../../src/tui/app.js';
import { ACTIONS } from '../../src/views/keymap.js';
import { bar, fit, sparkline, mainFeature } from '../../src/views/format.js';
import type { ViewAnomaly, ViewWindow } from '../../src/tui/state.js';

const features = (port: number, share = 1) => ({
  protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: port, share }, { value: 80, share: 1 - share }], packets: [{ value: 1, share: 0.986 }], bytes: [{ value: 40, share: 0.985 }],
  tcpFlags: [{ value: '......S.', share: 0.99 }], distinct: { protocols: 1, dstPorts: 2, packets: 3, bytes: 4 }, synOnlyShare: 0.99, onePacket40Share: 0.985, serverLike: false, clientPortShare: 1, serverPortShare: 0,
});
const anomaly = (i: number, p: Partial<ViewAnomaly> = {}): ViewAnomaly => ({
  ip: `203.0.113.${i}`, role: 'attacker', type: 'scan', severity: i === 1 ? 'super' : 'over', score: 100 - i, evidence: [{ indicator: 'distinct destinations', value: 5000 + i, threshold: 1000, ratio: 5 }],
  metrics: { flows: 1000 * i, packets: 1000 * i, bytes: 40000 * i, distinctPeers: 5000 + i, distinctPorts: 2 },
  features: features(2375), signature: '2375-1-40', tracking: { firstSeenSlot: 10, windowsSeen: 3, shareAbove: 1, streak: 3 }, history: [0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1], ...p,
});
const window = (n: number): ViewWindow => ({
  window: { timeSlot: 5984521, start: 1795356150, end: 1795356450 }, flows: 123456, packets: 1, bytes: 1, distinctIps: 10,
  anomalies: [
    ...Array.from({ length: n }, (_, i) => anomaly(i + 1)),
    { ...anomaly(200), ip: '192.0.2.10', role: 'victim', type: 'port-ddos-victim', signature: undefined, features: features(80), entryPoints: [{ exporter: '127.0.0.2', interface: 7, flows: 800, share: 0.8 }, { exporter: '127.0.0.3', interface: 3, flows: 200, share: 0.2 }], victim: { distinctSources: 15000, spoofedShare: 0.97 }, score: 1 },
  ],
});

/** An engine error as the socket client reports it. */
class FakeEngineError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * A test double of the engine connection: answers from fixtures, records calls, lets the test push events. Methods
 * not in `extra` and not built in answer NO_METHOD, like an engine without that feature area.
 */
function fakeBackend(win: ViewWindow, extra: Record<string, (params: unknown) => unknown> = {}) {
  const calls: { method: string; params: unknown }[] = [];
  const listeners = new Map<string, ((d: unknown) => void)[]>();
  const backend: Backend = {
    async call<T>(method: string, params?: unknown): Promise<T> {
      calls.push({ method, params });
      if (extra[method]) return extra[method](params) as T;
      if (method === 'windows.latest' || method === 'windows.get') return win as T;
      if (method === 'investigate.start') return { id: 7 } as T;
      if (method === 'block.panic') return { withdrawn: 2 } as T;
      if (method === 'verdict.set' || method === 'verdict.list') return [] as T;
      throw new FakeEngineError('NO_METHOD', `unknown method ${method}`);
    },
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return () => undefined;
    },
  };
  const emit = (event: string, data: unknown) => (listeners.get(event) ?? []).forEach((f) => f(data));
  return { backend, calls, emit };
}

// Longer than ink's frame interval, with room for a loaded machine (the suite runs files in parallel).
const tick = (ms = 80) => new Promise((r) => setTimeout(r, ms));

describe('TUI screens (ink-testing-library)', () => {
  it('top-N at 80x24: header, columns, localized labels, selection', async () => {
    const { backend } = fakeBackend(window(30));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    const frame = r.lastFrame()!;
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(frame).toContain('2026-11-22 14:02 UTC');
    expect(frame).toContain('123k flows');
    expect(frame).toContain('31 anomalies  scan:30 port-ddos-victim:1  sort');
    expect(frame).toContain('203.0.113.1 ');
    expect(frame).toContain('2375-1-40');
    expect(frame).toContain('Scan or intrusion');
    r.unmount();
  });

  it('zh-TW labels with correct widths', async () => {
    const { backend } = fakeBackend(window(3));
    const r = render(<App backend={backend} lang="zh-TW" size={{ w: 80, h: 24 }} />);
    await tick();
    const frame = r.lastFrame()!;
    expect(frame).toContain('疑似大範圍掃瞄或入侵');
    expect(frame).toContain('疑似被分散式攻擊特…');
    expect(frame).toContain('類型');
    // The header's counts name the types in the operator's language, not by their keys.
    expect(frame).toContain('4 異常  掃瞄:3 Port被DDoS:1  排序:分數');
    expect(frame).not.toContain('scan:');
    r.unmount();
  });

  it('Enter opens the detail with bars and percentages; Esc returns', async () => {
    const { backend } = fakeBackend(window(3));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    r.stdin.write('\r');
    await tick();
    const frame = r.lastFrame()!;
    expect(frame).toContain('Destination ports (2)');
    expect(frame).toMatch(/2375\s+█+\s+100\.0%/);
    expect(frame).toContain('Packets per flow (3)');
    expect(frame).toMatch(/1\s+█+.*98\.6%/);
    r.stdin.write('\u001b');
    await tick();
    expect(r.lastFrame()).toContain('203.0.113.2');
    r.unmount();
  });

  it('a window analysed within its memory budget says so: in the header, and in a sampled victim\'s detail', async () => {
    const w = window(2);
    w.degraded = { victimSources: { limit: 8192, candidates: 1, largest: 1_200_000 } };
    w.anomalies.at(-1)!.victim = { distinctSources: 1_200_000, spoofedShare: 0.97, sampledSources: 8192 };
    const { backend } = fakeBackend(w);
    const r = render(<App backend={backend} lang="en" size={{ w: 100, h: 40 }} />);
    await tick();
    expect(r.lastFrame()).toContain('DEGRADED');
    r.stdin.write('G');
    await tick();
    r.stdin.write('\r');
    await tick();
    const frame = r.lastFrame()!.replace(/\s+/g, ' ');
    expect(frame).toContain('1,200,000 distinct sources; the spoofed share is estimated from a uniform sample of 8,192');
    expect(frame).toContain('window analysed within its memory budget: sources of 1 victim(s) sampled (over 8,192; largest 1,200,000)');
    r.unmount();
  });

  it('a victim shows its entry points ranked', async () => {
    const { backend } = fakeBackend(window(2));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    r.stdin.write('G');
    await tick();
    r.stdin.write('\r');
    await tick();
    const frame = r.lastFrame()!;
    expect(frame).toContain('Entry points');
    expect(frame).toMatch(/127\.0\.0\.2#7\s+[█▏▎▍▌▋▊▉]+\s+80\.0%/);
    r.unmount();
  });

  it('/ filters the list, ? lists every key of the key table', async () => {
    const { backend } = fakeBackend(window(12));
    const r = render(<App backend={backend} lang="en" size={{ w: 100, h: 40 }} />);
    await tick();
    r.stdin.write('/');
    await tick();
    for (const ch of '192.0') { r.stdin.write(ch); await tick(5); }
    await tick();
    let frame = r.lastFrame()!;
    expect(frame).toContain('192.0.2.10');
    expect(frame).not.toContain('203.0.113.1 ');
    r.stdin.write('\r');
    await tick();
    r.stdin.write('?');
    await tick();
    frame = r.lastFrame()!;
    // One line per action, a blank line, a heading, one line per `:` command.
    expect(helpLines('en')).toHaveLength(ACTIONS.length + 2 + ALL_COMMANDS.length);
    for (const a of ACTIONS.filter((x) => x.id !== 'command')) expect(frame, a.id).toContain(a.en.slice(0, 20));
    r.unmount();
  });

  it('at 80x24 the help scrolls with j', async () => {
    const { backend } = fakeBackend(window(2));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    r.stdin.write('?');
    await tick();
    const total = ACTIONS.length + 2 + ALL_COMMANDS.length;
    expect(r.lastFrame()).toContain(`1-18 of ${total}`);
    expect(r.lastFrame()).not.toContain('quit');
    for (let i = 0; i < 8; i++) { r.stdin.write('j'); await tick(5); }
    await tick();
    expect(r.lastFrame()).toContain('quit');
    r.unmount();
  });

  it('Space marks rows, f asks a reason and sends one verdict per marked row', async () => {
    const { backend, calls } = fakeBackend(window(5));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    r.stdin.write(' ');
    await tick();
    r.stdin.write(' ');
    await tick();
    expect(r.lastFrame()).toContain('2 marked');
    r.stdin.write('f');
    await tick();
    for (const ch of 'scanner') { r.stdin.write(ch); await tick(5); }
    r.stdin.write('\r');
    await tick();
    const v = calls.filter((c) => c.method === 'verdict.set');
    expect(v.map((c) => c.params)).toEqual([
      { ip: '203.0.113.1', type: 'scan', reason: 'scanner' },
      { ip: '203.0.113.2', type: 'scan', reason: 'scanner' },
    ]);
    r.unmount();
  });

  it('i investigates the selected IP and shows progress then peers; b says why it is disabled', async () => {
    const { backend, calls, emit } = fakeBackend(window(3));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    r.stdin.write('b');
    await tick();
    expect(r.lastFrame()).toContain('FlowSpec is not available: the engine has no block.* handlers');
    r.stdin.write('i');
    await tick();
    expect(calls.find((c) => c.method === 'investigate.start')!.params).toMatchObject({ target: '203.0.113.1' });
    emit('investigate.progress', { id: 7, filesDone: 3, filesTotal: 12, flows: 4000 });
    await tick();
    expect(r.lastFrame()).toContain('3/12 files');
    emit('investigate.result', { id: 7, history: [], summary: { target: '203.0.113.1/32', source: 'nfcapd', from: 0, to: 1, files: 12, flows: 5000, packets: 5000, bytes: 200000, asSource: 5000, asDestination: 0, topPeers: [{ ip: '198.51.100.99', flows: 42, bytes: 1680 }], topPorts: [{ proto: 6, port: 2375, flows: 5000 }], protocols: [{ proto: 6, flows: 5000 }], series: [{ t: 0, flows: 10 }, { t: 60000, flows: 20 }], reading: { indexedFiles: 12, blocks: 276, blocksUnread: 264 } } });
    await tick();
    const frame = r.lastFrame()!;
    expect(frame).toContain('200kB in 12 files');
    expect(frame).toContain('block index: 264 of 276 blocks not read');
    expect(frame).toContain('198.51.100.99');
    expect(frame).toContain('TCP/2375');
    expect(frame).toContain('ARP/MAC lookups are not available: the engine has no devices.where handler');
    r.unmount();
  });

  it('e exports the marked anomalies to a JSON file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-export-'));
    process.env.NOCFLOW_EXPORT_DIR = dir;
    const { backend } = fakeBackend(window(5));
    const r = render(<App backend={backend} lang="en" size={{ w: 100, h: 24 }} />);
    await tick();
    r.stdin.write(' ');
    await tick();
    r.stdin.write(' ');
    await tick();
    r.stdin.write('e');
    await tick();
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    const doc = JSON.parse(fs.readFileSync(path.join(dir, files[0]), 'utf8'));
    expect(doc.timeSlot).toBe(5984521);
    expect(doc.anomalies.map((a: { ip: string }) => a.ip)).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(doc.anomalies[0]).not.toHaveProperty('history');
    expect(r.lastFrame()).toContain('2 anomaly(ies) exported to');
    delete process.env.NOCFLOW_EXPORT_DIR;
    r.unmount();
  });

  it(':panic needs the typed word before it withdraws everything', async () => {
    const { backend, calls } = fakeBackend(window(2));
    const r = render(<App backend={backend} lang="en" size={{ w: 100, h: 24 }} />);
    await tick();
    const type = async (text: string) => {
      r.stdin.write(':');
      await tick(5);
      for (const ch of text) { r.stdin.write(ch); await tick(2); }
      r.stdin.write('\r');
      await tick();
    };
    await type('panic');
    expect(r.lastFrame()).toContain('type :panic WITHDRAW-ALL');
    expect(calls.filter((c) => c.method === 'block.panic')).toHaveLength(0);
    await type('panic WITHDRAW-ALL');
    expect(calls.filter((c) => c.method === 'block.panic')).toHaveLength(1);
    expect(r.lastFrame()).toContain('2 rule(s) withdrawn');
    r.unmount();
  });

  it('the Blocks view lists the rules and the latest audit entries', async () => {
    const { backend } = fakeBackend(window(2), {
      'block.list': () => [{ id: 3, text: 'ipv4 src 203.0.113.1/32 tcp dport 2375 → discard', action: 'discard', who: 'alice', reason: 'scan', createdAt: Date.now() - 60_000, expiresAt: Date.now() + 1_740_000, status: 'active' }],
      'block.propose': () => ({ proposals: [] }),
      'audit.list': () => [{ id: 9, at: Date.UTC(2026, 10, 22, 14, 5), who: 'alice', action: 'announce', blockId: 3, rule: 'ipv4 src 203.0.113.1/32 tcp dport 2375 → discard', reason: 'scan 203.0.113.1' }],
    });
    const r = render(<App backend={backend} lang="en" size={{ w: 100, h: 30 }} />);
    await tick(60);
    r.stdin.write('B');
    await tick(60);
    const frame = r.lastFrame()!;
    expect(frame).toContain('FlowSpec blocks (1)');
    expect(frame).toContain('Audit (latest first');
    expect(frame).toMatch(/11-22 14:05 alice announce #3 ipv4 src 203\.0\.113\.1\/32/);
    r.unmount();
  });

  it('p pauses: a new window waits until resume', async () => {
    const fb = fakeBackend(window(2));
    const r = render(<App backend={fb.backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    r.stdin.write('p');
    await tick();
    expect(r.lastFrame()).toContain('PAUSED');
    r.unmount();
  });

  it('an investigation\'s error (the ES server\'s words) is drawn without its control characters', async () => {
    const { backend, emit } = fakeBackend(window(2));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    r.stdin.write('i');
    await tick();
    emit('investigate.result', { id: 7, history: [], error: 'search_phase_execution_exception\u001b[2J\u001b]0;pwned\u0007 on netflow-2026.11.22' });
    await tick();
    const frame = r.lastFrame()!;
    expect(frame).toContain('search_phase_execution_exception');
    expect(frame).toContain('0;pwned on netflow-2026.11.22');
    expect(frame).not.toContain('\u001b[2J');
    expect(frame).not.toContain('\u001b]');
    expect(frame).not.toContain('\u0007');
    r.unmount();
  });

  it('strips control characters from network text', () => {
    const evil = anomaly(1, { ip: '203.0.113.1', unit: 'evil\u001b[2J\u0007unit' });
    const row = topRow(evil, 'en', 80, false);
    expect(row).not.toMatch(/[\u0000-\u001f]/);
    expect(row).toContain('evil…');
  });

  it('pure helpers: fit counts CJK as two cells; bars; sparklines', () => {
    expect(fit('連線對象過多', 8)).toBe('連線對… ');
    expect(fit('ab', 4, 'right')).toBe('  ab');
    expect(bar(0.5, 10)).toBe('█████     ');
    expect(bar(1, 4)).toBe('████');
    expect(sparkline([0, 1, 2, 4])).toBe('·▂▄█');
    expect(mainFeature(anomaly(1, { signature: undefined }))).toBe('TCP/2375 100.0%');
  });
});

describe('the block confirmation dialog', () => {
  it('wraps a rule (and a refusal) wider than the dialog instead of cutting it', async () => {
    const { ConfirmDialog } = await import('../../src/views/blocks-screen.js');
    const rule = 'rule: ipv6 src 2001:db8:1234:5678:9abc:def0:1234:5678/128 dst 2001:db8:ffff::/48 tcp dport 443 → discard';
    const r = render(<ConfirmDialog title="Block 1 address(es)?" lines={[rule]} refused={['10.0.0.1: inside address, never blocked by nocflow guards']} width={44} height={20} lang="en" />);
    const frame = r.lastFrame()!;
    const inner = frame.split('\n').slice(2, -2).map((l) => l.replace(/^│/, '').replace(/│$/, '').trim());
    expect(frame.split('\n').every((l) => l.length <= 44)).toBe(true);
    expect(inner.join(' ').replace(/\s+/g, '')).toContain(rule.replace(/\s+/g, ''));
    expect(inner.join(' ')).toContain('REFUSED: 10.0.0.1: inside address, never');
    expect(frame).not.toContain('…');
    r.unmount();
  });
});

describe('the detail of an ARP-confirmed prober', () => {
  it('states the unused addresses under the tracking sentence, in English and Traditional Chinese', async () => {
    const { DetailScreen } = await import('../../src/views/detail.js');
    const a = anomaly(7, { type: 'unused-probe', unusedProbe: { targets: ['10.20.100.0', '10.20.100.2'], total: 2, flows: 3, arpSlots: [5984520], reason: 'x' } });
    for (const [lang, want] of [
      ['en', 'ARP: sent 3 flows to 2 addresses no device resolves'],
      ['zh-TW', 'ARP確認：送出3筆Flow至2個無設備回應的位址'],
    ] as const) {
      const r = render(<DetailScreen a={a} lang={lang} width={120} slot={5984521} rows={3} />);
      const lines = r.lastFrame()!.split('\n');
      const at = lines.findIndex((l) => l.includes(want));
      const charts = lines.findIndex((l) => /^(Protocols|協定)/.test(l));
      expect(at).toBeGreaterThan(0);
      expect(at).toBeLessThan(charts); // under the tracking sentence, before the charts
      r.unmount();
    }
    const plain = render(<DetailScreen a={anomaly(7)} lang="en" width={120} slot={5984521} rows={3} />);
    expect(plain.lastFrame()).not.toContain('ARP:');
    plain.unmount();
  });
});
