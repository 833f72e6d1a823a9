/** Engine tables: processed files, windows, anomalies, tracking. */
import type { Migration } from './index.js';

export const engineMigrations: Migration[] = [
  {
    id: 'engine-001',
    sql: `
      CREATE TABLE processed_files (
        path TEXT PRIMARY KEY,
        time_slot INTEGER,
        status TEXT NOT NULL,          -- 'done' | 'failed'
        error TEXT,
        flows INTEGER NOT NULL DEFAULT 0,
        processed_at INTEGER NOT NULL
      );
      CREATE TABLE windows (
        time_slot INTEGER PRIMARY KEY,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        packets REAL NOT NULL,
        bytes REAL NOT NULL,
        distinct_ips INTEGER NOT NULL,
        files TEXT NOT NULL,           -- JSON array
        created_at INTEGER NOT NULL
      );
      CREATE TABLE anomalies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time_slot INTEGER NOT NULL,
        ip TEXT NOT NULL,
        role TEXT NOT NULL,
        type TEXT NOT NULL,
        severity TEXT NOT NULL,
        score REAL NOT NULL,
        signature TEXT,
        doc TEXT NOT NULL,             -- the whole Anomaly as JSON
        UNIQUE (time_slot, ip, role, type)
      );
      CREATE INDEX anomalies_ip ON anomalies (ip, time_slot);
      CREATE TABLE tracking (
        ip TEXT NOT NULL,
        type TEXT NOT NULL,
        first_slot INTEGER NOT NULL,
        last_slot INTEGER NOT NULL,
        windows_seen INTEGER NOT NULL,
        streak INTEGER NOT NULL,
        PRIMARY KEY (ip, type)
      );
    `,
  },
];
