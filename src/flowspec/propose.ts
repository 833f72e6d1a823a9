/**
 * A rule proposed from an anomaly (pure): an attacker is matched by source (narrowed by its main port when one port
 * dominates); a victim by destination narrowed by protocol and port, rate-limited rather than discarded, and never
 * by source when its sources look spoofed.
 */
import type { Anomaly } from '../engine/types.js';
import { validateRule, type FlowSpecRule, type RuleInput } from './rule.js';

/** A proposal with the reasoning shown to the operator. */
export interface Proposal {
  rule: FlowSpecRule;
  notes: string[];
}

/** Propose a rule for an anomaly. */
export function proposeRule(a: Anomaly, opts: { victimRateBytesPerSecond?: number } = {}): Proposal {
  const len = a.ip.includes(':') ? 128 : 32;
  const p0 = a.features.protocols[0];
  const d0 = a.features.dstPorts[0];
  const proto = p0 && p0.share >= 0.9 ? Number(p0.value) : undefined;
  const port = d0 && d0.share >= 0.9 && (proto === 6 || proto === 17) ? Number(d0.value) : undefined;
  const notes: string[] = [];
  let input: RuleInput;
  if (a.role === 'victim') {
    input = { destination: `${a.ip}/${len}`, protocol: proto, destinationPort: port, action: 'rate-limit', bytesPerSecond: opts.victimRateBytesPerSecond ?? 1_000_000 };
    notes.push('victim: matched by destination, narrowed by protocol and port, rate-limited (a discard would complete the attack)');
    if ((a.victim?.spoofedShare ?? 0) >= 0.5) notes.push(`${Math.round(a.victim!.spoofedShare * 100)}% of sources look spoofed: no source match`);
    if (a.entryPoints?.[0]) notes.push(`largest entry: ${a.entryPoints[0].exporter} interface ${a.entryPoints[0].interface} (${Math.round(a.entryPoints[0].share * 100)}%)`);
  } else {
    input = { source: `${a.ip}/${len}`, protocol: port !== undefined ? proto : undefined, destinationPort: port, action: 'discard' };
    notes.push(port !== undefined ? `attacker: its traffic to port ${port} is discarded` : 'attacker: all its traffic is discarded');
  }
  return { rule: validateRule(input), notes };
}
