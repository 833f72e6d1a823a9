/**
 * NO_COLOR: with colors forced on (as on a color terminal), frames carry color codes; with NO_COLOR set they carry
 * none, while the cursor stays visible (inverse video and the '>' marker). Its own file: chalk reads FORCE_COLOR when
 * first loaded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ViewWindow } from '../../src/tui/state.js';

process.env.FORCE_COLOR = '1';
const React = (await import('react')).default;
const { render } = await import('ink-testing-library');
const { App } = await import('../../src/tui/app.js');

const win: ViewWindow = {
  window: { timeSlot: 5984521, start: 5984521 * 300 - 150, end: 5984521 * 300 + 150 }, flows: 10, packets: 1, bytes: 1, distinctIps: 1,
  anomalies: [1, 2].map((i) => ({
    ip: `198.51.100.${i}`, role: 'attacker' as const, type: 'scan' as const, severity: i === 1 ? ('super' as const) : ('over' as const), score: 10 - i,
    metrics: { flows: 1, packets: 1, bytes: 1, distinctPeers: 1, distinctPorts: 1 },
    features: { protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: 22, share: 1 }], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 0, bytes: 0 }, synOnlyShare: 0, onePacket40Share: 0, serverLike: null, clientPortShare: 0, serverPortShare: 0 },
    evidence: [], history: [1, 0, 1],
  })),
};
const backend = { call: async <T,>(m: string): Promise<T> => (m === 'windows.latest' ? win : []) as T, on: () => () => undefined };
const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
/** Wait until the frame shows the list (the machine may be busy). */
async function listed(r: { lastFrame: () => string | undefined }): Promise<string> {
  for (let i = 0; i < 100 && !r.lastFrame()?.includes('198.51.100.2'); i++) await tick(20);
  return r.lastFrame()!;
}
// SGR color parameters: 30–37, 39, 90–97 (foreground), 40–47, 49, 100–107 (background), 38;… / 48;… (extended).
const COLOR_SGR = /\u001b\[(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;

afterEach(() => {
  delete process.env.NO_COLOR;
});

describe('NO_COLOR', () => {
  it('colors are drawn on a color terminal', async () => {
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    expect(await listed(r)).toMatch(COLOR_SGR);
    r.unmount();
  });

  it('NO_COLOR removes every color; the cursor stays visible', async () => {
    process.env.NO_COLOR = '1';
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    const frame = await listed(r);
    expect(frame).not.toMatch(COLOR_SGR);
    expect(frame).toContain('\u001b[7m'); // inverse video on the selected row
    expect(frame).toMatch(/> !!\s+Scan or intrusion\s+198\.51\.100\.1/);
    r.unmount();
  });
});
