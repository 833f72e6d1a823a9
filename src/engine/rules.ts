/**
 * Anomaly types as data (pure). Each rule declares its role, the indicators it measures against thresholds
 * (over / super), and a qualitative condition on the features; `evaluate` returns evidence saying which threshold
 * fired and by how much. Volume thresholds (flows, packets, bytes) are per 5 minutes and scale with the window's
 * length, so a capture of a few seconds is judged at the same rate; distinct counts do not scale.
 */
import type { AnomalyType, Evidence, Features, Role, Severity } from './types.js';

/** Default thresholds; override any key through config `engine.thresholds`. */
export const DEFAULT_THRESHOLDS = {
  'scan.peers': 1000,
  'scan.peers.super': 100000,
  'scan.ports': 500,
  'scan.maxPacketsPerFlow': 3.5,
  'scan.maxBytesPerPacket': 120,
  'many-peers.peers': 5000,
  'many-peers.peers.super': 50000,
  'syn-attack.synFlows': 20000,
  'syn-attack.synFlows.super': 500000,
  'syn-attack.maxPeers': 100,
  'egress-high.bytes': 5e9,
  'egress-high.bytes.super': 5e10,
  'ingress-high.bytes': 5e9,
  'ingress-high.bytes.super': 5e10,
  'wide-exfil.bytes': 1e9,
  'wide-exfil.bytes.super': 1e10,
  'wide-exfil.peers': 500,
  'wide-exfil.minBytesPerFlow': 20000,
  'many-flows.flows': 100000,
  'many-flows.flows.super': 1000000,
  'many-packets.packets': 1e7,
  'many-packets.packets.super': 1e8,
  'many-bytes.bytes': 2e10,
  'many-bytes.bytes.super': 2e11,
  'dos-victim.flows': 20000,
  'dos-victim.flows.super': 500000,
  'dos-victim.maxSources': 100,
  'port-ddos-victim.sources': 1000,
  'port-ddos-victim.sources.super': 100000,
  'port-ddos-victim.portShare': 0.8,
  'ddos-scan-victim.sources': 1000,
  'ddos-scan-victim.sources.super': 100000,
  'ddos-scan-victim.ports': 100,
  'victim.maxPacketsPerFlow': 3,
  'victim.maxBytesPerPacket': 100,
  'undefined.peers': 1000,
  // campus mode
  'unused-probe.targets': 10,
  'unused-probe.targets.super': 1000,
  // with device ARP tables (any mode): distinct ARP-confirmed unused addresses a sender reached, and the most
  // distinct senders one unused address may have before it counts as a flood target rather than a probe target
  'unused-probe.arpTargets': 1,
  'unused-probe.arpTargets.super': 100,
  'unused-probe.arpMaxSources': 200,
  'tiny-packets.maxBytesPerPacket': 48,
  'tiny-packets.flows': 20,
  'campus-sweep.share': 0.5,
  'campus-sweep.minActive': 10,
  'tcp-flood.packets': 50000,
  'tcp-flood.packets.super': 5000000,
  'tcp-flood.maxTargets': 3,
  'campus-many-peers.peers': 1000,
  'campus-many-peers.peers.super': 10000,
  'p2p.bytes': 1e7,
  'p2p.peers': 50,
  'p2p.maxBytesPerPacket': 700,
  'cc-beacon.minFlows': 6,
  'cc-beacon.maxIntervalCv': 0.25,
  'cc-beacon.maxBytesCv': 0.25,
  'cc-beacon.maxBytesPerFlow': 20000,
} as const;

export type ThresholdKey = keyof typeof DEFAULT_THRESHOLDS;
export type Thresholds = Record<ThresholdKey, number>;

/** Defaults merged with overrides; unknown keys are reported, not ignored silently. */
export function resolveThresholds(overrides: Record<string, number> = {}): { thresholds: Thresholds; unknown: string[] } {
  const unknown = Object.keys(overrides).filter((k) => !(k in DEFAULT_THRESHOLDS));
  return { thresholds: { ...DEFAULT_THRESHOLDS, ...overrides } as Thresholds, unknown };
}

/** What the rules see of one IP in one role. */
export interface HostView {
  role: Role;
  /** Distinct peers in this role (destinations for a source, sources for a destination). */
  peers: number;
  /** Distinct destination ports (as source) or distinct ports hit (as destination). */
  ports: number;
  flows: number;
  packets: number;
  bytes: number;
  /** Bytes in the opposite direction. */
  reverseBytes: number;
  features: Features;
  packetsPerFlow: number;
  bytesPerPacket: number;
  bytesPerFlow: number;
  /** Share of the top destination port. */
  topPortShare: number;
  /** Victims: share of sources that look spoofed, share the victim answered. */
  spoofedShare: number;
  answeredShare: number;
  /** Whitelisted as a known server. */
  knownServer: boolean;
  /** Window length / 300 s: volume thresholds are multiplied by it. */
  scale: number;
  /** Campus mode extras (undefined in backbone mode). */
  campus?: CampusView;
  /** Sender: ARP-confirmed unused addresses it reached (undefined without device tables). */
  arpUnused?: { targets: number; flows: number };
}

export interface CampusView {
  inside: boolean;
  /** External source: inside addresses it sent to that sent nothing in the window. */
  unusedTargets: number;
  /** External source: inside hosts it touched, and how many inside hosts were active. */
  insideTargets: number;
  /** Of those, the ones that were active (sent something out) in the window. */
  activeTargets: number;
  activeInside: number;
  /** External source: bytes per packet of its flows to inside hosts, and their count. */
  inBytesPerPacket: number;
  inFlows: number;
  inPackets: number;
  inTcpShare: number;
  /** Inside host: regular beacon found (intervals' and sizes' coefficient of variation), if any. */
  beacon?: { peer: string; port: number; flows: number; intervalCv: number; bytesCv: number; meanInterval: number; bytesPerFlow: number };
}

interface Indicator {
  name: string;
  value: (v: HostView) => number;
  over: ThresholdKey;
  super?: ThresholdKey;
  /** Volume thresholds scale with the window length. */
  volume?: boolean;
}

/** One anomaly type: a declaration. */
export interface Rule {
  type: AnomalyType;
  role: Role | 'external' | 'inside';
  /** Lower fires first: when several rules match an IP in one role, the lowest priority number is reported. */
  priority: number;
  indicators: Indicator[];
  /** Qualitative condition beyond the thresholds; returns true when the pattern holds. */
  when?: (v: HostView, t: Thresholds) => boolean;
}

const smallPackets = (v: HostView, t: Thresholds) =>
  v.packetsPerFlow <= t['scan.maxPacketsPerFlow'] && v.bytesPerPacket <= t['scan.maxBytesPerPacket'];
const notServer = (v: HostView) => v.features.serverLike !== true && !v.knownServer;
/**
 * Inbound traffic that looks like an attack rather than clients of a working service: handshakes that never
 * complete (SYN without ACK), or tiny flows the victim does not answer. Spoofed-looking sources alone do not decide:
 * clients of a resolver also talk to nothing else in a window.
 */
const attackLikeInbound = (v: HostView, t: Thresholds) => {
  const tiny = v.packetsPerFlow <= t['victim.maxPacketsPerFlow'] && v.bytesPerPacket <= t['victim.maxBytesPerPacket'];
  return v.features.synOnlyShare >= 0.5 || (tiny && v.answeredShare < 0.5);
};

const peers: Indicator['value'] = (v) => v.peers;

/** The backbone rules, in the seeds' table order. */
export const RULES: Rule[] = [
  {
    type: 'scan',
    role: 'attacker',
    priority: 10,
    indicators: [{ name: 'distinct destinations', value: peers, over: 'scan.peers', super: 'scan.peers.super' }],
    when: (v, t) => notServer(v) && smallPackets(v, t),
  },
  {
    // Vertical scan: many ports of few hosts, small packets.
    type: 'scan',
    role: 'attacker',
    priority: 11,
    indicators: [{ name: 'distinct destination ports', value: (v) => v.ports, over: 'scan.ports' }],
    when: (v, t) => notServer(v) && smallPackets(v, t),
  },
  {
    type: 'syn-attack',
    role: 'attacker',
    priority: 20,
    indicators: [{ name: 'SYN-only flows', value: (v) => v.flows * v.features.synOnlyShare, over: 'syn-attack.synFlows', super: 'syn-attack.synFlows.super', volume: true }],
    when: (v, t) => v.peers <= t['syn-attack.maxPeers'],
  },
  {
    type: 'many-peers',
    role: 'attacker',
    priority: 30,
    indicators: [{ name: 'distinct destinations', value: peers, over: 'many-peers.peers', super: 'many-peers.peers.super' }],
    when: (v) => notServer(v),
  },
  {
    type: 'wide-exfil',
    role: 'attacker',
    priority: 40,
    indicators: [
      { name: 'bytes sent', value: (v) => v.bytes, over: 'wide-exfil.bytes', super: 'wide-exfil.bytes.super', volume: true },
      { name: 'distinct destinations', value: peers, over: 'wide-exfil.peers' },
      { name: 'bytes per flow', value: (v) => v.bytesPerFlow, over: 'wide-exfil.minBytesPerFlow' },
    ],
    when: (v) => notServer(v),
  },
  {
    type: 'egress-high',
    role: 'attacker',
    priority: 50,
    indicators: [{ name: 'bytes sent', value: (v) => v.bytes, over: 'egress-high.bytes', super: 'egress-high.bytes.super', volume: true }],
  },
  {
    type: 'many-flows',
    role: 'attacker',
    priority: 60,
    indicators: [{ name: 'flows', value: (v) => v.flows, over: 'many-flows.flows', super: 'many-flows.flows.super', volume: true }],
  },
  {
    type: 'many-packets',
    role: 'attacker',
    priority: 70,
    indicators: [{ name: 'packets', value: (v) => v.packets, over: 'many-packets.packets', super: 'many-packets.packets.super', volume: true }],
  },
  {
    type: 'many-bytes',
    role: 'attacker',
    priority: 80,
    indicators: [{ name: 'bytes both ways', value: (v) => v.bytes + v.reverseBytes, over: 'many-bytes.bytes', super: 'many-bytes.bytes.super', volume: true }],
  },
  {
    // The seeds' gateway check: the device tables hold only Incomplete/Deleted (or MAC 0) for these addresses, yet
    // this sender sent to them. Ranked after the volume types, so a wide scanner stays a scan and lists this in
    // alsoMatched; a sender nothing else names is reported as this.
    type: 'unused-probe',
    role: 'attacker',
    priority: 95,
    indicators: [{ name: 'unused addresses contacted (ARP)', value: (v) => v.arpUnused?.targets ?? 0, over: 'unused-probe.arpTargets', super: 'unused-probe.arpTargets.super' }],
  },
  {
    type: 'undefined',
    role: 'attacker',
    priority: 99,
    indicators: [{ name: 'distinct destinations', value: peers, over: 'undefined.peers' }],
    when: (v) => notServer(v),
  },
  {
    type: 'port-ddos-victim',
    role: 'victim',
    priority: 10,
    indicators: [{ name: 'distinct sources', value: peers, over: 'port-ddos-victim.sources', super: 'port-ddos-victim.sources.super' }],
    when: (v, t) => v.topPortShare >= t['port-ddos-victim.portShare'] && attackLikeInbound(v, t),
  },
  {
    type: 'ddos-scan-victim',
    role: 'victim',
    priority: 20,
    indicators: [
      { name: 'distinct sources', value: peers, over: 'ddos-scan-victim.sources', super: 'ddos-scan-victim.sources.super' },
      { name: 'distinct ports hit', value: (v) => v.ports, over: 'ddos-scan-victim.ports' },
    ],
    when: (v, t) => attackLikeInbound(v, t),
  },
  {
    type: 'dos-victim',
    role: 'victim',
    priority: 30,
    indicators: [{ name: 'flows received', value: (v) => v.flows, over: 'dos-victim.flows', super: 'dos-victim.flows.super', volume: true }],
    when: (v, t) => v.peers <= t['dos-victim.maxSources'] && attackLikeInbound(v, t),
  },
  {
    type: 'ingress-high',
    role: 'victim',
    priority: 40,
    indicators: [{ name: 'bytes received', value: (v) => v.bytes, over: 'ingress-high.bytes', super: 'ingress-high.bytes.super', volume: true }],
  },
];

/** Campus-mode rules (inside prefixes configured): list C (external attackers) and internal hosts. */
export const CAMPUS_RULES: Rule[] = [
  {
    type: 'unused-probe',
    role: 'external',
    priority: 5,
    indicators: [{ name: 'unused inside addresses contacted', value: (v) => v.campus?.unusedTargets ?? 0, over: 'unused-probe.targets', super: 'unused-probe.targets.super' }],
  },
  {
    type: 'campus-sweep',
    role: 'external',
    priority: 6,
    indicators: [{ name: 'share of active inside hosts touched', value: (v) => (v.campus && v.campus.activeInside > 0 ? v.campus.activeTargets / v.campus.activeInside : 0), over: 'campus-sweep.share' }],
    when: (v, t) => (v.campus?.activeInside ?? 0) >= t['campus-sweep.minActive'],
  },
  {
    type: 'tcp-flood',
    role: 'external',
    priority: 7,
    indicators: [{ name: 'packets to inside hosts', value: (v) => v.campus?.inPackets ?? 0, over: 'tcp-flood.packets', super: 'tcp-flood.packets.super', volume: true }],
    when: (v, t) => (v.campus?.insideTargets ?? 0) <= t['tcp-flood.maxTargets'] && (v.campus?.inTcpShare ?? 0) >= 0.9,
  },
  {
    type: 'tiny-packets',
    role: 'external',
    priority: 8,
    indicators: [{ name: 'flows to inside hosts', value: (v) => v.campus?.inFlows ?? 0, over: 'tiny-packets.flows' }],
    when: (v, t) => (v.campus?.inBytesPerPacket ?? Infinity) <= t['tiny-packets.maxBytesPerPacket'],
  },
  {
    type: 'cc-beacon',
    role: 'inside',
    priority: 5,
    indicators: [{ name: 'regular check-ins to one peer', value: (v) => v.campus?.beacon?.flows ?? 0, over: 'cc-beacon.minFlows' }],
  },
  {
    type: 'p2p',
    role: 'inside',
    priority: 6,
    indicators: [
      { name: 'bytes sent', value: (v) => v.bytes, over: 'p2p.bytes', volume: true },
      { name: 'bytes received', value: (v) => v.reverseBytes, over: 'p2p.bytes', volume: true },
      { name: 'distinct peers', value: peers, over: 'p2p.peers' },
    ],
    when: (v, t) => v.bytesPerPacket <= t['p2p.maxBytesPerPacket'] && !v.knownServer,
  },
  {
    type: 'many-peers',
    role: 'inside',
    priority: 7,
    indicators: [{ name: 'distinct external peers', value: peers, over: 'campus-many-peers.peers', super: 'campus-many-peers.peers.super' }],
    when: (v) => !v.knownServer && v.features.serverLike !== true,
  },
];

/** The result of evaluating one rule. */
export interface RuleHit {
  rule: Rule;
  severity: Severity;
  evidence: Evidence[];
  score: number;
}

/** Evaluate one rule on a host view: evidence when every indicator is over its threshold and the condition holds. */
export function evaluate(rule: Rule, v: HostView, t: Thresholds): RuleHit | undefined {
  const evidence: Evidence[] = [];
  let severity: Severity = 'over';
  for (const ind of rule.indicators) {
    const value = ind.value(v);
    const scale = ind.volume ? v.scale : 1;
    const threshold = t[ind.over] * scale;
    if (!(value >= threshold) || threshold <= 0) return undefined;
    evidence.push({ indicator: ind.name, value, threshold, ratio: value / threshold });
    if (ind.super && value >= t[ind.super] * scale) severity = 'super';
  }
  if (rule.when && !rule.when(v, t)) return undefined;
  const maxRatio = Math.max(...evidence.map((e) => e.ratio));
  const score = Math.round((Math.log2(1 + maxRatio) * 10 + (severity === 'super' ? 50 : 0)) * 100) / 100;
  return { rule, severity, evidence, score };
}

/** All hits of a rule set for one view, best first (priority, then score). */
export function evaluateAll(rules: Rule[], v: HostView, t: Thresholds): RuleHit[] {
  const hits: RuleHit[] = [];
  for (const r of rules) {
    const h = evaluate(r, v, t);
    if (h) hits.push(h);
  }
  return hits.sort((a, b) => a.rule.priority - b.rule.priority || b.score - a.score);
}
