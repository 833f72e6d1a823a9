/**
 * A partial window on screen (issue 10): the header of every screen says PARTIAL with the blocks read, and the
 * detail view says why and gives each exporter's sampling rate; a whole, unsampled window says nothing extra.
 */
import { describe, expect, it } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import { App, type Backend } from '../../src/tui/app.js';
import { windowReadLines } from '../../src/views/detail.js';
import type { ViewAnomaly, ViewWindow } from '../../src/tui/state.js';

const anomaly: ViewAnomaly = {
  ip: '192.0.2.10', role: 'victim', type: 'port-ddos-victim', severity: 'over', score: 10,
  evidence: [{ indicator: 'distinct sources', value: 5000, threshold: 1000, ratio: 5 }],
  metrics: { flows: 5000, packets: 5000, bytes: 200000, distinctPeers: 5000, distinctPorts: 1 },
  features: {
    protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: 80, share: 1 }], packets: [{ value: 1, share: 1 }], bytes: [{ value: 40, share: 1 }], tcpFlags: [{ value: '......S.', share: 1 }],
    distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0,
  },
  entryPoints: [{ exporter: '127.0.0.2', interface: 0x1a000000, flows: 5000, share: 1 }],
  victim: { distinctSources: 5000, spoofedShare: 0 },
  history: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
};
const base: ViewWindow = { window: { timeSlot: 5984521, start: 1795356150, end: 1795356450 }, flows: 18078, packets: 1, bytes: 1, distinctIps: 10, anomalies: [anomaly] };
const partial: ViewWindow = {
  ...base,
  partial: { reason: 'block 4 of 5: block runs past the end of the data', blocksRead: 3, blocksExpected: 5 },
  exporters: [{ ip: '127.0.0.2', samplingRate: 100 }, { ip: '127.0.0.3', samplingRate: 1 }],
};

function backendOf(win: ViewWindow): Backend {
  return {
    async call<T>(method: string): Promise<T> {
      if (method === 'windows.latest' || method === 'windows.get') return win as T;
      if (method === 'verdict.list') return [] as T;
      throw Object.assign(new Error(`unknown method ${method}`), { code: 'NO_METHOD' });
    },
    on: () => () => undefined,
  };
}
const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));

describe('partial window on screen', () => {
  it('the header says PARTIAL with the blocks read (en, zh-TW), at 80x24; the detail says why and the sampling rates', async () => {
    const r = render(<App backend={backendOf(partial)} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    const top = r.lastFrame()!;
    expect(top.split('\n')[0]).toContain('PARTIAL 3/5 blocks');
    expect(top.split('\n').every((l) => l.length <= 80)).toBe(true);
    r.stdin.write('\r');
    await tick();
    const detail = r.lastFrame()!.replace(/\n/g, ' ').replace(/\s+/g, ' ');
    expect(detail).toContain('PARTIAL 3/5 blocks');
    expect(detail).toContain('PARTIAL window: 3 of 5 blocks read (block 4 of 5: block runs past the end of the data); the counts are lower bounds');
    expect(detail).toContain('Exporters: 127.0.0.2 1:100, 127.0.0.3 unsampled (sampled volumes are estimates)');
    r.unmount();
    const zh = render(<App backend={backendOf(partial)} lang="zh-TW" size={{ w: 80, h: 24 }} />);
    await tick();
    expect(zh.lastFrame()!.split('\n')[0]).toContain('不完整 3/5 區塊');
    zh.unmount();
  });

  it('a whole window: no PARTIAL anywhere', async () => {
    const r = render(<App backend={backendOf(base)} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    expect(r.lastFrame()).not.toContain('PARTIAL');
    r.stdin.write('\r');
    await tick();
    expect(r.lastFrame()).not.toContain('PARTIAL');
    expect(r.lastFrame()).not.toContain('Exporters:');
    r.unmount();
  });

  it('windowReadLines: nothing for a whole window without exporters, the rate unknown said as such', () => {
    expect(windowReadLines(base, 'en')).toEqual([]);
    expect(windowReadLines(undefined, 'en')).toEqual([]);
    expect(windowReadLines({ exporters: [{ ip: '10.0.0.1' }] }, 'en')).toEqual(['Exporters: 10.0.0.1 rate unknown']);
    expect(windowReadLines({ exporters: [{ ip: '10.0.0.1', samplingRate: 512 }] }, 'zh-TW')).toEqual(['匯出器：10.0.0.1 1:512（取樣的流量為估計值）']);
  });
});
