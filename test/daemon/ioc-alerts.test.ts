/**
 * The engine's glue between IoC and alerts (src/daemon/main.ts): an inside host the IoC job newly classes as checking
 * in with C&C relays becomes one alert, routed to the NOC and to the host's unit, raised once per host and day.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAlertsArea } from '../../src/alerts/area.js';
import { AlertOutbox } from '../../src/alerts/outbox.js';
import { configDefaults, type NocflowConfig } from '../../src/config/schema.js';
import { infectedAlert } from '../../src/daemon/main.js';
import type { InfectedHost } from '../../src/ioc/job.js';
import { openDb } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';

const host: InfectedHost = {
  ip: '203.0.113.77', unit: 'TKU', score: 42, categories: ['relay-check-in'], iocs: ['198.51.100.1'], daysSeen: 3, firstDay: '2026-11-20', lastDay: '2026-11-22',
  relays: [{ ioc: '198.51.100.1', port: 443, flows: 288, days: 3 }],
};

describe('IoC → alerts', () => {
  it('an infected host is one alert for the NOC and its unit; the same host and day again changes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-ioc-alerts-'));
    const cfg = {
      ...configDefaults,
      engine: { ...configDefaults.engine, nfcapdDir: dir, units: [{ prefix: '203.0.113.0/24', name: 'TKU', contacts: ['noc@tku.example'] }] },
      alerts: { ...configDefaults.alerts, webhook: { ...configDefaults.alerts.webhook, url: 'http://127.0.0.1:9/hook' } },
    } as NocflowConfig;
    const db = openDb(path.join(dir, 'n.db'));
    const area = createAlertsArea(cfg, { log: () => undefined, hostname: 't' });
    await area.start!({ store: new EngineStore(db), db, publish: () => undefined, onEngineEvent: () => () => undefined, log: () => undefined, now: Date.now });
    try {
      const input = infectedAlert(host);
      expect(input).toMatchObject({ source: 'ioc', type: 'relay-check-in', ip: '203.0.113.77', key: 'infected:203.0.113.77:2026-11-22' });
      expect(input.text.en).toBe('203.0.113.77 (TKU) checked in with 1 IoC relay(s) on 3 day(s) (2026-11-20 to 2026-11-22): 198.51.100.1:443. Score 42; relay-check-in.');
      const first = area.raise(input);
      expect(first.inserted).toBe(true);
      expect(area.raise(infectedAlert({ ...host, score: 50 })).inserted).toBe(false);
      // The next day is a new alert.
      expect(area.raise(infectedAlert({ ...host, lastDay: '2026-11-23' })).inserted).toBe(true);
      const view = new AlertOutbox(db).get(first.id)!;
      expect(view).toMatchObject({ kind: 'raised', source: 'ioc', unit: 'TKU', type: 'relay-check-in', ip: '203.0.113.77' });
      expect(new AlertOutbox(db).list().filter((a) => a.source === 'ioc')).toHaveLength(2);
    } finally {
      await area.stop!();
      db.close();
    }
  });
});
