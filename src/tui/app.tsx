/**
 * The operator TUI (ink): Top-N, attacker detail, investigate, blocks and help screens over one engine connection.
 * Keys come from the one key table (src/views/keymap.ts); state changes go through the pure reducer (state.ts);
 * screens only render.
 */
import React, { useCallback, useEffect, useReducer, useRef } from 'react';
import { Box, Text, render, useApp, useInput, useStdout } from 'ink';
import { actionFor, capabilityMissing, COMMANDS, complete, disabledReason, helpRows, hints, keyName, scopesOf, splitKeys, type Command, type KeyFlags, type Scope } from '../views/keymap.js';
import { fit, human, mainFeature, shortDuration } from '../views/format.js';
import { portLabel, protoLabel } from '../engine/alert-text.js';
import { typeLabel, typeShort, parseLang, type Lang, type LabelledType } from '../i18n/labels.js';
import { actionTargets, blockTargets, initialState, reduce, rowKey, screenOf, selectedAnomaly, visibleBlocks, visibleRows, type Msg, type SortKey, type State, type ViewAnomaly, type ViewWindow } from './state.js';
import { askUnblock, confirmBlock, type AcceptedProposal, confirmUnblock, loadBlocks, loadInvestigateSections, probeCapabilities, proposeBlock, type Backend } from './actions.js';
import type { AnyScreenDef, ScreenContext } from './registry.js';
import { SCREENS } from './screens/index.js';
import { BlocksScreen, ConfirmDialog } from '../views/blocks-screen.js';
import { Footer } from '../views/footer.js';
import { DetailScreen } from '../views/detail.js';
import { columns, topRow, TopList } from '../views/top.js';
import { SeriesCharts } from '../views/series-charts.js';
import { Sparkline } from '../views/charts.js';
import { theme } from '../views/theme.js';
import { deviceRowText, parseInvestigateArgs, toDeviceFindings } from '../views/investigate.js';
import { iocRelationLines } from '../views/ioc.js';
import type { InvestigateProgress, InvestigateSummary } from '../daemon/investigate.js';
import { parsePrefix } from '../util/ip.js';
import { stripControl } from '../util/sanitize.js';
import fs from 'node:fs';
import path from 'node:path';

/** Write anomalies (without screen-only fields) to a new JSON file in $NOCFLOW_EXPORT_DIR or the working directory. */
export function exportAnomalies(rows: ViewAnomaly[], timeSlot: number | undefined): string {
  const dir = process.env.NOCFLOW_EXPORT_DIR ?? process.cwd();
  const file = path.join(dir, `nocflow-export-${timeSlot ?? 'window'}-${Date.now()}.json`);
  const docs = rows.map(({ history: _h, verdict: _v, ...a }) => a);
  fs.writeFileSync(file, `${JSON.stringify({ timeSlot, anomalies: docs }, null, 2)}\n`, { mode: 0o640, flag: 'wx' });
  return file;
}

export type { Backend };

const color = theme.color;

const T = (lang: Lang, en: string, zh: string) => (lang === 'zh-TW' ? zh : en);

/** The registered screen of an id, if it is one. */
const screenDef = (id: string): AnyScreenDef | undefined => SCREENS.find((d) => d.id === id);

/** Every `:` command: the built-ins and the registered screens'. */
export const ALL_COMMANDS: readonly Command[] = [...COMMANDS, ...SCREENS.flatMap((d) => (d.command ? [d.command] : []))];

/** The scopes keys are looked up in right now. */
const scopeNow = (s: State): Scope[] => (s.confirm ? ['confirm'] : scopesOf(screenOf(s), screenDef(screenOf(s))));

/** Actions every screen gets from the App itself; a registered screen handles the others (`onAction`). */
const GENERIC_ACTIONS = new Set(['down', 'up', 'first', 'last', 'pagedown', 'pageup', 'back', 'mark', 'command', 'help', 'quit', 'confirm', 'cancel', 'blocks']);

/** A sort key as the header names it. */
const SORT_ZH: Record<SortKey, string> = { score: '分數', flows: 'Flow數', peers: '對象數', bytes: '傳輸量' };
const sortLabel = (k: SortKey, lang: State['lang']): string => (lang === 'zh-TW' ? SORT_ZH[k] : k);

function Header({ s, width }: { s: State; width: number }) {
  const w = s.window;
  const when = w ? new Date(w.window.start * 1000).toISOString().slice(0, 16).replace('T', ' ') : '—';
  const counts = new Map<LabelledType, number>();
  for (const a of w?.anomalies ?? []) counts.set(a.type, (counts.get(a.type) ?? 0) + 1);
  const byType = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${typeShort(t, s.lang)}:${n}`).join(' ');
  const lag = s.lagSeconds === undefined ? '' : ` lag ${shortDuration(s.lagSeconds / 60)}`;
  const state = s.connection !== 'connected' ? ` [${s.connection}]` : '';
  // A window read from a damaged file holds its intact blocks only: said in the header of every screen.
  const partial = w?.partial ? ` ${T(s.lang, `PARTIAL ${w.partial.blocksRead}/${w.partial.blocksExpected} blocks`, `不完整 ${w.partial.blocksRead}/${w.partial.blocksExpected} 區塊`)}` : '';
  const flags = `${s.paused ? ` ${T(s.lang, 'PAUSED', '已暫停')}` : ''}${s.travelled ? ` ${T(s.lang, 'HISTORY', '歷史')}` : ''}${w?.degraded ? ` ${T(s.lang, 'DEGRADED', '降級')}` : ''}${partial}`;
  const badges = SCREENS.map((d) => d.badge?.(s)).filter((b): b is string => !!b).map((b) => `  ${stripControl(b)}`).join('');
  return (
    <Box flexDirection="column">
      <Text bold color={color('cyan')}>
        {fit(`nocflow  ${T(s.lang, 'window', '時段')} ${when} UTC  ${human(w?.flows ?? 0)} flows${lag}${flags}${state}${badges}`, width)}
      </Text>
      <Text dimColor>{fit(`${w?.anomalies.length ?? 0} ${T(s.lang, 'anomalies', '異常')}  ${byType}  ${T(s.lang, 'sort', '排序')}:${sortLabel(s.sort, s.lang)}${s.filter ? `  /${s.filter}` : ''}${s.marks.size ? `  ${s.marks.size} ${T(s.lang, 'marked', '已標記')}` : ''}${s.hideFalsePositives ? `  ${T(s.lang, 'false positives hidden', '隱藏誤判')}` : ''}`, width)}</Text>
    </Box>
  );
}

export { columns, topRow };

function TopListScreen({ s, width, height }: { s: State; width: number; height: number }) {
  const rows = visibleRows(s);
  if (!s.window) return <Text>{T(s.lang, 'waiting for the first window from the engine…', '等待引擎的第一個時段…')}</Text>;
  if (rows.length === 0) return <Text>{s.filter ? T(s.lang, `nothing matches /${s.filter}`, `沒有符合 /${s.filter} 的項目`) : T(s.lang, 'no anomalies in this window', '此時段沒有異常')}</Text>;
  return <TopList rows={rows} selected={s.selected} marks={s.marks} rowKey={rowKey} width={width} height={height} lang={s.lang} />;
}

function Detail({ s, width, height }: { s: State; width: number; height: number }) {
  const a = selectedAnomaly(s);
  if (!a) return <Text>{T(s.lang, 'nothing selected', '未選取')}</Text>;
  // The chart of this anomaly (for an older window while the new one's loads).
  const ds = s.detailSeries?.key.startsWith(`${a.ip}|`) ? s.detailSeries : undefined;
  return <DetailScreen a={a} lang={s.lang} width={width} slot={s.window?.window.timeSlot} window={s.window} rows={height < 30 && width < 100 ? 3 : 5} series={ds} metric={s.chart} chartHeight={width >= 150 ? 12 : 8} degraded={s.window?.degraded} />;
}

/** The detail chart's key: the anomaly and the window it is shown for. */
const detailKey = (a: ViewAnomaly, s: State) => `${a.ip}|${s.window?.window.timeSlot ?? ''}`;

/** What the block index spared, a line under the summary (empty when no index was used). */
function indexNote(sum: InvestigateSummary, lang: State['lang']): string {
  const r = sum.reading;
  if (!r || r.indexedFiles === 0) return '';
  return T(lang, `block index: ${human(r.blocksUnread)} of ${human(r.blocks)} blocks not read`, `區塊索引：${human(r.blocks)} 區塊中 ${human(r.blocksUnread)} 個未讀`);
}

function Investigate({ s, width, height }: { s: State; width: number; height: number }) {
  const inv = s.investigate;
  if (!inv) return <Text>{T(s.lang, 'press i on a row, or :investigate IP', '在列上按 i，或輸入 :investigate IP')}</Text>;
  const sum: InvestigateSummary | undefined = inv.summary;
  const p: InvestigateProgress | undefined = inv.progress;
  const range = `${new Date(inv.from).toISOString().slice(0, 16).replace('T', ' ')} – ${new Date(inv.to).toISOString().slice(11, 16)} UTC`;
  // Tall terminals show the line charts with the summary; short ones keep a sparkline there and the charts at the end.
  const tall = height >= 40;
  const chart = sum ? <SeriesCharts series={sum.series} bucketMs={sum.bucketMs ?? 60_000} metric={s.chart} width={width} height={width >= 150 ? 12 : 9} lang={s.lang} /> : null;
  return (
    <Box flexDirection="column">
      <Text bold color={color('cyan')}>{fit(`${T(s.lang, 'Investigate', '調查')} ${inv.target}  ${range}  ${sum ? `(${sum.source})` : ''}`, width)}</Text>
      {inv.running ? <Text color={color('yellow')}>{T(s.lang, 'querying nfcapd files', '查詢 nfcapd 檔案中')} {p ? `${p.filesDone}/${p.filesTotal} files, ${human(p.flows)} flows` : '…'}  (Esc {T(s.lang, 'cancels', '取消')})</Text> : null}
      {inv.error ? <Text color={color('red')} wrap="wrap">{stripControl(inv.error).replace(/[\r\n\t]+/g, ' ')}</Text> : null}
      <Text bold>{T(s.lang, 'Anomaly history', '異常紀錄')}</Text>
      {(inv.history ?? []).length === 0 ? <Text dimColor>{T(s.lang, '(no anomalies stored for this target)', '（無異常紀錄）')}</Text> : null}
      {(inv.history ?? []).slice(0, 4).map((h, i) => (
        <Text key={i}>{fit(`${new Date((h.timeSlot * 300 - 150) * 1000).toISOString().slice(0, 16).replace('T', ' ')}  ${h.anomaly.ip}  ${typeLabel(h.anomaly.type, h.anomaly.severity, s.lang)}  ${mainFeature(h.anomaly)}`, width)}</Text>
      ))}
      {sum ? (
        <Box flexDirection="column">
          <Text>{fit(`${human(sum.flows)} flows (${human(sum.asSource)} out, ${human(sum.asDestination)} in), ${human(sum.packets)} packets, ${human(sum.bytes)}B in ${sum.files} ${sum.files === 1 ? 'file' : 'files'}`, width)}</Text>
          {indexNote(sum, s.lang) ? <Text dimColor>{fit(indexNote(sum, s.lang), width)}</Text> : null}
          <Text>{fit(`${T(s.lang, 'Protocols', '協定')}: ${sum.protocols.slice(0, 5).map((p) => `${protoLabel(p.proto)} ${((p.flows / Math.max(1, sum.flows)) * 100).toFixed(1)}%`).join('  ')}`, width)}</Text>
          {tall ? chart : <Text>{fit(T(s.lang, 'flows/min ', '每分鐘Flow '), 12)}<Sparkline values={sum.series.map((x) => x.flows).slice(-Math.max(10, width - 14))} />{T(s.lang, '  (chart below: j)', '  （圖表在下方：j）')}</Text>}
          <Box flexDirection={width >= 100 ? 'row' : 'column'}>
            <Box flexDirection="column" width={width >= 100 ? Math.floor(width / 2) : width}>
              <Text bold>{T(s.lang, 'Top peers', '主要對象')}</Text>
              {sum.topPeers.slice(0, Math.max(3, Math.floor((height - 14) / 2))).map((pp) => (
                <Text key={pp.ip}>{fit(`${pp.ip}`, Math.min(39, (width >= 100 ? Math.floor(width / 2) : width) - 14))} {human(pp.flows).padStart(6)} flows</Text>
              ))}
            </Box>
            <Box flexDirection="column">
              <Text bold>{T(s.lang, 'Top ports', '主要Port')}</Text>
              {sum.topPorts.slice(0, 4).map((pp) => (
                <Text key={`${pp.proto}/${pp.port}`}>{fit(`${protoLabel(pp.proto)}/${portLabel(pp.port)}`, 16)} {human(pp.flows).padStart(6)}</Text>
              ))}
            </Box>
          </Box>
        </Box>
      ) : null}
      <Text bold>{T(s.lang, 'ARP/MAC (where it was seen)', 'ARP/MAC（出現位置）')}</Text>
      {toDeviceFindings(inv.devices?.findings ?? [], s.lang).map((f, i) => (
        <Text key={`f${i}`} color={color('yellow')} wrap="wrap">{`! ${f}`}</Text>
      ))}
      <Section lang={s.lang} width={width} sec={inv.devices} empty={T(s.lang, '(no device has seen this address)', '（沒有設備看過此位址）')} render={deviceRowText} />
      <Text bold>{T(s.lang, 'IoC relations', 'IoC 關聯')}</Text>
      <IocSection s={s} width={width} />
      <Text bold>{T(s.lang, 'Blocks covering it', '相關封鎖規則')}</Text>
      <Section lang={s.lang} width={width} sec={inv.blocks} empty={T(s.lang, '(no FlowSpec rule covers this address)', '（沒有 FlowSpec 規則涵蓋此位址）')} render={(b) => `${b.rule}  ${b.who}  ${b.why}`} />
      {sum && !tall ? chart : null}
    </Box>
  );
}

/** A side section of Investigate: rows, loading, unavailable (why), error, or an honest empty state. */
/** The Investigate view's IoC section: the address's verdict, contacts, list days (ioc.relations). */
function IocSection({ s, width }: { s: State; width: number }) {
  const sec = s.investigate?.ioc;
  if (!sec) return <Text dimColor>{T(s.lang, 'asking the engine…', '查詢中…')}</Text>;
  if (sec.unavailable) return <Text dimColor>{fit(`(${sec.unavailable})`, width)}</Text>;
  if (sec.error) return <Text color={color('red')}>{fit(sec.error, width)}</Text>;
  if (sec.answer === undefined) return <Text dimColor>{T(s.lang, 'asking the engine…', '查詢中…')}</Text>;
  const lines = iocRelationLines(sec.answer, s.lang);
  if (lines.length === 0) return <Text dimColor>{T(s.lang, '(no IoC relation stored for this address)', '（此位址無 IoC 關聯紀錄）')}</Text>;
  return (
    <Box flexDirection="column">
      {lines.slice(0, 8).map((l, i) => (
        <Text key={i} color={l.startsWith("!") ? color("yellow") : undefined} wrap="wrap">{l}</Text>
      ))}
    </Box>
  );
}

function Section<R>({ sec, render: line, empty, width, lang }: { sec?: { rows?: R[]; unavailable?: string; error?: string }; render: (r: R) => string; empty: string; width: number; lang: Lang }) {
  if (!sec) return <Text dimColor>{T(lang, 'asking the engine…', '查詢中…')}</Text>;
  if (sec.unavailable) return <Text dimColor>{fit(`(${sec.unavailable})`, width)}</Text>;
  if (sec.error) return <Text color={color('red')}>{fit(sec.error, width)}</Text>;
  if (!sec.rows) return <Text dimColor>{T(lang, 'asking the engine…', '查詢中…')}</Text>;
  if (sec.rows.length === 0) return <Text dimColor>{empty}</Text>;
  return (
    <Box flexDirection="column">
      {sec.rows.slice(0, 8).map((r, i) => (
        <Text key={i}>{fit(line(r), width)}</Text>
      ))}
    </Box>
  );
}

/** The help screen's lines, generated from the key table and the `:` commands (pure). */
export function helpLines(lang: Lang, caps: State['caps'] = {}): string[] {
  const keys = helpRows(lang, caps).map((r) => `${r.keys.padEnd(14)} ${r.text}${r.dangerous ? T(lang, ' [confirmed first]', '［需確認］') : ''}${r.disabled ? ` — ${T(lang, 'disabled', '停用')}: ${r.disabled}` : ''}`);
  const cmds = ALL_COMMANDS.map((c) => `${`:${c.name}`.padEnd(14)} ${T(lang, c.en, c.zh)}`);
  return [...keys, '', T(lang, 'Commands (:)', '命令（:）'), ...cmds];
}

function Help({ s, width, height }: { s: State; width: number; height: number }) {
  const lines = helpLines(s.lang, s.caps);
  const room = Math.max(1, height - 1);
  const top = Math.max(0, Math.min(s.scrollText, lines.length - room));
  return (
    <Box flexDirection="column">
      <Text bold>{T(s.lang, 'Keys', '按鍵')}{lines.length > room ? T(s.lang, `  (j/k scroll, ${top + 1}-${Math.min(lines.length, top + room)} of ${lines.length})`, `  （j/k 捲動，${top + 1}-${Math.min(lines.length, top + room)}／${lines.length}）`) : ''}</Text>
      {lines.slice(top, top + room).map((l) => (
        <Text key={l}>{fit(l, width)}</Text>
      ))}
    </Box>
  );
}

/** The application. */
export function App({ backend, lang, onQuit, size: fixedSize }: { backend: Backend; lang: Lang; onQuit?: () => void; size?: { w: number; h: number } }) {
  const [s, rawDispatch] = useReducer(reduce, lang, initialState);
  const { stdout } = useStdout();
  const [termSize, setSize] = React.useState({ w: stdout?.columns ?? 80, h: stdout?.rows ?? 24 });
  // One row short of the terminal: ink clears the whole terminal on every frame once its output reaches the last row
  // (ink.js "lastOutputHeight >= rows"), which flickers at one update per second; below it, only changed lines move.
  const size = fixedSize ?? { w: termSize.w, h: Math.max(10, termSize.h - 1) };
  const { exit } = useApp();
  // The key handler reads the state through this ref, advanced by the same pure reducer at dispatch time: keys that
  // arrive before React re-renders (typing fast, a paste, Enter right after text) see every earlier key.
  const sRef = useRef(s);
  const dispatch = useCallback((m: Msg) => {
    sRef.current = reduce(sRef.current, m);
    rawDispatch(m);
  }, []);

  useEffect(() => {
    const onResize = () => setSize({ w: stdout.columns, h: stdout.rows });
    stdout?.on('resize', onResize);
    return () => void stdout?.off('resize', onResize);
  }, [stdout]);

  useEffect(() => {
    const load = () =>
      backend.call('windows.latest').then(
        (w) => dispatch({ t: 'window', window: w, live: true }),
        (e: Error) => dispatch({ t: 'flash', text: e.message, error: true }),
      );
    dispatch({ t: 'connection', state: 'connected' });
    void load();
    void probeCapabilities(backend, dispatch);
    // The lag until the first engine-lag event.
    backend.call('engine.status').then(
      (st) => (typeof st?.lagSeconds === 'number' ? dispatch({ t: 'lag', seconds: st.lagSeconds }) : undefined),
      () => undefined,
    );
    const offs = [
      backend.on('window', () =>
        void load().then(() => {
          // A new live window under an open detail: its chart follows (the hour up to the new window's end).
          const cur = sRef.current;
          const a = screenOf(cur) === 'detail' ? selectedAnomaly(cur) : undefined;
          if (a) loadDetailSeries(a);
        }),
      ),
      backend.on('reconnected', () => {
        void load();
        void probeCapabilities(backend, dispatch);
      }),
      backend.on('block.changed', () => void loadBlocks(backend, dispatch, sRef.current.caps)),
      backend.on('verdict.changed', () => void load()),
      backend.on('engine-lag', (d) => dispatch({ t: 'lag', seconds: Number((d as { seconds: number }).seconds) })),
      backend.on('file-error', (d) => dispatch({ t: 'flash', text: `skipped ${stripControl(String((d as { file: string }).file))}: ${stripControl(String((d as { reason: string }).reason))}`, error: true })),
      backend.on('investigate.progress', (d) => {
        const p = d as InvestigateProgress & { id: number };
        if (p.id === sRef.current.investigate?.id) dispatch({ t: 'investigate', inv: { progress: p } });
      }),
      backend.on('investigate.result', (d) => {
        const r = d as { id: number; summary?: InvestigateSummary; error?: string; history?: State['investigate'] extends infer X ? X extends { history?: infer H } ? H : never : never };
        if (r.id === sRef.current.investigate?.id) dispatch({ t: 'investigate', inv: { running: false, summary: r.summary, error: r.error, history: r.history } });
        const ds = sRef.current.detailSeries;
        if (ds && r.id === ds.id) dispatch({ t: 'detailSeries', series: { key: ds.key, running: false, series: r.summary?.series, error: r.error } });
      }),
      backend.onState?.((st) => dispatch({ t: 'connection', state: st })) ?? (() => undefined),
      ...SCREENS.flatMap((d) => Object.entries(d.events ?? {}).map(([ev, fn]) => backend.on(ev, (data) => fn(ctxFor(d), data)))),
    ];
    for (const d of SCREENS) d.onConnect?.(ctxFor(d));
    return () => offs.forEach((off) => off());
  }, [backend]);

  useEffect(() => {
    if (s.quit) {
      onQuit?.();
      exit();
    }
  }, [s.quit]);

  const investigate = (target: string, rangeMinutes = 60) => {
    try {
      parsePrefix(target, { loose: true });
    } catch (err) {
      dispatch({ t: 'flash', text: (err as Error).message, error: true });
      return;
    }
    const to = Date.now();
    const from = to - rangeMinutes * 60_000;
    dispatch({ t: 'investigate', inv: { target, from, to, running: true, summary: undefined, error: undefined, progress: undefined, id: undefined, devices: undefined, blocks: undefined, ioc: undefined } });
    dispatch({ t: 'push', screen: 'investigate' });
    void loadInvestigateSections(backend, dispatch, target, sRef.current.caps, sRef.current.lang);
    backend.call('investigate.start', { target, from, to }).then(
      (r) => dispatch({ t: 'investigate', inv: { id: r.id } }),
      (e: Error) => dispatch({ t: 'investigate', inv: { running: false, error: e.message } }),
    );
  };

  /**
   * The detail view's chart: the anomaly's traffic per minute over the hour up to the end of its window, read from
   * the nfcapd files by the engine (investigate.start), and the stored windows' metrics of the IP as a fallback.
   */
  const openDetail = (a: ViewAnomaly) => {
    dispatch({ t: 'push', screen: 'detail' });
    loadDetailSeries(a);
  };
  const loadDetailSeries = (a: ViewAnomaly) => {
    const cur = sRef.current;
    const w = cur.window?.window;
    const key = detailKey(a, cur);
    if (!w || (cur.detailSeries?.key === key && (cur.detailSeries.running || cur.detailSeries.series))) return;
    // One chart read at a time: the previous anomaly's (or window's) stops.
    if (cur.detailSeries?.running && cur.detailSeries.id !== undefined) backend.call('investigate.cancel', { id: cur.detailSeries.id }).catch(() => undefined);
    const to = w.end * 1000;
    const from = to - 3_600_000;
    dispatch({ t: 'detailSeries', series: { key, from, to, windowFrom: w.start * 1000, running: true, series: undefined, stored: undefined, error: undefined, id: undefined } });
    backend.call('investigate.start', { target: a.ip, from, to }).then(
      (r) => dispatch({ t: 'detailSeries', series: { key, id: r.id } }),
      (e: Error) => dispatch({ t: 'detailSeries', series: { key, running: false, error: e.message } }),
    );
    backend.call('anomalies.history', { target: a.ip, limit: 48 }).then(
      (rows) => {
        const bySlot = new Map<number, { t: number; flows: number; packets: number; bytes: number }>();
        for (const r of rows ?? []) {
          const t = (r.timeSlot * 300 - 150) * 1000;
          if (t < from || t >= to) continue;
          const m = r.anomaly.metrics;
          const old = bySlot.get(t);
          if (!old || m.flows > old.flows) bySlot.set(t, { t, flows: m.flows, packets: m.packets, bytes: m.bytes });
        }
        dispatch({ t: 'detailSeries', series: { key, stored: [...bySlot.values()].sort((x, y) => x.t - y.t) } });
      },
      () => undefined,
    );
  };

  /** What a registered screen's effects can use. */
  function ctxFor(d: AnyScreenDef): ScreenContext {
    return {
      backend,
      dispatch,
      state: () => sRef.current,
      flash: (text, error) => dispatch({ t: 'flash', text, error }),
      investigate: (target, minutes) => investigate(target, minutes),
      proposeBlock: (anomalies) => void proposeBlock(backend, dispatch, anomalies, sRef.current.lang),
      setData: (data, rows) => dispatch({ t: 'screenData', id: d.id, data, rows }),
    };
  }

  /** Open a registered screen (from its command or another screen). */
  const openScreen = (d: AnyScreenDef, arg = '') => {
    dispatch({ t: 'push', screen: d.id });
    d.onOpen?.(ctxFor(d), arg);
  };

  const runCommand = (line: string) => {
    const [cmd, ...rest] = line.trim().replace(/^:/, '').split(/\s+/);
    const arg = rest.join(' ');
    switch (cmd) {
      case 'q':
      case 'quit':
        return dispatch({ t: 'quit' });
      case 'lang':
        return dispatch({ t: 'lang', lang: parseLang(arg) });
      case 'window':
        if (!arg || arg === 'live' || arg === '0') {
          dispatch({ t: 'goLive' });
          return void backend.call('windows.latest').then(
            (w) => {
              dispatch({ t: 'window', window: w, live: true });
              dispatch({ t: 'flash', text: T(sRef.current.lang, 'live again', '恢復即時') });
            },
            (e: Error) => dispatch({ t: 'flash', text: e.message, error: true }),
          );
        }
        return void backend.call('windows.get', { ref: arg }).then(
          (w) => (w ? dispatch({ t: 'window', window: w, live: false }) : dispatch({ t: 'flash', text: `no stored window for ${arg}`, error: true })),
          (e: Error) => dispatch({ t: 'flash', text: e.message, error: true }),
        );
      case 'investigate': {
        const a = parseInvestigateArgs(arg);
        if (!a) return dispatch({ t: 'flash', text: 'usage: :investigate IP|prefix [30m|2h|1d]', error: true });
        return investigate(a.target, a.minutes);
      }
      case 'blocks':
        void loadBlocks(backend, dispatch, sRef.current.caps);
        return dispatch({ t: 'push', screen: 'blocks' });
      case 'panic':
        // Typed confirmation: the whole word, so no stray key withdraws every rule.
        if (arg !== 'WITHDRAW-ALL') return dispatch({ t: 'flash', text: T(sRef.current.lang, 'type :panic WITHDRAW-ALL to withdraw every FlowSpec rule nocflow announced (restorable with: nocflow panic --restore)', '輸入 :panic WITHDRAW-ALL 以撤回 nocflow 送出的所有 FlowSpec 規則（可用 nocflow panic --restore 恢復）'), error: true });
        return void backend.call('block.panic', { reason: 'panic from the TUI' }).then(
          (r) => {
            dispatch({ t: 'flash', text: T(sRef.current.lang, `${r.withdrawn} rule(s) withdrawn`, `已撤回 ${r.withdrawn} 條規則`) });
            void loadBlocks(backend, dispatch, sRef.current.caps);
          },
          (e: Error) => dispatch({ t: 'flash', text: e.message, error: true }),
        );
      case 'help':
        return dispatch({ t: 'push', screen: 'help' });
      case 'top':
        return dispatch({ t: 'back' });
      default: {
        const d = SCREENS.find((x) => x.command?.name === cmd);
        if (d) return openScreen(d, arg);
        return dispatch({ t: 'flash', text: `unknown command :${cmd} (${ALL_COMMANDS.map((c) => c.name).join(', ')}; ? lists them)`, error: true });
      }
    }
  };

  // Several keys can arrive as one event (typed ahead over SSH, pasted): each is handled on its own, in order.
  useInput((input, k) => {
    for (const one of splitKeys(input, k)) onKey(one.input, one.key);
  });
  const onKey = (input: string, k: KeyFlags) => {
    const name = keyName(input, k as never);
    const cur = sRef.current;
    if (cur.input) {
      if (name === 'escape') return dispatch({ t: 'inputCancel' });
      if (name === 'return') {
        const { kind, text } = cur.input;
        dispatch({ t: 'inputDone' });
        if (kind === 'command') runCommand(text);
        if (kind === 'reason') {
          for (const a of actionTargets(cur)) void backend.call('verdict.set', { ip: a.ip, type: a.type, reason: text }).catch((e: Error) => dispatch({ t: 'flash', text: e.message, error: true }));
          dispatch({ t: 'flash', text: `marked ${actionTargets(cur).length} false positive(s)` });
        }
        return;
      }
      if (name === 'up') return dispatch({ t: 'inputHistory', dir: -1 });
      if (name === 'down') return dispatch({ t: 'inputHistory', dir: 1 });
      if (name === 'tab' && cur.input.kind === 'command') return dispatch({ t: 'inputSet', text: complete(cur.input.text, ALL_COMMANDS) });
      if (k.backspace || k.delete) return dispatch({ t: 'inputBackspace' });
      if (input && !k.ctrl && !k.meta) return dispatch({ t: 'inputChar', ch: input });
      return;
    }
    const scopes = scopeNow(cur);
    const scope: Scope = scopes[0];
    const action = actionFor(name, scopes);
    if (!action) return;
    const why = disabledReason(action, cur.caps, cur.lang);
    if (why) return dispatch({ t: 'flash', text: why, error: true });
    const page = Math.max(1, Math.floor((size.h - 6) / 2));
    const def = cur.confirm ? undefined : screenDef(screenOf(cur));
    if (def && !GENERIC_ACTIONS.has(action.id)) return def.onAction?.(action.id, ctxFor(def));
    switch (action.id) {
      case 'down': return dispatch({ t: 'move', by: 1 });
      case 'up': return dispatch({ t: 'move', by: -1 });
      case 'first': return dispatch({ t: 'moveTo', index: 'first' });
      case 'last': return dispatch({ t: 'moveTo', index: 'last' });
      case 'pagedown': return dispatch({ t: 'move', by: page });
      case 'pageup': return dispatch({ t: 'move', by: -page });
      case 'open': {
        const a = selectedAnomaly(cur);
        return a ? openDetail(a) : undefined;
      }
      case 'back':
        // The chart's read stops with the view (its 'cancelled' result marks it not running; opening again restarts it).
        if (scope === 'detail' && cur.detailSeries?.running && cur.detailSeries.id !== undefined) backend.call('investigate.cancel', { id: cur.detailSeries.id }).catch(() => undefined);
        if (scope === 'investigate' && cur.investigate?.running && cur.investigate.id !== undefined) {
          // Best effort: an engine that is gone (or too old to cancel) has nothing left to stop.
          backend.call('investigate.cancel', { id: cur.investigate.id }).catch(() => undefined);
          dispatch({ t: 'investigate', inv: { running: false, error: 'cancelled' } });
        }
        return dispatch({ t: 'back' });
      case 'investigate': {
        const a = selectedAnomaly(cur);
        return a ? investigate(a.ip) : undefined;
      }
      case 'mark': return dispatch({ t: 'toggleMark' });
      case 'export': {
        const rows = actionTargets(cur);
        if (rows.length === 0) return undefined;
        try {
          const file = exportAnomalies(rows, cur.window?.window.timeSlot);
          return dispatch({ t: 'flash', text: T(cur.lang, `${rows.length} anomaly(ies) exported to ${file}`, `已匯出 ${rows.length} 筆異常到 ${file}`) });
        } catch (e) {
          return dispatch({ t: 'flash', text: (e as Error).message, error: true });
        }
      }
      case 'sort': return dispatch({ t: 'cycleSort' });
      case 'chart': return dispatch({ t: 'cycleChart' });
      case 'pause': return dispatch({ t: 'togglePause' });
      case 'hide-fp': return dispatch({ t: 'toggleHideFp' });
      case 'false-positive': return actionTargets(cur).length ? dispatch({ t: 'startInput', kind: 'reason' }) : undefined;
      case 'blocks':
        void loadBlocks(backend, dispatch, cur.caps);
        return dispatch({ t: 'push', screen: 'blocks' });
      case 'block': {
        const targets = scope === 'detail' ? [selectedAnomaly(cur)].filter((a): a is ViewAnomaly => !!a) : actionTargets(cur);
        return void proposeBlock(backend, dispatch, targets, cur.lang);
      }
      case 'unblock': return askUnblock(dispatch, blockTargets(cur), cur.lang);
      case 'confirm': {
        const c = cur.confirm;
        if (!c || c.busy || c.lines.length === 0) return;
        dispatch({ t: 'confirm', confirm: { ...c, busy: true } });
        if (c.kind === 'block') return void confirmBlock(backend, dispatch, c.payload as AcceptedProposal[], cur.lang, cur.caps);
        return void confirmUnblock(backend, dispatch, c.payload as string[], cur.lang, cur.caps);
      }
      case 'cancel': return dispatch({ t: 'confirm', confirm: undefined });
      case 'filter': return dispatch({ t: 'startInput', kind: 'filter' });
      case 'command': return dispatch({ t: 'startInput', kind: 'command' });
      case 'help': return dispatch({ t: 'push', screen: 'help' });
      case 'quit': return dispatch({ t: 'quit' });
    }
  };

  const width = Math.max(40, size.w);
  const bodyH = Math.max(4, size.h - 5);
  const scopes = scopeNow(s);
  const current = s.confirm ? undefined : screenDef(screenOf(s));
  const list = current ? s.lists[current.id] : undefined;
  const inputLine = s.input ? `${s.input.kind === 'command' ? ':' : s.input.kind === 'filter' ? '/' : T(s.lang, 'reason: ', '理由：')}${s.input.text}█` : undefined;
  return (
    <Box flexDirection="column" width={width} height={size.h}>
      <Header s={s} width={width} />
      <Box flexDirection="column" height={bodyH} overflowY="hidden">
        {s.connection === 'reconnecting' || s.connection === 'closed' ? (
          <Text inverse bold color={color('red')}>{fit(s.connection === 'closed' ? T(s.lang, 'engine connection closed', '與引擎的連線已關閉') : T(s.lang, 'engine restarted or went away — reconnecting… (the screen shows the last data)', '引擎重新啟動或離線 — 重新連線中…（畫面為最後的資料）'), width)}</Text>
        ) : null}
        {s.confirm ? <ConfirmDialog title={s.confirm.title} lines={s.confirm.lines} refused={s.confirm.refused} busy={s.confirm.busy} width={width} height={bodyH} lang={s.lang} /> : null}
        {!s.confirm && screenOf(s) === 'top' ? <TopListScreen s={s} width={width} height={bodyH} /> : null}
        {!s.confirm && screenOf(s) === 'detail' ? <Scroll by={s.scrollText}><Detail s={s} width={width} height={bodyH} /></Scroll> : null}
        {!s.confirm && screenOf(s) === 'investigate' ? <Scroll by={s.scrollText}><Investigate s={s} width={width} height={bodyH} /></Scroll> : null}
        {!s.confirm && screenOf(s) === 'blocks' ? (
          <BlocksScreen rows={visibleBlocks(s)} loading={s.blocks.loading} error={s.blocks.error} unavailable={capabilityMissing('flowspec', s.caps, s.lang)} selected={s.blockSelected} marks={s.blockMarks} filter={s.filter} width={width} height={bodyH} now={Date.now()} lang={s.lang} audit={s.blocks.audit} />
        ) : null}
        {!s.confirm && screenOf(s) === 'help' ? <Help s={s} width={width} height={bodyH} /> : null}
        {current ? current.render({ s, data: s.screenData[current.id], width, height: bodyH, lang: s.lang, selected: list?.selected ?? 0, marks: list?.marks ?? new Set() }) : null}
      </Box>
      <Text color={theme.flash(!!s.flash?.error && !inputLine)}>{fit(inputLine ?? stripControl(s.flash?.text ?? ''), width)}</Text>
      <Footer hints={hints(scopes, s.lang, s.caps)} width={width} />
    </Box>
  );
}

/** A text screen scrolled up by `by` lines (j/k) inside the body's hidden overflow. */
function Scroll({ by, children }: { by: number; children: React.ReactNode }) {
  return (
    <Box flexDirection="column" marginTop={-by} flexShrink={0}>
      {children}
    </Box>
  );
}

/** Run the TUI on the terminal until the operator quits. */
export async function runTui(opts: { backend: Backend; lang: Lang }): Promise<void> {
  const tty = process.stdout.isTTY;
  // The alternate screen keeps the operator's scrollback clean; restored on every exit path.
  const leave = () => tty && process.stdout.write('\u001b[?1049l');
  if (tty) process.stdout.write('\u001b[?1049h\u001b[H');
  process.once('exit', leave);
  try {
    // Not ink's incrementalRendering: in tmux its first frame stays on screen one line above the next ones.
    const app = render(<App backend={opts.backend} lang={opts.lang} />, { exitOnCtrlC: true, patchConsole: true });
    await app.waitUntilExit();
  } finally {
    leave();
    process.off('exit', leave);
  }
}

export type { Msg };
