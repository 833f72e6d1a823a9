/**
 * Charts inside ink. Horizontal share bars and sparklines are pure string functions (src/views/format.ts: `bar`,
 * `sparkline`, `barLine`); line charts and the world map come from src/views/pictures.ts, which draws them with
 * blessed-contrib off screen (or with its pure fallback) and hands back lines of text that ink prints as they are —
 * ink stays the one screen manager.
 */
import { Box, Text } from 'ink';
import { barLine, fit, human, sparkline } from './format.js';
import { lineChart, pictureMode } from './pictures.js';
import { theme } from './theme.js';

/** One titled bar chart of shares (a feature distribution). */
export function BarChart(props: { title: string; items: { value: number | string; share: number }[]; label: (v: number | string) => string; width: number; rows?: number; empty: string }) {
  const items = props.items.slice(0, props.rows ?? 5);
  return (
    <Box flexDirection="column">
      <Text bold>{props.title}</Text>
      {items.map((it, i) => {
        const l = barLine(props.label(it.value), it.share, props.width);
        return (
          <Text key={`${i}:${String(it.value)}`}>
            {l.label} <Text color={theme.color('green')}>{l.bar}</Text> {l.pct}
          </Text>
        );
      })}
      {items.length === 0 ? <Text dimColor>{props.empty}</Text> : null}
    </Box>
  );
}

/** A sparkline of values (each cell scaled to the maximum). */
export function Sparkline(props: { values: number[]; color?: string }) {
  return <Text color={theme.color(props.color ?? 'cyan')}>{sparkline(props.values)}</Text>;
}

/** The lines of a picture, printed as they are (they already fit their width). */
export function Picture({ lines }: { lines: string[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate">{l}</Text>
      ))}
    </Box>
  );
}

/** "14:05" (UTC) of an epoch-ms time. Pure. */
export const hhmm = (t: number): string => new Date(t).toISOString().slice(11, 16);

/** A point of a time series. */
export interface TimePoint {
  t: number;
  value: number;
}

/**
 * A titled line chart of one metric over time (`height` rows including the title): braille by blessed-contrib, or
 * the plain column chart under NO_COLOR, on narrow terminals and in tests.
 */
export function TimeChart(props: { title: string; points: TimePoint[]; width: number; height: number; color?: string; caption?: string }) {
  const { width } = props;
  const chartH = Math.max(3, props.height - 1 - (props.caption ? 1 : 0));
  const input = { labels: props.points.map((p) => hhmm(p.t)), series: [{ name: props.title, values: props.points.map((p) => p.value), color: props.color }], width, height: chartH };
  const max = Math.max(0, ...props.points.map((p) => p.value));
  return (
    <Box flexDirection="column">
      <Text bold>{fit(`${props.title}${props.points.length ? `  (max ${human(max)})` : ''}`, width)}</Text>
      {props.points.length ? <Picture lines={lineChart(input, pictureMode(width))} /> : null}
      {props.caption ? <Text dimColor>{fit(props.caption, width)}</Text> : null}
    </Box>
  );
}
