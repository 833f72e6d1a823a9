/**
 * Opt-in suite against a real Elasticsearch: runs only when NOCFLOW_TEST_ES_URL is set (e.g.
 * NOCFLOW_TEST_ES_URL=http://127.0.0.1:9200 npx vitest run test/es/live.test.ts); otherwise every test is reported
 * as skipped. It creates indices and templates under a random prefix and deletes them afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { Client } from '@elastic/elasticsearch';
import { elasticsearchDefaults } from '../../src/config/sections/elasticsearch.js';
import { createEsWriter, createEsSink } from '../../src/es/writer.js';
import { createEsFlowBackend } from '../../src/es/flow-backend.js';
import { createShipper } from '../../src/es/shipper.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import type { WindowResult } from '../../src/engine/types.js';
import { signatureFilter } from '../../src/engine/hunt.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import { nfdumpFilterText } from '../../src/ingest/nfdump/filter-text.js';

const URL = process.env.NOCFLOW_TEST_ES_URL;

describe.skipIf(!URL)('live Elasticsearch (NOCFLOW_TEST_ES_URL)', () => {
  /** A generated SSH brute-force window (real nfcapd): one attacker reaching many hosts on port 22. */
  let SSH: string;
  beforeAll(async () => {
    SSH = (await makeScenarioFile('ssh-attacker', { scale: 0.02 })).file;
  }, 120_000);
  const prefix = `nocflow-test-${randomBytes(4).toString('hex')}`;
  const cfg = { ...elasticsearchDefaults, node: URL ?? '', indexPrefix: prefix, flowIndex: `${prefix}-netflow-{YYYY.MM.DD}` };
  const client = new Client({ node: URL ?? 'http://127.0.0.1:9200', maxRetries: 0 });
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-es-live-'));

  afterAll(async () => {
    // by name: clusters refuse wildcard deletes (action.destructive_requires_name defaults to true)
    const rows = (await client.cat.indices({ index: `${prefix}-*`, format: 'json', h: 'index' }).catch(() => [])) as unknown as { index: string }[];
    for (const r of rows) await client.indices.delete({ index: r.index }).catch(() => undefined);
    for (const kind of ['window', 'anomaly', 'flow']) await client.indices.deleteIndexTemplate({ name: `${prefix}-${kind}` }).catch(() => undefined);
    await client.close();
    fs.rmSync(spoolDir, { recursive: true, force: true });
  });

  it('writes a window and its anomaly into daily indices with the template mappings', async () => {
    const w = createEsWriter(cfg, { client, spoolDir });
    const r: WindowResult = {
      window: { timeSlot: 5_984_737, start: 5_984_737 * 300 - 150, end: 5_984_737 * 300 + 150 },
      flows: 10, packets: 20, bytes: 3000, distinctIps: 4,
      anomalies: [{ ip: '192.0.2.9', role: 'attacker', type: 'scan', severity: 'over', score: 1, metrics: { flows: 10, packets: 10, bytes: 400, distinctPeers: 9, distinctPorts: 1 }, features: { protocols: [], dstPorts: [{ value: 22, share: 1 }], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 1, onePacket40Share: 1, serverLike: false, clientPortShare: 1, serverPortShare: 0 }, evidence: [] }],
    };
    const sink = createEsSink(cfg, { store: w });
    await sink.writeWindow(r);
    await sink.writeWindow(r);
    await client.indices.refresh({ index: `${prefix}-*` });
    const c = await client.count({ index: `${prefix}-anomaly-2026.11.23` });
    expect(c.count).toBe(1);
    const m = await client.indices.getMapping({ index: `${prefix}-anomaly-2026.11.23` });
    expect((Object.values(m)[0] as { mappings: { properties: { ip: { type: string } } } }).mappings.properties.ip.type).toBe('ip');
    const hit = await client.search({ index: `${prefix}-anomaly-*`, query: { term: { ip: '192.0.2.0/24' } } });
    expect(hit.hits.hits).toHaveLength(1);
    expect(w.stats().spooled).toBe(0);
  });

  it('ships a capture and reads it back: investigate counts match nfdump, the hunt finds the same sources as nfdump', async () => {
    const w = createEsWriter({ ...cfg, bulkBytes: 65536 }, { client, spoolDir });
    const stats = await createShipper({ source: createNfdumpSource(), store: w, fieldMap: cfg.fieldMap }).ship([SSH]);
    expect(stats.flows).toBe(134);
    await client.indices.refresh({ index: `${prefix}-netflow-*` });
    const first = (await execa('nfdump', ['-r', SSH, '-q', '-N', '-o', 'fmt:%sa,%ts', '-c', '1'], { env: { TZ: 'UTC' } })).stdout.split(',');
    const ip = first[0].trim();
    const t0 = Date.parse(`${first[1].trim().replace(' ', 'T')}Z`);
    const expected = Number((await execa('nfdump', ['-r', SSH, '-q', '-o', 'fmt:%sa', `host ${ip}`], { env: { TZ: 'UTC' } })).stdout.split('\n').filter(Boolean).length);
    const backend = createEsFlowBackend(cfg, { client });
    const s = await backend.investigate(ip, { from: t0 - 86_400_000, to: t0 + 86_400_000 });
    expect(s.source).toBe('elasticsearch');
    expect(s.flows).toBe(expected);
    expect(s.totalHits).toBe(expected);

    const sig = (await execa('nfdump', ['-r', SSH, '-q', '-N', '-o', 'fmt:%dp,%pkt,%byt', '-c', '1'], { env: { TZ: 'UTC' } })).stdout.split(',').map((x) => Number(x.trim()));
    const signature = { port: sig[0], packets: sig[1], bytes: sig[2] };
    const sources = new Set((await execa('nfdump', ['-r', SSH, '-q', '-o', 'fmt:%sa', nfdumpFilterText(signatureFilter(signature))], { env: { TZ: 'UTC' } })).stdout.split('\n').map((l) => l.trim()).filter(Boolean));
    const hunt = await backend.huntSignature(signature, { from: t0 - 86_400_000, to: t0 + 86_400_000 });
    expect(new Set(hunt.sources.map((r) => r.ip))).toEqual(sources);

    // Near shapes: the same port and packets, bytes within ±4 but not the signature's own (nfdump's range, less those).
    const nearRows = (await execa('nfdump', ['-r', SSH, '-q', '-N', '-o', 'fmt:%sa,%sp,%byt', nfdumpFilterText({ dstPort: [signature.port], packets: { min: signature.packets, max: signature.packets }, bytes: { min: signature.bytes - 4, max: signature.bytes + 4 } })], { env: { TZ: 'UTC' } })).stdout
      .split('\n').filter(Boolean).map((l) => l.split(',').map((x) => x.trim()));
    const nearSources = new Set(nearRows.filter(([, sp, b]) => Number(b) !== signature.bytes && Number(sp) !== signature.port && !(Number(sp) > 0 && Number(sp) < 1024)).map(([ip]) => ip));
    const near = await backend.huntSignature(signature, { from: t0 - 86_400_000, to: t0 + 86_400_000 }, { exclude: { serverReplies: true }, near: { within: 4, exactBytes: [] } });
    expect(new Set(near.near!.map((r) => r.ip))).toEqual(nearSources);
    for (const r of near.near!) expect(r.bytes!.every((b) => Math.abs(b - signature.bytes) <= 4 && b !== signature.bytes)).toBe(true);
  });
});
