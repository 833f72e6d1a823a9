import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { createNfdumpSource, FlowSourceError, nfdumpArgs, readFlowRecords } from '../../src/engine/nfdump-source.js';
import { NfdumpTextParser, NFDUMP_FMT } from '../../src/engine/nfdump-text.js';
import type { FlowBatch, FlowRecord } from '../../src/engine/types.js';

const CAPTURES = path.resolve(__dirname, '../../../shared/captures');
const SYNSCAN = path.join(CAPTURES, 'synscan.ipfix.nfcapd');
const DOMINATE = path.join(CAPTURES, 'pkt.TCP.DOMINATE.syn.ecn.cwr.ipfix.nfcapd');

async function collect(files: string[], filter?: string): Promise<FlowRecord[]> {
  const out: FlowRecord[] = [];
  for await (const r of readFlowRecords(createNfdumpSource(), files, { filter, batchSize: 997 })) out.push(r);
  return out;
}

/** nfdump's own view of the file through the legacy all-numeric pipe format, for comparison. */
async function pipeRows(file: string): Promise<string[][]> {
  const { stdout } = await execa('nfdump', ['-r', file, '-q', '-o', 'pipe'], { env: { TZ: 'UTC' } });
  return stdout.split('\n').filter(Boolean).map((l) => l.split('|'));
}

describe('nfdump text parser (pure)', () => {
  it('parses IPv4 and IPv6 rows, flags, counters and times', () => {
    const batches: FlowBatch[] = [];
    const p = new NfdumpTextParser((b) => batches.push(b), 10);
    const lines = [
      '1278275056.340|           0.061|   64.13.134.52|     172.16.0.8|   113| 36050|6    |...A.R..|       1|      46|     3|     4|      127.0.0.2|  65001|   65002',
      '1700000000.005|           1.500| 2001:db8::1| 2001:db8:0:1::2|   443| 51000|17   |........| 1234567890123|  99999999999|     0|     0|      127.0.0.1|     0|     0',
      'garbage line',
      'No matching flows',
    ];
    // Split mid-line to exercise chunk boundaries.
    const text = Buffer.from(lines.join('\n') + '\n');
    p.push(text.subarray(0, 50));
    p.push(text.subarray(50));
    p.flush();
    expect(batches).toHaveLength(1);
    const b = batches[0];
    expect(b.size).toBe(2);
    expect(p.stats).toEqual({ rows: 2, badLines: 1 });
    expect(b.family[0]).toBe(4);
    expect(b.srcV4[0]).toBe(((64 << 24) >>> 0) + (13 << 16) + (134 << 8) + 52);
    expect(b.flags[0]).toBe(16 | 4); // ACK + RST
    expect(b.start[0]).toBe(1278275056340);
    expect(b.end[0]).toBe(1278275056401);
    expect([b.inIf[0], b.outIf[0], b.srcAs[0], b.dstAs[0]]).toEqual([3, 4, 65001, 65002]);
    expect(b.exporters[b.exporterIdx[0]]).toBe('127.0.0.2');
    expect(b.family[1]).toBe(6);
    expect(b.src6[1]).toBe('2001:db8::1');
    expect(b.dst6[1]).toBe('2001:db8:0:1::2');
    expect(b.packets[1]).toBe(1234567890123);
    expect(b.bytes[1]).toBe(99999999999);
    expect(b.proto[1]).toBe(17);
    expect(b.end[1] - b.start[1]).toBe(1500);
  });

  it('emits full batches at the batch size', () => {
    const sizes: number[] = [];
    const p = new NfdumpTextParser((b) => sizes.push(b.size), 4);
    const line = '1.000|0.000|1.2.3.4|5.6.7.8|1|2|6|......S.|1|40|0|0|127.0.0.1|0|0\n';
    p.push(Buffer.from(line.repeat(10)));
    p.flush();
    expect(sizes).toEqual([4, 4, 2]);
  });
});

describe('nfdump source on real nfcapd files', () => {
  it('builds argument arrays, never shell strings', () => {
    expect(nfdumpArgs('/x/nfcapd.202611221405', 4)).toEqual(['-r', '/x/nfcapd.202611221405', '-q', '-N', '-o', NFDUMP_FMT, 'inet']);
    expect(nfdumpArgs('/x/f', 6, 'host 1.2.3.4; rm -rf /')).toEqual(['-r', '/x/f', '-q', '-N', '-6', '-o', NFDUMP_FMT, '(host 1.2.3.4; rm -rf /) and inet6']);
  });

  it('reads every flow of the synscan capture with the values nfdump prints', async () => {
    const rows = await collect([SYNSCAN]);
    const pipe = await pipeRows(SYNSCAN);
    expect(rows.length).toBe(pipe.length);
    expect(rows.length).toBeGreaterThan(1000);
    // Compare a sample of rows field by field with the pipe format (af|first|last|proto|sa*4|sp|da*4|dp|...|flags|tos|pkts|bytes).
    const key = (r: { src: string; dst: string; sport: number; dport: number; start: number }) => `${r.src}|${r.dst}|${r.sport}|${r.dport}|${r.start}`;
    const mine = new Map(rows.map((r) => [key(r), r]));
    for (const f of pipe.slice(0, 200)) {
      const ip = (n: string) => { const v = Number(n); return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`; };
      const r = mine.get(key({ src: ip(f[7]), dst: ip(f[12]), sport: +f[8], dport: +f[13], start: +f[1] }));
      expect(r, f.join('|')).toBeDefined();
      expect(r!.end).toBe(+f[2]);
      expect(r!.proto).toBe(+f[3]);
      expect(r!.flags).toBe(+f[18]);
      expect(r!.packets).toBe(+f[20]);
      expect(r!.bytes).toBe(+f[21]);
    }
    const syn = rows.filter((r) => r.src === '172.16.0.8' && r.flags === 2);
    expect(syn.length).toBeGreaterThan(900);
  });

  it('applies an nfdump filter', async () => {
    const rows = await collect([DOMINATE], 'dst port 30120');
    expect(rows.length).toBeGreaterThan(5000);
    expect(rows.every((r) => r.dport === 30120)).toBe(true);
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
    expect((await collect([SYNSCAN])).length).toBeGreaterThan(1000);
  });

  it('stops nfdump when cancelled', async () => {
    const ac = new AbortController();
    const src = createNfdumpSource();
    let n = 0;
    await expect(
      (async () => {
        for await (const b of src.read([DOMINATE], { signal: ac.signal, batchSize: 100 })) {
          n += b.size;
          ac.abort();
        }
      })(),
    ).rejects.toThrow(/cancel/);
    expect(n).toBe(100);
  });
});
