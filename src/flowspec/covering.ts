/**
 * Which FlowSpec rules cover an address or prefix (pure): the one answer the engine gives (`block.covering`, the
 * Investigate view's "Blocks covering it"). A rule covers a target when its source or destination prefix overlaps
 * it: the rule's prefix contains the investigated address (a /24 block covers 198.51.100.7), or lies inside the
 * investigated prefix (a /32 block inside 198.51.100.0/24).
 */
import type { FlowSpecRule } from './rule.js';
import { parsePrefix, prefixesOverlap, type Prefix } from '../util/ip.js';

/** True when the rule's source or destination prefix overlaps `target`. */
export function ruleCovers(rule: FlowSpecRule, target: Prefix): boolean {
  return [rule.source, rule.destination].some((p) => p !== undefined && prefixesOverlap(parsePrefix(p), target));
}

/** The target as a prefix (an address is its /32 or /128); throws IpError for anything else. */
export function coveringTarget(text: string): Prefix {
  return parsePrefix(text.trim(), { loose: true });
}
