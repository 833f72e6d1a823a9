import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIocConfig, iocDefaults, type IocConfig } from '../../src/config/sections/ioc.js';
import { configDefaults } from '../../src/config/schema.js';
import { checkEngine } from '../../src/daemon/main.js';
import { checkConfig } from '../../src/config/check.js';
import { fetchDayLists } from '../../src/ioc/daily-lists.js';
import { fetchHttps, IocFetchError } from '../../src/ioc/fetch.js';
import { IocStore } from '../../src/ioc/store.js';
import { openDb } from '../../src/store/db.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-ioc-tls-'));
const file = (n: string) => path.join(dir, n);
const LIST = '# nics\n192.0.2.1\n192.0.2.2\n2001:db8::9\n';

/** A CA and a server certificate for 127.0.0.1 made with the openssl CLI (argument arrays). */
async function makeCa(name: string): Promise<void> {
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}-ca.key`), '-out', file(`${name}-ca.pem`), '-days', '2', '-subj', `/CN=${name} test CA`]);
  await execa('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${name}-srv.key`), '-out', file(`${name}-srv.csr`), '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(file(`${name}-ext.cnf`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await execa('openssl', ['x509', '-req', '-in', file(`${name}-srv.csr`), '-CA', file(`${name}-ca.pem`), '-CAkey', file(`${name}-ca.key`), '-CAcreateserial', '-out', file(`${name}-srv.pem`), '-days', '2', '-extfile', file(`${name}-ext.cnf`)]);
}

let body = LIST;
async function serve(name: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = https.createServer({ key: fs.readFileSync(file(`${name}-srv.key`)), cert: fs.readFileSync(file(`${name}-srv.pem`)) }, (req, res) => {
    if (req.url === '/list') return res.end(body);
    if (req.url === '/slow') {
      res.write('192.0.2.7\n'); // then nothing more
      return;
    }
    if (req.url === '/big') {
      res.write('192.0.2.8\n'.repeat(1000));
      res.end('192.0.2.9\n'.repeat(1000));
      return;
    }
    if (req.url === '/big-declared') {
      res.writeHead(200, { 'content-length': 50_000 });
      return res.end('x'.repeat(50_000));
    }
    res.statusCode = 404;
    res.end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

let good: Awaited<ReturnType<typeof serve>>;
let rogue: Awaited<ReturnType<typeof serve>>;
let ca: Buffer;

beforeAll(async () => {
  await makeCa('good');
  await makeCa('rogue');
  ca = fs.readFileSync(file('good-ca.pem'));
  good = await serve('good');
  rogue = await serve('rogue');
}, 60_000);
afterAll(async () => {
  await good?.close();
  await rogue?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const limits = { timeoutMs: 1500, maxBytes: 16_384 };
const reason = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    expect(err).toBeInstanceOf(IocFetchError);
    return (err as IocFetchError).reason;
  }
};

describe('fetching a list over HTTPS (a real TLS server on loopback)', () => {
  it('fetches the list when the certificate chains to the configured CA', async () => {
    expect(await fetchHttps('nics', `${good.url}/list`, { ...limits, ca })).toBe(LIST);
  });

  it('refuses a certificate it cannot verify: without the CA, or from another CA', async () => {
    expect(await reason(fetchHttps('nics', `${good.url}/list`, limits))).toBe('certificate');
    expect(await reason(fetchHttps('nics', `${rogue.url}/list`, { ...limits, ca }))).toBe('certificate');
  });

  it('gives up after the timeout', async () => {
    const t0 = Date.now();
    expect(await reason(fetchHttps('nics', `${good.url}/slow`, { ...limits, ca }))).toBe('timeout');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(10_000);
  });

  it('refuses a list over the size limit, announced or streamed', async () => {
    expect(await reason(fetchHttps('nics', `${good.url}/big`, { ...limits, ca }))).toBe('too-large');
    expect(await reason(fetchHttps('nics', `${good.url}/big-declared`, { ...limits, ca }))).toBe('too-large');
    expect(await reason(fetchHttps('nics', `${good.url}/big`, { ...limits, maxBytes: 100_000, ca }))).toBe('resolved');
  });

  it('refuses other schemes and HTTP errors', async () => {
    expect(await reason(fetchHttps('nics', 'http://127.0.0.1:1/list', { ...limits, ca }))).toBe('config');
    expect(await reason(fetchHttps('nics', `${good.url}/nothing`, { ...limits, ca }))).toBe('http-status');
  });

  it("keeps the previous day's list, unchanged, when a fetch fails, and says why", async () => {
    const store = new IocStore(openDb(':memory:'));
    const cfg: IocConfig = { ...iocDefaults, caFile: file('good-ca.pem'), timeoutMs: 1500, maxBytes: 16_384, sources: [{ name: 'nics', url: `${good.url}/list` }] };
    const ok = await fetchDayLists(cfg, store, '2026-11-20', () => 1);
    expect(ok).toEqual([expect.objectContaining({ source: 'nics', status: 'ok', entries: 3 })]);
    const before = store.entries('2026-11-20');
    for (const [day, bad] of [['2026-11-21', `${good.url}/slow`], ['2026-11-22', `${rogue.url}/list`], ['2026-11-23', `${good.url}/big`]] as const) {
      const r = await fetchDayLists({ ...cfg, sources: [{ name: 'nics', url: bad }] }, store, day, () => 2);
      expect(r[0]).toMatchObject({ status: 'kept', fromDay: '2026-11-20', entries: 3 });
      expect(r[0].error).toMatch(/^list nics: /);
      expect(store.entries(day)).toEqual(before);
    }
    expect(store.entries('2026-11-20')).toEqual(before);
    // A list fetched again for a day is replaced; a change is counted against the day before.
    body = '192.0.2.1\n192.0.2.50\n';
    const changed = await fetchDayLists(cfg, store, '2026-11-24', () => 3);
    expect(changed[0]).toMatchObject({ status: 'ok', entries: 2, appeared: 1, left: 2 });
    body = LIST;
  }, 30_000);

  it('a source that never succeeded is recorded failed, with nothing to keep', async () => {
    const store = new IocStore(openDb(':memory:'));
    const r = await fetchDayLists({ ...iocDefaults, timeoutMs: 1500, sources: [{ name: 'x', url: `${rogue.url}/list` }] }, store, '2026-11-20', () => 1);
    expect(r[0]).toMatchObject({ status: 'failed', entries: 0 });
    expect(store.listFetched('2026-11-20', ['x'])).toBe(true);
  });
});

describe('checkIocConfig', () => {
  it('names each problem with its path', () => {
    const p = checkIocConfig({
      ...iocDefaults,
      fetchAt: '24:00',
      thresholds: { massFlows: 5000, nope: 1, minRemotes: -1 },
      sources: [{ name: 'a', url: 'http://x/list' }, { name: 'a', file: '/tmp/x' }, { name: 'b' }, { name: 'c', url: 'https://x', file: '/y' }],
    });
    expect(p).toEqual([
      'ioc.sources[0].url: only https:// is fetched (got http:)',
      'ioc.sources[1].name: "a" is used twice',
      'ioc.sources[2]: give exactly one of url or file',
      'ioc.sources[3]: give exactly one of url or file',
      'ioc.fetchAt: not HH:MM: 24:00',
      expect.stringMatching(/^ioc\.thresholds\.nope: unknown threshold/),
      'ioc.thresholds.minRemotes: not a non-negative number',
    ]);
    expect(checkIocConfig({ ...iocDefaults, sources: [{ name: 'nics', url: 'https://ioc.example/list' }] })).toEqual([]);
  });

  it('engine --check names the ioc area and its problems', () => {
    const base = { ...configDefaults, engine: { ...configDefaults.engine, nfcapdDir: '/var/cache/nfdump' } };
    expect(checkEngine(base).areas).not.toContain('ioc');
    const cfg = { ...base, ioc: { ...iocDefaults, flowStore: 'elasticsearch' as const, sources: [{ name: 'nics', url: 'http://x/list' }] } };
    const c = checkEngine(cfg);
    expect(c.areas).toContain('ioc');
    // The section's own problem from the configuration's registry, the engine's from checkEngine: each once.
    expect([...checkConfig(cfg), ...c.problems]).toEqual(['ioc.sources[0].url: only https:// is fetched (got http:)', 'ioc.flowStore: elasticsearch needs elasticsearch.node']);
  });
});
