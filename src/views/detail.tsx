/**
 * Attacker detail (Enter): a line chart of its last hour (flows / packets / bytes per minute, from the nfcapd files),
 * the feature breakdown as bar charts (protocols, destination ports, packets/flow, bytes/flow,
 * TCP flags), signature, tracking, evidence, victims' entry points ranked, and the alert text. Render only; the body
 * scrolls with j/k when it is taller than the terminal.
 */
import { Box, Text } from 'ink';
import { BarChart, hhmm } from './charts.js';
import { SeriesCharts, type Metric, type SeriesPoint } from './series-charts.js';
import { barLine, fit, human } from './format.js';
import { theme } from './theme.js';
import { alertText, portLabel, protoLabel, trackingSentence } from '../engine/alert-text.js';
import { proberText } from '../i18n/devices-text.js';
import { roleLabels, typeLabel, type Lang } from '../i18n/labels.js';
import type { Anomaly, WindowDegradation, WindowResult } from '../engine/types.js';
import { degradedText, sampledSourcesText } from './limits-text.js';
import { stripControl } from '../util/sanitize.js';

const T = (lang: Lang, en: string, zh: string) => (lang === 'zh-TW' ? zh : en);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The detail chart's data (the TUI state's DetailSeriesState, structurally). */
export interface DetailSeries {
  from: number;
  to: number;
  windowFrom: number;
  series?: SeriesPoint[];
  stored?: SeriesPoint[];
  running: boolean;
  error?: string;
}

/** "this window 14:05–14:10: 1.2k flows, 3.4k packets, 5.6MB" from the series' buckets inside the window. Pure. */
export function windowCaption(d: Pick<DetailSeries, 'windowFrom' | 'to'>, series: SeriesPoint[], lang: Lang): string {
  const inside = series.filter((p) => p.t >= d.windowFrom && p.t < d.to);
  const sum = (k: 'flows' | 'packets' | 'bytes') => inside.reduce((n, p) => n + (p[k] ?? 0), 0);
  const span = `${hhmm(d.windowFrom)}–${hhmm(d.to)}`;
  return lang === 'zh-TW'
    ? `本時段 ${span}：${human(sum('flows'))} flows、${human(sum('packets'))} 封包、${human(sum('bytes'))}B（圖的最右段）`
    : `this window ${span}: ${human(sum('flows'))} flows, ${human(sum('packets'))} packets, ${human(sum('bytes'))}B (right end)`;
}

/** The chart of the anomaly's last hour: from the nfcapd files, else the stored windows, else why there is none. */
function DetailChart({ d, lang, width, metric, height }: { d?: DetailSeries; lang: Lang; width: number; metric: Metric; height: number }) {
  if (!d) return null;
  const files = d.series?.some((p) => p.flows > 0) ? d.series : undefined;
  if (files) return <SeriesCharts series={files} bucketMs={60_000} metric={metric} width={width} height={height} lang={lang} caption={windowCaption(d, files, lang)} />;
  if (d.stored?.length && !d.running) {
    const note = T(lang, '(from the stored windows: the nfcapd files of the hour gave nothing)', '（取自已存時段：該小時的 nfcapd 檔案沒有資料）');
    return <SeriesCharts series={d.stored} bucketMs={300_000} metric={metric} width={width} height={height} lang={lang} caption={note} />;
  }
  if (d.running) return <Text dimColor>{fit(T(lang, `reading the last hour's nfcapd files for the chart… (${hhmm(d.from)}–${hhmm(d.to)})`, `讀取最近一小時的 nfcapd 檔案以繪圖…（${hhmm(d.from)}–${hhmm(d.to)}）`), width)}</Text>;
  return <Text dimColor>{fit(d.error ? `${T(lang, 'no chart', '無圖表')}: ${stripControl(d.error)}` : T(lang, 'no flows of this address in the last hour', '最近一小時沒有此位址的 flow'), width)}</Text>;
}

/**
 * What the reader said about the anomaly's window, for the detail view (pure): that the window is partial (a file
 * read up to damage: the counts are lower bounds), and each exporter's sampling rate (volumes of a sampled exporter
 * are nfcapd's estimates). Empty when the window says nothing of either.
 */
export function windowReadLines(w: Pick<WindowResult, 'partial' | 'exporters'> | undefined, lang: Lang): string[] {
  const out: string[] = [];
  if (w?.partial) {
    const p = w.partial;
    out.push(
      T(
        lang,
        `PARTIAL window: ${p.blocksRead} of ${p.blocksExpected} blocks read (${stripControl(p.reason)}); the counts are lower bounds`,
        `不完整時段：已讀 ${p.blocksRead}/${p.blocksExpected} 個區塊（${stripControl(p.reason)}）；數量為下限`,
      ),
    );
  }
  if (w?.exporters?.length) {
    const rate = (r: number | undefined) => (r === undefined ? T(lang, 'rate unknown', '取樣率未知') : r > 1 ? `1:${r}` : T(lang, 'unsampled', '未取樣'));
    const list = w.exporters.map((e) => `${stripControl(e.ip)} ${rate(e.samplingRate)}`).join(', ');
    const sampled = w.exporters.some((e) => (e.samplingRate ?? 1) > 1);
    out.push(T(lang, `Exporters: ${list}${sampled ? ' (sampled volumes are estimates)' : ''}`, `匯出器：${list}${sampled ? '（取樣的流量為估計值）' : ''}`));
  }
  return out;
}

/** The detail of one anomaly at a width; `slot` is the window's TimeSlot (for the tracking sentence). */
export function DetailScreen({ a, lang, width, slot, rows, series, metric = 'flows', chartHeight = 8, window: win, degraded }: { a: Anomaly; lang: Lang; width: number; slot?: number; rows: number; series?: DetailSeries; metric?: Metric; chartHeight?: number; window?: Pick<WindowResult, 'partial' | 'exporters'>; degraded?: WindowDegradation }) {
  const f = a.features;
  const wide = width >= 100;
  const half = wide ? Math.floor(width / 2) - 1 : width;
  // Charts keep two cells free on the right so side-by-side columns never touch.
  const chartW = half - 2;
  const none = T(lang, '(none)', '（無）');
  const who = [a.unit ? stripControl(a.unit) : '', a.asn ? `AS${a.asn}` : ''].filter(Boolean).join(' ');
  const chart = (title: string, items: Anomaly['features']['protocols'], label: (v: number | string) => string) => (
    <BarChart title={title} items={items} label={label} width={chartW} rows={rows} empty={none} />
  );
  return (
    <Box flexDirection="column">
      <Text bold color={theme.severity(a.severity, false)}>
        {fit(`${T(lang, roleLabels[a.role].en, roleLabels[a.role].zh)} ${a.ip}${who ? ` (${who})` : ''}  ${typeLabel(a.type, a.severity, lang)}${a.signature ? `  ${T(lang, 'signature', '特徵碼')} ${a.signature}` : ''}`, width)}
      </Text>
      <Text dimColor>
        {fit(`${human(a.metrics.flows)} flows  ${human(a.metrics.packets)} pkts  ${human(a.metrics.bytes)}B  ${human(a.metrics.distinctPeers)} ${T(lang, 'peers', '對象')}  SYN-only ${pct(f.synOnlyShare)}  1pkt/40B ${pct(f.onePacket40Share)}${f.serverLike === null ? '' : f.serverLike ? '  server-like' : '  client-like'}`, width)}
      </Text>
      {windowReadLines(win, lang).map((l, i) => (
        <Text key={`read${i}`} wrap="wrap" color={i === 0 && win?.partial ? theme.color('yellow') : undefined}>
          {l}
        </Text>
      ))}
      {a.tracking && slot !== undefined ? <Text wrap="wrap">{trackingSentence(a.tracking, slot, lang)}</Text> : null}
      {sampledSourcesText(a, lang) ? <Text wrap="wrap" color={theme.color('yellow')}>{sampledSourcesText(a, lang)}</Text> : null}
      {degraded ? <Text wrap="wrap" color={theme.color('yellow')}>{`${T(lang, 'window analysed within its memory budget: ', '此時段在記憶體預算內分析：')}${degradedText(degraded, lang)}`}</Text> : null}
      {a.unusedProbe ? <Text wrap="wrap" color={theme.color('yellow')}>{stripControl(`${T(lang, 'ARP: ', 'ARP確認：')}${proberText(a.unusedProbe, lang)}`)}</Text> : null}
      <DetailChart d={series} lang={lang} width={width} metric={metric} height={chartHeight} />
      <Box flexDirection={wide ? 'row' : 'column'}>
        <Box flexDirection="column" width={half}>
          {chart(T(lang, `Protocols (${f.distinct.protocols})`, `協定（${f.distinct.protocols}）`), f.protocols, protoLabel)}
          {chart(T(lang, `Destination ports (${f.distinct.dstPorts})`, `目的Port（${f.distinct.dstPorts}）`), f.dstPorts, portLabel)}
          {chart(T(lang, 'TCP flags (share of TCP flows)', 'TCP Flags（佔TCP Flow比例）'), f.tcpFlags, String)}
        </Box>
        <Box flexDirection="column" width={half}>
          {chart(T(lang, `Packets per flow (${f.distinct.packets})`, `Packet特徵（${f.distinct.packets}）`), f.packets, String)}
          {chart(T(lang, `Bytes per flow (${f.distinct.bytes})`, `Octet特徵（${f.distinct.bytes}）`), f.bytes, String)}
          {a.entryPoints?.length ? (
            <Box flexDirection="column">
              <Text bold>{T(lang, 'Entry points (exporter#interface), ranked', '攻擊入口（路由器#介面）排名')}</Text>
              {a.entryPoints.slice(0, rows).map((e) => {
                const l = barLine(`${stripControl(e.exporter)}#${e.interface}`, e.share, chartW);
                return (
                  <Text key={`${e.exporter}#${e.interface}`}>
                    {l.label} <Text color={theme.color('magenta')}>{l.bar}</Text> {l.pct}
                  </Text>
                );
              })}
            </Box>
          ) : null}
        </Box>
      </Box>
      <Text bold>{T(lang, 'Alert text', '告警內容')}</Text>
      {alertText(a, lang, slot)
        .split('\n')
        .map((l, i) => (
          <Text key={i} wrap="wrap">
            {stripControl(l)}
          </Text>
        ))}
    </Box>
  );
}
