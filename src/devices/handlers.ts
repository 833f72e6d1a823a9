/** The engine-socket handlers of the devices area: devices.collect, devices.where, devices.anomalies, devices.status. */
import type { DevicesConfig } from '../config/sections/devices.js';
import { RpcError, type HandlerTable } from '../daemon/protocol.js';
import { isUnusedAddress, ipMoves, macsWithSeveralIps, unusedAddressProbers } from './anomalies.js';
import type { CollectionRun, DeviceCollector } from './collector.js';
import type { DeviceStore } from './store.js';
import { whereLookup, WhereQueryError } from './where.js';

/** What the handlers need. */
export interface DevicesHandlerDeps {
  config: DevicesConfig;
  store: DeviceStore;
  /** The running collector; without it devices.collect answers UNAVAILABLE. */
  collector?: DeviceCollector;
  /** Inbound (outside → inside) pairs of a slot, from the engine, for the unused-address check. */
  inboundPairs?: (timeSlot: number) => Iterable<{ src: string; dst: string; flows: number }>;
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
    })),
  };
}

/** Summary of a run as returned by devices.collect. */
export type RunSummary = ReturnType<typeof summarizeRun>;

function obj(params: unknown): Record<string, unknown> {
  return typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
}

/** The devices area's handler table. */
export function devicesHandlers(deps: DevicesHandlerDeps): HandlerTable {
  return {
    'devices.collect': async (params) => {
      if (!deps.collector) throw new RpcError('UNAVAILABLE', 'device collection is not running in this engine');
      const p = obj(params);
      const only = typeof p.device === 'string' ? [p.device] : Array.isArray(p.device) ? p.device.filter((d): d is string => typeof d === 'string') : [];
      const unknown = only.filter((d) => !deps.config.list.some((s) => s.name === d));
      if (unknown.length > 0) throw new RpcError('NOT_FOUND', `no such device: ${unknown.join(', ')}`);
      return summarizeRun(await deps.collector.collectAll(only));
    },
    'devices.where': async (params) => {
      const p = obj(params);
      const q = [p.query, p.ip, p.mac].find((v): v is string => typeof v === 'string');
      if (q === undefined) throw new RpcError('BAD_REQUEST', 'devices.where needs {query} (or {ip} / {mac})');
      try {
        return whereLookup(deps.store, q, { history: p.history === true });
      } catch (err) {
        if (err instanceof WhereQueryError) throw new RpcError('BAD_REQUEST', err.message);
        throw err;
      }
    },
    'devices.anomalies': async (params) => {
      const p = obj(params);
      const sinceMs = typeof p.sinceMs === 'number' ? p.sinceMs : 0;
      const slot = typeof p.timeSlot === 'number' ? p.timeSlot : deps.store.latestSlot();
      const history = deps.store.history(sinceMs);
      const states = deps.store.ipStates(slot);
      const pairs = Array.isArray(p.inboundPairs) ? (p.inboundPairs as { src: string; dst: string; flows: number }[]) : slot !== undefined && deps.inboundPairs ? deps.inboundPairs(slot) : [];
      return {
        timeSlot: slot ?? null,
        unusedAddresses: states.filter(isUnusedAddress).map((s) => s.ip),
        probers: unusedAddressProbers(states, pairs),
        macsWithSeveralIps: macsWithSeveralIps(history, deps.config.allowMacs),
        ipMoves: ipMoves(history, deps.config.allowMacs),
      };
    },
    'devices.status': async () => ({ devices: deps.config.list.map((d) => ({ name: d.name, kind: d.kind, host: d.host, port: d.port ?? 22 })), runs: deps.store.latestRuns() }),
  };
}
