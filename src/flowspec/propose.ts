/**
 * A rule proposed from an anomaly (pure): an attacker is matched by source (narrowed by its main port when one port
 * dominates); a victim by destination narrowed by protocol and port, rate-limited rather than discarded, and never
 * by source when its sources look spoofed.
 */
import type { Anomaly } from '../engine/types.js';
import { validateRule, type FlowSpecRule, type RuleInput } from './rule.js';

/** A proposal with the reasoning shown to the operator. */
import { factText, type ProposalFact } from '../i18n/flowspec-text.js';

export type { ProposalFact };

export interface Proposal {
  rule: FlowSpecRule;
  /** In English (CLI, audit); `facts` carries the same for screens to word in their language. */
  notes: string[];
  facts: ProposalFact[];
}

/** Propose a rule for an anomaly. */
export function proposeRule(a: Anomaly, opts: { victimRateBytesPerSecond?: number } = {}): Proposal {
  const len = a.ip.includes(':') ? 128 : 32;
  const p0 = a.features.protocols[0];
  const d0 = a.features.dstPorts[0];
  const proto = p0 && p0.share >= 0.9 ? Number(p0.value) : undefined;
  const port = d0 && d0.share >= 0.9 && (proto === 6 || proto === 17) ? Number(d0.value) : undefined;
  const facts: ProposalFact[] = [];
  let input: RuleInput;
  if (a.role === 'victim') {
    input = { destination: `${a.ip}/${len}`, protocol: proto, destinationPort: port, action: 'rate-limit', bytesPerSecond: opts.victimRateBytesPerSecond ?? 1_000_000 };
    facts.push({ kind: 'victim' });
    if ((a.victim?.spoofedShare ?? 0) >= 0.5) facts.push({ kind: 'spoofed', share: a.victim!.spoofedShare });
    if (a.entryPoints?.[0]) facts.push({ kind: 'entry', exporter: a.entryPoints[0].exporter, interface: a.entryPoints[0].interface, share: a.entryPoints[0].share });
  } else {
    input = { source: `${a.ip}/${len}`, protocol: port !== undefined ? proto : undefined, destinationPort: port, action: 'discard' };
    facts.push(port !== undefined ? { kind: 'attacker', port } : { kind: 'attacker' });
  }
  return { rule: validateRule(input), notes: facts.map((f) => factText(f, 'en')), facts };
}
