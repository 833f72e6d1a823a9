/** `nocflow analyze <file|dir>`: one window's detection report (alert texts, or one JSON document with --json). */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { analyzeRead, type AnalyzeOptions } from '../../engine/analyze.js';
import { workerDestinations } from '../../ingest/window-workers.js';
import { alertText } from '../../engine/alert-text.js';
import { flowSourceFrom } from '../../ingest/flow-source.js';
import { FlowSourceError } from '../../ingest/errors.js';
import type { Anomaly, WindowResult } from '../../engine/types.js';
import { loadConfig } from '../../config/config.js';
import { listNfcapdFiles, parseNfcapdName } from '../../ingest/watcher.js';
import { timeSlotOf } from '../../engine/types.js';
import { DeviceStore } from '../../devices/store.js';
import { openDb, resolveDbPath } from '../../store/db.js';
import { dataDir } from '../../util/paths.js';
import { parseLang } from '../../i18n/labels.js';
import { parsePrefix, IpError } from '../../util/ip.js';
import { checkEngineConfig, thresholdProblems } from '../../config/sections/engine.js';
import { CliError } from '../errors.js';
import { degradedText } from '../../views/limits-text.js';

/** The JSON document of `analyze --json` (the issue's shape, plus evidence and victim details). */
export function analyzeJson(r: WindowResult): unknown {
  return {
    window: { ...r.window, ...(r.partial ? { partial: r.partial } : {}) },
    flows: r.flows,
    ...(r.exporters ? { exporters: r.exporters } : {}),
    anomalies: r.anomalies.map((a: Anomaly) => ({
      ip: a.ip,
      role: a.role,
      type: a.type,
      severity: a.severity,
      score: a.score,
      metrics: a.metrics,
      features: {
        protocols: a.features.protocols,
        dstPorts: a.features.dstPorts,
        packets: a.features.packets,
        bytes: a.features.bytes,
        tcpFlags: a.features.tcpFlags,
        distinct: a.features.distinct,
        synOnlyShare: a.features.synOnlyShare,
        onePacket40Share: a.features.onePacket40Share,
        serverLike: a.features.serverLike,
      },
      ...(a.signature ? { signature: a.signature } : {}),
      ...(a.entryPoints ? { entryPoints: a.entryPoints } : {}),
      ...(a.victim ? { victim: a.victim } : {}),
      ...(a.unit ? { unit: a.unit } : {}),
      ...(a.asn ? { asn: a.asn } : {}),
      ...(a.beacon ? { beacon: a.beacon } : {}),
      ...(a.alsoMatched ? { alsoMatched: a.alsoMatched } : {}),
      ...(a.unusedProbe ? { unusedProbe: a.unusedProbe } : {}),
      evidence: a.evidence,
      topPeers: a.topPeers ?? [],
    })),
    ...(r.degraded ? { degraded: r.degraded } : {}),
  };
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze <path>')
    .description('analyze an nfcapd file, or every completed nfcapd file under a directory, as one 5-minute window')
    .option('--inside <cidrs>', 'campus mode: inside prefixes, comma-separated (default: config engine.inside)')
    .option('--top <n>', 'candidates per ranking indicator (default: config engine.topN, 500)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--window-seconds <s>', 'window length for volume thresholds (default: the flows\' time span, 30..300)')
    .option('--threshold <key=value...>', 'override a threshold, e.g. --threshold scan.peers=500 (see src/engine/rules.ts)')
    .option('--arp', 'name senders to addresses the collected ARP tables hold as unused around the window (unused-probe)')
    .option('--keep-flows <mode>', 'flows for the passes after aggregation: columns (kept in memory), reread (the files read again), auto (default: columns up to 256 MiB)')
    .option('--decode-worker', 'read and decode the files in a worker thread (reads over 32 MiB)')
    .option('--worker', 'the destination side of the aggregation in a worker thread (windows over 200 000 flows; measured slower on a busy 2-core host, see README)')
    .option('--timings', "print the pipeline's stage timers (seconds) on stderr as one line 'timings {json}'")
    .addHelpText(
      'after',
      `
Output: without --json, one alert text per anomaly (English, or Traditional Chinese with --lang zh-TW).
With --json: {"window":{"timeSlot","start","end","partial"?},"flows","exporters"?,"anomalies":[{"ip","role","type",
"severity","score","metrics","features","signature","entryPoints",...}]}. window.partial = {reason, blocksRead,
blocksExpected} when a damaged or cut-short file was read up to the damage (the window holds every intact block);
exporters = [{ip, samplingRate}] as the files name them (volumes of a sampled exporter are estimates).
A missing or unreadable file exits non-zero with one line.`,
    )
    .action(async (target: string, o: { inside?: string; top?: string; json?: boolean; windowSeconds?: string; threshold?: string[]; arp?: boolean; keepFlows?: string; worker?: boolean; decodeWorker?: boolean; timings?: boolean }, cmd: Command) => {
      const lang = parseLang(cmd.optsWithGlobals().lang);
      if (!fs.existsSync(target)) throw new CliError(`no such file or directory: ${target}`);
      const files = fs.statSync(target).isDirectory() ? listNfcapdFiles(target) : [target];
      if (files.length === 0) throw new CliError(`no completed nfcapd files under ${target}`);
      const { engine: cfg, limits } = loadConfig().config;
      const inside = o.inside !== undefined ? o.inside.split(',').map((s) => s.trim()).filter(Boolean) : cfg.inside;
      for (const p of inside) {
        try {
          parsePrefix(p, { loose: true });
        } catch (err) {
          throw new CliError(`--inside: ${(err as IpError).message}`, 2);
        }
      }
      const keepFlows = o.keepFlows ?? 'auto';
      if (keepFlows !== 'auto' && keepFlows !== 'columns' && keepFlows !== 'reread') throw new CliError(`--keep-flows wants columns, reread or auto, got ${o.keepFlows}`, 2);
      const topN = o.top !== undefined ? Number(o.top) : cfg.topN;
      if (!Number.isInteger(topN) || topN < 1) throw new CliError(`--top must be a positive integer, got ${o.top}`, 2);
      const flagThresholds: Record<string, number> = {};
      for (const kv of o.threshold ?? []) {
        const m = /^([\w.-]+)=([\d.e+]+)$/.exec(kv);
        if (!m) throw new CliError(`--threshold wants key=number, got ${kv}`, 2);
        flagThresholds[m[1]] = Number(m[2]);
      }
      // An unknown key (a typo) would silently change nothing: refuse it, and a configuration that cannot be used.
      const problems = [
        ...checkEngineConfig({ engine: o.inside !== undefined ? { ...cfg, inside: [] } : cfg }),
        ...thresholdProblems(flagThresholds, '--threshold').map((l) => l.replace(/^--threshold\./, '--threshold ')),
      ];
      if (problems.length > 0) {
        for (const l of problems.slice(0, -1)) process.stderr.write(`nocflow: ${l}\n`);
        throw new CliError(problems.at(-1)!, 2);
      }
      const thresholds: Record<string, number> = { ...cfg.thresholds, ...flagThresholds };
      // --arp: the window's TimeSlot from the first file's name (as the engine does), and the device history for it.
      const nameTime = parseNfcapdName(path.basename(files[0]));
      const timeSlot = nameTime === undefined ? undefined : timeSlotOf(Math.floor(nameTime / 1000));
      let arpUnused: { addresses: string[]; slots: number[] } | undefined;
      if (o.arp) {
        if (timeSlot === undefined) throw new CliError(`--arp needs nfcapd.YYYYMMDDhhmm file names to date the window: ${path.basename(files[0])}`, 2);
        const db = openDb(resolveDbPath(loadConfig().config.store.path, dataDir()));
        try {
          arpUnused = new DeviceStore(db).unusedAddressesFor(timeSlot);
        } finally {
          db.close();
        }
        if (arpUnused.slots.length === 0) process.stderr.write(`nocflow: no ARP tables collected within 10 minutes of the window (TimeSlot ${timeSlot}); nothing named for them\n`);
      }
      // A one-shot read of any file (a copy in /tmp as often as the collector's): no block index is written for it.
      const source = flowSourceFrom({ ...cfg, blockIndex: false, ...(o.decodeWorker ? { decodeWorker: true } : {}) });
      let result: WindowResult;
      const timings: Record<string, number> = {};
      try {
        const analysis: AnalyzeOptions = {
          topN,
          inside,
          units: cfg.units,
          knownServers: cfg.knownServers,
          thresholds,
          peerCap: cfg.peerCap,
          maxVictimSources: limits.victimSources,
          maxCampusCandidates: limits.campusCandidates,
          windowSeconds: o.windowSeconds ? Number(o.windowSeconds) : undefined,
          files,
          keepFlows,
          ...(o.arp && timeSlot !== undefined ? { timeSlot } : {}),
          ...(arpUnused && arpUnused.addresses.length > 0 ? { arpUnused } : {}),
        };
        result = await analyzeRead((pass) => source.read(files, { onOpen: pass.onOpen, onFile: pass.onFile }), analysis, {
          ...(o.worker ? { destinations: workerDestinations() } : {}),
          ...(o.timings ? { clock: () => performance.now(), timings } : {}),
        });
      } catch (err) {
        if (err instanceof FlowSourceError) throw new CliError(err.message, 1, { cause: err });
        throw err;
      }
      if (o.timings) process.stderr.write(`timings ${JSON.stringify(timings)}\n`);
      if (result.partial) {
        const p = result.partial;
        process.stderr.write(`nocflow: partial window: ${p.reason} (${p.blocksRead} of ${p.blocksExpected} blocks read; every intact block is in the window)\n`);
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify(analyzeJson(result))}\n`);
        return;
      }
      const when = new Date(result.window.start * 1000).toISOString().replace('T', ' ').slice(0, 16);
      const partial = result.partial ? `, PARTIAL (${result.partial.blocksRead} of ${result.partial.blocksExpected} blocks: ${result.partial.reason})` : '';
      const sampled = (result.exporters ?? []).filter((e) => (e.samplingRate ?? 1) > 1);
      const sampling = sampled.length > 0 ? `, sampled 1:${sampled.map((e) => `${e.samplingRate} at ${e.ip}`).join(', 1:')} (volumes are estimates)` : '';
      process.stdout.write(`# window ${result.window.timeSlot} (${when} UTC), ${result.flows.toLocaleString('en-US')} flows, ${result.anomalies.length} anomalies${partial}${sampling}\n`);
      if (result.degraded) process.stdout.write(`# ${lang === 'zh-TW' ? '降級' : 'degraded'}: ${degradedText(result.degraded, lang)}\n`);
      process.stdout.write('\n');
      for (const a of result.anomalies) process.stdout.write(`${alertText(a, lang, result.window.timeSlot)}\n\n`);
    });
}
