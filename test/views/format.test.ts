import { describe, expect, it } from 'vitest';
import { bar, barLine, fit, human, shortDuration, sparkline } from '../../src/views/format.js';

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
