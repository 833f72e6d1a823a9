/**
 * The FlowSpec rule as a value (pure): validation, a canonical key, equality, the gobgp CLI argument array, and the
 * NLRI text GoBGP shows for it (used to match the speaker's RIB during reconciliation). A malformed address never
 * becomes a rule, so it never reaches a router.
 */
import type { FlowFilter } from '../engine/types.js';
import { canonicalIp, compareIp, parsePrefix, prefixToString, type Prefix } from '../util/ip.js';

/** What a rule does to matching traffic. */
export type RuleAction = { kind: 'discard' } | { kind: 'rate-limit'; bytesPerSecond: number };

/** A validated FlowSpec rule. Prefixes are canonical "addr/len" text. */
export interface FlowSpecRule {
  family: 4 | 6;
  source?: string;
  destination?: string;
  /** IP protocol number. */
  protocol?: number;
  destinationPort?: number;
  sourcePort?: number;
  /** Total packet length in bytes (e.g. from a signature's bytes / packets). */
  packetLength?: number;
  action: RuleAction;
  /** Extended community for the routers' policy ("65000:666"), optional. */
  community?: string;
  /**
   * Announced only to these BGP neighbours (addresses, sorted; entry-point mitigation). Absent: to every neighbour.
   * Not part of the match: the same match cannot be announced twice, whatever its scope.
   */
  neighbors?: string[];
}

/** Input as it comes from a CLI, a TUI proposal or the socket. */
export interface RuleInput {
  source?: string;
  destination?: string;
  protocol?: string | number;
  destinationPort?: number | string;
  sourcePort?: number | string;
  packetLength?: number | string;
  action?: 'discard' | 'rate-limit';
  bytesPerSecond?: number | string;
  community?: string;
  neighbors?: string[];
}

/** A rule that cannot be built, with every reason. */
export class RuleError extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
    this.name = 'RuleError';
  }
}

const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, gre: 47, esp: 50, icmpv6: 58 };
/** Names gobgp's CLI knows (others go as numbers). */
const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre' };

function intIn(v: unknown, lo: number, hi: number, what: string, reasons: string[]): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : /^\d+$/.test(String(v).trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < lo || n > hi) {
    reasons.push(`${what} must be an integer from ${lo} to ${hi}, got "${String(v)}"`);
    return undefined;
  }
  return n;
}

/** Validate input into a rule; throws RuleError listing every problem. */
export function validateRule(input: RuleInput): FlowSpecRule {
  const reasons: string[] = [];
  const prefix = (text: string | undefined, what: string): Prefix | undefined => {
    if (text === undefined || text === '') return undefined;
    try {
      return parsePrefix(String(text));
    } catch (err) {
      reasons.push(`${what}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const src = prefix(input.source, 'source');
  const dst = prefix(input.destination, 'destination');
  if (!src && !dst && reasons.length === 0) reasons.push('a rule needs a source or a destination prefix');
  if (src && dst && src.family !== dst.family) reasons.push(`source is IPv${src.family} but destination is IPv${dst.family}`);
  for (const [p, what] of [[src, 'source'], [dst, 'destination']] as const) {
    if (p && p.length === 0) reasons.push(`${what} /0 would match everything`);
  }
  let protocol: number | undefined;
  if (input.protocol !== undefined && input.protocol !== '') {
    const t = String(input.protocol).toLowerCase();
    protocol = PROTOCOLS[t] ?? intIn(t, 0, 255, 'protocol', reasons);
  }
  const destinationPort = intIn(input.destinationPort, 0, 65535, 'destination port', reasons);
  const sourcePort = intIn(input.sourcePort, 0, 65535, 'source port', reasons);
  const packetLength = intIn(input.packetLength, 20, 65535, 'packet length', reasons);
  if ((destinationPort !== undefined || sourcePort !== undefined) && protocol !== undefined && protocol !== 6 && protocol !== 17) {
    reasons.push('ports only make sense with tcp or udp');
  }
  let action: RuleAction = { kind: 'discard' };
  if (input.action === 'rate-limit' || input.bytesPerSecond !== undefined) {
    const bps = Number(input.bytesPerSecond);
    if (!Number.isFinite(bps) || bps < 0 || bps > 1e12) reasons.push(`rate must be bytes per second from 0 to 1e12, got "${String(input.bytesPerSecond)}"`);
    else action = { kind: 'rate-limit', bytesPerSecond: Math.round(bps) };
  } else if (input.action !== undefined && input.action !== 'discard') {
    reasons.push(`unknown action "${String(input.action)}"`);
  }
  if (input.community !== undefined && input.community !== '' && !/^\d{1,10}:\d{1,10}$/.test(input.community)) reasons.push(`community must look like 65000:666, got "${input.community}"`);
  const neighbors: string[] = [];
  for (const n of input.neighbors ?? []) {
    const ip = canonicalIp(String(n));
    if (!ip) reasons.push(`neighbour "${String(n)}" is not an IP address`);
    else if (!neighbors.includes(ip)) neighbors.push(ip);
  }
  if (reasons.length) throw new RuleError(reasons);
  const rule: FlowSpecRule = { family: (src ?? dst)!.family, action };
  if (src) rule.source = prefixToString(src);
  if (dst) rule.destination = prefixToString(dst);
  if (protocol !== undefined) rule.protocol = protocol;
  if (destinationPort !== undefined) rule.destinationPort = destinationPort;
  if (sourcePort !== undefined) rule.sourcePort = sourcePort;
  if (packetLength !== undefined) rule.packetLength = packetLength;
  if (input.community) rule.community = input.community;
  if (neighbors.length) rule.neighbors = neighbors.sort(compareIp);
  return rule;
}

/** The match part as GoBGP prints the NLRI ("[destination: 192.0.2.10/32][protocol: ==tcp][destination-port: ==80]"). */
export function nlriText(r: FlowSpecRule): string {
  const parts: string[] = [];
  // GoBGP prints IPv6 prefixes with their offset ("/0").
  const off = r.family === 6 ? '/0' : '';
  if (r.destination) parts.push(`[destination: ${r.destination}${off}]`);
  if (r.source) parts.push(`[source: ${r.source}${off}]`);
  if (r.protocol !== undefined) parts.push(`[protocol: ==${PROTO_NAMES[r.protocol] ?? r.protocol}]`);
  if (r.destinationPort !== undefined) parts.push(`[destination-port: ==${r.destinationPort}]`);
  if (r.sourcePort !== undefined) parts.push(`[source-port: ==${r.sourcePort}]`);
  if (r.packetLength !== undefined) parts.push(`[packet-length: ==${r.packetLength}]`);
  return parts.join('');
}

/** Canonical identity of a rule's match (two rules with the same key cannot both be announced). */
export function ruleKey(r: FlowSpecRule): string {
  return `ipv${r.family}|${nlriText(r)}`;
}

/** Equality of whole rules (match and action). */
export function sameRule(a: FlowSpecRule, b: FlowSpecRule): boolean {
  return ruleKey(a) === ruleKey(b) && JSON.stringify(a.action) === JSON.stringify(b.action) && a.community === b.community && (a.neighbors ?? []).join(',') === (b.neighbors ?? []).join(',');
}

/** Human text of a rule: "ipv4 dst 192.0.2.10/32 tcp dport 80 → rate-limit 1000 B/s". */
export function ruleText(r: FlowSpecRule): string {
  const m: string[] = [];
  if (r.source) m.push(`src ${r.source}`);
  if (r.destination) m.push(`dst ${r.destination}`);
  if (r.protocol !== undefined) m.push(PROTO_NAMES[r.protocol] ?? `proto ${r.protocol}`);
  if (r.sourcePort !== undefined) m.push(`sport ${r.sourcePort}`);
  if (r.destinationPort !== undefined) m.push(`dport ${r.destinationPort}`);
  if (r.packetLength !== undefined) m.push(`len ${r.packetLength}`);
  const act = r.action.kind === 'discard' ? 'discard' : `rate-limit ${r.action.bytesPerSecond} B/s`;
  return `ipv${r.family} ${m.join(' ')} → ${act}${r.community ? ` community ${r.community}` : ''}${r.neighbors?.length ? ` at ${r.neighbors.join(' ')}` : ''}`;
}

/**
 * The gobgp CLI words after `global rib -a ipvN-flowspec add|del` for this rule (an argument array, no shell).
 * `targets`: the communities that steer the route to its neighbours only (the managed gobgpd's export policy).
 */
export function gobgpRuleArgs(r: FlowSpecRule, op: 'add' | 'del', targets: string[] = []): string[] {
  const args = ['global', 'rib', '-a', `ipv${r.family}-flowspec`, op, 'match'];
  if (r.destination) args.push('destination', r.destination);
  if (r.source) args.push('source', r.source);
  if (r.protocol !== undefined) args.push('protocol', PROTO_NAMES[r.protocol] ?? String(r.protocol));
  if (r.destinationPort !== undefined) args.push('destination-port', `==${r.destinationPort}`);
  if (r.sourcePort !== undefined) args.push('source-port', `==${r.sourcePort}`);
  if (r.packetLength !== undefined) args.push('packet-length', `==${r.packetLength}`);
  if (op === 'add') {
    args.push('then');
    if (r.action.kind === 'discard') args.push('discard');
    else args.push('rate-limit', String(r.action.bytesPerSecond));
    const communities = [...(r.community ? [r.community] : []), ...targets];
    if (communities.length) args.push('community', communities.join(','));
  }
  return args;
}

/**
 * The flows a rule matches, as a structured flow predicate (`reverse`: the answers — source and destination swapped,
 * addresses only, since an answer comes back from the service port).
 */
export function ruleFilter(r: FlowSpecRule, reverse = false): FlowFilter {
  if (reverse) {
    return { ...(r.destination ? { src: [r.destination] } : {}), ...(r.source ? { dst: [r.source] } : {}) };
  }
  return {
    ...(r.source ? { src: [r.source] } : {}),
    ...(r.destination ? { dst: [r.destination] } : {}),
    ...(r.protocol !== undefined ? { proto: [r.protocol] } : {}),
    ...(r.destinationPort !== undefined ? { dstPort: [r.destinationPort] } : {}),
    ...(r.sourcePort !== undefined ? { srcPort: [r.sourcePort] } : {}),
  };
}
