/**
 * Safety guards for a block (pure): each guard is a small predicate that returns the reason it refuses, or nothing.
 * Every refusal says why; `force` lifts only the prefix-length guard.
 */
import type { FlowSpecRule } from './rule.js';
import { parsePrefix, prefixesOverlap, type Prefix } from '../util/ip.js';

/** What the guards look at besides the rule. */
export interface GuardContext {
  /** Own infrastructure, DNS, peering LANs, whitelisted servers: never blocked. */
  protectedPrefixes: string[];
  minPrefixV4: number;
  minPrefixV6: number;
  force: boolean;
  activeRules: number;
  maxActiveRules: number;
  /** Announcements and withdrawals in the last minute. */
  changesLastMinute: number;
  maxChangesPerMinute: number;
  /** Share of the anomaly's sources that look spoofed (victims), when the block comes from an anomaly. */
  spoofedShare?: number;
  /** A victim's bare /32 (/128) discard needs an explicit confirmation. */
  confirmedVictimDiscard?: boolean;
  victimIp?: string;
}

export type Guard = (r: FlowSpecRule, c: GuardContext) => string | undefined;

const prefixes = (r: FlowSpecRule): { what: string; p: Prefix }[] =>
  [
    ...(r.source ? [{ what: 'source', p: parsePrefix(r.source) }] : []),
    ...(r.destination ? [{ what: 'destination', p: parsePrefix(r.destination) }] : []),
  ];

/** The guards, in the order they are checked. */
export const GUARDS: { id: string; check: Guard }[] = [
  {
    id: 'protected',
    check: (r, c) => {
      for (const { what, p } of prefixes(r)) {
        for (const text of c.protectedPrefixes) {
          const prot = parsePrefix(text, { loose: true });
          if (prefixesOverlap(p, prot)) return `${what} ${p.address}/${p.length} overlaps protected prefix ${text}`;
        }
      }
      return undefined;
    },
  },
  {
    id: 'prefix-length',
    check: (r, c) => {
      if (c.force) return undefined;
      for (const { what, p } of prefixes(r)) {
        const min = p.family === 4 ? c.minPrefixV4 : c.minPrefixV6;
        if (p.length < min) return `${what} /${p.length} is shorter than /${min} (use --force to override)`;
      }
      return undefined;
    },
  },
  {
    id: 'spoofed-source',
    check: (r, c) =>
      r.source && (c.spoofedShare ?? 0) >= 0.5
        ? `${Math.round((c.spoofedShare ?? 0) * 100)}% of the sources look spoofed: blocking a source would miss the attack; block by destination and signature instead`
        : undefined,
  },
  {
    id: 'victim-bare-discard',
    check: (r, c) => {
      if (!c.victimIp || c.confirmedVictimDiscard || r.action.kind !== 'discard' || !r.destination) return undefined;
      const host = r.destination.endsWith('/32') || r.destination.endsWith('/128');
      const bare = r.protocol === undefined && r.destinationPort === undefined && r.packetLength === undefined && r.source === undefined;
      return host && bare ? `a bare discard of victim ${c.victimIp} would finish the attack for the attacker: narrow it by protocol/port, rate-limit it, or confirm it (nocflow block … --yes)` : undefined;
    },
  },
  {
    id: 'max-rules',
    check: (_r, c) => (c.activeRules >= c.maxActiveRules ? `already ${c.activeRules} active rules (limit ${c.maxActiveRules}; routers hold only a few thousand)` : undefined),
  },
  {
    id: 'churn',
    check: (_r, c) => (c.changesLastMinute >= c.maxChangesPerMinute ? `${c.changesLastMinute} rule changes in the last minute (limit ${c.maxChangesPerMinute}); try again shortly` : undefined),
  },
];

/** The first refusal, or undefined when every guard lets the rule through. */
export function checkGuards(r: FlowSpecRule, c: GuardContext): { guard: string; reason: string } | undefined {
  for (const g of GUARDS) {
    const reason = g.check(r, c);
    if (reason) return { guard: g.id, reason };
  }
  return undefined;
}
