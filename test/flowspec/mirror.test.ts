import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBlockService, type AuditEntry, type Block } from '../../src/flowspec/service.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { openDb } from '../../src/store/db.js';
import { auditDoc, blockDoc } from '../../src/es/documents.js';

describe('blocks and audit mirrored to another store (Elasticsearch)', () => {
  it('every audit entry is handed over with its block as it stands after the change', async () => {
    const seen: { entry: AuditEntry; block?: Block }[] = [];
    const speaker = { announce: async () => undefined, withdraw: async () => undefined, list: async () => ({ 4: [], 6: [] }), withdrawText: async () => undefined };
    const dbFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-mirror-')), 'n.db');
    const db = openDb(dbFile);
    const svc = createBlockService(db, speaker, flowspecDefaults, () => 1_795_356_000_000, (entry, block) => seen.push({ entry, block }));
    const b = await svc.add({ source: '198.51.100.7' }, { user: 'alice', sshConnection: '203.0.113.5 5000 192.0.2.1 22' }, { reason: 'scan' });
    await svc.remove(b.id, { user: 'bob' });
    await new Promise((r) => setTimeout(r, 0));
    expect(seen.map((x) => [x.entry.action, x.entry.who, x.block?.status])).toEqual([
      ['announce', 'alice', 'active'],
      ['withdraw', 'bob', 'removed'],
    ]);
    expect(blockDoc(seen[1].block!).body).toMatchObject({ blockId: b.id, status: 'removed', who: 'alice' });
    // Replays never duplicate: after a restart the entries, read back from the database, make the very same documents
    // (same ids, same bodies) that were mirrored live; two entries never share an id.
    db.close();
    const again = createBlockService(openDb(dbFile), speaker, flowspecDefaults, () => 1_795_356_999_000);
    const reread = again.audit().slice().sort((x, y) => x.id - y.id);
    expect(reread.map((e) => e.action)).toEqual(['announce', 'withdraw']);
    expect(reread.map((e) => auditDoc(e))).toEqual(seen.map((x) => auditDoc(x.entry)));
    expect(new Set(seen.map((x) => auditDoc(x.entry).id)).size).toBe(2);
    expect(auditDoc(seen[0].entry).id).not.toBe(auditDoc({ ...seen[0].entry, at: seen[0].entry.at + 1 }).id);
  });
});
