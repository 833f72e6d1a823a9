/** Which rules cover an address or prefix: one implementation (src/flowspec/covering.ts), the engine's block.covering. */
import { describe, expect, it } from 'vitest';
import { coveringTarget, ruleCovers } from '../../src/flowspec/covering.js';
import { validateRule } from '../../src/flowspec/rule.js';
import { createBlockService } from '../../src/flowspec/service.js';
import { flowspecHandlers } from '../../src/flowspec/area.js';
import type { Speaker } from '../../src/flowspec/gobgp.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';
import { openDb } from '../../src/store/db.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';

describe('ruleCovers', () => {
  it.each([
    // [rule, target, covers]
    [{ source: '198.51.100.0/24' }, '198.51.100.7', true], // a prefix rule covers an address inside it (REVIEW §1b)
    [{ source: '198.51.100.7' }, '198.51.100.7', true],
    [{ source: '198.51.100.7' }, '198.51.100.0/24', true], // an investigated prefix shows the rules inside it
    [{ destination: '192.0.2.10', protocol: 'udp' }, '192.0.2.10', true],
    [{ source: '198.51.100.0/25' }, '198.51.100.200', false],
    [{ source: '198.51.100.7' }, '198.51.100.8', false],
    [{ source: '2001:db8::/48', protocol: 'tcp' }, '2001:db8::1', true],
    [{ source: '2001:db8::/48' }, '198.51.100.7', false],
  ] as const)('%j covers %s: %s', (input, target, want) => expect(ruleCovers(validateRule({ ...input }), coveringTarget(target))).toBe(want));
});

describe('block.covering (the engine answers for every client)', () => {
  const quiet: Speaker = { announce: async () => undefined, withdraw: async () => undefined, withdrawText: async () => undefined, list: async () => ({ 4: [], 6: [] }) };
  it('lists the active rules covering the target, not withdrawn ones; refuses what is not an address', async () => {
    const cfg = { ...flowspecDefaults, enabled: true, maxChangesPerMinute: 100 };
    const svc = createBlockService(openDb(':memory:'), quiet, cfg);
    const h = flowspecHandlers(svc, cfg, { latestFiles: () => [], source: createNfdumpSource(), inside: [] });
    const wide = await svc.add({ source: '198.51.100.0/24' }, { user: 'alice' });
    const one = await svc.add({ source: '198.51.100.7', protocol: 'tcp', destinationPort: 22 }, { user: 'alice' });
    const gone = await svc.add({ source: '198.51.100.9' }, { user: 'alice' });
    await svc.remove(gone.id, { user: 'alice' });
    const ids = async (target: string) => ((await h['block.covering']({ target }, { user: 'bob' })) as { id: number }[]).map((b) => b.id).sort();
    expect(await ids('198.51.100.7')).toEqual([wide.id, one.id]);
    expect(await ids('198.51.100.9')).toEqual([wide.id]);
    expect(await ids('198.51.100.0/24')).toEqual([wide.id, one.id]);
    expect(await ids('203.0.113.1')).toEqual([]);
    await expect(h['block.covering']({ target: 'not-an-ip' }, { user: 'bob' })).rejects.toMatchObject({ code: 'BAD_PARAMS' });
  });
});
