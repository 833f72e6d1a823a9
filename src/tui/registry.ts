/**
 * Screens added to the TUI as data: a view registers one {@link ScreenDef} (in src/tui/screens/index.ts) and gets
 * its `:` command, its place in the screen stack, its keys (rows of the one key table, src/views/keymap.ts, scoped to
 * the screen's id), list movement and marks, engine events and a header badge — without editing the App.
 *
 * A screen keeps its data in `State.screenData[id]` (set with the `screenData` message) and its cursor and marks in
 * `State.lists[id]` (moved by the generic j/k/g/G/PgUp/PgDn and Space when the screen declares a list).
 */
import type React from 'react';
import type { Lang } from '../i18n/labels.js';
import type { Backend } from './actions.js';
import type { Msg, State, ViewAnomaly } from './state.js';

/** What a screen's effects can use. */
export interface ScreenContext {
  backend: Backend;
  dispatch: (m: Msg) => void;
  /** The state as of now (advanced by every dispatch). */
  state(): State;
  /** Show a line in the flash area. */
  flash(text: string, error?: boolean): void;
  /** Open Investigate for an IP or prefix over the last `minutes` (default 60). */
  investigate(target: string, minutes?: number): void;
  /** Ask the engine for block proposals for these anomalies and open the confirmation (guards apply). */
  proposeBlock(anomalies: ViewAnomaly[]): void;
  /** Set this screen's data (and, for a list screen, its row count and the keys of its rows). */
  setData(data: unknown, rows?: string[]): void;
}

/** What a screen renders from. */
export interface ScreenProps<D = unknown> {
  s: State;
  data: D | undefined;
  width: number;
  height: number;
  lang: Lang;
  /** Cursor row and marked row keys (list screens). */
  selected: number;
  marks: Set<string>;
}

/** A `:` command. */
export interface CommandDef {
  name: string;
  /** Arguments Tab offers. */
  args?: string[];
  en: string;
  zh: string;
}

/** One registered screen. */
export interface ScreenDef<D = unknown> {
  /** Screen id: the key table's scope for its keys, the `State.stack` entry. */
  id: string;
  title: [en: string, zh: string];
  /** The `:` command that opens it (`arg` is the rest of the line). */
  command?: CommandDef;
  /** A list screen: j/k and friends move `lists[id].selected`, Space marks `rows[selected]`. */
  list?: boolean;
  render(p: ScreenProps<D>): React.ReactElement;
  /** Called when the screen is opened (load its data). */
  onOpen?(ctx: ScreenContext, arg: string): void;
  /** A key-table action with this screen's id in its scopes, not handled generically. */
  onAction?(actionId: string, ctx: ScreenContext): void;
  /** Engine events this screen follows (while open or not). */
  events?: Record<string, (ctx: ScreenContext, data: unknown) => void>;
  /** Loaded once at connect (e.g. a count for the header badge). */
  onConnect?(ctx: ScreenContext): void;
  /** A short text for the header (e.g. "3 alerts"), or undefined. */
  badge?(s: State): string | undefined;
}

/** A def with its data type erased (for the registry array). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyScreenDef = ScreenDef<any>;
