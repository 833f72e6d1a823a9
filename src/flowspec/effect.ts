/**
 * What a block did, measured from the flows (pure). gobgp keeps no per-rule counters, so each window's batches are
 * matched against the active rules as the engine reads them: flows, packets and bytes a rule matches, how many of
 * those flows belong to two-way conversations (the other side answered: legitimate-looking) rather than one-way
 * (attack-like), for a victim rule the victim's whole inbound traffic, and for a rule announced only at some entry
 * routers the packets that entered there. From the series, `effectAdvice` says whether a rule matches nothing any
 * more (withdraw early) or whether the attack goes on at the same rate (the routers may not apply it).
 *
 * Cost: with no rules nothing runs (the engine does not open a meter). With rules, a row costs two hashed lookups
 * of its addresses in a small table of the rules' host addresses; only the few rows that hit are matched in full.
 * Rules on shorter prefixes or IPv6 are matched per row.
 */
import { compileFilter, numericPrefix, type RowMatcher } from '../engine/filter.js';
import type { FlowBatch } from '../engine/types.js';
import { dstText, srcText } from '../engine/batch.js';
import { parsePrefix } from '../util/ip.js';
import { ruleFilter, type FlowSpecRule } from './rule.js';

/** Counts of one side of a window. */
export interface Volume {
  flows: number;
  packets: number;
  bytes: number;
}

/** What one rule matched in one window. */
export interface WindowEffect extends Volume {
  /** The window's first second (epoch s: the nfcapd file's start) and its TimeSlot. */
  start: number;
  timeSlot: number;
  /** Seconds the window covers (the rotation interval). */
  seconds: number;
  /** Matched flows whose reverse direction was seen in the window (conversations); the rest are one-way. */
  twoWayFlows: number;
  /** Victim rules (a destination and no source): every flow to the victim, whatever the protocol and port. */
  victim?: Volume;
  /** Rules announced only at some routers: matched packets that entered through those routers' interfaces. */
  entryPackets?: number;
  /** More distinct pairs than the meter tracks: twoWayFlows is a lower bound. */
  capped?: boolean;
  /** The window before the rule was announced (its baseline). */
  before?: boolean;
}

/** Where a rule applies: an exporter and, optionally, some of its input interfaces. */
export interface EntryScope {
  exporter: string;
  interfaces?: number[];
}

/** A rule to measure. */
export interface MeteredRule {
  id: number;
  rule: FlowSpecRule;
  /** The entries of the routers the rule was announced to (absent: every router). */
  entries?: EntryScope[];
}

/** The victim of a rule, when it is a victim rule: its destination when it has no source. Pure. */
export function victimOf(rule: FlowSpecRule): string | undefined {
  return rule.destination && !rule.source ? rule.destination : undefined;
}

/** Distinct pairs tracked per rule and window for the two-way split (memory bound). */
const PAIR_CAP = 1 << 20;
/** Buckets of the host-address table's first, cheap test. */
const BLOOM_BITS = 16;

type PairKey = number | string;

/** Per-rule state within a window. */
class RuleMeter {
  readonly forward: RowMatcher;
  readonly reverse: RowMatcher;
  readonly victimMatch?: RowMatcher;
  readonly out: { flows: number; packets: number; bytes: number; victim?: Volume; entryPackets?: number; capped: boolean };
  private readonly pairs = new Map<PairKey, number>();
  private readonly answered = new Set<PairKey>();
  /** The pair key of (src, dst) when both are IPv4: exact in a double (see keyOf). */
  private readonly keyOf: ((src: number, dst: number) => number) | undefined;
  private readonly packetLength?: number;
  private entryCache?: { exporters: string[]; ok: (Set<number> | true | undefined)[] };

  constructor(readonly m: MeteredRule) {
    const r = m.rule;
    this.forward = compileFilter(ruleFilter(r));
    this.reverse = compileFilter(ruleFilter(r, true));
    const v = victimOf(r);
    if (v) this.victimMatch = compileFilter({ dst: [v] });
    this.packetLength = r.packetLength;
    this.out = { flows: 0, packets: 0, bytes: 0, capped: false, ...(v ? { victim: { flows: 0, packets: 0, bytes: 0 } } : {}), ...(m.entries ? { entryPackets: 0 } : {}) };
    this.keyOf = pairKeyFor(r);
  }

  /** Row i of b matched the rule's addresses (forward candidates): count it if the rest of the rule holds. */
  forwardRow(b: FlowBatch, i: number): void {
    if (!this.forward(b, i)) return;
    if (this.packetLength !== undefined && Math.round(b.bytes[i] / Math.max(1, b.packets[i])) !== this.packetLength) return;
    const o = this.out;
    o.flows++;
    o.packets += b.packets[i];
    o.bytes += b.bytes[i];
    if (o.entryPackets !== undefined && this.entered(b, i)) o.entryPackets += b.packets[i];
    const k = this.pair(b, i, false);
    const n = this.pairs.get(k);
    if (n !== undefined) this.pairs.set(k, n + 1);
    else if (this.pairs.size < PAIR_CAP) this.pairs.set(k, 1);
    else o.capped = true;
  }

  /** Row i may be an answer (the reverse direction of a matched flow). */
  reverseRow(b: FlowBatch, i: number): void {
    if (!this.reverse(b, i)) return;
    const k = this.pair(b, i, true);
    if (this.answered.size < PAIR_CAP) this.answered.add(k);
    else this.out.capped = true;
  }

  victimRow(b: FlowBatch, i: number): void {
    if (!this.victimMatch || !this.victimMatch(b, i)) return;
    const v = this.out.victim!;
    v.flows++;
    v.packets += b.packets[i];
    v.bytes += b.bytes[i];
  }

  /** The pair key in the matched flow's orientation (an answer's source is the matched flow's destination). */
  private pair(b: FlowBatch, i: number, answer: boolean): PairKey {
    if (b.family[i] === 4 && this.keyOf) return answer ? this.keyOf(b.dstV4[i], b.srcV4[i]) : this.keyOf(b.srcV4[i], b.dstV4[i]);
    const s = srcText(b, i), d = dstText(b, i);
    return answer ? `${d}|${s}` : `${s}|${d}`;
  }

  private entered(b: FlowBatch, i: number): boolean {
    // Per batch: which of its exporters are entries of this rule, and through which interfaces.
    if (this.entryCache?.exporters !== b.exporters) {
      this.entryCache = {
        exporters: b.exporters,
        ok: b.exporters.map((ex) => {
          const es = (this.m.entries ?? []).filter((e) => e.exporter === ex);
          if (es.length === 0) return undefined;
          if (es.some((e) => !e.interfaces || e.interfaces.length === 0)) return true;
          return new Set(es.flatMap((e) => e.interfaces!));
        }),
      };
    }
    const ok = this.entryCache.ok[b.exporterIdx[i]];
    return ok === true || (ok !== undefined && ok.has(b.inIf[i]));
  }

  twoWay(): number {
    let n = 0;
    for (const [k, flows] of this.pairs) if (this.answered.has(k)) n += flows;
    return n;
  }
}

/**
 * The pair key of an IPv4 (src, dst) as one exact double: the varying host bits of the rule's fixed side (at most
 * 21 bits, from a prefix of /11 or longer) times 2^32 plus the other side. Undefined when neither side is that
 * narrow (then text keys are used). Pure.
 */
function pairKeyFor(r: FlowSpecRule): ((src: number, dst: number) => number) | undefined {
  if (r.family !== 4) return undefined;
  const host = (p: string) => {
    const pre = parsePrefix(p, { loose: true });
    return 32 - pre.length;
  };
  if (r.source && host(r.source) <= 21) {
    const mask = host(r.source) === 0 ? 0 : (0xffffffff >>> (32 - host(r.source))) >>> 0;
    return (src, dst) => ((src & mask) >>> 0) * 4294967296 + dst;
  }
  if (r.destination && host(r.destination) <= 21) {
    const mask = host(r.destination) === 0 ? 0 : (0xffffffff >>> (32 - host(r.destination))) >>> 0;
    return (src, dst) => ((dst & mask) >>> 0) * 4294967296 + src;
  }
  return undefined;
}

const hash = (a: number) => Math.imul(a, 0x9e3779b1) >>> (32 - BLOOM_BITS);

/** A single IPv4 host of a prefix text, or undefined. */
function v4Host(p: string | undefined): number | undefined {
  if (!p || p.includes(':')) return undefined;
  const n = numericPrefix(p);
  return n.family === 4 && n.mask === 0xffffffff ? n.net : undefined;
}

/** Measures every rule over one window's batches. Feed it batches, then read `result`. */
export class EffectMeter {
  private readonly meters: RuleMeter[];
  /** Rules whose source / destination is one IPv4 host, by that host. */
  private readonly bySrc = new Map<number, RuleMeter[]>();
  private readonly byDst = new Map<number, RuleMeter[]>();
  /** Every rule address of the two tables, hashed: most rows miss here and cost nothing more. */
  private readonly bloom = new Uint8Array(1 << BLOOM_BITS);
  /** Rules matched per row (shorter prefixes, IPv6). */
  private readonly scan: RuleMeter[] = [];
  rows = 0;

  constructor(rules: MeteredRule[]) {
    this.meters = rules.map((r) => new RuleMeter(r));
    for (const m of this.meters) {
      const s = v4Host(m.m.rule.source);
      const d = v4Host(m.m.rule.destination);
      if (s !== undefined) this.index(this.bySrc, s, m);
      else if (d !== undefined) this.index(this.byDst, d, m);
      else this.scan.push(m);
    }
  }

  private index(map: Map<number, RuleMeter[]>, host: number, m: RuleMeter): void {
    const l = map.get(host);
    if (l) l.push(m);
    else map.set(host, [m]);
    this.bloom[hash(host)] = 1;
  }

  /** Count one batch (the caller keeps ownership; nothing of it is retained). */
  add(b: FlowBatch): void {
    const n = b.size;
    this.rows += n;
    const { bloom, bySrc, byDst, scan } = this;
    for (let i = 0; i < n; i++) {
      if (b.family[i] === 4) {
        const s = b.srcV4[i], d = b.dstV4[i];
        const hs = bloom[hash(s)], hd = bloom[hash(d)];
        if (hs | hd) {
          // A rule on this source or destination host: the flow itself; on the reverse side: an answer.
          if (hs) {
            for (const m of bySrc.get(s) ?? []) m.forwardRow(b, i);
            for (const m of byDst.get(s) ?? []) m.reverseRow(b, i);
          }
          if (hd) {
            for (const m of byDst.get(d) ?? []) {
              m.forwardRow(b, i);
              m.victimRow(b, i);
            }
            for (const m of bySrc.get(d) ?? []) m.reverseRow(b, i);
          }
        }
      }
      for (const m of scan) {
        m.forwardRow(b, i);
        m.reverseRow(b, i);
        m.victimRow(b, i);
      }
    }
  }

  /** The window's effect per rule id. */
  result(window: { start: number; timeSlot: number; seconds: number }, before = false): Map<number, WindowEffect> {
    const out = new Map<number, WindowEffect>();
    for (const m of this.meters) {
      const o = m.out;
      out.set(m.m.id, {
        ...window,
        flows: o.flows,
        packets: o.packets,
        bytes: o.bytes,
        twoWayFlows: m.twoWay(),
        ...(o.victim ? { victim: { ...o.victim } } : {}),
        ...(o.entryPackets !== undefined ? { entryPackets: o.entryPackets } : {}),
        ...(o.capped ? { capped: true } : {}),
        ...(before ? { before: true } : {}),
      });
    }
    return out;
  }
}

/** The flows a meter needs from a file when it reads only those (the baseline): the rules, answers and victims. */
export function meterFilter(rules: MeteredRule[]) {
  return {
    anyOf: rules.flatMap((m) => {
      const v = victimOf(m.rule);
      return [ruleFilter(m.rule), ruleFilter(m.rule, true), ...(v ? [{ dst: [v] }] : [])];
    }),
  };
}

/** What the series says about a rule. */
export type EffectAdvice =
  | { kind: 'idle'; windows: number }
  | { kind: 'not-applied'; ratio: number; windows: number }
  | undefined;

/**
 * Advice from a rule's series (oldest first), judged on the windows that began after the announcement (`since`,
 * epoch ms): `idle` when the last `idleWindows` of them matched nothing (offer withdrawal before the expiry);
 * `not-applied` when the latest of them still carries at least `sameRate` of the baseline's packets per second (for a
 * rule announced only at some routers: the packets entering there), so the routers may not apply it. Pure.
 */
export function effectAdvice(series: WindowEffect[], since: number, opts: { idleWindows: number; sameRate?: number }): EffectAdvice {
  const after = series.filter((e) => !e.before && e.start * 1000 >= since);
  const n = opts.idleWindows;
  if (n > 0 && after.length >= n && after.slice(-n).every((e) => e.flows === 0)) return { kind: 'idle', windows: n };
  const base = [...series].reverse().find((e) => e.before);
  const last = after.at(-1);
  if (!base || !last || base.seconds <= 0 || last.seconds <= 0) return undefined;
  const pkts = (e: WindowEffect) => (e.entryPackets ?? e.packets) / e.seconds;
  const b = pkts(base);
  if (b <= 0) return undefined;
  const ratio = pkts(last) / b;
  return ratio >= (opts.sameRate ?? 0.8) ? { kind: 'not-applied', ratio, windows: after.length } : undefined;
}
