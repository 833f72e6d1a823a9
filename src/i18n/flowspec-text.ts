/**
 * FlowSpec proposals in words, English and Traditional Chinese: the facts behind a proposed rule and its impact
 * preview. Pure; the engine words them in English for the CLI and the audit, the TUI in the screen's language.
 */

/** One fact behind a proposal, as data. */
export type ProposalFact =
  | { kind: 'attacker'; port?: number }
  | { kind: 'victim' }
  | { kind: 'spoofed'; share: number }
  | { kind: 'entry'; exporter: string; interface: number; share: number }
  /** Entry-point mitigation: the routers that get the rule and those left out, with their shares of the attack. */
  | { kind: 'routers'; chosen: RouterShare[]; skipped: RouterShare[]; covered: number; threshold: number }
  /** Every router gets it: why (no neighbour names entries, or none carries the threshold). */
  | { kind: 'all-routers'; why: 'unmapped' | 'spread'; threshold: number };

/** A router and its share of an attack. */
export interface RouterShare {
  address: string;
  name?: string;
  share: number;
}

const pct1 = (x: number) => `${(x * 100).toFixed(1)}%`;
const router = (r: RouterShare) => (r.name ? `${r.name} ${r.address}` : r.address);

/** A proposal fact in words (en / zh-TW). Pure. */
export function factText(f: ProposalFact, lang: 'en' | 'zh-TW'): string {
  const zh = lang === 'zh-TW';
  switch (f.kind) {
    case 'attacker':
      if (f.port !== undefined) return zh ? `攻擊者：丟棄其送往 port ${f.port} 的流量` : `attacker: its traffic to port ${f.port} is discarded`;
      return zh ? '攻擊者：丟棄其所有流量' : 'attacker: all its traffic is discarded';
    case 'victim':
      return zh ? '受害者：以目的位址比對，依協定與 port 縮小範圍，限速（丟棄等於替攻擊者完成攻擊）' : 'victim: matched by destination, narrowed by protocol and port, rate-limited (a discard would complete the attack)';
    case 'spoofed':
      return zh ? `${Math.round(f.share * 100)}% 來源疑似偽造：不以來源比對` : `${Math.round(f.share * 100)}% of sources look spoofed: no source match`;
    case 'entry':
      return zh ? `最大入口：${f.exporter} 介面 ${f.interface}（${Math.round(f.share * 100)}%）` : `largest entry: ${f.exporter} interface ${f.interface} (${Math.round(f.share * 100)}%)`;
    case 'routers': {
      const chosen = f.chosen.map((r) => `${router(r)} (${pct1(r.share)})`).join(', ');
      const skipped = f.skipped.map((r) => `${router(r)} (${pct1(r.share)})`).join(', ');
      if (zh) return `只送往 ${chosen}，涵蓋攻擊的 ${pct1(f.covered)}${skipped ? `；不送往 ${skipped}（低於 ${pct1(f.threshold)}）` : ''}`;
      return `only to ${chosen}, covering ${pct1(f.covered)} of the attack${skipped ? `; not to ${skipped} (below ${pct1(f.threshold)})` : ''}`;
    }
    case 'all-routers':
      if (f.why === 'unmapped') return zh ? '送往所有路由器（鄰居未設定入口）' : 'to every router (no neighbour names its entries)';
      return zh ? `送往所有路由器（沒有入口承載 ${pct1(f.threshold)} 以上的攻擊）` : `to every router (no entry carries ${pct1(f.threshold)} of the attack)`;
  }
}

/** The impact preview in words (en / zh-TW); `undefined` = no window file to preview against. Pure. */
export function impactText(imp: { flows: number; packets: number; bytes: number; twoWayFlows: number; twoWayInside: number } | undefined, insideKnown: boolean, lang: 'en' | 'zh-TW'): string[] {
  const zh = lang === 'zh-TW';
  if (!imp) return [zh ? '沒有時段檔案可供預覽' : 'no window file to preview against'];
  return zh
    ? [`上一時段：會符合 ${imp.flows} 筆 flow、${imp.packets} 個封包、${imp.bytes} bytes`, `其中 ${imp.twoWayFlows} 筆屬於雙向連線${insideKnown ? `（${imp.twoWayInside} 筆與內部主機）` : ''}`]
    : [`last window: ${imp.flows} flows, ${imp.packets} packets, ${imp.bytes} bytes would have matched`, `${imp.twoWayFlows} of them in two-way conversations${insideKnown ? ` (${imp.twoWayInside} with inside hosts)` : ''}`];
}
