import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { batchFromRecords, flow } from '../../src/engine/batch.js';
import type { FlowRecord } from '../../src/engine/types.js';
import { EffectMeter, effectAdvice, type WindowEffect } from '../../src/flowspec/effect.js';
import { validateRule, type FlowSpecRule } from '../../src/flowspec/rule.js';
import { createFlowspecArea } from '../../src/flowspec/area.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { engineDefaults } from '../../src/config/sections/engine.js';
import { openDb } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { createEngineRunner } from '../../src/ingest/runner.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { generateScenario, writeFlowsFile, type ScenarioName } from '../../src/gen/index.js';
import { prefixContains, parsePrefix } from '../../src/util/ip.js';

/** The reference: what a rule matches, computed naively over plain records (not by the meter's code). */
function expected(rule: FlowSpecRule, flows: FlowRecord[], entries?: { exporter: string; interfaces?: number[] }[]) {
  const inP = (p: string | undefined, ip: string) => p === undefined || prefixContains(parsePrefix(p, { loose: true }), ip);
  const hit = flows.filter((f) => inP(rule.source, f.src) && inP(rule.destination, f.dst) && (rule.protocol === undefined || f.proto === rule.protocol) &&
    (rule.destinationPort === undefined || f.dport === rule.destinationPort) && (rule.sourcePort === undefined || f.sport === rule.sourcePort) &&
    (rule.packetLength === undefined || Math.round(f.bytes / Math.max(1, f.packets)) === rule.packetLength));
  const answers = new Set(flows.filter((f) => inP(rule.source, f.dst) && inP(rule.destination, f.src) && (rule.source || rule.destination)).map((f) => `${f.dst}|${f.src}`));
  const victim = rule.destination && !rule.source ? flows.filter((f) => inP(rule.destination, f.dst)) : undefined;
  const sum = (l: FlowRecord[], k: 'packets' | 'bytes') => l.reduce((s, f) => s + f[k], 0);
  return {
    flows: hit.length, packets: sum(hit, 'packets'), bytes: sum(hit, 'bytes'), twoWayFlows: hit.filter((f) => answers.has(`${f.src}|${f.dst}`)).length,
    ...(victim ? { victim: { flows: victim.length, packets: sum(victim, 'packets'), bytes: sum(victim, 'bytes') } } : {}),
    ...(entries ? { entryPackets: sum(hit.filter((f) => entries.some((e) => e.exporter === f.exporter && (!e.interfaces || e.interfaces.includes(f.inIf)))), 'packets') } : {}),
  };
}

const W = { start: 1_800_000_000, timeSlot: 6_000_000, seconds: 300 };

describe('the effect meter (pure, over batches)', () => {
  const flows: FlowRecord[] = [
    // An attacker's SSH attempts: one answered (a real conversation), two not.
    flow({ src: '198.51.100.7', dst: '192.0.2.1', dport: 22, packets: 3, bytes: 180 }),
    flow({ src: '192.0.2.1', dst: '198.51.100.7', sport: 22, dport: 40000, packets: 2, bytes: 120 }),
    flow({ src: '198.51.100.7', dst: '192.0.2.2', dport: 22, packets: 1, bytes: 60 }),
    flow({ src: '198.51.100.7', dst: '192.0.2.3', dport: 22, packets: 1, bytes: 60, exporter: '127.0.0.3', inIf: 5 }),
    flow({ src: '198.51.100.7', dst: '192.0.2.3', dport: 80, packets: 9, bytes: 900 }),
    // A victim flooded through two routers, plus one legitimate answered request on another port.
    ...Array.from({ length: 50 }, (_, i) => flow({ src: `203.0.113.${i + 1}`, dst: '192.0.2.10', proto: 17, dport: 53, packets: 2, bytes: 1200, exporter: i % 5 ? '127.0.0.2' : '127.0.0.4', inIf: 7 })),
    flow({ src: '203.0.113.200', dst: '192.0.2.10', proto: 6, dport: 443, packets: 10, bytes: 4000 }),
    flow({ src: '192.0.2.10', dst: '203.0.113.200', proto: 6, sport: 443, dport: 40000, packets: 12, bytes: 9000 }),
    // IPv6, a /120 source prefix, and a packet-length rule.
    flow({ src: '2001:db8::7', dst: '2001:db8:1::1', proto: 17, dport: 123, packets: 4, bytes: 304 }),
    flow({ src: '2001:db8:1::1', dst: '2001:db8::7', proto: 17, sport: 123, dport: 123, packets: 4, bytes: 304 }),
    flow({ src: '198.51.100.130', dst: '192.0.2.9', dport: 1433, packets: 3, bytes: 152 }),
    flow({ src: '198.51.100.140', dst: '192.0.2.9', dport: 1433, packets: 3, bytes: 200 }),
  ];
  const rules: { id: number; rule: FlowSpecRule; entries?: { exporter: string; interfaces?: number[] }[] }[] = [
    { id: 1, rule: validateRule({ source: '198.51.100.7', protocol: 'tcp', destinationPort: 22 }) },
    { id: 2, rule: validateRule({ destination: '192.0.2.10', protocol: 'udp', destinationPort: 53, action: 'rate-limit', bytesPerSecond: 1000 }), entries: [{ exporter: '127.0.0.2', interfaces: [7] }] },
    { id: 3, rule: validateRule({ destination: '192.0.2.10' }) },
    { id: 4, rule: validateRule({ source: '2001:db8::7' }) },
    { id: 5, rule: validateRule({ source: '198.51.100.128/25', destinationPort: 1433, protocol: 'tcp', packetLength: 51 }) },
    { id: 6, rule: validateRule({ source: '198.51.100.99' }) }, // matches nothing
  ];

  it('counts every rule as the naive reference does: flows, packets, bytes, two-way, victim totals, entry packets', () => {
    const meter = new EffectMeter(rules);
    // Two batches: an answer may come before or after the flow it answers.
    meter.add(batchFromRecords(flows.slice(0, 30)));
    meter.add(batchFromRecords(flows.slice(30)));
    const out = meter.result(W);
    for (const r of rules) expect(out.get(r.id), `rule ${r.id}`).toEqual({ ...W, ...expected(r.rule, flows, r.entries) });
    // The numbers the reference gave, spelled out for the two interesting rules.
    expect(out.get(1)).toMatchObject({ flows: 3, twoWayFlows: 1 });
    expect(out.get(2)).toMatchObject({ flows: 50, twoWayFlows: 0, victim: { flows: 51 }, entryPackets: 80 });
    expect(out.get(3)).toMatchObject({ flows: 51, twoWayFlows: 1 });
    expect(out.get(4)).toMatchObject({ flows: 1, twoWayFlows: 1 });
    expect(out.get(5)).toMatchObject({ flows: 1 });
    expect(out.get(6)).toMatchObject({ flows: 0, packets: 0, twoWayFlows: 0 });
    expect(meter.rows).toBe(flows.length);
  });

  it('flags the window before the announcement as the baseline', () => {
    const meter = new EffectMeter(rules.slice(0, 1));
    meter.add(batchFromRecords(flows));
    expect(meter.result(W, true).get(1)!.before).toBe(true);
  });
});

describe('effect advice', () => {
  const at = (k: number, p: Partial<WindowEffect>): WindowEffect => ({ start: 1000 + k * 300, timeSlot: k, seconds: 300, flows: 10, packets: 100, bytes: 1000, twoWayFlows: 0, ...p });
  const since = (1000 + 300) * 1000; // announced at the start of window 1
  it.each([
    ['no baseline, traffic goes on: nothing to say', [at(1, {}), at(2, {})], 3, undefined],
    ['same rate as before: the routers may not apply it', [at(0, { before: true }), at(1, { packets: 95 })], 3, { kind: 'not-applied', windows: 1 }],
    ['far below the baseline: working', [at(0, { before: true }), at(1, { packets: 5 })], 3, undefined],
    ['rates, not totals: a 60-s window at the same rate as a 300-s baseline', [at(0, { before: true }), at(1, { packets: 20, seconds: 60 })], 3, { kind: 'not-applied' }],
    ['targeted: only the packets at the chosen entries count', [at(0, { before: true, entryPackets: 80 }), at(1, { packets: 90, entryPackets: 2 })], 3, undefined],
    ['nothing for 3 windows: offer withdrawal', [at(0, { before: true }), at(1, { flows: 0, packets: 0 }), at(2, { flows: 0, packets: 0 }), at(3, { flows: 0, packets: 0 })], 3, { kind: 'idle', windows: 3 }],
    ['nothing for 2 of 3: not yet', [at(0, { before: true }), at(1, { packets: 1 }), at(2, { flows: 0, packets: 0 }), at(3, { flows: 0, packets: 0 })], 3, undefined],
    ['the window it was announced in does not count', [at(0, { flows: 0, packets: 0 }), at(1, { flows: 0, packets: 0 })], 2, undefined],
  ] as const)('%s', (_name, series, idleWindows, want) => {
    const a = effectAdvice([...series] as WindowEffect[], since, { idleWindows });
    if (want === undefined) expect(a).toBeUndefined();
    else expect(a).toMatchObject(want);
  });
});

/** One generated window of several scenarios, through a real nfcapd, named by its start (UTC). */
async function windowFile(dir: string, at: Date, scenarios: [ScenarioName, number][], seed: number): Promise<{ file: string; flows: FlowRecord[] }> {
  const flows = scenarios.flatMap(([name, scale]) => generateScenario(name, { seed, scale, base: at.getTime() }).flows);
  const name = `nfcapd.${at.toISOString().slice(0, 16).replace(/[-T:]/g, '')}`;
  const file = await writeFlowsFile([flows], path.join(dir, name));
  return { file, flows };
}

describe('block effect from generated windows (real nfcapd files) before and after a rule', () => {
  it('measures the baseline, each window since the announcement, and advises', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-effect-'));
    const t0 = new Date(Date.UTC(2026, 10, 22, 14, 0));
    const t1 = new Date(Date.UTC(2026, 10, 22, 14, 5));
    const t2 = new Date(Date.UTC(2026, 10, 22, 14, 10));
    const w0 = await windowFile(dir, t0, [['spoofed-ddos', 0.2], ['benign-servers', 0.1]], 1);
    let clock = t1.getTime() + 60_000; // the rules are announced during the second window

    const db = openDb(':memory:');
    const source = createNfdumpSource();
    const area = createFlowspecArea({ ...flowspecDefaults, enabled: true, mode: 'external', apiPort: 9, idleWindows: 1, maxChangesPerMinute: 100 }, {
      db, dataDir: dir, latestFiles: () => [w0.file], source, inside: [], now: () => clock, intervalSeconds: 300,
    });
    await area.start();
    const ctx = { user: 'alice', id: 1 } as never;
    const victimRule = await area.handlers['block.add']({ rule: { destination: '192.0.2.10', protocol: 'tcp', destinationPort: 80, action: 'rate-limit', bytesPerSecond: 1000 }, reason: 'spoofed flood' }, ctx) as { id: number };
    const webRule = await area.handlers['block.add']({ rule: { destination: '192.0.2.80', protocol: 'tcp', destinationPort: 443, action: 'rate-limit', bytesPerSecond: 1_000_000 } }, ctx) as { id: number };
    await area.settled();

    // The attack goes on in the second window and stops in the third; the web server is busy throughout.
    const w1 = await windowFile(dir, t1, [['spoofed-ddos', 0.2], ['benign-servers', 0.1]], 2);
    const w2 = await windowFile(dir, t2, [['benign-servers', 0.1]], 3);
    fs.renameSync(w0.file, path.join(dir, 'old-window')); // read already (the baseline); not a window of the runner
    const runner = createEngineRunner({ ...engineDefaults, nfcapdDir: dir, intervalSeconds: 300 }, { store: new EngineStore(db), source, taps: area.taps, now: () => clock });
    expect(await runner.processOnce()).toBe(2);
    clock = t2.getTime() + 400_000;

    const victim = validateRule({ destination: '192.0.2.10', protocol: 'tcp', destinationPort: 80, action: 'rate-limit', bytesPerSecond: 1000 });
    const web = validateRule({ destination: '192.0.2.80', protocol: 'tcp', destinationPort: 443, action: 'rate-limit', bytesPerSecond: 1_000_000 });
    const [v, wb] = (await area.handlers['block.list']({}, ctx)) as ReturnType<typeof import('../../src/flowspec/area.js').blockView>[];
    const byId = new Map([[v.id, v], [wb.id, wb]]);
    const vs = byId.get(victimRule.id)!;
    const ws = byId.get(webRule.id)!;
    const slot = (d: Date) => Math.floor((d.getTime() / 1000 + 150) / 300);
    const strip = (e: { flows: number; packets: number; bytes: number; twoWayFlows: number; victim?: unknown }) => ({ flows: e.flows, packets: e.packets, bytes: e.bytes, twoWayFlows: e.twoWayFlows, ...(e.victim ? { victim: e.victim } : {}) });

    // Before: the window the preview would have shown; after: one entry per window since, oldest first.
    expect(vs.baseline).toMatchObject({ timeSlot: slot(t0), ...expected(victim, w0.flows) });
    expect(vs.effect.map((e) => e.timeSlot)).toEqual([slot(t1), slot(t2)]);
    expect(vs.effect.map(strip)).toEqual([strip(expected(victim, w1.flows)), strip(expected(victim, w2.flows))]);
    // The spoofed flood is one-way, and it stopped; the victim's total traffic before and after.
    expect(vs.effect[0].flows).toBeGreaterThan(1000);
    expect(vs.effect[0]).toMatchObject({ twoWayFlows: 0, oneWayFlows: vs.effect[0].flows });
    expect(vs.effect[1].flows).toBe(0);
    expect(vs.baseline!.victim!.flows).toBe(expected(victim, w0.flows).victim!.flows);
    expect(vs.effect[1].victim).toEqual({ flows: 0, packets: 0, bytes: 0 });
    expect(vs.matched).toMatchObject({ timeSlot: slot(t2), flows: 0 });
    // Nothing matched for idleWindows (1): offered for withdrawal.
    expect(vs.advice).toEqual({ kind: 'idle', windows: 1 });
    // The web server's conversations are two-way, every one of them.
    expect(ws.effect.map(strip)).toEqual([strip(expected(web, w1.flows)), strip(expected(web, w2.flows))]);
    expect(ws.effect[1].flows).toBeGreaterThan(100);
    expect(ws.effect[1].twoWayFlows).toBe(ws.effect[1].flows);
    // It goes on at its usual rate: "the routers may not apply it".
    expect(ws.advice).toMatchObject({ kind: 'not-applied' });
    await area.stop();
  }, 120_000);
});
