/**
 * Pure pieces of the IoC screens: the infected-hosts table (declared columns + a row renderer, read defensively
 * from `ioc.infected`) and the lines the Investigate view shows for an address's IoC relations (`ioc.relations`).
 * Everything that came over the socket is stripped of control characters.
 */
import type { Lang } from '../i18n/labels.js';
import { categoryLabel, classLabel } from '../i18n/ioc-text.js';
import { stripControl } from '../util/sanitize.js';
import { fit } from './format.js';

/** One infected host as drawn. */
export interface InfectedView {
  ip: string;
  score: number;
  categories: string[];
  iocs: string[];
  daysSeen: number;
  lastDay: string;
  unit: string;
  inside: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string => (typeof x === 'string' ? stripControl(x) : typeof x === 'number' ? String(x) : '');
const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
const strs = (x: unknown): string[] => (Array.isArray(x) ? x.map(str).filter((s) => s !== '') : []);

/** Rows of an `ioc.infected` answer. */
export function toInfectedRows(answer: unknown): InfectedView[] {
  const rows = isObj(answer) && Array.isArray(answer.rows) ? answer.rows : [];
  return rows.filter(isObj).map((r) => ({
    ip: str(r.ip), score: num(r.score), categories: strs(r.categories), iocs: strs(r.iocs), daysSeen: num(r.daysSeen), lastDay: str(r.lastDay), unit: str(r.unit), inside: r.inside === true,
  })).filter((r) => r.ip !== '');
}

/** Short category marks for the table (the full words are in the help line and Investigate). */
const SHORT: Record<string, [string, string]> = {
  'relay-check-in': ['RELAY', '中繼簽到'],
  'apt-target': ['APT', 'APT'],
  'check-in': ['chk-in', '簽到'],
  mechanical: ['mech', '機械'],
  'several-iocs': ['multi', '多IoC'],
};

/** A declared column: header per language, width at < 100 and ≥ 100 cells (0 = the rest), and its cell. */
interface Column {
  header: [string, string];
  width: [narrow: number, wide: number];
  align?: 'right';
  cell(r: InfectedView, lang: Lang): string;
}

/** The infected-hosts table's columns. */
export const INFECTED_COLUMNS: Column[] = [
  { header: ['score', '分數'], width: [5, 6], align: 'right', cell: (r) => String(Math.round(r.score)) },
  { header: ['address', '位址'], width: [17, 39], cell: (r) => r.ip },
  { header: ['unit', '單位'], width: [8, 16], cell: (r, lang) => r.unit || (r.inside ? (lang === 'zh-TW' ? '內部' : 'inside') : '') },
  { header: ['days', '天數'], width: [4, 5], align: 'right', cell: (r) => String(r.daysSeen) },
  { header: ['categories', '分類'], width: [15, 24], cell: (r, lang) => r.categories.map((c) => SHORT[c]?.[lang === 'zh-TW' ? 1 : 0] ?? c).join(' ') },
  { header: ['IoCs', 'IoC'], width: [0, 0], cell: (r) => (r.iocs.length > 1 ? `${r.iocs[0]} +${r.iocs.length - 1}` : r.iocs.join(' ')) },
];

function cells(values: string[], width: number): string {
  let out = '';
  let used = 0;
  const wide = width >= 100 ? 1 : 0;
  INFECTED_COLUMNS.forEach((c, i) => {
    const cw = c.width[wide];
    const w = cw === 0 ? Math.max(0, width - used) : cw;
    if (w <= 0) return;
    out += fit(values[i], w, c.align === 'right' ? 'right' : 'left');
    used += w;
    if (cw !== 0 && used < width) {
      out += ' ';
      used += 1;
    }
  });
  return fit(out, width);
}

/** The header line. */
export function infectedHeader(width: number, lang: Lang): string {
  return cells(INFECTED_COLUMNS.map((c) => c.header[lang === 'zh-TW' ? 1 : 0]), width);
}

/** One row. */
export function infectedLine(r: InfectedView, width: number, lang: Lang): string {
  return cells(INFECTED_COLUMNS.map((c) => c.cell(r, lang)), width);
}

/** The lines of an address's IoC relations for Investigate (empty when the store knows nothing of it). */
export function iocRelationLines(answer: unknown, lang: Lang): string[] {
  if (!isObj(answer)) return [];
  const zh = lang === 'zh-TW';
  const out: string[] = [];
  const v = isObj(answer.verdict) ? answer.verdict : undefined;
  if (v) {
    const cats = isObj(v.categories) ? Object.entries(v.categories).map(([c, d]) => `${categoryLabel(stripControl(c), lang)} ×${num(d)}`) : [];
    out.push(zh ? `受感染評分 ${num(v.score)}，${num(v.daysSeen)} 天（${str(v.firstDay)} – ${str(v.lastDay)}）：${cats.join('、') || '-'}` : `infection score ${num(v.score)} over ${num(v.daysSeen)} day(s) (${str(v.firstDay)} – ${str(v.lastDay)}): ${cats.join(', ') || '-'}`);
    for (const p of (Array.isArray(v.relays) ? v.relays : []).filter(isObj).slice(0, 5)) {
      const cat = str(p.category);
      out.push(`  ${str(p.ioc)}  ${zh ? '埠' : 'port'} ${num(p.port)}  ${num(p.flows)} flows, ${num(p.days)} ${zh ? '天' : 'day(s)'}${cat ? `  → ${categoryLabel(cat, lang)}` : ''}`);
    }
  }
  const contacts = Array.isArray(answer.contacts) ? answer.contacts.filter(isObj) : [];
  if (contacts.length) {
    const days = new Set(contacts.map((c) => str(c.day)));
    out.push(zh ? `最近接觸：${contacts.slice(0, 3).map((c) => `${str(c.day)} ${str(c.ioc)}（${num(c.flows)}）`).join('、')}；共 ${days.size} 天` : `recent contacts: ${contacts.slice(0, 3).map((c) => `${str(c.day)} ${str(c.ioc)} (${num(c.flows)})`).join(', ')}; ${days.size} day(s) in all`);
  }
  const listed = strs(answer.listed);
  if (listed.length) {
    const asIoc = (Array.isArray(answer.asIoc) ? answer.asIoc : []).filter(isObj);
    const last = asIoc[0];
    out.push(zh ? `列於 IoC 黑名單 ${listed.length} 天（最近 ${listed[0]}）${last ? `，${str(last.day)} 分類：${classLabel(str(last.class), lang)}，${num(last.totalFlows)} 筆 Flow` : ''}`
      : `on the IoC list ${listed.length} day(s) (last ${listed[0]})${last ? `; ${str(last.day)}: ${classLabel(str(last.class), lang)}, ${num(last.totalFlows)} flows` : ''}`);
  }
  for (const c of (Array.isArray(answer.candidate) ? answer.candidate : []).filter(isObj).slice(0, 2)) {
    out.push(zh ? `! 候選 IoC（${str(c.day)}）：${str(c.evidence)}` : `! candidate IoC (${str(c.day)}): ${str(c.evidence)}`);
  }
  return out;
}
