import { describe, expect, it } from 'vitest';
import { batchFromRecords, flow } from '../../src/engine/batch.js';
import { flowDocId, flowDocs } from '../../src/es/documents.js';
import { ipfixFieldMap } from '../../src/config/sections/elasticsearch.js';

describe('flowDocs (serialized directly)', () => {
  const b = batchFromRecords([
    flow({ src: '192.0.2.1', dst: '198.51.100.2', sport: 40000, dport: 22, proto: 6, flags: 2, packets: 1, bytes: 44, start: 1_795_300_000_123, end: 1_795_300_000_500, inIf: 7, outIf: 9, exporter: '10.0.0.1', srcAs: 64500, dstAs: 1659 }),
    flow({ src: '2001:db8::1', dst: '2001:db8:0:1::2', sport: 53, dport: 33000, proto: 17, exporter: '' }),
  ]);

  it('emits valid JSON with the IPFIX field names and every value', () => {
    const docs = flowDocs(b, ipfixFieldMap, '/data/nfcapd.202611221405', 100);
    expect(JSON.parse(docs[0].raw!)).toEqual({
      sourceIPAddress: '192.0.2.1', destinationIPAddress: '198.51.100.2', sourceTransportPort: 40000, destinationTransportPort: 22,
      protocolIdentifier: 6, tcpControlBits: 2, packetDeltaCount: 1, octetDeltaCount: 44, ingressInterface: 7, egressInterface: 9,
      flowStartMilliseconds: 1_795_300_000_123, flowEndMilliseconds: 1_795_300_000_500, bgpSourceAsNumber: 64500, bgpDestinationAsNumber: 1659,
      exporterIPAddress: '10.0.0.1',
    });
    const v6 = JSON.parse(docs[1].raw!) as Record<string, unknown>;
    expect(v6).toMatchObject({ sourceIPAddress: '2001:db8::1', destinationIPAddress: '2001:db8:0:1::2', protocolIdentifier: 17 });
    expect(v6).not.toHaveProperty('exporterIPAddress'); // unknown exporter: absent, not ""
    expect(docs.map((d) => d.ts)).toEqual([1_795_300_000_123, b.start[1]]);
  });

  it('ids: file + row, stable across runs, distinct across files and rows', () => {
    const a = flowDocs(b, ipfixFieldMap, '/data/f1', 100);
    expect(a.map((d) => d.id)).toEqual([flowDocId('/data/f1', 100), flowDocId('/data/f1', 101)]);
    expect(flowDocs(b, ipfixFieldMap, '/data/f1', 100).map((d) => d.id)).toEqual(a.map((d) => d.id));
    expect(flowDocId('/data/f2', 100)).not.toBe(flowDocId('/data/f1', 100));
    expect(new Set(a.map((d) => d.id)).size).toBe(2);
  });

  it('follows a custom field map, escaping its names', () => {
    const docs = flowDocs(b, { ...ipfixFieldMap, src: 'src "addr"', dst: 'dst_addr' }, 'x', 0);
    expect(JSON.parse(docs[0].raw!)).toMatchObject({ 'src "addr"': '192.0.2.1', dst_addr: '198.51.100.2' });
  });
});
