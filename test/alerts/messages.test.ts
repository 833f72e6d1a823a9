import { beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, digestMailOf, mailOf, sdEscape, summaryLine, syslogLineOf, webhookBodyOf, type AlertDoc } from '../../src/alerts/messages.js';
import { episodeId } from '../../src/alerts/policy.js';
import { analyzeBatches } from '../../src/engine/analyze.js';
import { batchFromRecords } from '../../src/engine/batch.js';
import type { Anomaly } from '../../src/engine/types.js';
import { generateScenario } from '../../src/gen/scenarios.js';
import { parseSyslog } from '../helpers/receivers.js';

let ssh: Anomaly;
const slot = Math.floor((Date.parse('2026-11-22T14:05:00Z') / 1000 + 150) / 300);

beforeAll(async () => {
  // The seeds' first example: an SSH attacker with too many peers, generated and analysed for real.
  const g = generateScenario('ssh-attacker', { seed: 1, base: Date.parse('2026-11-22T14:05:00Z') });
  const w = await analyzeBatches([batchFromRecords(g.flows)], { timeSlot: slot, units: [{ prefix: '203.0.113.0/24', name: 'xx中心' }] });
  ssh = w.anomalies.find((a) => a.ip === '203.0.113.115')!;
  ssh.tracking = { firstSeenSlot: slot - 1, windowsSeen: 2, shareAbove: 1, streak: 2 };
});

const doc = (over: Partial<AlertDoc> = {}): AlertDoc => ({
  id: `${episodeId('203.0.113.115', 'many-peers', slot - 1)}-a`, episode: episodeId('203.0.113.115', 'many-peers', slot - 1), kind: 'alert', source: 'window',
  ip: '203.0.113.115', type: 'many-peers', role: 'attacker', severity: 'over', unit: 'xx中心', timeSlot: slot, createdAt: Date.parse('2026-11-22T14:10:07Z'),
  anomaly: ssh, summary: { startSlot: slot - 1, lastSlot: slot, windows: 2, shareAbove: 1, durationMinutes: 10, peak: { score: 30, severity: 'over', slot, evidence: ssh.evidence }, reminders: 0 },
  ...over,
});

describe('mail: the seeds\' alert text in the recipient\'s language', () => {
  it('zh-TW body and subject say what the seeds\' mail says', () => {
    expect(ssh.type).toBe('many-peers');
    const m = mailOf(doc(), 'zh-TW', 'nocflow@noc.example.tw');
    expect(m.subject).toBe('[nocflow] 連線對象過多 203.0.113.115 (xx中心)');
    const lines = m.text.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '※攻擊者：203.0.113.115 (xx中心) AS64500',
      '※異常類型：連線對象過多',
      '※異常超標：五分鐘內連線不同IP數高達8,000（門檻5,000，1.6倍）',
      '※主要特徵：『協定：TCP（100.00%）』『應用埠：SSH-22（100.00%）』',
    ]);
    expect(lines).toContain('＊目的Port共1個：SSH-22(100.00%)');
    expect(m.text).toContain('＊本IP開始異常時間已超過0日0時10分，其中100.0%時間超過告警標準，最近已持續0日0時10分超過告警標準');
    expect(m.text).toContain('時段：2026-11-22 14:05 UTC');
    expect(lines.at(-1)).toBe(`告警編號：${doc().id}`);
    expect(m.messageId).toBe(`${doc().id}@noc.example.tw`);
    expect(m.headers).toEqual({ 'X-Nocflow-Alert-Id': doc().id, 'X-Nocflow-Episode': doc().episode, 'X-Nocflow-Kind': 'alert' });
  });

  it('English body and subject', () => {
    expect(mailOf(doc({ severity: 'super' }), 'en', 'nocflow@noc.example').subject).toBe('[nocflow] SUPER Far too many peers 203.0.113.115 (xx中心)');
    const m = mailOf(doc(), 'en', 'nocflow@noc.example');
    expect(m.subject).toBe('[nocflow] Too many peers 203.0.113.115 (xx中心)');
    // (The English role line keeps alert-text's full-width colon, as `nocflow analyze` prints it.)
    expect(m.text.split('\n').slice(0, 4)).toEqual([
      '※Attacker：203.0.113.115 (xx中心) AS64500',
      '※Type: Too many peers',
      '※Exceeded: distinct destinations in 5 minutes: 8,000 (threshold 5,000, 1.6×)',
      '※Main features: protocol TCP (100.00%); port SSH-22 (100.00%)',
    ]);
    expect(m.text).toContain('* abnormal for 0d0h10m, 100.0% of the time above threshold, continuously for the last 0d0h10m');
    expect(m.text).toContain('window: 2026-11-22 14:05 UTC');
    expect(m.text.replace(/xx中心/g, '')).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('a reminder opens with the episode so far; an ended notice gives duration, share and peak', () => {
    const r = bodyOf(doc({ kind: 'reminder', id: 'x-r1', summary: { ...doc().summary!, windows: 13, reminders: 1 } }), 'en');
    expect(r.split('\n')[0]).toBe('※Reminder #1: still abnormal since 2026-11-22 14:00 UTC, 13 windows above threshold');
    expect(bodyOf(doc({ kind: 'reminder', id: 'x-r1', summary: { ...doc().summary!, windows: 13, reminders: 1 } }), 'zh-TW').split('\n')[0]).toBe('※持續提醒（第1次）：自2026-11-22 14:00 UTC起仍在異常，已有13個時段超過告警標準');
    const peak = { score: 40, severity: 'over' as const, slot, evidence: [{ indicator: 'distinct destinations', value: 61812, threshold: 5000, ratio: 12.3624 }] };
    const ended = doc({ kind: 'ended', id: 'x-e', anomaly: undefined, summary: { startSlot: slot - 1, lastSlot: slot + 4, windows: 5, shareAbove: 5 / 6, durationMinutes: 30, peak, reminders: 0 } });
    expect(bodyOf(ended, 'en').split('\n').slice(0, 4)).toEqual([
      '※Ended: 203.0.113.115 (xx中心)',
      '※Type: Too many peers',
      '※From 2026-11-22 14:00 UTC to 2026-11-22 14:30 UTC, 0d0h30m, 83.3% of the time (5 windows) above threshold',
      '※Peak (2026-11-22 14:05 UTC): distinct destinations in 5 minutes: 61,812 (threshold 5,000, 12.4×)',
    ]);
    expect(bodyOf(ended, 'zh-TW').split('\n').slice(0, 4)).toEqual([
      '※異常已結束：203.0.113.115 (xx中心)',
      '※異常類型：連線對象過多',
      '※期間：2026-11-22 14:00 UTC 至 2026-11-22 14:30 UTC，共0日0時30分，其中83.3%時間（5個時段）超過告警標準',
      '※最高峰（2026-11-22 14:05 UTC）：五分鐘內連線不同IP數高達61,812（門檻5,000，12.4倍）',
    ]);
    expect(mailOf(ended, 'zh-TW', 'a@b.c').subject).toBe('[nocflow] 已結束：連線對象過多 203.0.113.115 (xx中心)');
    expect(mailOf(ended, 'en', 'a@b.c').subject).toBe('[nocflow] ended: Too many peers 203.0.113.115 (xx中心)');
  });

  it('where the host is: MAC, switch and port; text from devices loses its control characters', () => {
    const where = { mac: '00:11:22:33:44:55', router: 'gw1', ports: [{ switch: 'sw-b3f\u001b[31m', port: 'Gi1/0/7', vlan: 120 }], seenAt: Date.parse('2026-11-22T14:03:00Z') };
    expect(bodyOf(doc({ where }), 'en')).toContain('※Where: MAC 00:11:22:33:44:55, switch sw-b3f Gi1/0/7 (VLAN 120), gateway gw1 (seen 2026-11-22 14:03 UTC)');
    expect(bodyOf(doc({ where }), 'zh-TW')).toContain('※位置：MAC 00:11:22:33:44:55，交換器 sw-b3f Gi1/0/7 (VLAN 120)，閘道 gw1（2026-11-22 14:03 UTC 所見）');
    expect(bodyOf(doc({ where }), 'en')).not.toContain('\u001b');
  });

  it('a subject cannot be split into headers by a unit name with a line break', () => {
    const m = mailOf(doc({ unit: 'evil\r\nBcc: x@y.z' }), 'en', 'a@b.c');
    expect(m.subject).not.toMatch(/[\r\n]/);
  });

  it('a digest carries every alert, their ids in one header, and says why', () => {
    const a = doc();
    const b = doc({ id: 'ffff000011112222-a', ip: '198.51.100.7', unit: undefined });
    const m = digestMailOf([a, b], 'en', 'n@noc.example', 30, 'digest-0123456789abcdef');
    expect(m.subject).toBe('[nocflow] digest: 2 alerts');
    expect(m.headers['X-Nocflow-Alert-Id']).toBe(`${a.id} ffff000011112222-a`);
    expect(m.messageId).toBe('digest-0123456789abcdef@noc.example');
    expect(m.text.split('\n')[0]).toBe('More than 30 alerts an hour would have gone to you: these 2 come in one mail.');
    expect(m.text).toContain(`alert id: ${a.id}`);
    expect(m.text).toContain('alert id: ffff000011112222-a');
    expect(digestMailOf([a, b], 'zh-TW', 'n@noc.example', 30, 'd').subject).toBe('[nocflow] 彙整：2則告警');
  });
});

describe('syslog: RFC 5424 with structured data', () => {
  it('PRI, MSGID = alert id, SD with ip, type, severity, window; parseable', () => {
    const line = syslogLineOf(doc({ unit: 'NTU' }), { facility: 16, appName: 'nocflow', hostname: 'noc-jump', procId: 4242, at: Date.parse('2026-11-22T14:10:08.123Z') });
    const m = parseSyslog(line);
    expect(m).toMatchObject({ pri: 16 * 8 + 4, version: 1, timestamp: '2026-11-22T14:10:08.123Z', hostname: 'noc-jump', appName: 'nocflow', procId: '4242', msgId: doc().id });
    expect(m.sd['alert@32473']).toMatchObject({ id: doc().id, ip: '203.0.113.115', type: 'many-peers', severity: 'over', window: String(slot), windowTime: '2026-11-22T14:05:00.000Z', unit: 'NTU', kind: 'alert' });
    expect(m.msg).toBe('Too many peers 203.0.113.115 (NTU): distinct destinations in 5 minutes: 8,000 (threshold 5,000, 1.6×)');
    // '×' is not ASCII: the MSG is marked UTF-8 with the BOM; an ASCII message goes without.
    expect(line).toContain(' \ufeffToo many peers');
    const test = syslogLineOf({ ...doc(), kind: 'test', ip: '', unit: undefined }, { facility: 16, appName: 'nocflow', hostname: 'h', procId: 1, at: 0 });
    expect(test).not.toContain('\ufeff');
    expect(parseSyslog(test)).toMatchObject({ pri: 134, msg: 'nocflow alert test message: this channel works.' });
    expect(parseSyslog(test).sd['alert@32473'].ip).toBeUndefined();
    expect(doc().id.length).toBeLessThanOrEqual(32);
  });

  it('super is critical, ended is notice; SD values escaped, UTF-8 MSG starts with the BOM', () => {
    expect(parseSyslog(syslogLineOf(doc({ severity: 'super' }), { facility: 16, appName: 'nocflow', hostname: 'h', procId: 1, at: 0 })).pri).toBe(130);
    expect(parseSyslog(syslogLineOf(doc({ kind: 'ended' }), { facility: 4, appName: 'nocflow', hostname: 'h', procId: 1, at: 0 })).pri).toBe(37);
    const line = syslogLineOf(doc({ unit: 'a"b]c\\d 台大' }), { facility: 16, appName: 'nocflow', hostname: 'h', procId: 1, at: 0 });
    expect(parseSyslog(line).sd['alert@32473'].unit).toBe('a"b]c\\d 台大');
    expect(line).toContain(' \ufeff');
    expect(sdEscape('x"]\\')).toBe('x\\"\\]\\\\');
  });
});

describe('webhook bodies', () => {
  it('json: the alert document with its id; slack: {text} with subject and body', () => {
    const j = webhookBodyOf(doc(), 'json', 'en') as Record<string, any>;
    expect(j).toMatchObject({ id: doc().id, kind: 'alert', ip: '203.0.113.115', type: 'many-peers', severity: 'over', unit: 'xx中心', window: { timeSlot: slot, time: slot * 300 } });
    expect(j.anomaly.evidence[0].indicator).toBe('distinct destinations');
    expect(j.text).toContain(`alert id: ${doc().id}`);
    const s = webhookBodyOf(doc(), 'slack', 'zh-TW');
    expect(Object.keys(s)).toEqual(['text']);
    expect(s.text).toMatch(/^\*\[nocflow\] 連線對象過多 203\.0\.113\.115 \(xx中心\)\*\n```\n※攻擊者：/);
    expect(summaryLine(doc({ kind: 'reminder' }))).toMatch(/^still: Too many peers/);
  });
});
