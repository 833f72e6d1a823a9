/**
 * The embedded SQLite database: opening, WAL mode, and versioned migrations.
 * Each feature area declares its migrations in migrations/<area>.ts; they are applied in the order of
 * migrations/index.ts and recorded by id, so adding an area never renumbers another's.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { allMigrations, type Migration } from './migrations/index.js';
import { VERSION } from '../util/version.js';

export type Db = Database.Database;

/** Error opening or migrating the database, with the file and the cause. */
export class StoreError extends Error {
  constructor(message: string, readonly file: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** A database migrated by a newer nocflow: it records migrations this build does not know (a downgrade). */
export class DowngradeError extends Error {
  constructor(readonly unknown: string[], options?: { cause?: unknown }) {
    super(
      `the database was migrated by a newer nocflow (migrations this version ${VERSION} does not know: ${unknown.join(', ')}); ` +
        'a downgrade is refused, since this version would misread or damage what the newer one wrote: install the newer version again, or restore the copy of the database taken before the upgrade',
      options,
    );
    this.name = 'DowngradeError';
  }
}

/**
 * Apply the migrations not yet recorded in `schema_migrations`, each in its own transaction. Returns the ids applied.
 * Refuses (DowngradeError, nothing changed) a database that records a migration id not in `migrations`.
 */
export function migrate(db: Db, migrations: Migration[] = allMigrations): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`);
  const done = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id));
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...done].filter((id) => !known.has(id)).sort();
  if (unknown.length > 0) throw new DowngradeError(unknown);
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)').run(m.id, Date.now());
    })();
    applied.push(m.id);
  }
  return applied;
}

/** Open (creating if needed) the database at `file` (':memory:' allowed) and migrate it. */
export function openDb(file: string): Db {
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  } catch (err) {
    throw new StoreError(`cannot open database ${file}: ${(err as Error).message}`, file, { cause: err });
  }
}

/** The database file: config `store.path`, or `<data dir>/nocflow.db`. */
export function resolveDbPath(configured: string, dataDirectory: string): string {
  return configured && configured.trim() !== '' ? configured : path.join(dataDirectory, 'nocflow.db');
}
