/**
 * The device history in SQLite: collection runs, each slot's tables per device (merged documents are rebuilt
 * from them, so an on-demand run of one device never erases another's), and the sightings with first/last seen
 * that `where` and the history anomalies read.
 */
import type { Db } from '../store/db.js';
import { unusedAddressesOf, type HistoryRow, type IpState } from './anomalies.js';
import type { CollectionRun, RunRecorder } from './collector.js';
import { reviveMacEntry, type MacEntry } from './mac-table.js';
import { mergeSlot, sightingsOf, type DeviceTables, type MergedSlot, type Sighting } from './merge.js';
import { reviveTableReport, tableWarnings, type TableReport } from './table-report.js';

/** A run's stored table reports (JSON), read defensively. */
function reportsOf(json: string): TableReport[] {
  try {
    const list = JSON.parse(json) as unknown;
    return Array.isArray(list) ? list.map(reviveTableReport).filter((t): t is TableReport => t !== undefined) : [];
  } catch {
    return [];
  }
}

/** One line of a `where` answer: a sighting with its first and last seen. */
export interface WhereRow extends Sighting {
  firstSeen: number;
  lastSeen: number;
  firstSlot: number;
  lastSlot: number;
  times: number;
  /** Seen in the device's latest collection. */
  current: boolean;
}

/** Latest run of a device. */
export interface DeviceRunRow {
  device: string;
  timeSlot: number;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  reason: string | null;
  error: string | null;
  arpEntries: number;
  macEntries: number;
  skipped: number;
  /** Each table of the run (empty for runs recorded before table reports, and for failed runs). */
  tables: TableReport[];
  /** The run's warnings (a refused command, an unreadable table), from its table reports. */
  warnings: string[];
}

/** A `device_sightings` row (vlan -1 = none; system 0/1). */
interface SightingDbRow extends Omit<Sighting, 'vlan' | 'system'> {
  vlan: number;
  system: number;
  first_seen: number;
  last_seen: number;
  first_slot: number;
  last_slot: number;
  times: number;
}

/** The device history store. */
export class DeviceStore implements RunRecorder {
  private readonly getDb: () => Db;

  /** `db` may be a getter, resolved on each use (the engine opens its database after wiring). */
  constructor(db: Db | (() => Db)) {
    this.getDb = typeof db === 'function' ? db : () => db;
  }

  private get db(): Db {
    return this.getDb();
  }

  /** Record a collection run: its per-device outcome, tables and sightings, in one transaction. */
  saveRun(run: CollectionRun): void {
    const insRun = this.db.prepare(
      `INSERT INTO device_runs (device, time_slot, started_at, duration_ms, ok, reason, error, arp_entries, mac_entries, skipped, tables)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insTables = this.db.prepare(
      `INSERT INTO device_tables (time_slot, device, timestamp, arp, mac) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (time_slot, device) DO UPDATE SET timestamp = excluded.timestamp, arp = excluded.arp, mac = excluded.mac`,
    );
    const upsert = this.db.prepare(
      `INSERT INTO device_sightings (source, device, ip, mac, interface, port, vlan, state, system, first_seen, last_seen, first_slot, last_slot, times)
       VALUES (@source, @device, @ip, @mac, @interface, @port, @vlan, @state, @system, @ts, @ts, @slot, @slot, 1)
       ON CONFLICT (source, device, ip, mac, interface, port, vlan, state) DO UPDATE SET
         system = max(system, excluded.system),
         first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
         first_slot = min(first_slot, excluded.first_slot), last_slot = max(last_slot, excluded.last_slot), times = times + 1`,
    );
    this.db.transaction(() => {
      for (const r of run.results) {
        insRun.run(r.device, run.timeSlot, r.timestamp, r.durationMs, r.ok ? 1 : 0, r.reason ?? null, r.error ?? null, r.arp.length, r.mac.length, r.skipped, JSON.stringify(r.tables ?? []));
        if (!r.ok) continue;
        const t: DeviceTables = { device: r.device, timestamp: r.timestamp, arp: r.arp, mac: r.mac };
        insTables.run(run.timeSlot, r.device, r.timestamp, JSON.stringify(r.arp), JSON.stringify(r.mac));
        for (const s of sightingsOf(t)) upsert.run({ ...s, vlan: s.vlan ?? -1, system: s.system ? 1 : 0, ts: r.timestamp, slot: run.timeSlot });
      }
    })();
  }

  /** The merged documents of a slot, rebuilt from every device's tables stored for it. */
  mergedAt(timeSlot: number): MergedSlot {
    const rows = this.db.prepare('SELECT device, timestamp, arp, mac FROM device_tables WHERE time_slot = ? ORDER BY device').all(timeSlot) as { device: string; timestamp: number; arp: string; mac: string }[];
    // MAC entries stored by earlier versions (ports as one string, a single flag) are read into today's shape.
    const macOf = (json: string) => (JSON.parse(json) as unknown[]).map(reviveMacEntry).filter((e): e is MacEntry => e !== undefined);
    return mergeSlot(timeSlot, rows.map((r) => ({ device: r.device, timestamp: r.timestamp, arp: JSON.parse(r.arp), mac: macOf(r.mac) })));
  }

  /** The newest slot with stored tables, if any. */
  latestSlot(): number | undefined {
    const r = this.db.prepare('SELECT max(time_slot) AS s FROM device_tables').get() as { s: number | null };
    return r.s ?? undefined;
  }

  /** The IP states of a slot (default: the newest), for the unused-address check. */
  ipStates(timeSlot = this.latestSlot()): IpState[] {
    return timeSlot === undefined ? [] : this.mergedAt(timeSlot).byIp;
  }

  /**
   * The unused addresses for the flow window of `timeSlot`: from the collections at the window's start and end
   * (slots `timeSlot` and `timeSlot + 1`, taken together, so an address resolved in either is in use); when neither
   * was collected, from the newest of the two before (`timeSlot - 2 .. - 1`); none beyond that (stale tables would
   * name addresses that are in use now).
   */
  unusedAddressesFor(timeSlot: number): { addresses: string[]; slots: number[] } {
    const have = (this.db.prepare('SELECT DISTINCT time_slot AS s FROM device_tables WHERE time_slot BETWEEN ? AND ? ORDER BY s').all(timeSlot - 2, timeSlot + 1) as { s: number }[]).map((r) => r.s);
    const around = have.filter((s) => s >= timeSlot);
    const slots = around.length > 0 ? around : have.slice(-1);
    return { addresses: unusedAddressesOf(slots.map((s) => this.ipStates(s))), slots };
  }

  /** Every sighting last seen at or after `sinceMs` (default: all), for the history anomalies. */
  history(sinceMs = 0): HistoryRow[] {
    const rows = this.db.prepare('SELECT * FROM device_sightings WHERE last_seen >= ?').all(sinceMs) as SightingDbRow[];
    return rows.map((r) => ({ source: r.source, device: r.device, ip: r.ip, mac: r.mac, port: r.port, state: r.state, system: r.system === 1, firstSeen: r.first_seen, lastSeen: r.last_seen }));
  }

  /** The latest run of each device. */
  latestRuns(): DeviceRunRow[] {
    const rows = this.db
      .prepare(
        `SELECT r.* FROM device_runs r JOIN (SELECT device, max(id) AS id FROM device_runs GROUP BY device) l ON l.id = r.id ORDER BY r.device`,
      )
      .all() as { device: string; time_slot: number; started_at: number; duration_ms: number; ok: number; reason: string | null; error: string | null; arp_entries: number; mac_entries: number; skipped: number; tables: string }[];
    return rows.map((r) => {
      const tables = reportsOf(r.tables);
      return {
        device: r.device, timeSlot: r.time_slot, startedAt: r.started_at, durationMs: r.duration_ms, ok: r.ok === 1, reason: r.reason, error: r.error,
        arpEntries: r.arp_entries, macEntries: r.mac_entries, skipped: r.skipped, tables, warnings: tables.flatMap((t) => tableWarnings(t)),
      };
    });
  }

  /** Sightings of an IP (its ARP rows, and the MAC table rows of the MACs it had) or of a MAC, newest first. */
  sightings(query: { ip: string } | { mac: string }): WhereRow[] {
    // Current = seen by the device's latest good run (by its time: an on-demand run and the scheduled one can share
    // a TimeSlot).
    const latestOk = new Map(
      (this.db.prepare('SELECT device, max(started_at) AS t FROM device_runs WHERE ok = 1 GROUP BY device').all() as { device: string; t: number }[]).map((r) => [r.device, r.t]),
    );
    let rows: SightingDbRow[];
    if ('ip' in query) {
      rows = this.db.prepare(`SELECT * FROM device_sightings WHERE source = 'arp' AND ip = ?`).all(query.ip) as SightingDbRow[];
      const macs = [...new Set(rows.map((r) => r.mac).filter((m) => m !== '00:00:00:00:00:00'))];
      const byMac = this.db.prepare(`SELECT * FROM device_sightings WHERE source = 'mac' AND mac = ?`);
      for (const m of macs) rows.push(...(byMac.all(m) as SightingDbRow[]));
    } else {
      rows = this.db.prepare('SELECT * FROM device_sightings WHERE mac = ?').all(query.mac) as SightingDbRow[];
    }
    // An ARP row without a physical port takes the port the same device's MAC table last gave that MAC.
    const lastPort = new Map<string, { port: string; at: number }>();
    for (const r of rows) {
      if (r.source !== 'mac' || !r.port) continue;
      const k = `${r.device}\u0000${r.mac}`;
      const cur = lastPort.get(k);
      if (!cur || r.last_seen > cur.at) lastPort.set(k, { port: r.port, at: r.last_seen });
    }
    rows = rows.map((r) => (r.source === 'arp' && !r.port && lastPort.has(`${r.device}\u0000${r.mac}`) ? { ...r, port: lastPort.get(`${r.device}\u0000${r.mac}`)!.port } : r));
    return rows
      .map((r) => ({
        source: r.source, device: r.device, ip: r.ip, mac: r.mac, interface: r.interface, port: r.port, vlan: r.vlan < 0 ? null : r.vlan,
        state: r.state, system: r.system === 1, firstSeen: r.first_seen, lastSeen: r.last_seen, firstSlot: r.first_slot, lastSlot: r.last_slot, times: r.times,
        current: latestOk.get(r.device) === r.last_seen,
      }))
      .sort((a, b) => b.lastSeen - a.lastSeen || a.firstSeen - b.firstSeen || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0) || (a.source < b.source ? -1 : 1));
  }

  /** Forget tables and sightings older than `beforeSlot` (runs are kept). Returns rows removed. */
  prune(beforeSlot: number): number {
    const a = this.db.prepare('DELETE FROM device_tables WHERE time_slot < ?').run(beforeSlot).changes;
    const b = this.db.prepare('DELETE FROM device_sightings WHERE last_slot < ?').run(beforeSlot).changes;
    return a + b;
  }
}
