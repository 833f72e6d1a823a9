/** FlowSpec tables: blocks (with their lifecycle) and the append-only audit. */
import type { Migration } from './index.js';

export const flowspecMigrations: Migration[] = [
  {
    id: 'flowspec-001',
    sql: `
      CREATE TABLE blocks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_key TEXT NOT NULL,
        rule TEXT NOT NULL,             -- the FlowSpecRule as JSON
        status TEXT NOT NULL CHECK (status IN ('active', 'withdrawn', 'expired', 'removed')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ttl_seconds INTEGER NOT NULL,
        offence INTEGER NOT NULL,       -- 1 for a first block of this match, 2 for the second, ...
        who TEXT NOT NULL,
        origin TEXT,
        reason TEXT NOT NULL,
        anomaly TEXT,                   -- ip/type/slot of the anomaly it came from, JSON
        last_error TEXT
      );
      CREATE INDEX blocks_status ON blocks (status);
      CREATE UNIQUE INDEX blocks_one_active ON blocks (rule_key) WHERE status = 'active';
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        who TEXT NOT NULL,
        origin TEXT,
        action TEXT NOT NULL,
        block_id INTEGER,
        rule TEXT,
        reason TEXT,
        detail TEXT
      );
      CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
      CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
    `,
  },
];
