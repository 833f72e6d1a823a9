import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { execa } from 'execa';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');

/** The whole path: generator → real nfcapd → nfcapd file → `nocflow analyze --json` (built CLI). */
async function analyze(file: string, ...args: string[]) {
  const r = await execa('node', [BIN, 'analyze', file, '--json', ...args], { env: { NOCFLOW_CONFIG_DIR: path.join(path.dirname(file), 'cfg') } });
  return JSON.parse(r.stdout) as { window: { timeSlot: number }; flows: number; anomalies: Array<Record<string, any>> };
}

describe('planted attacks are found end to end', () => {
  it('mixed window: every planted attacker and victim with the right type, features and entry point; no benign server', async () => {
    const { file, truth } = await makeScenarioFile('mixed');
    const doc = await analyze(file);
    expect(doc.flows).toBe(truth.flows);
    expect(doc.window.timeSlot).toBe(Math.floor((truth.base / 1000 + 150) / 300));
    for (const p of truth.planted) {
      const a = doc.anomalies.find((x) => x.ip === p.ip);
      expect(a, `${p.ip} (${p.types})`).toBeDefined();
      expect(a!.role).toBe(p.role);
      expect(p.types).toContain(a!.type);
      if (p.dport !== undefined) expect(a!.features.dstPorts[0].value).toBe(p.dport);
      if (p.signature) expect(a!.signature).toBe(p.signature);
      if (p.entry) expect(a!.entryPoints[0]).toMatchObject({ exporter: p.entry.exporter, interface: p.entry.interface });
    }
    const reported = new Set(doc.anomalies.map((a) => a.ip));
    for (const b of truth.benign) expect(reported.has(b), `benign ${b} reported`).toBe(false);
    // Only what was planted is reported.
    expect(doc.anomalies.map((a) => a.ip).sort()).toEqual(truth.planted.map((p) => p.ip).sort());
    const scan = doc.anomalies.find((a) => a.type === 'scan' && a.signature === '2375-1-40')!;
    expect(scan.features.onePacket40Share).toBe(1);
    expect(scan.features.synOnlyShare).toBe(1);
    expect(scan.metrics.distinctPeers).toBeGreaterThan(19900);
    const victim = doc.anomalies.find((a) => a.role === 'victim')!;
    expect(victim.entryPoints[0].share).toBeGreaterThan(0.75);
    expect(victim.entryPoints[0].share).toBeLessThan(0.85);
    expect(victim.victim.spoofedShare).toBeGreaterThan(0.9);
  });

  it('the botnet\'s quiet members are found by hunting its signature', async () => {
    const { file, truth } = await makeScenarioFile('mixed');
    const r = await execa('node', [BIN, 'hunt', truth.quietMembers!.signature, file, '--json']);
    const doc = JSON.parse(r.stdout) as { sources: { ip: string; destinations: number }[] };
    const found = doc.sources.map((s) => s.ip);
    for (const q of truth.quietMembers!.ips) expect(found).toContain(q);
    expect(doc.sources[0].destinations).toBeGreaterThan(4900); // the loud member leads
  });

  it('campus window: list C and the internal P2P host, nobody else', async () => {
    const { file, truth } = await makeScenarioFile('campus');
    const doc = await analyze(file, '--inside', truth.insidePrefixes!.join(','));
    for (const p of truth.planted) {
      const a = doc.anomalies.find((x) => x.ip === p.ip);
      expect(a, p.ip).toBeDefined();
      expect(a!.role).toBe(p.role);
      expect(p.types).toContain(a!.type);
    }
    expect(doc.anomalies).toHaveLength(truth.planted.length);
  });

  it('C&C beacon over NetFlow v9', async () => {
    const { file, truth } = await makeScenarioFile('cc-beacon', { protocol: 'v9' });
    const doc = await analyze(file, '--inside', '10.20.0.0/16');
    expect(doc.anomalies).toHaveLength(1);
    expect(doc.anomalies[0]).toMatchObject({ ip: truth.planted[0].ip, role: 'internal', type: 'cc-beacon' });
    expect(doc.anomalies[0].beacon.meanIntervalSeconds).toBeGreaterThan(9);
    expect(doc.anomalies[0].beacon.meanIntervalSeconds).toBeLessThan(11);
  });
});
