/**
 * The TUI's state and its reducer (pure): a screen stack, the live window, selection, marks, filter, sort, pause,
 * the `:` command line with history, prompts (false-positive reason), investigate progress, connection state.
 */
import type { Anomaly, WindowResult } from '../engine/types.js';
import type { InvestigateSummary, InvestigateProgress } from '../daemon/investigate.js';
import type { Lang } from '../i18n/labels.js';
import type { Capabilities } from '../views/keymap.js';
import type { BlockRow } from '../views/blocks.js';
import type { DeviceRow, FindingSource } from '../views/investigate.js';

/** The built-in screens; registered screens (src/tui/registry.ts) add their own ids. */
export type BuiltinScreen = 'top' | 'detail' | 'investigate' | 'blocks' | 'help';
export type ScreenId = BuiltinScreen | (string & {});
export type SortKey = 'score' | 'flows' | 'peers' | 'bytes';
export const SORTS: SortKey[] = ['score', 'flows', 'peers', 'bytes'];

/** An anomaly as the engine sends it to screens (with its last 12 windows and verdict). */
export type ViewAnomaly = Anomaly & { history?: number[]; verdict?: { reason: string; who: string } | null };
export type ViewWindow = Omit<WindowResult, 'anomalies'> & { anomalies: ViewAnomaly[] };

export interface InvestigateState {
  id?: number;
  target: string;
  from: number;
  to: number;
  progress?: InvestigateProgress;
  summary?: InvestigateSummary;
  history?: { timeSlot: number; anomaly: Anomaly }[];
  error?: string;
  running: boolean;
  /** ARP/MAC answers (devices.where): rows, or why there are none. */
  /** `findings` as devices.where sent them (worded in the screen's language when drawn). */
  devices?: { rows?: DeviceRow[]; findings?: FindingSource[]; unavailable?: string; error?: string };
  /** FlowSpec rules that cover the target (block.list). */
  blocks?: { rows?: BlockRow[]; unavailable?: string; error?: string };
  /** The address's IoC relations (ioc.relations) as the engine sent them (worded when drawn). */
  ioc?: { answer?: unknown; unavailable?: string; error?: string };
}

/** What a line chart shows; `c` cycles it (detail, Investigate, Blocks). */
export type ChartMetric = 'flows' | 'packets' | 'bytes';
export const CHART_METRICS: ChartMetric[] = ['flows', 'packets', 'bytes'];

/** The detail view's chart: the anomaly's traffic per minute over the hour up to the end of its window. */
export interface DetailSeriesState {
  /** "ip|timeSlot": the anomaly and window it is for. */
  key: string;
  id?: number;
  from: number;
  to: number;
  /** The window's own minutes [windowFrom, to). */
  windowFrom: number;
  series?: { t: number; flows: number; packets?: number; bytes?: number }[];
  /** The stored windows' metrics of this IP (when the files are gone, the chart falls back to them). */
  stored?: { t: number; flows: number; packets: number; bytes: number }[];
  running: boolean;
  error?: string;
}

/** A dangerous action waiting for the operator's yes (the exact rule and its impact are in `lines`). */
export interface ConfirmState {
  kind: 'block' | 'unblock';
  title: string;
  lines: string[];
  /** Opaque payload handed back to the action on yes (the proposals, or the rule ids). */
  payload: unknown;
  /** Set when the engine refused the proposal: shown, and yes is not offered. */
  refused?: string[];
  busy?: boolean;
}

export interface State {
  stack: ScreenId[];
  lang: Lang;
  window?: ViewWindow;
  /** A window received while paused, shown on resume. */
  pending?: ViewWindow;
  /** Travelled back with :window (live updates do not replace it). */
  travelled: boolean;
  selected: number;
  scroll: number;
  marks: Set<string>;
  filter: string;
  /** Editing: the filter line, the command line, or a prompt. */
  input?: { kind: 'filter' | 'command' | 'reason'; text: string };
  history: string[];
  historyPos: number;
  sort: SortKey;
  paused: boolean;
  hideFalsePositives: boolean;
  connection: 'connecting' | 'connected' | 'reconnecting' | 'closed';
  flash?: { text: string; error?: boolean };
  investigate?: InvestigateState;
  lagSeconds?: number;
  /** What the engine can do (probed at connect); missing ones disable keys with a reason. */
  caps: Capabilities;
  /** The Blocks view's rows, selection and marks. */
  blocks: { rows?: BlockRow[]; error?: string; loading: boolean; /** Latest audit lines (audit.list), newest first. */ audit?: string[] };
  blockSelected: number;
  blockMarks: Set<string>;
  /** Scroll offset of the text screens (detail, investigate). */
  scrollText: number;
  confirm?: ConfirmState;
  /** The line charts' metric. */
  chart: ChartMetric;
  detailSeries?: DetailSeriesState;
  /** Registered screens' data, by screen id (src/tui/registry.ts). */
  screenData: Record<string, unknown>;
  /** Registered list screens' cursor, marks and row keys, by screen id. */
  lists: Record<string, ListState>;
  quit: boolean;
}

/** A registered list screen's cursor and marks. */
export interface ListState {
  selected: number;
  marks: Set<string>;
  /** The keys of its rows, in display order (marks and the cursor follow them across reloads). */
  keys: string[];
}

export const initialState = (lang: Lang): State => ({
  stack: ['top'],
  lang,
  travelled: false,
  selected: 0,
  scroll: 0,
  marks: new Set(),
  filter: '',
  history: [],
  historyPos: -1,
  sort: 'score',
  paused: false,
  hideFalsePositives: false,
  connection: 'connecting',
  caps: {},
  blocks: { loading: false },
  blockSelected: 0,
  blockMarks: new Set(),
  scrollText: 0,
  chart: 'flows',
  screenData: {},
  lists: {},
  quit: false,
});

export type Msg =
  | { t: 'window'; window: ViewWindow | null; live: boolean }
  | { t: 'connection'; state: State['connection'] }
  | { t: 'lag'; seconds: number }
  | { t: 'move'; by: number }
  | { t: 'moveTo'; index: 'first' | 'last' }
  | { t: 'push'; screen: ScreenId }
  | { t: 'back' }
  | { t: 'toggleMark' }
  | { t: 'cycleSort' }
  | { t: 'togglePause' }
  | { t: 'toggleHideFp' }
  | { t: 'startInput'; kind: 'filter' | 'command' | 'reason'; text?: string }
  | { t: 'inputChar'; ch: string }
  | { t: 'inputBackspace' }
  | { t: 'inputSet'; text: string }
  | { t: 'inputHistory'; dir: -1 | 1 }
  | { t: 'inputCancel' }
  | { t: 'inputDone' }
  | { t: 'lang'; lang: Lang }
  | { t: 'flash'; text: string; error?: boolean }
  | { t: 'investigate'; inv: Partial<InvestigateState> & { target?: string } }
  | { t: 'caps'; caps: Capabilities }
  | { t: 'goLive' }
  | { t: 'blocks'; blocks: State['blocks'] }
  | { t: 'confirm'; confirm: ConfirmState | undefined }
  /** A registered screen's data; `rows` (its row keys) makes it a list. */
  | { t: 'screenData'; id: string; data: unknown; rows?: string[] }
  | { t: 'cycleChart' }
  /** Start (with `key`) or update the detail chart's data; an update for another key is dropped. */
  | { t: 'detailSeries'; series: Partial<DetailSeriesState> & { key: string } }
  | { t: 'quit' };

/** The current screen. */
export const screenOf = (s: State): ScreenId => s.stack[s.stack.length - 1];

/** The identity of an anomaly row (marks and cursor follow it across updates). */
export const rowKey = (a: Anomaly): string => `${a.ip}|${a.role}|${a.type}`;

/** The rows of the top-N list after filter, false-positive hiding and sort. Pure. */
export function visibleRows(s: State): ViewAnomaly[] {
  const all = s.window?.anomalies ?? [];
  const f = s.filter.trim().toLowerCase();
  const rows = all.filter((a) => {
    if (s.hideFalsePositives && a.verdict) return false;
    if (!f) return true;
    return [a.ip, a.type, a.role, a.unit ?? '', a.signature ?? '', String(a.asn ?? '')].some((x) => x.toLowerCase().includes(f));
  });
  const by: Record<SortKey, (a: Anomaly) => number> = {
    score: (a) => a.score,
    flows: (a) => a.metrics.flows,
    peers: (a) => a.metrics.distinctPeers,
    bytes: (a) => a.metrics.bytes,
  };
  return [...rows].sort((x, y) => by[s.sort](y) - by[s.sort](x) || x.ip.localeCompare(y.ip));
}

/** The Blocks view's rows after the filter. Pure. */
export function visibleBlocks(s: State): BlockRow[] {
  const f = s.filter.trim().toLowerCase();
  const rows = s.blocks.rows ?? [];
  return f ? rows.filter((r) => [r.rule, r.who, r.why, r.action].some((x) => x.toLowerCase().includes(f))) : rows;
}

/** The rules an unblock applies to: the marked ones, or the selected one. */
export function blockTargets(s: State): BlockRow[] {
  const rows = visibleBlocks(s);
  if (s.blockMarks.size > 0) return rows.filter((r) => s.blockMarks.has(r.id));
  const sel = rows[s.blockSelected];
  return sel ? [sel] : [];
}

/** The selected anomaly, if any. */
export function selectedAnomaly(s: State): ViewAnomaly | undefined {
  return visibleRows(s)[s.selected];
}

/** The anomalies an action applies to: the marked rows, or the selected one. */
export function actionTargets(s: State): ViewAnomaly[] {
  const rows = visibleRows(s);
  if (s.marks.size > 0) return rows.filter((a) => s.marks.has(rowKey(a)));
  const sel = rows[s.selected];
  return sel ? [sel] : [];
}

const clamp = (i: number, n: number) => Math.max(0, Math.min(n - 1, i));

const withList = (s: State, id: string, l: ListState): State => ({ ...s, lists: { ...s.lists, [id]: l } });

/** A registered list screen's selected row key and the keys an action applies to (marked, else selected). Pure. */
export function listTargets(s: State, id: string): string[] {
  const l = s.lists[id];
  if (!l) return [];
  if (l.marks.size > 0) return l.keys.filter((k) => l.marks.has(k));
  const k = l.keys[l.selected];
  return k === undefined ? [] : [k];
}

/** The reducer. */
export function reduce(s: State, m: Msg): State {
  switch (m.t) {
    case 'window': {
      if (!m.window) return s;
      if (m.live && s.travelled) return s;
      if (m.live && s.paused) return { ...s, pending: m.window };
      // Keep the cursor on the same IP when the list changes under it.
      const cur = selectedAnomaly(s);
      const next = { ...s, window: m.window, pending: undefined, travelled: m.live ? s.travelled : true };
      const rows = visibleRows(next);
      const idx = cur ? rows.findIndex((a) => rowKey(a) === rowKey(cur)) : -1;
      return { ...next, selected: idx >= 0 ? idx : clamp(s.selected, Math.max(1, rows.length)) };
    }
    case 'connection':
      return { ...s, connection: m.state, flash: m.state === 'reconnecting' ? { text: 'engine went away, reconnecting…', error: true } : m.state === 'connected' && s.connection === 'reconnecting' ? { text: 'engine reconnected' } : s.flash };
    case 'lag':
      return { ...s, lagSeconds: m.seconds };
    case 'move': {
      const scr = screenOf(s);
      const l = s.lists[scr];
      if (l) return withList(s, scr, { ...l, selected: clamp(l.selected + m.by, Math.max(1, l.keys.length)) });
      if (scr === 'blocks') return { ...s, blockSelected: clamp(s.blockSelected + m.by, Math.max(1, visibleBlocks(s).length)) };
      if (scr !== 'top') return { ...s, scrollText: Math.max(0, s.scrollText + m.by) };
      return { ...s, selected: clamp(s.selected + m.by, Math.max(1, visibleRows(s).length)) };
    }
    case 'moveTo': {
      const l = s.lists[screenOf(s)];
      if (l) return withList(s, screenOf(s), { ...l, selected: m.index === 'first' ? 0 : Math.max(0, l.keys.length - 1) });
      if (screenOf(s) === 'blocks') return { ...s, blockSelected: m.index === 'first' ? 0 : Math.max(0, visibleBlocks(s).length - 1) };
      return { ...s, selected: m.index === 'first' ? 0 : Math.max(0, visibleRows(s).length - 1) };
    }
    case 'push':
      // The filter belongs to the list it was typed in: entering or leaving the Blocks view clears it.
      return screenOf(s) === m.screen ? s : { ...s, stack: [...s.stack, m.screen], flash: undefined, scrollText: 0, ...(m.screen === 'blocks' || screenOf(s) === 'blocks' ? { filter: '' } : {}) };
    case 'back':
      if (s.input) return { ...s, input: undefined };
      if (s.confirm) return { ...s, confirm: undefined };
      if (s.stack.length <= 1) return s;
      return { ...s, stack: s.stack.slice(0, -1), scrollText: 0, ...(screenOf(s) === 'blocks' ? { filter: '' } : {}) };
    case 'toggleMark': {
      const l = s.lists[screenOf(s)];
      if (l) {
        const k = l.keys[l.selected];
        if (k === undefined) return s;
        const marks = new Set(l.marks);
        if (marks.has(k)) marks.delete(k);
        else marks.add(k);
        return withList(s, screenOf(s), { ...l, marks, selected: clamp(l.selected + 1, Math.max(1, l.keys.length)) });
      }
      if (screenOf(s) === 'blocks') {
        const r = visibleBlocks(s)[s.blockSelected];
        if (!r) return s;
        const blockMarks = new Set(s.blockMarks);
        if (blockMarks.has(r.id)) blockMarks.delete(r.id);
        else blockMarks.add(r.id);
        return { ...s, blockMarks, blockSelected: clamp(s.blockSelected + 1, Math.max(1, visibleBlocks(s).length)) };
      }
      const a = selectedAnomaly(s);
      if (!a) return s;
      const marks = new Set(s.marks);
      if (marks.has(rowKey(a))) marks.delete(rowKey(a));
      else marks.add(rowKey(a));
      return { ...s, marks, selected: clamp(s.selected + 1, Math.max(1, visibleRows(s).length)) };
    }
    case 'cycleSort':
      return { ...s, sort: SORTS[(SORTS.indexOf(s.sort) + 1) % SORTS.length], selected: 0 };
    case 'togglePause':
      return s.paused ? { ...s, paused: false, window: s.pending ?? s.window, pending: undefined } : { ...s, paused: true };
    case 'toggleHideFp':
      return { ...s, hideFalsePositives: !s.hideFalsePositives, selected: 0 };
    case 'startInput':
      return { ...s, input: { kind: m.kind, text: m.text ?? (m.kind === 'filter' ? s.filter : '') }, historyPos: -1 };
    case 'inputChar': {
      if (!s.input) return s;
      const text = s.input.text + m.ch;
      return { ...s, input: { ...s.input, text }, ...(s.input.kind === 'filter' ? { filter: text, selected: 0, blockSelected: 0 } : {}) };
    }
    case 'inputBackspace': {
      if (!s.input) return s;
      const text = [...s.input.text].slice(0, -1).join('');
      return { ...s, input: { ...s.input, text }, ...(s.input.kind === 'filter' ? { filter: text, selected: 0 } : {}) };
    }
    case 'inputSet':
      return s.input ? { ...s, input: { ...s.input, text: m.text } } : s;
    case 'inputHistory': {
      if (!s.input || s.input.kind !== 'command' || s.history.length === 0) return s;
      const pos = Math.max(-1, Math.min(s.history.length - 1, s.historyPos + (m.dir === -1 ? 1 : -1)));
      return { ...s, historyPos: pos, input: { ...s.input, text: pos < 0 ? '' : s.history[s.history.length - 1 - pos] } };
    }
    case 'inputCancel':
      return s.input?.kind === 'filter' ? { ...s, input: undefined, filter: '' } : { ...s, input: undefined };
    case 'inputDone': {
      if (!s.input) return s;
      if (s.input.kind === 'command' && s.input.text.trim()) return { ...s, input: undefined, history: [...s.history, s.input.text.trim()].slice(-100) };
      return { ...s, input: undefined };
    }
    case 'lang':
      return { ...s, lang: m.lang };
    case 'flash':
      return { ...s, flash: { text: m.text, error: m.error } };
    case 'investigate': {
      const base: InvestigateState = s.investigate && (m.inv.target === undefined || m.inv.target === s.investigate.target) ? s.investigate : { target: m.inv.target ?? '', from: 0, to: 0, running: false };
      return { ...s, investigate: { ...base, ...m.inv } };
    }
    case 'goLive':
      return { ...s, travelled: false };
    case 'caps':
      return { ...s, caps: { ...s.caps, ...m.caps } };
    case 'blocks': {
      const ids = new Set((m.blocks.rows ?? []).map((r) => r.id));
      return { ...s, blocks: m.blocks, blockMarks: new Set([...s.blockMarks].filter((id) => ids.has(id))), blockSelected: clamp(s.blockSelected, Math.max(1, m.blocks.rows?.length ?? 1)) };
    }
    case 'confirm':
      return { ...s, confirm: m.confirm };
    case 'cycleChart':
      return { ...s, chart: CHART_METRICS[(CHART_METRICS.indexOf(s.chart) + 1) % CHART_METRICS.length] };
    case 'detailSeries': {
      const cur = s.detailSeries?.key === m.series.key ? s.detailSeries : undefined;
      if (!cur && (m.series.from === undefined || m.series.to === undefined || m.series.windowFrom === undefined)) return s;
      return { ...s, detailSeries: { running: false, from: 0, to: 0, windowFrom: 0, ...cur, ...m.series } };
    }
    case 'screenData': {
      const next = { ...s, screenData: { ...s.screenData, [m.id]: m.data } };
      if (!m.rows) return next;
      // The cursor stays on the same row key when the rows change under it; marks of rows that left are dropped.
      const old = s.lists[m.id];
      const curKey = old?.keys[old.selected];
      const at = curKey === undefined ? -1 : m.rows.indexOf(curKey);
      const keep = new Set(m.rows);
      const marks = new Set([...(old?.marks ?? [])].filter((k) => keep.has(k)));
      return withList(next, m.id, { keys: m.rows, marks, selected: at >= 0 ? at : clamp(old?.selected ?? 0, Math.max(1, m.rows.length)) });
    }
    case 'quit':
      return { ...s, quit: true };
  }
}
