/**
 * Line charts of a target's traffic over time — flows, packets and bytes per bucket — for Investigate and the attacker
 * detail: the three side by side on wide terminals, one at a time on narrow ones (`c` cycles). Render only.
 */
import { Box } from 'ink';
import type { Lang } from '../i18n/labels.js';
import { TimeChart, type TimePoint } from './charts.js';

/** What a chart shows. */
export type Metric = 'flows' | 'packets' | 'bytes';
const METRICS: Metric[] = ['flows', 'packets', 'bytes'];

/** A bucket of a series (Investigate's, or the stored windows'). */
export interface SeriesPoint {
  t: number;
  flows: number;
  packets?: number;
  bytes?: number;
}

/** The chart title of a metric per bucket ("Flows per minute", "每5分鐘封包"). Pure. */
export function metricTitle(m: Metric, bucketMs: number, lang: Lang): string {
  const min = Math.max(1, Math.round(bucketMs / 60_000));
  if (lang === 'zh-TW') return `每${min === 1 ? '' : min}分鐘${{ flows: ' Flow', packets: '封包', bytes: ' Bytes' }[m]}`;
  return `${{ flows: 'Flows', packets: 'Packets', bytes: 'Bytes' }[m]} per ${min === 1 ? 'minute' : `${min} minutes`}`;
}

/** The points of one metric (undefined values as 0). Pure. */
export function pointsOf(series: SeriesPoint[], m: Metric): TimePoint[] {
  return series.map((p) => ({ t: p.t, value: (m === 'flows' ? p.flows : p[m]) ?? 0 }));
}

/** Flows / packets / bytes charts of a series: all three when `width` allows, else `metric` (with the `c` hint). */
export function SeriesCharts(props: { series: SeriesPoint[]; bucketMs: number; metric: Metric; width: number; height: number; lang: Lang; caption?: string }) {
  const { width, lang } = props;
  // A source that has only flows (Elasticsearch answers) draws only flows.
  const metrics = props.series.some((p) => p.packets !== undefined) ? METRICS : (['flows'] as Metric[]);
  const colors: Record<Metric, string> = { flows: 'cyan', packets: 'yellow', bytes: 'magenta' };
  if (width >= 150 && metrics.length === 3) {
    const w = Math.floor((width - 2) / 3);
    return (
      <Box flexDirection="row">
        {metrics.map((m) => (
          <Box key={m} width={w + 1} flexDirection="column">
            <TimeChart title={metricTitle(m, props.bucketMs, lang)} points={pointsOf(props.series, m)} width={w} height={props.height} color={colors[m]} caption={m === 'flows' ? props.caption : undefined} />
          </Box>
        ))}
      </Box>
    );
  }
  const m = metrics.includes(props.metric) ? props.metric : 'flows';
  const next = metrics.length > 1 ? `  [c: ${metricTitle(metrics[(metrics.indexOf(m) + 1) % metrics.length], props.bucketMs, lang)}]` : '';
  return <TimeChart title={`${metricTitle(m, props.bucketMs, lang)}${next}`} points={pointsOf(props.series, m)} width={width} height={props.height} color={colors[m]} caption={props.caption} />;
}
