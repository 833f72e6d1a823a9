/**
 * More screens through ink-testing-library: FlowSpec block / unblock with the confirmation dialog, the Blocks view,
 * ARP/MAC and blocks sections of Investigate, the reconnect banner, 160x48 layouts, :window travel and :lang.
 */
import { describe, expect, it } from 'vitest';
import React from 'react';
import stringWidth from 'string-width';
import { render } from 'ink-testing-library';
import { App, type Backend } from '../../src/tui/app.js';
import type { ViewAnomaly, ViewWindow } from '../../src/tui/state.js';
import { flowspecHandlers } from '../../src/flowspec/area.js';
import { createBlockService } from '../../src/flowspec/service.js';
import type { Speaker } from '../../src/flowspec/gobgp.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { openDb } from '../../src/store/db.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';

const feats = (port: number) => ({
  protocols: [{ value: 6, share: 0.75 }, { value: 17, share: 0.25 }], dstPorts: [{ value: port, share: 0.6 }, { value: 80, share: 0.4 }], packets: [{ value: 1, share: 0.5 }], bytes: [{ value: 40, share: 0.5 }],
  tcpFlags: [{ value: '......S.', share: 0.9 }], distinct: { protocols: 2, dstPorts: 2, packets: 1, bytes: 1 }, synOnlyShare: 0.9, onePacket40Share: 0.5, serverLike: false, clientPortShare: 1, serverPortShare: 0,
});
const anomaly = (i: number, p: Partial<ViewAnomaly> = {}): ViewAnomaly => ({
  ip: `198.51.100.${i}`, role: 'attacker', type: 'scan', severity: 'over', score: 100 - i, evidence: [{ indicator: 'distinct destinations', value: 5000, threshold: 1000, ratio: 5 }],
  metrics: { flows: 100 * i, packets: 100, bytes: 4000 * (10 - i), distinctPeers: 5000 + i, distinctPorts: 2 }, features: feats(22), history: [1, 1, 1], ...p,
});
const win = (n: number, slot = 5984521): ViewWindow => ({
  window: { timeSlot: slot, start: slot * 300 - 150, end: slot * 300 + 150 }, flows: 5000, packets: 1, bytes: 1, distinctIps: 10,
  anomalies: Array.from({ length: n }, (_, i) => anomaly(i + 1)),
});

class CodeError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function fake(w: ViewWindow, extra: Record<string, (p: unknown) => unknown> = {}) {
  const calls: { method: string; params: unknown }[] = [];
  const listeners = new Map<string, ((d: unknown) => void)[]>();
  const states: ((s: 'connecting' | 'connected' | 'reconnecting' | 'closed') => void)[] = [];
  const backend: Backend = {
    async call<T>(method: string, params?: unknown): Promise<T> {
      calls.push({ method, params });
      if (extra[method]) return extra[method](params) as T;
      if (method === 'windows.latest') return w as T;
      if (method === 'verdict.list') return [] as T;
      throw new CodeError('NO_METHOD', `unknown method ${method}`);
    },
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return () => undefined;
    },
    onState(fn) {
      states.push(fn);
      return () => undefined;
    },
  };
  return { backend, calls, setState: (s: 'reconnecting' | 'connected') => states.forEach((f) => f(s)) };
}

const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
async function keys(r: ReturnType<typeof render>, ...ks: string[]) {
  for (const k of ks) {
    r.stdin.write(k);
    await tick(15);
  }
  await tick();
}

const RULE = 'ipv4 src 198.51.100.1/32 → discard';
const quiet: Speaker = { announce: async () => undefined, withdraw: async () => undefined, withdrawText: async () => undefined, list: async () => ({ 4: [], 6: [] }) };

/**
 * The engine's real FlowSpec handlers (src/flowspec/area.ts) over a real block service (SQLite in memory; the speaker
 * records nothing): the TUI is tested against the shapes the engine sends, not a contract of the test's own.
 * `refuse` protects 198.51.100.2, so the guard refuses it.
 */
function flowspecEngine(opts: { refuse?: boolean; now?: () => number } = {}) {
  const cfg = { ...flowspecDefaults, enabled: true, maxChangesPerMinute: 100, protectedPrefixes: opts.refuse ? ['198.51.100.2/32'] : [] };
  const svc = createBlockService(openDb(':memory:'), quiet, cfg, opts.now);
  const table = flowspecHandlers(svc, cfg, { latestFiles: () => [], source: createNfdumpSource(), inside: [] });
  const handlers = Object.fromEntries(Object.entries(table).map(([k, h]) => [k, (p: unknown) => h(p, { user: 'tester' })]));
  return { svc, handlers };
}

describe('FlowSpec from the TUI', () => {
  it('b shows the exact rule and impact; y announces it; the Blocks view lists it; u withdraws it', async () => {
    const eng = flowspecEngine({ now: () => Date.now() - 120_000 });
    const { backend, calls } = fake(win(3), eng.handlers);
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    await keys(r, 'b');
    let frame = r.lastFrame()!;
    expect(frame).toContain('Block 1 address(es) with FlowSpec?');
    expect(frame).toContain(`rule: ${RULE}`);
    expect(frame).toContain('no window file to preview against');
    expect(frame).toContain('attacker: all its traffic is discarded');
    expect(calls.filter((c) => c.method === 'block.add')).toHaveLength(0);
    await keys(r, 'y');
    await tick();
    expect(calls.filter((c) => c.method === 'block.add')).toHaveLength(1);
    expect(r.lastFrame()).toContain('1 rule(s) announced');
    await keys(r, 'B');
    frame = r.lastFrame()!;
    expect(frame).toContain('FlowSpec blocks (1)');
    expect(frame).toContain('ipv4 src 198.51.100.1/32');
    expect(frame).toContain('tester');
    expect(frame).toMatch(/\n  src 198\.51\.100\.1\/32\s+discard\s+28m\s+—\n/);
    expect(frame).toContain('why: scan 198.51.100.1');
    expect(eng.svc.list().map((b) => [b.text, b.status, b.who])).toEqual([[RULE, 'active', 'tester']]);
    await keys(r, 'u');
    expect(r.lastFrame()).toContain('Withdraw 1 FlowSpec rule(s)?');
    await keys(r, 'n');
    expect(calls.filter((c) => c.method === 'block.remove')).toHaveLength(0);
    await keys(r, 'u', 'y');
    await tick();
    expect(calls.find((c) => c.method === 'block.remove')?.params).toEqual({ id: '1' });
    expect(eng.svc.list()).toEqual([]);
    expect(r.lastFrame()).toContain('no FlowSpec rules are announced');
    r.unmount();
  });

  it('marked rows are proposed together and a refusal is shown with its reason', async () => {
    const eng = flowspecEngine({ refuse: true });
    const { backend, calls } = fake(win(3), eng.handlers);
    const r = render(<App backend={backend} lang="en" size={{ w: 100, h: 30 }} />);
    await tick();
    await keys(r, ' ', ' ', 'b');
    const frame = r.lastFrame()!;
    expect((calls.find((c) => c.method === 'block.propose')!.params as { anomalies: { ip: string }[] }).anomalies.map((a) => a.ip)).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(frame).toContain('REFUSED: 198.51.100.2: source 198.51.100.2/32 overlaps protected prefix 198.51.100.2/32');
    expect(frame).toContain(`rule: ${RULE}`);
    await keys(r, 'y');
    await tick();
    expect(calls.filter((c) => c.method === 'block.add')).toHaveLength(1);
    r.unmount();
  });

  it('without FlowSpec handlers b and u say why, and Blocks shows an honest empty state', async () => {
    const { backend, calls } = fake(win(2));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    await keys(r, 'b');
    expect(r.lastFrame()).toContain('FlowSpec is not available');
    expect(calls.some((c) => c.method === 'block.propose')).toBe(false);
    await keys(r, 'B');
    expect(r.lastFrame()).toContain('the engine has no block.* handlers');
    await keys(r, 'u');
    expect(calls.some((c) => c.method === 'block.remove')).toBe(false);
    r.unmount();
  });
});

describe('Investigate sections and connection', () => {
  it('ARP/MAC rows from devices.where and the rules covering the address', async () => {
    const eng = flowspecEngine();
    await eng.svc.add({ source: '198.51.100.0/24' }, { user: 'alice' }, { reason: 'ssh' });
    await eng.svc.add({ source: '203.0.113.9' }, { user: 'alice' }, { reason: 'not this one' });
    const { backend, calls } = fake(win(2), {
      ...eng.handlers,
      'investigate.start': () => ({ id: 3, from: 0, to: 1 }),
      'devices.where': () => ({
        query: '198.51.100.1', kind: 'ip', history: true,
        rows: [
          { source: 'arp', device: 'core-sw1', ip: '198.51.100.1', mac: '02:00:00:00:00:01', interface: 'Vlan20', port: '', vlan: 20, state: 'Dynamic', firstSeen: Date.UTC(2026, 10, 21, 8, 0), lastSeen: Date.UTC(2026, 10, 21, 9, 0), current: false },
          { source: 'arp', device: 'core-sw1', ip: '198.51.100.1', mac: 'aa:bb:cc:00:11:22', interface: 'Vlan20', port: 'Gi1/0/7', vlan: 20, state: 'Dynamic', firstSeen: Date.UTC(2026, 10, 22, 13, 0), lastSeen: Date.UTC(2026, 10, 22, 13, 55), current: true },
        ],
        findings: [{ kind: 'ip-moved-mac', reason: 'IP 198.51.100.1 answered from 2 MACs: 02:00:00:00:00:01 → aa:bb:cc:00:11:22' }],
      }),
    });
    const r = render(<App backend={backend} lang="en" size={{ w: 160, h: 48 }} />);
    await tick();
    await keys(r, 'i');
    await tick();
    const frame = r.lastFrame()!;
    expect(calls.filter((c) => c.method === 'devices.where').at(-1)?.params).toEqual({ ip: '198.51.100.1', history: true });
    // Current binding first (●), the past one after (·), each with state and first→last seen; the finding above them.
    const lines = frame.split('\n');
    const cur = lines.findIndex((l) => l.includes('● aa:bb:cc:00:11:22  core-sw1  Vlan20 Gi1/0/7 vlan 20  Dynamic  11-22 13:00→13:55'));
    const past = lines.findIndex((l) => l.includes('· 02:00:00:00:00:01  core-sw1  Vlan20 vlan 20  Dynamic  11-21 08:00→09:00'));
    const finding = lines.findIndex((l) => l.includes('! IP 198.51.100.1 answered from 2 MACs: 02:00:00:00:00:01 → aa:bb:cc:00:11:22'));
    expect([cur > 0, past === cur + 1, finding > 0 && finding < cur]).toEqual([true, true, true]);
    // The engine's own answer (block.covering): the /24 rule covers the investigated address inside it.
    expect(calls.find((c) => c.method === 'block.covering')?.params).toEqual({ target: '198.51.100.1' });
    expect(frame).toContain('ipv4 src 198.51.100.0/24 → discard  alice  ssh');
    expect(frame).not.toContain('203.0.113.9');
    r.unmount();
  });

  it('a prefix gets no ARP/MAC lookup: the section says why instead of asking devices.where', async () => {
    const { backend, calls } = fake(win(2), { 'investigate.start': () => ({ id: 5, from: 0, to: 1 }), 'devices.where': () => ({ rows: [] }) });
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    await keys(r, ':', ...'investigate 10.0.0.0/8'.split(''), '\r');
    await tick();
    expect(r.lastFrame()).toContain('(ARP/MAC lookups take one address; investigate an IP for them)');
    // (the capability probe at start asks about 127.0.0.1; nothing else)
    const lookups = () => calls.filter((c) => c.method === 'devices.where' && (c.params as { ip: string }).ip !== '127.0.0.1');
    expect(lookups()).toHaveLength(0);
    await keys(r, '\u001b');
    await tick();
    await keys(r, ':', ...'investigate 10.0.0.9/32'.split(''), '\r');
    await tick();
    expect(lookups().map((c) => c.params)).toEqual([{ ip: '10.0.0.9/32', history: true }]);
    expect(r.lastFrame()).toContain('(no device has seen this address)');
    r.unmount();
  });

  it('Esc cancels a running investigation (investigate.cancel with its id) and goes back', async () => {
    const { backend, calls } = fake(win(2), { 'investigate.start': () => ({ id: 41, from: 0, to: 1 }), 'investigate.cancel': () => ({ cancelled: true }) });
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    await keys(r, ':', ...'investigate 10.0.0.0/8 2h'.split(''), '\r');
    await tick();
    const start = calls.find((c) => c.method === 'investigate.start')!.params as { target: string; from: number; to: number };
    expect(start.target).toBe('10.0.0.0/8');
    expect(start.to - start.from).toBe(2 * 3_600_000);
    expect(r.lastFrame()).toContain('querying nfcapd files');
    await keys(r, '\u001b');
    await tick(100);
    expect(calls.find((c) => c.method === 'investigate.cancel')?.params).toEqual({ id: 41 });
    expect(r.lastFrame()).toContain('198.51.100.1');
    r.unmount();
  });

  it(':investigate refuses what is not an IP or prefix, without asking the engine', async () => {
    const { backend, calls } = fake(win(2), { 'investigate.start': () => ({ id: 1, from: 0, to: 1 }) });
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    await keys(r, ':', ...'investigate 300.1.2.3'.split(''), '\r');
    expect(calls.some((c) => c.method === 'investigate.start')).toBe(false);
    expect(r.lastFrame()).toContain('198.51.100.1');
    expect(r.lastFrame()).toMatch(/300\.1\.2\.3/);
    r.unmount();
  });

    it('an engine restart shows the reconnecting banner, then clears it', async () => {
    const f = fake(win(2));
    const r = render(<App backend={f.backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    f.setState('reconnecting');
    await tick();
    expect(r.lastFrame()).toContain('engine restarted or went away — reconnecting');
    expect(r.lastFrame()).toContain('198.51.100.1');
    f.setState('connected');
    await tick();
    expect(r.lastFrame()).not.toContain('reconnecting…');
    r.unmount();
  });

  it('160x48 uses the room: wider columns, side-by-side charts, every line within the width', async () => {
    const { backend } = fake({ ...win(40), anomalies: [anomaly(1, { unit: '國立臺灣大學', asn: 17716 }), ...win(40).anomalies.slice(1)] });
    const r = render(<App backend={backend} lang="zh-TW" size={{ w: 160, h: 48 }} />);
    await tick();
    let lines = r.lastFrame()!.split('\n');
    expect(lines.length).toBeLessThanOrEqual(48);
    expect(lines.every((l) => stringWidth(l) <= 160)).toBe(true);
    expect(r.lastFrame()).toContain('國立臺灣大學');
    expect(lines.filter((l) => /198\.51\.100\.\d+/.test(l)).length).toBeGreaterThan(35);
    await keys(r, '\r');
    lines = r.lastFrame()!.split('\n');
    // Protocols and packets-per-flow charts side by side on one line.
    expect(lines.some((l) => l.includes('協定') && l.includes('Packet特徵'))).toBe(true);
    expect(lines.every((l) => stringWidth(l) <= 160)).toBe(true);
    r.unmount();
  });

  it('keys that arrive in one read act one by one (typed ahead over SSH): "j\\r" opens the second row, ":blocks\\r" the blocks', async () => {
    const { backend } = fake(win(2), flowspecEngine().handlers);
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    for (let i = 0; i < 50 && !/Scan or intrusion/.test(r.lastFrame() ?? ''); i++) await tick(20);
    const rows = r.lastFrame()!.split('\n').filter((l) => /Scan or intrusion/.test(l));
    expect(rows).toHaveLength(2);
    const second = /(\d+\.\d+\.\d+\.\d+)/.exec(rows[1])![1];
    r.stdin.write('j\r');
    await tick(50);
    expect(r.lastFrame()).toMatch(new RegExp(`Attacker ${second.replace(/\./g, '\\.')}`));
    r.stdin.write('\u001b');
    await tick(50);
    r.stdin.write(':blocks\r');
    await tick(80);
    expect(r.lastFrame()).not.toContain(':blocks');
    expect(r.lastFrame()).toContain('FlowSpec blocks (');
    r.unmount();
  });

  it(':window -3 travels back (live updates stop), :window live returns; :lang switches labels', async () => {
    const old = win(1, 5984500);
    const { backend, calls } = fake(win(2), { 'windows.get': () => old });
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    await keys(r, ':', 'w', 'i', '\t', ' ', '-', '3', '\r'); // Tab completes "wi" to "window" (also :windows)
    await tick();
    expect(calls.find((c) => c.method === 'windows.get')?.params).toEqual({ ref: '-3' });
    expect(r.lastFrame()).toContain('HISTORY');
    expect(r.lastFrame()).toContain('2026-11-22 12:17');
    await keys(r, ':', 'w', 'i', 'n', 'd', 'o', 'w', ' ', 'l', 'i', 'v', 'e', '\r');
    await tick();
    expect(r.lastFrame()).not.toContain('HISTORY');
    await keys(r, ':', 'l', 'a', 'n', 'g', ' ', 'z', '\t', '\r');
    expect(r.lastFrame()).toContain('疑似大範圍掃瞄或入侵');
    await keys(r, ':', '\u001b[A');
    expect(r.lastFrame()).toContain(':lang zh-TW');
    r.unmount();
  });
});
