/**
 * Pure model of the Blocks view and the block confirmation: FlowSpec rules as the engine reports them (block.list,
 * block.propose) turned into display rows and dialog lines. The engine's shapes are read defensively (field names
 * vary while the FlowSpec area evolves); every string is stripped of control characters.
 */
import { stripControl } from '../util/sanitize.js';
import { fit } from './format.js';
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
  matchedPackets?: number;
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
    matchedPackets: num(pick(o, 'matchedPackets', 'matched', 'packets', 'hits')),
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

/** The Blocks view's declared columns (k9s-style header + render). */
export const BLOCK_COLUMNS = [
  { id: 'rule', en: 'MATCH', zh: '比對條件', min: 28, grow: 0.55 },
  { id: 'action', en: 'ACTION', zh: '動作', min: 7, grow: 0.05 },
  { id: 'who', en: 'WHO', zh: '操作者', min: 6, grow: 0.1 },
  { id: 'why', en: 'WHY', zh: '理由', min: 8, grow: 0.2 },
  { id: 'age', en: 'AGE', zh: '時間', min: 5, grow: 0 },
  { id: 'expiry', en: 'EXPIRES', zh: '到期', min: 7, grow: 0 },
  { id: 'matched', en: 'MATCHED', zh: '命中', min: 7, grow: 0.1 },
] as const;

/** Column widths for a terminal width (two cells go to the mark and cursor). */
export function blockWidths(width: number): number[] {
  const min = BLOCK_COLUMNS.reduce((n, c) => n + c.min + 1, 2);
  const extra = Math.max(0, width - min);
  return BLOCK_COLUMNS.map((c) => c.min + Math.floor(extra * c.grow));
}

/** The header line of the Blocks view. */
export function blockHeader(width: number, lang: Lang): string {
  const w = blockWidths(width);
  return `  ${BLOCK_COLUMNS.map((c, i) => fit(lang === 'zh-TW' ? c.zh : c.en, w[i])).join(' ')}`;
}

/** One line of the Blocks view (pure). */
export function blockLine(r: BlockRow, width: number, now: number, marked: boolean): string {
  const w = blockWidths(width);
  const expiry = r.expiresAt === undefined ? 'never' : r.expiresAt <= now ? 'expired' : age(now, r.expiresAt);
  // The action has its own column: the rule column shows the match part only.
  const match = r.rule.replace(/^match /, '').replace(/ then .*$/, '');
  const cells = [match, r.action, r.who, r.why, age(r.createdAt, now), expiry, r.matchedPackets === undefined ? '—' : String(r.matchedPackets)];
  return `${marked ? '*' : ' '} ${cells.map((c, i) => fit(c, w[i], i >= 4 ? 'right' : 'left')).join(' ')}`;
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
