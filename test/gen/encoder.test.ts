import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { FlowEncoder } from '../../src/gen/ipfix.js';
import { FlowExporter, isLoopback } from '../../src/gen/exporter.js';
import { writeFlowsFile, generateScenario } from '../../src/gen/index.js';
import type { FlowRecord } from '../../src/engine/types.js';

const T = Date.UTC(2026, 10, 22, 14, 5, 0);
const flows: FlowRecord[] = [
  { src: '198.51.100.7', dst: '192.0.2.9', sport: 51000, dport: 443, proto: 6, flags: 0x1b, packets: 12, bytes: 7345, start: T + 1234, end: T + 5678, inIf: 7, outIf: 9, exporter: '127.0.0.2', srcAs: 64500, dstAs: 65001 },
  { src: '2001:db8::7', dst: '2001:db8:ffff::9', sport: 5353, dport: 53, proto: 17, flags: 0, packets: 1, bytes: 80, start: T + 2000, end: T + 2000, inIf: 3, outIf: 4, exporter: '127.0.0.3', srcAs: 0, dstAs: 0 },
  { src: '203.0.113.5', dst: '192.0.2.10', sport: 40000, dport: 2375, proto: 6, flags: 0x02, packets: 1, bytes: 40, start: T + 3000, end: T + 3000, inIf: 1, outIf: 2, exporter: '127.0.0.1', srcAs: 1, dstAs: 2 },
];

async function roundTrip(protocol: 'ipfix' | 'v9'): Promise<string[][]> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-enc-')), 'nfcapd.202611221405');
  await writeFlowsFile([flows], out, { protocol });
  const { stdout } = await execa('nfdump', ['-r', out, '-q', '-N', '-6', '-o', 'fmt:%sa|%da|%sp|%dp|%pr|%flg|%pkt|%byt|%in|%out|%sas|%das|%ra|%tsr|%td'], { env: { TZ: 'UTC' } });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('|').map((x) => x.trim())).sort((a, b) => a[13].localeCompare(b[13]));
}

describe('IPFIX / NetFlow v9 export through a real nfcapd', () => {
  it('IPFIX: every field arrives exactly, IPv4 and IPv6, from three exporters', async () => {
    const rows = await roundTrip('ipfix');
    expect(rows).toEqual([
      ['198.51.100.7', '192.0.2.9', '51000', '443', '6', '...AP.SF', '12', '7345', '7', '9', '64500', '65001', '127.0.0.2', '1795356301.234', '4.444'],
      ['2001:db8::7', '2001:db8:ffff::9', '5353', '53', '17', '........', '1', '80', '3', '4', '0', '0', '127.0.0.3', '1795356302.000', '0.000'],
      ['203.0.113.5', '192.0.2.10', '40000', '2375', '6', '......S.', '1', '40', '1', '2', '1', '2', '127.0.0.1', '1795356303.000', '0.000'],
    ]);
  });

  it('NetFlow v9: the same fields; sysUptime-relative times decode to the exact millisecond', async () => {
    const rows = await roundTrip('v9');
    expect(rows).toEqual([
      ['198.51.100.7', '192.0.2.9', '51000', '443', '6', '...AP.SF', '12', '7345', '7', '9', '64500', '65001', '127.0.0.2', '1795356301.234', '4.444'],
      ['2001:db8::7', '2001:db8:ffff::9', '5353', '53', '17', '........', '1', '80', '3', '4', '0', '0', '127.0.0.3', '1795356302.000', '0.000'],
      ['203.0.113.5', '192.0.2.10', '40000', '2375', '6', '......S.', '1', '40', '1', '2', '1', '2', '127.0.0.1', '1795356303.000', '0.000'],
    ]);
  });

  it('splits records into messages under the size limit with increasing IPFIX sequence numbers', () => {
    const enc = new FlowEncoder({ maxMessageBytes: 500 });
    const many = Array.from({ length: 40 }, (_, i) => ({ ...flows[0], sport: 1000 + i }));
    const msgs = enc.encode(many, T);
    expect(msgs.length).toBeGreaterThan(4);
    expect(msgs.every((m) => m.length <= 500)).toBe(true);
    expect(msgs.every((m) => m.readUInt16BE(0) === 10 && m.readUInt16BE(2) === m.length)).toBe(true);
    const seqs = msgs.map((m) => m.readUInt32BE(8));
    expect(seqs[0]).toBe(0);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true);
    // The first message carries the templates (set id 2).
    expect(msgs[0].readUInt16BE(16)).toBe(2);
    expect(() => enc.encode([{ ...flows[0], src: '999.1.1.1' }], T)).toThrow(/malformed/);
  });

  it('refuses collectors and exporter addresses off loopback', async () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(() => new FlowExporter({ host: '192.168.1.1', port: 2055 })).toThrow(/loopback/);
    const ex = new FlowExporter({ port: 9 });
    await expect(ex.send([{ ...flows[0], exporter: '10.1.1.1' }])).rejects.toThrow(/not a loopback/);
    ex.close();
  });

  it('scenarios are deterministic by seed and differ across seeds', () => {
    const a = generateScenario('syn-scan', { seed: 5, scale: 0.05 });
    const b = generateScenario('syn-scan', { seed: 5, scale: 0.05 });
    const c = generateScenario('syn-scan', { seed: 6, scale: 0.05 });
    expect(a.flows).toEqual(b.flows);
    expect(a.flows.map((f) => f.dst)).not.toEqual(c.flows.map((f) => f.dst));
    expect(a.truth.planted[0]).toMatchObject({ ip: '140.110.26.68', types: ['scan'], signature: '2375-1-40' });
  });
});

describe('writeFlowsFile across a rotation', () => {
  it('a write that crosses nfcapd\'s rotation is joined into one file with every flow (nfdump -R … -w)', async () => {
    const many: FlowRecord[] = Array.from({ length: 900 }, (_, i) => ({ ...flows[0], sport: 10_000 + i, start: T + i, end: T + i }));
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-rot-')), 'nfcapd.202611221405');
    // 300 flows/s for 3 s against 2-second files: two or three files before the join.
    await writeFlowsFile([many.slice(0, 300), many.slice(300, 600), many.slice(600)], out, { rate: 300, intervalSeconds: 2 });
    const { stdout } = await execa('nfdump', ['-r', out, '-q', '-o', 'fmt:%sp'], { env: { TZ: 'UTC' } });
    const ports = stdout.split('\n').filter(Boolean).map((l) => Number(l.trim())).sort((a, b) => a - b);
    expect(ports).toEqual(many.map((f) => f.sport));
  }, 60_000);
});
