/**
 * What the Signatures view draws, pure: the day's catalogue as lines grouped by port, a signature's member rows, and
 * the block plan for marked members — a family of hundreds must not blow the router's rule budget, so the members
 * with the most destinations are proposed first, as many as the budget (and one request) allows.
 */
import type { Anomaly } from '../engine/types.js';
import type { MemberRow } from '../hunt/day-hunt.js';
import type { SignatureDay } from '../hunt/records.js';
import { PORT_NAMES } from '../engine/features.js';
import type { Lang } from '../i18n/labels.js';
import { fit } from './format.js';

const T = (lang: Lang, en: string, zh: string) => (lang === 'zh-TW' ? zh : en);

/** One display line of the catalogue: a port header, or a signature row (with its row index). */
export type CatalogueLine = { kind: 'port'; text: string } | { kind: 'row'; row: number; text: string };

/** The catalogue's rows in display order (ports by their strongest signature, then strength) and its lines. */
export function catalogueLines(sigs: SignatureDay[], width: number, lang: Lang): { rows: SignatureDay[]; lines: CatalogueLine[] } {
  const byPort = new Map<number, SignatureDay[]>();
  for (const s of [...sigs].sort((a, b) => b.strength - a.strength || a.signature.localeCompare(b.signature))) {
    const l = byPort.get(s.port);
    if (l) l.push(s);
    else byPort.set(s.port, [s]);
  }
  const rows: SignatureDay[] = [];
  const lines: CatalogueLine[] = [];
  for (const [port, list] of byPort) {
    const name = PORT_NAMES[port] ? ` (${PORT_NAMES[port]})` : '';
    lines.push({ kind: 'port', text: fit(lang === 'zh-TW' ? `Port ${port}${name} | 發現特徵${list.length}種` : `Port ${port}${name} | ${list.length} signature${list.length === 1 ? '' : 's'}`, width) });
    list.forEach((s, k) => {
      const att = `${s.attackers.length} ${T(lang, s.attackers.length === 1 ? 'attacker' : 'attackers', '攻擊者')}`;
      const mem = s.hunted ? `${s.members} ${T(lang, s.members === 1 ? 'member' : 'members', '成員')}` : T(lang, 'weak: not hunted', '弱特徵：未搜索');
      const head = `${k + 1}# ${s.signature}`.padEnd(18);
      lines.push({ kind: 'row', row: rows.length, text: fit(`  ${head} ${String(s.strength).padStart(6)}  ${att.padEnd(12)} ${mem.padEnd(16)} ${s.attackers.slice(0, 3).join(' ')}`, width) });
      rows.push(s);
    });
  }
  return { rows, lines };
}

/** The lines to show so that the selected row is visible in `room` lines (a port header stays with its first row). */
export function visibleLines(lines: CatalogueLine[], selected: number, room: number): CatalogueLine[] {
  const at = Math.max(0, lines.findIndex((l) => l.kind === 'row' && l.row === selected));
  const top = Math.max(0, Math.min(at - Math.floor(room / 2), lines.length - room));
  return lines.slice(top, top + room);
}

/** `MM-DD hh:mm` UTC. */
const hm = (ms: number) => new Date(ms).toISOString().slice(5, 16).replace('T', ' ');

/** The member table's header. */
export function memberHeader(width: number, lang: Lang, ipWidth = 15): string {
  const c = lang === 'zh-TW' ? ['來源IP', '目標IP數', '筆數', 'Port數', '檔案', '首見', '末見'] : ['source', 'dests', 'flows', 'sports', 'files', 'first', 'last'];
  const cells = (t: string) => [...t].reduce((n, ch) => n + (/[\u3000-\uffff]/.test(ch) ? 2 : 1), 0);
  const pad = (t: string, w: number, left: boolean) => (left ? ' '.repeat(Math.max(0, w - cells(t))) + t : t + ' '.repeat(Math.max(0, w - cells(t))));
  return fit(`  ${pad(c[0], ipWidth, false)} ${pad(c[1], 8, true)} ${pad(c[2], 8, true)} ${pad(c[3], 7, true)} ${pad(c[4], 5, true)}  ${pad(c[5], 11, false)}  ${c[6]}`, width);
}

/** The width of the address column for some members (IPv4 15, up to 39 for IPv6). */
export function ipColumn(members: { ip: string }[]): number {
  return Math.max(15, ...members.map((m) => m.ip.length));
}

/** One member row (the place label appended when there is room). */
export function memberLine(m: MemberRow, width: number, marked: boolean, place = '', ipWidth = 15): string {
  const core = `${marked ? '*' : ' '} ${m.ip.padEnd(ipWidth)} ${String(m.destinations).padStart(8)} ${String(m.flows).padStart(8)} ${String(m.sourcePorts).padStart(7)} ${String(m.files).padStart(5)}  ${hm(m.firstSeen)}  ${hm(m.lastSeen)}`;
  return fit(place ? `${core}  ${place}` : core, width);
}

/** What `b` proposes for marked members. */
export interface BlockPlan {
  /** Members to propose, most destinations first. */
  propose: string[];
  /** Marked members left out (budget or the per-request limit). */
  leftOut: number;
  /** Rules left under flowspec.maxActiveRules before and after. */
  budgetBefore: number;
  budgetAfter: number;
}

/**
 * Plan the blocks of marked members: most destinations first, at most the rule budget left
 * (`maxActiveRules - activeRules`) and `perRequest` (block.propose takes 50). Pure.
 */
export function planBlocks(members: MemberRow[], marked: string[], opts: { maxActiveRules: number; activeRules: number; perRequest?: number }): BlockPlan {
  const want = new Set(marked);
  const chosen = members.filter((m) => want.has(m.ip)).sort((a, b) => b.destinations - a.destinations || b.flows - a.flows || (a.ip < b.ip ? -1 : 1));
  const budget = Math.max(0, opts.maxActiveRules - opts.activeRules);
  const n = Math.min(chosen.length, budget, opts.perRequest ?? 50);
  return { propose: chosen.slice(0, n).map((m) => m.ip), leftOut: chosen.length - n, budgetBefore: budget, budgetAfter: budget - n };
}

/** The plan in words. */
export function planText(p: BlockPlan, marked: number, maxActiveRules: number, lang: Lang): string {
  if (p.propose.length === 0) return T(lang, `no rule budget left: flowspec.maxActiveRules ${maxActiveRules} are active`, `規則額度已滿：已有 flowspec.maxActiveRules ${maxActiveRules} 條`);
  const head = p.leftOut > 0
    ? T(lang, `proposing the ${p.propose.length} with the most destinations of ${marked} marked`, `提出目標數最多的 ${p.propose.length} 個（共標記 ${marked} 個）`)
    : T(lang, `proposing ${p.propose.length} member(s)`, `提出 ${p.propose.length} 個成員`);
  return `${head}: ${T(lang, `${p.propose.length} rules of ${p.budgetBefore} left under flowspec.maxActiveRules ${maxActiveRules} (${p.budgetAfter} after)`, `使用 ${p.propose.length} 條規則，flowspec.maxActiveRules ${maxActiveRules} 尚餘 ${p.budgetBefore} 條（之後 ${p.budgetAfter} 條）`)}`;
}

/** A member as the anomaly `block.propose` expects: an attacker of the signature's protocol and port. */
export function memberAnomaly(m: MemberRow, sig: { signature: string; port: number; packets: number; bytes: number; proto: number }, day: string): Anomaly {
  const one = (value: number) => [{ value, share: 1 }];
  return {
    ip: m.ip, role: 'attacker', type: 'scan', severity: 'over', score: m.destinations, signature: sig.signature,
    metrics: { flows: m.flows, packets: m.flows * sig.packets, bytes: m.flows * sig.bytes, distinctPeers: m.destinations, distinctPorts: 1 },
    features: { protocols: one(sig.proto), dstPorts: one(sig.port), packets: one(sig.packets), bytes: one(sig.bytes), tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 0, onePacket40Share: 0, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
    evidence: [{ indicator: 'signature-member', value: m.destinations, threshold: 1, ratio: m.destinations }],
    notes: [`member of ${sig.signature} on ${day}: ${m.destinations} destinations`],
  };
}
