/**
 * The JavaScript half of the aggregation floor (bench/floor.ts): nocflow's own WindowAggregator (in-thread, the
 * default) over the same IPv4 columns the C program reads, in batches of 65 536 rows, pre-sized as the engine does
 * from the stat record; prints one JSON line with the same counts and the seconds of the adds and of the merge.
 * Usage: node dist/bench/floor-js.js <column prefix>
 */
import fs from 'node:fs';
import { WindowAggregator } from '../src/engine/aggregate.js';
import { createBatch } from '../src/engine/batch.js';

const prefix = process.argv[2];
const column = <T>(ext: string, ctor: new (b: ArrayBuffer, o: number, n: number) => T, bytes: number): T => {
  const buf = fs.readFileSync(`${prefix}.${ext}`);
  const copy = new ArrayBuffer(buf.length);
  new Uint8Array(copy).set(buf);
  return new ctor(copy, 0, buf.length / bytes);
};
const S = column('src', Uint32Array, 4), D = column('dst', Uint32Array, 4), P = column('dport', Uint16Array, 2);
const K = column('packets', Float32Array, 4), B = column('bytes', Float32Array, 4);
const n = S.length;
const SIZE = 65_536;
const batches = [];
for (let i0 = 0; i0 < n; i0 += SIZE) {
  const m = Math.min(SIZE, n - i0);
  const b = createBatch(m);
  b.size = m;
  b.family.fill(4);
  b.srcV4.set(S.subarray(i0, i0 + m));
  b.dstV4.set(D.subarray(i0, i0 + m));
  b.dport.set(P.subarray(i0, i0 + m));
  b.packets.set(K.subarray(i0, i0 + m));
  b.bytes.set(B.subarray(i0, i0 + m));
  batches.push(b);
}
const agg = new WindowAggregator({ noColumns: true });
agg.reserve(n);
const t0 = performance.now();
for (const b of batches) agg.add(b);
const t1 = performance.now();
const a = await agg.result(async function* () {});
const t2 = performance.now();
let destinations = 0;
for (let id = 0; id < a.ips.size; id++) if (a.hosts.value('inFlows', id) > 0) destinations++;
const sources = a.hosts.sources;
console.log(JSON.stringify({ mode: 'nocflow', rows: n, sources, destinations, pairs: agg.pairs.size, ips: a.ips.size, phases: [(t1 - t0) / 1000, 0, (t2 - t1) / 1000], seconds: (t2 - t0) / 1000 }));
