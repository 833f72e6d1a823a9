/**
 * The SSH collector: one device → its parsed tables (`collectDevice`), all devices with a concurrency limit
 * (`collectDevices`), and the component that runs a collection at every 5-minute boundary and on demand
 * (`createDeviceCollector`). A failing device is reported in its result and never stops the others.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceSpec, DevicesConfig } from '../config/sections/devices.js';
import { timeSlotOf } from '../engine/types.js';
import { canonicalIp } from '../util/ip.js';
import { dataDir } from '../util/paths.js';
import { commandsFor, KIND_PROFILES, type DeviceKind } from './kinds.js';
import { checkHostKey } from './known-hosts.js';
import { appendKnownHost, loadKnownHosts } from './known-hosts-file.js';
import { mergeSlot, type DeviceDocSink, type DeviceTables, type MergedSlot } from './merge.js';
import { parseTable, type ArpEntry, type MacEntry, type ParseResult } from './parsers.js';
import { tableReport, tableWarnings, type TableReport } from './table-report.js';
import { DeviceError, runCommands, type DeviceErrorReason, type SessionStats } from './ssh-session.js';

/** The outcome of collecting one device. */
export interface DeviceResult {
  device: string;
  kind: DeviceKind;
  host: string;
  ok: boolean;
  reason?: DeviceErrorReason;
  error?: string;
  /** Epoch ms when the collection started. */
  timestamp: number;
  durationMs: number;
  arp: ArpEntry[];
  mac: MacEntry[];
  /** Lines the parsers could not read, over all tables. */
  skipped: number;
  skippedSamples: string[];
  /** Each collected table: command, lines read and skipped with samples, layouts, and the unreadable verdict. */
  tables: TableReport[];
  /** What deserves the operator's eye though the collection worked (a refused command, an unreadable table). */
  warnings: string[];
  morePrompts: number;
  /** True when the host key was unknown and has just been recorded (trust on first use). */
  hostKeyRecorded: boolean;
}

/** One collection over all (or some) devices. */
export interface CollectionRun {
  timeSlot: number;
  startedAt: number;
  results: DeviceResult[];
  merged: MergedSlot;
}

/** What the collector needs from the outside. */
export interface CollectDeps {
  /** Clock (epoch ms); defaults to Date.now. */
  now?: () => number;
  /** known_hosts file; defaults to config `knownHostsFile` or <data dir>/known_hosts. */
  knownHostsFile?: string;
  /** Most bytes of one command's output (limits.deviceOutputBytes). */
  maxOutputBytes?: number;
}

/** The known_hosts file in effect. */
export function knownHostsPath(config: DevicesConfig, deps: CollectDeps = {}): string {
  return deps.knownHostsFile ?? (config.knownHostsFile || path.join(dataDir(), 'known_hosts'));
}

/** Collect one device's tables. Never throws: failures come back as `ok: false` with a reason. */
export async function collectDevice(spec: DeviceSpec, config: DevicesConfig, deps: CollectDeps = {}): Promise<DeviceResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const port = spec.port ?? 22;
  const result: DeviceResult = {
    device: spec.name, kind: spec.kind, host: spec.host, ok: false, timestamp: started, durationMs: 0,
    arp: [], mac: [], skipped: 0, skippedSamples: [], tables: [], warnings: [], morePrompts: 0, hostKeyRecorded: false,
  };
  const stats: SessionStats = { morePrompts: 0, bytes: 0 };
  try {
    const profile = KIND_PROFILES[spec.kind];
    if (!profile) throw new DeviceError(`${spec.name}: unknown kind ${String(spec.kind)}`, spec.name, 'config');
    if (!canonicalIp(spec.host) && !/^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(spec.host)) {
      throw new DeviceError(`${spec.name}: host is neither an IP address nor a host name`, spec.name, 'config');
    }
    const want = spec.collect && spec.collect.length > 0 ? spec.collect : (['arp', 'mac'] as const).slice();
    const cmds = commandsFor(spec.kind, [...want]);
    let privateKey: Buffer | undefined;
    if (spec.keyFile) {
      try {
        privateKey = fs.readFileSync(spec.keyFile);
      } catch (err) {
        throw new DeviceError(`${spec.name}: cannot read key file ${spec.keyFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, spec.name, 'config', { cause: err });
      }
    } else if (spec.password === undefined) {
      throw new DeviceError(`${spec.name}: neither keyFile nor password is configured`, spec.name, 'config');
    }
    const khFile = knownHostsPath(config, deps);
    const outputs = await runCommands(
      {
        device: spec.name,
        host: spec.host,
        port,
        username: spec.user,
        ...(privateKey ? { privateKey, ...(spec.passphrase ? { passphrase: spec.passphrase } : {}) } : { password: spec.password }),
        connectTimeoutMs: config.connectTimeoutMs,
        commandTimeoutMs: config.commandTimeoutMs,
        ...(spec.legacyAlgorithms ? { legacyAlgorithms: true } : {}),
        ...(deps.maxOutputBytes ? { maxOutputBytes: deps.maxOutputBytes } : {}),
        verifyHostKey: (blob) => {
          const verdict = checkHostKey(loadKnownHosts(khFile), spec.host, port, blob);
          if (verdict === 'match') return undefined;
          if (verdict === 'unknown' && config.trustOnFirstUse) {
            appendKnownHost(khFile, spec.host, port, blob);
            result.hostKeyRecorded = true;
            return undefined;
          }
          return `hostkey-${verdict}` as 'hostkey-unknown' | 'hostkey-changed' | 'hostkey-revoked';
        },
      },
      profile.pagingOff,
      cmds.map((c) => (c.fallbacks ? [c.command, ...c.fallbacks] : c.command)),
      stats,
    );
    cmds.forEach((c, i) => {
      const { command, output, refused } = outputs[i];
      let parsed: ParseResult<unknown>;
      if (c.table === 'arp') {
        const r = parseTable(spec.kind, 'arp', output);
        result.arp = r.entries;
        parsed = r;
      } else {
        const r = parseTable(spec.kind, 'mac', output);
        result.mac = r.entries;
        parsed = r;
      }
      result.skipped += parsed.skipped;
      result.skippedSamples.push(...parsed.skippedSamples);
      const report = tableReport(c.table, command, parsed, refused);
      result.tables.push(report);
      result.warnings.push(...tableWarnings(report));
    });
    result.ok = true;
  } catch (err) {
    const e = err instanceof DeviceError ? err : new DeviceError(`${spec.name}: ${(err as Error).message}`, spec.name, 'connect', { cause: err });
    result.reason = e.reason;
    result.error = e.message;
  }
  result.morePrompts = stats.morePrompts;
  result.durationMs = Math.max(0, now() - started);
  return result;
}

/** Run `fn` over `items` with at most `limit` at a time, keeping the input order in the results. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Collect every configured device (or those named in `only`) and merge the slot. */
export async function collectDevices(config: DevicesConfig, deps: CollectDeps = {}, only?: string[]): Promise<CollectionRun> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const timeSlot = timeSlotOf(Math.floor(startedAt / 1000));
  const specs = only && only.length > 0 ? config.list.filter((d) => only.includes(d.name)) : config.list;
  const results = await mapLimit(specs, config.concurrency, (s) => collectDevice(s, config, deps));
  const tables: DeviceTables[] = results.filter((r) => r.ok).map((r) => ({ device: r.device, timestamp: r.timestamp, arp: r.arp, mac: r.mac }));
  return { timeSlot, startedAt, results, merged: mergeSlot(timeSlot, tables) };
}

/** Where a collection run is kept (the SQLite DeviceStore implements this). */
export interface RunRecorder {
  saveRun(run: CollectionRun): void;
}

/** Dependencies of the scheduled collector. */
export interface CollectorDeps extends CollectDeps {
  store?: RunRecorder;
  /** Receivers of each slot's merged documents (e.g. the Elasticsearch writer). */
  sinks?: DeviceDocSink[];
  /** Called with each finished run (after saving). */
  onRun?: (run: CollectionRun) => void;
  /** Timer functions (tests inject fakes). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Problems that are not a device's (store or sink failures): counted and reported here. */
  onError?: (err: Error) => void;
}

/** Counters of the scheduled collector. */
export interface CollectorCounters {
  runs: number;
  devicesOk: number;
  devicesFailed: number;
  /** Boundaries skipped because the previous run was still going. */
  overlapsSkipped: number;
  sinkErrors: number;
  storeErrors: number;
  /** Tables reported unreadable or refused (TableReport.unreadable), over all runs. */
  tablesUnreadable: number;
}

/** The device collector component. */
export interface DeviceCollector {
  start(): void;
  /** Stop scheduling; resolves when a run in progress has finished (so the caller can close the database). */
  stop(): Promise<void>;
  /** Collect now (all devices or those named), save, and hand the merged slot to the sinks. */
  collectAll(only?: string[]): Promise<CollectionRun>;
  /** Milliseconds from `nowMs` to the next 5-minute boundary. */
  msToNextBoundary(nowMs: number): number;
  counters(): CollectorCounters;
  lastRun(): CollectionRun | undefined;
}

const SLOT_MS = 300_000;

/** Create the collector: inert until start(), which fires a collection at every 5-minute boundary. */
export function createDeviceCollector(config: DevicesConfig, deps: CollectorDeps = {}): DeviceCollector {
  const now = deps.now ?? Date.now;
  const setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  const counters: CollectorCounters = { runs: 0, devicesOk: 0, devicesFailed: 0, overlapsSkipped: 0, sinkErrors: 0, storeErrors: 0, tablesUnreadable: 0 };
  let timer: unknown;
  let running: Promise<CollectionRun> | undefined;
  let last: CollectionRun | undefined;
  let started = false;

  const msToNextBoundary = (t: number) => SLOT_MS - (((t % SLOT_MS) + SLOT_MS) % SLOT_MS);

  const once = async (only?: string[]): Promise<CollectionRun> => {
    const run = await collectDevices(config, deps, only);
    counters.runs++;
    for (const r of run.results) {
      r.ok ? counters.devicesOk++ : counters.devicesFailed++;
      counters.tablesUnreadable += r.tables.filter((t) => t.unreadable).length;
    }
    try {
      deps.store?.saveRun(run);
    } catch (err) {
      counters.storeErrors++;
      deps.onError?.(new Error(`saving device collection of slot ${run.timeSlot}: ${(err as Error).message}`, { cause: err }));
    }
    for (const s of deps.sinks ?? []) {
      try {
        await s.onMerged(run.merged);
      } catch (err) {
        counters.sinkErrors++;
        deps.onError?.(new Error(`device doc sink failed for slot ${run.timeSlot}: ${(err as Error).message}`, { cause: err }));
      }
    }
    last = run;
    deps.onRun?.(run);
    return run;
  };

  const collectAll = (only?: string[]) => {
    // Runs are serialized: an on-demand request waits for the one in progress, then runs.
    const prev = running ?? Promise.resolve(undefined);
    const p = prev.catch(() => undefined).then(() => once(only));
    running = p;
    void p.finally(() => {
      if (running === p) running = undefined;
    }).catch(() => undefined);
    return p;
  };

  const schedule = (afterFire: boolean) => {
    if (!started) return;
    let ms = msToNextBoundary(now());
    // A timer that fires a hair before the boundary must not fire twice for it.
    if (afterFire && ms < 1000) ms += SLOT_MS;
    timer = setTimer(() => {
      if (!started) return;
      if (running) counters.overlapsSkipped++;
      else if (config.list.length > 0) void collectAll().catch((err: Error) => deps.onError?.(err));
      schedule(true);
    }, ms);
  };

  return {
    start() {
      if (started) return;
      started = true;
      schedule(false);
    },
    stop() {
      started = false;
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
      return running ? running.then(() => undefined, () => undefined) : Promise.resolve();
    },
    collectAll,
    msToNextBoundary,
    counters: () => ({ ...counters }),
    lastRun: () => last,
  };
}
