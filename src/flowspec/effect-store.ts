/** SQLite for block effects (thin): one row per rule per window, the baseline, and where each rule was announced. */
import type { Db } from '../store/db.js';
import type { WindowEffect } from './effect.js';

/** Where a rule was announced, as chosen from the attack's entry points. */
export interface BlockScope {
  /** Share of the attack's flows entering at the chosen routers. */
  covered: number;
  chosen: { address: string; name?: string; share: number }[];
  skipped: { address: string; name?: string; share: number }[];
  threshold: number;
}

interface Row {
  block_id: number; start: number; time_slot: number; seconds: number; before: number; flows: number; packets: number; bytes: number;
  two_way_flows: number; victim_flows: number | null; victim_packets: number | null; victim_bytes: number | null; entry_packets: number | null; capped: number;
}

const toEffect = (r: Row): WindowEffect => ({
  start: r.start, timeSlot: r.time_slot, seconds: r.seconds, flows: r.flows, packets: r.packets, bytes: r.bytes, twoWayFlows: r.two_way_flows,
  ...(r.victim_flows !== null ? { victim: { flows: r.victim_flows, packets: r.victim_packets ?? 0, bytes: r.victim_bytes ?? 0 } } : {}),
  ...(r.entry_packets !== null ? { entryPackets: r.entry_packets } : {}),
  ...(r.capped ? { capped: true } : {}),
  ...(r.before ? { before: true } : {}),
});

/** The effect tables over a database (migrated: flowspec-effect-001). */
export function createEffectStore(db: Db) {
  const put = db.prepare(`INSERT INTO block_effect (block_id, start, time_slot, seconds, before, flows, packets, bytes, two_way_flows, victim_flows, victim_packets, victim_bytes, entry_packets, capped)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (block_id, start) DO UPDATE SET time_slot = excluded.time_slot, seconds = excluded.seconds, before = excluded.before, flows = excluded.flows,
      packets = excluded.packets, bytes = excluded.bytes, two_way_flows = excluded.two_way_flows, victim_flows = excluded.victim_flows,
      victim_packets = excluded.victim_packets, victim_bytes = excluded.victim_bytes, entry_packets = excluded.entry_packets, capped = excluded.capped`);
  const series = db.prepare('SELECT * FROM block_effect WHERE block_id = ? ORDER BY start DESC LIMIT ?');
  return {
    /** Record the effects of one window (a file processed again overwrites its rows). */
    record(effects: Map<number, WindowEffect>): void {
      db.transaction(() => {
        for (const [id, e] of effects) {
          put.run(id, e.start, e.timeSlot, e.seconds, e.before ? 1 : 0, e.flows, e.packets, e.bytes, e.twoWayFlows, e.victim?.flows ?? null, e.victim?.packets ?? null,
            e.victim?.bytes ?? null, e.entryPackets ?? null, e.capped ? 1 : 0);
        }
      })();
    },
    /** A rule's series, oldest first (the newest `limit` windows, baseline included). */
    series(blockId: number, limit = 288): WindowEffect[] {
      return (series.all(blockId, limit) as Row[]).map(toEffect).reverse();
    },
    setScope(blockId: number, scope: BlockScope): void {
      db.prepare('INSERT OR REPLACE INTO block_scope (block_id, covered, detail) VALUES (?, ?, ?)').run(blockId, scope.covered, JSON.stringify({ chosen: scope.chosen, skipped: scope.skipped, threshold: scope.threshold }));
    },
    scope(blockId: number): BlockScope | undefined {
      const r = db.prepare('SELECT covered, detail FROM block_scope WHERE block_id = ?').get(blockId) as { covered: number; detail: string } | undefined;
      return r ? { covered: r.covered, ...(JSON.parse(r.detail) as Omit<BlockScope, 'covered'>) } : undefined;
    },
  };
}

export type EffectStore = ReturnType<typeof createEffectStore>;
