import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { execa } from 'execa';
import { batchFromRecords, flow } from '../../src/engine/batch.js';
import { compileFilter, FilterError, numericPrefix, validateFilter } from '../../src/engine/filter.js';
import type { FlowBatch, FlowFilter } from '../../src/engine/types.js';
import { nfdumpFilterText } from '../../src/ingest/nfdump/filter-text.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const IPV6 = path.resolve(__dirname, '../fixtures/ipv6-syn.nfcapd');

/** Rows of a file matched by the compiled filter, reading everything (no filter at the reader). */
async function ours(file: string, f: FlowFilter): Promise<number> {
  const m = compileFilter(f);
  let n = 0;
  for await (const b of createNfdumpSource().read([file])) for (let i = 0; i < b.size; i++) if (m(b, i)) n++;
  return n;
}

/** nfdump's own count for the rendered text (the oracle). */
async function theirs(file: string, f: FlowFilter): Promise<number> {
  const text = nfdumpFilterText(f);
  const r = await execa('nfdump', ['-r', file, '-q', '-o', 'pipe', ...(text ? [text] : [])], { env: { TZ: 'UTC' } });
  return r.stdout.split('\n').filter((l) => /^\d/.test(l)).length;
}

describe('FlowFilter: compiled matcher and nfdump text select the same flows', () => {
  it('on a generated mixed window, for hosts, nets, ports, protocols, ranges and alternatives', async () => {
    const { file, truth } = await makeScenarioFile('mixed');
    const attacker = truth.planted[0].ip;
    const filters: FlowFilter[] = [
      { host: [attacker] },
      { src: [attacker] },
      { dst: [`${attacker.split('.').slice(0, 2).join('.')}.0.0/16`] },
      { proto: [17] },
      { proto: [6], dstPort: [22, 23, 80] },
      { srcPort: [53] },
      { port: [443] },
      { packets: { min: 1, max: 1 } },
      { packets: { min: 3 }, bytes: { max: 200 } },
      { bytes: { min: 40, max: 40 } },
      { anyOf: [{ dstPort: [22], packets: { min: 1, max: 1 } }, { proto: [17], dstPort: [53] }] },
    ];
    const counts: number[] = [];
    for (const f of filters) {
      const [a, b] = [await ours(file, f), await theirs(file, f)];
      expect({ f, n: a }).toEqual({ f, n: b });
      counts.push(a);
    }
    // The filters are not trivial: each selects something, none selects everything.
    const all = await ours(file, {});
    for (const n of counts.slice(0, 3)) expect(n).toBeGreaterThan(0);
    expect(counts.every((n) => n < all)).toBe(true);
  });

  it('on IPv6 flows: words compared under the mask', async () => {
    for (const f of [{ host: ['2001:db8::1'] }, { src: ['2001:db8::/32'] }, { dst: ['2001:db8:0:1::/64'] }, { dst: ['2001:db9::/32'] }] as FlowFilter[]) {
      expect(await ours(IPV6, f)).toBe(await theirs(IPV6, f));
    }
    expect(await ours(IPV6, { src: ['2001:db8::/32'] })).toBeGreaterThan(0);
  });

  it('a prefix matches only its own family and its own bits', () => {
    const b: FlowBatch = batchFromRecords([
      flow({ src: '10.1.2.3', dst: '192.0.2.9' }),
      flow({ src: '10.1.3.3', dst: '192.0.2.9' }),
      flow({ src: '2001:db8::5', dst: '2001:db8:1::9' }),
    ]);
    const m = compileFilter({ src: ['10.1.2.0/24'] });
    expect([0, 1, 2].map((i) => m(b, i))).toEqual([true, false, false]);
    const m6 = compileFilter({ host: ['2001:db8:1::/48'] });
    expect([0, 1, 2].map((i) => m6(b, i))).toEqual([false, false, true]);
    expect(numericPrefix('10.1.2.3/8')).toEqual({ family: 4, net: 0x0a000000, mask: 0xff000000 });
  });

  it('refuses a bad value with its path, and never renders it', () => {
    expect(() => validateFilter({ host: ['10.0.0.0/33'] })).toThrow(FilterError);
    expect(() => validateFilter({ anyOf: [{ dstPort: [70000] }] })).toThrow(/filter\.anyOf\[0\]\.dstPort\[0\]/);
    expect(() => nfdumpFilterText({ src: ['1.2.3.4; rm -rf /'] })).toThrow(/filter\.src\[0\]/);
    expect(() => compileFilter({ proto: [256] })).toThrow(/filter\.proto\[0\]/);
    expect(nfdumpFilterText({ dst: ['10.1.2.3/24'], dstPort: [80, 443] })).toBe('dst net 10.1.2.0/24 and dst port in [ 80 443 ]');
    expect(nfdumpFilterText({})).toBe('');
  });
});
