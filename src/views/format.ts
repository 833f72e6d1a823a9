/** Pure formatting for the screens: numbers, durations, bars, sparklines, display-width padding (CJK-aware). */
import stringWidth from 'string-width';
import type { Anomaly } from '../engine/types.js';
import { PROTO_NAMES } from '../engine/features.js';
import { stripControl } from '../util/sanitize.js';

/** 1234567 → "1.2M". */
export function human(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e12) return `${(n / 1e12).toFixed(1)}T`;
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Minutes → "2h05m" / "35m" / "3d4h". */
export function shortDuration(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  if (m >= 1440) return `${Math.floor(m / 1440)}d${Math.floor((m % 1440) / 60)}h`;
  if (m >= 60) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  return `${m}m`;
}

/** Cells of one code point: printable ASCII and most scripts below U+1100 take one; others are measured. */
function charWidth(ch: string): number {
  const c = ch.codePointAt(0)!;
  return c >= 0x20 && c < 0x1100 && !(c >= 0x300 && c < 0x370) ? 1 : stringWidth(ch);
}

/** Pad or cut `text` to exactly `width` terminal cells (wide CJK characters count 2). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const clean = stripControl(text);
  // Fast path (most rows: IPs, numbers, English labels): printable ASCII is one cell per character.
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x20-\x7e]*$/.test(clean);
  let w = ascii ? clean.length : stringWidth(clean);
  let s = clean;
  if (w > width) {
    if (ascii) {
      s = `${clean.slice(0, Math.max(0, width - 1))}…`;
      w = Math.max(0, width - 1) + 1;
    } else {
      let out = '';
      let used = 0;
      for (const ch of clean) {
        const cw = charWidth(ch);
        if (used + cw > width - 1) break;
        out += ch;
        used += cw;
      }
      s = `${out}…`;
      w = used + 1;
    }
  }
  const pad = ' '.repeat(Math.max(0, width - w));
  return align === 'left' ? s + pad : pad + s;
}

const SPARK = '▁▂▃▄▅▆▇█';

/**
 * Wrap text to `width` display cells (CJK counts two): breaks at spaces where it can, inside a word only when a word
 * is wider than the line; continuation lines start with `indent`. Nothing is cut off. Pure.
 */
export function wrapCells(text: string, width: number, indent = '  '): string[] {
  const clean = stripControl(text);
  const w = Math.max(4 + indent.length, width);
  const iw = stringWidth(indent);
  const out: string[] = [];
  let line = '';
  let lineW = 0;
  const push = () => {
    out.push(line.trimEnd());
    line = indent;
    lineW = iw;
  };
  for (const word of clean.split(/(\s+)/)) {
    if (word === '') continue;
    const ww = stringWidth(word);
    if (lineW + ww <= w) {
      line += word;
      lineW += ww;
    } else if (/^\s+$/.test(word)) {
      push();
    } else if (ww <= w - iw && line.trim() !== '') {
      push();
      line += word;
      lineW += ww;
    } else {
      for (const ch of word) {
        const cw = stringWidth(ch);
        if (lineW + cw > w && line.trim() !== '') push();
        line += ch;
        lineW += cw;
      }
    }
  }
  if (line.trim() !== '' || out.length === 0) out.push(line.trimEnd());
  return out;
}

/** A sparkline of values scaled to their maximum ("▁▃█"); zeros draw as '·'. */
export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (v <= 0 || max <= 0 ? '·' : SPARK[Math.min(7, Math.floor((v / max) * 7.999))])).join('');
}

/** A horizontal bar for a share (0..1) in `width` cells, with eighth-cell resolution. */
export function bar(share: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, share)) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  // Partial cells: index rest-1 is rest eighths ('▏' = 1/8 … '▉' = 7/8).
  return ('█'.repeat(full) + (rest ? '▏▎▍▌▋▊▉'[rest - 1] : '')).padEnd(width, ' ').slice(0, width);
}

/** "TCP/22 99.9%", or the signature when there is one. */
export function mainFeature(a: Anomaly): string {
  if (a.signature) return a.signature;
  const p = a.features.protocols[0];
  const d = a.features.dstPorts[0];
  const proto = p ? PROTO_NAMES[Number(p.value)] ?? String(p.value) : '?';
  if (d && d.share >= 0.5) return `${proto}/${d.value} ${(d.share * 100).toFixed(1)}%`;
  if (a.beacon) return `every ${a.beacon.meanIntervalSeconds.toFixed(0)}s`;
  return `${proto} ${a.features.distinct.dstPorts} ports`;
}

/** Minutes above threshold so far (from tracking; a window is 5 minutes). */
export function aboveMinutes(a: Anomaly): number {
  return (a.tracking?.streak ?? 1) * 5;
}

/** One bar-chart line split in parts: label fitted to a column, the bar, and the percentage ("99.9%"). Pure. */
export function barLine(label: string, share: number, width: number): { label: string; bar: string; pct: string; text: string } {
  const labelW = Math.min(14, Math.max(6, Math.floor(width * 0.3)));
  // Bars longer than 48 cells read no better; wide terminals give the room to the next column instead.
  const barW = Math.max(4, Math.min(48, width - labelW - 8));
  const l = fit(label, labelW);
  const b = bar(share, barW);
  const p = `${(Math.max(0, Math.min(1, share)) * 100).toFixed(1)}%`.padStart(6);
  return { label: l, bar: b, pct: p, text: `${l} ${b} ${p}` };
}
