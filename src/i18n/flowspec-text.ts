/**
 * FlowSpec proposals in words, English and Traditional Chinese: the facts behind a proposed rule and its impact
 * preview. Pure; the engine words them in English for the CLI and the audit, the TUI in the screen's language.
 */

/** One fact behind a proposal, as data. */
export type ProposalFact =
  | { kind: 'attacker'; port?: number }
  | { kind: 'victim' }
  | { kind: 'spoofed'; share: number }
  | { kind: 'entry'; exporter: string; interface: number; share: number };

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
