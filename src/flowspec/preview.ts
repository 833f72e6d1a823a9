/**
 * Impact preview of a rule on the last window: how many flows, packets and bytes it would have matched, and how many
 * of those belong to two-way conversations (the other side answered) — with inside hosts when inside prefixes are
 * configured. Reads the window's nfcapd file(s) through the FlowSource with predicates built from the validated rule.
 */
import type { FlowSource } from '../engine/types.js';
import { batchRow } from '../engine/batch.js';
import { PrefixSet } from '../util/ip.js';
import { ruleFilter, type FlowSpecRule } from './rule.js';

/** What the rule would have matched. */
export interface Impact {
  files: string[];
  flows: number;
  packets: number;
  bytes: number;
  /** Matched flows whose reverse direction was seen (a real conversation: collateral damage). */
  twoWayFlows: number;
  /** Of those, with an inside host on the other side (campus mode). */
  twoWayInside: number;
}

/** Compute the preview (packet length is not filterable in nfdump: flows are checked by bytes/packets instead). */
export async function previewImpact(rule: FlowSpecRule, files: string[], source: FlowSource, inside: string[] = []): Promise<Impact> {
  const imp: Impact = { files, flows: 0, packets: 0, bytes: 0, twoWayFlows: 0, twoWayInside: 0 };
  if (files.length === 0) return imp;
  const pairs = new Map<string, number>();
  for await (const b of source.read(files, { filter: ruleFilter(rule) })) {
    for (let i = 0; i < b.size; i++) {
      const f = batchRow(b, i);
      if (rule.packetLength !== undefined && Math.round(f.bytes / Math.max(1, f.packets)) !== rule.packetLength) continue;
      imp.flows++;
      imp.packets += f.packets;
      imp.bytes += f.bytes;
      const k = `${f.dst}|${f.src}`;
      pairs.set(k, (pairs.get(k) ?? 0) + 1);
    }
  }
  if (imp.flows === 0) return imp;
  const ins = new PrefixSet(inside.map((p) => ({ prefix: p })));
  const seen = new Set<string>();
  for await (const b of source.read(files, { filter: ruleFilter(rule, true) })) {
    for (let i = 0; i < b.size; i++) {
      const f = batchRow(b, i);
      const k = `${f.src}|${f.dst}`;
      if (pairs.has(k) && !seen.has(k)) {
        seen.add(k);
        const n = pairs.get(k)!;
        imp.twoWayFlows += n;
        if (ins.size > 0 && ins.has(f.src)) imp.twoWayInside += n;
      }
    }
  }
  return imp;
}
