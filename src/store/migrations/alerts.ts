/** Alerts tables: the policy's episodes, the outbox of alerts, and each alert's deliveries per channel and target. */
import type { Migration } from './index.js';

export const alertsMigrations: Migration[] = [
  {
    id: 'alerts-001',
    sql: `
      -- One live (ip, type) episode: pending (not alerted yet) or open (alerted); deleted when it ends.
      CREATE TABLE alert_episodes (
        ip TEXT NOT NULL,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        role TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'open')),
        start_slot INTEGER NOT NULL,
        last_slot INTEGER NOT NULL,
        windows INTEGER NOT NULL,
        notified_slot INTEGER,
        reminders INTEGER NOT NULL DEFAULT 0,
        unit TEXT,
        peak TEXT NOT NULL,             -- Peak as JSON
        PRIMARY KEY (ip, type)
      );
      -- The outbox: one row per notice (alert, reminder, ended, raised), written in the transaction that decided it.
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,            -- stable: the same decision always has the same id
        episode TEXT NOT NULL,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        ip TEXT NOT NULL,
        type TEXT NOT NULL,
        severity TEXT NOT NULL,
        unit TEXT,
        time_slot INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        doc TEXT NOT NULL               -- AlertDoc as JSON
      );
      CREATE INDEX alerts_created ON alerts (created_at);
      CREATE TABLE alert_deliveries (
        alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        channel TEXT NOT NULL CHECK (channel IN ('email', 'syslog', 'webhook')),
        target TEXT NOT NULL,           -- the mail address; '' for syslog and webhook
        audience TEXT NOT NULL,         -- 'noc' or the unit's name
        lang TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'rejected', 'expired')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT,
        sent_at INTEGER,
        message_id TEXT,
        lease_owner TEXT,
        lease_until INTEGER,
        PRIMARY KEY (alert_id, channel, target)
      );
      CREATE INDEX alert_deliveries_due ON alert_deliveries (state, next_at);
      CREATE INDEX alert_deliveries_sent ON alert_deliveries (channel, target, sent_at);
    `,
  },
];
