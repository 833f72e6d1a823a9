/**
 * FlowSpec as an engine area: the speaker (managed gobgpd or an existing one), the block service, periodic expiry and
 * reconciliation, optional auto-block of super scans, and the `block.*` / `audit.list` handlers on the engine socket.
 */
import path from 'node:path';
import type { FlowspecConfig } from '../config/sections/flowspec.js';
import type { Anomaly, FlowSource } from '../engine/types.js';
import { RpcError, type EventBus, type HandlerTable, type RequestContext } from '../daemon/protocol.js';
import type { Db } from '../store/db.js';
import { createGobgpSpeaker, startGobgpd, type Speaker } from './gobgp.js';
import { previewImpact } from './preview.js';
import { proposeRule } from './propose.js';
import { impactText } from '../i18n/flowspec-text.js';
import { RuleError, ruleText, type FlowSpecRule, type RuleInput } from './rule.js';
import { BlockRefused, createBlockService, parseTtl, type AuditEntry, type Block, type BlockService } from './service.js';
import { checkGuards } from './guards.js';

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
  const changed = () => deps.bus?.publish('block.changed', { at: Date.now() });
  return {
    'block.list': async (params) => svc.list({ all: !!(params as { all?: boolean })?.all }).map(blockView),
    'block.propose': async (params) => {
      const anomalies = ((params as { anomalies?: Anomaly[] })?.anomalies ?? []).slice(0, 50);
      const proposals = [];
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
          const imp = await previewImpact(p.rule, deps.latestFiles(), deps.source, deps.inside).catch(() => undefined);
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
    'block.add': async (params, ctx) => {
      const p = (params ?? {}) as { proposal?: { spec?: FlowSpecRule; anomaly?: { ip: string; type: string; role?: string; spoofedShare?: number } }; rule?: RuleInput; reason?: string; ttl?: string | number; force?: boolean; confirmed?: boolean };
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
        changed();
        return blockView(b);
      } catch (err) {
        refuse(err);
      }
    },
    'block.remove': async (params, ctx) => {
      const p = (params ?? {}) as { id?: string | number; target?: string; reason?: string };
      try {
        const r = await svc.remove(p.id ?? p.target ?? '', actorOf(ctx), p.reason);
        changed();
        return r.map(blockView);
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
        return blockView(b);
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
    'block.covering': async (params) => svc.covering(String((params as { ip?: string })?.ip ?? '')).map(blockView),
    'audit.list': async (params) => svc.audit(Math.min(5000, Number((params as { limit?: number })?.limit ?? 200))),
  };
}

/** The area: create inert, start (speaker, reconcile, timers), stop in reverse. */
export function createFlowspecArea(cfg: FlowspecConfig, deps: { db: Db; dataDir: string; latestFiles: () => string[]; source: FlowSource; inside: string[]; bus?: EventBus; now?: () => number; latestWindow?: () => { timeSlot: number; anomalies: Anomaly[] } | undefined; onRecord?: (entry: AuditEntry, block?: Block) => void }) {
  let managed: { stop(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let svc: BlockService | undefined;
  let handlers: HandlerTable = {};
  const area = {
    get handlers(): HandlerTable {
      return handlers;
    },
    get service(): BlockService | undefined {
      return svc;
    },
    async start(): Promise<void> {
      if (!cfg.enabled) return;
      if (cfg.mode === 'managed') {
        managed = await startGobgpd(
          { bin: cfg.gobgpdBin, routerId: cfg.routerId, as: cfg.as, listenAddress: cfg.listenAddress, listenPort: cfg.listenPort, apiHost: cfg.apiHost, apiPort: cfg.apiPort, neighbors: cfg.neighbors },
          path.join(deps.dataDir, 'gobgpd'),
        );
      }
      const speaker: Speaker = createGobgpSpeaker({ cliBin: cfg.gobgpBin, apiHost: cfg.apiHost, apiPort: cfg.apiPort });
      svc = createBlockService(deps.db, speaker, cfg, deps.now, deps.onRecord);
      handlers = flowspecHandlers(svc, cfg, deps);
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
