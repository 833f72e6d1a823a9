import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { Client } from '@elastic/elasticsearch';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { createShipper, fileOrigin, groupByDay } from '../../src/es/shipper.js';
import { createEsWriter } from '../../src/es/writer.js';
import { utcDay } from '../../src/es/index-discipline.js';
import { flowDocId } from '../../src/es/documents.js';
import { elasticsearchDefaults } from '../../src/config/sections/elasticsearch.js';
import { Spool } from '../../src/es/spool.js';
import { closedPort, esTestScope, startFakeEs, type FakeEs } from './es-server.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

/** Generated windows (real nfcapd): a big one (several bulks) and a small one, with their flow counts. */
let BIG: string;
let SSH: string;
let SSH_FLOWS: number;
beforeAll(async () => {
  BIG = (await makeScenarioFile('syn-scan', { scale: 0.3 })).file;
  const ssh = await makeScenarioFile('ssh-attacker', { scale: 0.02 });
  [SSH, SSH_FLOWS] = [ssh.file, ssh.truth.flows];
}, 120_000);

/** nfdump's own view of the file, row by row, in its output order. */
async function nfdumpRows(file: string) {
  const r = await execa('nfdump', ['-r', file, '-q', '-N', '-o', 'fmt:%sa,%da,%sp,%dp,%pr,%pkt,%byt,%ts'], { env: { TZ: 'UTC' } });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [sa, da, sp, dp, pr, pkt, byt, ts] = l.split(',').map((x) => x.trim());
    // ICMP: nfdump prints the destination port as "type.code"; the flow record carries type*256+code
    const port = (t: string) => (t.includes('.') ? Number(t.split('.')[0]) * 256 + Number(t.split('.')[1]) : Number(t));
    return { sa, da, sp: port(sp), dp: port(dp), pr: Number(pr), pkt: Number(pkt), byt: Number(byt), ts: Date.parse(`${ts.replace(' ', 'T')}Z`) };
  });
}

let server: FakeEs | undefined;
const { tmp, track } = esTestScope('nocflow-ship-');

describe('shipper: real nfcapd file → nfdump → IPFIX documents → _bulk', () => {
  it('ships every flow nfdump prints, field for field, in bulks within the size limit; shipping again duplicates nothing', async () => {
    server = track(await startFakeEs());
    const client = new Client({ node: server.url, maxRetries: 0 });
    const cfg = { ...elasticsearchDefaults, bulkBytes: 65536, flowIndex: 'netflow-{YYYY.MM.DD}' };
    const store = createEsWriter(cfg, { client, spoolDir: tmp() });
    const shipper = createShipper({ source: createNfdumpSource(), store, fieldMap: cfg.fieldMap });
    const expected = await nfdumpRows(BIG);
    expect(expected.length).toBeGreaterThan(5000);

    const stats = await shipper.ship([BIG]);
    expect(stats).toMatchObject({ files: 1, flows: expected.length, failedFiles: [] });
    expect(server.received).toHaveLength(expected.length);
    const bulks = server.requests.filter((r) => r.path === '/_bulk');
    expect(bulks.length).toBeGreaterThan(expected.length * 250 / 65536 - 1);
    for (const b of bulks) expect(Buffer.byteLength(b.body)).toBeLessThanOrEqual(65536);

    const origin = fileOrigin(BIG);
    const all = new Map<string, Record<string, unknown>>();
    for (const [, m] of server.docs) for (const [id, d] of m) all.set(id, d as Record<string, unknown>);
    expected.forEach((e, i) => {
      const d = all.get(flowDocId(origin, i));
      expect(d, `row ${i}`).toBeDefined();
      expect(d).toMatchObject({ sourceIPAddress: e.sa, destinationIPAddress: e.da, sourceTransportPort: e.sp, destinationTransportPort: e.dp, protocolIdentifier: e.pr, packetDeltaCount: e.pkt, octetDeltaCount: e.byt, flowStartMilliseconds: e.ts });
    });
    // daily indices by each flow's own UTC start day
    const days = new Set(expected.map((e) => `netflow-${utcDay(e.ts)}`));
    expect(new Set(server.docs.keys())).toEqual(days);
    // the flow template maps the IPFIX fields
    const tpl = JSON.parse(server.requests.find((r) => r.path === '/_index_template/nocflow-flow')!.body) as { index_patterns: string[]; template: { mappings: { properties: Record<string, { type: string }> } } };
    expect(tpl.index_patterns).toEqual(['netflow-*']);
    expect(tpl.template.mappings.properties.sourceIPAddress.type).toBe('ip');

    await shipper.ship([BIG]);
    expect(server.received).toHaveLength(expected.length * 2);
    expect([...server.docs.values()].reduce((n, m) => n + m.size, 0)).toBe(expected.length);
    await client.close();
  });

  it('ES refusing connections: the whole file lands in the spool and replays complete', async () => {
    const port = await closedPort();
    const spoolDir = tmp();
    const client = new Client({ node: `http://127.0.0.1:${port}`, maxRetries: 0 });
    const cfg = { ...elasticsearchDefaults, bulkBytes: 65536 };
    const store = createEsWriter(cfg, { client, spoolDir, retryIntervalMs: 60_000 });
    const stats = await createShipper({ source: createNfdumpSource(), store, fieldMap: cfg.fieldMap }).ship([SSH]);
    expect(stats.flows).toBe(SSH_FLOWS);
    expect(new Spool(spoolDir).count()).toBe(SSH_FLOWS);
    await client.close();
    server = track(await startFakeEs(port));
    const client2 = new Client({ node: server.url, maxRetries: 0 });
    expect(await createEsWriter(cfg, { client: client2, spoolDir }).replaySpool()).toBe(SSH_FLOWS);
    expect(server.received.map((r) => r.id)).toEqual(Array.from({ length: SSH_FLOWS }, (_, i) => flowDocId(fileOrigin(SSH), i)));
    await client2.close();
  });

  it('a closed day is backfilled with refresh off and one refresh; unreadable files are skipped with the reason', async () => {
    server = track(await startFakeEs());
    const dir = tmp();
    const named = path.join(dir, 'nfcapd.202001011200');
    fs.copyFileSync(SSH, named);
    const broken = path.join(dir, 'nfcapd.202001011205');
    fs.writeFileSync(broken, 'not an nfcapd file at all, just text\n'.repeat(20));
    const client = new Client({ node: server.url, maxRetries: 0 });
    const store = createEsWriter(elasticsearchDefaults, { client, spoolDir: tmp() });
    const stats = await createShipper({ source: createNfdumpSource(), store, fieldMap: elasticsearchDefaults.fieldMap, now: () => Date.UTC(2026, 10, 22) }).ship([named, broken], { backfill: true });
    expect(stats, JSON.stringify(stats)).toMatchObject({ files: 1 });
    expect(stats.flows).toBe(SSH_FLOWS);
    expect(stats.backfilledDays).toBe(1);
    expect(stats.failedFiles.map((f) => f.file)).toEqual([broken]);
    expect(stats.failedFiles[0].reason.length).toBeGreaterThan(0);
    const seq = server.requests.filter((r) => r.path.startsWith('/netflow-2020.01.01')).map((r) => `${r.method} ${r.path} ${r.method === 'PUT' ? r.body : ''}`.trim());
    expect(seq[0]).toBe('HEAD /netflow-2020.01.01');
    expect(seq.slice(1)).toEqual([
      'PUT /netflow-2020.01.01',
      'GET /netflow-2020.01.01/_settings/index.refresh_interval',
      'PUT /netflow-2020.01.01/_settings {"index":{"refresh_interval":"-1"}}',
      expect.stringMatching(/^(GET|POST) \/netflow-2020\.01\.01\/_refresh$/),
      'PUT /netflow-2020.01.01/_settings {"index":{"refresh_interval":null}}',
    ]);
    // the documents went in between refresh off and the refresh
    const iOff = server.requests.findIndex((r) => r.body.includes('"-1"'));
    const iRefresh = server.requests.findIndex((r) => r.path.endsWith('/_refresh'));
    const bulkAt = server.requests.map((r, i) => (r.path === '/_bulk' ? i : -1)).filter((i) => i >= 0);
    expect(bulkAt.length).toBeGreaterThan(0);
    for (const i of bulkAt) expect(i > iOff && i < iRefresh).toBe(true);
    await client.close();
  });

  it('groups files by the UTC day of their names, days in order', () => {
    expect(groupByDay(['/a/nfcapd.202611230005', '/a/nfcapd.202611222355', '/b/nfcapd.202611221200', '/x/capture.nfcapd'])).toEqual([
      { day: undefined, files: ['/x/capture.nfcapd'] },
      { day: Date.UTC(2026, 10, 22), files: ['/a/nfcapd.202611222355', '/b/nfcapd.202611221200'] },
      { day: Date.UTC(2026, 10, 23), files: ['/a/nfcapd.202611230005'] },
    ]);
  });
});
