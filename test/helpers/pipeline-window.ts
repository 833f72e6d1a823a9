/**
 * A generated window for the pipeline's tests, written by the real nfcapd (cached under the OS temp dir): a SYN
 * flood of 1500 distinct sources on 203.0.113.9:80 entering by interfaces with large ifIndex values — 900 flows by
 * 127.0.0.2 ifIndex 0x1a000000 (NX-OS style), 300 by 127.0.0.2 ifIndex 0x1b000000 (the same low 20 bits: the old
 * packing merged the two), 300 by 127.0.0.3 ifIndex 0xfffffff0 — spread through 40 000 background flows from
 * 127.0.0.4, so the file has several blocks (nfcapd writes the background's blocks first: the flood is at the end).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFlowsFile } from '../../src/gen/index.js';
import { rng } from '../../src/gen/scenarios.js';
import type { FlowRecord } from '../../src/engine/types.js';

const GEN = 1;
const BASE = Date.UTC(2026, 10, 22, 14, 5, 0);
export const VICTIM = '203.0.113.9';
/** The flood's entry points as the window must report them (share of the victim's 1500 flows). */
export const FLOOD_ENTRIES = [
  { exporter: '127.0.0.2', interface: 0x1a000000, flows: 900, share: 0.6 },
  { exporter: '127.0.0.2', interface: 0x1b000000, flows: 300, share: 0.2 },
  { exporter: '127.0.0.3', interface: 0xfffffff0, flows: 300, share: 0.2 },
];
export const BACKGROUND_FLOWS = 40_000;

/** The flood and the background, interleaved (one flood flow every ~27 background flows). */
export function floodFlows(): FlowRecord[] {
  const r = rng(11);
  const out: FlowRecord[] = [];
  let flood = 0;
  for (let i = 0; i < BACKGROUND_FLOWS; i++) {
    const start = BASE + Math.floor((i / BACKGROUND_FLOWS) * 290_000);
    out.push({
      src: `198.51.${(i >> 8) & 255}.${i & 255}`, dst: `192.0.2.${1 + (i % 200)}`, sport: 1024 + Math.floor(r() * 60000), dport: [443, 53, 22][i % 3],
      proto: i % 3 === 1 ? 17 : 6, flags: 0x1b, packets: 2 + (i % 20), bytes: 200 + (i % 20) * 700, start, end: start + 800, inIf: 5, outIf: 6,
      exporter: '127.0.0.4', srcAs: 0, dstAs: 0,
    });
    if (i % 26 === 0 && flood < 1500) {
      const k = flood++;
      const [exporter, inIf] = k % 5 < 3 ? ['127.0.0.2', 0x1a000000] : k % 5 === 3 ? ['127.0.0.2', 0x1b000000] : ['127.0.0.3', 0xfffffff0];
      out.push({
        src: `100.${64 + (k >> 8)}.${k & 255}.7`, dst: VICTIM, sport: 30000 + k, dport: 80, proto: 6, flags: 0x02, packets: 1, bytes: 40,
        start, end: start, inIf, outIf: 9, exporter, srcAs: 0, dstAs: 0,
      });
    }
  }
  if (flood !== 1500) throw new Error(`flood has ${flood} flows`);
  return out;
}

/** The flood window as an nfcapd file (nfcapd.202611221405 in its own directory, so the runner can watch it). */
export async function floodFile(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'nocflow-pipeline-fixtures', `g${GEN}`);
  const file = path.join(dir, 'nfcapd.202611221405');
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-pipeline-')), 'out.nfcapd');
  const list = floodFlows();
  const chunks: FlowRecord[][] = [];
  for (let i = 0; i < list.length; i += 20_000) chunks.push(list.slice(i, i + 20_000));
  await writeFlowsFile(chunks, tmp);
  fs.renameSync(tmp, file);
  return file;
}

/** A copy of the first `end` bytes of `file` (a file cut short), under the same name in a new directory. */
export function truncatedCopy(file: string, end: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-partial-'));
  const out = path.join(dir, path.basename(file));
  fs.writeFileSync(out, fs.readFileSync(file).subarray(0, end));
  return out;
}
