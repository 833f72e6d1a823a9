/**
 * nfdump as the test oracle for flow readers: every flow of a file as one line of text, from `nfdump -o pipe` (all
 * numeric fields, IPv6 as four words) and `-6 -o fmt:%ra` (the exporter), run with argument arrays and TZ=UTC.
 * The same line is built from a FlowBatch row, so two readers compare row for row as arrays of strings.
 */
import { execa } from 'execa';

/** Pipe columns kept: af|first|last|proto|sa0..3|sp|da0..3|dp|srcas|dstas|in|out|flags (tos dropped)|pkts|bytes. */
const KEEP = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21];

/** nfdump's rows of `file`, in file order, as `pipe fields|exporter`; the exporter is '' where nfdump has none. */
export async function nfdumpRows(file: string, extra: string[] = []): Promise<string[]> {
  const env = { TZ: 'UTC' };
  const [pipe, ra] = await Promise.all([
    execa('nfdump', ['-r', file, '-q', '-o', 'pipe', ...extra], { env, stdin: 'ignore', maxBuffer: 1e9 }),
    execa('nfdump', ['-6', '-r', file, '-q', '-o', 'fmt:%ra', ...extra], { env, stdin: 'ignore', maxBuffer: 1e9 }),
  ]);
  const rows = lines(String(pipe.stdout));
  const exporters = lines(String(ra.stdout)).map((x) => (x === '0.0.0.0' || x === '::' ? '' : x));
  if (rows.length !== exporters.length) throw new Error(`nfdump printed ${rows.length} pipe rows but ${exporters.length} exporters for ${file}`);
  return rows.map((r, i) => {
    const c = r.split('|');
    return `${KEEP.map((k) => c[k]).join('|')}|${exporters[i]}`;
  });
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('No matching'));
}

/** The columns of a batch that the oracle line needs (any FlowBatch shape with IPv6 as 4 words per row). */
export interface OracleBatch {
  size: number;
  family: Uint8Array;
  srcV4: Uint32Array;
  dstV4: Uint32Array;
  src6: Uint32Array;
  dst6: Uint32Array;
  sport: Uint16Array;
  dport: Uint16Array;
  proto: Uint8Array;
  flags: Uint8Array;
  packets: Float64Array;
  bytes: Float64Array;
  start: Float64Array;
  end: Float64Array;
  inIf: Uint32Array;
  outIf: Uint32Array;
  exporterIdx: Uint16Array;
  exporters: string[];
  srcAs: Uint32Array;
  dstAs: Uint32Array;
}

/** Row `i` of a batch as the oracle's line. */
export function batchRowLine(b: OracleBatch, i: number): string {
  const v6 = b.family[i] === 6;
  const w = i * 4;
  const sa = v6 ? [b.src6[w], b.src6[w + 1], b.src6[w + 2], b.src6[w + 3]] : [0, 0, 0, b.srcV4[i]];
  const da = v6 ? [b.dst6[w], b.dst6[w + 1], b.dst6[w + 2], b.dst6[w + 3]] : [0, 0, 0, b.dstV4[i]];
  return [v6 ? 10 : 2, b.start[i], b.end[i], b.proto[i], ...sa, b.sport[i], ...da, b.dport[i], b.srcAs[i], b.dstAs[i], b.inIf[i], b.outIf[i], b.flags[i], b.packets[i], b.bytes[i], b.exporters[b.exporterIdx[i]] ?? '?'].join('|');
}

/** Every row of some batches as oracle lines. */
export function batchLines(batches: Iterable<OracleBatch>): string[] {
  const out: string[] = [];
  for (const b of batches) for (let i = 0; i < b.size; i++) out.push(batchRowLine(b, i));
  return out;
}
