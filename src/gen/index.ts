/**
 * The scenario generator as a library: generate a scenario, export it over IPFIX/NetFlow v9 to a real nfcapd on
 * loopback, and hand back the closed nfcapd file with its ground truth.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { FlowExporter } from './exporter.js';
import type { ExportProtocol } from './ipfix.js';
import { COMPRESSION_FLAG, startNfcapd, type NfcapdWriteOptions } from './nfcapd.js';
import { generateScenario, scaleChunks, type ScenarioName, type Truth } from './scenarios.js';
import type { FlowRecord } from '../engine/types.js';
import { listCompleted } from '../ingest/watcher.js';

export { generateScenario, scaleChunks, SCENARIOS, type ScenarioName, type Truth, type Planted } from './scenarios.js';
export { FlowExporter, isLoopback } from './exporter.js';
export { FlowEncoder } from './ipfix.js';
export { startNfcapd, freeUdpPort, nfcapdWriteArgs, type NfcapdWriteOptions } from './nfcapd.js';

/**
 * Send flows (an array or chunks) through a real nfcapd into one closed nfcapd file, moved to `outFile`.
 * Resolves to the path. The collector is stopped with SIGTERM, which closes and names the file.
 */
export async function writeFlowsFile(chunks: Iterable<FlowRecord[]>, outFile: string, opts: { protocol?: ExportProtocol; rate?: number; nfcapd?: NfcapdWriteOptions; intervalSeconds?: number } = {}): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-gen-'));
  const nfcapd = await startNfcapd({ dir: work, interval: opts.intervalSeconds ?? 3600, ...opts.nfcapd });
  const exporter = new FlowExporter({ port: nfcapd.port, protocol: opts.protocol, rate: opts.rate });
  let sent = 0;
  try {
    for (const chunk of chunks) {
      await exporter.send(chunk);
      sent += chunk.length;
    }
    // Let nfcapd drain its socket buffer before it is told to close the file.
    await new Promise((r) => setTimeout(r, 500 + Math.min(5000, sent / 500)));
  } finally {
    exporter.close();
    await nfcapd.stop();
  }
  const files = listCompleted(work).map((f) => f.path);
  if (files.length === 0) throw new Error(`nfcapd wrote no file in ${work}`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  if (files.length === 1) fs.copyFileSync(files[0], outFile);
  else {
    // The write crossed nfcapd's rotation (a full hour of the clock): nfdump joins the files, in order, into one,
    // with the same compression (the flows and the exporters are kept; the appendix's ident is not).
    const compression = opts.nfcapd?.compression;
    const flag = compression ? [COMPRESSION_FLAG[compression]] : [];
    const r = await execa('nfdump', ['-R', `${files[0]}:${path.basename(files.at(-1)!)}`, ...flag, '-w', outFile], { reject: false, env: { TZ: 'UTC' } });
    if (r.exitCode !== 0) throw new Error(`nfcapd rotated during generation (${files.length} files in ${work}) and nfdump could not join them: ${String(r.stderr).trim()}`);
  }
  fs.rmSync(work, { recursive: true, force: true });
  return outFile;
}

/** Generate a scenario into `outFile` (an nfcapd file) and write its truth next to it as `<outFile>.truth.json`. */
export async function writeScenarioFile(name: ScenarioName, outFile: string, opts: { seed?: number; scale?: number; base?: number; protocol?: ExportProtocol } = {}): Promise<{ file: string; truth: Truth }> {
  const g = generateScenario(name, opts);
  const chunks: FlowRecord[][] = [];
  for (let i = 0; i < g.flows.length; i += 20_000) chunks.push(g.flows.slice(i, i + 20_000));
  await writeFlowsFile(chunks, outFile, { protocol: opts.protocol });
  fs.writeFileSync(`${outFile}.truth.json`, JSON.stringify(g.truth, null, 2));
  return { file: outFile, truth: g.truth };
}

/** The benchmark window: `count` flows with millions of distinct IPs. */
export async function writeScaleFile(outFile: string, count: number, opts: { seed?: number } = {}): Promise<string> {
  return writeFlowsFile(scaleChunks(count, opts), outFile, { rate: 350_000 });
}

export { nfcapdName } from '../ingest/watcher.js';
export { generateHuntDay, HUNT_DAY_HOURS, type HuntDayTruth, type MemberTruth } from './hunt-day.js';

/**
 * Write a generated hunt day into `dir` as hourly nfcapd files, each through a real nfcapd, and its truth as
 * `<dir>/hunt-day.truth.json`.
 */
export async function writeHuntDay(dir: string, opts: { day: number; variant?: 1 | 2; seed?: number }): Promise<{ files: string[]; truth: import('./hunt-day.js').HuntDayTruth }> {
  const { generateHuntDay } = await import('./hunt-day.js');
  const g = generateHuntDay(opts);
  const out: string[] = [];
  for (const f of g.files) {
    const chunks: FlowRecord[][] = [];
    for (let i = 0; i < f.flows.length; i += 20_000) chunks.push(f.flows.slice(i, i + 20_000));
    out.push(await writeFlowsFile(chunks, path.join(dir, f.name)));
  }
  fs.writeFileSync(path.join(dir, 'hunt-day.truth.json'), JSON.stringify(g.truth, null, 2));
  return { files: out, truth: g.truth };
}

export { generateIocDay, IOC_DAY, type IocDay, type IocDayOptions } from './ioc-day.js';

/**
 * Write a generated IoC day into `dir`: its nfcapd files (each through a real nfcapd, named by their start in UTC
 * as nfcapd names them) and the day's list as `ioc-list.txt`. Returns the paths and the truth.
 */
export async function writeIocDay(dir: string, opts: import('./ioc-day.js').IocDayOptions): Promise<{ files: string[]; listFile: string; truth: import('./ioc-day.js').IocDay['truth'] }> {
  const { generateIocDay } = await import('./ioc-day.js');
  const { nfcapdName } = await import('../ingest/watcher.js');
  const g = generateIocDay(opts);
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const file of g.files) {
    const out = path.join(dir, nfcapdName(file.time));
    const chunks: FlowRecord[][] = [];
    for (let i = 0; i < file.flows.length; i += 20_000) chunks.push(file.flows.slice(i, i + 20_000));
    await writeFlowsFile(chunks, out);
    files.push(out);
  }
  const listFile = path.join(dir, 'ioc-list.txt');
  fs.writeFileSync(listFile, g.list);
  return { files, listFile, truth: g.truth };
}
