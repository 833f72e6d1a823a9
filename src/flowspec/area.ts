/**
 * FlowSpec as an engine area: the speaker (managed gobgpd or an existing one), the block service, periodic expiry and
 * reconciliation, optional auto-block of super scans, and the `block.*` / `audit.list` handlers on the engine socket.
 */
import path from 'node:path';
import type { FlowspecConfig } from '../config/sections/flowspec.js';
import type { Anomaly, FlowSource } from '../engine/types.js';
import type { WindowTap } from '../engine/sink.js';
import { timeSlotOf } from '../engine/types.js';
import { listCompleted, parseNfcapdName } from '../ingest/watcher.js';
import { rotationInterval } from '../ingest/runner.js';
import { EffectMeter, effectAdvice, meterFilter, type MeteredRule, type WindowEffect } from './effect.js';
import { createEffectStore, type BlockScope, type EffectStore } from './effect-store.js';
import { entriesOf, neighborCommunity, selectEntryNeighbors, targetingEnabled } from './entry.js';
import type { ProposalFact } from '../i18n/flowspec-text.js';
import { RpcError, type EventBus, type HandlerTable, type RequestContext } from '../daemon/protocol.js';
import type { Db } from '../store/db.js';
import { createGobgpSpeaker, startGobgpd, type Speaker } from './gobgp.js';
import { previewImpact } from './preview.js';
import { proposeRule } from './propose.js';
import { factText, impactText } from '../i18n/flowspec-text.js';
import { RuleError, ruleText, type FlowSpecRule, type RuleInput } from './rule.js';
import { BlockRefused, createBlockService, parseTtl, type AuditEntry, type Block, type BlockService } from './service.js';
import { checkGuards } from './guards.js';

/** A window's effect as the socket and `blocks --json` show it. */
function effectView(e: WindowEffect) {
  return {
    timeSlot: e.timeSlot, start: e.start, seconds: e.seconds, flows: e.flows, packets: e.packets, bytes: e.bytes, twoWayFlows: e.twoWayFlows, oneWayFlows: e.flows - e.twoWayFlows,
    ...(e.victim ? { victim: e.victim } : {}), ...(e.entryPackets !== undefined ? { entryPackets: e.entryPackets } : {}), ...(e.capped ? { capped: true } : {}),
  };
}

/** What the effect tables say about a block: its series, baseline, latest match, advice and where it was announced. */
export interface BlockEffectInfo {
  series: WindowEffect[];
  scope?: BlockScope;
  idleWindows: number;
}

/**
 * A block as the socket lists it (the TUI reads `text`, `action`, `who`, `reason`, times), with its measured effect:
 * `effect` has one entry per window since the announcement (oldest first), `baseline` the window before it,
 * `matched` the latest window, `advice` idle / not-applied, `routers` where it was announced.
 */
export function blockView(b: Block, info?: BlockEffectInfo) {
  const series = info?.series ?? [];
  const after = series.filter((e) => !e.before);
  const base = [...series].reverse().find((e) => e.before);
  const last = after.at(-1);
  const advice = b.status === 'active' && info ? effectAdvice(series, b.createdAt, { idleWindows: info.idleWindows }) : undefined;
  return {
    id: b.id,
    text: b.text,
    action: b.rule.action.kind === 'discard' ? 'discard' : `rate-limit ${b.rule.action.bytesPerSecond} B/s`,
    status: b.status,
    who: b.who,
    origin: b.origin,
    reason: b.reason,
    createdAt: b.createdAt,
    expiresAt: b.expiresAt,
    offence: b.offence,
    anomaly: b.anomaly,
    spec: b.rule,
    lastError: b.lastError,
    matched: last ? effectView(last) : null,
    effect: after.map(effectView),
    baseline: base ? effectView(base) : null,
    ...(advice ? { advice } : {}),
    ...(b.rule.neighbors?.length ? { routers: b.rule.neighbors } : {}),
    ...(info?.scope ? { scope: info.scope } : {}),
  };
}

const actorOf = (ctx: RequestContext) => ({ user: ctx.user, sshConnection: ctx.sshConnection });

function refuse(err: unknown): never {
  if (err instanceof BlockRefused) throw new RpcError('GUARD', err.message, { guard: err.guard });
  if (err instanceof RuleError) throw new RpcError('BAD_RULE', err.message, { reasons: err.reasons });
  throw err;
}

/** The handler table over a service (exported for in-process tests). */
export function flowspecHandlers(
  svc: BlockService,
  cfg: FlowspecConfig,
  deps: { latestFiles: () => string[]; source: FlowSource; inside: string[]; bus?: EventBus; effects?: EffectStore; onAdded?: (b: Block) => void },
): HandlerTable {
  const changed = () => deps.bus?.publish('block.changed', { at: Date.now() });
  const view = (b: Block) => blockView(b, deps.effects ? { series: deps.effects.series(b.id), scope: deps.effects.scope(b.id), idleWindows: cfg.idleWindows } : undefined);
  const targeting = targetingEnabled(cfg);
  const known = new Set(cfg.neighbors.map((n) => n.address));
  return {
    'block.list': async (params) => svc.list({ all: !!(params as { all?: boolean })?.all }).map(view),
    'block.propose': async (params) => {
      const anomalies = ((params as { anomalies?: Anomaly[] })?.anomalies ?? []).slice(0, 50);
      const proposals = [];
      for (const a of anomalies) {
        try {
          const p = proposeRule(a, { victimRateBytesPerSecond: cfg.victimRateBytesPerSecond });
          // Entry-point mitigation: a victim's rule goes only to the routers its attack mostly enters by.
          const targets = a.role === 'victim' && targeting ? selectEntryNeighbors(a.entryPoints, cfg.neighbors, cfg.entryShare) : undefined;
          if (targets && targets.chosen.length < cfg.neighbors.length) {
            p.rule = { ...p.rule, neighbors: targets.chosen.map((c) => c.address).sort() };
            p.facts.push({ kind: 'routers', chosen: targets.chosen, skipped: targets.skipped, covered: targets.covered, threshold: targets.threshold });
          } else if (a.role === 'victim' && targeting && !targets) {
            const mapped = selectEntryNeighbors(a.entryPoints, cfg.neighbors, 0);
            p.facts.push({ kind: 'all-routers', why: mapped ? 'spread' : 'unmapped', threshold: cfg.entryShare } satisfies ProposalFact);
          }
          p.notes = p.facts.map((f) => factText(f, 'en'));
          const refusal = checkGuards(p.rule, {
            protectedPrefixes: cfg.protectedPrefixes, minPrefixV4: cfg.minPrefixV4, minPrefixV6: cfg.minPrefixV6, force: false,
            activeRules: svc.list().filter((b) => b.status === 'active').length, maxActiveRules: cfg.maxActiveRules,
            changesLastMinute: 0, maxChangesPerMinute: cfg.maxChangesPerMinute, spoofedShare: a.role === 'victim' ? undefined : a.victim?.spoofedShare,
          });
          if (refusal) {
            proposals.push({ ok: false, target: a.ip, reasons: [refusal.reason] });
            continue;
          }
          const imp = await previewImpact(p.rule, deps.latestFiles(), deps.source, deps.inside).catch(() => undefined);
          proposals.push({
            ok: true,
            target: a.ip,
            rule: ruleText(p.rule),
            spec: p.rule,
            ...(targets && p.rule.neighbors ? { targets: { chosen: targets.chosen, skipped: targets.skipped, covered: targets.covered, threshold: targets.threshold } } : {}),
            notes: p.notes,
            impact: [...impactText(imp, deps.inside.length > 0, 'en'), ...p.notes],
            // The same as data, for screens in other languages.
            facts: p.facts,
            preview: imp ? { flows: imp.flows, packets: imp.packets, bytes: imp.bytes, twoWayFlows: imp.twoWayFlows, twoWayInside: imp.twoWayInside, insideKnown: deps.inside.length > 0 } : null,
            anomaly: { ip: a.ip, type: a.type, role: a.role, spoofedShare: a.victim?.spoofedShare },
          });
        } catch (err) {
          proposals.push({ ok: false, target: a.ip, reasons: [(err as Error).message] });
        }
      }
      return { proposals };
    },
    'block.add': async (params, ctx) => {
      const p = (params ?? {}) as { proposal?: { spec?: FlowSpecRule; anomaly?: { ip: string; type: string; role?: string; spoofedShare?: number }; targets?: unknown }; rule?: RuleInput; reason?: string; ttl?: string | number; force?: boolean; confirmed?: boolean };
      const input: RuleInput | undefined = p.proposal?.spec
        ? {
            source: p.proposal.spec.source, destination: p.proposal.spec.destination, protocol: p.proposal.spec.protocol, destinationPort: p.proposal.spec.destinationPort,
            sourcePort: p.proposal.spec.sourcePort, packetLength: p.proposal.spec.packetLength, community: p.proposal.spec.community, neighbors: p.proposal.spec.neighbors,
            ...(p.proposal.spec.action?.kind === 'rate-limit' ? { action: 'rate-limit', bytesPerSecond: p.proposal.spec.action.bytesPerSecond } : { action: 'discard' }),
          }
        : p.rule;
      if (!input) throw new RpcError('BAD_PARAMS', 'block.add needs a proposal or a rule');
      // A rule for some routers only: each must be a neighbour whose community the managed gobgpd's policy knows.
      if (input.neighbors?.length) {
        if (!targeting) throw new RpcError('BAD_RULE', 'announcing to some routers only needs flowspec.mode managed and neighbours that name their entries (flowspec.neighbors[].entries)', { reasons: ['targeting off'] });
        const unknown = input.neighbors.filter((n) => !known.has(String(n)));
        if (unknown.length) throw new RpcError('BAD_RULE', `not a configured neighbour: ${unknown.map(String).join(', ')}`, { reasons: unknown.map((n) => `unknown neighbour ${String(n)}`) });
      }
      const ttl = p.ttl === undefined ? undefined : parseTtl(p.ttl);
      if (p.ttl !== undefined && ttl === undefined) throw new RpcError('BAD_PARAMS', `cannot read TTL "${String(p.ttl)}" (use 30m, 2h, 1d)`);
      try {
        const b = await svc.add(input, actorOf(ctx), { reason: p.reason ?? (p.proposal?.anomaly ? `${p.proposal.anomaly.type} ${p.proposal.anomaly.ip}` : ''), ttlSeconds: ttl, force: p.force, anomaly: p.proposal?.anomaly, confirmedVictimDiscard: p.confirmed });
        const scope = scopeOf(p.proposal?.targets, b.rule.neighbors);
        if (scope) deps.effects?.setScope(b.id, scope);
        deps.onAdded?.(b);
        changed();
        return view(b);
      } catch (err) {
        refuse(err);
      }
    },
    'block.remove': async (params, ctx) => {
      const p = (params ?? {}) as { id?: string | number; target?: string; reason?: string };
      try {
        const r = await svc.remove(p.id ?? p.target ?? '', actorOf(ctx), p.reason);
        changed();
        return r.map(view);
      } catch (err) {
        refuse(err);
      }
    },
    'block.extend': async (params, ctx) => {
      const p = (params ?? {}) as { id?: number; by?: string | number };
      const secs = parseTtl(p.by ?? '');
      if (!p.id || !secs) throw new RpcError('BAD_PARAMS', 'block.extend needs id and by (e.g. 30m)');
      try {
        const b = svc.extend(Number(p.id), secs, actorOf(ctx));
        changed();
        return view(b);
      } catch (err) {
        refuse(err);
      }
    },
    'block.panic': async (params, ctx) => {
      const n = await svc.panic(actorOf(ctx), String((params as { reason?: string })?.reason ?? 'panic'));
      changed();
      return { withdrawn: n };
    },
    'block.restore': async (_p, ctx) => {
      const n = await svc.restore(actorOf(ctx));
      changed();
      return { restored: n };
    },
    'block.covering': async (params) => svc.covering(String((params as { ip?: string })?.ip ?? '')).map(view),
    'audit.list': async (params) => svc.audit(Math.min(5000, Number((params as { limit?: number })?.limit ?? 200))),
  };
}

/** The routers a proposal chose, read defensively (it comes back from a client), when they match the rule's. Pure. */
function scopeOf(x: unknown, neighbors: string[] | undefined): BlockScope | undefined {
  if (!neighbors?.length || typeof x !== 'object' || x === null) return undefined;
  const t = x as Record<string, unknown>;
  const list = (v: unknown) =>
    (Array.isArray(v) ? v : []).flatMap((r) => {
      const o = r as Record<string, unknown>;
      return typeof o?.address === 'string' && typeof o.share === 'number' && Number.isFinite(o.share) ? [{ address: o.address, share: o.share, ...(typeof o.name === 'string' ? { name: o.name.slice(0, 60) } : {}) }] : [];
    });
  const chosen = list(t.chosen);
  if (chosen.map((c) => c.address).sort().join(',') !== [...neighbors].sort().join(',')) return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { covered: num(t.covered), chosen, skipped: list(t.skipped), threshold: num(t.threshold) };
}

/** The area: create inert, start (speaker, reconcile, timers), stop in reverse. */
export function createFlowspecArea(
  cfg: FlowspecConfig,
  deps: {
    db: Db; dataDir: string; latestFiles: () => string[]; source: FlowSource; inside: string[]; bus?: EventBus; now?: () => number;
    latestWindow?: () => { timeSlot: number; anomalies: Anomaly[] } | undefined; onRecord?: (entry: AuditEntry, block?: Block) => void;
    /** nfcapd's rotation interval in seconds, when the engine was told (else inferred from the file names). */
    intervalSeconds?: number;
  },
) {
  let managed: { stop(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let svc: BlockService | undefined;
  let handlers: HandlerTable = {};
  const effects = createEffectStore(deps.db);
  const pending = new Set<Promise<void>>();
  const communities = Object.fromEntries(cfg.neighbors.map((n, i) => [n.address, neighborCommunity(cfg, i)]));
  const targeting = targetingEnabled(cfg);
  const metered = (blocks: Block[]): MeteredRule[] => blocks.map((b) => ({ id: b.id, rule: b.rule, ...(b.rule.neighbors?.length ? { entries: entriesOf(cfg.neighbors, b.rule.neighbors) } : {}) }));
  let lastInterval = deps.intervalSeconds;
  const changed = (data: Record<string, unknown>) => deps.bus?.publish('block.changed', { at: Date.now(), ...data });

  /** The block effect meter, a consumer of every window's batches (nothing runs when no rule is active). */
  const tap: WindowTap = {
    name: 'block-effect',
    open(info) {
      lastInterval = info.intervalSeconds;
      if (!svc) return undefined;
      const end = info.fileTime + info.intervalSeconds * 1000;
      const blocks = svc.list().filter((b) => b.status === 'active' && b.createdAt < end);
      if (blocks.length === 0) return undefined;
      const meter = new EffectMeter(metered(blocks));
      return {
        add: (b) => meter.add(b),
        done: () => {
          effects.record(meter.result({ start: Math.floor(info.fileTime / 1000), timeSlot: info.timeSlot, seconds: info.intervalSeconds }));
          changed({ effect: true });
        },
      };
    },
  };

  /** The baseline of a new block: what it would have matched in the latest window (read through the FlowSource). */
  async function baseline(b: Block): Promise<void> {
    const files = deps.latestFiles();
    if (files.length === 0) return;
    const times = files.map((f) => parseNfcapdName(path.basename(f))).filter((t): t is number => t !== undefined);
    if (times.length === 0) return;
    const seconds = lastInterval ?? rotationInterval(listCompleted(path.dirname(files[0])).map((f) => f.time)) / 1000;
    const rules = metered([b]);
    const meter = new EffectMeter(rules);
    for await (const batch of deps.source.read(files, { filter: meterFilter(rules) })) meter.add(batch);
    const start = Math.min(...times);
    effects.record(meter.result({ start: Math.floor(start / 1000), timeSlot: timeSlotOf(Math.floor(start / 1000)), seconds }, true));
    changed({ effect: true, id: b.id });
  }
  const onAdded = (b: Block) => {
    const p = baseline(b).catch(() => undefined).finally(() => pending.delete(p));
    pending.add(p);
  };

  const area = {
    get handlers(): HandlerTable {
      return handlers;
    },
    get service(): BlockService | undefined {
      return svc;
    },
    /** The engine's window taps (the block effect meter). */
    taps: [tap] as WindowTap[],
    /** The effect tables (tests, the CLI fallback). */
    effects,
    /** Resolves when the baselines being measured are stored. */
    async settled(): Promise<void> {
      await Promise.all([...pending]);
    },
    async start(): Promise<void> {
      if (!cfg.enabled) return;
      if (cfg.mode === 'managed') {
        managed = await startGobgpd(
          {
            bin: cfg.gobgpdBin, routerId: cfg.routerId, as: cfg.as, listenAddress: cfg.listenAddress, listenPort: cfg.listenPort, apiHost: cfg.apiHost, apiPort: cfg.apiPort, neighbors: cfg.neighbors,
            ...(targeting ? { targets: cfg.neighbors.map((n) => ({ address: n.address, community: communities[n.address] })) } : {}),
          },
          path.join(deps.dataDir, 'gobgpd'),
        );
      }
      const speaker: Speaker = createGobgpSpeaker({ cliBin: cfg.gobgpBin, apiHost: cfg.apiHost, apiPort: cfg.apiPort, ...(targeting ? { communities } : {}) });
      svc = createBlockService(deps.db, speaker, cfg, deps.now, deps.onRecord);
      handlers = flowspecHandlers(svc, cfg, { ...deps, effects, onAdded });
      await svc.reconcile().catch(() => undefined);
      let lastSlot: number | undefined;
      const tick = async () => {
        await svc!.reconcile().catch(() => undefined);
        // Auto-block looks at each new window once.
        const w = deps.latestWindow?.();
        if (w && w.timeSlot !== lastSlot) {
          lastSlot = w.timeSlot;
          await area.onWindow(w.anomalies);
        }
        timer = setTimeout(tick, cfg.reconcileSeconds * 1000);
      };
      timer = setTimeout(tick, Math.min(cfg.reconcileSeconds, 10) * 1000);
    },
    /** Auto-block (off by default): sources of super-severity scans, short TTL, same guards. Victims never. */
    async onWindow(anomalies: Anomaly[]): Promise<void> {
      if (!svc || !cfg.autoBlock) return;
      for (const a of anomalies) {
        if (a.type !== 'scan' || a.severity !== 'super' || a.role !== 'attacker') continue;
        const p = proposeRule(a);
        await svc.add({ source: p.rule.source, protocol: p.rule.protocol, destinationPort: p.rule.destinationPort }, { user: 'nocflow-auto' }, { reason: `auto: super scan ${a.signature ?? ''}`.trim(), ttlSeconds: cfg.autoBlockTtlSeconds, anomaly: { ip: a.ip, type: a.type, role: a.role } }).catch(() => undefined);
      }
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      await managed?.stop();
    },
  };
  return area;
}
