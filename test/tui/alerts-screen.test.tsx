import { describe, expect, it } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { App, type Backend } from '../../src/tui/app.js';
import { alertLine, alertsBadge, channelCell } from '../../src/tui/screens/alerts.js';
import type { AlertView, DeliveryView } from '../../src/alerts/outbox.js';
import type { AlertsSummary } from '../../src/alerts/area.js';
import type { Anomaly } from '../../src/engine/types.js';

const SLOT = 5984521;
const anomaly = (ip: string): Anomaly => ({
  ip, role: 'attacker', type: 'scan', severity: 'over', score: 30, evidence: [{ indicator: 'distinct destinations', value: 20000, threshold: 1000, ratio: 20 }],
  metrics: { flows: 20000, packets: 20000, bytes: 800000, distinctPeers: 20000, distinctPorts: 1 },
  features: { protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: 2375, share: 0.99 }], packets: [{ value: 1, share: 1 }], bytes: [{ value: 40, share: 1 }], tcpFlags: [], distinct: { protocols: 1, dstPorts: 5, packets: 1, bytes: 1 }, synOnlyShare: 1, onePacket40Share: 0.98, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
  unit: 'NTU',
});
const d = (channel: DeliveryView['channel'], state: DeliveryView['state'], target = '', audience = 'noc', lastError: string | null = null): DeliveryView => ({ channel, target, audience, lang: 'en', state, attempts: state === 'sent' ? 1 : 3, nextAt: 0, lastError, sentAt: null, messageId: null });
const view = (id: string, ip: string, kind: string, deliveries: DeliveryView[], over: Partial<AlertView> = {}): AlertView => ({
  id, episode: id.slice(0, 16), kind, source: 'window', ip, type: 'scan', severity: 'over', unit: 'NTU', timeSlot: SLOT, createdAt: Date.parse('2026-11-22T14:10:07Z'), deliveries,
  doc: { id, episode: id.slice(0, 16), kind: kind as 'alert', source: 'window', ip, type: 'scan', role: 'attacker', severity: 'over', unit: 'NTU', timeSlot: SLOT, createdAt: 0, ...(kind === 'alert' ? { anomaly: anomaly(ip) } : {}) },
  ...over,
});

const ROWS: AlertView[] = [
  view('aaaaaaaaaaaaaaaa-e', '140.110.26.99', 'ended', [d('email', 'sent', 'noc@twaren.example'), d('syslog', 'sent')]),
  view('bbbbbbbbbbbbbbbb-a', '140.110.26.68', 'alert', [d('email', 'sent', 'noc@twaren.example'), d('email', 'pending', 'netadm@ntu.example', 'NTU', 'mail to netadm@ntu.example via smtp:587: connection refused (ECONNREFUSED)'), d('syslog', 'sent'), d('webhook', 'rejected', '', 'noc', 'webhook http://x/…: HTTP 400')]),
];

function backendWith(rows: AlertView[], summary: AlertsSummary) {
  const calls: { method: string; params: unknown }[] = [];
  const listeners = new Map<string, ((x: unknown) => void)[]>();
  const backend: Backend = {
    async call<T>(method: string, params?: unknown): Promise<T> {
      calls.push({ method, params });
      if (method === 'alerts.list') return rows as T;
      if (method === 'alerts.summary') return summary as T;
      if (method === 'windows.latest') return null as T;
      if (method === 'windows.get') return { window: { timeSlot: SLOT, start: SLOT * 300 - 150, end: SLOT * 300 + 150 }, flows: 9, packets: 9, bytes: 9, distinctIps: 2, anomalies: [anomaly('9.9.9.9'), anomaly('140.110.26.68')] } as T;
      if (method === 'investigate.start') return { id: 1, from: 0, to: 1 } as T;
      throw Object.assign(new Error(`unknown method ${method}`), { code: 'NO_METHOD' });
    },
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return () => undefined;
    },
  };
  return { backend, calls, emit: (e: string, x: unknown) => (listeners.get(e) ?? []).forEach((f) => f(x)) };
}

const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
const type = async (r: ReturnType<typeof render>, keys: string[]) => {
  for (const k of keys) {
    r.stdin.write(k);
    await tick(15);
  }
};

describe('the alerts screen', () => {
  it('rows (pure): channel progress, "!" when a delivery gave up, exact width also with CJK units', () => {
    expect(channelCell(ROWS[1].deliveries, 'en')).toBe('mail 1/2 sys 1/1 hook 0/1!');
    expect(channelCell(ROWS[1].deliveries, 'zh-TW')).toBe('信 1/2 sys 1/1 hook 0/1!');
    expect(channelCell([], 'en')).toBe('no channel');
    const line = alertLine(ROWS[1], 80, 'en');
    expect(line).toBe('14:10 alert   scan           140.110.26.68   NTU     mail 1/2 sys 1/1 hook 0/1!'.padEnd(80));
    expect(alertLine({ ...ROWS[1], severity: 'super', kind: 'reminder' }, 80, 'en').slice(0, 14)).toBe('14:10 remind! ');
    expect(alertLine({ ...ROWS[1], severity: 'super', kind: 'reminder' }, 80, 'zh-TW').slice(0, 12)).toBe('14:10 提醒!   ');
    expect(stringWidth(alertLine({ ...ROWS[1], unit: '國立臺灣大學計算機中心' }, 80, 'zh-TW'))).toBe(80);
    expect(alertLine(ROWS[1], 40, 'en')).toHaveLength(40);
    // From 100 columns the type, IP and unit columns widen (an IPv6 address, a long type are not cut).
    const wide = alertLine({ ...ROWS[1], type: 'port-ddos-victim', ip: '2001:db8:112:1::7' }, 160, 'en');
    expect(wide).toMatch(/^14:10 alert   port-ddos-victim   2001:db8:112:1::7 +NTU +mail 1\/2/);
    expect(wide).toHaveLength(160);
    expect(alertsBadge({ openEpisodes: 2, last24h: 7, pending: 1, failed: 0 }, 'en')).toBe('alerts 7/24h');
    expect(alertsBadge({ openEpisodes: 2, last24h: 7, pending: 1, failed: 2 }, 'zh-TW')).toBe('告警 7/24h（2 失敗）');
    expect(alertsBadge(undefined, 'en')).toBeUndefined();
  });

  it('the header counts alerts; :alerts lists them with the selected one\'s deliveries and errors', async () => {
    const { backend, calls, emit } = backendWith(ROWS, { openEpisodes: 1, last24h: 2, pending: 1, failed: 1 });
    const r = render(<App backend={backend} lang="en" size={{ w: 160, h: 24 }} />);
    await tick(80);
    expect(r.lastFrame()!.split('\n')[0]).toContain('alerts 2/24h (1 failed)');
    await type(r, [':', 'a', 'l', 'e', 'r', 't', 's', '\r']);
    await tick(80);
    const frame = r.lastFrame()!;
    expect(frame).toContain('Alerts (UTC, newest first; ! = super)');
    expect(frame).toMatch(/14:10 ended +scan +140\.110\.26\.99 +NTU +mail 1\/1 sys 1\/1/);
    expect(frame.split('\n').every((l) => l.length <= 160)).toBe(true);
    expect(frame).toContain('aaaaaaaaaaaaaaaa-e  ended: Scan or intrusion 140.110.26.99 (NTU)');
    await type(r, ['j']);
    await tick();
    const second = r.lastFrame()!;
    expect(second).toContain('bbbbbbbbbbbbbbbb-a  Scan or intrusion 140.110.26.68 (NTU): distinct destinations in 5 minutes: 20,000');
    expect(second).toContain('email noc@twaren.example sent, email netadm@ntu.example [NTU] pending ×3, syslog sent, webhook rejected');
    expect(second).toContain('email netadm@ntu.example: mail to netadm@ntu.example via smtp:587: connection refused');
    // A new alert: the list and the badge are read again.
    const before = calls.filter((c) => c.method === 'alerts.list').length;
    emit('alerts.new', { ids: ['x'], count: 1 });
    await tick();
    expect(calls.filter((c) => c.method === 'alerts.list').length).toBe(before + 1);
    r.unmount();
  });

  it('Enter on an alert opens its anomaly in its window; on an "ended" notice it investigates the IP', async () => {
    const { backend, calls } = backendWith(ROWS, { openEpisodes: 1, last24h: 2, pending: 0, failed: 0 });
    const r = render(<App backend={backend} lang="en" size={{ w: 100, h: 30 }} />);
    await tick(80);
    await type(r, [':', 'a', 'l', 'e', 'r', 't', 's', '\r']);
    await tick(80);
    await type(r, ['j', '\r']);
    await tick(120);
    expect(calls.filter((c) => c.method === 'windows.get').map((c) => c.params)).toEqual([{ timeSlot: SLOT }]);
    const detail = r.lastFrame()!;
    expect(detail).toContain('140.110.26.68');
    expect(detail).not.toContain('9.9.9.9');
    expect(detail).not.toContain('Alerts (UTC');
    // Back to the alerts list, first row (ended): Investigate.
    await type(r, ['\u001b']);
    await tick(60);
    await type(r, [':', 'a', 'l', 'e', 'r', 't', 's', '\r']);
    await tick(80);
    await type(r, ['k', '\r']);
    await tick(120);
    expect(calls.filter((c) => c.method === 'investigate.start').map((c) => (c.params as { target: string }).target)).toEqual(['140.110.26.99']);
    r.unmount();
  });

  it('speaks Traditional Chinese, and says so when the engine has no alerts area', async () => {
    const { backend } = backendWith(ROWS, { openEpisodes: 0, last24h: 2, pending: 0, failed: 0 });
    const r = render(<App backend={backend} lang="zh-TW" size={{ w: 100, h: 24 }} />);
    await tick(80);
    expect(r.lastFrame()!.split('\n')[0]).toContain('告警 2/24h');
    await type(r, [':', 'a', 'l', 'e', 'r', 't', 's', '\r']);
    await tick(80);
    expect(r.lastFrame()!).toContain('告警（UTC，新到舊；! = 嚴重）');
    expect(r.lastFrame()!).toMatch(/14:10 結束 +scan +140\.110\.26\.99/);
    expect(r.lastFrame()!).toContain('已結束：疑似大範圍掃瞄或入侵 140.110.26.99 (NTU)');
    r.unmount();
    const none: Backend = {
      async call<T>(method: string): Promise<T> {
        if (method === 'windows.latest') return null as T;
        throw Object.assign(new Error(`no such method: ${method}`), { code: 'NO_METHOD' });
      },
      on: () => () => undefined,
    };
    const r2 = render(<App backend={none} lang="en" size={{ w: 100, h: 24 }} />);
    await tick(80);
    expect(r2.lastFrame()!.split('\n')[0]).not.toContain('alerts');
    await type(r2, [':', 'a', 'l', 'e', 'r', 't', 's', '\r']);
    await tick(80);
    expect(r2.lastFrame()!).toContain('this engine has no alerts area');
    r2.unmount();
  });
});
