import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elasticsearchDefaults } from '../../src/config/sections/elasticsearch.js';
import { createEsWriter } from '../../src/es/writer.js';
import { resolveThresholds } from '../../src/ioc/classify.js';
import { dayRange } from '../../src/ioc/days.js';
import { createIocEsSink } from '../../src/ioc/es-sink.js';
import { runIocDay } from '../../src/ioc/job.js';
import { parseIocList } from '../../src/ioc/list.js';
import { esStage1 } from '../../src/ioc/stage1.js';
import { IocStore } from '../../src/ioc/store.js';
import { openDb } from '../../src/store/db.js';
import { startFakeEs, type FakeEs } from '../es/es-server.js';

const DAY = '2026-11-22';
const range = dayRange(DAY);
const f = elasticsearchDefaults.fieldMap;

/** A flow index stand-in answering `_search` from a table, slowly, counting requests in flight. */
async function flowCluster(answers: Record<string, { total: number; hits: Record<string, unknown>[] }>) {
  const s = { bodies: [] as { path: string; body: Record<string, unknown> }[], inFlight: 0, maxInFlight: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      s.inFlight++;
      s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { query: { bool: { should: { term: Record<string, string> }[] } } };
      s.bodies.push({ path: new URL(req.url ?? '/', 'http://x').pathname, body: body as unknown as Record<string, unknown> });
      const ip = Object.values(body.query.bool.should[0].term)[0];
      const a = answers[ip] ?? { total: 0, hits: [] };
      setTimeout(() => {
        s.inFlight--;
        const text = JSON.stringify({ took: 1, timed_out: false, hits: { total: { value: a.total, relation: 'eq' }, hits: a.hits.map((h, i) => ({ _index: 'x', _id: String(i), _source: h })) } });
        res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(text);
      }, 25);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { s, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const hit = (src: string, dst: string, sport: number, dport: number, i: number) => ({
  [f.src]: src, [f.dst]: dst, [f.sport]: sport, [f.dport]: dport, [f.proto]: 6, [f.flags]: 24, [f.packets]: 3, [f.bytes]: 180, [f.inIf]: 1, [f.exporter]: '192.192.68.33', [f.start]: range.from + 3_600_000 * (i + 1),
});

const RELAY = '185.220.101.7';
const LOUD = '89.248.165.2';
const QUIET = '203.0.113.250';
let flows: Awaited<ReturnType<typeof flowCluster>>;
let results: FakeEs;
let spool: string;

beforeAll(async () => {
  flows = await flowCluster({
    [RELAY]: { total: 6, hits: [0, 1, 2].flatMap((i) => [hit('10.20.5.1', RELAY, 40000 + i, 443, i), hit(RELAY, '10.20.5.1', 443, 40000 + i, i)]) },
    [LOUD]: { total: 123_456, hits: [hit(LOUD, '198.51.100.1', 40000, 23, 0), hit(LOUD, '198.51.100.2', 40001, 23, 1)] },
  });
  results = await startFakeEs();
  spool = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-ioc-spool-'));
});
afterAll(async () => {
  await flows?.close();
  await results?.close();
  fs.rmSync(spool, { recursive: true, force: true });
});

describe('the IoC job with Elasticsearch as the flow store', () => {
  it("stage 1 sends the seeds' per-IoC query, one IoC at a time, in list order, never two at once; totals are ES's", async () => {
    const store = new IocStore(openDb(':memory:'));
    const esClient = new Client({ node: flows.url, maxRetries: 0 });
    const writer = createEsWriter(elasticsearchDefaults, { client: new Client({ node: results.url, maxRetries: 0 }), spoolDir: spool });
    const list = parseIocList(`${RELAY}\n${LOUD}\n${QUIET}\n`);
    const r = await runIocDay(DAY, list, {
      store, reader: esStage1({ ...elasticsearchDefaults, flowIndex: 'twaren-{YYYY.MM.DD}' }, esClient), es: createIocEsSink(writer), thresholds: resolveThresholds(),
      sampleSize: 10_000, lookbackDays: 30, keepMassSamples: false, retentionDays: 0, now: () => range.to + 600_000,
    });
    expect(flows.s.maxInFlight).toBe(1);
    expect(flows.s.bodies.map((b) => (b.body.query as { bool: { should: { term: Record<string, string> }[] } }).bool.should[0].term[f.src])).toEqual([RELAY, LOUD, QUIET]);
    const utcDays = new Set([range.from, range.to - 1].map((ms) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '.')));
    for (const b of flows.s.bodies) {
      expect(decodeURIComponent(b.path)).toBe(`/${[...utcDays].map((d) => `twaren-${d}`).join(',')}/_search`);
      const ip = (b.body.query as { bool: { should: { term: Record<string, string> }[] } }).bool.should[0].term[f.src];
      expect(b.body).toMatchObject({
        size: 10000,
        track_total_hits: true,
        query: { bool: { should: [{ term: { [f.src]: ip } }, { term: { [f.dst]: ip } }], minimum_should_match: 1, filter: [{ range: { [f.start]: { gte: range.from, lt: range.to, format: 'epoch_millis' } } }] } },
      });
    }
    expect(r.reader).toBe('elasticsearch');
    expect(Object.fromEntries(r.iocs.map((i) => [i.ip, [i.totalFlows, i.sampled, i.class]]))).toEqual({ [RELAY]: [6, 6, 'analysed'], [LOUD]: [123_456, 2, 'mass'], [QUIET]: [0, 0, 'no-flows'] });
    expect(r.remotes.map((x) => [x.ip, x.categories])).toEqual([['10.20.5.1', ['mechanical', 'relay-check-in']]]);

    // Stage 2: the day's index with refresh off during the load, one _refresh after, then the setting restored.
    const index = 'nocflow-iocflow-2026.11.22';
    const calls = results.requests.map((q) => `${q.method} ${decodeURIComponent(q.path)}`);
    const off = calls.findIndex((c, i) => c === `PUT /${index}/_settings` && results.requests[i].body.includes('"-1"'));
    const bulks = calls.flatMap((c, i) => (c === 'POST /_bulk' ? [i] : []));
    const refreshes = calls.flatMap((c, i) => (c.endsWith(` /${index}/_refresh`) ? [i] : []));
    expect(off).toBeGreaterThanOrEqual(0);
    expect(bulks.length).toBeGreaterThan(0);
    expect(refreshes).toHaveLength(1);
    expect(off).toBeLessThan(bulks[0]);
    expect(refreshes[0]).toBeGreaterThan(bulks.at(-1)!);
    expect(calls.slice(refreshes[0] + 1)).toContain(`PUT /${index}/_settings`);
    // Every sampled record (the mass IoC's too) went to ES with the seeds' field names; SQLite keeps the analysed ones.
    const docs = [...(results.docs.get(index)?.values() ?? [])] as Record<string, unknown>[];
    expect(docs).toHaveLength(8);
    expect(r.es).toEqual({ documents: 8 });
    const sent = docs.find((d) => d.IocIP === RELAY && d.Direction === 'Send')!;
    expect(sent).toMatchObject({ RemoteIP: '10.20.5.1', IocPort: 443, Exporter: '192.192.68.33', Packets: 3, Octets: 180, Protocol: 6, IpVersion: 4, Date: DAY, IocClass: 'analysed' });
    expect(docs.filter((d) => d.IocIP === RELAY && d.Direction === 'Rcv')).toHaveLength(3);
    expect(store.dayRecords(DAY).map((x) => x.ioc)).toEqual(Array(6).fill(RELAY));

    // Re-running the day overwrites the same documents (deterministic ids), never duplicates them.
    const before = results.received.length;
    await runIocDay(DAY, list, {
      store, reader: esStage1({ ...elasticsearchDefaults, flowIndex: 'twaren-{YYYY.MM.DD}' }, esClient), es: createIocEsSink(writer), thresholds: resolveThresholds(),
      sampleSize: 10_000, lookbackDays: 30, keepMassSamples: false, retentionDays: 0, now: () => range.to + 700_000,
    });
    expect(results.received.length - before).toBe(8);
    expect(results.docs.get(index)?.size).toBe(8);
    await esClient.close();
  });
});
