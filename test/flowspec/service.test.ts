/**
 * The block service against real SQLite and a recording speaker (argument-exact): a block and its audit row are one
 * transaction; reconciliation goes route by route; in `external` mode it withdraws only what nocflow announced; a rule
 * that names only a destination is a victim's, so its bare discard needs the confirmation.
 */
import { describe, expect, it } from 'vitest';
import { flowspecDefaults, type FlowspecConfig } from '../../src/config/sections/flowspec.js';
import type { Speaker } from '../../src/flowspec/gobgp.js';
import { nlriText, validateRule, type FlowSpecRule } from '../../src/flowspec/rule.js';
import { createBlockService } from '../../src/flowspec/service.js';
import { openDb } from '../../src/store/db.js';

const alice = { user: 'alice' };
const cfg = (over: Partial<FlowspecConfig> = {}): FlowspecConfig => ({ ...flowspecDefaults, enabled: true, maxChangesPerMinute: 1000, ...over });

/** A speaker with a RIB in memory; `failOn` makes announcing / withdrawing one NLRI fail, as a router might. */
function memorySpeaker(failOn: Set<string> = new Set()) {
  const rib = { 4: new Set<string>(), 6: new Set<string>() };
  const calls: string[] = [];
  const speaker: Speaker = {
    async announce(r: FlowSpecRule) {
      calls.push(`announce ${nlriText(r)}`);
      if (failOn.has(nlriText(r))) throw new Error(`gobgp: cannot add ${nlriText(r)}`);
      rib[r.family].add(nlriText(r));
    },
    async withdraw(r: FlowSpecRule) {
      calls.push(`withdraw ${nlriText(r)}`);
      rib[r.family].delete(nlriText(r));
    },
    async list() {
      return { 4: [...rib[4]], 6: [...rib[6]] };
    },
    async withdrawText(family, nlri) {
      calls.push(`withdrawText ${nlri}`);
      if (failOn.has(nlri)) throw new Error(`gobgp: cannot delete ${nlri}`);
      rib[family].delete(nlri);
    },
  };
  return { rib, calls, speaker };
}

describe('block service: one transaction per change', () => {
  it('a block whose audit row cannot be written is not stored either (and nothing is announced)', async () => {
    const db = openDb(':memory:');
    const { speaker, calls } = memorySpeaker();
    const svc = createBlockService(db, speaker, cfg());
    // The disk fills up between the two statements: the audit insert fails.
    db.exec("CREATE TEMP TRIGGER audit_full BEFORE INSERT ON audit WHEN NEW.action = 'announce' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    await expect(svc.add({ source: '198.51.100.7' }, alice)).rejects.toThrow(/disk is full/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM blocks').get()).toEqual({ n: 0 });
    expect(calls).toEqual([]);
    db.exec('DROP TRIGGER audit_full');
    const b = await svc.add({ source: '198.51.100.7' }, alice);
    expect(svc.audit().map((e) => [e.action, e.blockId])).toEqual([['announce', b.id]]);
  });

  it('a withdrawal whose audit row cannot be written leaves the block active', async () => {
    const db = openDb(':memory:');
    const { speaker } = memorySpeaker();
    const svc = createBlockService(db, speaker, cfg());
    const b = await svc.add({ source: '198.51.100.8' }, alice);
    db.exec("CREATE TEMP TRIGGER audit_full BEFORE INSERT ON audit WHEN NEW.action = 'withdraw' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    await expect(svc.remove(b.id, alice)).rejects.toThrow(/disk is full/);
    expect(svc.get(b.id)!.status).toBe('active');
  });
});

describe('block service: reconciliation route by route', () => {
  it('one route that fails is reported, and every other route is still announced', async () => {
    const db = openDb(':memory:');
    const failing = nlriText(validateRule({ source: '198.51.100.2' }));
    const m = memorySpeaker(new Set([failing]));
    const svc = createBlockService(db, m.speaker, cfg());
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) await svc.add({ source: ip }, alice);
    m.rib[4].clear(); // the speaker restarted empty
    const r = await svc.reconcile();
    expect(r).toEqual({ announced: 2, withdrawn: 0, failed: 1, foreign: 0, failures: [{ route: `ipv4 ${failing}`, action: 'announce', blockId: 2, error: `gobgp: cannot add ${failing}` }] });
    expect([...m.rib[4]].sort()).toEqual(['[source: 198.51.100.1/32]', '[source: 198.51.100.3/32]']);
    expect(svc.get(2)!.lastError).toBe(`gobgp: cannot add ${failing}`);
  });

  it('managed: withdraws every route the store does not hold active, past one that fails', async () => {
    const db = openDb(':memory:');
    const m = memorySpeaker(new Set(['[source: 203.0.113.1/32]']));
    const svc = createBlockService(db, m.speaker, cfg({ mode: 'managed' }));
    for (const x of ['[source: 203.0.113.1/32]', '[source: 203.0.113.2/32]', '[destination: 203.0.113.3/32]']) m.rib[4].add(x);
    const r = await svc.reconcile();
    expect([r.withdrawn, r.failed, r.foreign]).toEqual([2, 1, 0]);
    expect([...m.rib[4]]).toEqual(['[source: 203.0.113.1/32]']);
  });

  it('external: withdraws only routes nocflow once announced; other tools\' routes stay', async () => {
    const db = openDb(':memory:');
    const m = memorySpeaker();
    const svc = createBlockService(db, m.speaker, cfg({ mode: 'external' }));
    const mine = await svc.add({ source: '198.51.100.9', protocol: 'tcp', destinationPort: 22 }, alice);
    await svc.add({ source: '198.51.100.10' }, alice);
    // Removed in the store, but the withdrawal never reached the speaker (it was down): still in its RIB.
    db.prepare("UPDATE blocks SET status = 'removed' WHERE id = ?").run(mine.id);
    m.rib[4].add('[source: 192.0.2.66/32]'); // another tool's rule on the shared gobgpd
    const r = await svc.reconcile();
    expect([r.withdrawn, r.foreign, r.failed]).toEqual([1, 1, 0]);
    expect([...m.rib[4]].sort()).toEqual(['[source: 192.0.2.66/32]', '[source: 198.51.100.10/32]']);
    expect(m.calls.filter((c) => c.startsWith('withdrawText'))).toEqual(['withdrawText [source: 198.51.100.9/32][protocol: ==tcp][destination-port: ==22]']);
  });
});

describe('block service: a destination-only discard is a victim\'s', () => {
  it('is refused without the confirmation, announced with it, and a narrowed one needs none', async () => {
    const db = openDb(':memory:');
    const m = memorySpeaker();
    const svc = createBlockService(db, m.speaker, cfg());
    await expect(svc.add({ destination: '198.51.100.20' }, alice)).rejects.toMatchObject({ guard: 'victim-bare-discard', message: expect.stringMatching(/bare discard of victim 198\.51\.100\.20 .*--yes/) });
    expect(svc.list()).toEqual([]);
    expect((await svc.add({ destination: '198.51.100.20', protocol: 'udp', destinationPort: 123 }, alice)).status).toBe('active');
    expect((await svc.add({ destination: '198.51.100.21' }, alice, { confirmedVictimDiscard: true })).status).toBe('active');
    expect((await svc.add({ destination: '198.51.100.22', action: 'rate-limit', bytesPerSecond: 1000 }, alice)).status).toBe('active');
    expect(svc.audit().filter((e) => e.action === 'refused')).toHaveLength(1);
  });
});
