import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import { createEsWriter } from '../../src/es/writer.js';
import { Spool } from '../../src/es/spool.js';
import { docId } from '../../src/es/index-discipline.js';
import { elasticsearchDefaults } from '../../src/config/sections/elasticsearch.js';
import { closedPort, startFakeEs, type FakeEs } from './es-server.js';

const T = Date.UTC(2026, 10, 22, 14, 5);
const docs = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: docId('audit', from + i), ts: T, body: { n: from + i } }));

let server: FakeEs | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('connection refused (real sockets on loopback)', () => {
  it('spools while nothing listens, replays in order once ES is up, and a restarted writer replays what an earlier one spooled', async () => {
    const port = await closedPort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-es-refused-'));
    dirs.push(dir);
    const client = new Client({ node: `http://127.0.0.1:${port}`, maxRetries: 0, requestTimeout: 5000 });
    const log: string[] = [];
    const w1 = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir, retryIntervalMs: 0, log: (l) => log.push(l) });
    await w1.writeDocs('audit', docs(0, 5));
    await w1.writeDocs('audit', docs(5, 5));
    expect(w1.stats()).toMatchObject({ indexed: 0, spooled: 10 });
    expect(new Spool(dir).count()).toBe(10);
    expect(log[0]).toMatch(/unavailable.*spooling/);
    expect(log).toHaveLength(1); // one line per state change, not per write
    await client.close();

    // ES comes up on that port; a new process (new writer, same spool dir) replays first
    server = await startFakeEs(port);
    const client2 = new Client({ node: server.url, maxRetries: 0 });
    const w2 = createEsWriter(elasticsearchDefaults, { client: client2, spoolDir: dir, retryIntervalMs: 0 });
    await w2.writeDocs('audit', docs(10, 2));
    expect(server.received.map((r) => r.id)).toEqual(docs(0, 12).map((d) => d.id));
    expect(server.docs.get('nocflow-audit-2026.11.22')?.size).toBe(12);
    expect(new Spool(dir).isEmpty()).toBe(true);
    expect(w2.stats()).toMatchObject({ indexed: 12, replayed: 10 });
    // the template went in before the replayed documents
    const firstBulk = server.requests.findIndex((r) => r.path === '/_bulk');
    expect(server.requests.findIndex((r) => r.path === '/_index_template/nocflow-audit')).toBeLessThan(firstBulk);
    await client2.close();
  });

  it('an idle writer replays on its timer once ES is back: nothing new needs to be written', async () => {
    const port = await closedPort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-es-timer-'));
    dirs.push(dir);
    const client = new Client({ node: `http://127.0.0.1:${port}`, maxRetries: 0, requestTimeout: 5000 });
    const log: string[] = [];
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir, retryIntervalMs: 200, log: (l) => log.push(l) });
    w.start();
    try {
      await w.writeDocs('audit', docs(0, 3));
      expect(w.state()).toMatchObject({ down: true, spooled: 3, spool: { segments: 1 } });
      server = await startFakeEs(port);
      for (let i = 0; i < 100 && !new Spool(dir).isEmpty(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(server.received.map((r) => r.id)).toEqual(docs(0, 3).map((d) => d.id));
      expect(w.state()).toMatchObject({ down: false, replayed: 3, spool: { segments: 0 } });
      expect(log.at(-1)).toBe('elasticsearch is back, spool replayed');
    } finally {
      w.stop();
      await client.close();
    }
  });

  it('replaying a spool twice (crash before the segment was removed) duplicates nothing', async () => {
    server = await startFakeEs();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-es-twice-'));
    dirs.push(dir);
    const spool = new Spool(dir);
    const items = docs(0, 4).map((d) => ({ kind: 'audit' as const, index: 'nocflow-audit-2026.11.22', id: d.id, body: d.body }));
    spool.append(items);
    const copy = fs.readFileSync(spool.segments()[0]);
    const client = new Client({ node: server.url, maxRetries: 0 });
    const w = createEsWriter(elasticsearchDefaults, { client, spoolDir: dir });
    expect(await w.replaySpool()).toBe(4);
    fs.writeFileSync(path.join(dir, 'segment-000000000001.ndjson'), copy); // as if the removal never happened
    expect(await w.replaySpool()).toBe(4);
    expect(server.received).toHaveLength(8);
    expect(server.docs.get('nocflow-audit-2026.11.22')?.size).toBe(4);
    await client.close();
  });
});
