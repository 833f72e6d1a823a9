/**
 * Alert notices in words, English and Traditional Chinese: mail subjects, the reminder and "ended" lines, where the
 * host is attached, digests, the test message, and the states of a delivery. Pure; the alert body itself is the
 * seeds' alert text (engine/alert-text.ts).
 */
import { evidenceText, formatDuration } from '../engine/alert-text.js';
import type { AnomalyType, Evidence, Severity } from '../engine/types.js';
import { typeLabel, typeLabels, type Lang } from '../i18n/labels.js';

/** "2026-11-22 14:05 UTC": a TimeSlot by its minute (slot*300, the start of the nfcapd file it comes from). */
export function slotTime(slot: number): string {
  return `${new Date(slot * 300 * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The seeds' "0日0時25分" or "0d0h25m". */
export function durationText(minutes: number, lang: Lang): string {
  if (lang !== 'zh-TW') return formatDuration(minutes);
  const v = Math.max(0, Math.round(minutes));
  return `${Math.floor(v / 1440)}日${Math.floor((v % 1440) / 60)}時${v % 60}分`;
}

/** The label of a type, also for types raised by other areas (not anomaly types): the type code itself. */
export function anyTypeLabel(type: string, severity: Severity, lang: Lang): string {
  return type in typeLabels ? typeLabel(type as AnomalyType, severity, lang) : type;
}

/** What a notice subject says about its kind. */
export type SubjectKind = 'alert' | 'reminder' | 'ended' | 'raised' | 'test';

/** A mail subject: kind, type, IP, unit. Pure. */
export function subjectText(s: { kind: SubjectKind; label: string; ip: string; unit?: string; severity?: Severity }, lang: Lang): string {
  const zh = lang === 'zh-TW';
  const unit = s.unit ? ` (${s.unit})` : '';
  const sev = s.severity === 'super' ? (zh ? '嚴重 ' : 'SUPER ') : '';
  switch (s.kind) {
    case 'alert':
    case 'raised':
      return `[nocflow] ${sev}${s.label} ${s.ip}${unit}`;
    case 'reminder':
      return `[nocflow] ${zh ? '持續中：' : 'still: '}${s.label} ${s.ip}${unit}`;
    case 'ended':
      return `[nocflow] ${zh ? '已結束：' : 'ended: '}${s.label} ${s.ip}${unit}`;
    case 'test':
      return zh ? '[nocflow] 測試訊息' : '[nocflow] test message';
  }
}

/** The first line of a reminder. */
export function reminderLine(r: { startSlot: number; windows: number; reminders: number }, lang: Lang): string {
  return lang === 'zh-TW'
    ? `※持續提醒（第${r.reminders}次）：自${slotTime(r.startSlot)}起仍在異常，已有${r.windows}個時段超過告警標準`
    : `※Reminder #${r.reminders}: still abnormal since ${slotTime(r.startSlot)}, ${r.windows} windows above threshold`;
}

/** The "ended" notice body. */
export function endedText(e: {
  ip: string; unit?: string; label: string; startSlot: number; lastSlot: number; windows: number; shareAbove: number; durationMinutes: number;
  peak: { slot: number; evidence: Evidence[] }; reminders: number;
}, lang: Lang): string {
  const zh = lang === 'zh-TW';
  const who = e.unit ? ` (${e.unit})` : '';
  const share = `${(e.shareAbove * 100).toFixed(1)}%`;
  const peak = e.peak.evidence.map((x) => evidenceText(x, lang)).join(zh ? '；' : '; ');
  const lines = zh
    ? [
        `※異常已結束：${e.ip}${who}`,
        `※異常類型：${e.label}`,
        `※期間：${slotTime(e.startSlot)} 至 ${slotTime(e.lastSlot + 1)}，共${durationText(e.durationMinutes, lang)}，其中${share}時間（${e.windows}個時段）超過告警標準`,
        `※最高峰（${slotTime(e.peak.slot)}）：${peak}`,
      ]
    : [
        `※Ended: ${e.ip}${who}`,
        `※Type: ${e.label}`,
        `※From ${slotTime(e.startSlot)} to ${slotTime(e.lastSlot + 1)}, ${durationText(e.durationMinutes, lang)}, ${share} of the time (${e.windows} windows) above threshold`,
        `※Peak (${slotTime(e.peak.slot)}): ${peak}`,
      ];
  return lines.join('\n');
}

/** Where an inside host is attached, as the device tables last saw it. */
export interface HostLocationText {
  mac: string;
  router?: string;
  ports: { switch: string; port: string; vlan: number | null }[];
  seenAt: number;
}

/** One line: the MAC, the switch and port (and the router that answers ARP for it). */
export function whereLine(w: HostLocationText, lang: Lang): string {
  const zh = lang === 'zh-TW';
  const seen = new Date(w.seenAt).toISOString().slice(0, 16).replace('T', ' ');
  const ports = w.ports.map((p) => `${p.switch} ${p.port}${p.vlan !== null ? ` (VLAN ${p.vlan})` : ''}`).join(zh ? '；' : '; ');
  if (zh) return `※位置：MAC ${w.mac}${ports ? `，交換器 ${ports}` : ''}${w.router ? `，閘道 ${w.router}` : ''}（${seen} UTC 所見）`;
  return `※Where: MAC ${w.mac}${ports ? `, switch ${ports}` : ''}${w.router ? `, gateway ${w.router}` : ''} (seen ${seen} UTC)`;
}

/** The line naming the alert id, so that a repeated delivery is recognisable by a person too. */
export function idLine(id: string, lang: Lang): string {
  return lang === 'zh-TW' ? `告警編號：${id}` : `alert id: ${id}`;
}

/** A digest's subject and first line. */
export function digestSubject(n: number, lang: Lang): string {
  return lang === 'zh-TW' ? `[nocflow] 彙整：${n}則告警` : `[nocflow] digest: ${n} alerts`;
}

/** The digest's opening line (why this is a digest). */
export function digestIntro(n: number, maxPerHour: number, lang: Lang): string {
  return lang === 'zh-TW'
    ? `本小時寄給您的告警已達上限（每小時${maxPerHour}封），以下${n}則告警合併為一封：`
    : `More than ${maxPerHour} alerts an hour would have gone to you: these ${n} come in one mail.`;
}

/** The body of `nocflow alerts test`. */
export function testText(lang: Lang): string {
  return lang === 'zh-TW' ? 'nocflow 告警測試訊息：此通道設定正確。' : 'nocflow alert test message: this channel works.';
}

/** A delivery state in words. */
export function deliveryStateText(state: string, lang: Lang): string {
  const zh: Record<string, string> = { pending: '待送', sent: '已送', rejected: '被拒', expired: '逾期放棄' };
  return lang === 'zh-TW' ? (zh[state] ?? state) : state;
}

/** A notice kind in words (lists). */
export function kindText(kind: string, lang: Lang): string {
  const zh: Record<string, string> = { alert: '告警', reminder: '提醒', ended: '結束', raised: '通報', test: '測試' };
  return lang === 'zh-TW' ? (zh[kind] ?? kind) : kind;
}
