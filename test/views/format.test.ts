import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { bar, barLine, fit, human, shortDuration, sparkline, wrapCells } from '../../src/views/format.js';

describe('format (pure string functions behind the charts)', () => {
  it('bar draws eighth cells in the right order', () => {
    expect(bar(0, 4)).toBe('    ');
    expect(bar(1 / 32, 4)).toBe('▏   '); // one eighth of one cell
    expect(bar(7 / 32, 4)).toBe('▉   '); // seven eighths
    expect(bar(0.5, 10)).toBe('█████     ');
    expect(bar(1, 4)).toBe('████');
    expect(bar(1.7, 4)).toBe('████');
    expect(bar(-1, 4)).toBe('    ');
  });

  it('barLine: label column, bar, and the percentage with one decimal', () => {
    const l = barLine('TCP', 0.999, 40);
    expect(l.pct).toBe(' 99.9%');
    expect(l.text.startsWith('TCP')).toBe(true);
    expect(l.text).toMatch(/^TCP\s+█+▉?\s+99\.9%$/);
    expect(barLine('x', 0.25, 40).bar.trimEnd().length).toBeLessThan(barLine('x', 0.75, 40).bar.trimEnd().length);
  });

  it('fit pads and cuts by terminal cells (CJK = 2) and strips control characters', () => {
    expect(fit('連線對象過多', 8)).toBe('連線對… ');
    expect(fit('ab', 4, 'right')).toBe('  ab');
    expect(fit('a\u001b[31mb\u0007c', 5)).toBe('abc  ');
    expect(fit('abcdef', 4)).toBe('abc…');
  });

  it('sparkline scales to the maximum; zeros are dots', () => {
    expect(sparkline([0, 1, 2, 4])).toBe('·▂▄█');
    expect(sparkline([0, 0])).toBe('··');
    expect(sparkline([3, 3, 3])).toBe('███');
  });

  it('human and shortDuration', () => {
    expect(human(123456)).toBe('123k');
    expect(human(1500)).toBe('1.5k');
    expect(human(2_500_000)).toBe('2.5M');
    expect(shortDuration(125)).toBe('2h05m');
    expect(shortDuration(35)).toBe('35m');
    expect(shortDuration(1500)).toBe('1d1h');
  });
});

describe('wrapCells', () => {
  it('breaks at spaces, keeps every character, indents continuations and never exceeds the width', () => {
    const rule = 'ipv6 src 2001:db8:1234:5678:9abc:def0:1234:5678/128 dst 2001:db8:ffff::/48 tcp dport 443 sport 51000 length 60 → discard';
    const lines = wrapCells(rule, 40);
    expect(lines.every((l) => stringWidth(l) <= 40)).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith('  '))).toBe(true);
    // The 42-cell address is wider than a line: split inside; nothing lost.
    expect(lines.join('').replace(/\s/g, '')).toBe(rule.replace(/\s/g, ''));
    // Wide enough for every word: breaks only at spaces.
    const wide = wrapCells(rule, 60);
    expect(wide.map((l, i) => (i === 0 ? l : l.slice(2))).join(' ')).toBe(rule);
    expect(wrapCells('short', 40)).toEqual(['short']);
  });

  it('counts CJK as two cells and breaks a word wider than the line', () => {
    const zh = wrapCells('受害者：以目的位址比對，依協定與 port 縮小範圍，限速（丟棄等於替攻擊者完成攻擊）', 30);
    expect(zh.every((l) => stringWidth(l) <= 30)).toBe(true);
    expect(zh.join('').replace(/\s/g, '')).toBe('受害者：以目的位址比對，依協定與port縮小範圍，限速（丟棄等於替攻擊者完成攻擊）');
    expect(wrapCells('x'.repeat(25), 10, '')).toEqual(['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx']);
    expect(wrapCells('a\x1b[2Jb', 10)).toEqual(['ab']);
  });
});
