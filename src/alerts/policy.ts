/**
 * The alert policy (pure): which tracked anomalies become alerts, as the seeds put it — every anomaly is recorded and
 * tracked, an alert fires only when the tracking meets the alert condition, and at once when the anomaly is of the
 * serious ("super") scale. One alert per (IP, type) episode, a reminder every `realertMinutes` while it lasts, an
 * "ended" notice (duration, peak) once it has been quiet for `endAfterWindows` windows. Policy and alert thresholds
 * are resolved per unit (the IP's units in `engine.units`, least specific first). Time is the window's TimeSlot.
 */
import { createHash } from 'node:crypto';
import type { AlertPolicy, UnitAlertRules } from '../config/sections/alerts.js';
import type { UnitConfig } from '../config/sections/engine.js';
import { CAMPUS_RULES, RULES, type ThresholdKey, type Thresholds } from '../engine/rules.js';
import type { Anomaly, Evidence, Role, Severity } from '../engine/types.js';
import { parsePrefix, prefixContains, type Prefix } from '../util/ip.js';

/** Minutes of one TimeSlot. */
export const SLOT_MINUTES = 5;

/** The peak of an episode: its highest-scoring window. */
export interface Peak {
  score: number;
  severity: Severity;
  slot: number;
  evidence: Evidence[];
}

/** The stored state of one (IP, type): an episode that has not alerted yet (`pending`) or has (`open`). */
export interface Episode {
  /** Stable id of the episode: a hash of (ip, type, startSlot). */
  id: string;
  ip: string;
  type: string;
  role: Role;
  status: 'pending' | 'open';
  startSlot: number;
  lastSlot: number;
  /** Windows (TimeSlots) of the episode in which the anomaly was above its (unit's) threshold. */
  windows: number;
  /** TimeSlot of the last alert or reminder; null while pending. */
  notifiedSlot: number | null;
  reminders: number;
  peak: Peak;
  unit?: string;
}

/** What a notice says about its episode. */
export interface EpisodeSummary {
  startSlot: number;
  lastSlot: number;
  windows: number;
  /** windows / TimeSlots spanned. */
  shareAbove: number;
  /** (lastSlot - startSlot + 1) windows, in minutes. */
  durationMinutes: number;
  peak: Peak;
  reminders: number;
}

export type NoticeKind = 'alert' | 'reminder' | 'ended' | 'raised';

/** One thing to tell people, decided for a window (or raised by another area). */
export interface Notice {
  /** Stable id: `<episode>-a`, `-r<n>`, `-e`; the same decision always yields the same id. */
  id: string;
  episode: string;
  kind: NoticeKind;
  ip: string;
  type: string;
  role: Role;
  severity: Severity;
  unit?: string;
  timeSlot: number;
  /** The window's anomaly (alert, reminder). */
  anomaly?: Anomaly;
  summary: EpisodeSummary;
}

/** The resolved rules for one IP: the policy and the alert thresholds that apply to its addresses. */
export interface ResolvedRules {
  policy: AlertPolicy;
  thresholds: Partial<Record<ThresholdKey, number>>;
}

/** Stable short id of an episode (16 hex characters, fits syslog MSGID with a suffix). */
export function episodeId(ip: string, type: string, startSlot: number): string {
  return createHash('sha256').update(`${ip}|${type}|${startSlot}`).digest('hex').slice(0, 16);
}

/** Stable id of a raised alert: the raising area's source and key. */
export function raisedId(source: string, key: string): string {
  return `${createHash('sha256').update(`raised|${source}|${key}`).digest('hex').slice(0, 16)}-x`;
}

/** Resolves the policy of an IP from `alerts.policy` and the units whose prefixes contain it. */
export function policyResolver(base: AlertPolicy, units: UnitConfig[]): (ip: string) => ResolvedRules {
  const withRules = units
    .filter((u) => u.alerts && Object.keys(u.alerts).length > 0)
    .map((u) => ({ p: parsePrefix(u.prefix, { loose: true }), rules: u.alerts as UnitAlertRules }))
    // least specific first, so a campus inside a regional unit overrides it
    .sort((a, b) => a.p.length - b.p.length);
  return (ip) => {
    let policy = { ...base };
    let thresholds: Partial<Record<ThresholdKey, number>> = {};
    for (const u of withRules) {
      if (!prefixContains(u.p, ip)) continue;
      const { thresholds: t, ...rest } = u.rules;
      policy = { ...policy, ...(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<AlertPolicy>) };
      if (t) thresholds = { ...thresholds, ...(t as Partial<Record<ThresholdKey, number>>) };
    }
    return { policy, thresholds };
  };
}

/** The over / super threshold keys behind an evidence line of a type, from the rule tables. */
function indicatorKeys(type: string, indicator: string): { over: ThresholdKey; super?: ThresholdKey } | undefined {
  for (const r of [...RULES, ...CAMPUS_RULES]) {
    if (r.type !== type) continue;
    const ind = r.indicators.find((i) => i.name === indicator);
    if (ind) return { over: ind.over, super: ind.super };
  }
  return undefined;
}

/**
 * An anomaly judged against a unit's alert thresholds (engine threshold keys; detection ran with `engine`, so they
 * can only raise the bar). `pass` false: below the unit's threshold, not counted. `severity`: super when the unit's
 * super threshold (or the engine's, for keys it does not set) is met, for the indicators whose super key it sets.
 */
export function unitGate(a: Pick<Anomaly, 'type' | 'severity' | 'evidence'>, unit: Partial<Record<ThresholdKey, number>>, engine: Thresholds): { pass: boolean; severity: Severity; why?: string } {
  if (Object.keys(unit).length === 0) return { pass: true, severity: a.severity };
  let severity: Severity = a.severity;
  let recomputed: Severity | undefined;
  for (const e of a.evidence) {
    const keys = indicatorKeys(a.type, e.indicator);
    if (!keys) continue;
    const base = engine[keys.over];
    // Volume thresholds were scaled to the window length: scale the unit's the same way.
    const scale = base > 0 ? e.threshold / base : 1;
    const over = unit[keys.over];
    if (over !== undefined && !(e.value >= over * scale)) return { pass: false, severity, why: `${e.indicator} ${e.value} below ${keys.over} ${over * scale}` };
    if (keys.super && unit[keys.super] !== undefined) {
      const sup = (unit[keys.super] as number) * scale;
      recomputed = recomputed === 'super' || e.value >= sup ? 'super' : 'over';
    }
  }
  if (recomputed) severity = recomputed;
  return { pass: true, severity };
}

const keyOf = (ip: string, type: string) => `${ip}|${type}`;

const summaryOf = (ep: Episode): EpisodeSummary => ({
  startSlot: ep.startSlot,
  lastSlot: ep.lastSlot,
  windows: ep.windows,
  shareAbove: Math.min(1, ep.windows / Math.max(1, ep.lastSlot - ep.startSlot + 1)),
  durationMinutes: (ep.lastSlot - ep.startSlot + 1) * SLOT_MINUTES,
  peak: ep.peak,
  reminders: ep.reminders,
});

/** The alert condition, as the seeds put it: enough windows above threshold and a large enough share of the time. */
export function meetsCondition(ep: Pick<Episode, 'windows' | 'startSlot'>, slot: number, policy: AlertPolicy): boolean {
  const span = Math.max(1, slot - ep.startSlot + 1);
  return ep.windows >= policy.minWindows && ep.windows / span >= policy.minShareAbove;
}

/** What the policy decided for one window. */
export interface WindowDecision {
  notices: Notice[];
  /** Episodes to write (new or changed). */
  upsert: Episode[];
  /** Episodes that are over (ip|type keys). */
  remove: { ip: string; type: string }[];
}

/** Input of {@link decideWindow}. */
export interface DecideInput {
  slot: number;
  /** The window's anomalies, as committed (with their tracking). */
  anomalies: Anomaly[];
  /** Every live episode (pending and open), as stored before this window. */
  episodes: Episode[];
  rulesOf: (ip: string) => ResolvedRules;
  /** The engine's resolved detection thresholds (to scale a unit's alert thresholds). */
  engineThresholds: Thresholds;
}

/**
 * Decide the notices of one window. Deterministic: the same stored episodes and the same window give the same
 * notices with the same ids, so a window processed again (after a crash before commit) decides the same thing.
 */
export function decideWindow(input: DecideInput): WindowDecision {
  const { slot } = input;
  const live = new Map(input.episodes.map((e) => [keyOf(e.ip, e.type), e]));
  const notices: Notice[] = [];
  const upsert = new Map<string, Episode>();
  const remove: { ip: string; type: string }[] = [];
  const seen = new Set<string>();

  // One anomaly per (ip, type): an IP may hold a type in two roles; the strongest speaks.
  const byKey = new Map<string, Anomaly>();
  for (const a of input.anomalies) {
    const k = keyOf(a.ip, a.type);
    const cur = byKey.get(k);
    if (!cur || a.score > cur.score) byKey.set(k, a);
  }

  const endOf = (ep: Episode, at: number): void => {
    if (ep.status === 'open') {
      notices.push({ id: `${ep.id}-e`, episode: ep.id, kind: 'ended', ip: ep.ip, type: ep.type, role: ep.role, severity: ep.peak.severity, ...(ep.unit ? { unit: ep.unit } : {}), timeSlot: at, summary: summaryOf(ep) });
    }
    remove.push({ ip: ep.ip, type: ep.type });
  };

  for (const [k, a] of byKey) {
    seen.add(k);
    const { policy, thresholds } = input.rulesOf(a.ip);
    const gate = unitGate(a, thresholds, input.engineThresholds);
    let ep = live.get(k);
    if (ep && slot <= ep.lastSlot) {
      // A file of a slot already decided (another file of the slot, a re-run) or a late file of an older slot: it
      // neither counts again nor restarts anything; a super anomaly still fires a pending episode at once.
      if (ep.status === 'pending' && gate.pass && gate.severity === 'super' && slot === ep.lastSlot) {
        const fired: Episode = { ...ep, status: 'open', notifiedSlot: slot, peak: peakOf(ep.peak, a, gate.severity, slot) };
        notices.push(noticeOf(fired, 'alert', `${fired.id}-a`, a, gate.severity, slot));
        upsert.set(k, fired);
      }
      continue;
    }
    if (!gate.pass) continue; // below the unit's bar: not a window of the episode (quiet for it)
    if (ep && slot - ep.lastSlot - 1 >= policy.endAfterWindows) {
      // Quiet long enough between its last window and this one (no file came in between to end it): over.
      endOf(ep, slot);
      ep = undefined;
    }
    if (!ep) {
      const startSlot = slot;
      const fresh: Episode = {
        id: episodeId(a.ip, a.type, startSlot), ip: a.ip, type: a.type, role: a.role, status: 'pending', startSlot, lastSlot: slot, windows: 1,
        notifiedSlot: null, reminders: 0, peak: { score: a.score, severity: gate.severity, slot, evidence: a.evidence }, ...(a.unit ? { unit: a.unit } : {}),
      };
      ep = fresh;
    } else {
      ep = { ...ep, lastSlot: slot, windows: ep.windows + 1, role: a.role, peak: peakOf(ep.peak, a, gate.severity, slot), ...(a.unit ? { unit: a.unit } : {}) };
    }
    if (ep.status === 'pending') {
      if (gate.severity === 'super' || meetsCondition(ep, slot, policy)) {
        ep = { ...ep, status: 'open', notifiedSlot: slot };
        notices.push(noticeOf(ep, 'alert', `${ep.id}-a`, a, gate.severity, slot));
      }
    } else if (policy.realertMinutes > 0 && ep.notifiedSlot !== null && (slot - ep.notifiedSlot) * SLOT_MINUTES >= policy.realertMinutes) {
      ep = { ...ep, reminders: ep.reminders + 1, notifiedSlot: slot };
      notices.push(noticeOf(ep, 'reminder', `${ep.id}-r${ep.reminders}`, a, gate.severity, slot));
    }
    upsert.set(k, ep);
  }

  // Episodes not in this window: ended once quiet for endAfterWindows windows (a late, older window ends nothing).
  for (const [k, ep] of live) {
    if (seen.has(k) || slot <= ep.lastSlot) continue;
    const { policy } = input.rulesOf(ep.ip);
    if (slot - ep.lastSlot >= policy.endAfterWindows) endOf(ep, slot);
  }
  return { notices, upsert: [...upsert.values()], remove };
}

function peakOf(prev: Peak, a: Anomaly, severity: Severity, slot: number): Peak {
  return a.score > prev.score ? { score: a.score, severity, slot, evidence: a.evidence } : severity === 'super' && prev.severity !== 'super' ? { ...prev, severity } : prev;
}

function noticeOf(ep: Episode, kind: NoticeKind, id: string, a: Anomaly, severity: Severity, slot: number): Notice {
  return { id, episode: ep.id, kind, ip: ep.ip, type: ep.type, role: a.role, severity, ...(ep.unit ? { unit: ep.unit } : {}), timeSlot: slot, anomaly: a, summary: summaryOf(ep) };
}

/** A unit as routing sees it: its name, prefixes, contacts and language (entries of one name merged). */
export interface UnitAudience {
  name: string;
  prefixes: Prefix[];
  contacts: string[];
  lang?: 'en' | 'zh-TW';
}

/** The units with contacts, by name (several `engine.units` entries of one name are one unit). Pure. */
export function unitAudiences(units: UnitConfig[]): UnitAudience[] {
  const byName = new Map<string, UnitAudience>();
  for (const u of units) {
    const cur = byName.get(u.name) ?? { name: u.name, prefixes: [], contacts: [] };
    cur.prefixes.push(parsePrefix(u.prefix, { loose: true }));
    for (const c of u.contacts ?? []) if (!cur.contacts.includes(c)) cur.contacts.push(c);
    if (!cur.lang && u.lang) cur.lang = u.lang;
    byName.set(u.name, cur);
  }
  return [...byName.values()].filter((u) => u.contacts.length > 0);
}

/** One delivery of a notice: a channel, its target (a mail address; '' for syslog and webhook), who and which language. */
export interface Route {
  channel: 'email' | 'syslog' | 'webhook';
  target: string;
  /** 'noc' or the unit's name. */
  audience: string;
  lang: 'en' | 'zh-TW';
}

/** Which channels are configured (routing needs no more of the config than this). */
export interface RoutingConfig {
  email?: { to: string[]; lang: 'en' | 'zh-TW' };
  syslog: boolean;
  webhook?: { lang: 'en' | 'zh-TW' };
}

/**
 * The deliveries of a notice about `ip`: the NOC's channels, and the mail contacts of every unit whose prefixes hold
 * `ip` — never a unit that does not. A contact who is also a NOC address gets one mail. Pure.
 */
export function routesFor(ip: string, cfg: RoutingConfig, units: UnitAudience[]): Route[] {
  const out: Route[] = [];
  const mailed = new Set<string>();
  if (cfg.email) {
    for (const to of cfg.email.to) {
      if (mailed.has(to.toLowerCase())) continue;
      mailed.add(to.toLowerCase());
      out.push({ channel: 'email', target: to, audience: 'noc', lang: cfg.email.lang });
    }
  }
  if (cfg.syslog) out.push({ channel: 'syslog', target: '', audience: 'noc', lang: 'en' });
  if (cfg.webhook) out.push({ channel: 'webhook', target: '', audience: 'noc', lang: cfg.webhook.lang });
  if (cfg.email) {
    for (const u of units) {
      if (!u.prefixes.some((p) => prefixContains(p, ip))) continue;
      for (const c of u.contacts) {
        if (mailed.has(c.toLowerCase())) continue;
        mailed.add(c.toLowerCase());
        out.push({ channel: 'email', target: c, audience: u.name, lang: u.lang ?? cfg.email.lang });
      }
    }
  }
  return out;
}

/** Seconds to wait after the `attempts`-th failure: doubling from `initial`, capped at `max`. Pure. */
export function backoffSeconds(attempts: number, initial: number, max: number): number {
  return Math.min(max, initial * 2 ** Math.max(0, attempts - 1));
}

/**
 * How a recipient's due mails go out under `maxPerHour` (mails already sent to it in the last hour: `sentLastHour`):
 * each alone while the budget lasts, the rest in one digest (the last mail of the budget); nothing when the budget
 * is spent (they wait). Pure.
 */
export function planMail<T>(due: T[], sentLastHour: number, maxPerHour: number): { single: T[]; digest: T[]; wait: T[] } {
  const budget = maxPerHour - sentLastHour;
  if (due.length === 0) return { single: [], digest: [], wait: [] };
  if (budget <= 0) return { single: [], digest: [], wait: due };
  if (due.length <= budget) return { single: due, digest: [], wait: [] };
  const single = due.slice(0, budget - 1);
  return { single, digest: due.slice(budget - 1), wait: [] };
}
