/**
 * The IoC correlation in words, English and Traditional Chinese (pure): class and category labels, and the text of
 * `nocflow ioc run | fetch | report`. Addresses and list lines come from the network: control characters are
 * stripped before anything is printed.
 */
import { stripControl } from '../util/sanitize.js';

type Lang = 'en' | 'zh-TW';

/** IoC classes in words. */
export const IOC_CLASS_LABELS: Record<string, { en: string; 'zh-TW': string }> = {
  'no-flows': { en: 'no flows', 'zh-TW': '查無傳輸紀錄' },
  mass: { en: 'mass (scanner or DDoS pawn, not analysed)', 'zh-TW': '大量（廣域掃描或DDoS棄子，不再分析）' },
  'wide-scan': { en: 'wide scan', 'zh-TW': '廣域探測' },
  dos: { en: 'DoS', 'zh-TW': '阻斷服務攻擊' },
  'check-in': { en: 'check-in (a family signs in: watch it)', 'zh-TW': '簽到（疑似肉雞家族每日簽到，需關注）' },
  analysed: { en: 'analysed', 'zh-TW': '已分析' },
};

/** Remote categories in words. */
export const IOC_CATEGORY_LABELS: Record<string, { en: string; 'zh-TW': string }> = {
  'relay-check-in': { en: 'checks in with a relay', 'zh-TW': '向中繼站簽到' },
  'apt-target': { en: 'APT target', 'zh-TW': 'APT攻擊目標' },
  'check-in': { en: 'signed in to a check-in IoC', 'zh-TW': '向簽到型IoC簽到' },
  mechanical: { en: 'mechanical (few patterns)', 'zh-TW': '行為機械化（樣態少）' },
  'several-iocs': { en: 'several IoCs', 'zh-TW': '接觸多個IoC' },
};

/** A class in words. */
export function classLabel(c: string, lang: Lang): string {
  return IOC_CLASS_LABELS[c]?.[lang] ?? c;
}

/** A category in words. */
export function categoryLabel(c: string, lang: Lang): string {
  return IOC_CATEGORY_LABELS[c]?.[lang] ?? c;
}

const s = (x: string) => stripControl(x);
const pad = (x: string | number, n: number) => String(x).padEnd(n);
const lpad = (x: string | number, n: number) => String(x).padStart(n);

/** What `ioc run` prints for people. */
export interface RunTextInput {
  day: string;
  list: { entries: number; invalid: number; duplicates: number; mapped: number; appeared: string[]; left: string[] };
  reader: string;
  files: number;
  skippedFiles?: { file: string; reason: string }[];
  flowsRead: number;
  seconds: number;
  iocs: { ip: string; totalFlows: number; remotes: number; class: string }[];
  remotes: { ip: string; iocs: string[]; score: number; categories: string[]; today: string[]; daysSeen: number; unit?: string; inside: boolean }[];
  candidates: { ip: string; formerIoc: string; members: number; familySize: number; evidence: string }[];
  families: { formerIoc: string; members: string[]; lookupDay: string }[];
  alerts: string[];
  es?: { documents: number };
}

/** `ioc run` as text. */
export function formatRun(r: RunTextInput, lang: Lang, opts: { limit?: number } = {}): string {
  const zh = lang === 'zh-TW';
  const out: string[] = [];
  const counts = new Map<string, number>();
  for (const i of r.iocs) counts.set(i.class, (counts.get(i.class) ?? 0) + 1);
  out.push(zh ? `# IoC 關聯 ${r.day}：清單 ${r.list.entries} 筆有效位址（格式錯誤 ${r.list.invalid}、重複 ${r.list.duplicates}、IPv4對應IPv6 ${r.list.mapped}），新增 ${r.list.appeared.length}、移除 ${r.list.left.length}`
    : `# IoC correlation ${r.day}: list of ${r.list.entries} valid addresses (${r.list.invalid} malformed, ${r.list.duplicates} duplicates, ${r.list.mapped} IPv4-mapped), ${r.list.appeared.length} appeared, ${r.list.left.length} left`);
  out.push(zh ? `# 讀取 ${r.files} 個檔案（${r.reader}），${r.flowsRead.toLocaleString('en-US')} 筆 Flow，${r.seconds.toFixed(1)} 秒${r.es ? `；寫入 ES ${r.es.documents} 筆` : ''}`
    : `# read ${r.files} file(s) (${r.reader}), ${r.flowsRead.toLocaleString('en-US')} flows, ${r.seconds.toFixed(1)} s${r.es ? `; ${r.es.documents} documents to Elasticsearch` : ''}`);
  for (const f of r.skippedFiles ?? []) out.push(zh ? `! 無法讀取而略過：${s(f.reason)}` : `! skipped, unreadable: ${s(f.reason)}`);
  out.push((zh ? '# 分類：' : '# classes: ') + [...counts.entries()].map(([c, n]) => `${classLabel(c, lang)} ${n}`).join(zh ? '、' : ', '));
  out.push('');
  out.push(zh ? 'IoC 位址                                  總Flow數   對端數  分類' : 'IoC                                     total flows  remotes  class');
  for (const i of [...r.iocs].sort((a, b) => b.totalFlows - a.totalFlows)) {
    if (i.class === 'no-flows') continue;
    out.push(`${pad(s(i.ip), 40)} ${lpad(i.totalFlows, 11)}  ${lpad(i.remotes, 7)}  ${classLabel(i.class, lang)}`);
  }
  const none = r.iocs.filter((i) => i.class === 'no-flows').length;
  if (none) out.push(zh ? `（另有 ${none} 個 IoC 查無傳輸紀錄）` : `(${none} more IoCs had no flows)`);
  out.push('');
  const limit = opts.limit ?? 50;
  out.push(zh ? `對端位址（${r.remotes.length}）                             分數  天數  分類 / 接觸的IoC` : `remotes (${r.remotes.length})                               score  days  categories / IoCs touched`);
  for (const x of r.remotes.slice(0, limit)) {
    const cats = x.categories.map((c) => categoryLabel(c, lang)).join(zh ? '、' : ', ') || '-';
    const unit = x.unit ? ` [${s(x.unit)}]` : x.inside ? (zh ? ' [內部]' : ' [inside]') : '';
    out.push(`${pad(s(x.ip) + unit, 40)} ${lpad(x.score, 7)}  ${lpad(x.daysSeen, 4)}  ${cats} / ${x.iocs.map(s).join(' ')}`);
  }
  if (r.remotes.length > limit) out.push(zh ? `…另有 ${r.remotes.length - limit} 個（--json 列出全部）` : `… ${r.remotes.length - limit} more (--json lists all)`);
  for (const f of r.families) out.push(zh ? `! 家族停止簽到：${f.members.length} 個對端今天都未再連 ${s(f.formerIoc)}，${f.lookupDay} 追查新的共同對端` : `! family went silent: ${f.members.length} remotes stopped checking in with ${s(f.formerIoc)}; looked up on ${f.lookupDay}`);
  for (const c of r.candidates) out.push(zh ? `! 候選 IoC ${s(c.ip)}（原 ${s(c.formerIoc)}）：${c.members}/${c.familySize} 個家族成員連線，${s(c.evidence)}` : `! candidate IoC ${s(c.ip)} (after ${s(c.formerIoc)}): ${s(c.evidence)}`);
  if (r.alerts.length) out.push(zh ? `! 已通報的內部受感染主機：${r.alerts.join(' ')}` : `! inside hosts alerted: ${r.alerts.join(' ')}`);
  return `${out.join('\n')}\n`;
}

/** `ioc fetch` as text. */
export function formatFetch(day: string, rows: { source: string; status: string; entries: number; invalid: number; duplicates: number; fromDay: string | null; error: string | null; appeared?: number; left?: number }[], lang: Lang): string {
  const zh = lang === 'zh-TW';
  const out = [zh ? `# ${day} 的 IoC 清單` : `# IoC lists for ${day}`];
  for (const r of rows) {
    const base = zh ? `${r.source}: ${r.entries} 筆有效（格式錯誤 ${r.invalid}、重複 ${r.duplicates}）` : `${r.source}: ${r.entries} valid (${r.invalid} malformed, ${r.duplicates} duplicates)`;
    const change = r.appeared !== undefined ? (zh ? `，新增 ${r.appeared}、移除 ${r.left}` : `, ${r.appeared} appeared, ${r.left} left`) : '';
    if (r.status === 'ok') out.push(`  ${base}${change}`);
    else if (r.status === 'kept') out.push(zh ? `  ${r.source}: 下載失敗，沿用 ${r.fromDay} 的清單（${r.entries} 筆）：${s(r.error ?? '')}` : `  ${r.source}: fetch failed, keeping the list of ${r.fromDay} (${r.entries} entries): ${s(r.error ?? '')}`);
    else out.push(zh ? `  ${r.source}: 下載失敗且無先前清單：${s(r.error ?? '')}` : `  ${r.source}: fetch failed and there is no earlier list: ${s(r.error ?? '')}`);
  }
  return `${out.join('\n')}\n`;
}

/** What the report text needs. */
export interface ReportTextInput {
  from: string;
  to: string;
  jobs: { day: string; status: string }[];
  remotes: { ip: string; days: number; score: number; categories: string[]; iocs: string[]; patterns: number; unit?: string; analysis?: { pairs: { ioc: string; flows: number; serverSide: string; port: number; portShare: number; category?: string; ports: { ports: string; flows: number; shapes: { shape: string; flows: number }[] }[] }[] } }[];
  candidates: { day: string; ip: string; formerIoc: string; evidence: string }[];
}

/** `ioc report` as text: the ranking, then each analysed remote's three levels. */
export function formatReport(r: ReportTextInput, lang: Lang): string {
  const zh = lang === 'zh-TW';
  const done = r.jobs.filter((j) => j.status === 'done').length;
  const out = [zh ? `# ${r.from} 至 ${r.to}：${done} 天已關聯，${r.remotes.length} 個對端依出現天數排序` : `# ${r.from} to ${r.to}: ${done} day(s) correlated, ${r.remotes.length} remotes ranked by days seen`];
  out.push(zh ? '排名 對端位址                                 天數    分數  樣態  分類' : 'rank remote                                   days   score  patterns  categories');
  r.remotes.forEach((x, i) => {
    const unit = x.unit ? ` [${s(x.unit)}]` : '';
    out.push(`${lpad(i + 1, 4)} ${pad(s(x.ip) + unit, 40)} ${lpad(x.days, 4)}  ${lpad(x.score, 6)}  ${lpad(x.patterns, 8)}  ${x.categories.map((c) => categoryLabel(c, lang)).join(zh ? '、' : ', ') || '-'}`);
  });
  for (const x of r.remotes) {
    if (!x.analysis) continue;
    out.push('');
    out.push(`${s(x.ip)}:`);
    for (const p of x.analysis.pairs) {
      const side = p.serverSide === 'ioc' ? (zh ? `IoC 為伺服端 埠 ${p.port}（${Math.round(p.portShare * 100)}%）` : `IoC server-like on ${p.port} (${Math.round(p.portShare * 100)}%)`)
        : p.serverSide === 'remote' ? (zh ? `對端為伺服端 埠 ${p.port}（${Math.round(p.portShare * 100)}%）` : `remote server-like on ${p.port} (${Math.round(p.portShare * 100)}%)`)
        : zh ? '方向不明' : 'direction unclear';
      out.push(`  ${s(p.ioc)}  ${p.flows} flows, ${side}${p.category ? ` → ${categoryLabel(p.category, lang)}` : ''}`);
      for (const q of p.ports.slice(0, 5)) out.push(`    ${q.ports.padEnd(16)} ${lpad(q.flows, 6)}  ${q.shapes.slice(0, 4).map((h) => `${h.shape}×${h.flows}`).join('  ')}`);
    }
  }
  for (const c of r.candidates) out.push(zh ? `! ${c.day} 候選 IoC ${s(c.ip)}（原 ${s(c.formerIoc)}）：${s(c.evidence)}` : `! ${c.day} candidate IoC ${s(c.ip)} (after ${s(c.formerIoc)}): ${s(c.evidence)}`);
  return `${out.join('\n')}\n`;
}
