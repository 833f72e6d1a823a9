import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { createGobgpSpeaker, startGobgpd, type ManagedGobgpd } from '../../src/flowspec/gobgp.js';
import { BlockRefused, createBlockService } from '../../src/flowspec/service.js';
import { openDb } from '../../src/store/db.js';
import { flowspecDefaults } from '../../src/config/sections/flowspec.js';

/**
 * Two real gobgpd on loopback: ours (127.0.0.1) and a "router" peer (127.0.0.2) with ipv4/ipv6-flowspec.
 * Every assertion reads the PEER's RIB: what a router would have received.
 */
const base = 20000 + Math.floor(Math.random() * 20000);
// The session is TCP-MD5 signed (auth-password), as production peerings are; the key has a quote and a backslash.
const KEY = 'noc "md5" \\ key';
const ours: ManagedGobgpd = { routerId: '127.0.0.1', as: 65001, listenAddress: '127.0.0.1', listenPort: base, apiHost: '127.0.0.1', apiPort: base + 1, neighbors: [{ address: '127.0.0.2', as: 65002, port: base + 2, password: KEY }] };
const router: ManagedGobgpd = { routerId: '127.0.0.2', as: 65002, listenAddress: '127.0.0.2', listenPort: base + 2, apiHost: '127.0.0.1', apiPort: base + 3, neighbors: [{ address: '127.0.0.1', as: 65001, port: base, password: KEY }] };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-bgp-'));
let oursProc: { stop(): Promise<void> };
let routerProc: { stop(): Promise<void> };
const peerRib = createGobgpSpeaker({ apiHost: '127.0.0.1', apiPort: router.apiPort, learned: true });
const speaker = createGobgpSpeaker({ apiHost: '127.0.0.1', apiPort: ours.apiPort });

/** Whether our session reaches Established within `ms`. */
async function establishes(ms: number): Promise<boolean> {
  for (let t0 = Date.now(); Date.now() - t0 < ms; ) {
    const r = await execa('gobgp', ['-p', String(ours.apiPort), 'neighbor'], { reject: false });
    if (/Establ/.test(String(r.stdout))) return true;
    await new Promise((res) => setTimeout(res, 100));
  }
  return false;
}

async function established(): Promise<void> {
  if (!(await establishes(30_000))) throw new Error('BGP session did not establish');
}

/** The prefixes of the peer's RIB for a family, read from `gobgp -j` (source/destination components of each NLRI). */
async function peerPrefixes(family: 4 | 6): Promise<{ source?: string; destination?: string }[]> {
  const r = await execa('gobgp', ['-p', String(router.apiPort), '-j', 'global', 'rib', '-a', `ipv${family}-flowspec`]);
  const rib = JSON.parse(r.stdout.trim() || '{}') as Record<string, { nlri: { value: { type: number; value: { prefix?: string } }[] } }[]> | null;
  return Object.values(rib ?? {}).map((paths) => {
    const out: { source?: string; destination?: string } = {};
    for (const c of paths[0].nlri.value) {
      if (c.type === 1) out.destination = c.value.prefix;
      if (c.type === 2) out.source = c.value.prefix;
    }
    return out;
  });
}

/** The peer's RIB, once it settles on `expected` (or after 3 s). */
async function peerHas(expected: { 4?: string[]; 6?: string[] }): Promise<{ 4: string[]; 6: string[] }> {
  let rib = await peerRib.list();
  for (let i = 0; i < 60; i++) {
    const ok = JSON.stringify(rib[4].sort()) === JSON.stringify((expected[4] ?? []).sort()) && JSON.stringify(rib[6].sort()) === JSON.stringify((expected[6] ?? []).sort());
    if (ok) return rib;
    await new Promise((r) => setTimeout(r, 50));
    rib = await peerRib.list();
  }
  return rib;
}

beforeAll(async () => {
  routerProc = await startGobgpd(router, path.join(dir, 'router'));
  oursProc = await startGobgpd(ours, path.join(dir, 'ours'));
  await established();
}, 60_000);
afterAll(async () => {
  await oursProc?.stop();
  await routerProc?.stop();
});

describe('FlowSpec through a real gobgpd peer', () => {
  const alice = { user: 'alice', sshConnection: '203.0.113.50 50000 192.0.2.1 22' };
  const cfg = { ...flowspecDefaults, protectedPrefixes: ['192.0.2.0/24'], maxChangesPerMinute: 100 };

  it('block → exactly that NLRI and action at the router; unblock → nothing; expiry → nothing', async () => {
    let clock = Date.UTC(2026, 10, 22, 14, 0);
    const svc = createBlockService(openDb(':memory:'), speaker, cfg, () => clock);
    const b = await svc.add({ source: '198.51.100.7', protocol: 'tcp', destinationPort: 22 }, alice, { reason: 'ssh brute force', ttlSeconds: 60 });
    expect(b).toMatchObject({ status: 'active', ttlSeconds: 60, offence: 1, who: 'alice' });
    expect((await peerHas({ 4: ['[source: 198.51.100.7/32][protocol: ==tcp][destination-port: ==22]'] }))[4]).toEqual(['[source: 198.51.100.7/32][protocol: ==tcp][destination-port: ==22]']);
    const raw = await execa('gobgp', ['-p', String(router.apiPort), 'global', 'rib', '-a', 'ipv4-flowspec', '-j']);
    expect(raw.stdout).toContain('"subtype":6'); // traffic-rate extended community
    expect(raw.stdout).toContain('"rate":0'); // discard = rate 0
    await svc.remove('198.51.100.7', alice, 'done');
    expect(await peerHas({})).toEqual({ 4: [], 6: [] });

    const v6 = await svc.add({ destination: '2001:db8:1::/48', protocol: 'udp', destinationPort: 53, action: 'rate-limit', bytesPerSecond: 125000 }, alice, { ttlSeconds: 60 });
    expect((await peerHas({ 6: ['[destination: 2001:db8:1::/48/0][protocol: ==udp][destination-port: ==53]'] }))[6]).toHaveLength(1);
    clock += 61_000;
    expect((await svc.expireDue()).map((x) => x.id)).toEqual([v6.id]);
    expect(await peerHas({})).toEqual({ 4: [], 6: [] });
    expect(svc.get(v6.id)!.status).toBe('expired');
    const actions = svc.audit().map((e) => e.action).reverse();
    expect(actions).toEqual(['announce', 'withdraw', 'announce', 'expire']);
    expect(svc.audit().at(-1)).toMatchObject({ who: 'alice', origin: alice.sshConnection, reason: 'ssh brute force' });
  });

  it('repeat offenders get a doubled TTL', async () => {
    const svc = createBlockService(openDb(':memory:'), speaker, cfg);
    const a = await svc.add({ source: '198.51.100.8' }, alice, { ttlSeconds: 100 });
    await svc.remove(a.id, alice);
    const b = await svc.add({ source: '198.51.100.8' }, alice, { ttlSeconds: 100 });
    expect([a.offence, a.ttlSeconds, b.offence, b.ttlSeconds]).toEqual([1, 100, 2, 200]);
    await svc.remove(b.id, alice);
    await peerHas({});
  });

  it('every guard refusal leaves the router untouched', async () => {
    const svc = createBlockService(openDb(':memory:'), speaker, { ...cfg, maxActiveRules: 1 });
    await expect(svc.add({ destination: '192.0.2.53' }, alice)).rejects.toThrow(/protected prefix 192\.0\.2\.0\/24/);
    await expect(svc.add({ source: '198.51.0.0/16' }, alice)).rejects.toThrow(/shorter than \/24/);
    await expect(svc.add({ source: '198.51.100.9' }, alice, { anomaly: { ip: '198.51.100.10', type: 'port-ddos-victim', spoofedShare: 0.9 } })).rejects.toThrow(/spoofed/);
    await expect(svc.add({ destination: '198.51.100.10' }, alice, { anomaly: { ip: '198.51.100.10', type: 'port-ddos-victim', role: 'victim' } })).rejects.toThrow(BlockRefused);
    expect((await peerRib.list())[4]).toEqual([]);
    const one = await svc.add({ source: '198.51.100.11' }, alice);
    await expect(svc.add({ source: '198.51.100.12' }, alice)).rejects.toThrow(/already 1 active rules/);
    await expect(svc.add({ source: '198.51.100.11' }, alice)).rejects.toThrow(/already blocked/);
    expect(svc.audit().filter((e) => e.action === 'refused')).toHaveLength(6);
    await svc.remove(one.id, alice);
    await peerHas({});
  });

  it('every accepted kind of target reaches the router as the prefix it names (its RIB read back as JSON)', async () => {
    const kinds: [string, 'source' | 'destination', 4 | 6, string][] = [
      ['198.51.100.40', 'source', 4, '198.51.100.40/32'],
      [' 198.51.100.41 ', 'destination', 4, '198.51.100.41/32'],
      ['198.51.101.0/24', 'source', 4, '198.51.101.0/24'],
      ['::ffff:198.51.100.42', 'source', 4, '198.51.100.42/32'],
      ['::FFFF:c633:642b', 'destination', 4, '198.51.100.43/32'],
      ['0:0:0:0:0:ffff:198.51.100.44/128', 'source', 4, '198.51.100.44/32'],
      ['::ffff:198.51.102.0/120', 'source', 4, '198.51.102.0/24'],
      ['::198.51.100.45', 'source', 4, '198.51.100.45/32'],
      ['2001:db8:1::7', 'source', 6, '2001:db8:1::7/128'],
      ['2001:DB8:0002:0000:0000:0000:0000:0001', 'destination', 6, '2001:db8:2::1/128'],
      ['2001:db8:3::/48', 'source', 6, '2001:db8:3::/48'],
      ['64:ff9b::198.51.100.46', 'source', 6, '64:ff9b::c633:642e/128'],
    ];
    const svc = createBlockService(openDb(':memory:'), speaker, { ...cfg, minPrefixV6: 32, maxChangesPerMinute: 100 });
    // A destination-only discard is a victim's: confirmed, as the CLI's --yes does.
    for (const [target, side] of kinds) await svc.add({ [side]: target }, alice, { ttlSeconds: 60, confirmedVictimDiscard: side === 'destination' });
    const want = (f: 4 | 6) => kinds.filter((k) => k[2] === f).map(([, side, , p]) => ({ [side]: p })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const got = async (f: 4 | 6) => (await peerPrefixes(f)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    for (let i = 0; i < 60 && ((await got(4)).length < want(4).length || (await got(6)).length < want(6).length); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await got(4)).toEqual(want(4));
    expect(await got(6)).toEqual(want(6));
    // The peer's own listing works (an IPv4-mapped rule made gobgp panic here): every rule is printed.
    const listed = await execa('gobgp', ['-p', String(router.apiPort), 'global', 'rib', '-a', 'ipv6-flowspec'], { reject: false });
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).not.toContain('<nil>');
    await svc.panic(alice);
    expect(await peerHas({})).toEqual({ 4: [], 6: [] });
  });

  it('the session is TCP-MD5 signed: a speaker with another key never establishes', async () => {
    await oursProc.stop();
    oursProc = await startGobgpd({ ...ours, neighbors: [{ ...ours.neighbors[0], password: 'not the key' }] }, path.join(dir, 'ours'));
    expect(await establishes(8000)).toBe(false);
    await oursProc.stop();
    oursProc = await startGobgpd(ours, path.join(dir, 'ours'));
    await established();
  }, 60_000);

  it('malformed input never reaches the speaker', async () => {
    const calls: string[] = [];
    const spy = { announce: async () => void calls.push('announce'), withdraw: async () => void calls.push('withdraw'), list: async () => ({ 4: [], 6: [] }), withdrawText: async () => void calls.push('text') };
    const svc = createBlockService(openDb(':memory:'), spy, cfg);
    for (const bad of [{ source: '198.51.100.300' }, { source: '0.0.0.0/0' }, { source: '198.51.100.1', destination: '2001:db8::1' }, { source: '2001:db8::1%eth0' }, { destination: '198.51.100.1/33' }, { source: '$(reboot)' }]) {
      await expect(svc.add(bad, alice)).rejects.toThrow();
    }
    expect(calls).toEqual([]);
  });

  it('panic withdraws everything and restore brings it back', async () => {
    const svc = createBlockService(openDb(':memory:'), speaker, cfg);
    await svc.add({ source: '198.51.100.20' }, alice);
    await svc.add({ source: '198.51.100.21', protocol: 'udp' }, alice);
    expect((await peerHas({ 4: ['[source: 198.51.100.20/32]', '[source: 198.51.100.21/32][protocol: ==udp]'] }))[4]).toHaveLength(2);
    expect(await svc.panic(alice, 'wrong target')).toBe(2);
    expect(await peerHas({})).toEqual({ 4: [], 6: [] });
    expect(svc.list().map((b) => b.status)).toEqual(['withdrawn', 'withdrawn']);
    expect(await svc.restore(alice)).toBe(2);
    expect((await peerHas({ 4: ['[source: 198.51.100.20/32]', '[source: 198.51.100.21/32][protocol: ==udp]'] }))[4]).toHaveLength(2);
    await svc.panic(alice);
    await peerHas({});
  });

  it('reconciles after our gobgpd restarts and after the engine restarts on the same database', async () => {
    const dbFile = path.join(dir, 'blocks.db');
    const svc = createBlockService(openDb(dbFile), speaker, cfg);
    await svc.add({ source: '198.51.100.30' }, alice);
    await peerHas({ 4: ['[source: 198.51.100.30/32]'] });
    // Our speaker dies and comes back empty: the router loses the route, reconciliation restores it.
    await oursProc.stop();
    oursProc = await startGobgpd(ours, path.join(dir, 'ours'));
    await established();
    expect((await speaker.list())[4]).toEqual([]);
    expect(await svc.reconcile()).toMatchObject({ announced: 1, withdrawn: 0, failed: 0 });
    expect((await peerHas({ 4: ['[source: 198.51.100.30/32]'] }))[4]).toEqual(['[source: 198.51.100.30/32]']);
    // A rule in the speaker that the store does not know (a crash after announce, a manual add) is withdrawn.
    await execa('gobgp', ['-p', String(ours.apiPort), 'global', 'rib', '-a', 'ipv4-flowspec', 'add', 'match', 'source', '198.51.100.31/32', 'then', 'discard']);
    const again = createBlockService(openDb(dbFile), speaker, cfg); // the engine restarted
    expect(await again.reconcile()).toMatchObject({ announced: 0, withdrawn: 1, failed: 0 });
    expect((await peerHas({ 4: ['[source: 198.51.100.30/32]'] }))[4]).toEqual(['[source: 198.51.100.30/32]']);
    await again.remove('198.51.100.30', alice);
    await peerHas({});
  });

  it('a route learned from the router is not ours: the speaker does not list it and reconciliation leaves it alone', async () => {
    const routerCli = ['-p', String(router.apiPort), 'global', 'rib', '-a', 'ipv4-flowspec'];
    await execa('gobgp', [...routerCli, 'add', 'match', 'source', '203.0.113.77/32', 'then', 'discard']);
    try {
      // It arrives in our gobgpd's RIB, with the neighbor it came from.
      let raw = '';
      for (let i = 0; i < 60 && !raw.includes('203.0.113.77'); i++) {
        raw = (await execa('gobgp', ['-p', String(ours.apiPort), 'global', 'rib', '-a', 'ipv4-flowspec', '-j'])).stdout;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(raw).toMatch(/203\.0\.113\.77.*"neighbor-ip":"127\.0\.0\.2"/);
      expect((await speaker.list())[4]).toEqual([]);
      const svc = createBlockService(openDb(':memory:'), speaker, { ...cfg, mode: 'managed' });
      expect(await svc.reconcile()).toEqual({ announced: 0, withdrawn: 0, failed: 0, foreign: 0, failures: [] });
    } finally {
      await execa('gobgp', [...routerCli, 'del', 'match', 'source', '203.0.113.77/32']);
    }
  });
});

describe('startGobgpd', () => {
  it('fails, and stops the process, when the API never answers', async () => {
    const fake = path.join(dir, 'silent-gobgpd');
    fs.writeFileSync(fake, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    const t0 = Date.now();
    await expect(startGobgpd({ ...ours, bin: fake, apiPort: ours.apiPort + 100 }, path.join(dir, 'silent'), { apiTimeoutMs: 1500 })).rejects.toThrow(/API on 127\.0\.0\.1:\d+ did not answer within 1500 ms.*stopped it/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const ps = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(ps.stdout.split('\n').filter((l) => l.includes(path.join(dir, 'silent')))).toEqual([]);
  });
});
