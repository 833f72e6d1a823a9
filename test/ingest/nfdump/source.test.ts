import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { createNfdumpSource, nfdumpArgs } from '../../../src/ingest/nfdump/source.js';
import { FlowSourceError } from '../../../src/ingest/errors.js';
import { dstText, readFlowRecords, srcText } from '../../../src/engine/batch.js';
import { NfdumpPipeParser, parseExporterList } from '../../../src/ingest/nfdump/pipe-text.js';
import type { FlowBatch, FlowFilter, FlowRecord } from '../../../src/engine/types.js';
import { capture, CAPTURES_SKIP, haveCaptures } from '../../helpers/captures.js';
import { makeScenarioFile } from '../../helpers/nfcapd.js';

/** Generated windows through a real nfcapd: a SYN scan (one exporter), a spoofed DDoS (several exporters). */
const GEN: Record<'scan' | 'ddos', { file: string; flows: number; ip: string; dport: number }> = {} as never;
beforeAll(async () => {
  for (const [k, name] of [['scan', 'syn-scan'], ['ddos', 'spoofed-ddos']] as const) {
    const g = await makeScenarioFile(name, { scale: 0.1 });
    GEN[k] = { file: g.file, flows: g.truth.flows, ip: g.truth.planted[0].ip, dport: g.truth.planted[0].dport! };
  }
}, 120_000);

async function collect(files: string[], filter?: FlowFilter): Promise<FlowRecord[]> {
  const out: FlowRecord[] = [];
  for await (const r of readFlowRecords(createNfdumpSource(), files, { filter, batchSize: 997 })) out.push(r);
  return out;
}

/** nfdump's own view of the file through a fmt: format (a different printer than the pipe format we read). */
async function fmtRows(file: string): Promise<string[][]> {
  const { stdout } = await execa('nfdump', ['-r', file, '-q', '-N', '-o', 'fmt:%tsr|%sa|%da|%sp|%dp|%pr|%flg|%pkt|%byt|%ra|%td'], { env: { TZ: 'UTC' } });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('|').map((x) => x.trim()));
}

const FLAG_LETTERS = 'CEUAPRSF';
const flagsOf = (text: string) => [...text].reduce((m, ch, k) => (ch !== '.' && ch === FLAG_LETTERS[k] ? m | (1 << (7 - k)) : m), 0);

describe('nfdump pipe parser (pure)', () => {
  it('parses IPv4 and IPv6 rows, flags, counters and times', () => {
    const batches: FlowBatch[] = [];
    const p = new NfdumpPipeParser((b) => batches.push(b), '127.0.0.2', 10);
    const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
    const lines = [
      `2|1278275056340|1278275056401|6|0|0|0|${v4(64, 13, 134, 52)}|113|0|0|0|${v4(172, 16, 0, 8)}|36050|65001|65002|3|4|20|0|1|46`,
      // 2001:db8::1 -> 2001:db8:0:1::2 as four 32-bit words each
      `10|1700000000005|1700000001505|17|${0x20010db8}|0|0|1|443|${0x20010db8}|1|0|2|51000|0|0|0|0|0|0|1234567890123|99999999999`,
      'garbage|line',
      '2|1|2|6|0|0|0|1|2|0|0|0|3|4|0|0|0|0|0|0|1',
      'No matching flows',
    ];
    const text = Buffer.from(lines.join('\n') + '\n');
    // Split mid-line to exercise chunk boundaries.
    p.push(text.subarray(0, 50));
    p.push(text.subarray(50));
    p.flush();
    expect(batches).toHaveLength(1);
    const b = batches[0];
    expect(b.size).toBe(2);
    expect(p.stats).toEqual({ rows: 2, badLines: 2 });
    expect(b.family[0]).toBe(4);
    expect(b.srcV4[0]).toBe(v4(64, 13, 134, 52));
    expect(b.dstV4[0]).toBe(v4(172, 16, 0, 8));
    expect(b.flags[0]).toBe(16 | 4); // ACK + RST
    expect(b.start[0]).toBe(1278275056340);
    expect(b.end[0]).toBe(1278275056401);
    expect([b.sport[0], b.dport[0], b.inIf[0], b.outIf[0], b.srcAs[0], b.dstAs[0]]).toEqual([113, 36050, 3, 4, 65001, 65002]);
    expect(b.exporters[b.exporterIdx[0]]).toBe('127.0.0.2');
    expect(b.family[1]).toBe(6);
    expect(srcText(b, 1)).toBe('2001:db8::1');
    expect(dstText(b, 1)).toBe('2001:db8:0:1::2');
    expect(b.packets[1]).toBe(1234567890123);
    expect(b.bytes[1]).toBe(99999999999);
    expect(b.proto[1]).toBe(17);
  });

  it('emits full batches at the batch size', () => {
    const sizes: number[] = [];
    const p = new NfdumpPipeParser((b) => sizes.push(b.size), '', 4);
    const line = '2|1000|1000|6|0|0|0|16909060|1|0|0|0|84281096|2|0|0|0|0|2|0|1|40\n';
    p.push(Buffer.from(line.repeat(10)));
    p.flush();
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('reads the exporter list of nfdump -E', () => {
    const text = 'Exporters:\n\nSysID: 1, IP:        127.0.0.1, version: 9, ID:  0, Sequence failures: 0, packets: 76, flows: 2002\nSysID: 2, IP: 2001:db8::9, version: 10, ID: 0, Sequence failures: 0, packets: 1, flows: 5\n';
    expect(parseExporterList(text)).toEqual([{ sysId: 1, ip: '127.0.0.1', flows: 2002 }, { sysId: 2, ip: '2001:db8::9', flows: 5 }]);
  });
});

describe('nfdump source on real nfcapd files', () => {
  it('builds argument arrays, never shell strings', () => {
    expect(nfdumpArgs('/x/nfcapd.202611221405')).toEqual(['-r', '/x/nfcapd.202611221405', '-q', '-o', 'pipe']);
    expect(nfdumpArgs('/x/f', 'host 1.2.3.4; rm -rf /', 3)).toEqual(['-r', '/x/f', '-q', '-o', 'pipe', '(host 1.2.3.4; rm -rf /) and sysid 3']);
  });

  /** Every flow of `file` as nfdump's fmt: printer shows it (an independent oracle for the pipe parser). */
  async function matchesFmt(file: string): Promise<FlowRecord[]> {
    const rows = await collect([file]);
    const ref = await fmtRows(file);
    expect(rows.length).toBe(ref.length);
    const key = (r: { src: string; dst: string; sport: number; dport: number; start: number }) => `${r.src}|${r.dst}|${r.sport}|${r.dport}|${r.start}`;
    const mine = new Map(rows.map((r) => [key(r), r]));
    for (const f of ref) {
      const start = Math.round(Number(f[0]) * 1000);
      const r = mine.get(key({ src: f[1], dst: f[2], sport: +f[3], dport: +f[4], start }));
      expect(r, f.join('|')).toBeDefined();
      expect(r!.proto).toBe(+f[5]);
      expect(r!.flags).toBe(flagsOf(f[6]));
      expect(r!.packets).toBe(+f[7]);
      expect(r!.bytes).toBe(+f[8]);
      expect(r!.exporter).toBe(f[9]);
      expect(r!.end - r!.start).toBe(Math.round(Number(f[10]) * 1000));
    }
    return rows;
  }

  it('reads every flow of a generated window with the values nfdump prints, exporter by exporter (fmt output, independent of pipe)', async () => {
    const scan = await matchesFmt(GEN.scan.file);
    expect(scan.length).toBe(GEN.scan.flows);
    expect(scan.filter((r) => r.src === GEN.scan.ip && r.flags === 2 && r.dport === GEN.scan.dport)).toHaveLength(GEN.scan.flows);
    const ddos = await matchesFmt(GEN.ddos.file);
    expect(ddos.length).toBe(GEN.ddos.flows);
    expect(new Set(ddos.map((r) => r.exporter)).size).toBeGreaterThan(1);
  });

  it.skipIf(!haveCaptures)(`reads every flow of the synscan capture with the values nfdump prints${haveCaptures ? '' : ` — skipped: ${CAPTURES_SKIP}`}`, async () => {
    const rows = await matchesFmt(capture('synscan.ipfix.nfcapd'));
    expect(rows.length).toBeGreaterThan(1000);
    const syn = rows.filter((r) => r.src === '172.16.0.8' && r.flags === 2);
    expect(syn.length).toBeGreaterThan(900);
  });

  it('reads IPv6 flows (fixture made by nfpcapd from a generated IPv6 SYN pcap)', async () => {
    const rows = await collect([path.resolve(__dirname, '../../fixtures/ipv6-syn.nfcapd')]);
    expect(rows.map((r) => `${r.src} ${r.dst} ${r.sport} ${r.dport} ${r.flags} ${r.packets} ${r.bytes}`)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `2001:db8:1:2::abcd 2001:db8:ffff::${i} ${39999 + i} 443 2 1 60`),
    );
    expect(rows[1].start - rows[0].start).toBe(1000);
  });

  it('applies an nfdump filter', async () => {
    // The spoofed sources spread over the address space: a /8 of them and the victim's port select a part.
    const all = await collect([GEN.ddos.file]);
    const octet = all[0].src.split('.')[0];
    const rows = await collect([GEN.ddos.file], { src: [`${octet}.0.0.0/8`], dstPort: [GEN.ddos.dport] });
    const expected = all.filter((r) => r.src.startsWith(`${octet}.`) && r.dport === GEN.ddos.dport);
    expect(rows.length).toBe(expected.length);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(all.length / 10);
    expect(rows.every((r) => r.dport === GEN.ddos.dport && r.src.startsWith(`${octet}.`))).toBe(true);
  });

  it('reports a corrupt file with the file and the reason, and still reads the next', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-src-'));
    const bad = path.join(dir, 'nfcapd.202611220000');
    fs.writeFileSync(bad, Buffer.from('BM this is not an nfcapd file'.repeat(100)));
    const src = createNfdumpSource();
    const err = await (async () => {
      try {
        for await (const _ of src.read([bad])) void _;
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(FlowSourceError);
    expect((err as FlowSourceError).file).toBe(bad);
    expect((err as FlowSourceError).reason).toMatch(/bad magic/);
    const missing = path.join(dir, 'nfcapd.202611220005');
    await expect(collect([missing])).rejects.toThrow(/not a file/);
    expect((await collect([GEN.scan.file])).length).toBe(GEN.scan.flows);
  });

  it('stops nfdump when cancelled', async () => {
    const ac = new AbortController();
    const src = createNfdumpSource();
    let n = 0;
    await expect(
      (async () => {
        for await (const b of src.read([GEN.ddos.file], { signal: ac.signal, batchSize: 100 })) {
          n += b.size;
          ac.abort();
        }
      })(),
    ).rejects.toThrow(/cancel/);
    expect(n).toBe(100);
  });
});
