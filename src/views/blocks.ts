/**
 * Pure model of the Blocks view and the block confirmation: FlowSpec blocks and proposals as the engine's handlers
 * answer them (block.list / block.covering → BlockView, block.propose → BlockProposal, audit.list → AuditEntry, in
 * src/flowspec) turned into display rows and dialog lines. The inputs are declared here as the fields this view reads,
 * so the real handler types must satisfy them (checked where the TUI calls the engine); every string is stripped of
 * control characters.
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

/** What one window's effect carries (the engine's effectView in src/flowspec/area.ts) that this view reads. */
export interface EffectSource {
  /** Epoch seconds of the window's start. */
  start: number;
  flows: number;
  packets: number;
  bytes: number;
  twoWayFlows: number;
  victim?: { packets: number };
}

/** The fields of a listed block (the engine's BlockView, src/flowspec/area.ts) this view reads. */
export interface BlockSource {
  id: number;
  /** The rule in words, as announced ("ipv4 src 198.51.100.7/32 tcp dport 22 → discard"). */
  text: string;
  /** "discard" or "rate-limit N B/s". */
  action: string;
  who: string;
  reason: string;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  /** The latest window's match, each window since the announcement, and the window before it. */
  matched?: EffectSource | null;
  effect?: readonly EffectSource[];
  baseline?: EffectSource | null;
  advice?: { kind: 'idle' | 'not-applied'; windows: number; ratio?: number };
  routers?: readonly string[];
  scope?: { covered: number };
}

const effectOf = (e: EffectSource): EffectPoint => ({
  t: e.start < 1e12 ? e.start * 1000 : e.start,
  flows: e.flows,
  packets: e.packets,
  bytes: e.bytes,
  twoWayFlows: e.twoWayFlows,
  ...(e.victim ? { victimPackets: e.victim.packets } : {}),
});

/** A display row from one listed block. */
export function toBlockRow(b: BlockSource): BlockRow {
  const matched = b.matched ? effectOf(b.matched) : undefined;
  return {
    id: String(b.id),
    rule: stripControl(b.text),
    action: stripControl(b.action),
    who: stripControl(b.who),
    why: stripControl(b.reason),
    createdAt: b.createdAt,
    expiresAt: b.expiresAt,
    ...(matched ? { matched, matchedPackets: matched.packets } : {}),
    ...(b.effect ? { effect: b.effect.map(effectOf) } : {}),
    ...(b.baseline ? { baseline: effectOf(b.baseline) } : {}),
    ...(b.advice ? { advice: { ...b.advice } } : {}),
    ...(b.routers?.length ? { routers: b.routers.map(stripControl) } : {}),
    ...(b.scope ? { covered: b.scope.covered } : {}),
  };
}

/** Rows from a block.list (or block.covering) answer. */
export function toBlockRows(list: readonly BlockSource[]): BlockRow[] {
  return list.map(toBlockRow);
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

/** The fields of one block.propose answer (the engine's BlockProposal) this view reads. */
export type ProposalSource =
  | {
      ok: true;
      target: string;
      rule: string;
      impact: string[];
      facts: ProposalFact[];
      preview: { flows: number; packets: number; bytes: number; twoWayFlows: number; twoWayInside: number; insideKnown: boolean } | null;
    }
  | { ok: false; target: string; reasons: string[] };

/** What block.propose answered, ready for the confirmation dialog. */
export interface ProposalView<P> {
  /** The exact rules that would be announced. */
  rules: string[];
  /** Impact preview lines (what else the rule would match, how much traffic). */
  impact: string[];
  /** Refusals (guards that said no), with their reasons. */
  refused: string[];
  /** What to hand to block.add: the accepted proposals as the engine sent them. */
  accepted: Extract<P, { ok: true }>[];
}

/** The impact lines of one proposal in the screen's language, from its data (the engine's English is for the CLI). */
function impactLines(p: Extract<ProposalSource, { ok: true }>, lang: Lang): string[] {
  const imp = p.preview ? { flows: p.preview.flows, packets: p.preview.packets, bytes: p.preview.bytes, twoWayFlows: p.preview.twoWayFlows, twoWayInside: p.preview.twoWayInside } : undefined;
  return [...impactText(imp, p.preview?.insideKnown === true, lang), ...p.facts.map((f) => factText(f, lang))].map(stripControl);
}

/** Read a block.propose answer: each proposal accepted with its rule and impact, or refused with its reasons. */
export function toProposalView<P extends ProposalSource>(answer: { proposals: readonly P[] }, lang: Lang = 'en'): ProposalView<P> {
  const v: ProposalView<P> = { rules: [], impact: [], refused: [], accepted: [] };
  // Several proposals: each one's impact under its target, so the preview says which rule it is about.
  const several = answer.proposals.filter((p) => p.ok).length > 1;
  for (const p of answer.proposals) {
    const target = stripControl(p.target);
    if (!p.ok) {
      v.refused.push(`${target ? `${target}: ` : ''}${p.reasons.map(stripControl).join('; ') || 'refused'}`);
      continue;
    }
    const ok = p as Extract<P, { ok: true }>;
    v.rules.push(stripControl(ok.rule));
    if (several) v.impact.push(`${target}:`, ...impactLines(ok, lang).map((l) => `  ${l}`));
    else v.impact.push(...impactLines(ok, lang));
    v.accepted.push(ok);
  }
  return v;
}

/** The fields of one audit entry (the engine's AuditEntry) this view reads. */
export interface AuditSource {
  at: number;
  who: string;
  action: string;
  blockId?: number;
  rule?: string;
  reason?: string;
  detail?: string;
}

/** Audit lines from an audit.list answer, newest first: "11-22 14:05 alice announce #3 ipv4 src … — reason" (pure). */
export function toAuditLines(entries: readonly AuditSource[]): string[] {
  return entries.map((e) => {
    const when = new Date(e.at).toISOString().slice(5, 16).replace('T', ' ');
    const parts = [when, e.who, e.action, e.blockId === undefined ? '' : `#${e.blockId}`, e.rule ?? ''].filter(Boolean);
    return stripControl(`${parts.join(' ')}${e.reason ? ` — ${e.reason}` : ''}${e.detail ? ` (${e.detail})` : ''}`).replace(/[\r\n\t]+/g, ' ');
  });
}
