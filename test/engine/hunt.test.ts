import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { huntSignature, parseSignature, signatureFilter } from '../../src/engine/hunt.js';
import { batchFromRecords, flow } from '../../src/engine/batch.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { capture, CAPTURES_SKIP, haveCaptures } from '../helpers/captures.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';
import { nfdumpFilterText } from '../../src/ingest/nfdump/filter-text.js';

describe('signature hunting', () => {
  it('parses signatures and refuses malformed ones', () => {
    expect(parseSignature('1433-3-152')).toEqual({ port: 1433, packets: 3, bytes: 152 });
    expect(nfdumpFilterText(signatureFilter(parseSignature('1433-3-152')))).toBe('dst port 1433 and packets 3 and bytes 152');
    for (const bad of ['1433-3', '70000-1-40', 'a-b-c', '1433-3-152; rm', '']) expect(() => parseSignature(bad), bad).toThrow();
  });

  it('ranks the quiet members of a signature by destinations reached, ignoring other shapes', async () => {
    const recs = [];
    const members = [['198.51.100.1', 300], ['198.51.100.2', 120], ['198.51.100.3', 7]] as const;
    for (const [ip, n] of members) {
      for (let i = 0; i < n; i++) recs.push(flow({ src: ip, dst: `10.9.${i >> 8}.${i & 255}`, sport: 40000 + (i % 50), dport: 1433, packets: 3, bytes: 152 }));
    }
    // Same port, other shape: not a member.
    for (let i = 0; i < 500; i++) recs.push(flow({ src: '203.0.113.50', dst: `10.8.${i >> 8}.${i & 255}`, dport: 1433, packets: 1, bytes: 40 }));
    const rows = await huntSignature([batchFromRecords(recs)], parseSignature('1433-3-152'));
    expect(rows.map((r) => [r.ip, r.destinations, r.flows, r.sourcePorts])).toEqual([
      ['198.51.100.1', 300, 300, 50],
      ['198.51.100.2', 120, 120, 50],
      ['198.51.100.3', 7, 7, 7],
    ]);
    const big = await huntSignature([batchFromRecords(recs)], parseSignature('1433-3-152'), { minDestinations: 100 });
    expect(big).toHaveLength(2);
  });

  it('hunts in a generated nfcapd file through the filter: the scanner, each SYN to its own destination', async () => {
    const { file, truth } = await makeScenarioFile('syn-scan', { scale: 0.1 });
    const planted = truth.planted[0];
    const sig = parseSignature(planted.signature!);
    const rows = await huntSignature(createNfdumpSource().read([file], { filter: signatureFilter(sig) }), sig);
    expect(rows.map((r) => [r.ip, r.flows])).toEqual([[planted.ip, truth.flows]]);
    expect(rows[0].destinations).toBeGreaterThan(truth.flows * 0.99);
    // Another shape of the same port finds nobody.
    expect(await huntSignature(createNfdumpSource().read([file], { filter: signatureFilter({ ...sig, bytes: 41 }) }), { ...sig, bytes: 41 })).toEqual([]);
  }, 60_000);

  it.skipIf(!haveCaptures)(`hunts in a real capture through an nfdump filter${haveCaptures ? '' : ` — skipped: ${CAPTURES_SKIP}`}`, async () => {
    const file = capture('pkt.TCP.DOMINATE.syn.ecn.cwr.ipfix.nfcapd');
    const sig = parseSignature('30120-1-46');
    const rows = await huntSignature(createNfdumpSource().read([file], { filter: signatureFilter(sig) }), sig);
    expect(rows.length).toBeGreaterThan(9000);
    expect(rows.every((r) => r.destinations === 1)).toBe(true);
  });
});
