/**
 * Localized labels. Every AnomalyType has an English and a Traditional Chinese label (the seeds' wording). Pure and
 * below the engine: the keys are written here, and engine/alert-text.ts checks at compile time that every anomaly
 * type, role and severity of engine/types.ts has its label (i18n never imports the engine).
 */

export type Lang = 'en' | 'zh-TW';

/** Parse a --lang value; unknown values fall back to English. */
export function parseLang(text: string | undefined): Lang {
  return text && /^zh/i.test(text) ? 'zh-TW' : 'en';
}

interface TypeLabel {
  en: string;
  zh: string;
  /** Label for the super severity, where the seeds name one. */
  enSuper?: string;
  zhSuper?: string;
  /** A few characters for counts in a header line (English uses the type's own key there). */
  zhShort: string;
}

const TYPE_LABELS = {
  scan: { en: 'Scan or intrusion', zh: '疑似大範圍掃瞄或入侵', zhShort: '掃瞄' },
  'many-peers': { en: 'Too many peers', zh: '連線對象過多', zhShort: '對象多', enSuper: 'Far too many peers', zhSuper: '連線對象超級多' },
  'egress-high': { en: 'Upload too high', zh: '輸出流量過高', zhShort: '上傳高' },
  'syn-attack': { en: 'Suspected SYN attack', zh: '疑似SYN攻擊', zhShort: 'SYN攻擊' },
  'dos-victim': { en: 'Suspected DoS victim', zh: '疑似被DoS攻擊', zhShort: '被DoS' },
  'ingress-high': { en: 'Download too high', zh: '下載流量過高', zhShort: '下載高' },
  'many-flows': { en: 'Too many flows', zh: 'Flow數量過多', zhShort: 'Flow多', enSuper: 'Far too many flows', zhSuper: 'Flow數量超級多' },
  'port-ddos-victim': { en: 'DDoS on a service port', zh: '疑似被分散式攻擊特定服務Port', zhShort: 'Port被DDoS' },
  'wide-exfil': { en: 'Wide data exfiltration', zh: '疑似大範圍傳出資料', zhShort: '傳出資料' },
  'ddos-scan-victim': { en: 'Distributed scan or host flood victim', zh: '疑似被分散式掃描服務或癱瘓主機網路', zhShort: '被分散掃描' },
  'many-bytes': { en: 'Too many bytes', zh: '傳輸量過多', zhShort: '傳輸多', enSuper: 'Far too many bytes', zhSuper: '傳輸量超級多' },
  'many-packets': { en: 'Too many packets', zh: '封包數量過多', zhShort: '封包多', enSuper: 'Far too many packets', zhSuper: '封包數量超級多' },
  undefined: { en: 'Not yet defined', zh: '尚未定義', zhShort: '未定義' },
  'unused-probe': { en: 'Probing unused addresses', zh: '探測未使用位址', zhShort: '探測未用' },
  'tiny-packets': { en: 'Empty small packets to inside hosts', zh: '對內傳輸無有效內容(平均封包≤48Bytes)', zhShort: '小封包' },
  'campus-sweep': { en: 'Sweeps most inside hosts', zh: '掃瞄過半內部主機', zhShort: '掃內部' },
  'tcp-flood': { en: 'TCP flood on few inside hosts', zh: '疑似TCP flooding攻擊', zhShort: 'TCP flood' },
  p2p: { en: 'P2P-like traffic', zh: '疑似P2P行為', zhShort: 'P2P' },
  'cc-beacon': { en: 'C&C beacon', zh: '疑似C&C連線', zhShort: 'C&C' },
} satisfies Record<string, TypeLabel>;

/** The anomaly types that have labels (engine/types.ts AnomalyType; alert-text.ts checks they are the same). */
export type LabelledType = keyof typeof TYPE_LABELS;
/** Each anomaly type's labels. */
export const typeLabels: Record<LabelledType, TypeLabel> = TYPE_LABELS;

/** The label of a type at a severity in a language. */
export function typeLabel(type: LabelledType, severity: 'over' | 'super', lang: Lang): string {
  const l = typeLabels[type];
  if (lang === 'zh-TW') return severity === 'super' && l.zhSuper ? l.zhSuper : l.zh;
  return severity === 'super' && l.enSuper ? l.enSuper : l.en;
}

/** The short name of a type for a line of counts: its key in English, a few characters in Traditional Chinese. */
export function typeShort(type: LabelledType, lang: Lang): string {
  return lang === 'zh-TW' ? typeLabels[type].zhShort : type;
}

/** Each role's label. */
export const roleLabels: Record<'attacker' | 'victim' | 'internal', { en: string; zh: string }> = {
  attacker: { en: 'Attacker', zh: '攻擊者' },
  victim: { en: 'Victim', zh: '受害者' },
  internal: { en: 'Internal host', zh: '內部主機' },
};

/** Each severity's label. */
export const severityLabels: Record<'over' | 'super', { en: string; zh: string }> = {
  over: { en: 'over', zh: '超標' },
  super: { en: 'SUPER', zh: '嚴重超標' },
};
