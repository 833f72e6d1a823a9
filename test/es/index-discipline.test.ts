import { describe, expect, it } from 'vitest';
import { chunkBulk, dailyFromPattern, dailyIndexName, dailyIndicesInRange, docId, indexTemplate, mappingsFor, primaryShardCount, utcDay } from '../../src/es/index-discipline.js';
import { ipfixFieldMap } from '../../src/config/sections/elasticsearch.js';
import type { BulkItem } from '../../src/es/types.js';

const GB = 1024 ** 3;

describe('daily index names (UTC)', () => {
  it.each([
    [Date.UTC(2026, 10, 22, 23, 59, 59, 999), '2026.11.22'],
    [Date.UTC(2026, 10, 23, 0, 0, 0, 0), '2026.11.23'],
    [Date.UTC(2024, 1, 29, 12), '2024.02.29'],
    [Date.UTC(2027, 0, 1), '2027.01.01'],
  ])('%d → %s', (ms, day) => {
    expect(utcDay(ms)).toBe(day);
    expect(dailyIndexName('nocflow', 'anomaly', ms)).toBe(`nocflow-anomaly-${day}`);
    expect(dailyFromPattern('twaren-netflow-{YYYY.MM.DD}', ms)).toBe(`twaren-netflow-${day}`);
  });

  it('rejects a flow pattern without the day placeholder and a non-time', () => {
    expect(() => dailyFromPattern('netflow-*', 0)).toThrow(/lacks/);
    expect(() => utcDay(Number.NaN)).toThrow(RangeError);
  });

  it('splits a range into daily indices, oldest first, clipped to the range', () => {
    const from = Date.UTC(2026, 10, 20, 22);
    const to = Date.UTC(2026, 10, 22, 1);
    expect(dailyIndicesInRange('nf-{YYYY.MM.DD}', from, to)).toEqual([
      { index: 'nf-2026.11.20', from, to: Date.UTC(2026, 10, 21) },
      { index: 'nf-2026.11.21', from: Date.UTC(2026, 10, 21), to: Date.UTC(2026, 10, 22) },
      { index: 'nf-2026.11.22', from: Date.UTC(2026, 10, 22), to },
    ]);
    expect(dailyIndicesInRange('nf-{YYYY.MM.DD}', to, to)).toEqual([]);
  });
});

describe('primary shard count = ceil(size / 10 GB), at least 1, at most the data nodes', () => {
  it.each([
    [0, 5, 1],
    [1, 5, 1],
    [10 * GB, 5, 1],
    [10 * GB + 1, 5, 2],
    [95 * GB, 64, 10],
    // the seeds: ~1 TB a day on 64 nodes → 103 wanted, capped at 64 (15 GB shards)
    [1024 * GB, 64, 64],
    [1400 * GB, 64, 64],
    [50 * GB, 3, 3],
    [50 * GB, 0, 1],
  ])('%d bytes on %d data nodes → %d', (bytes, nodes, shards) => {
    expect(primaryShardCount(bytes, nodes)).toBe(shards);
  });
});

describe('deterministic ids', () => {
  it('same parts → same id; any differing part → different id', () => {
    const a = docId('anomaly', 5900000, '192.0.2.1', 'attacker', 'scan');
    expect(docId('anomaly', 5900000, '192.0.2.1', 'attacker', 'scan')).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{40}$/);
    expect(docId('anomaly', 5900001, '192.0.2.1', 'attacker', 'scan')).not.toBe(a);
    expect(docId('anomaly', 5900000, '192.0.2.1', 'victim', 'scan')).not.toBe(a);
    expect(docId('window', 5900000, '192.0.2.1', 'attacker', 'scan')).not.toBe(a);
    // part boundaries matter: ('ab','c') is not ('a','bc')
    expect(docId('flow', 'ab', 'c')).not.toBe(docId('flow', 'a', 'bc'));
  });
});

describe('mappings and templates', () => {
  it('types addresses as ip, codes as keyword, numbers as numbers', () => {
    const m = mappingsFor('anomaly').properties as Record<string, { type?: string; properties?: Record<string, { type: string }> }>;
    expect(m.ip.type).toBe('ip');
    expect(m.type.type).toBe('keyword');
    expect(m.role.type).toBe('keyword');
    expect(m.severity.type).toBe('keyword');
    expect(m.score.type).toBe('float');
    expect(m.metrics.properties!.flows.type).toBe('long');
    expect([m.unusedProbe.properties!.targets.type, m.unusedProbe.properties!.arpSlots.type]).toEqual(['ip', 'long']);
    const flow = mappingsFor('flow', ipfixFieldMap).properties as Record<string, { type: string }>;
    expect(flow.sourceIPAddress.type).toBe('ip');
    expect(flow.destinationIPAddress.type).toBe('ip');
    expect(flow.exporterIPAddress.type).toBe('ip');
    expect(flow.destinationTransportPort.type).toBe('integer');
    expect(flow.octetDeltaCount.type).toBe('long');
    expect(flow.flowStartMilliseconds).toEqual({ type: 'date', format: 'epoch_millis' });
    expect(() => mappingsFor('flow')).toThrow(/field map/);
  });

  it('builds the exact template body', () => {
    expect(indexTemplate('nocflow-mac-*', 'mac', 3)).toEqual({
      index_patterns: ['nocflow-mac-*'],
      priority: 200,
      template: {
        settings: { number_of_shards: 3, number_of_replicas: 1 },
        mappings: {
          dynamic: 'false',
          properties: {
            '@timestamp': { type: 'date', format: 'epoch_millis' },
            mac: { type: 'keyword' },
            device: { type: 'keyword' },
            timestamp: { type: 'date', format: 'epoch_millis' },
            timeSlot: { type: 'long' },
            ipList: { type: 'ip' },
            interfaceList: { type: 'keyword' },
            vlan: { type: 'integer' },
            vlanList: { type: 'integer' },
            typeList: { type: 'keyword' },
            system: { type: 'boolean' },
          },
        },
      },
      _meta: { managed_by: 'nocflow', kind: 'mac' },
    });
  });
});

describe('bulk bodies of at most maxBytes', () => {
  const items: BulkItem[] = Array.from({ length: 1000 }, (_, i) => ({ index: 'x-2026.11.22', id: `id${i}`, body: { n: i, pad: 'p'.repeat(i % 50) } }));

  it('keeps every item once, in order, each body within the limit', () => {
    const chunks = chunkBulk(items, 8000);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.flatMap((c) => c.items.map((i) => i.id))).toEqual(items.map((i) => i.id));
    for (const c of chunks) {
      expect(Buffer.byteLength(c.body)).toBe(c.bytes);
      expect(c.bytes).toBeLessThanOrEqual(8000);
      expect(c.body.endsWith('\n')).toBe(true);
      expect(c.body.split('\n').length - 1).toBe(c.items.length * 2);
    }
    // chunks are filled: adding the next item would have crossed the limit
    for (let k = 0; k + 1 < chunks.length; k++) {
      const next = chunks[k + 1].items[0];
      expect(chunks[k].bytes + Buffer.byteLength(JSON.stringify({ index: { _index: next.index, _id: next.id } }) + '\n' + JSON.stringify(next.body) + '\n')).toBeGreaterThan(8000);
    }
  });

  it('sends an item larger than the limit alone rather than dropping it', () => {
    const big: BulkItem = { index: 'x', id: 'big', body: { s: 'z'.repeat(5000) } };
    const chunks = chunkBulk([items[0], big, items[1]], 1000);
    expect(chunks.map((c) => c.items.map((i) => i.id))).toEqual([['id0'], ['big'], ['id1']]);
  });

  it('defaults to ~10 MB bodies: 60 000 flow-sized docs make several requests none above 10 MB', () => {
    const flows: BulkItem[] = Array.from({ length: 60000 }, (_, i) => ({ index: 'netflow-2026.11.22', id: docId('flow', 'f', i), body: { sourceIPAddress: '192.0.2.1', destinationIPAddress: '198.51.100.2', sourceTransportPort: i % 65536, destinationTransportPort: 443, protocolIdentifier: 6, tcpControlBits: 27, packetDeltaCount: 10, octetDeltaCount: 5000, ingressInterface: 1, exporterIPAddress: '127.0.0.1', flowStartMilliseconds: 1_700_000_000_000 + i, pad: 'x'.repeat(200) } }));
    const chunks = chunkBulk(flows, 10_000_000);
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    for (const c of chunks) expect(c.bytes).toBeLessThanOrEqual(10_000_000);
    expect(chunks[0].bytes).toBeGreaterThan(9_000_000);
  });
});
