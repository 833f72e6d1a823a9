/**
 * The one key table: it drives input, the footer hints and the `?` help. Screens name the scopes in which an action
 * works; dangerous actions ask for confirmation; a disabled action says why.
 */
export type Scope = 'global' | 'top' | 'detail' | 'investigate' | 'blocks' | 'help';

export interface Action {
  id: string;
  /** Key names as ink reports them: a character, or 'up' 'down' 'return' 'escape' 'tab' 'pageup' 'pagedown', 'ctrl+d'. */
  keys: string[];
  scopes: Scope[];
  en: string;
  zh: string;
  dangerous?: boolean;
  /** When set, the action is shown but does nothing and says this. */
  disabledWhy?: string;
}

export const ACTIONS: Action[] = [
  { id: 'down', keys: ['j', 'down'], scopes: ['top', 'blocks', 'detail', 'investigate', 'help'], en: 'move down', zh: '下移' },
  { id: 'up', keys: ['k', 'up'], scopes: ['top', 'blocks', 'detail', 'investigate', 'help'], en: 'move up', zh: '上移' },
  { id: 'first', keys: ['g'], scopes: ['top', 'blocks'], en: 'first row', zh: '第一列' },
  { id: 'last', keys: ['G'], scopes: ['top', 'blocks'], en: 'last row', zh: '最後一列' },
  { id: 'pagedown', keys: ['ctrl+d', 'pagedown'], scopes: ['top', 'blocks'], en: 'half page down', zh: '下半頁' },
  { id: 'pageup', keys: ['ctrl+u', 'pageup'], scopes: ['top', 'blocks'], en: 'half page up', zh: '上半頁' },
  { id: 'open', keys: ['return'], scopes: ['top'], en: 'attacker detail', zh: '攻擊者細節' },
  { id: 'back', keys: ['escape'], scopes: ['detail', 'investigate', 'blocks', 'help'], en: 'back (cancels a running query)', zh: '返回（取消查詢）' },
  { id: 'investigate', keys: ['i'], scopes: ['top', 'detail'], en: 'investigate the IP (last hour)', zh: '調查此IP（最近一小時）' },
  { id: 'mark', keys: [' '], scopes: ['top'], en: 'mark / unmark row', zh: '標記/取消標記' },
  { id: 'sort', keys: ['s'], scopes: ['top'], en: 'sort by score / flows / peers / bytes', zh: '排序：分數/Flow/對象/Bytes' },
  { id: 'pause', keys: ['p'], scopes: ['top'], en: 'pause / resume live updates', zh: '暫停/恢復更新' },
  { id: 'false-positive', keys: ['f'], scopes: ['top', 'detail'], en: 'mark false positive (with a reason)', zh: '標記為誤判（附理由）' },
  { id: 'hide-fp', keys: ['h'], scopes: ['top'], en: 'hide / show false positives', zh: '隱藏/顯示誤判' },
  { id: 'block', keys: ['b'], scopes: ['top', 'detail'], en: 'block with FlowSpec', zh: 'FlowSpec 封鎖', dangerous: true, disabledWhy: 'FlowSpec blocking is not available in this build (no BGP speaker configured)' },
  { id: 'unblock', keys: ['u'], scopes: ['blocks'], en: 'unblock', zh: '解除封鎖', dangerous: true, disabledWhy: 'FlowSpec blocking is not available in this build (no BGP speaker configured)' },
  { id: 'blocks', keys: ['B'], scopes: ['top'], en: 'blocks view', zh: '封鎖列表' },
  { id: 'filter', keys: ['/'], scopes: ['top', 'blocks'], en: 'filter the list', zh: '過濾列表' },
  { id: 'command', keys: [':'], scopes: ['global'], en: 'command line (:window -3, :lang zh-TW, :investigate IP, :quit)', zh: '命令列（:window -3、:lang zh-TW、:investigate IP、:quit）' },
  { id: 'help', keys: ['?'], scopes: ['global'], en: 'this help', zh: '說明' },
  { id: 'quit', keys: ['q'], scopes: ['global'], en: 'quit', zh: '離開' },
];

/** The action a key triggers in a scope (scope-specific first, then global). */
export function actionFor(key: string, scope: Scope): Action | undefined {
  return ACTIONS.find((a) => a.keys.includes(key) && a.scopes.includes(scope)) ?? ACTIONS.find((a) => a.keys.includes(key) && a.scopes.includes('global'));
}

/** Display name of a key. */
export function keyLabel(k: string): string {
  return ({ return: 'Enter', escape: 'Esc', ' ': 'Space', up: '↑', down: '↓', pagedown: 'PgDn', pageup: 'PgUp' } as Record<string, string>)[k] ?? k;
}

/** Short footer hints for a scope. */
export function hints(scope: Scope, lang: 'en' | 'zh-TW'): string {
  const ids: Record<Scope, string[]> = {
    top: ['open', 'investigate', 'filter', 'mark', 'sort', 'pause', 'false-positive', 'help', 'quit'],
    detail: ['back', 'investigate', 'false-positive', 'help'],
    investigate: ['back', 'help'],
    blocks: ['back', 'unblock', 'help'],
    help: ['back'],
    global: [],
  };
  return ids[scope]
    .map((id) => ACTIONS.find((a) => a.id === id)!)
    .map((a) => `${keyLabel(a.keys[0])} ${(lang === 'zh-TW' ? a.zh : a.en).split(' (')[0]}`)
    .join('  ');
}

/** Commands of the `:` line, for completion. */
export const COMMANDS = ['window', 'lang', 'investigate', 'blocks', 'top', 'quit'] as const;

/** Complete a partial command line (Tab). */
export function complete(line: string): string {
  const word = line.replace(/^:/, '');
  if (word.includes(' ')) return line;
  const hits = COMMANDS.filter((c) => c.startsWith(word));
  return hits.length === 1 ? `${hits[0]} ` : line;
}
