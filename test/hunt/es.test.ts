/**
 * The hunt with Elasticsearch: the seeds' per-day query for each hunted signature (exact bodies, exclusions, one day at
 * a time, strongest first), answers turned into members, near shapes (their query, and over a generated day's flows
 * the file hunt's members and near members), and one daily document per signature through the writer —
 * against @elastic/elasticsearch-mock for the request bodies and the HTTP stand-in for the CLI end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Client } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import { createEsFlowBackend } from '../../src/es/flow-backend.js';
import { elasticsearchDefaults } from '../../src/config/sections/elasticsearch.js';
import { runEsHunt } from '../../src/hunt/run.js';
import { HuntRecords } from '../../src/hunt/records.js';
import { openDb } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { docId } from '../../src/es/index-discipline.js';
import { signatureDocs } from '../../src/hunt/es-docs.js';
import type { Anomaly, WindowResult } from '../../src/engine/types.js';
import { startFakeEs, type FakeEs } from '../es/es-server.js';
import { evaluateSearch, flowDoc } from '../es/query-eval.js';
import { generateHuntDay } from '../../src/gen/index.js';

const DAY = Date.UTC(2026, 10, 22);
const BIN = path.resolve('bin/nocflow.js');

function attacker(ip: string, signature: string, proto: number, flows: number): Anomaly {
  return {
    ip, role: 'attacker', type: 'scan', severity: 'over', score: 1, signature, evidence: [],
    metrics: { flows, packets: flows, bytes: flows, distinctPeers: flows, distinctPorts: 1 },
    features: { protocols: [{ value: proto, share: 1 }], dstPorts: [], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 1, dstPorts: 1, packets: 1, bytes: 1 }, synOnlyShare: 0, onePacket40Share: 0, serverLike: false, clientPortShare: 1, serverPortShare: 0 },
  };
}

/** An engine database holding one window of 2026-11-22 08:00 with the loud attackers of three shapes. */
function storeWith(file: string) {
  const db = openDb(file);
  const w: WindowResult = {
    window: { timeSlot: Math.floor((DAY / 1000 + 8 * 3600 + 150) / 300), start: DAY / 1000 + 8 * 3600, end: DAY / 1000 + 8 * 3600 + 300 },
    flows: 1, packets: 1, bytes: 1, distinctIps: 1,
    anomalies: [attacker('222.74.48.230', '1433-3-152', 6, 3000), attacker('218.4.133.202', '1433-3-152', 6, 1500), attacker('185.232.67.11', '5060-1-437', 17, 5500), attacker('125.64.94.220', '1433-1-40', 6, 2500)],
  };
  new EngineStore(db).commitWindow('/nfcapd/nfcapd.202611220800', w, 1);
  return db;
}

const bucket = (ip: string, dst: number, flows: number, ports: number, first: number, last: number) => ({ key: ip, doc_count: flows, CountDst: { value: dst }, CountPort: { value: ports }, FirstSeen: { value: first }, LastSeen: { value: last } });
const answers: Record<number, unknown> = {
  1433: { aggregations: { AggsIp: { buckets: [bucket('222.74.48.230', 3000, 3000, 2990, DAY + 1, DAY + 3_600_000), bucket('1.170.36.229', 280, 280, 280, DAY + 5, DAY + 50_000_000)] }, CountIP: { value: 2 } }, hits: { total: { value: 3280 }, hits: [] } },
  5060: { aggregations: { AggsIp: { buckets: [bucket('185.232.67.11', 5500, 5500, 5500, DAY + 9, DAY + 99)] }, CountIP: { value: 7 } }, hits: { total: { value: 5500 }, hits: [] } },
};

/** The per-day query body the hunt must send for one signature. */
function expectedQuery(port: number, packets: number, bytes: number, buckets: number) {
  return {
    size: 0,
    track_total_hits: true,
    query: {
      bool: {
        filter: [
          { term: { destinationTransportPort: port } }, { term: { packetDeltaCount: packets } }, { term: { octetDeltaCount: bytes } },
          { range: { flowStartMilliseconds: { gte: DAY, lt: DAY + 86_400_000, format: 'epoch_millis' } } },
        ],
        must_not: [
          { term: { sourceTransportPort: port } }, { range: { sourceTransportPort: { gte: 1, lte: 1023 } } },
          { term: { sourceIPAddress: '198.51.100.61' } }, { term: { sourceIPAddress: '2001:db8::/32' } },
        ],
      },
    },
    aggs: {
      AggsIp: {
        terms: { field: 'sourceIPAddress', size: buckets, order: { CountDst: 'desc' } },
        aggs: {
          CountDst: { cardinality: { field: 'destinationIPAddress' } }, CountPort: { cardinality: { field: 'sourceTransportPort' } },
          FirstSeen: { min: { field: 'flowStartMilliseconds' } }, LastSeen: { max: { field: 'flowStartMilliseconds' } },
        },
      },
      CountIP: { cardinality: { field: 'sourceIPAddress' } },
    },
  };
}

describe('the per-day hunt over Elasticsearch (mocked cluster)', () => {
  it('one query per hunted signature on the day\'s index, strongest first, with the hunt\'s exclusions; answers become members', async () => {
    const mock = new Mock();
    const calls: { index: string; body: Record<string, unknown> }[] = [];
    mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, (p) => {
      const body = p.body as { query: { bool: { filter: { term?: Record<string, number> }[] } } };
      calls.push({ index: decodeURIComponent(p.path.split('/')[1]), body: p.body as Record<string, unknown> });
      return answers[body.query.bool.filter[0].term!.destinationTransportPort] as Record<string, unknown>;
    });
    const client = new Client({ node: 'http://127.0.0.1:9', Connection: mock.getConnection(), maxRetries: 0 });
    const backend = createEsFlowBackend({ ...elasticsearchDefaults, flowIndex: 'twaren-{YYYY.MM.DD}', huntBuckets: 1 }, { client });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-hunt-es-'));
    const db = storeWith(path.join(tmp, 'db.sqlite'));
    const r = await runEsHunt(DAY, { records: new HuntRecords(db), backend }, { knownServers: ['198.51.100.61', '2001:db8::/32'] });
    expect(calls.map((c) => c.index)).toEqual(['twaren-2026.11.22', 'twaren-2026.11.22']);
    expect(calls[0].body).toEqual(expectedQuery(1433, 3, 152, 1));
    expect(calls[1].body).toEqual(expectedQuery(5060, 1, 437, 1));
    expect(r.report.source).toBe('elasticsearch');
    const [a, b, weak] = r.report.signatures;
    expect(a.members).toEqual([
      { ip: '222.74.48.230', destinations: 3000, flows: 3000, sourcePorts: 2990, files: 1, firstSeen: DAY + 1, lastSeen: DAY + 3_600_000 },
      { ip: '1.170.36.229', destinations: 280, flows: 280, sourcePorts: 280, files: 1, firstSeen: DAY + 5, lastSeen: DAY + 50_000_000 },
    ]);
    // A day that filled its buckets: what ES counted beyond them is reported as dropped (2 counted, 2 here; 7 counted, 1 here).
    expect(a.droppedSources).toBe(0);
    expect(b.members.map((m) => m.ip)).toEqual(['185.232.67.11']);
    expect(b.droppedSources).toBe(6);
    expect(weak).toMatchObject({ signature: '1433-1-40', hunted: false, members: [] });
    db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('near shapes over Elasticsearch', () => {
  it('a second query per signature and day: bytes within ±N, the hunted shapes\' exact bytes left out; answers become near members with their byte counts', async () => {
    const mock = new Mock();
    const calls: { index: string; body: Record<string, unknown> }[] = [];
    const nearBucket = (ip: string, dst: number, flows: number, bytes: number[]) => ({ ...bucket(ip, dst, flows, flows, DAY + 7, DAY + 70), Bytes: { buckets: bytes.map((key) => ({ key, doc_count: 1 })) } });
    mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, (p) => {
      const body = p.body as { query: { bool: { filter: { term?: Record<string, number>; range?: Record<string, unknown> }[] } } };
      calls.push({ index: decodeURIComponent(p.path.split('/')[1]), body: p.body as Record<string, unknown> });
      const port = body.query.bool.filter[0].term!.destinationTransportPort;
      if (!body.query.bool.filter.some((c) => c.range?.octetDeltaCount)) return answers[port] as Record<string, unknown>;
      return (port === 1433
        ? { aggregations: { AggsIp: { buckets: [nearBucket('203.0.113.9', 40, 44, [156, 148]), nearBucket('203.0.113.8', 3, 3, [153])] }, CountIP: { value: 2 } }, hits: { total: { value: 47 }, hits: [] } }
        : { aggregations: { AggsIp: { buckets: [] }, CountIP: { value: 0 } }, hits: { total: { value: 0 }, hits: [] } }) as Record<string, unknown>;
    });
    const client = new Client({ node: 'http://127.0.0.1:9', Connection: mock.getConnection(), maxRetries: 0 });
    const backend = createEsFlowBackend({ ...elasticsearchDefaults, flowIndex: 'twaren-{YYYY.MM.DD}', huntBuckets: 50 }, { client });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-hunt-es-near-'));
    const db = storeWith(path.join(tmp, 'db.sqlite'));
    const records = new HuntRecords(db);
    const r = await runEsHunt(DAY, { records, backend }, { knownServers: ['198.51.100.61'], near: 4 });
    // Exact, then near, for each hunted signature (the weak 1433-1-40 is not hunted).
    expect(calls.map((c) => (c.body as { query: { bool: { filter: unknown[] } } }).query.bool.filter.length)).toEqual([4, 4, 4, 4]);
    const near1433 = calls[1].body as { query: { bool: { filter: unknown[]; must_not: unknown[] } }; aggs: { AggsIp: { aggs: Record<string, unknown> } } };
    expect(near1433.query.bool.filter).toEqual([
      { term: { destinationTransportPort: 1433 } }, { term: { packetDeltaCount: 3 } }, { range: { octetDeltaCount: { gte: 148, lte: 156 } } },
      { range: { flowStartMilliseconds: { gte: DAY, lt: DAY + 86_400_000, format: 'epoch_millis' } } },
    ]);
    expect(near1433.query.bool.must_not).toEqual([
      { terms: { octetDeltaCount: [152] } },
      { term: { sourceTransportPort: 1433 } }, { range: { sourceTransportPort: { gte: 1, lte: 1023 } } }, { term: { sourceIPAddress: '198.51.100.61' } },
    ]);
    expect(near1433.aggs.AggsIp.aggs.Bytes).toEqual({ terms: { field: 'octetDeltaCount', size: 8, order: { _key: 'asc' } } });
    const sip = calls[3].body as { query: { bool: { filter: unknown[] } } };
    expect(sip.query.bool.filter[2]).toEqual({ range: { octetDeltaCount: { gte: 433, lte: 441 } } });
    const a = r.report.signatures.find((x) => x.signature === '1433-3-152')!;
    expect(a.near).toEqual([
      { ip: '203.0.113.9', destinations: 40, flows: 44, sourcePorts: 44, files: 1, firstSeen: DAY + 7, lastSeen: DAY + 70, bytes: [148, 156] },
      { ip: '203.0.113.8', destinations: 3, flows: 3, sourcePorts: 3, files: 1, firstSeen: DAY + 7, lastSeen: DAY + 70, bytes: [153] },
    ]);
    expect(a.members.map((m) => m.ip)).toEqual(['222.74.48.230', '1.170.36.229']);
    expect(r.report.signatures.find((x) => x.signature === '5060-1-437')!.near).toEqual([]);
    // Recorded apart from the members, as the file hunt's are.
    records.saveDay('2026-11-22', r.report, DAY + 86_400_000, { trigger: 'cli' });
    expect(records.members('2026-11-22', '1433-3-152', { near: true }).map((m) => [m.ip, m.bytes])).toEqual([['203.0.113.9', [148, 156]], ['203.0.113.8', [153]]]);
    expect(records.members('2026-11-22', '1433-3-152').map((m) => m.ip)).toEqual(['222.74.48.230', '1.170.36.229']);
    db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('over a generated day\'s flows, the Elasticsearch hunt finds the file hunt\'s members and near members (the bodies evaluated over every flow)', async () => {
    const g = generateHuntDay({ day: DAY, variant: 1 });
    const t = g.truth;
    const docs = g.files.flatMap((f) => f.flows.map(flowDoc));
    const mock = new Mock();
    const indices: string[] = [];
    mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, (p) => {
      indices.push(decodeURIComponent(p.path.split('/')[1]));
      return evaluateSearch(p.body, docs) as unknown as Record<string, unknown>;
    });
    const client = new Client({ node: 'http://127.0.0.1:9', Connection: mock.getConnection(), maxRetries: 0 });
    const backend = createEsFlowBackend(elasticsearchDefaults, { client });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-hunt-es-day-'));
    const db = openDb(path.join(tmp, 'db.sqlite'));
    // The day's loud attackers as the engine stored them (one window each).
    const loud = [...Object.entries(t.signatures), ...Object.entries(t.weak)].flatMap(([sig, v]) => v.attackers.map((ip) => attacker(ip, sig, sig.startsWith('5060') ? 17 : 6, 2000)));
    new EngineStore(db).commitWindow('/nfcapd/nfcapd.202611220800', {
      window: { timeSlot: Math.floor((DAY / 1000 + 8 * 3600 + 150) / 300), start: DAY / 1000 + 8 * 3600, end: DAY / 1000 + 8 * 3600 + 300 },
      flows: 1, packets: 1, bytes: 1, distinctIps: 1, anomalies: loud,
    }, 1);
    const r = await runEsHunt(DAY, { records: new HuntRecords(db), backend }, { knownServers: t.knownServers, near: 4 });
    expect(new Set(indices)).toEqual(new Set(['netflow-2026.11.22']));
    const oneIndex = <T extends { files: number }>(rows: T[]) => rows.map((m) => ({ ...m, files: 1 }));
    const a = r.report.signatures.find((x) => x.signature === '1433-3-152')!;
    expect(t.near['1433-3-152'].length).toBeGreaterThan(0);
    expect(a.members).toEqual(oneIndex(t.signatures['1433-3-152'].members));
    expect(a.near).toEqual(oneIndex(t.near['1433-3-152']));
    const b = r.report.signatures.find((x) => x.signature === '5060-1-437')!;
    expect(b.members).toEqual(oneIndex(t.signatures['5060-1-437'].members));
    expect(b.near).toEqual(oneIndex(t.near['5060-1-437'] ?? []));
    db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('nocflow hunt --day with Elasticsearch (HTTP stand-in)', () => {
  let es: FakeEs;
  let root: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    es = await startFakeEs();
    es.onSearch = (_index, body) => answers[(body as { query: { bool: { filter: { term: Record<string, number> }[] } } }).query.bool.filter[0].term.destinationTransportPort] ?? { aggregations: {} };
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-hunt-es-cli-'));
    env = { ...process.env, NOCFLOW_CONFIG_DIR: path.join(root, 'cfg'), NOCFLOW_DATA_DIR: path.join(root, 'data') };
    fs.mkdirSync(env.NOCFLOW_CONFIG_DIR!, { recursive: true });
    fs.writeFileSync(path.join(env.NOCFLOW_CONFIG_DIR!, 'config.json'), JSON.stringify({ elasticsearch: { node: es.url }, engine: { nfcapdDir: path.join(root, 'empty') } }));
    storeWith(path.join(root, 'data', 'nocflow.db')).close();
  });
  afterAll(async () => {
    await es.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a day without files is hunted in the flow indices, recorded, and written as one document per signature', async () => {
    const r = await execa('node', [BIN, 'hunt', '--day', '2026-11-22', '--json'], { env });
    const doc = JSON.parse(r.stdout) as { source: string; signatures: { signature: string; members: { ip: string }[] }[] };
    expect(doc.source).toBe('elasticsearch');
    const searches = es.requests.filter((q) => q.path.endsWith('/_search'));
    expect(searches.map((q) => q.path)).toEqual(['/netflow-2026.11.22/_search', '/netflow-2026.11.22/_search']);
    expect(JSON.parse(searches[0].body)).toEqual({ ...expectedQuery(1433, 3, 152, 10000), query: { bool: { ...expectedQuery(1433, 3, 152, 10000).query.bool, must_not: expectedQuery(1433, 3, 152, 10000).query.bool.must_not.slice(0, 2) } } });
    // The signature documents: one per catalogue signature in the day's index, ids from day + signature.
    const idx = es.docs.get('nocflow-signature-2026.11.22')!;
    expect([...idx.keys()].sort()).toEqual(['1433-1-40', '1433-3-152', '5060-1-437'].map((s) => docId('signature', '2026-11-22', s)).sort());
    expect(idx.get(docId('signature', '2026-11-22', '1433-3-152'))).toEqual({
      '@timestamp': DAY, day: '2026-11-22', signature: '1433-3-152', port: 1433, packets: 3, bytes: 152, proto: 6, strength: 11.36, weak: false, hunted: true,
      attackers: ['222.74.48.230', '218.4.133.202'], memberCount: 2, membersTruncated: false,
      members: [
        { ip: '222.74.48.230', destinations: 3000, flows: 3000, sourcePorts: 2990, files: 1, firstSeen: DAY + 1, lastSeen: DAY + 3_600_000 },
        { ip: '1.170.36.229', destinations: 280, flows: 280, sourcePorts: 280, files: 1, firstSeen: DAY + 5, lastSeen: DAY + 50_000_000 },
      ],
      flows: 3280, serverReplyFlows: 0, knownServerFlows: 0, droppedSources: 0, droppedFlows: 0,
    });
    expect(idx.get(docId('signature', '2026-11-22', '1433-1-40'))).toMatchObject({ weak: true, hunted: false, memberCount: 0, members: [] });
    // The template for the new kind came first, with the members' addresses typed as ip.
    const tpl = es.requests.find((q) => q.path === '/_index_template/nocflow-signature')!;
    expect(JSON.parse(tpl.body)).toMatchObject({ index_patterns: ['nocflow-signature-*'], template: { mappings: { properties: { members: { type: 'nested', properties: { ip: { type: 'ip' } } }, attackers: { type: 'ip' } } } } });
    // Recorded like the engine's run.
    const rec = JSON.parse((await execa('node', [BIN, 'hunt', '--records', '--json'], { env })).stdout) as { runs: { day: string; source: string; status: string }[] };
    expect(rec.runs).toEqual([expect.objectContaining({ day: '2026-11-22', source: 'elasticsearch', status: 'done' })]);
  });

  it('documents are capped per signature with the whole count kept', () => {
    const members = Array.from({ length: 5 }, (_, i) => ({ ip: `192.0.2.${i}`, destinations: 5 - i, flows: 1, sourcePorts: 1, files: 1, firstSeen: 0, lastSeen: 0 }));
    const [d] = signatureDocs({ source: 'files', files: 1, flows: 1, matched: 1, signatures: [{ signature: '22-4-240', port: 22, packets: 4, bytes: 240, proto: 6, strength: 1, weak: false, hunted: true, attackers: [], members, flows: 5, serverReplyFlows: 0, knownServerFlows: 0, droppedSources: 0, droppedFlows: 0 }] }, DAY, { maxMembers: 2 });
    expect(d.body).toMatchObject({ memberCount: 5, membersTruncated: true });
    expect((d.body!.members as unknown[]).length).toBe(2);
  });
});
