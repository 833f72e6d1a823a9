/**
 * The Top-N list: declared columns (k9s-style header + pure row renderer) and the render. A row is two texts — the
 * columns and the sparkline — so ink measures the long part on its ASCII fast path (bench/tui.ts: key to frame).
 */
import { Box, Text } from 'ink';
import { aboveMinutes, fit, mainFeature, shortDuration, sparkline } from './format.js';
import { theme } from './theme.js';
import { typeLabel, type Lang } from '../i18n/labels.js';
import type { Anomaly } from '../engine/types.js';

/** A row's anomaly with what the engine adds for screens. */
type Row = Anomaly & { history?: number[]; verdict?: unknown };

/** Column widths at a terminal width: 80 columns fit every column; more room widens type, IP, who and feature. */
export function columns(width: number) {
  const extra = Math.max(0, width - 80);
  return { sev: 4, type: 20 + Math.floor(extra * 0.3), ip: 15 + Math.floor(extra * 0.3), who: 5 + Math.floor(extra * 0.2), feat: 13 + Math.floor(extra * 0.2), dur: 5, spark: 12 };
}

/** The header line. */
export function topHeader(width: number, lang: Lang): string {
  const c = columns(width);
  const zh = lang === 'zh-TW';
  return [fit(zh ? '級' : 'SEV', c.sev), fit(zh ? '類型' : 'TYPE', c.type), fit('IP', c.ip), fit(zh ? '單位' : 'WHO', c.who), fit(zh ? '特徵' : 'FEATURE', c.feat), fit(zh ? '持續' : 'DUR', c.dur, 'right'), fit(zh ? '近一小時' : 'LAST 1H', c.spark)].join(' ');
}

/** One row in two parts (pure): the columns, and the sparkline of the last 12 windows. */
export function topCells(a: Row, lang: Lang, width: number, marked: boolean, selected = false): { main: string; spark: string } {
  const c = columns(width);
  // Readable without color or inverse video: cursor '>', marked '*', severity '!!' super / '! ' over, 'fp' once marked
  // a false positive.
  const sev = `${selected ? '>' : ' '}${marked ? '*' : ' '}${a.verdict ? 'fp' : a.severity === 'super' ? '!!' : '! '}`;
  const who = a.unit ?? (a.asn ? `AS${a.asn}` : '');
  const main = [sev, fit(typeLabel(a.type, a.severity, lang), c.type), fit(a.ip, c.ip), fit(who, c.who), fit(mainFeature(a), c.feat), fit(shortDuration(aboveMinutes(a)), c.dur, 'right')].join(' ');
  return { main, spark: fit(sparkline(a.history ?? []), c.spark) };
}

/** One row as one string (pure). */
export function topRow(a: Row, lang: Lang, width: number, marked: boolean): string {
  const { main, spark } = topCells(a, lang, width, marked);
  return `${main} ${spark}`;
}

/** The list: header and the visible slice of rows around the cursor. */
export function TopList(props: { rows: Row[]; selected: number; marks: Set<string>; rowKey: (a: Row) => string; width: number; height: number; lang: Lang }) {
  const { rows, lang, width } = props;
  const room = Math.max(1, props.height - 1);
  const top = Math.max(0, Math.min(props.selected - Math.floor(room / 2), rows.length - room));
  return (
    <Box flexDirection="column">
      <Text bold>{topHeader(width, lang)}</Text>
      {rows.slice(top, top + room).map((a, i) => {
        const k = props.rowKey(a);
        const { main, spark } = topCells(a, lang, width, props.marks.has(k), top + i === props.selected);
        return (
          <Box key={k}>
            <Text inverse={top + i === props.selected} color={theme.severity(a.severity, !!a.verdict)}>
              {main}{' '}
            </Text>
            <Text color={theme.color('cyan')}>{spark}</Text>
          </Box>
        );
      })}
    </Box>
  );
}
