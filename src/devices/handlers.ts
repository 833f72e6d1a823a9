/** The engine-socket handlers of the devices area: devices.collect, devices.where, devices.anomalies, devices.status. */
import type { DevicesConfig } from '../config/sections/devices.js';
import type { WindowResult } from '../engine/types.js';
import { RpcError, type HandlerTable } from '../daemon/protocol.js';
import { ipMoves, macsWithSeveralIps } from './anomalies.js';
import type { CollectionRun, DeviceCollector } from './collector.js';
import type { DeviceStore } from './store.js';
import { whereLookup, WhereQueryError, type WhereAnswer } from './where.js';

/** What the handlers need. */
export interface DevicesHandlerDeps {
  config: DevicesConfig;
  store: DeviceStore;
  /** The running collector; without it devices.collect answers UNAVAILABLE. */
  collector?: DeviceCollector;
  /**
   * The engine's ARP-confirmed probers of a flow window (its `unused-probe` evidence), for the window at or before
   * `timeSlot` (default: the newest window).
   */
  probersAt?: (timeSlot?: number) => { timeSlot: number; probers: Prober[] } | undefined;
}

/** A sender the engine named for reaching unused addresses. */
export interface Prober {
  ip: string;
  role: 'attacker';
  type: string;
  targets: string[];
  total: number;
  flows: number;
  reason: string;
}

/** The ARP-confirmed probers of a window: its attackers that carry `unusedProbe` evidence. Pure. */
export function probersOfWindow(w: WindowResult): Prober[] {
  return w.anomalies.flatMap((a) =>
    a.unusedProbe && a.role === 'attacker'
      ? [{ ip: a.ip, role: 'attacker' as const, type: a.type, targets: a.unusedProbe.targets, total: a.unusedProbe.total, flows: a.unusedProbe.flows, reason: a.unusedProbe.reason }]
      : [],
  );
}

/** Where stored windows are read (the engine's SQLite store satisfies it). */
export interface StoredWindows {
  latestWindow(): WindowResult | undefined;
  windowAtSlot(slot: number): WindowResult | undefined;
}

/** `probersAt` over stored windows: the probers of the window at or before `slot`, else of the newest. */
export function probersFrom(windows: StoredWindows): NonNullable<DevicesHandlerDeps['probersAt']> {
  return (slot) => {
    const w = slot === undefined ? windows.latestWindow() : windows.windowAtSlot(slot);
    return w ? { timeSlot: w.window.timeSlot, probers: probersOfWindow(w) } : undefined;
  };
}

/** A run summarized for the socket and the CLI (no table bodies). */
export function summarizeRun(run: CollectionRun) {
  return {
    timeSlot: run.timeSlot,
    startedAt: run.startedAt,
    macDocs: run.merged.byMac.length,
    ipDocs: run.merged.byIp.length,
    results: run.results.map((r) => ({
      device: r.device, kind: r.kind, ok: r.ok, reason: r.reason ?? null, error: r.error ?? null, arp: r.arp.length, mac: r.mac.length,
      skipped: r.skipped, morePrompts: r.morePrompts, durationMs: r.durationMs, hostKeyRecorded: r.hostKeyRecorded,
      tables: r.tables ?? [], warnings: r.warnings ?? [],
    })),
  };
}

/** Summary of a run as returned by devices.collect. */
export type RunSummary = ReturnType<typeof summarizeRun>;

/** `devices.anomalies`: the unused addresses of the newest (or given) device slot, a window's probers, MACs and moves. */
export interface DevicesAnomaliesAnswer {
  timeSlot: number | null;
  unusedAddresses: string[];
  probersWindow: number | null;
  probers: Prober[];
  macsWithSeveralIps: ReturnType<typeof macsWithSeveralIps>;
  ipMoves: ReturnType<typeof ipMoves>;
}

/** `devices.status`: the configured devices and each one's latest run. */
export interface DevicesStatusAnswer {
  devices: { name: string; kind: string; host: string; port: number }[];
  runs: ReturnType<DeviceStore['latestRuns']>;
}

function obj(params: unknown): Record<string, unknown> {
  return typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
}

/** The devices area's handler table. */
export function devicesHandlers(deps: DevicesHandlerDeps): HandlerTable {
  return {
    'devices.collect': async (params): Promise<RunSummary> => {
      if (!deps.collector) throw new RpcError('UNAVAILABLE', 'device collection is not running in this engine');
      const p = obj(params);
      const only = typeof p.device === 'string' ? [p.device] : Array.isArray(p.device) ? p.device.filter((d): d is string => typeof d === 'string') : [];
      const unknown = only.filter((d) => !deps.config.list.some((s) => s.name === d));
      if (unknown.length > 0) throw new RpcError('NOT_FOUND', `no such device: ${unknown.join(', ')}`);
      return summarizeRun(await deps.collector.collectAll(only));
    },
    'devices.where': async (params): Promise<WhereAnswer> => {
      const p = obj(params);
      const q = [p.query, p.ip, p.mac].find((v): v is string => typeof v === 'string');
      if (q === undefined) throw new RpcError('BAD_REQUEST', 'devices.where needs {query} (or {ip} / {mac})');
      try {
        return whereLookup(deps.store, q, { history: p.history === true, allowMacs: deps.config.allowMacs });
      } catch (err) {
        if (err instanceof WhereQueryError) throw new RpcError('BAD_REQUEST', err.message);
        throw err;
      }
    },
    'devices.anomalies': async (params): Promise<DevicesAnomaliesAnswer> => {
      const p = obj(params);
      const sinceMs = typeof p.sinceMs === 'number' ? p.sinceMs : 0;
      const slot = typeof p.timeSlot === 'number' ? p.timeSlot : undefined;
      const history = deps.store.history(sinceMs);
      const deviceSlot = slot ?? deps.store.latestSlot();
      const window = deps.probersAt?.(slot);
      return {
        timeSlot: deviceSlot ?? null,
        unusedAddresses: deviceSlot === undefined ? [] : deps.store.unusedAddressesFor(deviceSlot).addresses,
        probersWindow: window?.timeSlot ?? null,
        probers: window?.probers ?? [],
        macsWithSeveralIps: macsWithSeveralIps(history, deps.config.allowMacs),
        ipMoves: ipMoves(history, deps.config.allowMacs),
      };
    },
    'devices.status': async (): Promise<DevicesStatusAnswer> => ({ devices: deps.config.list.map((d) => ({ name: d.name, kind: d.kind, host: d.host, port: d.port ?? 22 })), runs: deps.store.latestRuns() }),
  };
}
