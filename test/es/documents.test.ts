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

describe('device, block and audit documents', () => {
  it('ARP/MAC merges: one document per IP and per (device, MAC) of the slot, ids by slot', async () => {
    const { deviceDocs } = await import('../../src/es/documents.js');
    const { docId } = await import('../../src/es/index-discipline.js');
    const m = {
      timeSlot: 5_984_737,
      byIp: [{ ip: '192.0.2.10', timestamp: 1_795_421_000_000, timeSlot: 5_984_737, macList: ['00:11:22:33:44:55'], typeList: ['dynamic'], devices: ['core1'], interfaceList: ['Vlan10'] }],
      byMac: [{ mac: '00:11:22:33:44:55', device: 'core1', timestamp: 1_795_421_000_000, timeSlot: 5_984_737, ipList: ['192.0.2.10'], interfaceList: ['Gi1/0/1'], vlan: 10, vlanList: [10], typeList: ['dynamic'] }],
    };
    const d = deviceDocs(m);
    expect(d.arp).toEqual([{ id: docId('arp', 5_984_737, '192.0.2.10'), ts: 1_795_421_000_000, body: { '@timestamp': 1_795_421_000_000, ...m.byIp[0] } }]);
    expect(d.mac[0].id).toBe(docId('mac', 5_984_737, 'core1', '00:11:22:33:44:55'));
    expect(d.mac[0].id).not.toBe(docId('mac', 5_984_738, 'core1', '00:11:22:33:44:55'));
  });

  it('a block keeps one document per id (state overwrites); audit entries one each', async () => {
    const { blockDoc, auditDoc } = await import('../../src/es/documents.js');
    const b = { id: 7, rule: {} as never, text: 'match source 192.0.2.9/32 then discard', status: 'active' as const, createdAt: 1000, expiresAt: 4600, ttlSeconds: 3600, offence: 1, who: 'noc', reason: 'scan' };
    const active = blockDoc(b);
    const removed = blockDoc({ ...b, status: 'removed' });
    expect(removed.id).toBe(active.id);
    expect(active.body).toMatchObject({ blockId: 7, status: 'active', '@timestamp': 1000 });
    expect(active.body).not.toHaveProperty('id');
    const a1 = auditDoc({ id: 1, at: 2000, who: 'noc', action: 'add', blockId: 7 });
    const a2 = auditDoc({ id: 2, at: 2001, who: 'noc', action: 'remove', blockId: 7 });
    expect(a1.id).not.toBe(a2.id);
    expect(a1.body).toMatchObject({ auditId: 1, action: 'add', '@timestamp': 2000 });
  });
});
