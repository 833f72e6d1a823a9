/**
 * The engine's preflight: what must hold before it starts, so that a broken setup is refused with a clear message
 * instead of deferring (or, before, failing) every file — the configuration valid, the reader available (`nfdump
 * -V` for the nfdump driver), the store writable. `nocflow engine`, `engine --check` and `watch` run it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkConfig } from '../config/check.js';
import type { NocflowConfig } from '../config/schema.js';
import type { FlowSource } from '../engine/types.js';
import type { Db } from '../store/db.js';

/** The engine cannot start: every problem, one line each ("what: why"). */
export class PreflightError extends Error {
  constructor(readonly problems: string[]) {
    super(`cannot start: ${problems.join('; ')}`);
    this.name = 'PreflightError';
  }
}

/** The configuration's problems, as preflight lines. Pure. */
export function configProblems(config: NocflowConfig): string[] {
  return checkConfig(config);
}

/** The reader's problem, or undefined when it answers (resolves to its description in `info`). */
export async function readerProblem(source: FlowSource, config: NocflowConfig, info: string[] = []): Promise<string | undefined> {
  if (!source.check) return undefined;
  try {
    info.push(await source.check());
    return undefined;
  } catch (err) {
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    return `engine.reader ${config.engine.reader}: ${reason} (engine.nfdumpBin is ${JSON.stringify(config.engine.nfdumpBin)})`;
  }
}

/**
 * Whether the open store takes a write: a row written and rolled back (SQLite opens a file it may not write
 * read-only, and only a write says so; the write lock alone is granted to a read-only connection).
 */
export function storeProblem(db: Db): string | undefined {
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.prepare("INSERT INTO schema_migrations (id, applied_at) VALUES ('preflight-write-check', 0)").run();
    } finally {
      db.exec('ROLLBACK');
    }
    return undefined;
  } catch (err) {
    return `store ${db.name}: not writable (${(err as Error).message})`;
  }
}

/** Whether a store file could be created or written, without opening it (for `--check`). */
export function storePathProblem(file: string): string | undefined {
  if (file === ':memory:') return undefined;
  try {
    if (fs.existsSync(file)) fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
    let dir = path.dirname(file);
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    if (!fs.statSync(dir).isDirectory()) return `store ${file}: ${dir} is not a directory`;
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return undefined;
  } catch (err) {
    return `store ${file}: not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}
