import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import { createEsSink, createEsWriter, kindOfIndex } from '../../src/es/writer.js';
import { Spool } from '../../src/es/spool.js';
import { docId } from '../../src/es/index-discipline.js';
import { elasticsearchDefaults } from '../../src/config/sections/elasticsearch.js';
import type { EsDoc } from '../../src/es/types.js';
import type { WindowResult } from '../../src/engine/types.js';

// The mock recognises the CJS build's error class (the ESM build's is a different object).
const { errors } = createRequire(import.meta.url)('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');
const GB = 1024 ** 3;
const T = Date.UTC(2026, 10, 22, 14, 5);

type Mode = 'ok' | 429 | 503 | 'item-503' | 'item-400';

function cluster() {
  const mock = new Mock();
  const s = {
    mode: 'ok' as Mode,
    bulks: [] as { index: string; id: string; body: unknown }[][],
    stored: new Map<string, unknown>(),
    templates: [] as { name: string; body: unknown }[],
    calls: [] as string[],
    item503Left: 0,
    bulkQuery: [] as unknown[],
  };
  mock.add({ method: 'GET', path: '/_nodes/:metric' }, (p) => {
    s.calls.push(`GET ${p.path}`);
    return { nodes: { a: { roles: ['master', 'data'] }, b: { roles: ['data_hot', 'ingest'] }, c: { roles: ['data_content'] }, d: { roles: ['master'] }, e: { roles: ['data'] }, f: { roles: ['data_warm'] } } };
  });
  mock.add({ method: 'GET', path: '/_cat/indices/:index' }, (p) => {
    s.calls.push(`GET ${p.path}`);
    return [{ index: 'nocflow-anomaly-2026.11.20', 'pri.store.size': String(12 * GB) }, { index: 'nocflow-anomaly-2026.11.21', 'pri.store.size': String(25 * GB) }];
  });
  mock.add({ method: 'PUT', path: '/_index_template/:name' }, (p) => {
    s.calls.push(`PUT ${p.path}`);
    s.templates.push({ name: decodeURIComponent(p.path.split('/')[2]), body: p.body });
    return { acknowledged: true };
  });
  mock.add({ method: 'POST', path: '/_bulk' }, (p) => {
    s.calls.push('POST /_bulk');
    s.bulkQuery.push(p.querystring);
    if (s.mode === 429 || s.mode === 503) return new errors.ResponseError({ body: { error: { type: 'es_rejected_execution_exception' } }, statusCode: s.mode, headers: {}, warnings: null, meta: {} as never });
    const lines = p.body as Record<string, { _index: string; _id: string }>[];
    const batch: { index: string; id: string; body: unknown }[] = [];
    const items: unknown[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const a = lines[i].index;
      let status = 201;
      if (s.mode === 'item-503' && i / 2 % 2 === 1) status = 503;
      if (s.mode === 'item-400' && i === 0) status = 400;
      if (status === 201) {
        batch.push({ index: a._index, id: a._id, body: lines[i + 1] });
        s.stored.set(`${a._index}/${a._id}`, lines[i + 1]);
      }
      items.push({ index: { _index: a._index, _id: a._id, status, ...(status >= 300 ? { error: { type: status === 400 ? 'mapper_parsing_exception' : 'unavailable' } } : {}) } });
    }
    s.bulks.push(batch);
    return { took: 1, errors: items.some((x) => (x as { index: { status: number } }).index.status >= 300), items };
  });
  const client = new Client({ node: 'http://127.0.0.1:9', Connection: mock.getConnection(), maxRetries: 0 });
  return { s, client, mock };
}

function docs(n: number, from = 0, ts = T): EsDoc[] {
  return Array.from({ length: n }, (_, i) => ({ id: docId('arp', from + i), ts, body: { '@timestamp': ts, ip: `192.0.2.${(from + i) % 250}`, n: from + i, pad: 'x'.repeat(100) } }));
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-es-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('createEsWriter', () => {
  it('puts the template first (shards from _cat/indices and _nodes), then bulk into the daily index', async () => {
    const { s, client } = cluster();
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir });
    await w.writeDocs('anomaly', [{ id: 'a1', ts: T, body: { ip: '192.0.2.1' } }, { id: 'a2', ts: Date.UTC(2026, 10, 23, 0, 0, 1), body: { ip: '192.0.2.2' } }]);
    expect(s.calls).toEqual(['GET /_cat/indices/nocflow-anomaly-*', 'GET /_nodes/settings', 'PUT /_index_template/nocflow-anomaly', 'POST /_bulk']);
    // 25 GB on the largest day → 3 primaries (5 data nodes allow it)
    expect(s.templates[0].body).toMatchObject({ index_patterns: ['nocflow-anomaly-*'], template: { settings: { number_of_shards: 3, number_of_replicas: 1 } } });
    expect((s.templates[0].body as { template: { mappings: { properties: { ip: unknown } } } }).template.mappings.properties.ip).toEqual({ type: 'ip' });
    expect(s.bulks[0].map((d) => `${d.index}/${d.id}`)).toEqual(['nocflow-anomaly-2026.11.22/a1', 'nocflow-anomaly-2026.11.23/a2']);
    expect(s.bulkQuery[0]).toEqual({ filter_path: 'errors,items.*.status,items.*.error.type' });
    // the template is put once per kind
    await w.writeDocs('anomaly', [{ id: 'a3', ts: T, body: {} }]);
    expect(s.calls.filter((c) => c.startsWith('PUT')).length).toBe(1);
    expect(w.stats()).toMatchObject({ indexed: 3, bulkRequests: 2, spooled: 0 });
  });

  it('splits into bulk requests of at most bulkBytes, every document once', async () => {
    const { s, client } = cluster();
    const w = createEsWriter({ ...elasticsearchDefaults, bulkBytes: 20_000 }, { client, spoolDir: dir });
    await w.writeDocs('arp', docs(1000));
    expect(s.bulks.length).toBeGreaterThan(5);
    const sizes = s.bulks.map((b) => b.reduce((n, d) => n + Buffer.byteLength(JSON.stringify({ index: { _index: d.index, _id: d.id } }) + '\n' + JSON.stringify(d.body) + '\n'), 0));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(20_000);
    expect(s.stored.size).toBe(1000);
    expect(w.stats()).toMatchObject({ indexed: 1000, bulkRequests: s.bulks.length });
  });

  it.each([429, 503] as const)('HTTP %d: documents go to the spool, then replay in order before new ones, none duplicated', async (code) => {
    const { s, client } = cluster();
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir, retryIntervalMs: 0 });
    await w.writeDocs('arp', docs(3, 0));
    s.mode = code;
    await w.writeDocs('arp', docs(4, 100));
    await w.writeDocs('arp', docs(2, 200));
    const spool = new Spool(dir);
    expect(spool.count()).toBe(6);
    expect(spool.segments()).toHaveLength(2);
    expect(w.stats()).toMatchObject({ indexed: 3, spooled: 6 });
    s.mode = 'ok';
    await w.writeDocs('arp', docs(1, 300));
    const sent = s.bulks.flat().map((d) => (d.body as { n: number }).n);
    expect(sent).toEqual([0, 1, 2, 100, 101, 102, 103, 200, 201, 300]);
    expect(new Set(s.bulks.flat().map((d) => d.id)).size).toBe(sent.length);
    expect(spool.isEmpty()).toBe(true);
    expect(w.stats()).toMatchObject({ indexed: 10, spooled: 6, replayed: 6 });
  });

  it('concurrent writers after an outage: one replay, every document once, in hand-over order', async () => {
    const { s, client } = cluster();
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir, retryIntervalMs: 0 });
    s.mode = 503;
    await w.writeDocs('arp', docs(3, 0));
    s.mode = 'ok';
    await Promise.all([w.writeDocs('arp', docs(2, 10)), w.writeDocs('mac', docs(2, 20)), w.replaySpool(), w.writeDocs('arp', docs(2, 30))]);
    expect(s.bulks.flat().map((d) => (d.body as { n: number }).n)).toEqual([0, 1, 2, 10, 11, 20, 21, 30, 31]);
    expect(new Spool(dir).isEmpty()).toBe(true);
  });

  it('per-item 503: only those items are spooled, and replay sends exactly them', async () => {
    const { s, client } = cluster();
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir, retryIntervalMs: 0 });
    s.mode = 'item-503';
    await w.writeDocs('arp', docs(6));
    expect(new Spool(dir).readSegment(new Spool(dir).segments()[0]).map((i) => (i.body as { n: number }).n)).toEqual([1, 3, 5]);
    s.mode = 'ok';
    expect(await w.replaySpool()).toBe(3);
    expect(s.stored.size).toBe(6);
    expect(s.bulks.flat().length).toBe(6);
    expect(new Spool(dir).isEmpty()).toBe(true);
  });

  it('a permanent per-item refusal (400) is counted and not spooled', async () => {
    const { s, client } = cluster();
    const lines: string[] = [];
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir, log: (l) => lines.push(l) });
    s.mode = 'item-400';
    await w.writeDocs('arp', docs(3));
    expect(w.stats()).toMatchObject({ indexed: 2, rejected: 1, spooled: 0 });
    expect(new Spool(dir).isEmpty()).toBe(true);
    expect(lines.join('\n')).toMatch(/mapper_parsing_exception/);
  });

  it('a full spool drops its oldest documents, counts them and raises the alarm; the newest reach ES in order when it is back', async () => {
    const { s, client } = cluster();
    const lines: string[] = [];
    const one = Buffer.byteLength(`${JSON.stringify({ kind: 'arp', index: 'nocflow-arp-2026.11.22', id: docs(1)[0].id, body: docs(1)[0].body })}\n`);
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir, retryIntervalMs: 0, spoolMaxBytes: one * 10, log: (l) => lines.push(l) });
    s.mode = 503;
    for (let k = 0; k < 5; k++) await w.writeDocs('arp', docs(4, k * 10));
    const st = w.state();
    expect(st).toMatchObject({ down: true, spooled: 20, dropped: 12, spool: { dir, maxBytes: one * 10 } });
    expect(st.spool.bytes).toBeLessThanOrEqual(one * 10);
    expect(st.alarm).toMatch(/spool full .*12 oldest document\(s\) dropped/);
    expect(lines.filter((l) => l.startsWith('ALARM'))).toHaveLength(3);
    s.mode = 'ok';
    await w.writeDocs('arp', docs(1, 99));
    expect(s.bulks.flat().map((d) => (d.body as { n: number }).n)).toEqual([30, 31, 32, 33, 40, 41, 42, 43, 99]);
    expect(w.state()).toMatchObject({ down: false, indexed: 9, replayed: 8, spool: { segments: 0, bytes: 0 } });
  });

  it('while down, waits retryIntervalMs before asking ES again (documents queue in the spool)', async () => {
    const { s, client } = cluster();
    let now = 1000;
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir, now: () => now, retryIntervalMs: 5000 });
    s.mode = 503;
    await w.writeDocs('arp', docs(1, 0));
    const attempts = s.calls.filter((c) => c === 'POST /_bulk').length;
    s.mode = 'ok';
    now += 1000;
    await w.writeDocs('arp', docs(1, 1));
    expect(s.calls.filter((c) => c === 'POST /_bulk').length).toBe(attempts);
    expect(new Spool(dir).count()).toBe(2);
    now += 5000;
    await w.writeDocs('arp', docs(1, 2));
    expect(s.bulks.flat().map((d) => (d.body as { n: number }).n)).toEqual([0, 1, 2]);
  });

  it('backfills a closed day: refresh off, fill, one _refresh, previous setting restored', async () => {
    const { s, client, mock } = cluster();
    const seq: string[] = [];
    mock.add({ method: 'HEAD', path: '/:index' }, (p) => (seq.push(`HEAD ${p.path}`), ''));
    mock.add({ method: 'GET', path: '/:index/_settings/:name' }, (p) => (seq.push(`GET ${p.path}`), { 'nocflow-arp-2026.11.22': { settings: { index: { refresh_interval: '30s' } } } }));
    mock.add({ method: 'PUT', path: '/:index/_settings' }, (p) => (seq.push(`PUT ${p.path} ${JSON.stringify(p.body)}`), { acknowledged: true }));
    mock.add({ method: ['GET', 'POST'], path: '/:index/_refresh' }, (p) => (seq.push(`refresh ${p.path}`), { _shards: {} }));
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir });
    await w.backfillDay('arp', T, async () => {
      seq.push('fill');
      await w.writeDocs('arp', docs(2));
    });
    expect(seq).toEqual([
      'HEAD /nocflow-arp-2026.11.22',
      'GET /nocflow-arp-2026.11.22/_settings/index.refresh_interval',
      'PUT /nocflow-arp-2026.11.22/_settings {"index":{"refresh_interval":"-1"}}',
      'fill',
      'refresh /nocflow-arp-2026.11.22/_refresh',
      'PUT /nocflow-arp-2026.11.22/_settings {"index":{"refresh_interval":"30s"}}',
    ]);
    expect(s.stored.size).toBe(2);
  });

  it('names result indices by kind', () => {
    expect(kindOfIndex('nocflow', 'nocflow-anomaly-2026.11.22')).toBe('anomaly');
    expect(kindOfIndex('nocflow', 'other-anomaly-2026.11.22')).toBeUndefined();
    expect(kindOfIndex('noc.flow', 'nocxflow-arp-2026.11.22')).toBeUndefined();
  });
});

describe('createEsSink', () => {
  const result: WindowResult = {
    window: { timeSlot: 5_984_737, start: 5_984_737 * 300 - 150, end: 5_984_737 * 300 + 150 },
    flows: 1000, packets: 5000, bytes: 400000, distinctIps: 77,
    anomalies: [
      { ip: '192.0.2.9', role: 'attacker', type: 'scan', severity: 'super', score: 9, metrics: { flows: 900, packets: 900, bytes: 36000, distinctPeers: 880, distinctPorts: 1 }, features: { protocols: [{ value: 6, share: 1 }], dstPorts: [{ value: 22, share: 1 }], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0 }, evidence: [{ indicator: 'distinctPeers', value: 880, threshold: 100, ratio: 8.8 }] },
      { ip: '198.51.100.4', role: 'victim', type: 'dos-victim', severity: 'over', score: 2, metrics: { flows: 90, packets: 90, bytes: 3600, distinctPeers: 80, distinctPorts: 1 }, features: { protocols: [], dstPorts: [], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 0, dstPorts: 0, packets: 0, bytes: 0 }, synOnlyShare: 0, onePacket40Share: 0, serverLike: null, clientPortShare: 0, serverPortShare: 0 }, evidence: [] },
    ],
  };

  it('writes the window summary and each anomaly with its features; writing twice overwrites (same ids)', async () => {
    const { s, client } = cluster();
    const sink = createEsSink(elasticsearchDefaults, { client, spoolDir: dir });
    await sink.writeWindow(result);
    await sink.writeWindow(result);
    const day = '2026.11.23'; // slot 5984737 starts 2026-11-23 08:02:30 UTC
    expect([...s.stored.keys()].sort()).toEqual([
      `nocflow-anomaly-${day}/${docId('anomaly', result.window.timeSlot, '192.0.2.9', 'attacker', 'scan')}`,
      `nocflow-anomaly-${day}/${docId('anomaly', result.window.timeSlot, '198.51.100.4', 'victim', 'dos-victim')}`,
      `nocflow-window-${day}/${docId('window', result.window.timeSlot)}`,
    ].sort());
    const a = s.stored.get(`nocflow-anomaly-${day}/${docId('anomaly', result.window.timeSlot, '192.0.2.9', 'attacker', 'scan')}`) as Record<string, unknown>;
    expect(a).toMatchObject({ '@timestamp': result.window.start * 1000, timeSlot: result.window.timeSlot, ip: '192.0.2.9', type: 'scan', features: { dstPorts: [{ value: 22, share: 1 }] }, evidence: [{ indicator: 'distinctPeers', ratio: 8.8 }] });
    expect(s.stored.get(`nocflow-window-${day}/${docId('window', result.window.timeSlot)}`)).toMatchObject({ flows: 1000, anomalies: 2, distinctIps: 77 });
  });

  it('never throws when ES is unavailable: the window waits in the spool', async () => {
    const { s, client } = cluster();
    s.mode = 503;
    const sink = createEsSink(elasticsearchDefaults, { client, spoolDir: dir, retryIntervalMs: 0 });
    await expect(sink.writeWindow(result)).resolves.toBeUndefined();
    expect(new Spool(dir).count()).toBe(3);
    s.mode = 'ok';
    await sink.close!();
    expect(s.stored.size).toBe(3);
  });
});
