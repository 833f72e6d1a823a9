import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { BlocksScreen } from '../../src/views/blocks-screen.js';
import { toBlockRows } from '../../src/views/blocks.js';
import { DetailScreen } from '../../src/views/detail.js';
import { mapScreen, type MapData } from '../../src/tui/screens/map.js';
import { initialState } from '../../src/tui/state.js';
import type { Anomaly } from '../../src/engine/types.js';

const NOW = Date.UTC(2026, 11, 1, 14, 30);
const T0 = Date.UTC(2026, 11, 1, 14, 0) / 1000;
const effect = (k: number, packets: number) => ({ timeSlot: 1, start: T0 + k * 300, seconds: 300, flows: packets, packets, bytes: packets * 60, twoWayFlows: 0, oneWayFlows: packets, victim: { flows: packets, packets, bytes: 0 } });
const engineRow = {
  id: 3, text: 'ipv4 dst 192.0.2.10/32 tcp dport 80 → rate-limit 1000000 B/s at 127.0.0.2', action: 'rate-limit 1000000 B/s', status: 'active', who: 'alice',
  reason: 'port-ddos-victim 192.0.2.10', createdAt: NOW - 20 * 60_000, expiresAt: NOW + 10 * 60_000,
  baseline: effect(0, 60000), effect: [effect(1, 58000), effect(2, 59000)], matched: effect(2, 59000),
  advice: { kind: 'not-applied', ratio: 0.98, windows: 2 }, routers: ['127.0.0.2'], scope: { covered: 0.802, chosen: [], skipped: [], threshold: 0.2 },
};

describe('the Blocks view with effects (plain pictures)', () => {
  it('80x24: target uncut, matched and the advice in the table; before/after, routers and the chart below', () => {
    const rows = toBlockRows([engineRow]);
    const r = render(<BlocksScreen rows={rows} loading={false} selected={0} marks={new Set()} filter="" width={80} height={19} now={NOW} lang="en" />);
    const f = r.lastFrame()!;
    expect(f).toMatch(/MATCH\s+ACTION\s+EXPIRES\s+MATCHED/);
    expect(f).toMatch(/dst 192\.0\.2\.10\/32 tcp dport 80\s+rate 1\.0MB\/s\s+10m\s+59k !/);
    expect(f).toContain('by alice 20m ago; only at 127.0.0.2 (80.2% of the attack)');
    expect(f).toMatch(/last window 14:10: 59k flows, 59k packets \(59k one-way, 0 two-way\); before: 60k flows/);
    expect(f).toContain("victim's packets 60k → 59k");
    expect(f).toContain('the attack goes on at 98% of its rate before: the routers may not apply it');
    expect(f).toContain('Matched packets per window');
    expect(f).toMatch(/60k│/); // the plain column chart's scale
    r.unmount();
  });
  it('zh-TW and an idle rule', () => {
    const rows = toBlockRows([{ ...engineRow, matched: effect(3, 0), effect: [effect(3, 0)], advice: { kind: 'idle', windows: 3 } }]);
    const f = render(<BlocksScreen rows={rows} loading={false} selected={0} marks={new Set()} filter="" width={80} height={19} now={NOW} lang="zh-TW" />).lastFrame()!;
    expect(f).toMatch(/0 idle/);
    expect(f).toContain('連續 3 個時段沒有命中：可提前撤回（u）');
  });
});

describe('the detail chart (plain pictures)', () => {
  const a = { ip: '192.0.2.10', role: 'victim', type: 'port-ddos-victim', severity: 'over', score: 1, evidence: [], metrics: { flows: 10, packets: 10, bytes: 600, distinctPeers: 10, distinctPorts: 1 },
    features: { protocols: [], dstPorts: [], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 0, dstPorts: 0, packets: 0, bytes: 0 }, synOnlyShare: 1, onePacket40Share: 0, serverLike: false, clientPortShare: 1, serverPortShare: 0 } } as Anomaly;
  const to = Date.UTC(2026, 11, 1, 14, 10);
  const series = Array.from({ length: 60 }, (_, i) => ({ t: to - (60 - i) * 60_000, flows: i >= 55 ? 1000 : 0, packets: i >= 55 ? 2000 : 0, bytes: 0 }));
  it('draws the last hour and this window\'s totals; says so while reading and when nothing came', () => {
    const d = { from: to - 3_600_000, to, windowFrom: to - 300_000, running: false, series };
    let f = render(<DetailScreen a={a} lang="en" width={80} rows={3} series={d} />).lastFrame()!;
    expect(f).toContain('Flows per minute  [c: Packets per minute]  (max 1.0k)');
    expect(f).toContain('this window 14:05–14:10: 5.0k flows, 10k packets, 0B (right end)');
    expect(f).toMatch(/1\.0k│\s+█+/);
    f = render(<DetailScreen a={a} lang="en" width={80} rows={3} series={d} metric="packets" />).lastFrame()!;
    expect(f).toContain('Packets per minute  [c: Bytes per minute]  (max 2.0k)');
    f = render(<DetailScreen a={a} lang="en" width={80} rows={3} series={{ ...d, series: undefined, running: true }} />).lastFrame()!;
    expect(f).toContain("reading the last hour's nfcapd files for the chart… (13:10–14:10)");
    f = render(<DetailScreen a={a} lang="en" width={80} rows={3} series={{ ...d, series: series.map((p) => ({ ...p, flows: 0 })), stored: [{ t: to - 300_000, flows: 10, packets: 10, bytes: 600 }] }} />).lastFrame()!;
    expect(f).toContain('(from the stored windows: the nfcapd files of the hour gave nothing)');
  });
});

describe(':map', () => {
  const data: MapData = {
    start: T0, attackers: 3, flows: 1000,
    markers: [{ lat: 25, lon: 121.5, flows: 700, attackers: 1, ip: '140.110.26.68', country: 'TW' }, { lat: 39.9, lon: 116.4, flows: 290, attackers: 1, ip: '125.64.94.220', country: 'CN' }],
    countries: [{ country: 'TW', name: 'Taiwan', attackers: 1, flows: 700 }, { country: 'CN', name: 'China', attackers: 1, flows: 290 }],
    unknown: { attackers: 1, flows: 10 },
    data: { name: 'GeoLite2 City (MaxMind, via ip-location-db)', licence: 'CC BY-SA 4.0 and the GeoLite2 EULA', built: '2026-06-17' },
  };
  const props = { s: initialState('en'), data, width: 80, height: 19, lang: 'en' as const, selected: 0, marks: new Set<string>() };
  it('plain: the countries ranked with their shares, the unplaced counted, the data named (no map)', () => {
    const f = render(mapScreen.render(props)).lastFrame()!;
    expect(f).toContain('3 attackers in the window of 2026-12-01 14:00 UTC, 1.0k flows');
    expect(f).toMatch(/TW Taiwan\s+1\s+700\s+70\.0% █+/);
    expect(f).toMatch(/CN China\s+1\s+290\s+29\.0% █+/);
    expect(f).toContain('1 without a place (private, reserved or unknown)');
    expect(f).toContain('GeoIP: GeoLite2 City, CC BY-SA 4.0 + GeoLite2 EULA, 2026-06-17');
    expect(f).not.toMatch(/[\u2801-\u28ff]/);
  });
  it('braille: the map beside the list, the largest origin as @', () => {
    process.env.NOCFLOW_PICTURES = 'braille';
    try {
      const f = render(mapScreen.render(props)).lastFrame()!;
      const lines = f.split('\n');
      expect(lines.filter((l) => /[\u2801-\u28ff]/.test(l)).length).toBeGreaterThan(10);
      expect(f).toContain('@ O o .: most → fewest flows');
      const at = lines.findIndex((l) => /[\u2801-\u28ff ]@/.test(l));
      expect(at).toBeGreaterThan(3);
      expect(lines[at].indexOf('@')).toBeGreaterThan(30); // east of the middle of a 51-column map
      expect(f).toMatch(/TW Taiwan\s+1\s+700\s+70\.0%/);
    } finally {
      process.env.NOCFLOW_PICTURES = 'plain';
    }
  });
});
