import { describe, expect, it } from 'vitest';
import { createBlockService, type AuditEntry, type Block } from '../../src/flowspec/service.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { openDb } from '../../src/store/db.js';
import { auditDoc, blockDoc } from '../../src/es/documents.js';

describe('blocks and audit mirrored to another store (Elasticsearch)', () => {
  it('every audit entry is handed over with its block as it stands after the change', async () => {
    const seen: { entry: AuditEntry; block?: Block }[] = [];
    const speaker = { announce: async () => undefined, withdraw: async () => undefined, list: async () => ({ 4: [], 6: [] }), withdrawText: async () => undefined };
    const svc = createBlockService(openDb(':memory:'), speaker, flowspecDefaults, () => 1_795_356_000_000, (entry, block) => seen.push({ entry, block }));
    const b = await svc.add({ source: '198.51.100.7' }, { user: 'alice', sshConnection: '203.0.113.5 5000 192.0.2.1 22' }, { reason: 'scan' });
    await svc.remove(b.id, { user: 'bob' });
    await new Promise((r) => setTimeout(r, 0));
    expect(seen.map((x) => [x.entry.action, x.entry.who, x.block?.status])).toEqual([
      ['announce', 'alice', 'active'],
      ['withdraw', 'bob', 'removed'],
    ]);
    // The ES documents built from them have deterministic ids (replays never duplicate).
    const d1 = auditDoc(seen[0].entry);
    expect(auditDoc(seen[0].entry).id).toBe(d1.id);
    expect(blockDoc(seen[1].block!).body).toMatchObject({ blockId: b.id, status: 'removed', who: 'alice' });
  });
});
