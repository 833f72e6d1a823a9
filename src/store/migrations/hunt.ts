/**
 * Botnet-hunting records (src/hunt/records.ts): one run per UTC day (so a restart neither skips nor repeats it), each
 * day's catalogue signatures with their attackers and members, and the two master tables the seeds keep next to
 * their daily documents — signatures and anomalous IPs across days.
 */
import type { Migration } from './index.js';

export const huntMigrations: Migration[] = [
  {
    id: 'hunt-001',
    sql: `
      -- One row per hunted UTC day: status 'running' while it runs (a run that never finished is run again).
      CREATE TABLE hunt_runs (
        day TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        trigger TEXT NOT NULL,
        source TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        files INTEGER NOT NULL DEFAULT 0,
        flows INTEGER NOT NULL DEFAULT 0,
        signatures INTEGER NOT NULL DEFAULT 0,
        members INTEGER NOT NULL DEFAULT 0,
        error TEXT
      );
      -- The day's catalogue: every signature, hunted or weak.
      CREATE TABLE hunt_signature_days (
        day TEXT NOT NULL,
        signature TEXT NOT NULL,
        port INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        proto INTEGER NOT NULL,
        strength REAL NOT NULL,
        weak INTEGER NOT NULL,
        hunted INTEGER NOT NULL,
        attackers TEXT NOT NULL,
        members INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        server_reply_flows INTEGER NOT NULL,
        known_server_flows INTEGER NOT NULL,
        dropped_sources INTEGER NOT NULL,
        dropped_flows INTEGER NOT NULL,
        PRIMARY KEY (day, signature)
      ) WITHOUT ROWID;
      CREATE TABLE hunt_attackers (
        signature TEXT NOT NULL,
        ip TEXT NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (signature, ip, day)
      ) WITHOUT ROWID;
      -- Members per signature per day; near = 1 for near-shape members (kept apart from exact ones).
      CREATE TABLE hunt_members (
        day TEXT NOT NULL,
        signature TEXT NOT NULL,
        near INTEGER NOT NULL,
        ip TEXT NOT NULL,
        destinations INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        source_ports INTEGER NOT NULL,
        files INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        bytes TEXT,
        PRIMARY KEY (day, signature, near, ip)
      ) WITHOUT ROWID;
      CREATE INDEX hunt_members_ip ON hunt_members (ip, day);
      CREATE INDEX hunt_members_signature ON hunt_members (signature, ip);
      -- Master tables, recomputed from the day tables for what a day touched (so re-running a day replaces).
      CREATE TABLE hunt_signatures (
        signature TEXT PRIMARY KEY,
        port INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        weak INTEGER NOT NULL,
        strength REAL NOT NULL,
        first_day TEXT NOT NULL,
        last_day TEXT NOT NULL,
        days_seen INTEGER NOT NULL,
        attackers INTEGER NOT NULL,
        members INTEGER NOT NULL
      );
      CREATE TABLE hunt_ips (
        ip TEXT PRIMARY KEY,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        first_day TEXT NOT NULL,
        last_day TEXT NOT NULL,
        days INTEGER NOT NULL,
        signatures INTEGER NOT NULL,
        max_destinations INTEGER NOT NULL
      );
    `,
  },
];
