/**
 * The ARP/MAC findings and device anomalies in words, English and Traditional Chinese, from their fields. Pure; used
 * by the TUI's Investigate view and by `nocflow where` / `nocflow devices anomalies`.
 */

/** What the wording needs of one finding (the fields of src/devices/where.ts WhereFinding; `mac` of a port move is the MAC that moved). */
export interface FindingFields {
  kind: string;
  ip?: string;
  mac?: string;
  ips?: string[];
  on?: string[];
  trail?: string[];
}

/** One finding in words; undefined when its fields are missing (the caller falls back to the engine's reason). */
export function findingText(f: FindingFields, lang: 'en' | 'zh-TW'): string | undefined {
  const zh = lang === 'zh-TW';
  const { ip, mac, ips = [], on = [], trail = [] } = f;
  if (f.kind === 'unused' && ip) return zh ? `沒有設備回應 ${ip}（${on.join('、')}）：送往此位址者為探測未使用位址` : `no device resolves ${ip} (${on.join(', ')}): whoever sends to it is probing an unused address`;
  if (f.kind === 'mac-several-ips' && mac && ips.length) {
    const more = ips.length > 5 ? (zh ? '…' : ', …') : '';
    return zh ? `MAC ${mac} 對應 ${ips.length} 個 IP（${ips.slice(0, 5).join('、')}${more}）：未列為行動裝置或路由器，疑似冒用` : `MAC ${mac} held ${ips.length} IPs (${ips.slice(0, 5).join(', ')}${more}); not allow-listed as mobile or router`;
  }
  if (f.kind === 'ip-moved-mac' && ip && trail.length) return zh ? `IP ${ip} 先後由 ${trail.length} 個 MAC 回應：${trail.join(' → ')}` : `IP ${ip} answered from ${trail.length} MACs: ${trail.join(' → ')}`;
  if (f.kind === 'ip-moved-port' && ip && trail.length) {
    return zh ? `IP ${ip} 的 MAC${mac ? ` ${mac}` : ''} 更換過交換器埠：${trail.join(' → ')}` : `IP ${ip}${mac ? ` (MAC ${mac})` : ''} moved between ports: ${trail.join(' → ')}`;
  }
  return undefined;
}

/** A prober of unused addresses in words. */
export function proberText(p: { total: number; flows: number; targets: string[] }, lang: 'en' | 'zh-TW'): string {
  const shown = p.targets.slice(0, 5).join(lang === 'zh-TW' ? '、' : ', ') + (p.total > 5 ? (lang === 'zh-TW' ? ` 等${p.total}個` : `, … (${p.total} in all)`) : '');
  return lang === 'zh-TW'
    ? `送出${p.flows}筆Flow至${p.total}個無設備回應的位址（ARP僅Incomplete/Deleted或MAC為0）：${shown}`
    : `sent ${p.flows} flow${p.flows === 1 ? '' : 's'} to ${p.total} address${p.total === 1 ? '' : 'es'} no device resolves (ARP only Incomplete/Deleted or MAC 00:00:00:00:00:00): ${shown}`;
}
