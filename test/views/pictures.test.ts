import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { brailleLineChart, brailleWorldMap, lineChart, markerChar, pictureMode, plainLineChart, resample, stripSgr, worldMap, type LineChartInput } from '../../src/views/pictures.js';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');
/** Compare with a golden file (UPDATE_GOLDEN=1 writes it; the picture must then be looked at). */
function golden(name: string, lines: string[]): void {
  const file = path.join(GOLDEN, name);
  const text = `${lines.join('\n')}\n`;
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, text);
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

const input: LineChartInput = {
  labels: ['14:00', '14:01', '14:02', '14:03', '14:04', '14:05', '14:06', '14:07'],
  series: [{ name: 'flows', values: [10, 30, 200, 1800, 1500, 40, 0, 5] }],
  width: 60,
  height: 10,
};
const BRAILLE = /[\u2801-\u28ff]/;

describe('pictureMode', () => {
  it.each([
    [80, {}, 'braille'],
    [29, {}, 'plain'],
    [80, { NO_COLOR: '1' }, 'plain'],
    [80, { NO_COLOR: '' }, 'braille'],
    [80, { NOCFLOW_PICTURES: 'plain' }, 'plain'],
    [80, { NO_COLOR: '1', NOCFLOW_PICTURES: 'braille' }, 'braille'],
  ] as const)('width %i env %j → %s', (w, env, mode) => {
    expect(pictureMode(w, env)).toBe(mode);
  });
});

describe('the plain fallback (pure)', () => {
  it('resample keeps each column the maximum of what it covers', () => {
    expect(resample([1, 5, 2, 8], 2)).toEqual([5, 8]);
    expect(resample([3, 9], 4)).toEqual([3, 3, 9, 9]);
    expect(resample([], 3)).toEqual([0, 0, 0]);
  });

  it('draws a column chart at a fixed size (golden) with the peak where the data peaks', () => {
    const lines = plainLineChart({ ...input, width: 40, height: 8 });
    golden('plain-line-40x8.txt', lines);
    expect(lines).toHaveLength(8);
    for (const l of lines) expect(stringWidth(l)).toBe(40);
    expect(lines[0]).toMatch(/^1\.8k│/);
    // The top row is full only over the 4th point (1800), the highest.
    const plot = lines[0].slice(5);
    const per = Math.floor(35 / 8);
    expect(plot.indexOf('█')).toBe(3 * per);
    expect(plot.lastIndexOf('█')).toBe(4 * per - 1);
    expect(lines.at(-1)).toMatch(/^\s+14:00\s+14:07$/);
    expect(lines.join('')).not.toMatch(BRAILLE);
  });

  it('a zero series draws an empty plot, a tiny value still shows', () => {
    const zero = plainLineChart({ ...input, series: [{ name: 'f', values: [0, 0, 0] }], width: 20, height: 4 });
    expect(zero[1]).toMatch(/^\s*0│\s+$/);
    const tiny = plainLineChart({ ...input, series: [{ name: 'f', values: [1000, 0, 1] }], width: 20, height: 4 });
    expect(tiny[1].slice(4)).toMatch(/█+\s+▁+/);
  });
});

describe('blessed-contrib pictures off screen', () => {
  it('a braille line chart at 60x10 (golden), lines exactly 60 cells, the curve peaking over 14:03', () => {
    const lines = brailleLineChart(input);
    golden('braille-line-60x10.txt', lines);
    expect(lines).toHaveLength(10);
    const plain = lines.map(stripSgr);
    for (const l of plain) expect(stringWidth(l)).toBe(60);
    expect(plain.at(-1)).toContain('14:00');
    expect(plain.at(-1)).toContain('14:07');
    // The highest braille dot of the curve lies between the 14:03 and 14:04 labels.
    const top = plain.findIndex((l) => BRAILLE.test(l.slice(5)));
    const col = 5 + plain[top].slice(5).search(BRAILLE);
    const x03 = plain.at(-1)!.indexOf('14:03');
    expect(col).toBeGreaterThanOrEqual(x03 - 3);
    expect(col).toBeLessThanOrEqual(x03 + 4);
    // Coloured: the curve is cyan.
    expect(lines.join('\n')).toContain('\u001b[36m');
  });

  it('other data draws another picture (the chart is of its input)', () => {
    const other = brailleLineChart({ ...input, series: [{ name: 'flows', values: [1800, 10, 10, 10, 10, 10, 10, 10] }] }).map(stripSgr);
    const top = other.findIndex((l) => BRAILLE.test(l.slice(5)));
    expect(5 + other[top].slice(5).search(BRAILLE)).toBeLessThan(other.at(-1)!.indexOf('14:01'));
  });

  it('the world map at 80x17 (golden) puts each marker where its longitude and latitude are, sized by flows', () => {
    const markers = [
      { lat: 25.0, lon: 121.5, flows: 1000 }, // Taipei
      { lat: 38.9, lon: -77.0, flows: 300 }, // Washington
      { lat: -33.9, lon: 151.2, flows: 100 }, // Sydney
      { lat: 55.7, lon: 37.6, flows: 40 }, // Moscow
      { lat: -23.5, lon: -46.6, flows: 5 }, // São Paulo
    ];
    const lines = brailleWorldMap({ markers, width: 80, height: 17 });
    golden('braille-map-80x17.txt', lines);
    const plain = lines.map(stripSgr);
    expect(plain).toHaveLength(17);
    for (const l of plain) expect(stringWidth(l)).toBe(80);
    const find = (ch: string) => plain.map((l, row) => ({ row, col: l.indexOf(ch) })).filter((p) => p.col >= 0);
    // Sizes: one '@' (the largest), one 'O' (≥ 15 %), 'o' for 4–10 %, '.' below 3 %.
    expect(find('@')).toHaveLength(1);
    const at = find('@')[0];
    expect(at.col).toBeGreaterThan(60); // east Asia: right of the middle
    expect(at.row).toBeGreaterThan(5);
    expect(at.row).toBeLessThan(11); // northern hemisphere, below Moscow
    const big = find('O')[0];
    expect(big.col).toBeLessThan(30); // the Americas
    expect(big.row).toBeLessThan(at.row);
    expect(plain.join('\n')).toContain('.');
    expect(lines.join('')).toContain('\u001b[31m@'); // the largest in red
  });

  it('markerChar grows with the share of the largest', () => {
    expect([1000, 400, 100, 10].map((f) => markerChar(f, 1000))).toEqual(['@', 'O', 'o', '.']);
  });

  it('under NO_COLOR the chart is the plain fallback; forced braille has no colour codes', () => {
    const env = { NO_COLOR: '1' };
    const plain = lineChart(input, pictureMode(60, env), env);
    expect(plain).toEqual(plainLineChart(input));
    expect(plain.join('')).not.toMatch(/\u001b/);
    const forced = lineChart(input, pictureMode(60, { ...env, NOCFLOW_PICTURES: 'braille' }), env);
    expect(forced.join('')).toMatch(BRAILLE);
    expect(forced.join('')).not.toMatch(/\u001b/);
    expect(worldMap({ markers: [], width: 80, height: 17 }, pictureMode(80, env), env)).toBeUndefined();
  });
});
