import { describe, expect, it } from 'vitest';
import { addressWithPlace, huntReportText, memberTable } from '../../src/hunt/text.js';
import type { HuntReport, HuntedSignature } from '../../src/hunt/report.js';

const T = Date.UTC(2026, 10, 22, 8, 5);
const m = (ip: string, destinations: number, flows = destinations) => ({ ip, destinations, flows, sourcePorts: destinations, files: 2, firstSeen: T, lastSeen: T + 3_600_000 });
const sig = (s: Partial<HuntedSignature> & { signature: string }): HuntedSignature => {
  const [port, packets, bytes] = s.signature.split('-').map(Number);
  return { port, packets, bytes, proto: 6, strength: 1, weak: false, hunted: true, attackers: [], members: [], flows: 0, serverReplyFlows: 0, knownServerFlows: 0, droppedSources: 0, droppedFlows: 0, ...s };
};
const report: HuntReport = {
  day: '2026-11-22', source: 'files', files: 24, flows: 1234567, matched: 10,
  signatures: [
    sig({ signature: '22-4-240', strength: 12.5, attackers: ['185.232.67.11'], members: [m('185.232.67.11', 900)], flows: 900 }),
    sig({ signature: '1433-3-152', strength: 11.36, attackers: ['222.74.48.230', '218.4.133.202'], members: [m('222.74.48.230', 3000), m('1.170.36.229', 280), m('140.130.46.118', 1, 120)], flows: 3400, knownServerFlows: 50 }),
    sig({ signature: '1433-1-40', strength: 1, weak: true, hunted: false, attackers: ['125.64.94.220'] }),
  ],
};
const places: Record<string, string> = { '222.74.48.230': '@Baotou[CN]', '218.4.133.202': '@Nanjing[CN]', '185.232.67.11': '@Timisoara[RO]' };
const place = (ip: string) => places[ip] ?? '';

describe('the hunt report in words', () => {
  it('English: ports in order of their best signature, the seeds\' numbered lines, the member table', () => {
    const lines = huntReportText(report, { place }).split('\n');
    expect(lines[0]).toBe('# Hunt 2026-11-22 (24 files): 1,234,567 flows, 3 signatures (1 weak, not hunted)');
    expect(lines).toContain('Port 22 (SSH) | 1 signature');
    expect(lines).toContain('Port 1433 (MSSQL) | 2 signatures');
    expect(lines.indexOf('Port 22 (SSH) | 1 signature')).toBeLessThan(lines.indexOf('Port 1433 (MSSQL) | 2 signatures'));
    expect(lines).toContain('1# 1433-3-152: 2 attackers: 222.74.48.230 (@Baotou[CN]) 218.4.133.202 (@Nanjing[CN])');
    expect(lines).toContain('2# 1433-1-40: 1 attacker: 125.64.94.220');
    expect(lines).toContain('   strength 11.36 (TCP), 3 members, 3,400 flows, 50 from known servers left out');
    const head = lines.findIndex((l) => l.trim().startsWith('source') && lines[lines.indexOf(l) - 1].includes('11.36'));
    expect(lines.slice(head, head + 4)).toEqual([
      '   source          dests  flows  sports  files  first        last         where',
      '   222.74.48.230    3000   3000    3000      2  11-22 08:05  11-22 09:05  @Baotou[CN]',
      '   1.170.36.229      280    280     280      2  11-22 08:05  11-22 09:05',
      '   140.130.46.118      1    120       1      2  11-22 08:05  11-22 09:05',
    ]);
  });

  it('Traditional Chinese, in the seeds\' wording and punctuation', () => {
    const lines = huntReportText(report, { lang: 'zh-TW', place }).split('\n');
    expect(lines[0]).toBe('# 2026-11-22 特徵搜索（24 個檔案）：Netflow 1,234,567 筆，特徵 3 種（1 種弱特徵未搜索）');
    expect(lines).toContain('Port 1433（MSSQL） | 發現特徵2種');
    expect(lines).toContain('1＃1433-3-152：2個攻擊者：222.74.48.230(@Baotou[CN]) 218.4.133.202(@Nanjing[CN])');
    expect(lines).toContain('   特徵強度 11.36（TCP），成員 3 個，Netflow 3,400 筆，已知伺服器 50 筆不計');
    expect(lines).toContain('   弱特徵：僅有標頭（單一 SYN 或空探測，來源可偽造），未搜索；加 --weak 搜索');
    // Columns line up in terminal cells (CJK headers are two cells wide).
    const table = memberTable([m('222.74.48.230', 3000)], 'zh-TW', place);
    expect(table[0]).toBe('   來源IP         目標IP數量  Netflow筆數  來源Port數  檔案數  首見         末見         位置');
    expect(table[1]).toBe('   222.74.48.230        3000         3000        3000       2  11-22 08:05  11-22 09:05  @Baotou[CN]');
  });

  it('limits the members listed and says how many more; names at most five attackers', () => {
    const many = { ...report, signatures: [sig({ signature: '22-4-240', attackers: Array.from({ length: 7 }, (_, i) => `192.0.2.${i}`), members: Array.from({ length: 30 }, (_, i) => m(`198.51.100.${i}`, 30 - i)) })] };
    const text = huntReportText(many, { limit: 10 });
    expect(text).toContain('1# 22-4-240: 7 attackers: 192.0.2.0 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 … (+2)');
    expect(text).toContain('   … 20 more (--limit 0 lists all)');
    expect(text.split('\n').filter((l) => l.startsWith('   198.51.100.')).length).toBe(10);
    expect(huntReportText(many, { limit: 0 }).split('\n').filter((l) => l.startsWith('   198.51.100.')).length).toBe(30);
  });

  it('an empty catalogue says why; addresses without a place stay bare', () => {
    expect(huntReportText({ ...report, signatures: [] })).toContain('No signature in the catalogue');
    expect(addressWithPlace('192.0.2.1', '', 'zh-TW')).toBe('192.0.2.1');
    expect(addressWithPlace('192.0.2.1', '@X[YY]', 'en')).toBe('192.0.2.1 (@X[YY])');
  });
});
