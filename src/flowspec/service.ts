/**
 * The block service: guards, persistence, expiry with repeat-offender TTLs, panic/restore, reconciliation with the
 * speaker's RIB, and the append-only audit. The store is written before the speaker is told (intent first), so a
 * crash never forgets a block; reconciliation re-announces what the store holds active and withdraws what it
 * does not know.
 */
import type { Db } from '../store/db.js';
import type { FlowspecConfig } from '../config/sections/flowspec.js';
import { checkGuards } from './guards.js';
import { nlriText, ruleKey, ruleText, validateRule, type FlowSpecRule, type RuleInput } from './rule.js';
import type { Speaker } from './gobgp.js';
import { coveringTarget, ruleCovers } from './covering.js';

export type BlockStatus = 'active' | 'withdrawn' | 'expired' | 'removed';

/** A block as stored and listed. */
export interface Block {
  id: number;
  rule: FlowSpecRule;
  text: string;
  status: BlockStatus;
  createdAt: number;
  expiresAt: number;
  ttlSeconds: number;
  offence: number;
  who: string;
  origin?: string;
  reason: string;
  anomaly?: { ip: string; type: string; timeSlot?: number };
  lastError?: string;
}

/** One audit entry. */
export interface AuditEntry {
  id: number;
  at: number;
  who: string;
  origin?: string;
  action: string;
  blockId?: number;
  rule?: string;
  reason?: string;
  detail?: string;
}

/** What one reconciliation did, route by route. */
export interface ReconcileResult {
  announced: number;
  withdrawn: number;
  /** Routes that could not be announced or withdrawn (each in `failures`); the others were still done. */
  failed: number;
  /** Routes in the speaker's RIB that nocflow never announced, left alone (`external` mode). */
  foreign: number;
  failures: { route: string; action: 'announce' | 'withdraw'; blockId?: number; error: string }[];
}

/** Who is acting. */
export interface Actor {
  user: string;
  sshConnection?: string;
}

/** A refusal the operator must see, with its guard. */
export class BlockRefused extends Error {
  constructor(readonly guard: string, message: string) {
    super(message);
    this.name = 'BlockRefused';
  }
}

interface Row {
  id: number; rule_key: string; rule: string; status: BlockStatus; created_at: number; expires_at: number; ttl_seconds: number;
  offence: number; who: string; origin: string | null; reason: string; anomaly: string | null; last_error: string | null;
}

const toBlock = (r: Row): Block => {
  const rule = JSON.parse(r.rule) as FlowSpecRule;
  return {
    id: r.id, rule, text: ruleText(rule), status: r.status, createdAt: r.created_at, expiresAt: r.expires_at, ttlSeconds: r.ttl_seconds,
    offence: r.offence, who: r.who, reason: r.reason, ...(r.origin ? { origin: r.origin } : {}), ...(r.anomaly ? { anomaly: JSON.parse(r.anomaly) } : {}),
    ...(r.last_error ? { lastError: r.last_error } : {}),
  };
};

/** The TTL of the n-th block of the same match: default × multiplier^(n−1), capped. Pure. */
export function ttlFor(offence: number, cfg: Pick<FlowspecConfig, 'defaultTtlSeconds' | 'repeatMultiplier' | 'maxTtlSeconds'>, requested?: number): number {
  const base = requested ?? cfg.defaultTtlSeconds;
  return Math.min(cfg.maxTtlSeconds, Math.round(base * cfg.repeatMultiplier ** Math.max(0, offence - 1)));
}

/** "30m", "2h", "1d", "90s", "600" → seconds; undefined when malformed. Pure. */
export function parseTtl(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'number') return text > 0 ? Math.round(text) : undefined;
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]];
}

/** Options of one block request. */
export interface AddOptions {
  reason?: string;
  ttlSeconds?: number;
  force?: boolean;
  /** The anomaly it came from (spoofed share and victim status feed the guards). */
  anomaly?: { ip: string; type: string; role?: string; timeSlot?: number; spoofedShare?: number };
  /** The operator confirmed a bare discard of a victim. */
  confirmedVictimDiscard?: boolean;
}

/**
 * Create the service. `now` is injected (tests move time). `onRecord` mirrors every audit entry, with the block it
 * concerns as it stands after the change, to another store (Elasticsearch); it must not throw.
 */
export function createBlockService(db: Db, speaker: Speaker, cfg: FlowspecConfig, now: () => number = Date.now, onRecord?: (entry: AuditEntry, block?: Block) => void) {
  const audit = (a: Actor, action: string, fields: { blockId?: number; rule?: FlowSpecRule; reason?: string; detail?: string } = {}) => {
    const at = now();
    const id = Number(
      db.prepare('INSERT INTO audit (at, who, origin, action, block_id, rule, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        at, a.user, a.sshConnection ?? null, action, fields.blockId ?? null, fields.rule ? ruleText(fields.rule) : null, fields.reason ?? null, fields.detail ?? null,
      ).lastInsertRowid,
    );
    if (onRecord) {
      const entry = Object.fromEntries(
        Object.entries({ id, at, who: a.user, origin: a.sshConnection, action, blockId: fields.blockId, rule: fields.rule ? ruleText(fields.rule) : undefined, reason: fields.reason, detail: fields.detail }).filter(([, v]) => v !== undefined),
      ) as unknown as AuditEntry;
      // The block row is read after the statement that changed it (audit is written after each change).
      queueMicrotask(() => onRecord(entry, fields.blockId ? service.get(fields.blockId) : undefined));
    }
  };
  const active = (): Block[] => (db.prepare("SELECT * FROM blocks WHERE status = 'active' ORDER BY id").all() as Row[]).map(toBlock);
  /** The NLRI (family|text) of every rule nocflow ever announced: what `external` mode may withdraw. */
  const everAnnounced = (): Set<string> => {
    const out = new Set<string>();
    for (const r of db.prepare('SELECT DISTINCT rule FROM blocks').all() as { rule: string }[]) {
      const rule = JSON.parse(r.rule) as FlowSpecRule;
      out.add(`${rule.family}|${nlriText(rule)}`);
    }
    return out;
  };
  const changesLastMinute = () =>
    (db.prepare("SELECT COUNT(*) AS n FROM audit WHERE at > ? AND action IN ('announce', 'withdraw', 'expire', 'panic-withdraw', 'restore')").get(now() - 60_000) as { n: number }).n;
  const setError = (id: number, err: string | null) => db.prepare('UPDATE blocks SET last_error = ? WHERE id = ?').run(err, id);
  const SYSTEM: Actor = { user: 'nocflow' };

  const service = {
    /** Validate, guard, store and announce a rule. Refusals throw BlockRefused (or RuleError for bad input). */
    async add(input: RuleInput, actor: Actor, opts: AddOptions = {}): Promise<Block> {
      const rule = validateRule(input);
      const key = ruleKey(rule);
      const existing = db.prepare("SELECT * FROM blocks WHERE rule_key = ? AND status = 'active'").get(key) as Row | undefined;
      if (existing) {
        const reason = `already blocked as #${existing.id} (${ruleText(rule)}); extend it instead`;
        audit(actor, 'refused', { rule, reason: opts.reason, detail: `duplicate: ${reason}` });
        throw new BlockRefused('duplicate', reason);
      }
      const refusal = checkGuards(rule, {
        protectedPrefixes: cfg.protectedPrefixes,
        minPrefixV4: cfg.minPrefixV4,
        minPrefixV6: cfg.minPrefixV6,
        force: !!opts.force,
        activeRules: active().length,
        maxActiveRules: cfg.maxActiveRules,
        changesLastMinute: changesLastMinute(),
        maxChangesPerMinute: cfg.maxChangesPerMinute,
        spoofedShare: opts.anomaly?.spoofedShare,
        // A rule that names only a destination is about a victim, whether it came from an anomaly or the CLI's --dst.
        victimIp: opts.anomaly?.role === 'victim' ? opts.anomaly.ip : rule.source === undefined && rule.destination ? rule.destination.replace(/\/(32|128)$/, '') : undefined,
        confirmedVictimDiscard: opts.confirmedVictimDiscard,
      });
      if (refusal) {
        audit(actor, 'refused', { rule, reason: opts.reason, detail: `${refusal.guard}: ${refusal.reason}` });
        throw new BlockRefused(refusal.guard, refusal.reason);
      }
      const offence = (db.prepare('SELECT COUNT(*) AS n FROM blocks WHERE rule_key = ?').get(key) as { n: number }).n + 1;
      const ttl = ttlFor(offence, cfg, opts.ttlSeconds);
      const t = now();
      // The block and its audit row in one transaction: never a block without its audit, nor an audit of nothing.
      const id = db.transaction(() => {
        const rowId = Number(
          db.prepare(`INSERT INTO blocks (rule_key, rule, status, created_at, expires_at, ttl_seconds, offence, who, origin, reason, anomaly)
                      VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)`)
            .run(key, JSON.stringify(rule), t, t + ttl * 1000, ttl, offence, actor.user, actor.sshConnection ?? null, opts.reason ?? '', opts.anomaly ? JSON.stringify({ ip: opts.anomaly.ip, type: opts.anomaly.type, timeSlot: opts.anomaly.timeSlot }) : null).lastInsertRowid,
        );
        audit(actor, 'announce', { blockId: rowId, rule, reason: opts.reason, detail: `ttl ${ttl}s, offence ${offence}` });
        return rowId;
      })();
      try {
        await speaker.announce(rule);
        setError(id, null);
      } catch (err) {
        // Intent is stored: reconciliation announces it when the speaker is back.
        setError(id, (err as Error).message);
      }
      return service.get(id)!;
    },
    get(id: number): Block | undefined {
      const r = db.prepare('SELECT * FROM blocks WHERE id = ?').get(id) as Row | undefined;
      return r ? toBlock(r) : undefined;
    },
    list(opts: { all?: boolean } = {}): Block[] {
      const rows = opts.all ? (db.prepare('SELECT * FROM blocks ORDER BY id DESC LIMIT 500').all() as Row[]) : (db.prepare("SELECT * FROM blocks WHERE status IN ('active', 'withdrawn') ORDER BY id DESC").all() as Row[]);
      return rows.map(toBlock);
    },
    /** Active blocks covering an IP or prefix (covering.ts: the rule's prefix overlaps it). Throws for a bad target. */
    covering(target: string): Block[] {
      const t = coveringTarget(target);
      return active().filter((b) => ruleCovers(b.rule, t));
    },
    /** Unblock by id, or by the IP/prefix a rule matches. */
    async remove(target: string | number, actor: Actor, reason?: string): Promise<Block[]> {
      const targets = typeof target === 'number' || /^\d+$/.test(String(target))
        ? [service.get(Number(target))].filter((b): b is Block => !!b && b.status === 'active')
        : active().filter((b) => {
            const t = String(target).includes('/') ? String(target) : `${target}/${String(target).includes(':') ? 128 : 32}`;
            return b.rule.source === t || b.rule.destination === t;
          });
      if (targets.length === 0) throw new BlockRefused('not-found', `no active block matches ${String(target)}`);
      for (const b of targets) {
        db.transaction(() => {
          db.prepare("UPDATE blocks SET status = 'removed' WHERE id = ?").run(b.id);
          audit(actor, 'withdraw', { blockId: b.id, rule: b.rule, reason });
        })();
        try {
          await speaker.withdraw(b.rule);
        } catch (err) {
          setError(b.id, (err as Error).message);
        }
      }
      return targets.map((b) => service.get(b.id)!);
    },
    /** Extend an active block by seconds. */
    extend(id: number, seconds: number, actor: Actor): Block {
      const b = service.get(id);
      if (!b || b.status !== 'active') throw new BlockRefused('not-found', `no active block #${id}`);
      db.transaction(() => {
        db.prepare('UPDATE blocks SET expires_at = expires_at + ? WHERE id = ?').run(seconds * 1000, id);
        audit(actor, 'extend', { blockId: id, rule: b.rule, detail: `+${seconds}s` });
      })();
      return service.get(id)!;
    },
    /** Withdraw blocks whose time is up. Returns them. */
    async expireDue(): Promise<Block[]> {
      const due = (db.prepare("SELECT * FROM blocks WHERE status = 'active' AND expires_at <= ?").all(now()) as Row[]).map(toBlock);
      for (const b of due) {
        db.transaction(() => {
          db.prepare("UPDATE blocks SET status = 'expired' WHERE id = ?").run(b.id);
          audit(SYSTEM, 'expire', { blockId: b.id, rule: b.rule });
        })();
        try {
          await speaker.withdraw(b.rule);
        } catch (err) {
          setError(b.id, (err as Error).message);
        }
      }
      return due;
    },
    /** Withdraw every rule nocflow announced; keep them as `withdrawn` so they can be restored. */
    async panic(actor: Actor, reason = 'panic'): Promise<number> {
      const list = db.transaction(() => {
        const rows = active();
        db.prepare("UPDATE blocks SET status = 'withdrawn' WHERE status = 'active'").run();
        audit(actor, 'panic', { reason, detail: `${rows.length} rules` });
        for (const b of rows) audit(actor, 'panic-withdraw', { blockId: b.id, rule: b.rule });
        return rows;
      })();
      for (const b of list) await speaker.withdraw(b.rule).catch((err: Error) => setError(b.id, err.message));
      // Anything else of ours still in the RIB goes too; a speaker that is down now is the reconcile timer's job (the
      // store already says withdrawn, and that is what reconciliation makes the RIB say).
      await service.reconcile(actor).catch(() => undefined);
      return list.length;
    },
    /** Re-announce withdrawn (panicked) blocks that have not expired. */
    async restore(actor: Actor): Promise<number> {
      const rows = (db.prepare("SELECT * FROM blocks WHERE status = 'withdrawn' AND expires_at > ?").all(now()) as Row[]).map(toBlock);
      for (const b of rows) {
        const clash = db.prepare("SELECT id FROM blocks WHERE rule_key = ? AND status = 'active'").get(ruleKey(b.rule));
        if (clash) continue;
        db.transaction(() => {
          db.prepare("UPDATE blocks SET status = 'active' WHERE id = ?").run(b.id);
          audit(actor, 'restore', { blockId: b.id, rule: b.rule });
        })();
        await speaker.announce(b.rule).catch((err: Error) => setError(b.id, err.message));
      }
      return rows.length;
    },
    /**
     * Make the speaker's RIB equal to the store's active blocks, route by route: a route that fails is logged in the
     * result and the others go on. In `managed` mode anything else in the speaker's own RIB is withdrawn; in
     * `external` mode (a gobgpd other tools also use) only routes nocflow once announced are. Routes learned from
     * peers are never touched (the speaker lists only its own).
     */
    async reconcile(actor: Actor = SYSTEM): Promise<ReconcileResult> {
      await service.expireDue();
      const rib = await speaker.list();
      const want = new Map(active().map((b) => [`${b.rule.family}|${nlriText(b.rule)}`, b]));
      const ours = cfg.mode === 'external' ? everAnnounced() : undefined;
      const result: ReconcileResult = { announced: 0, withdrawn: 0, failed: 0, foreign: 0, failures: [] };
      for (const fam of [4, 6] as const) {
        for (const nlri of rib[fam]) {
          const k = `${fam}|${nlri}`;
          if (want.has(k)) continue;
          if (ours && !ours.has(k)) {
            result.foreign++;
            continue;
          }
          try {
            await speaker.withdrawText(fam, nlri);
            audit(actor, 'reconcile-withdraw', { detail: `ipv${fam} ${nlri}` });
            result.withdrawn++;
          } catch (err) {
            result.failed++;
            result.failures.push({ route: `ipv${fam} ${nlri}`, action: 'withdraw', error: (err as Error).message });
          }
        }
      }
      const have = new Set([...rib[4].map((x) => `4|${x}`), ...rib[6].map((x) => `6|${x}`)]);
      for (const [k, b] of want) {
        if (have.has(k)) continue;
        try {
          await speaker.announce(b.rule);
          setError(b.id, null);
          audit(actor, 'reconcile-announce', { blockId: b.id, rule: b.rule });
          result.announced++;
        } catch (err) {
          setError(b.id, (err as Error).message);
          result.failed++;
          result.failures.push({ route: `ipv${b.rule.family} ${nlriText(b.rule)}`, action: 'announce', blockId: b.id, error: (err as Error).message });
        }
      }
      return result;
    },
    /** The audit, newest first. */
    audit(limit = 200): AuditEntry[] {
      return (db.prepare('SELECT id, at, who, origin, action, block_id AS blockId, rule, reason, detail FROM audit ORDER BY id DESC LIMIT ?').all(limit) as AuditEntry[]).map((e) =>
        Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null)) as unknown as AuditEntry,
      );
    },
  };
  return service;
}

export type BlockService = ReturnType<typeof createBlockService>;
