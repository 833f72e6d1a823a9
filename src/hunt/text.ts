/**
 * The hunt report in words (pure), English and Traditional Chinese, in the seeds' form: `Port 1433 | 9 signatures`,
 * then per signature `5# 1433-3-152: 2 attackers: 222.74.48.230 (@Baotou[CN]) …` and its member table (source,
 * destinations, flows, source ports, files, first and last seen). Places come from the caller (`place(ip)`), so
 * this module never touches the GeoIP files.
 */
import type { HuntReport, HuntedSignature } from './report.js';
import { byPort } from './report.js';
import type { MemberRow } from './day-hunt.js';
import type { Lang } from '../i18n/labels.js';
import { PORT_NAMES, PROTO_NAMES } from '../engine/features.js';

/** Options of the text. */
export interface HuntTextOptions {
  lang?: Lang;
  /** Place label of an address (`@Baotou[CN]`), '' when unknown. */
  place?: (ip: string) => string;
  /** Members listed per signature (0 = all; default 20). */
  limit?: number;
  /** Attackers named per signature line (default 5). */
  attackers?: number;
  /** Near-shape search width, when one ran. */
  near?: number;
}

const T = {
  en: {
    head: (r: HuntReport, weak: number) =>
      `# Hunt${r.day ? ` ${r.day}` : ''} (${r.source === 'elasticsearch' ? 'Elasticsearch' : `${r.files} files`}): ${r.flows.toLocaleString('en-US')} flows, ${r.signatures.length} signatures${weak > 0 ? ` (${weak} weak, not hunted)` : ''}`,
    port: (port: number, n: number) => `Port ${port}${PORT_NAMES[port] ? ` (${PORT_NAMES[port]})` : ''} | ${n} signature${n === 1 ? '' : 's'}`,
    sig: (k: number, s: HuntedSignature, names: string) => `${k}# ${s.signature}: ${s.attackers.length} attacker${s.attackers.length === 1 ? '' : 's'}: ${names}`,
    more: (n: number) => ` … (+${n})`,
    facts: (s: HuntedSignature) =>
      `   strength ${s.strength} (${PROTO_NAMES[s.proto] ?? `proto ${s.proto}`}), ${s.members.length} member${s.members.length === 1 ? '' : 's'}, ${s.flows.toLocaleString('en-US')} flows` +
      (s.serverReplyFlows > 0 ? `, ${s.serverReplyFlows.toLocaleString('en-US')} server-reply flows left out` : '') +
      (s.knownServerFlows > 0 ? `, ${s.knownServerFlows.toLocaleString('en-US')} from known servers left out` : '') +
      (s.droppedSources > 0 ? `, ${s.droppedSources.toLocaleString('en-US')} sources not kept (member table full)` : ''),
    weak: '   weak: bare headers only (a lone SYN or an empty probe; spoofable), not hunted — hunt it with --weak',
    noMembers: '   no member found',
    cols: ['source', 'dests', 'flows', 'sports', 'files', 'first', 'last', 'where'],
    rest: (n: number) => `   … ${n} more (--limit 0 lists all)`,
    near: (n: number, w: number) => `   near shapes (bytes ±${w}): ${n} source${n === 1 ? '' : 's'}`,
    none: 'No signature in the catalogue: no reported attacker had one shape for more than half of its flows.',
    failed: (f: string, why: string) => `! not read: ${f}: ${why}`,
  },
  'zh-TW': {
    head: (r: HuntReport, weak: number) =>
      `# ${r.day ? `${r.day} ` : ''}特徵搜索（${r.source === 'elasticsearch' ? 'Elasticsearch' : `${r.files} 個檔案`}）：Netflow ${r.flows.toLocaleString('en-US')} 筆，特徵 ${r.signatures.length} 種${weak > 0 ? `（${weak} 種弱特徵未搜索）` : ''}`,
    port: (port: number, n: number) => `Port ${port}${PORT_NAMES[port] ? `（${PORT_NAMES[port]}）` : ''} | 發現特徵${n}種`,
    sig: (k: number, s: HuntedSignature, names: string) => `${k}＃${s.signature}：${s.attackers.length}個攻擊者：${names}`,
    more: (n: number) => `……（另 ${n} 個）`,
    facts: (s: HuntedSignature) =>
      `   特徵強度 ${s.strength}（${PROTO_NAMES[s.proto] ?? `協定 ${s.proto}`}），成員 ${s.members.length} 個，Netflow ${s.flows.toLocaleString('en-US')} 筆` +
      (s.serverReplyFlows > 0 ? `，伺服器回應 ${s.serverReplyFlows.toLocaleString('en-US')} 筆不計` : '') +
      (s.knownServerFlows > 0 ? `，已知伺服器 ${s.knownServerFlows.toLocaleString('en-US')} 筆不計` : '') +
      (s.droppedSources > 0 ? `，成員表已滿，${s.droppedSources.toLocaleString('en-US')} 個來源未保留` : ''),
    weak: '   弱特徵：僅有標頭（單一 SYN 或空探測，來源可偽造），未搜索；加 --weak 搜索',
    noMembers: '   未找到成員',
    cols: ['來源IP', '目標IP數量', 'Netflow筆數', '來源Port數', '檔案數', '首見', '末見', '位置'],
    rest: (n: number) => `   ……另有 ${n} 個（--limit 0 列出全部）`,
    near: (n: number, w: number) => `   近似特徵（Bytes ±${w}）：${n} 個來源`,
    none: '特徵清單是空的：沒有任何告警攻擊者有超過一半 Netflow 集中於同一組特徵。',
    failed: (f: string, why: string) => `! 無法讀取：${f}：${why}`,
  },
} as const;

/** Display width of a text in terminal cells (CJK wide characters count 2). Pure, small. */
function cells(s: string): number {
  let n = 0;
  for (const ch of s) n += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return n;
}
const padEnd = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - cells(s)));
const padStart = (s: string, w: number) => ' '.repeat(Math.max(0, w - cells(s))) + s;

/** `MM-DD hh:mm` UTC of an epoch ms. */
export function shortTime(ms: number): string {
  return new Date(ms).toISOString().slice(5, 16).replace('T', ' ');
}

/** An address with its place: `222.74.48.230 (@Baotou[CN])` (en) or `222.74.48.230(@Baotou[CN])` (zh-TW, the seeds' form). */
export function addressWithPlace(ip: string, place: string, lang: Lang): string {
  if (!place) return ip;
  return lang === 'zh-TW' ? `${ip}(${place})` : `${ip} (${place})`;
}

/** The member table of one signature (header + rows), columns aligned. */
export function memberTable(rows: MemberRow[], lang: Lang, place: (ip: string) => string = () => ''): string[] {
  const t = T[lang];
  const body = rows.map((m) => [m.ip, String(m.destinations), String(m.flows), String(m.sourcePorts), String(m.files), shortTime(m.firstSeen), shortTime(m.lastSeen), place(m.ip)]);
  const all = [[...t.cols], ...body];
  const w = t.cols.map((_, c) => Math.max(...all.map((r) => cells(r[c]))));
  const numeric = [false, true, true, true, true, false, false, false];
  return all.map((r) => `   ${r.map((v, c) => (c === r.length - 1 ? v : numeric[c] ? padStart(v, w[c]) : padEnd(v, w[c]))).join('  ')}`.trimEnd());
}

/** The whole report as lines. */
export function huntReportText(r: HuntReport, opts: HuntTextOptions = {}, failed: { file: string; reason: string }[] = []): string {
  const lang = opts.lang ?? 'en';
  const t = T[lang];
  const place = opts.place ?? (() => '');
  const limit = opts.limit ?? 20;
  const nAtt = opts.attackers ?? 5;
  const out: string[] = [t.head(r, r.signatures.filter((s) => !s.hunted).length)];
  for (const f of failed) out.push(t.failed(f.file, f.reason));
  if (r.signatures.length === 0) {
    out.push('', t.none);
    return `${out.join('\n')}\n`;
  }
  for (const { port, signatures } of byPort(r)) {
    out.push('', t.port(port, signatures.length));
    signatures.forEach((s, k) => {
      const names = s.attackers.slice(0, nAtt).map((ip) => addressWithPlace(ip, place(ip), lang)).join(' ');
      out.push(t.sig(k + 1, s, names) + (s.attackers.length > nAtt ? t.more(s.attackers.length - nAtt) : ''));
      if (!s.hunted) {
        out.push(t.weak);
        return;
      }
      out.push(t.facts(s));
      if (s.members.length === 0) out.push(t.noMembers);
      else {
        const shown = limit > 0 ? s.members.slice(0, limit) : s.members;
        out.push(...memberTable(shown, lang, place));
        if (shown.length < s.members.length) out.push(t.rest(s.members.length - shown.length));
      }
      if (s.near) {
        out.push(t.near(s.near.length, opts.near ?? 0));
        if (s.near.length > 0) {
          const shown = limit > 0 ? s.near.slice(0, limit) : s.near;
          out.push(...memberTable(shown, lang, place).map((l, i) => (i === 0 ? l : `${l}  [${shown[i - 1].bytes.map((b) => `${s.port}-${s.packets}-${b}`).join(' ')}]`)));
          if (shown.length < s.near.length) out.push(t.rest(s.near.length - shown.length));
        }
      }
    });
  }
  return `${out.join('\n')}\n`;
}
