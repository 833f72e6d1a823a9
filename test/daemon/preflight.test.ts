import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { configProblems, readerProblem, storePathProblem, storeProblem } from '../../src/daemon/preflight.js';
import { configDefaults, type NocflowConfig } from '../../src/config/schema.js';
import { mergeDeep } from '../../src/config/config.js';
import { openDb } from '../../src/store/db.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { flowSourceFrom } from '../../src/ingest/flow-source.js';

const cfg = (over: unknown) => mergeDeep(configDefaults, over) as NocflowConfig;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-preflight-'));

describe('engine preflight', () => {
  it('the configuration: the semantic check', () => {
    expect(configProblems(configDefaults)).toEqual([]);
    expect(configProblems(cfg({ engine: { knownServers: ['10.0.0.1/8'] } }))).toEqual(['engine.knownServers[0]: "10.0.0.1/8" has host bits set (network is 10.0.0.0/8)']);
  });

  it('the reader: nfdump -V answers (its version described), a missing or failing binary is named', async () => {
    const info: string[] = [];
    expect(await readerProblem(createNfdumpSource(), cfg({}), info)).toBeUndefined();
    expect(info).toEqual([expect.stringMatching(/^nfdump \(nfdump: Version: .*1\.7/)]);
    expect(await readerProblem(createNfdumpSource({ bin: '/nonexistent/nfdump' }), cfg({ engine: { reader: 'nfdump', nfdumpBin: '/nonexistent/nfdump' } }))).toBe('engine.reader nfdump: cannot run nfdump (not found) (engine.nfdumpBin is "/nonexistent/nfdump")');
    const broken = path.join(tmp(), 'nfdump');
    fs.writeFileSync(broken, '#!/bin/sh\necho "nfdump: error while loading shared libraries: liblzo2.so.2" >&2\nexit 127\n', { mode: 0o755 });
    expect(await readerProblem(createNfdumpSource({ bin: broken }), cfg({ engine: { nfdumpBin: broken } }))).toBe(`engine.reader native: nfdump -V failed: nfdump: error while loading shared libraries: liblzo2.so.2 (engine.nfdumpBin is ${JSON.stringify(broken)})`);
    // A reader with nothing outside the process to check (the native one) has no check.
    expect(await readerProblem({ read: async function* () {} }, cfg({}))).toBeUndefined();
    expect(await readerProblem(flowSourceFrom({ reader: 'native', nfdumpBin: '/nonexistent/nfdump' }), cfg({}))).toBeUndefined();
  });

  it('the store: a connection that cannot write is refused, a writable one passes and nothing is written', () => {
    const file = path.join(tmp(), 'n.db');
    const db = openDb(file);
    const before = db.prepare('SELECT count(*) AS n FROM schema_migrations').get();
    expect(storeProblem(db)).toBeUndefined();
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual(before);
    db.close();
    const ro = new Database(file, { readonly: true });
    expect(storeProblem(ro)).toMatch(/^store .*n\.db: not writable \(attempt to write a readonly database\)$/);
    ro.close();
  });

  it('the store path (engine --check, nothing opened): a directory that can be created is fine, a file in the way is not', () => {
    const dir = tmp();
    expect(storePathProblem(path.join(dir, 'a', 'b', 'nocflow.db'))).toBeUndefined();
    expect(fs.existsSync(path.join(dir, 'a'))).toBe(false);
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    // A path under a regular file can never be created whoever runs the engine.
    expect(storePathProblem(path.join(dir, 'file', 'nocflow.db'))).toBe(`store ${path.join(dir, 'file', 'nocflow.db')}: ${path.join(dir, 'file')} is not a directory`);
  });
});
