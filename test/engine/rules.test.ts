import { describe, expect, it } from 'vitest';
import { evaluate, evaluateAll, resolveThresholds, RULES, type HostView } from '../../src/engine/rules.js';
import { AnalysisConfigError, analyzeBatches } from '../../src/engine/analyze.js';
import { batchFromRecords } from '../../src/engine/batch.js';
import type { Features } from '../../src/engine/types.js';
import { typeLabels } from '../../src/i18n/labels.js';

const features = (p: Partial<Features> = {}): Features => ({
  protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: 22, share: 1 }], packets: [], bytes: [], tcpFlags: [],
  distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 0, onePacket40Share: 0,
  serverLike: false, clientPortShare: 1, serverPortShare: 0, ...p,
});
const view = (p: Partial<HostView>): HostView => ({
  role: 'attacker', peers: 0, ports: 1, flows: 0, packets: 0, bytes: 0, reverseBytes: 0, features: features(),
  packetsPerFlow: 10, bytesPerPacket: 500, bytesPerFlow: 5000, topPortShare: 1, spoofedShare: 0, answeredShare: 1,
  knownServer: false, scale: 1, ...p,
});
const { thresholds: t } = resolveThresholds();
const types = (v: HostView) => evaluateAll(RULES.filter((r) => r.role === v.role), v, t).map((h) => h.rule.type);

describe('rules as data', () => {
  it('cover every row of the seeds\' table with labels in both languages', () => {
    const seedTypes = ['scan', 'many-peers', 'egress-high', 'syn-attack', 'dos-victim', 'ingress-high', 'many-flows', 'port-ddos-victim', 'wide-exfil', 'ddos-scan-victim', 'many-bytes', 'many-packets', 'undefined'];
    const ruleTypes = new Set(RULES.map((r) => r.type));
    for (const ty of seedTypes) {
      expect(ruleTypes.has(ty as never), ty).toBe(true);
      expect(typeLabels[ty as keyof typeof typeLabels].zh.length, ty).toBeGreaterThan(0);
    }
    expect(typeLabels['many-peers'].zhSuper).toBe('連線對象超級多');
  });

  it.each([
    ['small-packet spread is a scan', view({ peers: 2000, packetsPerFlow: 1, bytesPerPacket: 40 }), 'scan'],
    ['payload spread is many peers', view({ peers: 6000 }), 'many-peers'],
    ['payload spread under many-peers is not yet defined', view({ peers: 1500 }), 'undefined'],
    ['SYN flood on few targets', view({ peers: 3, flows: 30000, features: features({ synOnlyShare: 1 }) }), 'syn-attack'],
    ['wide exfiltration', view({ peers: 800, bytes: 2e9, bytesPerFlow: 50000 }), 'wide-exfil'],
    ['heavy upload', view({ peers: 3, bytes: 6e9 }), 'egress-high'],
    ['many flows', view({ peers: 10, flows: 200000 }), 'many-flows'],
    ['many packets', view({ peers: 10, packets: 2e7 }), 'many-packets'],
    ['many bytes both ways', view({ peers: 10, bytes: 1e9, reverseBytes: 3e10 }), 'many-bytes'],
    ['SYN on one port from many sources', view({ role: 'victim', peers: 5000, features: features({ synOnlyShare: 1 }) }), 'port-ddos-victim'],
    ['tiny unanswered packets on many ports', view({ role: 'victim', peers: 5000, ports: 3000, topPortShare: 0.01, packetsPerFlow: 1, bytesPerPacket: 46, answeredShare: 0 }), 'ddos-scan-victim'],
    ['flood from few sources', view({ role: 'victim', peers: 20, flows: 40000, features: features({ synOnlyShare: 0.9 }) }), 'dos-victim'],
    ['heavy download', view({ role: 'victim', peers: 2, bytes: 6e9 }), 'ingress-high'],
  ])('%s', (_name, v, type) => {
    expect(types(v)[0]).toBe(type);
  });

  it.each([
    ['a server answering many clients is not a scanner', view({ peers: 60000, packetsPerFlow: 1, bytesPerPacket: 60, features: features({ serverLike: true }) })],
    ['a whitelisted server is not "many peers"', view({ peers: 60000, knownServer: true })],
    ['clients of a working service are not DDoS', view({ role: 'victim', peers: 5000, packetsPerFlow: 1, bytesPerPacket: 70, answeredShare: 1 })],
    ['SYN flood to many targets is not a syn-attack', view({ peers: 500, flows: 30000, packetsPerFlow: 10, features: features({ synOnlyShare: 1 }) })],
  ])('%s', (_name, v) => {
    const ty = types(v);
    expect(ty.filter((x) => ['scan', 'many-peers', 'undefined', 'port-ddos-victim', 'syn-attack'].includes(x))).toEqual([]);
  });

  it('evidence says which threshold fired and by how much; super severity at the super threshold', () => {
    const scan = RULES.find((r) => r.type === 'scan')!;
    const hit = evaluate(scan, view({ peers: 150000, packetsPerFlow: 1, bytesPerPacket: 40 }), t)!;
    expect(hit.severity).toBe('super');
    expect(hit.evidence).toEqual([{ indicator: 'distinct destinations', value: 150000, threshold: 1000, ratio: 150 }]);
    expect(evaluate(scan, view({ peers: 999, packetsPerFlow: 1, bytesPerPacket: 40 }), t)).toBeUndefined();
  });

  it('volume thresholds scale with the window length, distinct counts do not', () => {
    const egress = RULES.find((r) => r.type === 'egress-high')!;
    expect(evaluate(egress, view({ bytes: 1e9 }), t)).toBeUndefined();
    expect(evaluate(egress, view({ bytes: 1e9, scale: 0.1 }), t)!.evidence[0].threshold).toBe(5e8);
    const scan = RULES.find((r) => r.type === 'scan')!;
    expect(evaluate(scan, view({ peers: 500, packetsPerFlow: 1, bytesPerPacket: 40, scale: 0.1 }), t)).toBeUndefined();
  });

  it('reports unknown threshold keys, and the analysis refuses them before reading a flow', async () => {
    const r = resolveThresholds({ 'scan.peers': 10, 'scan.pears': 3 });
    expect(r.thresholds['scan.peers']).toBe(10);
    expect(r.unknown).toEqual(['scan.pears']);
    let read = 0;
    const batches = (function* () {
      read++;
      yield batchFromRecords([]);
    })();
    const err = await analyzeBatches(batches, { thresholds: { 'scan.peers': 10, 'scan.pears': 3 }, inside: ['10.0.0.0/33'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalysisConfigError);
    expect((err as AnalysisConfigError).problems).toEqual(['inside[0]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"', 'thresholds.scan.pears: unknown threshold key']);
    expect(read).toBe(0);
    await expect(analyzeBatches([batchFromRecords([])], { thresholds: { 'scan.peers': 10 } })).resolves.toMatchObject({ flows: 0 });
  });
});
