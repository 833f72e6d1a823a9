import { describe, expect, it } from 'vitest';
import { age, blockHeader, blockLine, ruleText, toBlockRows, toProposalView } from '../../src/views/blocks.js';
import { deviceRowText, parseInvestigateArgs, toDeviceFindings, toDeviceRows } from '../../src/views/investigate.js';
import { blocksCovering } from '../../src/tui/actions.js';
import stringWidth from 'string-width';

const NOW = Date.UTC(2026, 10, 22, 14, 0);

describe('Blocks view model', () => {
  it('reads block.list rows of either shape, stripping control characters', () => {
    const rows = toBlockRows({
      rules: [
        { id: 'r1', text: 'match source 198.51.100.7/32 destination-port ==22 then discard', who: 'alice', reason: 'ssh brute\u001b[2J force', createdAt: NOW - 3_600_000, expiresAt: NOW + 1_800_000, matchedPackets: 1234 },
        { id: 'r2', rule: { match: { destination: '192.0.2.10/32', protocol: 'udp' }, then: { 'rate-limit': 0 } }, user: 'bob', why: 'dns amp' },
      ],
    });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ id: 'r1', who: 'alice', why: 'ssh brute force', matchedPackets: 1234 });
    expect(rows[1].rule).toBe('match destination 192.0.2.10/32 protocol udp then rate-limit 0');
    expect(rows[1].action).toBe('rate-limit 0');
    expect(toBlockRows(null)).toEqual([]);
  });

  it('lines fit the width with age, expiry and matched columns', () => {
    const [r] = toBlockRows([{ id: 'r1', text: 'match source 198.51.100.7/32 then discard', who: 'alice', why: 'x', createdAt: NOW - 65 * 60_000, expiresAt: NOW + 30 * 60_000, matchedPackets: 42 }]);
    for (const w of [80, 160]) {
      const line = blockLine(r, w, NOW, true);
      expect(stringWidth(line)).toBeLessThanOrEqual(w);
      expect(line.startsWith('* ')).toBe(true);
      expect(line).toContain('30m');
      expect(line).toMatch(/42$/);
      expect(stringWidth(blockHeader(w, 'zh-TW'))).toBeLessThanOrEqual(w);
    }
    // At 80 columns: rule, action, expiry, matched (who, why and age are in the detail below); wide ones show all.
    expect(blockHeader(80, 'en').split(/\s+/).filter(Boolean)).toEqual(['MATCH', 'ACTION', 'EXPIRES', 'MATCHED']);
    expect(blockHeader(160, 'en').split(/\s+/).filter(Boolean)).toEqual(['MATCH', 'ACTION', 'WHO', 'WHY', 'AGE', 'EXPIRES', 'MATCHED']);
    expect(blockLine(r, 160, NOW, false)).toContain('1h05m');
    expect(blockLine(r, 80, NOW, false)).not.toContain('1h05m');
    expect(blockLine({ ...r, expiresAt: NOW - 1 }, 80, NOW, false)).toContain('expired');
    expect(age(undefined, NOW)).toBe('—');
  });

  it('a proposal: exact rules and impact accepted, refusals kept with their reasons', () => {
    const v = toProposalView({
      proposals: [
        { ok: true, rule: { text: 'match source 198.51.100.7/32 then discard' }, impact: ['would also match 0 other hosts', { text: '5,000 flows in the last window' }] },
        { ok: false, target: '10.0.0.1', reasons: ['inside address: never blocked'] },
      ],
    });
    expect(v.rules).toEqual(['match source 198.51.100.7/32 then discard']);
    expect(v.impact).toEqual(['would also match 0 other hosts', '5,000 flows in the last window']);
    expect(v.refused).toEqual(['10.0.0.1: inside address: never blocked']);
    expect(v.accepted).toHaveLength(1);
    expect(ruleText('a\u0007b')).toBe('ab');
  });

  it('a proposal with its facts and preview as data is worded in the screen\'s language', () => {
    const answer = {
      proposals: [
        {
          ok: true, rule: 'ipv4 dst 192.0.2.10/32 tcp dport 80 → rate-limit 1000000 B/s',
          impact: ['(the engine\'s English)'],
          facts: [{ kind: 'victim' }, { kind: 'spoofed', share: 0.98 }, { kind: 'entry', exporter: '127.0.0.2\x1b[2J', interface: 7, share: 0.8 }],
          preview: { flows: 60000, packets: 60000, bytes: 3600000, twoWayFlows: 12, twoWayInside: 3, insideKnown: true },
        },
        { ok: true, rule: 'ipv4 src 45.1.1.1/32 tcp dport 23 → discard', facts: [{ kind: 'attacker', port: 23 }], preview: null },
      ],
    };
    expect(toProposalView(answer, 'en').impact).toEqual([
      'last window: 60000 flows, 60000 packets, 3600000 bytes would have matched',
      '12 of them in two-way conversations (3 with inside hosts)',
      'victim: matched by destination, narrowed by protocol and port, rate-limited (a discard would complete the attack)',
      '98% of sources look spoofed: no source match',
      'largest entry: 127.0.0.2 interface 7 (80%)',
      'no window file to preview against',
      'attacker: its traffic to port 23 is discarded',
    ]);
    expect(toProposalView(answer, 'zh-TW').impact).toEqual([
      '上一時段：會符合 60000 筆 flow、60000 個封包、3600000 bytes',
      '其中 12 筆屬於雙向連線（3 筆與內部主機）',
      '受害者：以目的位址比對，依協定與 port 縮小範圍，限速（丟棄等於替攻擊者完成攻擊）',
      '98% 來源疑似偽造：不以來源比對',
      '最大入口：127.0.0.2 介面 7（80%）',
      '沒有時段檔案可供預覽',
      '攻擊者：丟棄其送往 port 23 的流量',
    ]);
    // Several proposals with their targets: each impact under its target.
    const two = { proposals: answer.proposals.map((p, i) => ({ ...p, target: ['192.0.2.10', '45.1.1.1'][i] })) };
    const lines = toProposalView(two, 'en').impact;
    expect(lines[0]).toBe('192.0.2.10:');
    expect(lines[1]).toBe('  last window: 60000 flows, 60000 packets, 3600000 bytes would have matched');
    expect(lines.slice(-3)).toEqual(['45.1.1.1:', '  no window file to preview against', '  attacker: its traffic to port 23 is discarded']);
    // A fact the screen does not know: the engine's own text is shown instead.
    expect(toProposalView({ ok: true, rule: 'r', impact: ['as sent'], facts: [{ kind: 'new-kind' }], preview: null }, 'zh-TW').impact).toEqual(['as sent']);
  });

  it('blocksCovering finds rules naming an address inside the target', () => {
    const rows = toBlockRows([{ id: 'a', text: 'match source 198.51.100.7/32 then discard' }, { id: 'b', text: 'match destination 192.0.2.10/32 then discard' }]);
    expect(blocksCovering(rows, '198.51.100.7').map((r) => r.id)).toEqual(['a']);
    expect(blocksCovering(rows, '192.0.2.0/24').map((r) => r.id)).toEqual(['b']);
    expect(blocksCovering(rows, '203.0.113.1')).toEqual([]);
    expect(blocksCovering(rows, 'not-an-ip')).toEqual([]);
  });

  it('blocksCovering: a prefix rule covers the addresses inside it (REVIEW 1b: the direction was wrong)', () => {
    const rows = toBlockRows([
      { id: 'net', text: 'ipv4 src 198.51.100.0/24 tcp dport 22 → discard' },
      { id: 'v6', text: 'ipv6 dst 2001:db8:1::/48 udp dport 53 → rate-limit 125000 B/s' },
      { id: 'host', text: 'ipv4 dst 192.0.2.10/32 tcp dport 80 → rate-limit 1000000 B/s at 127.0.0.2' },
    ]);
    expect(blocksCovering(rows, '198.51.100.7').map((r) => r.id)).toEqual(['net']);
    expect(blocksCovering(rows, '198.51.0.0/16').map((r) => r.id)).toEqual(['net']);
    expect(blocksCovering(rows, '2001:db8:1::53').map((r) => r.id)).toEqual(['v6']);
    expect(blocksCovering(rows, '198.51.101.7')).toEqual([]);
    // The router addresses a rule is announced at are not its match.
    expect(blocksCovering(rows, '127.0.0.2')).toEqual([]);
    expect(blocksCovering(rows, '192.0.2.10').map((r) => r.id)).toEqual(['host']);
  });
});

describe('Investigate model', () => {
  it('devices.where rows', () => {
    const rows = toDeviceRows({ entries: [{ device: 'core-sw1', mac: '00:11:22:33:44:55', interface: 'Gi1/0/7', vlan: 20, seenAt: NOW }] });
    expect(rows).toEqual([{ device: 'core-sw1', mac: '00:11:22:33:44:55', port: 'Gi1/0/7', vlan: '20', state: '', first: '', last: '11-22 14:00', current: false }]);
    expect(toDeviceRows(undefined)).toEqual([]);
    expect(toDeviceRows({ rows: [{ source: 'mac', device: 'core', mac: '00:6c:bc:1c:a8:65', port: 'Router', vlan: 51, state: 'static', system: true, current: true }] }).map((r) => r.state)).toEqual(['static (sys)']);
    // The engine's answer (devices.where with history): current bindings first, past ones after, with findings.
    const answer = {
      rows: [
        { source: 'arp', device: 'tn-gw', ip: '211.79.60.27', mac: '02:00:00:00:00:27', interface: 'TenGigE0/5/0/3', port: '', vlan: null, state: 'Dynamic', firstSeen: NOW - 3_600_000, lastSeen: NOW, current: false },
        { source: 'arp', device: 'l3sw', ip: '211.79.60.27', mac: '70:e4:22:19:86:f9', interface: 'Vlan10', port: 'Gi1/0/3', vlan: 10, state: 'Dynamic', firstSeen: NOW - 600_000, lastSeen: NOW + 300_000, current: true },
      ],
      findings: [{ kind: 'ip-moved-mac', reason: 'IP 211.79.60.27 answered from 2 MACs: 02:00:00:00:00:27 → 70:e4:22:19:86:f9\x1b[2J' }],
    };
    const two = toDeviceRows(answer);
    expect(two.map(deviceRowText)).toEqual([
      '● 70:e4:22:19:86:f9  l3sw  Vlan10 Gi1/0/3 vlan 10  Dynamic  11-22 13:50→14:05',
      '· 02:00:00:00:00:27  tn-gw  TenGigE0/5/0/3  Dynamic  11-22 13:00→14:00',
    ]);
    // Without fields, the engine's reason (control characters stripped).
    expect(toDeviceFindings(answer)).toEqual(['IP 211.79.60.27 answered from 2 MACs: 02:00:00:00:00:27 → 70:e4:22:19:86:f9']);
    expect(toDeviceFindings({ rows: [] })).toEqual([]);
    // With fields, worded in the screen's language.
    const findings = {
      findings: [
        { kind: 'unused', reason: 'x', ip: '211.79.60.29', on: ['Incomplete on tn-gw'] },
        { kind: 'mac-several-ips', reason: 'x', mac: 'b4:0c:25:ef:40:4c', ips: ['211.79.60.30', '211.79.60.31'] },
        { kind: 'ip-moved-mac', reason: 'x', ip: '211.79.60.27', trail: ['70:e4:22:19:86:f9', '02:00:00:00:00:27'] },
        { kind: 'ip-moved-port', reason: 'x', ip: '10.9.0.5', trail: ['sw1 Eth1/1', 'sw1 Eth1/2\x1b[2J'] },
      ],
    };
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
