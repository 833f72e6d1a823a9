/** IoC tables: every day's lists, the daily job ledger, IoC-centred flow records, remotes, verdicts, families. */
import type { Migration } from './index.js';

export const iocMigrations: Migration[] = [
  {
    id: 'ioc-001',
    sql: `
      -- One row per (day, list): how the day's fetch went. status 'kept' = the fetch failed and the entries are the
      -- previous day's (from_day), 'failed' = nothing to keep.
      CREATE TABLE ioc_lists (
        day TEXT NOT NULL,
        source TEXT NOT NULL,
        fetched_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'kept', 'failed')),
        from_day TEXT,
        entries INTEGER NOT NULL,
        invalid INTEGER NOT NULL,
        duplicates INTEGER NOT NULL,
        mapped INTEGER NOT NULL DEFAULT 0,
        invalid_sample TEXT,           -- JSON: the first malformed lines with their numbers
        error TEXT,
        PRIMARY KEY (day, source)
      );
      CREATE TABLE ioc_list_entries (
        day TEXT NOT NULL,
        source TEXT NOT NULL,
        ip TEXT NOT NULL,
        PRIMARY KEY (day, source, ip)
      ) WITHOUT ROWID;
      CREATE INDEX ioc_list_entries_ip ON ioc_list_entries (ip, day);
      -- The daily job ledger: a day is correlated once; a restart neither skips nor repeats it.
      CREATE TABLE ioc_jobs (
        day TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        error TEXT,
        summary TEXT
      );
      -- Stage 1 / 3: each IoC of the day, its exact total, the sample size and its class with the evidence.
      CREATE TABLE ioc_days (
        day TEXT NOT NULL,
        ioc TEXT NOT NULL,
        total_flows INTEGER NOT NULL,
        sampled INTEGER NOT NULL,
        remotes INTEGER NOT NULL,
        class TEXT NOT NULL,
        evidence TEXT NOT NULL,
        PRIMARY KEY (day, ioc)
      ) WITHOUT ROWID;
      CREATE INDEX ioc_days_ioc ON ioc_days (ioc, day);
      -- Stage 2: flows re-seated from the IoC's side (the seeds' IocIP/RemoteIP document).
      CREATE TABLE ioc_flows (
        day TEXT NOT NULL,
        ioc TEXT NOT NULL,
        remote TEXT NOT NULL,
        exporter TEXT NOT NULL,
        ioc_port INTEGER NOT NULL,
        remote_port INTEGER NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('send', 'rcv')),
        packets INTEGER NOT NULL,
        octets INTEGER NOT NULL,
        tcp_flags INTEGER NOT NULL,
        protocol INTEGER NOT NULL,
        ip_version INTEGER NOT NULL,
        ioc_as INTEGER NOT NULL,
        remote_as INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        file TEXT NOT NULL,
        ioc_class TEXT NOT NULL
      );
      CREATE INDEX ioc_flows_remote ON ioc_flows (remote, day);
      CREATE INDEX ioc_flows_day ON ioc_flows (day, ioc);
      -- Stage 4, per day: which remote touched which analysed IoC, and how often it checked in with it.
      CREATE TABLE ioc_contacts (
        day TEXT NOT NULL,
        remote TEXT NOT NULL,
        ioc TEXT NOT NULL,
        flows INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        octets INTEGER NOT NULL,
        check_in_flows INTEGER NOT NULL,
        ioc_port INTEGER NOT NULL,
        pattern TEXT NOT NULL,
        PRIMARY KEY (day, remote, ioc)
      ) WITHOUT ROWID;
      CREATE INDEX ioc_contacts_ioc ON ioc_contacts (ioc, day);
      -- Stage 4: the remote's daily record (the seeds' RemoteIP summary document) with the day's points.
      CREATE TABLE ioc_remote_days (
        day TEXT NOT NULL,
        remote TEXT NOT NULL,
        iocs TEXT NOT NULL,
        flows INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        octets INTEGER NOT NULL,
        features TEXT NOT NULL,
        points REAL NOT NULL,
        categories TEXT NOT NULL,
        PRIMARY KEY (day, remote)
      ) WITHOUT ROWID;
      CREATE INDEX ioc_remote_days_remote ON ioc_remote_days (remote, day);
      -- One verdict row per address, updated every day it is scored (never duplicated).
      CREATE TABLE ioc_verdicts (
        ip TEXT PRIMARY KEY,
        score REAL NOT NULL,
        categories TEXT NOT NULL,      -- JSON: category -> days
        days_seen INTEGER NOT NULL,
        first_day TEXT NOT NULL,
        last_day TEXT NOT NULL,
        iocs TEXT NOT NULL,            -- JSON: IoCs ever touched
        patterns INTEGER NOT NULL,
        analysis TEXT NOT NULL,        -- JSON: the latest monthly analysis
        updated_at INTEGER NOT NULL,
        relay_alert TEXT CHECK (relay_alert IN ('pending', 'done'))
      );
      CREATE INDEX ioc_verdicts_score ON ioc_verdicts (score DESC);
      -- A family of remotes that checked in daily with one IoC and stopped on the same day (looked up next day).
      CREATE TABLE ioc_families (
        former_ioc TEXT NOT NULL,
        stopped_day TEXT NOT NULL,
        lookup_day TEXT NOT NULL,
        members TEXT NOT NULL,         -- JSON array
        port INTEGER NOT NULL,
        pattern TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'done')),
        PRIMARY KEY (former_ioc, stopped_day)
      );
      CREATE TABLE ioc_candidates (
        day TEXT NOT NULL,
        ip TEXT NOT NULL,
        former_ioc TEXT NOT NULL,
        members INTEGER NOT NULL,
        family_size INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        port INTEGER NOT NULL,
        evidence TEXT NOT NULL,
        PRIMARY KEY (day, ip, former_ioc)
      );
    `,
  },
];
