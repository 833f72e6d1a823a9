/**
 * Pictures for the screens: line charts and a world map drawn by blessed-contrib into an off-screen blessed screen
 * (bound to dummy streams, never to the terminal) and handed back as lines of text, so that ink stays the one screen
 * manager and prints them inside its own boxes. Every picture has a pure fallback drawn from block characters
 * (column charts; no map) that is used under NO_COLOR, on narrow terminals and in tests; `mode` chooses.
 *
 * blessed and blessed-contrib are CommonJS and slow to load (~0.9 s, synchronous): they are required when the first
 * braille picture is drawn — never at start, where the block would stall the TUI's first exchanges with the engine.
 * One off-screen screen is kept per size (creating one costs far more than drawing into it).
 */
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { stripControl } from '../util/sanitize.js';
import { fit, human } from './format.js';

/** How pictures are drawn: braille (blessed-contrib) or plain block characters (pure). */
export type PictureMode = 'braille' | 'plain';

/** Narrower than this, a braille chart has no room for its axes: plain columns read better. */
export const MIN_BRAILLE_WIDTH = 30;

/**
 * The mode for a picture `width` cells wide: plain under NO_COLOR, on narrow terminals, or when
 * NOCFLOW_PICTURES=plain; braille otherwise. NOCFLOW_PICTURES=braille forces braille (colour stripped under NO_COLOR).
 * Pure over its arguments.
 */
export function pictureMode(width: number, env: Record<string, string | undefined> = process.env): PictureMode {
  const forced = env.NOCFLOW_PICTURES;
  if (forced === 'plain') return 'plain';
  if (forced === 'braille') return 'braille';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 'plain';
  return width >= MIN_BRAILLE_WIDTH ? 'braille' : 'plain';
}

/** Remove SGR (colour) sequences: what a braille picture looks like under NO_COLOR. Pure. */
export function stripSgr(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** One line of a chart: a name, its values (one per x label) and a colour name. */
export interface ChartSeries {
  name: string;
  values: number[];
  color?: string;
}

/** A line chart's input. */
export interface LineChartInput {
  /** One label per point (times, "14:05"). */
  labels: string[];
  series: ChartSeries[];
  /** Size of the picture in terminal cells. */
  width: number;
  height: number;
}

/** A marker on the world map. */
export interface MapMarker {
  lat: number;
  lon: number;
  /** Drives the marker's size. */
  flows: number;
}

/** The world map's input. */
export interface WorldMapInput {
  markers: MapMarker[];
  width: number;
  height: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Pure fallback: column charts of block characters.

const EIGHTHS = ' ▁▂▃▄▅▆▇█';

/** Resample `values` to `n` columns (each column the maximum of the values it covers; stretched when fewer). Pure. */
export function resample(values: number[], n: number): number[] {
  if (n <= 0) return [];
  if (values.length === 0) return new Array(n).fill(0);
  const out: number[] = [];
  for (let c = 0; c < n; c++) {
    const a = Math.floor((c * values.length) / n);
    const b = Math.max(a + 1, Math.floor(((c + 1) * values.length) / n));
    let m = 0;
    for (let i = a; i < b && i < values.length; i++) m = Math.max(m, values[i]);
    out.push(m);
  }
  return out;
}

/**
 * A column chart `width`×`height` cells (pure): y labels on the left, one column of eighth blocks per resampled point,
 * the first series only (the fallback draws one line at a time), the first and last x labels under the axis.
 */
export function plainLineChart(input: LineChartInput): string[] {
  const { width, height } = input;
  const values = input.series[0]?.values ?? [];
  const max = Math.max(0, ...values);
  const labelW = Math.max(3, human(max).length);
  const plotW = Math.max(1, width - labelW - 1);
  const plotH = Math.max(1, height - 2);
  const cols = resample(values, Math.min(plotW, Math.max(1, values.length)) || 1);
  // Each point gets an equal share of the plot width.
  const per = Math.max(1, Math.floor(plotW / Math.max(1, cols.length)));
  const lines: string[] = [];
  for (let row = 0; row < plotH; row++) {
    const fromBottom = plotH - 1 - row;
    let line = '';
    for (const v of cols) {
      const eighths = max > 0 ? Math.round((v / max) * plotH * 8) : 0;
      const here = Math.max(0, Math.min(8, eighths - fromBottom * 8));
      // A non-zero value never vanishes: at least one eighth on the bottom row.
      const cell = here === 0 && fromBottom === 0 && v > 0 ? 1 : here;
      line += EIGHTHS[cell].repeat(per);
    }
    const label = row === 0 ? human(max) : row === plotH - 1 ? '0' : '';
    lines.push(`${fit(label, labelW, 'right')}│${fit(line, plotW)}`);
  }
  lines.push(`${' '.repeat(labelW)}└${'─'.repeat(plotW)}`);
  const first = stripControl(input.labels[0] ?? '');
  const last = stripControl(input.labels[input.labels.length - 1] ?? '');
  const room = plotW - first.length - last.length;
  lines.push(fit(`${' '.repeat(labelW + 1)}${first}${room > 0 && input.labels.length > 1 ? `${' '.repeat(room)}${last}` : ''}`, width));
  return lines.slice(0, height).map((l) => fit(l, width));
}

// ---------------------------------------------------------------------------------------------------------------
// blessed-contrib, off screen.

interface BlessedScreen {
  append(node: unknown): void;
  remove(node: unknown): void;
  render(): void;
  screenshot(xi: number, xl: number, yi: number, yl: number): string;
  destroy(): void;
}
interface ContribLine {
  setData(data: { title: string; x: string[]; y: number[]; style?: { line: string } }[]): void;
}
interface ContribMap {
  addMarker(m: { lon: string; lat: string; color: string; char: string }): void;
}
interface Blessed {
  screen(opts: Record<string, unknown>): BlessedScreen;
}
interface Contrib {
  line(opts: Record<string, unknown>): ContribLine;
  map(opts: Record<string, unknown>): ContribMap;
}

let libs: { blessed: Blessed; contrib: Contrib } | undefined;
const screens = new Map<string, BlessedScreen>();

function load(): { blessed: Blessed; contrib: Contrib } {
  if (!libs) {
    const require = createRequire(import.meta.url);
    libs = { blessed: require('blessed') as Blessed, contrib: require('blessed-contrib') as Contrib };
  }
  return libs;
}

/** An off-screen blessed screen of at least w×h cells on dummy streams (kept; a few sizes at most). */
function offscreen(w: number, h: number): BlessedScreen {
  const key = `${w}x${h}`;
  let s = screens.get(key);
  if (s) return s;
  if (screens.size >= 8) {
    const [oldKey, old] = screens.entries().next().value as [string, BlessedScreen];
    old.destroy();
    screens.delete(oldKey);
  }
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: w, rows: h });
  output.on('data', () => undefined); // drain what blessed writes to its "terminal"
  // 'ansi': the cheapest terminfo to load; the screenshot's SGR codes are the same as with xterm-256color.
  s = load().blessed.screen({ input, output, terminal: 'ansi', fullUnicode: true, warnings: false, autoPadding: false });
  screens.set(key, s);
  return s;
}

/** Draw one widget off screen and return the top-left w×h cells as lines. */
function shoot(w: number, h: number, screenH: number, draw: (s: BlessedScreen) => unknown): string[] {
  const s = offscreen(w + 8, screenH + 2);
  const node = draw(s);
  try {
    s.render();
    const text = s.screenshot(0, w, 0, h);
    const lines = text.split('\n').slice(0, h);
    while (lines.length < h) lines.push(' '.repeat(w));
    return lines;
  } finally {
    s.remove(node);
  }
}

const COLORS = ['cyan', 'yellow', 'magenta', 'green'];

/** A braille line chart by blessed-contrib (SGR-coloured lines, each exactly `width` cells). */
export function brailleLineChart(input: LineChartInput): string[] {
  const { contrib } = load();
  const { width, height } = input;
  // contrib.line draws on a canvas 6 cells narrower and 2 rows shorter than its box, its x labels 3 rows above the
  // canvas' bottom: a box 3 rows taller puts them on the picture's last row.
  return shoot(width, height, height + 3, (s) => {
    const line = contrib.line({
      screen: s, top: 0, left: 0, width: width + 6, height: height + 3, showLegend: false, abbreviate: true, numYLabels: Math.max(2, Math.min(5, Math.floor(height / 2))),
      xLabelPadding: 3, xPadding: 5, style: { line: input.series[0]?.color ?? COLORS[0], text: 'white', baseline: 'white' },
    });
    s.append(line);
    const labels = input.labels.map((l) => stripControl(l));
    const series = input.series.length ? input.series : [{ name: '', values: labels.map(() => 0) }];
    line.setData(series.map((x, i) => ({ title: stripControl(x.name), x: labels, y: x.values.map((v) => (Number.isFinite(v) ? v : 0)), style: { line: x.color ?? COLORS[i % COLORS.length] } })));
    return line;
  });
}

/** The marker character for `flows` against the largest marker's: bigger for more flows. Pure. */
export function markerChar(flows: number, max: number): string {
  const r = max > 0 ? flows / max : 0;
  return r >= 0.5 ? '@' : r >= 0.15 ? 'O' : r >= 0.03 ? 'o' : '.';
}

/** The map's land covers about this share of the canvas rows (Antarctica left out): the box is drawn taller and cut. */
const MAP_ROWS_USED = 0.78;

/** A braille world map by blessed-contrib with a marker per origin, sized by flows (largest in red). */
export function brailleWorldMap(input: WorldMapInput): string[] {
  const { contrib } = load();
  const { width, height } = input;
  const boxH = Math.ceil(height / MAP_ROWS_USED);
  const max = Math.max(0, ...input.markers.map((m) => m.flows));
  return shoot(width, height, boxH, (s) => {
    const map = contrib.map({ screen: s, top: 0, left: 0, width: width + 6, height: boxH, style: { shapeColor: 'green' } });
    s.append(map);
    // Smallest first, so a big marker is never hidden under a small one.
    for (const m of [...input.markers].filter((x) => Number.isFinite(x.lat) && Number.isFinite(x.lon)).sort((a, b) => a.flows - b.flows)) {
      const ch = markerChar(m.flows, max);
      map.addMarker({ lat: String(m.lat), lon: String(m.lon), color: ch === '@' ? 'red' : 'yellow', char: ch });
    }
    return map;
  });
}

/** A line chart in the given mode (braille colour stripped under NO_COLOR). */
export function lineChart(input: LineChartInput, mode: PictureMode = pictureMode(input.width), env: Record<string, string | undefined> = process.env): string[] {
  if (mode === 'plain') return plainLineChart(input);
  const lines = brailleLineChart(input);
  return env.NO_COLOR ? lines.map(stripSgr) : lines;
}

/** The world map in the given mode; undefined in plain mode (the screen then shows only the list beside it). */
export function worldMap(input: WorldMapInput, mode: PictureMode = pictureMode(input.width), env: Record<string, string | undefined> = process.env): string[] | undefined {
  if (mode === 'plain') return undefined;
  const lines = brailleWorldMap(input);
  return env.NO_COLOR ? lines.map(stripSgr) : lines;
}
