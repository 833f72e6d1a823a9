/**
 * The Blocks and Investigate view models over the engine's real answers: blocks from the real block service through
 * `blockView` (what block.list sends), proposals from the real `block.propose` handler, the real audit, and ARP/MAC
 * rows from the real `whereLookup` over a device store. No fixture invents a shape the engine does not send.
 */
import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { age, blockHeader, blockLine, toAuditLines, toBlockRows, toProposalView } from '../../src/views/blocks.js';
import { deviceRowText, parseInvestigateArgs, toDeviceFindings, toDeviceRows } from '../../src/views/investigate.js';
import { blockView, flowspecHandlers, type BlockProposal } from '../../src/flowspec/area.js';
import { createBlockService } from '../../src/flowspec/service.js';
import type { Speaker } from '../../src/flowspec/gobgp.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { openDb } from '../../src/store/db.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { DeviceStore } from '../../src/devices/store.js';
import { whereLookup } from '../../src/devices/where.js';
import { mergeSlot } from '../../src/devices/merge.js';
import type { DeviceResult } from '../../src/devices/collector.js';
import type { Anomaly } from '../../src/engine/types.js';

const NOW = Date.UTC(2026, 10, 22, 14, 0);
const quiet: Speaker = { announce: async () => undefined, withdraw: async () => undefined, withdrawText: async () => undefined, list: async () => ({ 4: [], 6: [] }) };
const cfg = { ...flowspecDefaults, enabled: true, protectedPrefixes: ['192.0.2.0/24'], maxChangesPerMinute: 100 };

function engine(clock: { t: number }) {
  const svc = createBlockService(openDb(':memory:'), quiet, cfg, () => clock.t);
  const handlers = flowspecHandlers(svc, cfg, { latestFiles: () => [], source: createNfdumpSource(), inside: [] });
  return { svc, handlers };
}

const anomaly = (p: Partial<Anomaly>): Anomaly => ({
  ip: '198.51.100.7', role: 'attacker', type: 'scan', severity: 'over', score: 1, evidence: [], metrics: { flows: 100, packets: 100, bytes: 4000, distinctPeers: 5000, distinctPorts: 1 },
  features: { protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: 23, share: 1 }], packets: [{ value: 1, share: 1 }], bytes: [{ value: 40, share: 1 }], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
  ...p,
});

describe('Blocks view model (the engine\'s BlockView)', () => {
  it('rows from block.list: the rule as announced, its action, who and why, control characters stripped', async () => {
    const clock = { t: NOW - 65 * 60_000 };
    const { svc, handlers } = engine(clock);
    await svc.add({ source: '198.51.100.7', protocol: 'tcp', destinationPort: 22 }, { user: 'alice' }, { reason: 'ssh brute\u001b[2J force', ttlSeconds: 95 * 60 });
    await svc.add({ destination: '198.51.100.10', protocol: 'udp', action: 'rate-limit', bytesPerSecond: 125000 }, { user: 'bob' }, { reason: 'dns amp' });
    const rows = toBlockRows(await handlers['block.list']({}, { user: 'x' }) as ReturnType<typeof blockView>[]);
    expect(rows).toEqual([
      { id: '2', rule: 'ipv4 dst 198.51.100.10/32 udp → rate-limit 125000 B/s', action: 'rate-limit 125000 B/s', who: 'bob', why: 'dns amp', createdAt: clock.t, expiresAt: clock.t + 30 * 60_000, effect: [] },
      { id: '1', rule: 'ipv4 src 198.51.100.7/32 tcp dport 22 → discard', action: 'discard', who: 'alice', why: 'ssh brute force', createdAt: clock.t, expiresAt: clock.t + 95 * 60_000, effect: [] },
    ]);
    for (const w of [80, 160]) {
      const line = blockLine(rows[1], w, NOW, true);
      expect(stringWidth(line)).toBeLessThanOrEqual(w);
      expect(line).toMatch(/^\* src 198\.51\.100\.7\/32 tcp dport 22 /);
      expect(line).not.toContain('→');
      // Expires in 30 minutes; nothing measured yet.
      expect(line).toMatch(/30m\s+—$/);
      expect(stringWidth(blockHeader(w, 'zh-TW'))).toBeLessThanOrEqual(w);
    }
    // At 80 columns: rule, action, expiry, matched (who, why and age are in the detail below); wide ones show all.
    expect(blockHeader(80, 'en').split(/\s+/).filter(Boolean)).toEqual(['MATCH', 'ACTION', 'EXPIRES', 'MATCHED']);
    expect(blockHeader(160, 'en').split(/\s+/).filter(Boolean)).toEqual(['MATCH', 'ACTION', 'WHO', 'WHY', 'AGE', 'EXPIRES', 'MATCHED']);
    expect(blockLine(rows[1], 160, NOW, false)).toMatch(/alice\s+ssh brute force\s+1h05m\s+30m/);
    expect(blockLine(rows[1], 80, NOW, false)).not.toContain('1h05m');
    expect(blockLine({ ...rows[1], expiresAt: NOW - 1 }, 80, NOW, false)).toContain('expired');
    expect(age(undefined, NOW)).toBe('—');
    // The audit under the rules, from audit.list.
    expect(toAuditLines(svc.audit())).toEqual([
      '11-22 12:55 bob announce #2 ipv4 dst 198.51.100.10/32 udp → rate-limit 125000 B/s — dns amp (ttl 1800s, offence 1)',
      '11-22 12:55 alice announce #1 ipv4 src 198.51.100.7/32 tcp dport 22 → discard — ssh brute force (ttl 5700s, offence 1)',
    ]);
  });

  it('block.propose: the exact rule, its impact and facts worded in the screen\'s language; a refusal with its reason', async () => {
    const { handlers } = engine({ t: NOW });
    const answer = (await handlers['block.propose']({ anomalies: [anomaly({}), anomaly({ ip: '192.0.2.77' })] }, { user: 'x' })) as { proposals: BlockProposal[] };
    const en = toProposalView(answer, 'en');
    expect(en.rules).toEqual(['ipv4 src 198.51.100.7/32 tcp dport 23 → discard']);
    expect(en.impact).toEqual(['no window file to preview against', 'attacker: its traffic to port 23 is discarded']);
    expect(en.refused).toEqual(['192.0.2.77: source 192.0.2.77/32 overlaps protected prefix 192.0.2.0/24']);
    expect(en.accepted.map((p) => p.spec)).toEqual([{ family: 4, source: '198.51.100.7/32', protocol: 6, destinationPort: 23, action: { kind: 'discard' } }]);
    expect(toProposalView(answer, 'zh-TW').impact).toEqual(['沒有時段檔案可供預覽', '攻擊者：丟棄其送往 port 23 的流量']);
    // Several accepted: each one's impact under its target.
    const two = (await handlers['block.propose']({ anomalies: [anomaly({}), anomaly({ ip: '198.51.100.8' })] }, { user: 'x' })) as { proposals: BlockProposal[] };
    expect(toProposalView(two, 'en').impact).toEqual([
      '198.51.100.7:', '  no window file to preview against', '  attacker: its traffic to port 23 is discarded',
      '198.51.100.8:', '  no window file to preview against', '  attacker: its traffic to port 23 is discarded',
    ]);
  });
});

describe('Investigate model (the engine\'s WhereAnswer)', () => {
  const S = 5648278;
  const result = (device: string, timestamp: number, arp: DeviceResult['arp']): DeviceResult => ({
    device, kind: 'iosxr', host: '127.0.0.1', ok: true, timestamp, durationMs: 5, arp, mac: [], skipped: 0, skippedSamples: [], morePrompts: 0, hostKeyRecorded: false,
  });

  it('devices.where rows, current binding first, and its findings in either language', () => {
    const store = new DeviceStore(openDb(':memory:'));
    const e = (mac: string) => ({ ip: '211.79.60.27', mac, state: 'Dynamic', ageSeconds: 30, interface: 'TenGigE0/5/0/3\u001b[2J', vlan: null as number | null });
    store.saveRun({ timeSlot: S, startedAt: S * 300_000, results: [result('tn-gw', S * 300_000 + 1000, [e('02:00:00:00:00:27')])], merged: mergeSlot(S, []) });
    store.saveRun({ timeSlot: S + 1, startedAt: (S + 1) * 300_000, results: [result('tn-gw', (S + 1) * 300_000 + 1000, [e('70:e4:22:19:86:f9')])], merged: mergeSlot(S + 1, []) });
    const answer = whereLookup(store, '211.79.60.27', { history: true });
    const rows = toDeviceRows(answer);
    expect(rows.map(deviceRowText)).toEqual([
      '● 70:e4:22:19:86:f9  tn-gw  TenGigE0/5/0/3  Dynamic  09-12 01:55',
      '· 02:00:00:00:00:27  tn-gw  TenGigE0/5/0/3  Dynamic  09-12 01:50',
    ]);
    expect(toDeviceFindings(answer.findings, 'en')).toEqual(['IP 211.79.60.27 answered from 2 MACs: 02:00:00:00:00:27 → 70:e4:22:19:86:f9']);
    expect(toDeviceFindings(answer.findings, 'zh-TW')).toEqual(['IP 211.79.60.27 先後由 2 個 MAC 回應：02:00:00:00:00:27 → 70:e4:22:19:86:f9']);
    expect(toDeviceRows(whereLookup(store, '192.0.2.1'))).toEqual([]);
  });

  it('devices.where: a table\'s own entry is marked, and findings are worded from their fields in either language', () => {
    expect(toDeviceRows({ rows: [{ source: 'mac', device: 'core', mac: '00:6c:bc:1c:a8:65', port: 'Router', vlan: 51, state: 'static', system: true, current: true, firstSeen: NOW, lastSeen: NOW }] }).map((r) => r.state)).toEqual(['static (sys)']);
    const findings = [
        { kind: 'unused', reason: 'x', ip: '211.79.60.29', on: ['Incomplete on tn-gw'] },
        { kind: 'mac-several-ips', reason: 'x', mac: 'b4:0c:25:ef:40:4c', ips: ['211.79.60.30', '211.79.60.31'] },
        { kind: 'ip-moved-mac', reason: 'x', ip: '211.79.60.27', trail: ['70:e4:22:19:86:f9', '02:00:00:00:00:27'] },
        { kind: 'ip-moved-port', reason: 'x', ip: '10.9.0.5', trail: ['sw1 Eth1/1', 'sw1 Eth1/2\x1b[2J'] },
    ];
    expect(toDeviceFindings(findings, 'en')).toEqual([
      'no device resolves 211.79.60.29 (Incomplete on tn-gw): whoever sends to it is probing an unused address',
      'MAC b4:0c:25:ef:40:4c held 2 IPs (211.79.60.30, 211.79.60.31); not allow-listed as mobile or router',
      'IP 211.79.60.27 answered from 2 MACs: 70:e4:22:19:86:f9 → 02:00:00:00:00:27',
      'IP 10.9.0.5 moved between ports: sw1 Eth1/1 → sw1 Eth1/2',
    ]);
    expect(toDeviceFindings(findings, 'zh-TW')).toEqual([
      '沒有設備回應 211.79.60.29（Incomplete on tn-gw）：送往此位址者為探測未使用位址',
      'MAC b4:0c:25:ef:40:4c 對應 2 個 IP（211.79.60.30、211.79.60.31）：未列為行動裝置或路由器，疑似冒用',
      'IP 211.79.60.27 先後由 2 個 MAC 回應：70:e4:22:19:86:f9 → 02:00:00:00:00:27',
      'IP 10.9.0.5 的 MAC 更換過交換器埠：sw1 Eth1/1 → sw1 Eth1/2',
    ]);
  });

  it(':investigate arguments', () => {
    expect(parseInvestigateArgs('198.51.100.7')).toEqual({ target: '198.51.100.7', minutes: 60 });
    expect(parseInvestigateArgs('10.0.0.0/8 2h')).toEqual({ target: '10.0.0.0/8', minutes: 120 });
    expect(parseInvestigateArgs('10.0.0.1 1d')).toEqual({ target: '10.0.0.1', minutes: 1440 });
    expect(parseInvestigateArgs('10.0.0.1 0m')).toBeUndefined();
    expect(parseInvestigateArgs('')).toBeUndefined();
    expect(parseInvestigateArgs('a b c')).toBeUndefined();
  });
});
