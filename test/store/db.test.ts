/**
 * Upgrades and downgrades of the SQLite store: migrations run when the engine opens it; a database that records a
 * migration this build does not know (written by a newer nocflow) is refused with a clear message and left as it was,
 * also by a real engine process.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { DowngradeError, migrate, openDb, StoreError } from '../../src/store/db.js';
import { allMigrations } from '../../src/store/migrations/index.js';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-db-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** A database as a newer nocflow leaves it: every migration of this build plus two it does not know. */
function newerDb(file: string): void {
  openDb(file).close();
  const db = new Database(file);
  db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?), (?, ?)').run('engine-999', 1, 'zeta-001', 2);
  db.exec('CREATE TABLE zeta (x INTEGER)');
  db.close();
}

const ids = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
};

describe('migrations and downgrades', () => {
  it('an older database is brought up to date; a second open applies nothing', () => {
    const file = path.join(base, 'upgrade.db');
    const old = new Database(file);
    expect(migrate(old, allMigrations.slice(0, 1))).toEqual([allMigrations[0].id]);
    old.close();
    const db = openDb(file);
    expect(migrate(db)).toEqual([]);
    db.close();
    expect(ids(file)).toEqual(allMigrations.map((m) => m.id).sort());
  });

  it('a database from a newer nocflow is refused, naming the unknown migrations, and nothing in it changes', () => {
    const file = path.join(base, 'newer.db');
    newerDb(file);
    const before = ids(file);
    let err: unknown;
    try {
      openDb(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).cause).toBeInstanceOf(DowngradeError);
    expect(((err as StoreError).cause as DowngradeError).unknown).toEqual(['engine-999', 'zeta-001']);
    expect((err as Error).message).toMatch(/^cannot open database .*newer\.db: the database was migrated by a newer nocflow \(migrations this version \d+\.\d+\.\d+ does not know: engine-999, zeta-001\); a downgrade is refused/);
    expect(ids(file)).toEqual(before);
  });

  it('the same database opened with every migration it records is fine (the check is on unknown ids only)', () => {
    const file = path.join(base, 'newer-known.db');
    newerDb(file);
    const db = new Database(file);
    expect(migrate(db, [...allMigrations, { id: 'engine-999', sql: 'SELECT 1' }, { id: 'zeta-001', sql: 'SELECT 1' }])).toEqual([]);
    db.close();
  });

  it('a real engine refuses to start on it (exit 1) with the message, and leaves it alone', async () => {
    const dir = path.join(base, 'engine');
    const data = path.join(dir, 'data');
    fs.mkdirSync(data, { recursive: true });
    newerDb(path.join(data, 'nocflow.db'));
    const env = { NOCFLOW_CONFIG_DIR: path.join(dir, 'config'), NOCFLOW_DATA_DIR: data, NOCFLOW_RUNTIME_DIR: path.join(dir, 'run') };
    const r = await execa('node', [BIN, 'engine', '--dir', path.join(dir, 'nfcapd')], { env, reject: false, stdin: 'ignore', timeout: 60_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/nocflow: cannot open database .*: the database was migrated by a newer nocflow .*engine-999, zeta-001.*install the newer version again/);
    expect(fs.existsSync(path.join(dir, 'run', 'engine.sock'))).toBe(false);
    expect(ids(path.join(data, 'nocflow.db'))).toContain('zeta-001');
  });
});
