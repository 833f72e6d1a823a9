import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Client } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import { createEsFlowBackend } from '../../src/es/flow-backend.js';
import { hitToFlow, huntQuery, huntRows, investigateQuery, mergeHuntRows, parseTarget } from '../../src/es/queries.js';
import { elasticsearchDefaults, ipfixFieldMap } from '../../src/config/sections/elasticsearch.js';

const f = ipfixFieldMap;
const day1 = Date.UTC(2026, 10, 21);
const day2 = Date.UTC(2026, 10, 22);

describe('request bodies', () => {
  it('investigate: the seeds per-IoC query (should on source or destination, size 10000, track_total_hits)', () => {
    expect(investigateQuery(f, parseTarget('192.0.2.7'), { from: 1, to: 2 })).toEqual({
      size: 10000,
      track_total_hits: true,
      _source: ['sourceIPAddress', 'destinationIPAddress', 'sourceTransportPort', 'destinationTransportPort', 'protocolIdentifier', 'tcpControlBits', 'packetDeltaCount', 'octetDeltaCount', 'ingressInterface', 'exporterIPAddress', 'flowStartMilliseconds'],
      query: {
        bool: {
          should: [{ term: { sourceIPAddress: '192.0.2.7' } }, { term: { destinationIPAddress: '192.0.2.7' } }],
          minimum_should_match: 1,
          filter: [{ range: { flowStartMilliseconds: { gte: 1, lt: 2, format: 'epoch_millis' } } }],
        },
      },
    });
  });

  it('investigate a prefix: CIDR term on the ip fields; other schemas through the field map', () => {
    const q = investigateQuery({ ...f, src: 'src_addr', dst: 'dst_addr' }, parseTarget('2001:db8::/32'), { from: 0, to: 1 }, 500) as { size: number; query: { bool: { should: unknown[] } } };
    expect(q.size).toBe(500);
    expect(q.query.bool.should).toEqual([{ term: { src_addr: '2001:db8::/32' } }, { term: { dst_addr: '2001:db8::/32' } }]);
  });

  it('rejects targets that are not IPs or clean prefixes (nothing raw reaches a query)', () => {
    for (const bad of ['192.0.2.1 OR *', '10.0.0.1/33', '10.0.0.1/8', '', 'host']) expect(() => parseTarget(bad)).toThrow();
  });

  it('hunt: the seeds small-scale query with bounded buckets', () => {
    expect(huntQuery(f, { port: 1433, packets: 3, bytes: 152 }, { from: 10, to: 20 }, 5000)).toEqual({
      size: 0,
      track_total_hits: true,
      query: {
        bool: {
          filter: [
            { term: { destinationTransportPort: 1433 } },
            { term: { packetDeltaCount: 3 } },
            { term: { octetDeltaCount: 152 } },
            { range: { flowStartMilliseconds: { gte: 10, lt: 20, format: 'epoch_millis' } } },
          ],
        },
      },
      aggs: {
        AggsIp: {
          terms: { field: 'sourceIPAddress', size: 5000, order: { CountDst: 'desc' } },
          aggs: {
            CountDst: { cardinality: { field: 'destinationIPAddress' } },
            CountPort: { cardinality: { field: 'sourceTransportPort' } },
            FirstSeen: { min: { field: 'flowStartMilliseconds' } },
            LastSeen: { max: { field: 'flowStartMilliseconds' } },
          },
        },
        CountIP: { cardinality: { field: 'sourceIPAddress' } },
      },
    });
  });

  it('hits with bad addresses are refused; numbers and date strings are read', () => {
    expect(hitToFlow(f, { sourceIPAddress: 'x', destinationIPAddress: '192.0.2.1' })).toBeUndefined();
    const r = hitToFlow(f, { sourceIPAddress: '192.0.2.1', destinationIPAddress: '2001:DB8::1', destinationTransportPort: '443', flowStartMilliseconds: '2026-11-22T00:00:00Z', packetDeltaCount: 3 })!;
    expect(r).toMatchObject({ src: '192.0.2.1', dst: '2001:db8::1', dport: 443, packets: 3, start: day2 });
  });

  it('merges hunt days: flows add, cardinalities keep the largest day, sorted by destinations', () => {
    const d1 = huntRows({ AggsIp: { buckets: [{ key: '192.0.2.1', doc_count: 10, CountDst: { value: 8 }, CountPort: { value: 3 }, FirstSeen: { value: 100 }, LastSeen: { value: 200 } }] }, CountIP: { value: 1 } });
    const d2 = huntRows({ AggsIp: { buckets: [
      { key: '192.0.2.1', doc_count: 5, CountDst: { value: 5 }, CountPort: { value: 4 }, FirstSeen: { value: 300 }, LastSeen: { value: 400 } },
      { key: '198.51.100.9', doc_count: 50, CountDst: { value: 20 }, CountPort: { value: 1 }, FirstSeen: { value: 310 }, LastSeen: { value: 320 } },
    ] }, CountIP: { value: 2 } });
    expect(d2.distinctSources).toBe(2);
    expect(mergeHuntRows([d1.rows, d2.rows])).toEqual([
      { ip: '198.51.100.9', destinations: 20, flows: 50, sourcePorts: 1, firstSeen: 310, lastSeen: 320 },
      { ip: '192.0.2.1', destinations: 8, flows: 15, sourcePorts: 4, firstSeen: 100, lastSeen: 400 },
    ]);
  });

  it('near rows: each source\'s byte counts (bad keys dropped), merged over days as a union of the smallest 8', () => {
    const row = (ip: string, bytes: unknown[]) => ({ key: ip, doc_count: bytes.length, CountDst: { value: 1 }, CountPort: { value: 1 }, FirstSeen: { value: 1 }, LastSeen: { value: 2 }, Bytes: { buckets: bytes.map((key) => ({ key, doc_count: 1 })) } });
    const d1 = huntRows({ AggsIp: { buckets: [row('192.0.2.1', [156, 148, 'x', -3, 149.5])] } });
    expect(d1.rows[0].bytes).toEqual([148, 156]);
    const d2 = huntRows({ AggsIp: { buckets: [row('192.0.2.1', [150, 151, 153, 154, 155, 156, 157])] } });
    expect(mergeHuntRows([d1.rows, d2.rows])[0]).toMatchObject({ ip: '192.0.2.1', flows: 12, bytes: [148, 150, 151, 153, 154, 155, 156, 157] });
    // An exact hunt's rows carry no byte counts.
    expect('bytes' in huntRows({ AggsIp: { buckets: [{ key: '192.0.2.1', doc_count: 1 }] } }).rows[0]).toBe(false);
  });
});

function hit(src: string, dst: string, sport: number, dport: number, proto: number, start: number, bytes = 100) {
  return { _index: 'x', _id: `${src}${dst}${start}`, _source: { sourceIPAddress: src, destinationIPAddress: dst, sourceTransportPort: sport, destinationTransportPort: dport, protocolIdentifier: proto, packetDeltaCount: 1, octetDeltaCount: bytes, flowStartMilliseconds: start, exporterIPAddress: '127.0.0.1' } };
}

describe('createEsFlowBackend against a mocked cluster', () => {
  function setup(answer: (index: string, body: Record<string, unknown>) => unknown) {
    const mock = new Mock();
    const calls: { index: string; body: Record<string, unknown> }[] = [];
    mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, (p) => {
      const index = decodeURIComponent(p.path.split('/')[1]);
      calls.push({ index, body: p.body as Record<string, unknown> });
      return answer(index, p.body as Record<string, unknown>) as Record<string, unknown>;
    });
    const client = new Client({ node: 'http://127.0.0.1:9', Connection: mock.getConnection(), maxRetries: 0 });
    const backend = createEsFlowBackend({ ...elasticsearchDefaults, flowIndex: 'twaren-{YYYY.MM.DD}' }, { client });
    return { calls, backend };
  }

  it('investigates one daily index at a time and aggregates peers, ports, protocols and the series itself', async () => {
    const { calls, backend } = setup((index) => ({
      hits: {
        total: { value: index.endsWith('21') ? 3 : 25000, relation: 'eq' },
        hits: index.endsWith('21')
          ? [hit('192.0.2.7', '198.51.100.1', 40000, 22, 6, day1 + 60_000), hit('192.0.2.7', '198.51.100.1', 40001, 22, 6, day1 + 61_000), hit('198.51.100.2', '192.0.2.7', 53, 33000, 17, day1 + 120_000)]
          : [hit('192.0.2.7', '198.51.100.3', 40002, 443, 6, day2 + 5_000, 1000), { _index: 'x', _id: 'bad', _source: { sourceIPAddress: 'garbage' } }],
      },
    }));
    const s = await backend.investigate('192.0.2.7', { from: day1, to: day2 + 3_600_000 });
    expect(calls.map((c) => c.index)).toEqual(['twaren-2026.11.21', 'twaren-2026.11.22']);
    expect(calls[0].body).toMatchObject({ size: 10000, track_total_hits: true });
    expect((calls[1].body as { query: { bool: { filter: unknown[] } } }).query.bool.filter).toEqual([{ range: { flowStartMilliseconds: { gte: day2, lt: day2 + 3_600_000, format: 'epoch_millis' } } }]);
    expect(s).toMatchObject({ source: 'elasticsearch', target: '192.0.2.7/32', files: 2, flows: 4, bytes: 1300, asSource: 3, asDestination: 1, totalHits: 25003, sampled: true, badHits: 1 });
    expect(s.topPeers[0]).toEqual({ ip: '198.51.100.1', flows: 2, bytes: 200 });
    expect(s.topPorts[0]).toEqual({ proto: 6, port: 22, flows: 2 });
    expect(s.protocols).toEqual([{ proto: 6, flows: 3 }, { proto: 17, flows: 1 }]);
    expect(s.series.reduce((n, p) => n + p.flows, 0)).toBe(4);
    expect(s.series.every((p, i) => i === 0 || p.t > s.series[i - 1].t)).toBe(true);
  });

  it('runs many IPs day-major: every IP for day 1, then every IP for day 2', async () => {
    const { calls, backend } = setup(() => ({ hits: { total: { value: 0, relation: 'eq' }, hits: [] } }));
    const m = await backend.investigateMany(['192.0.2.1', '192.0.2.2', '10.0.0.0/8'], { from: day1, to: day2 + 1 });
    const order = calls.map((c) => `${c.index} ${JSON.stringify((c.body as { query: { bool: { should: { term: Record<string, string> }[] } } }).query.bool.should[0].term.sourceIPAddress)}`);
    expect(order).toEqual([
      'twaren-2026.11.21 "192.0.2.1"', 'twaren-2026.11.21 "192.0.2.2"', 'twaren-2026.11.21 "10.0.0.0/8"',
      'twaren-2026.11.22 "192.0.2.1"', 'twaren-2026.11.22 "192.0.2.2"', 'twaren-2026.11.22 "10.0.0.0/8"',
    ]);
    expect([...m.keys()]).toEqual(['192.0.2.1', '192.0.2.2', '10.0.0.0/8']);
    expect(m.get('192.0.2.1')!.flows).toBe(0);
  });

  it('refuses a bad target before any request', async () => {
    const { calls, backend } = setup(() => ({}));
    await expect(backend.investigate('1.2.3.4; DROP', { from: day1, to: day2 })).rejects.toThrow(/not an IP/);
    expect(calls).toHaveLength(0);
  });

  it('hunts a signature per day and merges, flagging days that filled every bucket', async () => {
    const { calls, backend } = setup((index) => ({
      hits: { total: { value: 9, relation: 'eq' }, hits: [] },
      aggregations: {
        AggsIp: { buckets: index.endsWith('21') ? [{ key: '192.0.2.1', doc_count: 4, CountDst: { value: 4 }, CountPort: { value: 4 }, FirstSeen: { value: day1 }, LastSeen: { value: day1 + 9 } }] : [{ key: '192.0.2.9', doc_count: 5, CountDst: { value: 5 }, CountPort: { value: 1 }, FirstSeen: { value: day2 }, LastSeen: { value: day2 } }, { key: '192.0.2.1', doc_count: 1, CountDst: { value: 1 }, CountPort: { value: 1 }, FirstSeen: { value: day2 }, LastSeen: { value: day2 } }] },
        CountIP: { value: index.endsWith('21') ? 1 : 2 },
      },
    }));
    const r = await backend.huntSignature({ port: 1433, packets: 3, bytes: 152 }, { from: day1, to: day2 + 1000 });
    expect(calls.map((c) => c.index)).toEqual(['twaren-2026.11.21', 'twaren-2026.11.22']);
    expect((calls[0].body as { aggs: { AggsIp: { terms: { size: number } } } }).aggs.AggsIp.terms.size).toBe(elasticsearchDefaults.huntBuckets);
    expect(r.indices).toEqual(['twaren-2026.11.21', 'twaren-2026.11.22']);
    expect(r.distinctSourcesPerDay).toEqual([1, 2]);
    expect(r.sources.map((s) => [s.ip, s.destinations, s.flows])).toEqual([['192.0.2.9', 5, 5], ['192.0.2.1', 4, 5]]);
    expect(r.truncated).toBe(false);
  });

  it('carries the index and status of a failed search', async () => {
    const mock = new Mock();
    // the mock recognises the CJS build's error class (the ESM build's is a different object)
    const { errors } = createRequire(import.meta.url)('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');
    mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, () => new errors.ResponseError({ body: { error: 'busy' }, statusCode: 503, headers: {}, warnings: null, meta: {} as never }) as never);
    const client = new Client({ node: 'http://127.0.0.1:9', Connection: mock.getConnection(), maxRetries: 0 });
    const backend = createEsFlowBackend(elasticsearchDefaults, { client });
    await expect(backend.investigate('192.0.2.1', { from: day2, to: day2 + 1 })).rejects.toMatchObject({ name: 'EsError', operation: 'search netflow-2026.11.22', statusCode: 503, transient: true });
  });
});
