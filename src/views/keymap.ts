/**
 * The one key table: it drives input, the footer hints and the `?` help (and README's keys table, kept in sync by a
 * test). Screens name the scopes in which an action works; dangerous actions ask for confirmation; an action whose
 * engine capability is missing stays listed and says why it is disabled.
 */
import type { Lang } from '../i18n/labels.js';

/**
 * Where an action works: a screen id (`top`, `detail`, `investigate`, `blocks`, `help`, or a registered screen's id,
 * src/tui/registry.ts), `global` (everywhere), `confirm` (the confirmation dialog), `screen` (every registered
 * screen) or `list` (every registered list screen).
 */
export type Scope = 'global' | 'top' | 'detail' | 'investigate' | 'blocks' | 'help' | 'confirm' | 'screen' | 'list' | (string & {});

/** The scopes a key is looked up in on a screen: its own id, then `list` / `screen` for registered screens. */
export function scopesOf(screen: string, registered?: { list?: boolean }): Scope[] {
  if (!registered) return [screen];
  return registered.list ? [screen, 'list', 'screen'] : [screen, 'screen'];
}

/** Engine features an action may need (probed at connect: a handler the engine does not have disables its keys). */
export type Capability = 'flowspec' | 'verdicts' | 'devices';

/** What the connected engine can do; `undefined` = not known yet (still probing). */
export type Capabilities = Partial<Record<Capability, boolean>>;

/** One action of the key table. */
export interface Action {
  id: string;
  /** Key names as {@link keyName} reports them: a character, or 'up' 'down' 'return' 'escape' 'tab' 'pageup' 'pagedown', 'ctrl+d'. */
  keys: string[];
  scopes: Scope[];
  en: string;
  zh: string;
  /** Changes the network or shared state: asks for confirmation first. */
  dangerous?: boolean;
  /** The engine capability the action needs. */
  needs?: Capability;
  /** Shown in the footer of these scopes. */
  hint?: Scope[];
  /** Footer label [en, zh-TW]. */
  short?: [string, string];
}

const LISTS: Scope[] = ['top', 'blocks', 'list'];
const SCROLLS: Scope[] = ['top', 'blocks', 'detail', 'investigate', 'help', 'list'];

/** The key table. */
export const ACTIONS: readonly Action[] = [
  { id: 'down', short: ['scroll', '捲動'], keys: ['j', 'down'], scopes: SCROLLS, en: 'move down', zh: '下移', hint: ['detail', 'investigate', 'help'] },
  { id: 'up', keys: ['k', 'up'], scopes: SCROLLS, en: 'move up', zh: '上移' },
  { id: 'first', keys: ['g', 'home'], scopes: LISTS, en: 'first row', zh: '第一列' },
  { id: 'last', keys: ['G', 'end'], scopes: LISTS, en: 'last row', zh: '最後一列' },
  { id: 'pagedown', keys: ['ctrl+d', 'pagedown'], scopes: LISTS, en: 'half page down', zh: '下半頁' },
  { id: 'pageup', keys: ['ctrl+u', 'pageup'], scopes: LISTS, en: 'half page up', zh: '上半頁' },
  { id: 'open', short: ['detail', '細節'], keys: ['return'], scopes: ['top', 'list'], en: 'attacker detail (in other lists: open the row)', zh: '攻擊者細節（其他列表：開啟該列）', hint: ['top'] },
  { id: 'confirm', short: ['yes', '確認'], keys: ['y', 'return'], scopes: ['confirm'], en: 'confirm', zh: '確認', hint: ['confirm'] },
  { id: 'cancel', short: ['no', '取消'], keys: ['n', 'escape'], scopes: ['confirm'], en: 'cancel', zh: '取消', hint: ['confirm'] },
  { id: 'back', short: ['back', '返回'], keys: ['escape'], scopes: ['detail', 'investigate', 'blocks', 'help', 'screen'], en: 'back (cancels a running query)', zh: '返回（取消查詢）', hint: ['detail', 'investigate', 'blocks', 'help', 'screen'] },
  { id: 'investigate', short: ['investigate', '調查'], keys: ['i'], scopes: ['top', 'detail', 'signature'], en: 'investigate the IP (last hour; a signature member: since its first flow)', zh: '調查此IP（最近一小時；特徵成員：自其首見起）', hint: ['top', 'detail', 'signature'] },
  { id: 'mark', short: ['mark', '標記'], keys: [' '], scopes: LISTS, en: 'mark / unmark row (actions apply to all marked)', zh: '標記/取消標記（動作套用到所有標記）', hint: ['top'] },
  { id: 'export', keys: ['e'], scopes: ['top'], en: 'export the marked (or selected) anomalies to a JSON file', zh: '匯出標記（或選取）的異常為 JSON 檔' },
  { id: 'chart', short: ['chart', '圖表'], keys: ['c'], scopes: ['detail', 'investigate', 'blocks'], en: 'chart: flows / packets / bytes (all three on wide terminals)', zh: '圖表：Flow／封包／Bytes（寬螢幕同時顯示）', hint: ['investigate'] },
  { id: 'sort', short: ['sort', '排序'], keys: ['s'], scopes: ['top'], en: 'sort by score / flows / peers / bytes', zh: '排序：分數/Flow/對象/Bytes', hint: ['top'] },
  { id: 'pause', short: ['pause', '暫停'], keys: ['p'], scopes: ['top'], en: 'pause / resume live updates', zh: '暫停/恢復更新', hint: ['top'] },
  { id: 'false-positive', short: ['false pos.', '誤判'], keys: ['f'], scopes: ['top', 'detail'], en: 'mark false positive (with a reason)', zh: '標記為誤判（附理由）', needs: 'verdicts', hint: ['top', 'detail'] },
  { id: 'hide-fp', keys: ['h'], scopes: ['top'], en: 'hide / show false positives', zh: '隱藏/顯示誤判' },
  { id: 'block', short: ['block', '封鎖'], keys: ['b'], scopes: ['top', 'detail', 'signature'], en: 'block with FlowSpec (shows the rule first; signature members: most destinations first, within the rule budget)', zh: 'FlowSpec 封鎖（先顯示規則；特徵成員：目標數多者優先，不超過規則額度）', dangerous: true, needs: 'flowspec', hint: ['top', 'detail', 'signature'] },
  { id: 'unblock', short: ['unblock', '解除'], keys: ['u'], scopes: ['blocks'], en: 'unblock (withdraw the rule)', zh: '解除封鎖（撤回規則）', dangerous: true, needs: 'flowspec', hint: ['blocks'] },
  { id: 'blocks', short: ['blocks', '封鎖列表'], keys: ['B'], scopes: ['top', 'detail', 'investigate'], en: 'blocks view (FlowSpec rules)', zh: '封鎖列表（FlowSpec 規則）', hint: ['top'] },
  { id: 'filter', short: ['filter', '過濾'], keys: ['/'], scopes: ['top', 'blocks'], en: 'filter the list', zh: '過濾列表', hint: ['top', 'blocks'] },
  { id: 'command', keys: [':'], scopes: ['global'], en: 'command line (the commands are listed below the keys)', zh: '命令列（命令列於按鍵之後）' },
  { id: 'help', short: ['help', '說明'], keys: ['?'], scopes: ['global'], en: 'this help', zh: '說明', hint: ['top', 'detail', 'investigate', 'blocks', 'screen'] },
  { id: 'quit', short: ['quit', '離開'], keys: ['q'], scopes: ['global'], en: 'quit', zh: '離開', hint: ['top'] },
];

/**
 * The action a key triggers in a scope, or in the first of several scopes that has one (a registered screen:
 * its id, then `list` / `screen`, see {@link scopesOf}); then global. The confirm dialog takes no globals.
 */
export function actionFor(key: string, scope: Scope | Scope[]): Action | undefined {
  const scopes = Array.isArray(scope) ? scope : [scope];
  for (const sc of scopes) {
    const own = ACTIONS.find((a) => a.keys.includes(key) && a.scopes.includes(sc));
    if (own) return own;
  }
  if (scopes.includes('confirm')) return undefined;
  return ACTIONS.find((a) => a.keys.includes(key) && a.scopes.includes('global'));
}

const WHY: Record<Capability, { en: string; zh: string; enProbing: string; zhProbing: string }> = {
  flowspec: {
    en: 'FlowSpec is not available: the engine has no block.* handlers (no BGP speaker configured in this build)',
    zh: '無法使用 FlowSpec：引擎沒有 block.* 功能（此版本未設定 BGP speaker）',
    enProbing: 'still asking the engine whether FlowSpec is available',
    zhProbing: '正在詢問引擎是否支援 FlowSpec',
  },
  verdicts: {
    en: 'the engine does not keep verdicts (no verdict.set handler)',
    zh: '引擎不保存誤判紀錄（沒有 verdict.set）',
    enProbing: 'still asking the engine whether it keeps verdicts',
    zhProbing: '正在詢問引擎是否保存誤判紀錄',
  },
  devices: {
    en: 'ARP/MAC lookups are not available: the engine has no devices.where handler',
    zh: '無法查詢 ARP/MAC：引擎沒有 devices.where 功能',
    enProbing: 'still asking the engine about ARP/MAC lookups',
    zhProbing: '正在詢問引擎是否支援 ARP/MAC 查詢',
  },
};

/** Why an action is disabled with these capabilities, or undefined when it is enabled. */
export function disabledReason(a: Action, caps: Capabilities, lang: Lang): string | undefined {
  if (!a.needs || caps[a.needs] === true) return undefined;
  const w = WHY[a.needs];
  if (caps[a.needs] === undefined) return lang === 'zh-TW' ? w.zhProbing : w.enProbing;
  return lang === 'zh-TW' ? w.zh : w.en;
}

/** Why a capability is missing (for empty states), or undefined when present. */
export function capabilityMissing(c: Capability, caps: Capabilities, lang: Lang): string | undefined {
  if (caps[c] === true) return undefined;
  const w = WHY[c];
  if (caps[c] === undefined) return lang === 'zh-TW' ? w.zhProbing : w.enProbing;
  return lang === 'zh-TW' ? w.zh : w.en;
}

/** Display name of a key. */
export function keyLabel(k: string): string {
  return ({ return: 'Enter', escape: 'Esc', ' ': 'Space', up: '↑', down: '↓', pagedown: 'PgDn', pageup: 'PgUp', home: 'Home', end: 'End', 'ctrl+d': 'Ctrl-d', 'ctrl+u': 'Ctrl-u' } as Record<string, string>)[k] ?? k;
}

/** The description of an action in a language. */
export function actionText(a: Action, lang: Lang): string {
  return lang === 'zh-TW' ? a.zh : a.en;
}

/** One footer hint (key + short description), marked when disabled. */
export interface Hint {
  key: string;
  text: string;
  disabled: boolean;
}

/** The footer hints of a scope (or of a registered screen's scopes), from the table. */
export function hints(scope: Scope | Scope[], lang: Lang, caps: Capabilities = {}): Hint[] {
  const scopes = Array.isArray(scope) ? scope : [scope];
  // `?` first: on a narrow terminal the footer is cut from the right, and help must stay reachable.
  const shown = ACTIONS.filter((a) => a.hint?.some((h) => scopes.includes(h)));
  const ordered = [...shown.filter((a) => a.id === 'help'), ...shown.filter((a) => a.id !== 'help')];
  return ordered.map((a) => ({
    key: keyLabel(a.keys[0]),
    text: a.short ? a.short[lang === 'zh-TW' ? 1 : 0] : actionText(a, lang).split(/ \(|（/)[0],
    disabled: disabledReason(a, caps, lang) !== undefined,
  }));
}

/** One line of help per action: keys, description, where, flags (pure; the `?` screen and README use it). */
export interface HelpRow {
  id: string;
  keys: string;
  text: string;
  scopes: string;
  dangerous: boolean;
  disabled?: string;
}

/** The help rows, generated from the table. */
export function helpRows(lang: Lang, caps: Capabilities = {}): HelpRow[] {
  return ACTIONS.map((a) => ({
    id: a.id,
    keys: a.keys.map(keyLabel).join(' '),
    text: actionText(a, lang),
    scopes: a.scopes.join(','),
    dangerous: !!a.dangerous,
    disabled: disabledReason(a, caps, lang),
  }));
}

/** README's keys table (markdown), generated from the table; a test keeps README in sync with it. */
export function keysMarkdown(): string {
  const rows = ACTIONS.map((a) => `| ${a.keys.map((k) => `\`${keyLabel(k)}\``).join(' ')} | ${a.en}${a.dangerous ? ' (confirmed first)' : ''} | ${a.scopes.join(', ')} |`);
  return ['| Keys | Action | Where |', '| --- | --- | --- |', ...rows].join('\n');
}

/** README's `:` commands table (markdown) for a command list; a test keeps README in sync with it. */
export function commandsMarkdown(commands: readonly Command[] = COMMANDS): string {
  const rows = commands.map((c) => `| \`:${c.name}\` | ${c.en.replaceAll('|', '\\|')} |`);
  return ['| Command | What it does |', '| --- | --- |', ...rows].join('\n');
}

/** One `:` command: its name, the arguments Tab offers, and what it does. */
export interface Command {
  name: string;
  args?: string[];
  en: string;
  zh: string;
}

/** The built-in `:` commands (registered screens add theirs: src/tui/registry.ts). */
export const COMMANDS: readonly Command[] = [
  { name: 'window', args: ['-1', '-3', 'live'], en: 'travel to a stored window: -3 (three files back), 2026-11-22 14:05, or live', zh: '回到過去的時段：-3、2026-11-22 14:05 或 live' },
  { name: 'lang', args: ['en', 'zh-TW'], en: 'label language', zh: '介面語言' },
  { name: 'investigate', en: 'investigate an IP or prefix: :investigate IP [30m|2h|1d]', zh: '調查 IP 或前綴：:investigate IP [30m|2h|1d]' },
  { name: 'blocks', en: 'the Blocks view (FlowSpec rules)', zh: '封鎖列表（FlowSpec 規則）' },
  { name: 'panic', en: 'withdraw every FlowSpec rule: :panic WITHDRAW-ALL', zh: '撤回所有 FlowSpec 規則：:panic WITHDRAW-ALL' },
  { name: 'top', en: 'back to the top list', zh: '回到異常列表' },
  { name: 'help', en: 'this help', zh: '說明' },
  { name: 'quit', en: 'quit', zh: '離開' },
];

/** Complete a partial command line (Tab) against `commands`: the command name, then known arguments. Pure. */
export function complete(line: string, commands: readonly Command[] = COMMANDS): string {
  const text = line.replace(/^:/, '');
  const sp = text.indexOf(' ');
  if (sp < 0) {
    const hits = commands.map((c) => c.name).filter((c) => c.startsWith(text));
    if (hits.length === 1) return `${hits[0]} `;
    return commonPrefix(hits) || text;
  }
  const cmd = text.slice(0, sp);
  const arg = text.slice(sp + 1);
  const hits = (commands.find((c) => c.name === cmd)?.args ?? []).filter((x) => x.startsWith(arg));
  if (hits.length === 1) return `${cmd} ${hits[0]}`;
  const common = commonPrefix(hits);
  return common.length > arg.length ? `${cmd} ${common}` : text;
}

function commonPrefix(xs: string[]): string {
  if (xs.length === 0) return '';
  let p = xs[0];
  for (const x of xs) while (!x.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/** The part of ink's key report the TUI reads. */
export interface KeyFlags {
  upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean; return?: boolean; escape?: boolean; ctrl?: boolean;
  meta?: boolean; shift?: boolean; tab?: boolean; backspace?: boolean; delete?: boolean; pageDown?: boolean; pageUp?: boolean; home?: boolean; end?: boolean;
}

/**
 * One ink input event as the key presses it holds. ink hands over a run of plain characters that arrived in one read
 * as ONE event ("k\r", ":blocks\r" — keys typed ahead over a slow SSH link, or pasted): they are split into one press
 * per character, with Enter, Tab, Backspace and Ctrl-letters recognised, so each acts as if typed alone. Pure.
 */
export function splitKeys(input: string, k: KeyFlags): { input: string; key: KeyFlags }[] {
  const chars = Array.from(input);
  const special = k.upArrow || k.downArrow || k.leftArrow || k.rightArrow || k.return || k.escape || k.ctrl || k.meta || k.tab || k.backspace || k.delete || k.pageDown || k.pageUp || k.home || k.end;
  if (chars.length <= 1 || special) return [{ input, key: k }];
  return chars.map((ch) => {
    const code = ch.codePointAt(0)!;
    if (ch === '\r' || ch === '\n') return { input: '', key: { return: true } };
    if (ch === '\t') return { input: '', key: { tab: true } };
    if (ch === '\x7f' || ch === '\b') return { input: '', key: { backspace: true } };
    if (code < 0x20) return { input: String.fromCharCode(code + 96), key: { ctrl: true } };
    return { input: ch, key: /[A-Z]/.test(ch) ? { shift: true } : {} };
  });
}

/** Map ink's key report to a key name of the table (pure). */
export function keyName(
  input: string,
  k: { upArrow?: boolean; downArrow?: boolean; return?: boolean; escape?: boolean; ctrl?: boolean; tab?: boolean; pageDown?: boolean; pageUp?: boolean; home?: boolean; end?: boolean },
): string {
  if (k.upArrow) return 'up';
  if (k.downArrow) return 'down';
  if (k.return) return 'return';
  if (k.escape) return 'escape';
  if (k.tab) return 'tab';
  if (k.pageDown) return 'pagedown';
  if (k.pageUp) return 'pageup';
  if (k.home) return 'home';
  if (k.end) return 'end';
  if (k.ctrl) return `ctrl+${input}`;
  return input;
}
