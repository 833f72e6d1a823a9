/**
 * Human-readable alert per anomaly, in English or Traditional Chinese, with the content of the seeds' alert mails:
 * who, type, what exceeded and by how much, main features with shares, the summary lists, time above threshold.
 * Pure.
 */
import { PORT_NAMES, PROTO_NAMES } from './features.js';
import type { Anomaly, AnomalyType, Evidence, Role, Severity, Share, Tracking } from './types.js';
import { roleLabels, severityLabels, typeLabel, typeLabels, type Lang } from '../i18n/labels.js';
import { proberText } from '../i18n/devices-text.js';

// Every anomaly type, role and severity has its words in i18n/labels.ts: one without them does not compile.
void ([typeLabels, roleLabels, severityLabels] satisfies [Record<AnomalyType, unknown>, Record<Role, unknown>, Record<Severity, unknown>]);

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number) => Math.round(x).toLocaleString('en-US');

/** "SSH-22" for well-known ports, the number otherwise. */
export function portLabel(port: number | string): string {
  const p = Number(port);
  return PORT_NAMES[p] ? `${PORT_NAMES[p]}-${p}` : String(port);
}

/** "TCP" for known protocol numbers. */
export function protoLabel(proto: number | string): string {
  return PROTO_NAMES[Number(proto)] ?? String(proto);
}

/** "0d0h25m" from minutes. */
export function formatDuration(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  return `${Math.floor(m / 1440)}d${Math.floor((m % 1440) / 60)}h${m % 60}m`;
}

/** The seeds' tracking sentence. `windowMinutes` is the window length (5). */
export function trackingSentence(t: Tracking, currentSlot: number, lang: Lang, windowMinutes = 5): string {
  const since = (currentSlot - t.firstSeenSlot + 1) * windowMinutes;
  const streak = t.streak * windowMinutes;
  const share = `${(t.shareAbove * 100).toFixed(1)}%`;
  if (lang === 'zh-TW') {
    const zh = (m: number) => {
      const v = Math.max(0, Math.round(m));
      return `${Math.floor(v / 1440)}日${Math.floor((v % 1440) / 60)}時${v % 60}分`;
    };
    return `本IP開始異常時間已超過${zh(since)}，其中${share}時間超過告警標準，最近已持續${zh(streak)}超過告警標準`;
  }
  return `abnormal for ${formatDuration(since)}, ${share} of the time above threshold, continuously for the last ${formatDuration(streak)}`;
}

const INDICATOR_ZH: Record<string, string> = {
  'distinct destinations': '連線不同IP數',
  'distinct destination ports': '連線不同Port數',
  'SYN-only flows': 'SYN Flow數',
  'bytes sent': '輸出Bytes',
  'bytes received': '輸入Bytes',
  'bytes per flow': '每Flow Bytes',
  flows: 'Flow數',
  packets: '封包數',
  'bytes both ways': '雙向傳輸量',
  'distinct sources': '不同來源IP數',
  'distinct ports hit': '被連線Port數',
  'flows received': '收到Flow數',
  'unused inside addresses contacted': '探測未使用內部位址數',
  'unused addresses contacted (ARP)': '探測未使用位址數（ARP確認）',
  'share of active inside hosts touched': '接觸內部活躍主機比例',
  'packets to inside hosts': '對內封包數',
  'flows to inside hosts': '對內Flow數',
  'regular check-ins to one peer': '規律連線次數',
  'distinct peers': '連線對象數',
  'distinct external peers': '對外連線對象數',
};

/** One evidence line in words ("distinct destinations in 5 minutes: 61,812 (threshold 1,000, 61.8×)"). */
export function evidenceText(e: Evidence, lang: Lang): string {
  const isShare = e.indicator.startsWith('share');
  const v = isShare ? pct(e.value) : num(e.value);
  const th = isShare ? pct(e.threshold) : num(e.threshold);
  if (lang === 'zh-TW') return `五分鐘內${INDICATOR_ZH[e.indicator] ?? e.indicator}高達${v}（門檻${th}，${e.ratio.toFixed(1)}倍）`;
  return `${e.indicator} in 5 minutes: ${v} (threshold ${th}, ${e.ratio.toFixed(1)}×)`;
}

function shareList(items: Share[], fmt: (v: number | string) => string, n = 10): string {
  return items.slice(0, n).map((s) => `${fmt(s.value)}(${pct(s.share)})`).join(':');
}

/** The main features worth naming: concentrated protocol / port, the 1-packet-40-bytes share, SYN share. */
export function mainFeatures(a: Anomaly, lang: Lang): string[] {
  const f = a.features;
  const out: string[] = [];
  const zh = lang === 'zh-TW';
  const p0 = f.protocols[0];
  if (p0 && p0.share >= 0.5) out.push(zh ? `協定：${protoLabel(p0.value)}（${pct(p0.share)}）` : `protocol ${protoLabel(p0.value)} (${pct(p0.share)})`);
  const d0 = f.dstPorts[0];
  if (d0 && d0.share >= 0.5) out.push(zh ? `應用埠：${portLabel(d0.value)}（${pct(d0.share)}）` : `port ${portLabel(d0.value)} (${pct(d0.share)})`);
  if (f.onePacket40Share >= 0.5) out.push(zh ? `封包數與大小：${pct(f.onePacket40Share)}以上的Flow內有封包1個共40(Bytes)` : `${pct(f.onePacket40Share)} of flows are 1 packet of 40 bytes`);
  if (f.synOnlyShare >= 0.95) out.push(zh ? 'SYN比例超過95%' : 'SYN share above 95%');
  else if (f.synOnlyShare >= 0.5) out.push(zh ? `SYN比例${pct(f.synOnlyShare)}` : `SYN share ${pct(f.synOnlyShare)}`);
  if (a.signature) out.push(zh ? `特徵：${a.signature}` : `signature ${a.signature}`);
  if (a.victim && a.victim.spoofedShare >= 0.5) out.push(zh ? `疑似偽造來源${pct(a.victim.spoofedShare)}` : `${pct(a.victim.spoofedShare)} of sources look spoofed`);
  if (a.beacon) {
    out.push(zh
      ? `每${a.beacon.meanIntervalSeconds.toFixed(1)}秒連線${a.beacon.peer}:${a.beacon.port}（${a.beacon.flows}次）`
      : `checks in to ${a.beacon.peer}:${a.beacon.port} every ${a.beacon.meanIntervalSeconds.toFixed(1)} s (${a.beacon.flows} times)`);
  }
  return out;
}

/** The ARP evidence of a probe of unused addresses, in one line. */
export function unusedProbeLine(u: NonNullable<Anomaly['unusedProbe']>, lang: Lang): string {
  return lang === 'zh-TW' ? `＊ARP確認：${proberText(u, lang)}` : `* ARP: ${proberText(u, lang)}`;
}

/** The alert text of one anomaly. `currentSlot` dates the tracking sentence. */
export function alertText(a: Anomaly, lang: Lang, currentSlot?: number): string {
  const zh = lang === 'zh-TW';
  const f = a.features;
  const who = a.unit ? ` (${a.unit})` : '';
  const asn = a.asn ? ` AS${a.asn}` : '';
  const role = zh ? roleLabels[a.role].zh : roleLabels[a.role].en;
  const lines: string[] = [];
  lines.push(`※${role}：${a.ip}${who}${asn}`);
  lines.push(zh ? `※異常類型：${typeLabel(a.type, a.severity, lang)}` : `※Type: ${typeLabel(a.type, a.severity, lang)}`);
  const label = a.severity === 'super' ? (zh ? '嚴重超標' : 'Far over') : zh ? '異常超標' : 'Exceeded';
  lines.push(`※${label}${zh ? '：' : ': '}${a.evidence.map((e) => evidenceText(e, lang)).join(zh ? '；' : '; ')}`);
  const main = mainFeatures(a, lang);
  if (main.length) lines.push(zh ? `※主要特徵：${main.map((m) => `『${m}』`).join('')}` : `※Main features: ${main.join('; ')}`);
  lines.push(zh ? '※資訊摘要：' : '※Summary:');
  const d = f.distinct;
  if (zh) {
    lines.push(`＊連線對象${num(a.metrics.distinctPeers)}個，Flow ${num(a.metrics.flows)}筆，封包${num(a.metrics.packets)}個，${num(a.metrics.bytes)} Bytes`);
    lines.push(`＊使用協定共${d.protocols}個：${shareList(f.protocols, protoLabel)}`);
    lines.push(`＊目的Port共${d.dstPorts}個：${shareList(f.dstPorts, portLabel)}`);
    lines.push(`＊Octet特徵共${d.bytes}個：${shareList(f.bytes, String)}`);
    lines.push(`＊Packet特徵共${d.packets}個：${shareList(f.packets, String)}`);
    if (f.tcpFlags.length) lines.push(`＊TCP Flags：${shareList(f.tcpFlags, String, 5)}`);
    if (f.serverLike !== null) lines.push(`＊來源Port判斷：${f.serverLike ? '服務端' : '用戶端'}`);
  } else {
    lines.push(`* ${num(a.metrics.distinctPeers)} peers, ${num(a.metrics.flows)} flows, ${num(a.metrics.packets)} packets, ${num(a.metrics.bytes)} bytes`);
    lines.push(`* ${d.protocols} protocols: ${shareList(f.protocols, protoLabel)}`);
    lines.push(`* ${d.dstPorts} destination ports: ${shareList(f.dstPorts, portLabel)}`);
    lines.push(`* ${d.bytes} bytes-per-flow values: ${shareList(f.bytes, String)}`);
    lines.push(`* ${d.packets} packets-per-flow values: ${shareList(f.packets, String)}`);
    if (f.tcpFlags.length) lines.push(`* TCP flags: ${shareList(f.tcpFlags, String, 5)}`);
    if (f.serverLike !== null) lines.push(`* by source port: ${f.serverLike ? 'server' : 'client'}`);
  }
  if (a.victim) {
    lines.push(zh
      ? `＊來源IP共${num(a.victim.distinctSources)}個，疑似偽造${pct(a.victim.spoofedShare)}`
      : `* ${num(a.victim.distinctSources)} sources, ${pct(a.victim.spoofedShare)} look spoofed`);
  }
  if (a.entryPoints?.length) {
    const eps = a.entryPoints.slice(0, 5).map((e) => `${e.exporter}#${e.interface}(${pct(e.share)})`).join(' ');
    lines.push(zh ? `＊攻擊入口：${eps}` : `* entry points: ${eps}`);
  }
  if (a.unusedProbe) lines.push(unusedProbeLine(a.unusedProbe, lang));
  if (a.topPeers?.length) {
    const peers = a.topPeers.slice(0, 5).map((p) => `${p.ip}(${num(p.flows)})`).join(' ');
    lines.push(zh ? `＊主要對象：${peers}` : `* top peers: ${peers}`);
  }
  if (a.tracking && currentSlot !== undefined) lines.push(`${zh ? '＊' : '* '}${trackingSentence(a.tracking, currentSlot, lang)}`);
  return lines.join('\n');
}
