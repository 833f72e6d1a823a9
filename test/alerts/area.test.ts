/**
 * The alerts area end to end in one process: generated windows (real nfcapd files) through the real runner and
 * SQLite, decided in the commit, delivered to a real SMTP server (STARTTLS, login), a TCP syslog listener and an
 * HTTP receiver; while they are down deliveries retry, and each unit hears about its own addresses only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAlertsArea, type AlertsArea, type AlertsStatus } from '../../src/alerts/area.js';
import { AlertOutbox } from '../../src/alerts/outbox.js';
import { mergeDeep } from '../../src/config/config.js';
import { configDefaults, type NocflowConfig } from '../../src/config/schema.js';
import type { CollectionRun } from '../../src/devices/collector.js';
import { mergeSlot } from '../../src/devices/merge.js';
import { parseIosArp, parseIosMac } from '../../src/devices/parsers.js';
import { DeviceStore } from '../../src/devices/store.js';
import { flowSourceFrom } from '../../src/ingest/flow-source.js';
import { createEngineRunner, type EngineEvent } from '../../src/ingest/runner.js';
import { openDb, type Db } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import { freeTcpPort, makeCert, startHttp, startSmtp, startSyslog, waitFor, type HttpReceiver, type SmtpReceiver, type SyslogReceiver } from '../helpers/receivers.js';

const PASSWORD = 'Sm7p-pa55-9f2e';
const TOKEN = 'T0KEN-b81c55';
const NTU_HOST = '140.110.26.68'; // the syn-scan attacker of the mixed window
const TKU_HOST = '203.0.113.115'; // the SSH attacker

let mixed: string;
let quiet: string;
let cert: Awaited<ReturnType<typeof makeCert>>;

beforeAll(async () => {
  mixed = (await makeScenarioFile('mixed')).file;
  quiet = (await makeScenarioFile('background')).file;
  cert = await makeCert();
}, 240_000);

/** An IOS switch that has the NTU host's MAC on Gi1/0/7, as the devices area would have collected it. */
function seedDevices(db: Db, slot: number): void {
  const arp = parseIosArp(['Protocol  Address          Age (min)  Hardware Addr   Type   Interface', `Internet  ${NTU_HOST}           3   0050.56b4.1a2c  ARPA   Vlan20`].join('\n')).entries;
  const mac = parseIosMac(['Vlan    Mac Address       Type        Ports', '----    -----------       --------    -----', '  20    0050.56b4.1a2c    DYNAMIC     Gi1/0/7', '  20    0050.56b4.9999    DYNAMIC     Gi1/0/8'].join('\n')).entries;
  const t = slot * 300_000;
  const r = (device: string, a: typeof arp, m: typeof mac) => ({ device, kind: 'ios' as const, host: '127.0.0.1', ok: true, timestamp: t, durationMs: 5, arp: a, mac: m, skipped: 0, skippedSamples: [], morePrompts: 0, hostKeyRecorded: false });
  const run: CollectionRun = { timeSlot: slot, startedAt: t, results: [r('ntu-gw', arp, []), r('ntu-sw-b3', [], mac)], merged: mergeSlot(slot, []) };
  new DeviceStore(db).saveRun(run);
}

interface Rig {
  dir: string;
  db: Db;
  area: AlertsArea;
  runner: ReturnType<typeof createEngineRunner>;
  logs: string[];
  land(src: string, stamp: string): Promise<void>;
  stop(): Promise<void>;
}

async function rig(alerts: unknown, ports: { smtp: number; syslog: number; http: number }): Promise<Rig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-alerts-area-'));
  const cfg = mergeDeep(configDefaults, {
    engine: {
      nfcapdDir: dir,
      units: [
        { prefix: '140.110.0.0/16', name: 'NTU', contacts: ['netadm@ntu.example'], lang: 'zh-TW' },
        { prefix: '203.0.113.0/24', name: 'TKU', contacts: ['noc@tku.example'] },
        { prefix: '192.0.2.0/24', name: 'QuietU', contacts: ['admin@quiet.example'] },
      ],
    },
    alerts: mergeDeep(
      {
        email: { host: '127.0.0.1', port: ports.smtp, user: 'noc', password: PASSWORD, from: 'nocflow@twaren.example', to: ['noc@twaren.example'], caFile: cert.certFile, timeoutSeconds: 5 },
        syslog: { host: '127.0.0.1', port: ports.syslog, protocol: 'tcp' },
        webhook: { url: `http://127.0.0.1:${ports.http}/hooks/${TOKEN}`, format: 'json' },
        retry: { initialSeconds: 0.2, maxSeconds: 0.5, giveUpHours: 1 },
        pollSeconds: 0.2,
      },
      alerts,
    ),
  }) as NocflowConfig;
  const db = openDb(path.join(dir, 'n.db'));
  const store = new EngineStore(db);
  const logs: string[] = [];
  const area = createAlertsArea(cfg, { log: (l) => logs.push(l), hostname: 'rig' });
  const runner = createEngineRunner({ ...cfg.engine, nfcapdDir: dir }, { store, source: flowSourceFrom(cfg.engine), commitHooks: area.commitHooks, log: (l) => logs.push(l) });
  const events: EngineEvent[] = [];
  runner.on((e) => events.push(e));
  await area.start!({ store, db, publish: () => undefined, onEngineEvent: (l) => runner.on(l), log: (l) => logs.push(l), now: Date.now });
  return {
    dir, db, area, runner, logs,
    async land(src, stamp) {
      fs.copyFileSync(src, path.join(dir, `nfcapd.${stamp}`));
      await runner.processOnce();
    },
    async stop() {
      await area.stop!();
      db.close();
    },
  };
}

describe('alerts area: windows → outbox → real receivers', () => {
  let smtp: SmtpReceiver;
  let syslog: SyslogReceiver;
  let http: HttpReceiver;
  let r: Rig;
  const ports = { smtp: 0, syslog: 0, http: 0 };

  beforeAll(async () => {
    // The receivers are DOWN at first: the ports are named in the config but nothing listens yet.
    ports.smtp = await freeTcpPort();
    ports.syslog = await freeTcpPort();
    ports.http = await freeTcpPort();
    r = await rig({}, ports);
  }, 60_000);
  afterAll(async () => {
    await r?.stop();
    await Promise.allSettled([smtp?.close(), syslog?.close(), http?.close()]);
  });

  it('first window: below minWindows, nothing is sent', async () => {
    const slot = Math.floor((Date.parse('2026-11-22T14:00:00Z') / 1000 + 150) / 300);
    seedDevices(r.db, slot);
    await r.land(mixed, '202611221400');
    expect(new AlertOutbox(r.db).list()).toEqual([]);
    expect(new AlertOutbox(r.db).episodes().map((e) => e.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);
  }, 60_000);

  it('second window: one alert per (IP, type); while the receivers are down they retry, then each arrives once', async () => {
    await r.land(mixed, '202611221405');
    const box = new AlertOutbox(r.db);
    const alerts = box.list();
    expect(alerts.map((a) => a.kind)).toEqual(['alert', 'alert', 'alert', 'alert', 'alert']);
    expect(new Set(alerts.map((a) => a.ip))).toEqual(new Set([NTU_HOST, TKU_HOST, '192.0.2.10', '125.64.94.220', '198.51.100.7']));
    // Deliveries: NOC mail + syslog + webhook for each, and the unit contact for its own hosts only.
    const mailTargets = (ip: string) => alerts.find((a) => a.ip === ip)!.deliveries.filter((d) => d.channel === 'email').map((d) => `${d.target}:${d.audience}:${d.lang}`);
    expect(mailTargets(NTU_HOST)).toEqual(['noc@twaren.example:noc:en', 'netadm@ntu.example:NTU:zh-TW']);
    expect(mailTargets(TKU_HOST)).toEqual(['noc@twaren.example:noc:en', 'noc@tku.example:TKU:en']);
    expect(mailTargets('192.0.2.10')).toEqual(['noc@twaren.example:noc:en', 'admin@quiet.example:QuietU:en']);
    expect(mailTargets('198.51.100.7')).toEqual(['noc@twaren.example:noc:en']);
    // Nothing listens: attempts fail and are retried with back-off.
    await waitFor(() => box.list().every((a) => a.deliveries.every((d) => d.attempts >= 2)), 20_000, 'two failed attempts each');
    expect(box.counters()).toMatchObject({ sent: 0, pending: 5 * 3 + 3 });
    // Each channel going down is logged once, however many attempts fail.
    expect(r.logs.map((l) => /^alerts: (\w+) failing: /.exec(l)?.[1]).filter(Boolean).sort()).toEqual(['email', 'syslog', 'webhook']);
    expect(alerts.find((a) => a.ip === NTU_HOST)!.doc.where).toMatchObject({ mac: '00:50:56:b4:1a:2c', router: 'ntu-gw', ports: [{ switch: 'ntu-sw-b3', port: 'Gi1/0/7', vlan: 20 }] });

    // The receivers come up on the configured ports.
    smtp = await startSmtp({ port: ports.smtp, tls: cert, auth: { user: 'noc', password: PASSWORD } });
    syslog = await startSyslog('tcp', { port: ports.syslog });
    http = await startHttp({ port: ports.http });
    await waitFor(() => box.counters().pending === 0, 30_000, 'every delivery sent');
    await new Promise((res) => setTimeout(res, 800)); // a few more passes: nothing may come twice
    const ids = alerts.map((a) => a.id).sort();
    const noc = smtp.mails.filter((m) => m.to[0] === 'noc@twaren.example');
    expect(noc.map((m) => m.headers['x-nocflow-alert-id']).sort()).toEqual(ids);
    expect(noc.every((m) => m.secure && m.user === 'noc')).toBe(true);
    expect(syslog.messages.map((m) => m.msgId).sort()).toEqual(ids);
    expect(http.requests.map((q) => q.headers['x-nocflow-alert-id']).sort()).toEqual(ids);
    expect(http.requests.map((q) => JSON.parse(q.body).id).sort()).toEqual(ids);
    expect(r.logs.filter((l) => /delivering again/.test(l)).sort()).toEqual(['alerts: email delivering again', 'alerts: syslog delivering again', 'alerts: webhook delivering again']);
  }, 90_000);

  it('each unit gets its own addresses only, in its language, with MAC, switch and port when known', () => {
    const ntu = smtp.mails.filter((m) => m.to[0] === 'netadm@ntu.example');
    const tku = smtp.mails.filter((m) => m.to[0] === 'noc@tku.example');
    expect(ntu.map((m) => m.headers.subject)).toEqual([`[nocflow] 疑似大範圍掃瞄或入侵 ${NTU_HOST} (NTU)`]);
    expect(ntu[0].body.split('\n')[0]).toBe(`※攻擊者：${NTU_HOST} (NTU)`);
    expect(ntu[0].body).toContain('※位置：MAC 00:50:56:b4:1a:2c，交換器 ntu-sw-b3 Gi1/0/7 (VLAN 20)，閘道 ntu-gw');
    expect(ntu[0].body).not.toContain(TKU_HOST);
    expect(tku.map((m) => m.headers.subject)).toEqual([`[nocflow] Too many peers ${TKU_HOST} (TKU)`]);
    expect(tku[0].body).not.toContain(NTU_HOST);
    expect(tku[0].body).not.toContain('※Where');
    // The NOC's mail is English and carries the same location line.
    const nocNtu = smtp.mails.find((m) => m.to[0] === 'noc@twaren.example' && m.headers.subject.includes(NTU_HOST))!;
    expect(nocNtu.body).toContain('※Where: MAC 00:50:56:b4:1a:2c, switch ntu-sw-b3 Gi1/0/7 (VLAN 20), gateway ntu-gw');
    expect(nocNtu.headers['message-id']).toBe(`<${nocNtu.headers['x-nocflow-alert-id']}@twaren.example>`);
  });

  it('quiet windows: after endAfterWindows, one "ended" notice per episode, to the same people', async () => {
    const before = smtp.mails.length;
    await r.land(quiet, '202611221410');
    await r.land(quiet, '202611221415');
    expect(new AlertOutbox(r.db).list().filter((a) => a.kind === 'ended')).toEqual([]);
    await r.land(quiet, '202611221420');
    const ended = new AlertOutbox(r.db).list().filter((a) => a.kind === 'ended');
    expect(ended).toHaveLength(5);
    expect(ended.every((a) => a.doc.summary!.windows === 2 && a.doc.summary!.durationMinutes === 10)).toBe(true);
    await waitFor(() => new AlertOutbox(r.db).counters().pending === 0, 20_000, 'ended notices delivered');
    const fresh = smtp.mails.slice(before);
    expect(fresh).toHaveLength(5 + 3);
    const ntuEnd = fresh.find((m) => m.to[0] === 'netadm@ntu.example')!;
    expect(ntuEnd.headers.subject).toBe(`[nocflow] 已結束：疑似大範圍掃瞄或入侵 ${NTU_HOST} (NTU)`);
    expect(ntuEnd.body).toContain('※期間：2026-11-22 14:00 UTC 至 2026-11-22 14:10 UTC，共0日0時10分，其中100.0%時間（2個時段）超過告警標準');
    expect(new AlertOutbox(r.db).episodes()).toEqual([]);
  }, 90_000);

  it('the counters, the list and every log line are free of the password and the webhook token', () => {
    const st = r.area.status!() as AlertsStatus;
    expect(st).toMatchObject({ alerts: 10, pending: 0, sent: 10 * 3 + 3 * 2, rejected: 0, expired: 0, openEpisodes: 0 });
    expect(st.sinceStart.sent).toBe(36);
    expect(st.sinceStart.failedAttempts).toBeGreaterThanOrEqual(6);
    expect(st.channels).toEqual({ email: `127.0.0.1:${ports.smtp}`, syslog: `tcp 127.0.0.1:${ports.syslog}`, webhook: `http://127.0.0.1:${ports.http}/… (json)` });
    expect(st.lastError).toMatch(/connection refused/);
    const everything = JSON.stringify([st, new AlertOutbox(r.db).list(), r.logs]);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(TOKEN);
    expect(r.logs.length).toBeGreaterThan(3);
  });
});

describe('alerts area: more than maxPerHour to one recipient becomes a digest', () => {
  it('5 alerts, maxPerHour 3: two single mails and one digest of three; then the hour\'s budget is spent', async () => {
    const smtp = await startSmtp({ tls: cert, auth: { user: 'noc', password: PASSWORD } });
    const r = await rig({ email: { maxPerHour: 3 }, syslog: { host: '' }, webhook: { url: '' } }, { smtp: smtp.port, syslog: 1, http: 1 });
    try {
      await r.land(mixed, '202611221400');
      await r.land(mixed, '202611221405');
      const res = await r.area.drain(10_000);
      expect(res).toEqual({ sent: 5 + 3, pending: 0 });
      const noc = smtp.mails.filter((m) => m.to[0] === 'noc@twaren.example');
      expect(noc).toHaveLength(3);
      const digest = noc.find((m) => m.headers['x-nocflow-kind'] === 'digest')!;
      expect(digest.headers.subject).toBe('[nocflow] digest: 3 alerts');
      expect(digest.headers['x-nocflow-alert-id'].split(' ')).toHaveLength(3);
      const all = noc.flatMap((m) => m.headers['x-nocflow-alert-id'].split(' ')).sort();
      expect(all).toEqual(new AlertOutbox(r.db).list().map((a) => a.id).sort());
      // Units got one mail each (within their budget), not a digest.
      expect(smtp.mails.filter((m) => m.to[0] !== 'noc@twaren.example').map((m) => m.headers['x-nocflow-kind'])).toEqual(['alert', 'alert', 'alert']);
      expect((r.area.status!() as AlertsStatus).sinceStart.digests).toBe(1);
      // An alert raised by another area (IoC) about a TKU host: the NOC's budget for this hour is spent, so its
      // copy waits an hour; TKU's contact has budget left and gets it now. Raising it again changes nothing.
      const input = {
        source: 'ioc', key: 'relay-check-in|203.0.113.77|2026-11-22', ip: '203.0.113.77', type: 'relay-check-in',
        title: { en: 'Inside host checks in to a relay', 'zh-TW': '內部主機連線至中繼站' }, text: { en: 'checks in to 198.51.100.1:443 every 60 s', 'zh-TW': '每60秒連線198.51.100.1:443' },
      };
      const raised = r.area.raise(input);
      expect(raised).toEqual({ id: expect.stringMatching(/^[0-9a-f]{16}-x$/), inserted: true });
      expect(r.area.raise(input)).toEqual({ id: raised.id, inserted: false });
      await r.area.drain(2_000);
      const view = new AlertOutbox(r.db).get(raised.id)!;
      expect(view).toMatchObject({ kind: 'raised', source: 'ioc', unit: 'TKU', type: 'relay-check-in' });
      const nocCopy = view.deliveries.find((d) => d.audience === 'noc')!;
      expect(nocCopy.state).toBe('pending');
      expect(nocCopy.nextAt).toBeGreaterThan(Date.now() + 59 * 60_000);
      expect(view.deliveries.find((d) => d.audience === 'TKU')!.state).toBe('sent');
      const tkuMail = smtp.mails.filter((m) => m.headers['x-nocflow-alert-id'] === raised.id);
      expect(tkuMail.map((m) => [m.to[0], m.headers.subject])).toEqual([['noc@tku.example', '[nocflow] Inside host checks in to a relay 203.0.113.77 (TKU)']]);
      expect(tkuMail[0].body.split('\n')[0]).toBe('checks in to 198.51.100.1:443 every 60 s');
      expect(() => r.area.raise({ ...input, ip: '203.0.113.777' })).toThrow(/not an IP address/);
      expect(() => r.area.raise({ ...input, type: 'Bad Type' })).toThrow(/bad type/);
    } finally {
      await r.stop();
      await smtp.close();
    }
  }, 120_000);
});
