/**
 * Charts drawn by nocflow itself inside ink: horizontal share bars and sparklines are pure string functions
 * (src/views/format.ts: `bar`, `sparkline`, `barLine`) wrapped in tiny components. blessed-contrib was not used: it
 * draws into a blessed screen of its own, and two screen managers cannot share one terminal.
 */
import { Box, Text } from 'ink';
import { barLine, sparkline } from './format.js';
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
