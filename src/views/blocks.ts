/**
 * Pure model of the Blocks view and the block confirmation: FlowSpec blocks and proposals as the engine's handlers
 * answer them (block.list / block.covering → BlockView, block.propose → BlockProposal, audit.list → AuditEntry, in
 * src/flowspec) turned into display rows and dialog lines. The inputs are declared here as the fields this view reads,
 * so the real handler types must satisfy them (checked where the TUI calls the engine); every string is stripped of
 * control characters.
 */
import { stripControl } from '../util/sanitize.js';
import { fit } from './format.js';
import type { Lang } from '../i18n/labels.js';
import { factText, impactText, type ProposalFact } from '../i18n/flowspec-text.js';

/** The fields of a listed block (the engine's BlockView) this view reads. */
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
  /** Matched packets in the latest window, when the engine reports them. */
  matchedPackets?: number;
}

/** One FlowSpec rule as the Blocks view shows it. */
export interface BlockRow {
  id: string;
  /** The rule in the operators' words. */
  rule: string;
  action: string;
  who: string;
  why: string;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  matchedPackets?: number;
}

/** A display row from one listed block. */
export function toBlockRow(b: BlockSource): BlockRow {
  return {
    id: String(b.id),
    rule: stripControl(b.text),
    action: stripControl(b.action),
    who: stripControl(b.who),
    why: stripControl(b.reason),
    createdAt: b.createdAt,
    expiresAt: b.expiresAt,
    ...(b.matchedPackets !== undefined ? { matchedPackets: b.matchedPackets } : {}),
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
  const match = r.rule.replace(/ → .*$/, '');
  const cells = [match, r.action, r.who, r.why, age(r.createdAt, now), expiry, r.matchedPackets === undefined ? '—' : String(r.matchedPackets)];
  return `${marked ? '*' : ' '} ${cells.map((c, i) => fit(c, w[i], i >= 4 ? 'right' : 'left')).join(' ')}`;
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
