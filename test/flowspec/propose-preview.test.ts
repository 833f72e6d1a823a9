/**
 * The real `block.propose` and its impact preview on a generated window (src/gen's `mixed` scenario through a real
 * nfcapd, analysed by the engine's own pipeline), judged against nfdump on the same file; then `block.add` of the
 * accepted proposal hands the speaker exactly the proposed rule.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import { analyzeBatches } from '../../src/engine/analyze.js';
import type { Anomaly, WindowResult } from '../../src/engine/types.js';
import { engineDefaults } from '../../src/config/sections/engine.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { flowSourceFrom } from '../../src/ingest/flow-source.js';
import { flowspecHandlers, type BlockProposal, type BlockView } from '../../src/flowspec/area.js';
import { createBlockService } from '../../src/flowspec/service.js';
import { nlriText, type FlowSpecRule } from '../../src/flowspec/rule.js';
import type { Speaker } from '../../src/flowspec/gobgp.js';
import { openDb } from '../../src/store/db.js';
import type { Truth } from '../../src/gen/index.js';

/** nfdump's own flow count and byte sum for a filter on the file (the oracle). */
async function nfdump(file: string, filter: string): Promise<{ flows: number; bytes: number }> {
  const r = await execa('nfdump', ['-r', file, '-q', '-N', '-o', 'fmt:%byt', filter], { env: { TZ: 'UTC' } });
  const rows = r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
  return { flows: rows.length, bytes: rows.reduce((n, x) => n + Number(x), 0) };
}

let file: string;
let truth: Truth;
let window: WindowResult;
const source = flowSourceFrom(engineDefaults);

beforeAll(async () => {
  ({ file, truth } = await makeScenarioFile('mixed'));
  window = await analyzeBatches(source.read([file]), { files: [file] });
}, 120_000);

function engine() {
  const announced: FlowSpecRule[] = [];
  const speaker: Speaker = { announce: async (r) => void announced.push(r), withdraw: async () => undefined, withdrawText: async () => undefined, list: async () => ({ 4: [], 6: [] }) };
  const cfg = { ...flowspecDefaults, enabled: true, maxChangesPerMinute: 100 };
  const svc = createBlockService(openDb(':memory:'), speaker, cfg);
  const handlers = flowspecHandlers(svc, cfg, { latestFiles: () => [file], source, inside: [] });
  return { svc, handlers, announced };
}
const propose = async (h: ReturnType<typeof engine>['handlers'], anomalies: Anomaly[]) => ((await h['block.propose']({ anomalies }, { user: 'alice' })) as { proposals: BlockProposal[] }).proposals;

describe('block.propose on a generated window', () => {
  it('an attacker: its source and port, the flows nfdump finds for that rule, announced as proposed', async () => {
    const planted = truth.planted.find((p) => p.types.includes('scan') && p.signature === `${p.dport}-1-40`)!;
    const a = window.anomalies.find((x) => x.ip === planted.ip && x.role === 'attacker')!;
    expect(a).toBeDefined();
    const eng = engine();
    const [p] = await propose(eng.handlers, [a]);
    if (!p.ok) throw new Error(`refused: ${p.reasons.join('; ')}`);
    expect(p.rule).toBe(`ipv4 src ${planted.ip}/32 tcp dport ${planted.dport} → discard`);
    const want = await nfdump(file, `src host ${planted.ip} and proto tcp and dst port ${planted.dport}`);
    expect(want.flows).toBeGreaterThan(1000);
    expect(p.preview).toMatchObject({ flows: want.flows, bytes: want.bytes, insideKnown: false });
    expect(p.impact[0]).toBe(`last window: ${want.flows} flows, ${p.preview!.packets} packets, ${want.bytes} bytes would have matched`);
    expect(p.facts).toEqual([{ kind: 'attacker', port: planted.dport }]);
    const b = (await eng.handlers['block.add']({ proposal: p }, { user: 'alice' })) as BlockView;
    expect(b).toMatchObject({ status: 'active', text: p.rule, who: 'alice', reason: `scan ${planted.ip}` });
    expect(eng.announced.map(nlriText)).toEqual([nlriText(p.spec)]);
  });

  it('a spoofed DDoS victim: by destination, rate-limited, no source match; the preview counts what nfdump finds', async () => {
    const planted = truth.planted.find((p) => p.role === 'victim')!;
    const v = window.anomalies.find((x) => x.ip === planted.ip && x.role === 'victim')!;
    expect(v.victim!.spoofedShare).toBeGreaterThan(0.9);
    const eng = engine();
    const [p] = await propose(eng.handlers, [v]);
    if (!p.ok) throw new Error(`refused: ${p.reasons.join('; ')}`);
    expect(p.spec).toMatchObject({ destination: `${planted.ip}/32`, protocol: 6, destinationPort: planted.dport, action: { kind: 'rate-limit', bytesPerSecond: flowspecDefaults.victimRateBytesPerSecond } });
    expect(p.spec.source).toBeUndefined();
    const want = await nfdump(file, `dst host ${planted.ip} and proto tcp and dst port ${planted.dport}`);
    expect(p.preview).toMatchObject({ flows: want.flows, bytes: want.bytes, twoWayFlows: 0 });
    expect(p.facts.map((f) => f.kind)).toEqual(['victim', 'spoofed', 'entry']);
    expect(p.facts[2]).toMatchObject({ exporter: planted.entry!.exporter, interface: planted.entry!.interface });
    // A rate-limit is not a bare discard: it goes through without the confirmation.
    expect(((await eng.handlers['block.add']({ proposal: p }, { user: 'alice' })) as BlockView).status).toBe('active');
  });
});
