/** Device tables: collection runs, each slot's parsed tables per device, and the sightings history. */
import type { Migration } from './index.js';

export const devicesMigrations: Migration[] = [
  {
    id: 'devices-001',
    sql: `
      CREATE TABLE device_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device TEXT NOT NULL,
        time_slot INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        reason TEXT,
        error TEXT,
        arp_entries INTEGER NOT NULL DEFAULT 0,
        mac_entries INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX device_runs_device ON device_runs (device, time_slot);
      -- The parsed tables of one device in one TimeSlot (JSON); merged documents are rebuilt from these.
      CREATE TABLE device_tables (
        time_slot INTEGER NOT NULL,
        device TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        arp TEXT NOT NULL,
        mac TEXT NOT NULL,
        PRIMARY KEY (time_slot, device)
      );
      -- One row per distinct binding (ARP: ip+mac; MAC table: mac+port) with first and last seen.
      CREATE TABLE device_sightings (
        source TEXT NOT NULL CHECK (source IN ('arp', 'mac')),
        device TEXT NOT NULL,
        ip TEXT NOT NULL,
        mac TEXT NOT NULL,
        interface TEXT NOT NULL,
        port TEXT NOT NULL,
        vlan INTEGER NOT NULL,
        state TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        first_slot INTEGER NOT NULL,
        last_slot INTEGER NOT NULL,
        times INTEGER NOT NULL,
        PRIMARY KEY (source, device, ip, mac, interface, port, vlan, state)
      ) WITHOUT ROWID;
      CREATE INDEX device_sightings_ip ON device_sightings (ip, last_seen);
      CREATE INDEX device_sightings_mac ON device_sightings (mac, last_seen);
    `,
  },
  {
    // Each run's table reports (command, lines read / skipped with samples, layouts, unreadable), and the MAC table's
    // own entries (VLAN All, CPU / Router ports, gateway marks) kept apart from learned hosts.
    id: 'devices-002',
    sql: `
      ALTER TABLE device_runs ADD COLUMN tables TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE device_sightings ADD COLUMN system INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
