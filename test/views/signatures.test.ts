import { describe, expect, it } from 'vitest';
import { catalogueLines, memberAnomaly, planBlocks, planText, visibleLines } from '../../src/views/signatures.js';
import { proposeRule } from '../../src/flowspec/propose.js';
import { ruleText } from '../../src/flowspec/rule.js';
import type { SignatureDay } from '../../src/hunt/records.js';

const sd = (signature: string, strength: number, hunted = true, attackers = ['192.0.2.1']): SignatureDay => {
  const [port, packets, bytes] = signature.split('-').map(Number);
  return { day: '2026-11-22', signature, port, packets, bytes, proto: 6, strength, weak: !hunted, hunted, attackers, members: 3, flows: 9 };
};
const member = (i: number, destinations: number) => ({ ip: `198.51.100.${i}`, destinations, flows: destinations, sourcePorts: destinations, files: 1, firstSeen: 0, lastSeen: 0 });

describe('the Signatures view (pure)', () => {
  it('the catalogue grouped by port, ports in the order of their strongest signature', () => {
    const { rows, lines } = catalogueLines([sd('1433-1-40', 1, false), sd('22-4-240', 20), sd('1433-3-152', 11.4)], 100, 'en');
    expect(rows.map((r) => r.signature)).toEqual(['22-4-240', '1433-3-152', '1433-1-40']);
    expect(lines.map((l) => (l.kind === 'port' ? l.text.trimEnd() : `[${l.row}]`))).toEqual(['Port 22 (SSH) | 1 signature', '[0]', 'Port 1433 (MSSQL) | 2 signatures', '[1]', '[2]']);
    expect(lines[4].text).toContain('2# 1433-1-40');
    expect(lines[4].text).toContain('weak: not hunted');
    expect(catalogueLines([sd('22-4-240', 20)], 100, 'zh-TW').lines[0].text.trimEnd()).toBe('Port 22 (SSH) | 發現特徵1種');
    // The selected row stays visible, its port header above it when there is room.
    expect(visibleLines(lines, 1, 2).map((l) => l.kind)).toEqual(['port', 'row']);
    expect(visibleLines(lines, 2, 2).map((l) => (l.kind === 'row' ? l.row : -1))).toEqual([1, 2]);
  });

  it('blocks for a marked family: most destinations first, never more than the rule budget left or one request', () => {
    const members = Array.from({ length: 300 }, (_, i) => member(i % 250, 1000 - i)).filter((m, i, a) => a.findIndex((x) => x.ip === m.ip) === i);
    const all = members.map((m) => m.ip);
    const p = planBlocks(members, all, { maxActiveRules: 1000, activeRules: 990 });
    expect(p.propose).toEqual(members.slice(0, 10).map((m) => m.ip));
    expect(p).toMatchObject({ leftOut: 240, budgetBefore: 10, budgetAfter: 0 });
    expect(planText(p, 250, 1000, 'en')).toBe('proposing the 10 with the most destinations of 250 marked: 10 rules of 10 left under flowspec.maxActiveRules 1000 (0 after)');
    const q = planBlocks(members, all, { maxActiveRules: 1000, activeRules: 0 });
    expect(q.propose).toHaveLength(50); // block.propose takes 50 at a time
    expect(q.propose[0]).toBe(members[0].ip);
    const few = planBlocks(members, [members[5].ip, members[2].ip], { maxActiveRules: 1000, activeRules: 0 });
    expect(few).toMatchObject({ propose: [members[2].ip, members[5].ip], leftOut: 0, budgetAfter: 998 });
    const none = planBlocks(members, all, { maxActiveRules: 5, activeRules: 7 });
    expect(none.propose).toEqual([]);
    expect(planText(none, 250, 5, 'en')).toMatch(/no rule budget left/);
  });

  it('a member becomes an attacker anomaly whose rule discards its source on the signature\'s protocol and port', () => {
    const a = memberAnomaly(member(7, 280), { signature: '1433-3-152', port: 1433, packets: 3, bytes: 152, proto: 6 }, '2026-11-22');
    expect(ruleText(proposeRule(a).rule)).toBe('ipv4 src 198.51.100.7/32 tcp dport 1433 → discard');
    expect(proposeRule(a).rule).toMatchObject({ source: '198.51.100.7/32', protocol: 6, destinationPort: 1433, action: { kind: 'discard' } });
  });
});
