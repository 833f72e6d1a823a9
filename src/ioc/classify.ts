/**
 * Stage 3 (pure): what one IoC did in the day, from its exact total and its sampled flows, as a class with the
 * evidence that decided it. The classes are declarations, tried in order (rules are data):
 *
 * - `no-flows`  — nothing in the day's flows touched it;
 * - `mass`      — more than `massFlows` flows: a scanner or a DDoS pawn, not analysed further (the seeds);
 * - `wide-scan` — many remotes, each touched once or twice, by the IoC, with scan-like small flows;
 * - `dos`       — a few remotes take nearly all the flows, at flood rate;
 * - `check-in`  — many remotes, each sending one or two small flows *to* the IoC: a family checking in (flagged);
 * - `analysed`  — everything else: its remotes are analysed (stage 4), as are those of `check-in`.
 */
import type { Evidence } from '../engine/types.js';
import { DEFAULT_IOC_THRESHOLDS } from '../config/sections/ioc.js';
import type { IocFlow } from './match.js';

/** An IoC's class for a day. */
export type IocClass = 'no-flows' | 'mass' | 'wide-scan' | 'dos' | 'check-in' | 'analysed';

/** Every class, in the order they are tried. */
export const IOC_CLASSES: readonly IocClass[] = ['no-flows', 'mass', 'wide-scan', 'dos', 'check-in', 'analysed'];

/** Classes whose remotes go on to stage 4. */
export const ANALYSED_CLASSES: ReadonlySet<IocClass> = new Set(['check-in', 'analysed']);

export { DEFAULT_IOC_THRESHOLDS };

export type IocThresholds = { -readonly [K in keyof typeof DEFAULT_IOC_THRESHOLDS]: number };

/** Defaults overridden by the configured values it knows (unknown keys are reported by checkIocConfig). */
export function resolveThresholds(over: Record<string, number> = {}): IocThresholds {
  const t = { ...DEFAULT_IOC_THRESHOLDS } as IocThresholds;
  for (const k of Object.keys(t) as (keyof IocThresholds)[]) if (typeof over[k] === 'number' && Number.isFinite(over[k])) t[k] = over[k];
  return t;
}

/** The day's shape of one IoC, from which the class is judged. */
export interface IocDayFeatures {
  total: number;
  sampled: number;
  remotes: number;
  /** Share of remotes with at most `fewFlows` flows. */
  fewFlowsRemoteShare: number;
  /** Share of flows the IoC sent (send) and received (rcv). */
  sendShare: number;
  rcvShare: number;
  /** Share of small flows (packets ≤ smallPackets and octets ≤ smallOctets). */
  smallShare: number;
  /** Share of flows of the top `dosRemotes` remotes. */
  topRemotesShare: number;
  /** Most flows / packets in one TimeSlot between the IoC and its top remotes. */
  peakSlotFlows: number;
  peakSlotPackets: number;
}

const slotOf = (ms: number) => Math.floor((Math.floor(ms / 1000) + 150) / 300);

/** Measure an IoC's day. Pure. */
export function iocDayFeatures(total: number, flows: readonly IocFlow[], t: IocThresholds): IocDayFeatures {
  const per = new Map<string, number>();
  let send = 0, small = 0;
  for (const f of flows) {
    per.set(f.remote, (per.get(f.remote) ?? 0) + 1);
    if (f.direction === 'send') send++;
    if (f.packets <= t.smallPackets && f.octets <= t.smallOctets) small++;
  }
  const n = flows.length;
  let few = 0;
  for (const c of per.values()) if (c <= t.fewFlows) few++;
  const top = [...per.entries()].sort((a, b) => b[1] - a[1]).slice(0, Math.max(1, t.dosRemotes));
  const topSet = new Set(top.map(([ip]) => ip));
  const topFlows = top.reduce((s, [, c]) => s + c, 0);
  const slotFlows = new Map<number, number>();
  const slotPackets = new Map<number, number>();
  for (const f of flows) {
    if (!topSet.has(f.remote)) continue;
    const s = slotOf(f.start);
    slotFlows.set(s, (slotFlows.get(s) ?? 0) + 1);
    slotPackets.set(s, (slotPackets.get(s) ?? 0) + f.packets);
  }
  return {
    total,
    sampled: n,
    remotes: per.size,
    fewFlowsRemoteShare: per.size ? few / per.size : 0,
    sendShare: n ? send / n : 0,
    rcvShare: n ? (n - send) / n : 0,
    smallShare: n ? small / n : 0,
    topRemotesShare: n ? topFlows / n : 0,
    peakSlotFlows: Math.max(0, ...slotFlows.values()),
    peakSlotPackets: Math.max(0, ...slotPackets.values()),
  };
}

/** One class declaration: when it holds, the evidence (which thresholds, by how much); otherwise nothing. */
interface ClassRule {
  class: Exclude<IocClass, 'analysed'>;
  test(f: IocDayFeatures, t: IocThresholds): Evidence[] | undefined;
}

const ev = (indicator: string, value: number, threshold: number): Evidence => ({ indicator, value, threshold, ratio: threshold ? value / threshold : value > 0 ? Infinity : 1 });
const atLeast = (indicator: string, value: number, threshold: number) => (value >= threshold ? ev(indicator, value, threshold) : undefined);
const all = (...xs: (Evidence | undefined)[]) => (xs.every((x) => x !== undefined) ? (xs as Evidence[]) : undefined);

/** The class rules, in order. */
export const IOC_CLASS_RULES: readonly ClassRule[] = [
  { class: 'no-flows', test: (f) => (f.total === 0 ? [ev('flows', 0, 0)] : undefined) },
  { class: 'mass', test: (f, t) => (f.total > t.massFlows ? [ev('flows', f.total, t.massFlows)] : undefined) },
  {
    class: 'wide-scan',
    test: (f, t) => all(atLeast('remotes', f.remotes, t.minRemotes), atLeast('fewFlowsRemoteShare', f.fewFlowsRemoteShare, t.fewFlowsShare), atLeast('sendShare', f.sendShare, t.directionShare), atLeast('smallShare', f.smallShare, t.smallShare)),
  },
  {
    class: 'dos',
    test: (f, t) => {
      const conc = atLeast('topRemotesShare', f.topRemotesShare, t.dosShare);
      const rate = atLeast('peakSlotFlows', f.peakSlotFlows, t.dosSlotFlows) ?? atLeast('peakSlotPackets', f.peakSlotPackets, t.dosSlotPackets);
      return all(conc, rate);
    },
  },
  {
    class: 'check-in',
    test: (f, t) => all(atLeast('remotes', f.remotes, t.minRemotes), atLeast('fewFlowsRemoteShare', f.fewFlowsRemoteShare, t.fewFlowsShare), atLeast('rcvShare', f.rcvShare, t.directionShare), atLeast('smallShare', f.smallShare, t.smallShare)),
  },
];

/** An IoC's class for the day with its evidence. */
export interface IocVerdictOfDay {
  class: IocClass;
  evidence: Evidence[];
  features: IocDayFeatures;
}

/** Classify one IoC's day. Pure. */
export function classifyIoc(total: number, flows: readonly IocFlow[], t: IocThresholds): IocVerdictOfDay {
  const features = iocDayFeatures(total, flows, t);
  for (const r of IOC_CLASS_RULES) {
    const e = r.test(features, t);
    if (e) return { class: r.class, evidence: e, features };
  }
  return { class: 'analysed', evidence: [], features };
}
