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
import { createGobgpSpeaker, startGobgpd, type ManagedGobgpd, type ManagedProcess, type Speaker } from './gobgp.js';
import { previewImpact } from './preview.js';
import { proposeRule } from './propose.js';
import { factText, impactText } from '../i18n/flowspec-text.js';
import { RuleError, ruleText, type FlowSpecRule, type RuleInput } from './rule.js';
import { BlockRefused, createBlockService, parseTtl, type AuditEntry, type Block, type BlockService, type ReconcileResult } from './service.js';
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

/** A block as the socket lists it (block.list, block.add, block.remove, block.covering). */
export type BlockView = ReturnType<typeof blockView>;

/** The routers an entry-point proposal chose (the `routers` fact, as data). */
export interface ProposalTargets {
  chosen: { address: string; share: number; name?: string }[];
  skipped: { address: string; share: number; name?: string }[];
  covered: number;
  threshold: number;
}

/** One answer of `block.propose`: the exact rule and its impact, or the refusal with its reasons. */
export type BlockProposal =
  | {
      ok: true;
      target: string;
      /** The rule in words, as it will be announced ("ipv4 src 198.51.100.7/32 tcp dport 22 → discard"). */
      rule: string;
      /** The rule as a value: what block.add takes back. */
      spec: FlowSpecRule;
      /** Entry-point mitigation: the routers chosen for a victim's rule, when not all of them. */
      targets?: ProposalTargets;
      notes: string[];
      /** The impact preview and notes in the engine's English. */
      impact: string[];
      /** The same as data, for screens in other languages. */
      facts: ProposalFact[];
      preview: { flows: number; packets: number; bytes: number; twoWayFlows: number; twoWayInside: number; insideKnown: boolean } | null;
      anomaly: { ip: string; type: string; role: string; spoofedShare?: number };
    }
  | { ok: false; target: string; reasons: string[] };

/** `block.add` params: a proposal as block.propose answered it, or a rule of the operator's (CLI). */
export interface BlockAddParams {
  proposal?: { spec?: FlowSpecRule; anomaly?: { ip: string; type: string; role?: string; spoofedShare?: number }; targets?: unknown };
  rule?: RuleInput;
  reason?: string;
  ttl?: string | number;
  force?: boolean;
  /** The operator confirmed a bare discard of a destination (`--yes`). */
  confirmed?: boolean;
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
  // block.changed is published by the area for every audited change (createFlowspecArea's onRecord), not here.
  const view = (b: Block) => blockView(b, deps.effects ? { series: deps.effects.series(b.id), scope: deps.effects.scope(b.id), idleWindows: cfg.idleWindows } : undefined);
  const targeting = targetingEnabled(cfg);
  const known = new Set(cfg.neighbors.map((n) => n.address));
  return {
    'block.list': async (params): Promise<BlockView[]> => svc.list({ all: !!(params as { all?: boolean })?.all }).map(view),
    'block.propose': async (params): Promise<{ proposals: BlockProposal[] }> => {
      const anomalies = ((params as { anomalies?: Anomaly[] })?.anomalies ?? []).slice(0, 50);
      const proposals: BlockProposal[] = [];
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
          // No window yet: say so, rather than "0 flows would have matched".
          const files = deps.latestFiles();
          const imp = files.length > 0 ? await previewImpact(p.rule, files, deps.source, deps.inside).catch(() => undefined) : undefined;
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
    'block.add': async (params, ctx): Promise<BlockView> => {
      const p = (params ?? {}) as BlockAddParams;
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
        return view(b);
      } catch (err) {
        refuse(err);
      }
    },
    'block.remove': async (params, ctx): Promise<BlockView[]> => {
      const p = (params ?? {}) as { id?: string | number; target?: string; reason?: string };
      try {
        const r = await svc.remove(p.id ?? p.target ?? '', actorOf(ctx), p.reason);
        return r.map(view);
      } catch (err) {
        refuse(err);
      }
    },
    'block.extend': async (params, ctx): Promise<BlockView> => {
      const p = (params ?? {}) as { id?: number; by?: string | number };
      const secs = parseTtl(p.by ?? '');
      if (!p.id || !secs) throw new RpcError('BAD_PARAMS', 'block.extend needs id and by (e.g. 30m)');
      try {
        const b = svc.extend(Number(p.id), secs, actorOf(ctx));
        return view(b);
      } catch (err) {
        refuse(err);
      }
    },
    'block.panic': async (params, ctx): Promise<{ withdrawn: number }> => {
      const n = await svc.panic(actorOf(ctx), String((params as { reason?: string })?.reason ?? 'panic'));
      return { withdrawn: n };
    },
    'block.restore': async (_p, ctx): Promise<{ restored: number }> => {
      const n = await svc.restore(actorOf(ctx));
      return { restored: n };
    },
    'block.covering': async (params): Promise<BlockView[]> => {
      const target = String((params as { target?: string })?.target ?? '');
      try {
        return svc.covering(target).map(view);
      } catch (err) {
        throw new RpcError('BAD_PARAMS', (err as Error).message);
      }
    },
    'audit.list': async (params): Promise<AuditEntry[]> => svc.audit(Math.min(5000, Number((params as { limit?: number })?.limit ?? 200))),
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

/** What the FlowSpec area reports in `engine status` (`areas.flowspec`). */
export interface FlowspecStatus {
  mode: FlowspecConfig['mode'];
  activeBlocks: number;
  speaker: { managed: boolean; pid?: number; up: boolean; restarts: number; lastExit?: { at: number; code: number | null; signal: string | null }; lastError?: string };
  reconcile: { runs: number; failedRuns: number; routeFailures: number; announced: number; withdrawn: number; foreign: number; lastRun?: number; lastError?: string; lastFailures: ReconcileResult['failures'] };
  autoBlock: { enabled: boolean; blocked: number; refused: number; failed: number; lastError?: string };
  /** block.changed events published. */
  changes: number;
}

/**
 * The `block.changed` event: what changed (audit actions) and which blocks, coalesced per turn of the event loop;
 * `effect` when a block's measured effect (or baseline) was stored, which changes no block.
 */
export interface BlockChangedEvent {
  at: number;
  actions: string[];
  blockIds: number[];
  effect?: boolean;
}

/** Dependencies of the area. */
export interface FlowspecAreaDeps {
  db: Db;
  dataDir: string;
  latestFiles: () => string[];
  source: FlowSource;
  inside: string[];
  bus?: EventBus;
  now?: () => number;
  latestWindow?: () => { timeSlot: number; anomalies: Anomaly[] } | undefined;
  onRecord?: (entry: AuditEntry, block?: Block) => void;
  log?: (line: string) => void;
  /** The speaker (tests); default gobgp's CLI at apiHost:apiPort. */
  speaker?: Speaker;
  /** Pause before restarting a managed gobgpd that died (grows to 30 s while it keeps dying); default 1000 ms. */
  restartDelayMs?: number;
  /** nfcapd's rotation interval in seconds, when the engine was told (else inferred from the file names). */
  intervalSeconds?: number;
}

/**
 * The area: create inert; start (managed gobgpd, first reconcile, the reconcile/expiry/auto-block timer); stop in
 * reverse. Every audited change (operator, expiry, auto-block, panic/restore, reconciliation) publishes
 * `block.changed`; a managed gobgpd that dies is restarted, reconciled and reported.
 */
export function createFlowspecArea(cfg: FlowspecConfig, deps: FlowspecAreaDeps) {
  const log = deps.log ?? (() => undefined);
  const now = deps.now ?? Date.now;
  let managed: ManagedProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> | undefined;
  let stopped = true;
  let svc: BlockService | undefined;
  let handlers: HandlerTable = {};
  const st: Omit<FlowspecStatus, 'mode' | 'activeBlocks'> = {
    speaker: { managed: cfg.mode === 'managed', up: false, restarts: 0 },
    reconcile: { runs: 0, failedRuns: 0, routeFailures: 0, announced: 0, withdrawn: 0, foreign: 0, lastFailures: [] },
    autoBlock: { enabled: !!cfg.autoBlock, blocked: 0, refused: 0, failed: 0 },
    changes: 0,
  };

  // block.changed, coalesced: one event per turn for a panic of 500 rules, not 500.
  let pendingChange: BlockChangedEvent | undefined;
  const onRecord = (entry: AuditEntry, block?: Block) => {
    deps.onRecord?.(entry, block);
    if (entry.action === 'refused') return;
    if (!pendingChange) {
      pendingChange = { at: now(), actions: [], blockIds: [] };
      setImmediate(() => {
        const e = pendingChange!;
        pendingChange = undefined;
        st.changes++;
        deps.bus?.publish('block.changed', e);
      });
    }
    if (!pendingChange.actions.includes(entry.action)) pendingChange.actions.push(entry.action);
    if (entry.blockId !== undefined && !pendingChange.blockIds.includes(entry.blockId)) pendingChange.blockIds.push(entry.blockId);
  };

  const gobgpdSettings = (): ManagedGobgpd => ({
    bin: cfg.gobgpdBin, routerId: cfg.routerId, as: cfg.as, listenAddress: cfg.listenAddress, listenPort: cfg.listenPort, apiHost: cfg.apiHost, apiPort: cfg.apiPort, neighbors: cfg.neighbors,
    ...(targeting ? { targets: cfg.neighbors.map((n) => ({ address: n.address, community: communities[n.address] })) } : {}),
  });

  /** One reconciliation, counted and logged route by route; never throws. */
  const reconcile = async (why: string): Promise<void> => {
    if (!svc) return;
    st.reconcile.runs++;
    st.reconcile.lastRun = now();
    try {
      const r = await svc.reconcile();
      st.reconcile.announced += r.announced;
      st.reconcile.withdrawn += r.withdrawn;
      st.reconcile.foreign = r.foreign;
      st.reconcile.routeFailures += r.failed;
      st.reconcile.lastFailures = r.failures.slice(0, 10);
      for (const f of r.failures) log(`flowspec reconcile (${why}): cannot ${f.action} ${f.route}: ${f.error}`);
      if (r.announced || r.withdrawn) log(`flowspec reconcile (${why}): ${r.announced} announced, ${r.withdrawn} withdrawn${r.failed ? `, ${r.failed} failed` : ''}`);
      if (r.failed === 0) delete st.reconcile.lastError;
      else st.reconcile.lastError = `${r.failed} route(s) failed: ${r.failures[0].error}`;
    } catch (err) {
      st.reconcile.failedRuns++;
      st.reconcile.lastError = (err as Error).message;
      log(`flowspec reconcile (${why}) failed: ${(err as Error).message}`);
    }
  };

  /** Start the managed gobgpd and watch it: when it dies (not stopped by us), restart it and reconcile. */
  const startManaged = async (): Promise<void> => {
    const proc = await startGobgpd(gobgpdSettings(), path.join(deps.dataDir, 'gobgpd'));
    managed = proc;
    st.speaker.pid = proc.pid;
    st.speaker.up = true;
    delete st.speaker.lastError;
    void proc.exited.then((x) => {
      if (stopped || managed !== proc) return;
      st.speaker.up = false;
      st.speaker.lastExit = { at: now(), ...x };
      log(`flowspec: managed gobgpd (pid ${proc.pid}) exited (${x.signal ?? `code ${x.code}`}); restarting it`);
      deps.bus?.publish('flowspec.speaker', { state: 'down', pid: proc.pid, ...x });
      scheduleRestart(deps.restartDelayMs ?? 1000);
    });
  };
  const scheduleRestart = (delay: number) => {
    restartTimer = setTimeout(async () => {
      if (stopped) return;
      try {
        await startManaged();
        st.speaker.restarts++;
        log(`flowspec: managed gobgpd restarted (pid ${managed?.pid}); reconciling`);
        deps.bus?.publish('flowspec.speaker', { state: 'up', pid: managed?.pid, restarts: st.speaker.restarts });
        await reconcile('speaker restart');
      } catch (err) {
        st.speaker.lastError = (err as Error).message;
        log(`flowspec: restarting gobgpd failed: ${(err as Error).message}; next try in ${Math.min(30_000, delay * 2)} ms`);
        if (!stopped) scheduleRestart(Math.min(30_000, delay * 2));
      }
    }, delay);
  };

  const effects = createEffectStore(deps.db);
  const pending = new Set<Promise<void>>();
  const communities = Object.fromEntries(cfg.neighbors.map((n, i) => [n.address, neighborCommunity(cfg, i)]));
  const targeting = targetingEnabled(cfg);
  const metered = (blocks: Block[]): MeteredRule[] => blocks.map((b) => ({ id: b.id, rule: b.rule, ...(b.rule.neighbors?.length ? { entries: entriesOf(cfg.neighbors, b.rule.neighbors) } : {}) }));
  let lastInterval = deps.intervalSeconds;
  /** An effect (or a baseline) was stored: the Blocks view re-reads it. */
  const effectStored = (id?: number) => deps.bus?.publish('block.changed', { at: now(), actions: [], blockIds: id === undefined ? [] : [id], effect: true } satisfies BlockChangedEvent);

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
          effectStored();
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
    effectStored(b.id);
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
      stopped = false;
      if (cfg.mode === 'managed') await startManaged();
      const speaker: Speaker = deps.speaker ?? createGobgpSpeaker({ cliBin: cfg.gobgpBin, apiHost: cfg.apiHost, apiPort: cfg.apiPort, ...(targeting ? { communities } : {}) });
      svc = createBlockService(deps.db, speaker, cfg, deps.now, onRecord);
      handlers = flowspecHandlers(svc, cfg, { ...deps, effects, onAdded });
      await reconcile('start');
      let lastSlot: number | undefined;
      const tick = async () => {
        const done = tickBody();
        inflight = done;
        await done;
        // stop() may have run while this tick was in flight: then no new timer.
        if (!stopped) timer = setTimeout(tick, cfg.reconcileSeconds * 1000);
      };
      const tickBody = async () => {
        await reconcile('timer');
        // Auto-block looks at each new window once.
        const w = deps.latestWindow?.();
        if (!stopped && w && w.timeSlot !== lastSlot) {
          lastSlot = w.timeSlot;
          await area.onWindow(w.anomalies);
        }
      };
      timer = setTimeout(tick, Math.min(cfg.reconcileSeconds, 10) * 1000);
    },
    /** Auto-block (off by default): sources of super-severity scans, short TTL, same guards. Victims never. */
    async onWindow(anomalies: Anomaly[]): Promise<void> {
      if (!svc || !cfg.autoBlock) return;
      for (const a of anomalies) {
        if (a.type !== 'scan' || a.severity !== 'super' || a.role !== 'attacker') continue;
        const p = proposeRule(a);
        try {
          await svc.add({ source: p.rule.source, protocol: p.rule.protocol, destinationPort: p.rule.destinationPort }, { user: 'nocflow-auto' }, { reason: `auto: super scan ${a.signature ?? ''}`.trim(), ttlSeconds: cfg.autoBlockTtlSeconds, anomaly: { ip: a.ip, type: a.type, role: a.role } });
          st.autoBlock.blocked++;
        } catch (err) {
          // A guard saying no (already blocked, protected, too many rules) is the guard's job; anything else is a failure.
          if (err instanceof BlockRefused) st.autoBlock.refused++;
          else {
            st.autoBlock.failed++;
            st.autoBlock.lastError = (err as Error).message;
            log(`flowspec auto-block of ${a.ip} failed: ${(err as Error).message}`);
          }
        }
      }
    },
    status(): FlowspecStatus {
      return { mode: cfg.mode, activeBlocks: svc ? svc.list().filter((b) => b.status === 'active').length : 0, ...structuredClone(st) };
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (restartTimer) clearTimeout(restartTimer);
      timer = undefined;
      restartTimer = undefined;
      // A tick in flight finishes before the speaker goes (and before the caller closes the database).
      await inflight?.catch(() => undefined);
      const m = managed;
      managed = undefined;
      st.speaker.up = false;
      await m?.stop();
    },
  };
  return area;
}
