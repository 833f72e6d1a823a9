/**
 * Pure model of the Blocks view and the block confirmation: FlowSpec rules as the engine reports them (block.list,
 * block.propose) turned into display rows and dialog lines. The engine's shapes are read defensively (field names
 * vary while the FlowSpec area evolves); every string is stripped of control characters.
 */
import { stripControl } from '../util/sanitize.js';
import { fit, human } from './format.js';
import type { Lang } from '../i18n/labels.js';
import { factText, impactText, type ProposalFact } from '../i18n/flowspec-text.js';

/** One FlowSpec rule as the Blocks view shows it. */
export interface BlockRow {
  id: string;
  /** The rule in the operators' words ("match source 198.51.100.7/32 destination-port ==22 then discard"). */
  rule: string;
  action: string;
  who: string;
  why: string;
  /** Epoch ms. */
  createdAt?: number;
  expiresAt?: number;
  /** Packets the rule matched in the latest window (the engine's `matched`, measured from the flows). */
  matchedPackets?: number;
  matched?: EffectPoint;
  /** Each window since the announcement, oldest first, and the window before it. */
  effect?: EffectPoint[];
  baseline?: EffectPoint;
  advice?: { kind: 'idle' | 'not-applied'; windows: number; ratio?: number };
  /** The routers it was announced to (absent: every router), and the share of the attack they carry. */
  routers?: string[];
  covered?: number;
}

/** What a rule matched in one window. */
export interface EffectPoint {
  /** Epoch ms of the window's start. */
  t: number;
  flows: number;
  packets: number;
  bytes: number;
  twoWayFlows: number;
  /** Victim rules: all packets to the victim. */
  victimPackets?: number;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string => (typeof x === 'string' ? stripControl(x) : typeof x === 'number' || typeof x === 'boolean' ? String(x) : '');
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x)) ? Number(x) : undefined);
const pick = (o: Obj, ...names: string[]): unknown => {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
};
/** Epoch ms from a number (s or ms) or an ISO string. */
const time = (x: unknown): number | undefined => {
  const n = num(x);
  if (n !== undefined) return n < 1e12 ? n * 1000 : n;
  if (typeof x === 'string') {
    const t = Date.parse(x);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
};

/** The text of a rule value: a string, a `text`/`summary` field, or its match/then parts. */
export function ruleText(r: unknown): string {
  if (typeof r === 'string') return stripControl(r);
  if (!isObj(r)) return '';
  const t = pick(r, 'text', 'summary', 'description', 'gobgp');
  if (typeof t === 'string') return stripControl(t);
  if (Array.isArray(t)) return t.map(str).join(' ');
  const parts: string[] = [];
  const match = pick(r, 'match', 'matches');
  if (isObj(match)) parts.push(`match ${Object.entries(match).map(([k, v]) => `${k} ${Array.isArray(v) ? v.map(str).join(',') : str(v)}`).join(' ')}`);
  else if (match !== undefined) parts.push(`match ${str(match)}`);
  const then = pick(r, 'then', 'action');
  if (isObj(then)) parts.push(`then ${Object.entries(then).map(([k, v]) => `${k} ${str(v)}`).join(' ')}`.trim());
  else if (then !== undefined) parts.push(`then ${str(then)}`);
  return parts.join(' ');
}

/** One window's effect read defensively (undefined when malformed). */
function effectOf(x: unknown): EffectPoint | undefined {
  if (!isObj(x)) return undefined;
  const start = num(x.start);
  const flows = num(x.flows);
  if (start === undefined || flows === undefined) return undefined;
  const victim = isObj(x.victim) ? num(x.victim.packets) : undefined;
  return { t: start < 1e12 ? start * 1000 : start, flows, packets: num(x.packets) ?? 0, bytes: num(x.bytes) ?? 0, twoWayFlows: num(x.twoWayFlows) ?? 0, ...(victim !== undefined ? { victimPackets: victim } : {}) };
}

/** A display row from one entry of block.list (unknown shape, read defensively). */
export function toBlockRow(x: unknown, i: number): BlockRow {
  const o = isObj(x) ? x : { rule: x };
  const inner = isObj(o.rule) ? (o.rule as Obj) : o;
  const then = pick(inner, 'then', 'action');
  const rule = ruleText(pick(o, 'text', 'summary') ?? o.rule ?? o);
  const fromText = / then (.+)$/.exec(rule)?.[1] ?? '';
  return {
    id: str(pick(o, 'id', 'ruleId', 'key')) || String(i),
    rule,
    action: isObj(then) ? Object.entries(then).map(([k, v]) => `${k} ${str(v)}`.trim()).join(' ') : str(then) || str(pick(o, 'action')) || fromText,
    who: str(pick(o, 'who', 'user', 'createdBy', 'operator')),
    why: str(pick(o, 'why', 'reason', 'comment')),
    createdAt: time(pick(o, 'createdAt', 'created', 'at', 'since')),
    expiresAt: time(pick(o, 'expiresAt', 'expires', 'expiry', 'until')),
    ...effectFields(o),
  };
}

/** The effect fields of a block.list entry (the engine's `matched`, `effect`, `baseline`, `advice`, `routers`). */
function effectFields(o: Obj): Partial<BlockRow> {
  const matched = effectOf(o.matched);
  const effect = Array.isArray(o.effect) ? o.effect.map(effectOf).filter((e): e is EffectPoint => !!e) : undefined;
  const baseline = effectOf(o.baseline);
  const adv = isObj(o.advice) && (o.advice.kind === 'idle' || o.advice.kind === 'not-applied') ? { kind: o.advice.kind as 'idle' | 'not-applied', windows: num(o.advice.windows) ?? 0, ...(num(o.advice.ratio) !== undefined ? { ratio: num(o.advice.ratio)! } : {}) } : undefined;
  const routers = Array.isArray(o.routers) ? o.routers.map(str).filter(Boolean) : undefined;
  const covered = isObj(o.scope) ? num(o.scope.covered) : undefined;
  return {
    matchedPackets: matched?.packets ?? num(pick(o, 'matchedPackets', 'packets', 'hits')) ?? (typeof o.matched === 'number' ? o.matched : undefined),
    ...(matched ? { matched } : {}),
    ...(effect ? { effect } : {}),
    ...(baseline ? { baseline } : {}),
    ...(adv ? { advice: adv } : {}),
    ...(routers?.length ? { routers } : {}),
    ...(covered !== undefined ? { covered } : {}),
  };
}

/** Rows from a block.list answer (an array, or an object holding `rules`/`blocks`/`items`). */
export function toBlockRows(answer: unknown): BlockRow[] {
  const list = Array.isArray(answer) ? answer : isObj(answer) ? (pick(answer, 'rules', 'blocks', 'items', 'active') as unknown[]) : [];
  return Array.isArray(list) ? list.map(toBlockRow) : [];
}

/** "3m", "2h05m", "1d4h", or "—" (pure; `now` is a parameter). */
export function age(from: number | undefined, now: number): string {
  if (from === undefined) return '—';
  const m = Math.max(0, Math.round((now - from) / 60_000));
  if (m >= 1440) return `${Math.floor(m / 1440)}d${Math.floor((m % 1440) / 60)}h`;
  if (m >= 60) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  return `${m}m`;
}

/**
 * The Blocks view's declared columns (k9s-style header + render). `from`: the terminal width from which a column is
 * shown — at 80 columns the table is the rule, its action, what it matched and its expiry; the rest is in the detail
 * below the table.
 */
export const BLOCK_COLUMNS = [
  { id: 'rule', en: 'MATCH', zh: '比對條件', min: 24, grow: 0.5, from: 0 },
  { id: 'action', en: 'ACTION', zh: '動作', min: 12, grow: 0.05, from: 0 },
  { id: 'who', en: 'WHO', zh: '操作者', min: 6, grow: 0.08, from: 110 },
  { id: 'why', en: 'WHY', zh: '理由', min: 8, grow: 0.22, from: 110 },
  { id: 'age', en: 'AGE', zh: '時間', min: 5, grow: 0, from: 100 },
  { id: 'expiry', en: 'EXPIRES', zh: '到期', min: 7, grow: 0, from: 0 },
  { id: 'matched', en: 'MATCHED', zh: '命中', min: 11, grow: 0.1, from: 0 },
] as const;

/** The columns shown at a width. */
const shownColumns = (width: number) => BLOCK_COLUMNS.filter((c) => width >= c.from);

/**
 * Column widths for a terminal width (two cells go to the mark and cursor), one per shown column. The rule column is
 * widened to `targetWidth` (the longest target among the rows) when there is room, so a target is never cut. Pure.
 */
export function blockWidths(width: number, targetWidth = 0): number[] {
  const cols = shownColumns(width);
  const min = cols.reduce((n, c) => n + c.min + 1, 2);
  let extra = Math.max(0, width - min);
  const ws = cols.map((c) => c.min);
  const need = Math.max(0, targetWidth - ws[0]);
  const give = Math.min(need, extra);
  ws[0] += give;
  extra -= give;
  const grow = cols.reduce((n, c) => n + c.grow, 0);
  return ws.map((w, i) => w + Math.floor((extra * cols[i].grow) / grow));
}

/** The header line of the Blocks view. */
export function blockHeader(width: number, lang: Lang, targetWidth = 0): string {
  const w = blockWidths(width, targetWidth);
  return `  ${shownColumns(width).map((c, i) => fit(lang === 'zh-TW' ? c.zh : c.en, w[i])).join(' ')}`;
}

/**
 * The match part of a rule's text, target first ("dst 192.0.2.10/32 tcp dport 80"): the family word, the action
 * (it has its own column) and the routers (in the detail) are left out. Pure.
 */
export function matchPart(rule: string): string {
  const m = rule.replace(/^match /, '').replace(/ then .*$/, '').replace(/ → .*$/, '').replace(/^ipv[46] /, '');
  // A rule with both: the destination (a victim) or the source leads, as written.
  return m;
}

/** The target of a rule ("dst 192.0.2.10/32"): what must never be cut in the table. Pure. */
export function targetPart(rule: string): string {
  const m = matchPart(rule);
  const t = /^((?:src|dst|source|destination) \S+)/.exec(m);
  return t ? t[1] : m.split(' ').slice(0, 2).join(' ');
}

/** An action in a few cells: "rate-limit 1000000 B/s" → "rate 1.0MB/s". Pure. */
export function shortAction(action: string): string {
  const m = /^rate-limit (\d+(?:\.\d+)?) ?B\/s/.exec(action);
  return m ? `rate ${human(Number(m[1]))}B/s` : action;
}

/** The MATCHED cell: packets in the latest window, with the advice as a word ("0 idle", "12k !"). Pure. */
export function matchedCell(r: BlockRow): string {
  if (r.matchedPackets === undefined) return '—';
  const n = human(r.matchedPackets);
  if (r.advice?.kind === 'idle') return `${n} idle`;
  if (r.advice?.kind === 'not-applied') return `${n} !`;
  return n;
}

/** One line of the Blocks view (pure). */
export function blockLine(r: BlockRow, width: number, now: number, marked: boolean, targetWidth = 0): string {
  const w = blockWidths(width, targetWidth);
  const expiry = r.expiresAt === undefined ? 'never' : r.expiresAt <= now ? 'expired' : age(now, r.expiresAt);
  const cells: Record<string, string> = { rule: matchPart(r.rule), action: shortAction(r.action), who: r.who, why: r.why, age: age(r.createdAt, now), expiry, matched: matchedCell(r) };
  const cols = shownColumns(width);
  return `${marked ? '*' : ' '} ${cols.map((c, i) => fit(cells[c.id], w[i], c.id === 'age' || c.id === 'expiry' || c.id === 'matched' ? 'right' : 'left')).join(' ')}`;
}

/** The effect chart's points of a rule: the baseline window, then each window since (matched packets). Pure. */
export function effectPoints(r: BlockRow): { t: number; value: number }[] {
  return [...(r.baseline ? [r.baseline] : []), ...(r.effect ?? [])].map((e) => ({ t: e.t, value: e.packets }));
}

/**
 * The detail under the Blocks table for the selected rule (pure): the whole rule and why; who, when and where it
 * was announced; what it matched in the latest window against the window before it (one-way / two-way, the victim's
 * traffic); and the advice, flagged `warn`.
 */
export function blockDetailLines(r: BlockRow, now: number, lang: Lang): { text: string; warn?: boolean }[] {
  const zh = lang === 'zh-TW';
  const out: { text: string; warn?: boolean }[] = [];
  out.push({ text: stripControl(`${r.rule}${r.why ? `  ${zh ? '理由' : 'why'}: ${r.why}` : ''}`) });
  const where = r.routers?.length
    ? zh ? `只送往 ${r.routers.join(' ')}${r.covered !== undefined ? `（涵蓋攻擊的 ${(r.covered * 100).toFixed(1)}%）` : ''}` : `only at ${r.routers.join(' ')}${r.covered !== undefined ? ` (${(r.covered * 100).toFixed(1)}% of the attack)` : ''}`
    : zh ? '送往所有路由器' : 'at every router';
  out.push({ text: stripControl(zh ? `${r.who || '?'}，${age(r.createdAt, now)} 前；${where}` : `by ${r.who || '?'} ${age(r.createdAt, now)} ago; ${where}`) });
  const m = r.matched;
  const b = r.baseline;
  if (m || b) {
    const vol = (e: EffectPoint) => (zh ? `${human(e.flows)} flows、${human(e.packets)} 封包（單向 ${human(e.flows - e.twoWayFlows)}、雙向 ${human(e.twoWayFlows)}）` : `${human(e.flows)} flows, ${human(e.packets)} packets (${human(e.flows - e.twoWayFlows)} one-way, ${human(e.twoWayFlows)} two-way)`);
    const parts = [m ? `${zh ? '最新時段' : 'last window'} ${new Date(m.t).toISOString().slice(11, 16)}: ${vol(m)}` : zh ? '封鎖後尚無時段' : 'no window since the announcement', b ? `${zh ? '封鎖前' : 'before'}: ${vol(b)}` : ''];
    if (m?.victimPackets !== undefined && b?.victimPackets !== undefined) parts.push(zh ? `受害者封包 ${human(b.victimPackets)} → ${human(m.victimPackets)}` : `victim's packets ${human(b.victimPackets)} → ${human(m.victimPackets)}`);
    out.push({ text: parts.filter(Boolean).join('; ') });
  } else {
    out.push({ text: zh ? '尚未量測（下一個時段讀入後顯示命中量）' : 'not measured yet (what it matches shows after the next window)' });
  }
  if (r.advice?.kind === 'idle') out.push({ warn: true, text: zh ? `連續 ${r.advice.windows} 個時段沒有命中：可提前撤回（u）` : `matched nothing for ${r.advice.windows} window(s): withdraw it early? (u)` });
  if (r.advice?.kind === 'not-applied') out.push({ warn: true, text: zh ? `攻擊仍以原本 ${Math.round((r.advice.ratio ?? 1) * 100)}% 的速率持續：路由器可能沒有套用此規則` : `the attack goes on at ${Math.round((r.advice.ratio ?? 1) * 100)}% of its rate before: the routers may not apply it` });
  return out;
}

/** What block.propose answered, ready for the confirmation dialog. */
export interface ProposalView {
  /** The exact rules that would be announced. */
  rules: string[];
  /** Impact preview lines (what else the rule would match, how much traffic). */
  impact: string[];
  /** Refusals (guards that said no), with their reasons. */
  refused: string[];
  /** What to hand to block.add. */
  accepted: unknown[];
}

const lines = (x: unknown): string[] => {
  if (x === undefined || x === null) return [];
  if (typeof x === 'string' || typeof x === 'number') return [str(x)];
  if (Array.isArray(x)) return x.flatMap(lines);
  if (isObj(x)) {
    const text = pick(x, 'text', 'summary', 'message');
    if (typeof text === 'string') return [stripControl(text)];
    return [Object.entries(x).map(([k, v]) => `${k}: ${isObj(v) || Array.isArray(v) ? JSON.stringify(v) : str(v)}`).join(', ')].map(stripControl);
  }
  return [];
};

/** One fact read defensively from the engine's answer (undefined when malformed). */
function factOf(x: unknown): ProposalFact | undefined {
  if (!isObj(x)) return undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  if (x.kind === 'attacker') return n(x.port) === undefined ? { kind: 'attacker' } : { kind: 'attacker', port: n(x.port)! };
  if (x.kind === 'victim') return { kind: 'victim' };
  if (x.kind === 'spoofed' && n(x.share) !== undefined) return { kind: 'spoofed', share: n(x.share)! };
  if (x.kind === 'entry' && n(x.interface) !== undefined && n(x.share) !== undefined) return { kind: 'entry', exporter: str(x.exporter), interface: n(x.interface)!, share: n(x.share)! };
  const routers = (v: unknown) => (Array.isArray(v) ? v.filter(isObj).filter((r) => n(r.share) !== undefined).map((r) => ({ address: str(r.address), share: n(r.share)!, ...(typeof r.name === 'string' ? { name: str(r.name) } : {}) })) : undefined);
  if (x.kind === 'routers' && routers(x.chosen) && n(x.covered) !== undefined && n(x.threshold) !== undefined) return { kind: 'routers', chosen: routers(x.chosen)!, skipped: routers(x.skipped) ?? [], covered: n(x.covered)!, threshold: n(x.threshold)! };
  if (x.kind === 'all-routers' && (x.why === 'unmapped' || x.why === 'spread') && n(x.threshold) !== undefined) return { kind: 'all-routers', why: x.why, threshold: n(x.threshold)! };
  return undefined;
}

/** The impact lines of one proposal in the screen's language: from its data when the engine sent it, else its text. */
function impactLines(p: Record<string, unknown>, lang: Lang): string[] {
  const facts = Array.isArray(p.facts) ? p.facts.map(factOf) : undefined;
  if (!facts || facts.some((f) => f === undefined) || !('preview' in p)) return lines(pick(p, 'impact', 'preview', 'matches'));
  const pv = isObj(p.preview) ? p.preview : undefined;
  const n = (k: string) => (pv && typeof pv[k] === 'number' ? (pv[k] as number) : 0);
  const imp = pv ? { flows: n('flows'), packets: n('packets'), bytes: n('bytes'), twoWayFlows: n('twoWayFlows'), twoWayInside: n('twoWayInside') } : undefined;
  return [...impactText(imp, pv?.insideKnown === true, lang), ...facts.map((f) => factText(f!, lang))];
}

/** Read a block.propose answer (one proposal or a list; each accepted with a rule and impact, or refused). */
export function toProposalView(answer: unknown, lang: Lang = 'en'): ProposalView {
  const list = Array.isArray(answer) ? answer : isObj(answer) && Array.isArray(pick(answer, 'proposals', 'items')) ? (pick(answer, 'proposals', 'items') as unknown[]) : [answer];
  const v: ProposalView = { rules: [], impact: [], refused: [], accepted: [] };
  // Several proposals: each one's impact under its target, so the preview says which rule it is about.
  const several = list.filter((p) => isObj(p) && p.ok !== false && !pick(p, 'refused', 'refusal', 'rejected', 'error')).length > 1;
  for (const p of list) {
    if (!isObj(p)) continue;
    const refusal = pick(p, 'refused', 'refusal', 'rejected', 'error');
    const ok = p.ok !== false && !refusal;
    if (!ok) {
      const reasons = lines(pick(p, 'reasons', 'reason', 'refused', 'refusal', 'rejected', 'error', 'message'));
      const target = str(pick(p, 'target', 'ip'));
      v.refused.push(`${target ? `${target}: ` : ''}${reasons.join('; ') || 'refused'}`);
      continue;
    }
    const rule = pick(p, 'rule', 'rules');
    const rs = Array.isArray(rule) ? rule.map(ruleText) : [ruleText(rule ?? p)];
    v.rules.push(...rs.filter(Boolean));
    const target = str(pick(p, 'target', 'ip'));
    if (several && target) v.impact.push(`${target}:`, ...impactLines(p, lang).map((l) => `  ${l}`));
    else v.impact.push(...impactLines(p, lang));
    v.accepted.push(p);
  }
  return v;
}

/** Audit lines from an audit.list answer, newest first: "14:05 alice announce #3 ipv4 src … — reason" (pure). */
export function toAuditLines(answer: unknown): string[] {
  if (!Array.isArray(answer)) return [];
  return answer.filter(isObj).map((e) => {
    const at = num(pick(e, 'at'));
    const when = at === undefined ? '' : new Date(at).toISOString().slice(5, 16).replace('T', ' ');
    const id = pick(e, 'blockId');
    const parts = [when, str(pick(e, 'who')), str(pick(e, 'action')), id === undefined ? '' : `#${str(id)}`, str(pick(e, 'rule'))].filter(Boolean);
    const reason = str(pick(e, 'reason'));
    const detail = str(pick(e, 'detail'));
    return stripControl(`${parts.join(' ')}${reason ? ` — ${reason}` : ''}${detail ? ` (${detail})` : ''}`);
  });
}
