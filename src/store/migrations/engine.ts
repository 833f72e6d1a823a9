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
    // Failures classified (issue 14): `failed` is the file's own fault; `deferred` files (reader missing or killed,
    // configuration, out of memory, cancelled) are retried with back-off (`deferrals`, `next_attempt_at`); `started`
    // is written before a file is read and `attempts` counts the starts that never ended (the engine died), so a
    // file that kills the engine `engine.maxAttempts` times becomes `quarantined`. SQLite cannot change a CHECK, so
    // the ledger is rebuilt. Old `failed` rows whose reason was never the file's (configuration errors surfaced as
    // "analysis failed: …", nfdump missing or killed, a cancel) become deferred and are tried again.
    id: 'engine-003',
    sql: `
      CREATE TABLE processed_files_new (
        path TEXT PRIMARY KEY,
        time_slot INTEGER,
        status TEXT NOT NULL CHECK (status IN ('started', 'done', 'failed', 'deferred', 'quarantined')),
        error TEXT,
        flows INTEGER NOT NULL DEFAULT 0,
        processed_at INTEGER NOT NULL,
        file_size INTEGER,
        file_mtime INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        deferrals INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER
      );
      INSERT INTO processed_files_new (path, time_slot, status, error, flows, processed_at, file_size, file_mtime)
        SELECT path, time_slot,
          CASE WHEN status = 'failed' AND (error LIKE 'analysis failed:%' OR error LIKE 'cannot run nfdump%'
                 OR error LIKE 'nfdump was killed%' OR error = 'cancelled') THEN 'deferred' ELSE status END,
          error, flows, processed_at, file_size, file_mtime
        FROM processed_files;
      DROP TABLE processed_files;
      ALTER TABLE processed_files_new RENAME TO processed_files;
      CREATE INDEX processed_files_status ON processed_files (status) WHERE status <> 'done';
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
