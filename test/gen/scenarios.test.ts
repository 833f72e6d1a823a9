import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { generateScenario, SCENARIOS } from '../../src/gen/index.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const WINDOW_MS = 300_000;

describe('scenario ground truth is consistent with the flows', () => {
  it.each(SCENARIOS.map((s) => [s]))('%s: flows inside one 5-minute window, planted IPs present, benign never planted', (name) => {
    const g = generateScenario(name, { seed: 3, scale: 0.1 });
    expect(g.truth.scenario).toBe(name);
    expect(g.truth.seed).toBe(3);
    expect(g.truth.flows).toBe(g.flows.length);
    expect(g.flows.length).toBeGreaterThan(0);
    for (const f of g.flows) {
      expect(f.start).toBeGreaterThanOrEqual(g.truth.base);
      expect(f.end).toBeLessThan(g.truth.base + WINDOW_MS);
      expect(f.end).toBeGreaterThanOrEqual(f.start);
    }
    const seen = new Set<string>();
    for (const f of g.flows) {
      seen.add(f.src);
      seen.add(f.dst);
    }
    for (const p of g.truth.planted) expect(seen.has(p.ip), `planted ${p.ip}`).toBe(true);
    for (const b of g.truth.benign) {
      expect(seen.has(b), `benign ${b}`).toBe(true);
      expect(g.truth.planted.some((p) => p.ip === b)).toBe(false);
    }
  });

  it('the syn-scan attacker really has ≥ 20000 distinct destinations, all 1 packet of 40 bytes SYN-only, in the nfcapd file', async () => {
    const { file, truth } = await makeScenarioFile('mixed');
    const scan = truth.planted.find((p) => p.signature === '2375-1-40')!;
    expect(scan).toBeDefined();
    const { stdout } = await execa('nfdump', ['-r', file, '-q', '-N', '-o', 'fmt:%da|%dp|%pkt|%byt|%flg', `src ip ${scan.ip}`], { env: { TZ: 'UTC' } });
    const rows = stdout.split('\n').filter(Boolean).map((l) => l.split('|').map((x) => x.trim()));
    expect(new Set(rows.map((r) => r[0])).size).toBeGreaterThanOrEqual(20000);
    expect(rows.every((r) => r[1] === '2375' && r[2] === '1' && r[3] === '40' && r[4] === '......S.')).toBe(true);
  });

  it('the spoofed-DDoS victim receives ≥ 1000 distinct sources on port 80, ~80% through 127.0.0.2 interface 7', async () => {
    const { file, truth } = await makeScenarioFile('mixed');
    const victim = truth.planted.find((p) => p.role === 'victim')!;
    const { stdout } = await execa('nfdump', ['-r', file, '-q', '-N', '-o', 'fmt:%sa|%dp|%ra|%in', `dst ip ${victim.ip}`], { env: { TZ: 'UTC' } });
    const rows = stdout.split('\n').filter(Boolean).map((l) => l.split('|').map((x) => x.trim()));
    expect(new Set(rows.filter((r) => r[1] === '80').map((r) => r[0])).size).toBeGreaterThanOrEqual(1000);
    const main = rows.filter((r) => r[2] === victim.entry!.exporter && r[3] === String(victim.entry!.interface)).length / rows.length;
    expect(main).toBeGreaterThan(0.75);
    expect(main).toBeLessThan(0.85);
  });
});
