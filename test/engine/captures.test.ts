import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { analyzeBatches } from '../../src/engine/analyze.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { CAPTURES, CAPTURES_SKIP, haveCaptures } from '../helpers/captures.js';

/**
 * Real public captures turned into nfcapd files by softflowd + nfcapd (see shared/captures/README.md): what the
 * detectors say about real attacks. Skipped, with the reason, where the captures are absent (a fresh clone); the
 * generated scenarios (test/engine/scenarios.test.ts) run the same detectors on files made by a real nfcapd.
 */

const analyze = (name: string, opts: Parameters<typeof analyzeBatches>[1] = {}) =>
  analyzeBatches(createNfdumpSource().read([path.join(CAPTURES, name)]), opts);

describe.skipIf(!haveCaptures)(`detection on real captures${haveCaptures ? '' : ` — skipped: ${CAPTURES_SKIP}`}`, () => {
  it('nmap SYN scan of 1000 ports of one host: a vertical scan by 172.16.0.8', async () => {
    const r = await analyze('synscan.ipfix.nfcapd');
    expect(r.anomalies).toHaveLength(1);
    const a = r.anomalies[0];
    expect(a).toMatchObject({ ip: '172.16.0.8', role: 'attacker', type: 'scan' });
    expect(a.metrics.distinctPorts).toBe(1000);
    expect(a.metrics.distinctPeers).toBe(1);
    expect(a.features.synOnlyShare).toBeGreaterThan(0.99);
    expect(a.evidence[0].indicator).toBe('distinct destination ports');
  });

  it('spoofed SYN flood with ECN/CWR: 10.10.10.10 is a port DDoS victim, sources spoofed', async () => {
    const r = await analyze('pkt.TCP.DOMINATE.syn.ecn.cwr.ipfix.nfcapd');
    expect(r.anomalies).toHaveLength(1);
    const v = r.anomalies[0];
    expect(v).toMatchObject({ ip: '10.10.10.10', role: 'victim', type: 'port-ddos-victim' });
    expect(v.features.dstPorts[0]).toEqual({ value: 30120, share: 1 });
    expect(v.victim!.distinctSources).toBeGreaterThan(9000);
    expect(v.victim!.spoofedShare).toBeGreaterThan(0.95);
    expect(v.features.synOnlyShare).toBeGreaterThan(0.95);
    expect(v.entryPoints![0]).toMatchObject({ exporter: '127.0.0.1', interface: 0, share: 1 });
  });

  it('TCP SYN-ACK reflection: 10.10.10.10 is hit on thousands of ports by thousands of reflectors', async () => {
    const r = await analyze('amp.TCP.reflection.SYNACK.ipfix.nfcapd');
    const v = r.anomalies.find((a) => a.ip === '10.10.10.10')!;
    expect(v).toMatchObject({ role: 'victim', type: 'ddos-scan-victim' });
    expect(v.victim!.distinctSources).toBeGreaterThan(6000);
    expect(v.metrics.distinctPorts).toBeGreaterThan(5000);
    // The reflectors answer from their service ports: no reflector is reported as an attacker.
    expect(r.anomalies.filter((a) => a.role === 'attacker')).toEqual([]);
  });

  it('HTTPS beacon every ~2 s: a C&C beacon in campus mode, nothing in backbone mode', async () => {
    const campus = await analyze('test-cc-capture-1.ipfix.nfcapd', { inside: ['147.32.0.0/16'] });
    const b = campus.anomalies.find((a) => a.type === 'cc-beacon')!;
    expect(b).toMatchObject({ ip: '147.32.80.37', role: 'internal' });
    expect(b.beacon!.peer).toBe('141.193.213.21');
    expect(b.beacon!.port).toBe(443);
    expect(b.beacon!.meanIntervalSeconds).toBeGreaterThan(1.5);
    expect(b.beacon!.meanIntervalSeconds).toBeLessThan(3);
    const backbone = await analyze('test-cc-capture-1.ipfix.nfcapd');
    expect(backbone.anomalies).toEqual([]);
  });

  it('small captures raise no volumetric alert', async () => {
    for (const f of ['nmap_80_all.ipfix.nfcapd', 'malicious-ssh-bruteforce.ipfix.nfcapd']) {
      const r = await analyze(f);
      expect(r.flows, f).toBeGreaterThan(50);
      expect(r.anomalies, f).toEqual([]);
    }
  });
});
