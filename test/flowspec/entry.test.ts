import { describe, expect, it } from 'vitest';
import { checkFlowspecTargeting, entriesOf, neighborCommunity, selectEntryNeighbors, targetCommunities, targetingEnabled } from '../../src/flowspec/entry.js';
import { flowspecDefaults, type FlowspecNeighbor } from '../../src/config/sections/flowspec.js';
import { engineDefaults } from '../../src/config/sections/engine.js';
import { analyzeBatches } from '../../src/engine/analyze.js';
import { flowSourceFrom } from '../../src/ingest/flow-source.js';
import { generateScenario } from '../../src/gen/index.js';
import { flowspecHandlers } from '../../src/flowspec/area.js';
import { createBlockService } from '../../src/flowspec/service.js';
import { gobgpdConfig } from '../../src/flowspec/gobgp.js';
import { openDb } from '../../src/store/db.js';
import { toProposalView } from '../../src/views/blocks.js';
import { checkEngine } from '../../src/daemon/main.js';
import { configDefaults } from '../../src/config/schema.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const routers: FlowspecNeighbor[] = [
  { address: '127.0.0.12', as: 65002, name: 'router-a', entries: [{ exporter: '127.0.0.2' }] },
  { address: '127.0.0.13', as: 65003, name: 'router-b', entries: [{ exporter: '127.0.0.3' }] },
  { address: '127.0.0.14', as: 65004, name: 'router-c', entries: [{ exporter: '127.0.0.4' }] },
];

describe('entry-point selection (pure)', () => {
  const eps = [
    { exporter: '127.0.0.2', interface: 7, flows: 800, share: 0.8 },
    { exporter: '127.0.0.3', interface: 3, flows: 70, share: 0.07 },
    { exporter: '127.0.0.3', interface: 5, flows: 60, share: 0.06 },
    { exporter: '127.0.0.4', interface: 2, flows: 70, share: 0.07 },
  ];
  it('sums entry points per neighbour and keeps those at or above the share, largest first', () => {
    expect(selectEntryNeighbors(eps, routers, 0.2)).toEqual({
      chosen: [{ address: '127.0.0.12', name: 'router-a', share: 0.8, flows: 800 }],
      skipped: [{ address: '127.0.0.13', name: 'router-b', share: 0.13, flows: 130 }, { address: '127.0.0.14', name: 'router-c', share: 0.07, flows: 70 }],
      covered: 0.8,
      threshold: 0.2,
    });
    expect(selectEntryNeighbors(eps, routers, 0.1)!.chosen.map((c) => c.address)).toEqual(['127.0.0.12', '127.0.0.13']);
  });
  it('interfaces narrow a neighbour to some of an exporter\'s inputs', () => {
    const narrow = [routers[0], { ...routers[1], entries: [{ exporter: '127.0.0.3', interfaces: [5] }] }];
    expect(selectEntryNeighbors(eps, narrow, 0.01)!.chosen.map((c) => [c.address, c.share])).toEqual([['127.0.0.12', 0.8], ['127.0.0.13', 0.06]]);
  });
  it('no entries named, no entry points, or nobody above the share: undefined (every router gets the rule)', () => {
    expect(selectEntryNeighbors(eps, routers.map(({ entries: _e, ...n }) => n), 0.2)).toBeUndefined();
    expect(selectEntryNeighbors([], routers, 0.2)).toBeUndefined();
    expect(selectEntryNeighbors(eps, routers, 0.9)).toBeUndefined();
  });
  it('communities, entries of the chosen, and the config check', () => {
    const cfg = { ...flowspecDefaults, as: 65001, neighbors: routers };
    expect(routers.map((_n, i) => neighborCommunity(cfg, i))).toEqual(['65001:64001', '65001:64002', '65001:64003']);
    expect(neighborCommunity({ as: 4200000000, neighbors: [] }, 0)).toBe('65000:64001');
    expect(targetCommunities(cfg, ['127.0.0.14', '127.0.0.12'])).toEqual(['65001:64001', '65001:64003']);
    expect(entriesOf(routers, ['127.0.0.13'])).toEqual([{ exporter: '127.0.0.3' }]);
    expect(targetingEnabled(cfg)).toBe(true);
    expect(targetingEnabled({ ...cfg, mode: 'external' })).toBe(false);
    expect(checkFlowspecTargeting(cfg)).toEqual([]);
    expect(checkFlowspecTargeting({ ...cfg, entryShare: 2, neighbors: [{ ...routers[0], address: 'router', entries: [{ exporter: '300.1.1.1' }] }, { ...routers[1], community: '65001:64001' }] })).toEqual([
      'flowspec.neighbors[0].address: not an IP address: "router"',
      'flowspec.neighbors[0].entries[0].exporter: not an IP address: "300.1.1.1"',
      "flowspec.neighbors[1].community: 65001:64001 is also neighbour 0's",
      'flowspec.entryShare: must be a share from 0 to 1, got 2',
    ]);
  });
  it('engine --check reports the targeting problems with their paths', () => {
    const config = { ...configDefaults, engine: { ...configDefaults.engine, nfcapdDir: '/tmp' }, flowspec: { ...flowspecDefaults, enabled: true, neighbors: [{ ...routers[0], entries: [{ exporter: 'r1' }] }] } };
    expect(checkEngine(config).problems).toEqual(['flowspec.neighbors[0].entries[0].exporter: not an IP address: "r1"']);
    expect(checkEngine({ ...config, flowspec: { ...config.flowspec, enabled: false } }).problems).toEqual([]);
  });
  it('the generated gobgpd configuration has one steering statement pair per neighbour, names unique', () => {
    const toml = gobgpdConfig({ routerId: '127.0.0.1', as: 65001, listenAddress: '127.0.0.1', listenPort: 1179, apiHost: '127.0.0.1', apiPort: 50051, neighbors: routers, targets: routers.map((n, i) => ({ address: n.address, community: `65001:${64001 + i}` })) });
    const names = [...toml.matchAll(/^\s+name = "([^"]+)"/gm)].map((m) => m[1]);
    expect(names).toEqual(['nocflow-targets', 'nocflow-n0-mine', 'nocflow-n0-others', 'nocflow-n1-mine', 'nocflow-n1-others', 'nocflow-n2-mine', 'nocflow-n2-others']);
    expect(toml).toContain('neighbor-info-list = ["127.0.0.13/32"]');
    expect(toml).toContain('community-list = ["65001:64001", "65001:64002", "65001:64003"]');
    expect(toml).toContain('export-policy-list = ["nocflow-targets"]');
    expect(gobgpdConfig({ routerId: '127.0.0.1', as: 65001, listenAddress: '127.0.0.1', listenPort: 1179, apiHost: '127.0.0.1', apiPort: 50051, neighbors: routers })).not.toContain('policy');
  });
});

describe('entry points of a generated spoofed flood through three exporters', () => {
  it('ranks the entries as the detail view does and sends the victim\'s rule only to the router carrying ≥ 20 %', async () => {
    const { file, truth } = await makeScenarioFile('spoofed-ddos');
    const victim = truth.planted[0];
    // The share of the victim's flows each exporter carried, from the generator's own flows (the reference).
    const flows = generateScenario('spoofed-ddos', { seed: truth.seed, scale: truth.scale, base: truth.base }).flows.filter((f) => f.dst === victim.ip);
    const share = (ex: string) => flows.filter((f) => f.exporter === ex).length / flows.length;
    expect(share('127.0.0.2')).toBeGreaterThan(0.7);
    expect(share('127.0.0.3')).toBeGreaterThan(0.1);

    const w = await analyzeBatches(flowSourceFrom(engineDefaults).read([file]), { timeSlot: 1 });
    const a = w.anomalies.find((x) => x.ip === victim.ip && x.role === 'victim')!;
    expect(a.entryPoints![0]).toMatchObject({ exporter: '127.0.0.2', interface: 7 });
    const sel = selectEntryNeighbors(a.entryPoints, routers, 0.2)!;
    expect(sel.chosen.map((c) => c.address)).toEqual(['127.0.0.12']);
    expect(sel.covered).toBeCloseTo(share('127.0.0.2'), 3);
    expect(sel.skipped.map((c) => [c.address, Number(c.share.toFixed(3))])).toEqual([['127.0.0.13', Number(share('127.0.0.3').toFixed(3))], ['127.0.0.14', Number(share('127.0.0.4').toFixed(3))]]);
    expect(selectEntryNeighbors(a.entryPoints, routers, 0.1)!.chosen.map((c) => c.address)).toEqual(['127.0.0.12', '127.0.0.13']);

    // The proposal and its confirmation name the routers and the share covered.
    const cfg = { ...flowspecDefaults, mode: 'managed' as const, neighbors: routers };
    // Proposing announces nothing: a speaker that is never called will do.
    const idle = { announce: async () => undefined, withdraw: async () => undefined, list: async () => ({ 4: [], 6: [] }), withdrawText: async () => undefined };
    const handlers = flowspecHandlers(createBlockService(openDb(':memory:'), idle, cfg), cfg, { latestFiles: () => [file], source: flowSourceFrom(engineDefaults), inside: [] });
    const answer = (await handlers['block.propose']({ anomalies: [a] }, { user: 'alice' })) as { proposals: { spec: { neighbors?: string[] }; targets?: { covered: number }; rule: string }[] };
    const p = answer.proposals[0];
    expect(p.spec.neighbors).toEqual(['127.0.0.12']);
    expect(p.rule).toMatch(/ at 127\.0\.0\.12$/);
    expect(p.targets!.covered).toBeCloseTo(share('127.0.0.2'), 3);
    const view = toProposalView(answer, 'en');
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    expect(view.impact).toContain(`only to router-a 127.0.0.12 (${pct(share('127.0.0.2'))}), covering ${pct(share('127.0.0.2'))} of the attack; not to router-b 127.0.0.13 (${pct(share('127.0.0.3'))}), router-c 127.0.0.14 (${pct(share('127.0.0.4'))}) (below 20.0%)`);
    expect(toProposalView(answer, 'zh-TW').impact.join('\n')).toContain('只送往 router-a 127.0.0.12');
  });
});
