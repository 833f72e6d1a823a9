import { describe, expect, it } from 'vitest';
import { createAlertsArea } from '../../src/alerts/area.js';
import { AlertOutbox } from '../../src/alerts/outbox.js';
import { episodeId } from '../../src/alerts/policy.js';
import { mergeDeep } from '../../src/config/config.js';
import { configDefaults, type NocflowConfig } from '../../src/config/schema.js';
import type { Anomaly, WindowResult } from '../../src/engine/types.js';
import { openDb } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';

const anomaly = (ip: string, over: Partial<Anomaly> = {}): Anomaly => ({
  ip, role: 'attacker', type: 'scan', severity: 'over', score: 10, evidence: [{ indicator: 'distinct destinations', value: 2000, threshold: 1000, ratio: 2 }],
  metrics: { flows: 1, packets: 1, bytes: 40, distinctPeers: 1, distinctPorts: 1 },
  features: { protocols: [], dstPorts: [], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 0, dstPorts: 0, packets: 0, bytes: 0 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
  ...over,
});
const win = (slot: number, as: Anomaly[]): WindowResult => ({ window: { timeSlot: slot, start: slot * 300 - 150, end: slot * 300 + 150 }, flows: 10, packets: 10, bytes: 400, distinctIps: 5, anomalies: as });

const config = (over: unknown = {}): NocflowConfig =>
  mergeDeep(configDefaults, mergeDeep({ alerts: { email: { host: '127.0.0.1', from: 'nocflow@noc.example', to: ['noc@noc.example'] }, webhook: { url: 'http://127.0.0.1:9/hook/T0KEN' } } }, over));

function setup(over: unknown = {}) {
  const db = openDb(':memory:');
  const store = new EngineStore(db);
  const area = createAlertsArea(config(over), { hostname: 'test-host' });
  const commit = (file: string, w: WindowResult, now: number, beforeCommit?: () => void) => store.commitWindow(file, w, now, { hooks: area.commitHooks, beforeCommit });
  return { db, store, area, outbox: new AlertOutbox(db), commit };
}

describe('outbox: written in the window\'s own transaction', () => {
  it('a crash before the commit leaves neither the window nor its alert; the retry decides the same alert once', () => {
    const { store, outbox, commit } = setup();
    commit('/d/nfcapd.202611221400', win(100, [anomaly('203.0.113.7')]), 1);
    expect(() => commit('/d/nfcapd.202611221405', win(101, [anomaly('203.0.113.7')]), 2, () => { throw new Error('power cut'); })).toThrow('power cut');
    expect(store.fileStatus('/d/nfcapd.202611221405')).toBeUndefined();
    expect(outbox.list()).toEqual([]);
    expect(outbox.episodes()[0]).toMatchObject({ windows: 1, lastSlot: 100, status: 'pending' });
    commit('/d/nfcapd.202611221405', win(101, [anomaly('203.0.113.7')]), 3);
    const list = outbox.list();
    expect(list.map((a) => [a.id, a.kind, a.ip])).toEqual([[`${episodeId('203.0.113.7', 'scan', 100)}-a`, 'alert', '203.0.113.7']]);
    expect(list[0].deliveries.map((d) => `${d.channel}:${d.target}:${d.state}`)).toEqual(['email:noc@noc.example:pending', 'webhook::pending']);
    expect(list[0].doc.anomaly!.tracking).toMatchObject({ windowsSeen: 2, streak: 2 });
    // Processing the same file again (re-run) replaces the window and adds no alert.
    commit('/d/nfcapd.202611221405', win(101, [anomaly('203.0.113.7')]), 4);
    expect(outbox.list()).toHaveLength(1);
    expect(outbox.episodes()[0]).toMatchObject({ windows: 2, status: 'open' });
  });

  it('the decision follows the tracking committed with it: a second file of the same slot does not count again', () => {
    const { outbox, commit } = setup();
    commit('/d/nfcapd.202611221400', win(100, [anomaly('192.0.2.1')]), 1);
    commit('/d/nfcapd.202611221401', win(100, [anomaly('192.0.2.1')]), 1);
    expect(outbox.list()).toEqual([]);
    commit('/d/nfcapd.202611221405', win(101, [anomaly('192.0.2.1')]), 1);
    expect(outbox.list()).toHaveLength(1);
  });

  it('a false positive (verdict) is tracked but never alerted', () => {
    const { store, outbox, commit } = setup();
    store.setVerdict({ ip: '198.51.100.7', type: 'scan', reason: 'our scanner', who: 'alice', at: 0 });
    commit('/d/a', win(100, [anomaly('198.51.100.7', { severity: 'super' }), anomaly('198.51.100.8', { severity: 'super' })]), 1);
    expect(outbox.list().map((a) => a.ip)).toEqual(['198.51.100.8']);
    expect(store.history('198.51.100.7')).toHaveLength(1);
  });

  it('alerts.enabled false: windows commit, nothing is decided', () => {
    const { outbox, commit } = setup({ alerts: { enabled: false } });
    commit('/d/a', win(100, [anomaly('198.51.100.8', { severity: 'super' })]), 1);
    expect(outbox.list()).toEqual([]);
    expect(outbox.episodes()).toEqual([]);
  });
});

describe('outbox: leases, back-off, expiry', () => {
  it('a lease keeps a delivery from a second live owner; a dead owner\'s lease is taken over at once', () => {
    const { outbox, commit } = setup();
    commit('/d/a', win(100, [anomaly('198.51.100.8', { severity: 'super' })]), 1000);
    const alive = new Set(['h:1']);
    const isAlive = (o: string) => alive.has(o);
    expect(outbox.claimDue(2000, 'h:1', 60_000, isAlive)).toHaveLength(2);
    expect(outbox.claimDue(2000, 'h:2', 60_000, isAlive)).toHaveLength(0);
    alive.delete('h:1'); // kill -9
    const taken = outbox.claimDue(2000, 'h:2', 60_000, isAlive);
    expect(taken.map((d) => d.channel).sort()).toEqual(['email', 'webhook']);
    // A lease that ran out is free again even when its owner lives.
    alive.add('h:2');
    expect(outbox.claimDue(2000 + 60_001, 'h:3', 60_000, isAlive)).toHaveLength(2);
  });

  it('a failure retries at next_at; sent and rejected are final; pending past giveUp expires', () => {
    const { outbox, commit } = setup();
    commit('/d/a', win(100, [anomaly('198.51.100.8', { severity: 'super' })]), 1000);
    const [mail, hook] = outbox.claimDue(1000, 'h:1', 60_000, () => true).sort((a, b) => a.channel.localeCompare(b.channel));
    outbox.markFailed(mail, 'mail to noc@noc.example via 127.0.0.1:587: connection refused (ECONNREFUSED)', 11_000);
    outbox.markSent(hook, 1500, hook.alertId);
    expect(outbox.claimDue(10_999, 'h:1', 60_000, () => true)).toEqual([]);
    const again = outbox.claimDue(11_000, 'h:1', 60_000, () => true);
    expect(again.map((d) => [d.channel, d.attempts])).toEqual([['email', 1]]);
    outbox.markFailed(again[0], '550 mailbox unavailable', 0, true);
    expect(outbox.counters()).toMatchObject({ alerts: 1, pending: 0, sent: 1, rejected: 1, expired: 0 });
    commit('/d/b', win(101, [anomaly('198.51.100.9', { severity: 'super' })]), 2000);
    expect(outbox.expire(2001)).toBe(2);
    expect(outbox.counters()).toMatchObject({ pending: 0, expired: 2 });
    expect(outbox.nextDue()).toBeUndefined();
  });

  it('the hourly mail budget counts distinct mails (a digest once); prune keeps what is still pending', () => {
    const { outbox, commit } = setup();
    commit('/d/a', win(100, [anomaly('198.51.100.8', { severity: 'super' }), anomaly('198.51.100.9', { severity: 'super' })]), 1000);
    const mails = outbox.claimDue(1000, 'h:1', 60_000, () => true).filter((d) => d.channel === 'email');
    for (const d of mails) outbox.markSent(d, 5000, '<digest-1@noc.example>');
    expect(outbox.mailsSince('noc@noc.example', 0)).toEqual({ count: 1, oldest: 5000 });
    expect(outbox.mailsSince('noc@noc.example', 5000)).toEqual({ count: 0, oldest: null });
    expect(outbox.prune(10_000)).toBe(0); // webhook deliveries still pending
  });
});

describe('malformed addresses never reach the mail library', () => {
  it('"a@x, b@y" in a contact is skipped (it would be two recipients) and reported at start', async () => {
    const units = [{ prefix: '203.0.113.0/24', name: 'TKU', contacts: ['netadm@tku.example', 'x@tku.example, evil@elsewhere.example'] }];
    const { db, store, area, outbox, commit } = setup({ engine: { units }, alerts: { email: { to: ['noc@noc.example', 'noc'] } } });
    const logs: string[] = [];
    await area.start!({ store, db, publish: () => undefined, onEngineEvent: () => () => undefined, log: (l) => logs.push(l), now: () => 1 });
    await area.stop!();
    expect(logs).toEqual(['alerts: 2 malformed mail address(es) skipped: "noc", "x@tku.example, evil@elsewhere.example" (see nocflow config check)']);
    commit('/d/a', win(100, [anomaly('203.0.113.9', { severity: 'super' })]), 1);
    expect(outbox.list()[0].deliveries.map((d) => `${d.channel}:${d.target}`)).toEqual(['email:noc@noc.example', 'email:netadm@tku.example', 'webhook:']);
  });
});

