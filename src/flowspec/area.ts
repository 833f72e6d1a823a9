/**
 * FlowSpec as an engine area: the speaker (managed gobgpd or an existing one), the block service, periodic expiry and
 * reconciliation, optional auto-block of super scans, and the `block.*` / `audit.list` handlers on the engine socket.
 */
import path from 'node:path';
import type { FlowspecConfig } from '../config/sections/flowspec.js';
import type { Anomaly, FlowSource } from '../engine/types.js';
import { RpcError, type EventBus, type HandlerTable, type RequestContext } from '../daemon/protocol.js';
import type { Db } from '../store/db.js';
import { createGobgpSpeaker, startGobgpd, type ManagedGobgpd, type ManagedProcess, type Speaker } from './gobgp.js';
import { previewImpact } from './preview.js';
import { proposeRule } from './propose.js';
import { impactText, type ProposalFact } from '../i18n/flowspec-text.js';
import { RuleError, ruleText, type FlowSpecRule, type RuleInput } from './rule.js';
import { BlockRefused, createBlockService, parseTtl, type AuditEntry, type Block, type BlockService, type ReconcileResult } from './service.js';
import { checkGuards } from './guards.js';

/** A block as the socket lists it (block.list, block.add, block.remove, block.covering). */
export type BlockView = ReturnType<typeof blockView>;

/** One answer of `block.propose`: the exact rule and its impact, or the refusal with its reasons. */
export type BlockProposal =
  | {
      ok: true;
      target: string;
      /** The rule in words, as it will be announced ("ipv4 src 198.51.100.7/32 tcp dport 22 → discard"). */
      rule: string;
      /** The rule as a value: what block.add takes back. */
      spec: FlowSpecRule;
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
  proposal?: { spec?: FlowSpecRule; anomaly?: { ip: string; type: string; role?: string; spoofedShare?: number } };
  rule?: RuleInput;
  reason?: string;
  ttl?: string | number;
  force?: boolean;
  /** The operator confirmed a bare discard of a destination (`--yes`). */
  confirmed?: boolean;
}

/** A block as the socket lists it (the TUI reads `text`, `action`, `who`, `reason`, times). */
export function blockView(b: Block) {
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
  };
}

const actorOf = (ctx: RequestContext) => ({ user: ctx.user, sshConnection: ctx.sshConnection });

function refuse(err: unknown): never {
  if (err instanceof BlockRefused) throw new RpcError('GUARD', err.message, { guard: err.guard });
  if (err instanceof RuleError) throw new RpcError('BAD_RULE', err.message, { reasons: err.reasons });
  throw err;
}

/** The handler table over a service (exported for in-process tests). */
export function flowspecHandlers(svc: BlockService, cfg: FlowspecConfig, deps: { latestFiles: () => string[]; source: FlowSource; inside: string[]; bus?: EventBus }): HandlerTable {
  return {
    'block.list': async (params): Promise<BlockView[]> => svc.list({ all: !!(params as { all?: boolean })?.all }).map(blockView),
    'block.propose': async (params): Promise<{ proposals: BlockProposal[] }> => {
      const anomalies = ((params as { anomalies?: Anomaly[] })?.anomalies ?? []).slice(0, 50);
      const proposals: BlockProposal[] = [];
      for (const a of anomalies) {
        try {
          const p = proposeRule(a, { victimRateBytesPerSecond: cfg.victimRateBytesPerSecond });
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
            sourcePort: p.proposal.spec.sourcePort, packetLength: p.proposal.spec.packetLength, community: p.proposal.spec.community,
            ...(p.proposal.spec.action?.kind === 'rate-limit' ? { action: 'rate-limit', bytesPerSecond: p.proposal.spec.action.bytesPerSecond } : { action: 'discard' }),
          }
        : p.rule;
      if (!input) throw new RpcError('BAD_PARAMS', 'block.add needs a proposal or a rule');
      const ttl = p.ttl === undefined ? undefined : parseTtl(p.ttl);
      if (p.ttl !== undefined && ttl === undefined) throw new RpcError('BAD_PARAMS', `cannot read TTL "${String(p.ttl)}" (use 30m, 2h, 1d)`);
      try {
        const b = await svc.add(input, actorOf(ctx), { reason: p.reason ?? (p.proposal?.anomaly ? `${p.proposal.anomaly.type} ${p.proposal.anomaly.ip}` : ''), ttlSeconds: ttl, force: p.force, anomaly: p.proposal?.anomaly, confirmedVictimDiscard: p.confirmed });
        return blockView(b);
      } catch (err) {
        refuse(err);
      }
    },
    'block.remove': async (params, ctx): Promise<BlockView[]> => {
      const p = (params ?? {}) as { id?: string | number; target?: string; reason?: string };
      try {
        const r = await svc.remove(p.id ?? p.target ?? '', actorOf(ctx), p.reason);
        return r.map(blockView);
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
        return blockView(b);
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
        return svc.covering(target).map(blockView);
      } catch (err) {
        throw new RpcError('BAD_PARAMS', (err as Error).message);
      }
    },
    'audit.list': async (params): Promise<AuditEntry[]> => svc.audit(Math.min(5000, Number((params as { limit?: number })?.limit ?? 200))),
  };
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

/** The `block.changed` event: what changed (audit actions) and which blocks, coalesced per turn of the event loop. */
export interface BlockChangedEvent {
  at: number;
  actions: string[];
  blockIds: number[];
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
  let pending: BlockChangedEvent | undefined;
  const onRecord = (entry: AuditEntry, block?: Block) => {
    deps.onRecord?.(entry, block);
    if (entry.action === 'refused') return;
    if (!pending) {
      pending = { at: now(), actions: [], blockIds: [] };
      setImmediate(() => {
        const e = pending!;
        pending = undefined;
        st.changes++;
        deps.bus?.publish('block.changed', e);
      });
    }
    if (!pending.actions.includes(entry.action)) pending.actions.push(entry.action);
    if (entry.blockId !== undefined && !pending.blockIds.includes(entry.blockId)) pending.blockIds.push(entry.blockId);
  };

  const gobgpdSettings = (): ManagedGobgpd => ({ bin: cfg.gobgpdBin, routerId: cfg.routerId, as: cfg.as, listenAddress: cfg.listenAddress, listenPort: cfg.listenPort, apiHost: cfg.apiHost, apiPort: cfg.apiPort, neighbors: cfg.neighbors });

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

  const area = {
    get handlers(): HandlerTable {
      return handlers;
    },
    get service(): BlockService | undefined {
      return svc;
    },
    async start(): Promise<void> {
      if (!cfg.enabled) return;
      stopped = false;
      if (cfg.mode === 'managed') await startManaged();
      const speaker: Speaker = deps.speaker ?? createGobgpSpeaker({ cliBin: cfg.gobgpBin, apiHost: cfg.apiHost, apiPort: cfg.apiPort });
      svc = createBlockService(deps.db, speaker, cfg, deps.now, onRecord);
      handlers = flowspecHandlers(svc, cfg, deps);
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
