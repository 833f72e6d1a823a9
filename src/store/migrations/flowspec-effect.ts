/**
 * Block effect (src/flowspec/effect.ts): what each rule matched in each window since its announcement, the baseline
 * window before it, and where a rule was announced (entry routers and the share of the attack they carry).
 */
import type { Migration } from './index.js';

export const flowspecEffectMigrations: Migration[] = [
  {
    id: 'flowspec-effect-001',
    sql: `
      CREATE TABLE block_effect (
        block_id INTEGER NOT NULL,
        start INTEGER NOT NULL,          -- the window's first second (epoch s, the nfcapd file's start)
        time_slot INTEGER NOT NULL,
        seconds INTEGER NOT NULL,        -- the window's length
        before INTEGER NOT NULL DEFAULT 0, -- 1: the baseline window before the announcement
        flows INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        two_way_flows INTEGER NOT NULL,
        victim_flows INTEGER,            -- victim rules: all traffic to the victim
        victim_packets INTEGER,
        victim_bytes INTEGER,
        entry_packets INTEGER,           -- rules announced at some routers: packets entering there
        capped INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (block_id, start)
      );
      CREATE TABLE block_scope (
        block_id INTEGER PRIMARY KEY,
        covered REAL NOT NULL,           -- share of the attack's flows entering at the chosen routers
        detail TEXT NOT NULL             -- JSON: the neighbours chosen and left out, with their shares
      );
    `,
  },
];
