/** Engine tables: processed files, windows, anomalies, tracking, false-positive verdicts. */
import type { Migration } from './index.js';

export const engineMigrations: Migration[] = [
  {
    id: 'engine-001',
    sql: `
      CREATE TABLE processed_files (
        path TEXT PRIMARY KEY,
        time_slot INTEGER,
        status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
        error TEXT,
        flows INTEGER NOT NULL DEFAULT 0,
        processed_at INTEGER NOT NULL
      );
      -- One row per analysed file: several 1-minute files (demo) may share a TimeSlot.
      CREATE TABLE windows (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file TEXT NOT NULL UNIQUE,
        time_slot INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        packets REAL NOT NULL,
        bytes REAL NOT NULL,
        distinct_ips INTEGER NOT NULL,
        anomaly_count INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX windows_slot ON windows (time_slot);
      CREATE TABLE anomalies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        window_id INTEGER NOT NULL REFERENCES windows (id) ON DELETE CASCADE,
        time_slot INTEGER NOT NULL,
        ip TEXT NOT NULL,
        role TEXT NOT NULL,
        type TEXT NOT NULL,
        severity TEXT NOT NULL,
        score REAL NOT NULL,
        signature TEXT,
        doc TEXT NOT NULL,
        UNIQUE (window_id, ip, role, type)
      );
      CREATE INDEX anomalies_ip ON anomalies (ip, time_slot);
      CREATE INDEX anomalies_slot ON anomalies (time_slot);
      CREATE TABLE tracking (
        ip TEXT NOT NULL,
        type TEXT NOT NULL,
        first_slot INTEGER NOT NULL,
        last_slot INTEGER NOT NULL,
        windows_seen INTEGER NOT NULL,
        streak INTEGER NOT NULL,
        PRIMARY KEY (ip, type)
      );
      CREATE TABLE verdicts (
        ip TEXT NOT NULL,
        type TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('false-positive')),
        reason TEXT NOT NULL,
        who TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (ip, type)
      );
    `,
  },
  {
    // The size and mtime (ms) of a file when it failed: a failed file that later changes (re-copied, repaired) is
    // tried again.
    id: 'engine-002',
    sql: `
      ALTER TABLE processed_files ADD COLUMN file_size INTEGER;
      ALTER TABLE processed_files ADD COLUMN file_mtime INTEGER;
    `,
  },
  {
    // A window read from a damaged or cut-short file holds the intact blocks only (issue 10): why, and how many of
    // the announced blocks were read (columns of their own, so the partial windows can be listed and counted).
    id: 'engine-004',
    sql: `
      ALTER TABLE windows ADD COLUMN partial_reason TEXT;
      ALTER TABLE windows ADD COLUMN blocks_read INTEGER;
      ALTER TABLE windows ADD COLUMN blocks_expected INTEGER;
    `,
  },
];
