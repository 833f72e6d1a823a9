/**
 * The catalogue of the engine socket's request methods and pushed events: one place that says, for each method, what
 * its params and result are, and for each event what it carries. Clients (the TUI, CLI commands) code against these
 * types; the engine's handlers (src/daemon/engine-process.ts) implement the core ones, and feature areas register
 * theirs (block.* from src/flowspec, devices.* from src/devices) in the same handler table. A method the running engine
 * does not have answers the error code `NO_METHOD`, which clients treat as "feature absent".
 *
 * Wire format and error shape: src/daemon/protocol.ts. Times are epoch milliseconds unless a name says seconds.
 */
import type { Anomaly, WindowResult } from '../engine/types.js';
import type { HistoryRow, Verdict, WindowRow } from '../store/engine-store.js';
import type { InvestigateProgress, InvestigateSummary } from './investigate.js';

/** `hello` (sent first by every client): who the operator is. The engine trusts this text (see server.ts). */
export interface HelloParams {
  user: string;
  sshConnection?: string;
  pid?: number;
  /** Protocol version the client speaks; a mismatch is answered with error `VERSION`. */
  version?: number;
}
/** Answer to `hello`. */
export interface HelloResult {
  version: number;
  pid: number;
}

/** `engine.status`: what the engine is doing. */
export interface EngineStatus {
  version: string;
  pid: number;
  /** Epoch ms the engine started. */
  startedAt: number;
  uptimeSeconds: number;
  nfcapdDir: string;
  database: string;
  clients: number;
  /** Files processed / failed since start, flows read since start. */
  processed: number;
  failed: number;
  flows: number;
  /** Seconds behind nfcapd's newest completed file, null before the first file. */
  lagSeconds: number | null;
  latestWindow: { timeSlot: number; start: number; flows: number; anomalies: number } | null;
  recentErrors: { path: string; error: string; at: number }[];
  /** Investigations running now. */
  investigations: number;
  /** Each area's counters (flowspec, devices, elasticsearch, ...), by area name. */
  areas?: Record<string, unknown>;
}

/** An anomaly as screens receive it: with its presence over the last 12 windows and its false-positive verdict. */
export type ViewAnomaly = Anomaly & { history?: number[]; verdict?: Verdict | null };
/** A window as screens receive it. */
export type ViewWindow = Omit<WindowResult, 'anomalies'> & { anomalies: ViewAnomaly[]; id?: number };

/**
 * `windows.get`: one stored window, chosen by exactly one of: `id` (row id from windows.list), `timeSlot` (newest at or
 * before it), `offset` (0 newest, -3 three windows back), `time` (epoch ms: the window containing it), or `ref`, the
 * operator's `:window` text ("-3" or "2026-11-22 14:05", UTC).
 */
export interface WindowsGetParams {
  id?: number;
  timeSlot?: number;
  offset?: number;
  time?: number;
  ref?: string;
}

/** `anomalies.history`: stored anomalies of an IP or of every IP in a prefix, newest first. */
export interface HistoryParams {
  /** IP or prefix text ("ip" and "prefix" are accepted as aliases). */
  target?: string;
  ip?: string;
  prefix?: string;
  limit?: number;
}

/** `verdict.set`: mark (ip, type) a false positive with a reason, or `clear` it. Answers every verdict. */
export interface VerdictSetParams {
  ip: string;
  type: string;
  reason?: string;
  clear?: boolean;
}

/** `investigate.start`: target IP or prefix over [from, to) (default: the last hour). Answers at once with an id. */
export interface InvestigateStartParams {
  target: string;
  from?: number;
  to?: number;
}
/** Answer to `investigate.start`; progress and the result follow as events with the same id. */
export interface InvestigateStartResult {
  id: number;
  from: number;
  to: number;
}

/** Request methods: name → params and result. block.* and devices.* belong to their areas (params typed there). */
export interface EngineMethods {
  hello: { params: HelloParams; result: HelloResult };
  'engine.status': { params: undefined; result: EngineStatus };
  /** The method names this engine answers (for capability checks). */
  'engine.methods': { params: undefined; result: string[] };
  'windows.latest': { params: undefined; result: ViewWindow | null };
  'windows.get': { params: WindowsGetParams; result: ViewWindow | null };
  'windows.list': { params: { limit?: number } | undefined; result: WindowRow[] };
  'anomalies.history': { params: HistoryParams; result: HistoryRow[] };
  'verdict.set': { params: VerdictSetParams; result: Verdict[] };
  'verdict.list': { params: undefined; result: Verdict[] };
  'investigate.start': { params: InvestigateStartParams; result: InvestigateStartResult };
  'investigate.cancel': { params: { id: number }; result: { cancelled: boolean } };
  /** FlowSpec (src/flowspec): list / propose / add / remove rules. Typed in src/flowspec. */
  'block.list': { params: unknown; result: unknown };
  'block.propose': { params: unknown; result: unknown };
  'block.add': { params: unknown; result: unknown };
  'block.remove': { params: unknown; result: unknown };
  /** ARP/MAC (src/devices): where an IP was seen. Typed in src/devices. */
  'devices.where': { params: unknown; result: unknown };
  // The daily hunt (src/hunt/area.ts): status, runs, a day's catalogue, a signature's members, the records across days.
  'hunt.status': { params: undefined; result: import('../hunt/area.js').HuntAreaStatus };
  'hunt.runs': { params: { limit?: number } | undefined; result: import('../hunt/records.js').HuntRun[] };
  'hunt.catalogue': { params: { day?: string } | undefined; result: { day: string | null; signatures: import('../hunt/records.js').SignatureDay[] } };
  'hunt.members': { params: { day: string; signature: string; near?: boolean; limit?: number }; result: { day: string; signature: string; members: (import('../hunt/day-hunt.js').MemberRow & { bytes?: number[] })[]; maxActiveRules: number | null } };
  'hunt.records': { params: { ip?: string; signature?: string } | undefined; result: unknown };
  /** IoC correlation (src/ioc): the area's counters; infected hosts by score; everything known of one address. */
  'ioc.status': { params: undefined; result: import('../ioc/area.js').IocAreaStatus };
  'ioc.infected': { params: { limit?: number } | undefined; result: { rows: import('../ioc/handlers.js').InfectedRow[]; total: number } };
  'ioc.relations': { params: { ip: string }; result: import('../ioc/handlers.js').IocRelations };
  'ioc.candidates': { params: { days?: number } | undefined; result: import('../ioc/family.js').Candidate[] };
}

/** A method name of the catalogue. */
export type MethodName = keyof EngineMethods;
/** Params of a method. */
export type ParamsOf<M extends MethodName> = EngineMethods[M]['params'];
/** Result of a method. */
export type ResultOf<M extends MethodName> = EngineMethods[M]['result'];

/** `window` event: a new window was committed (screens then ask `windows.latest`). */
export interface WindowEvent {
  file: string;
  timeSlot: number;
  /** Epoch seconds of the window start. */
  start: number;
  flows: number;
  anomalies: number;
  /** Seconds the engine took for the file. */
  seconds: number;
}

/** Pushed events: name → data. */
export interface EngineEvents {
  window: WindowEvent;
  /** The IoC job correlated a day. */
  'ioc.day': { day: string; iocs: number; remotes: number; candidates: number; alerts: string[] };
  /** A file nfdump could not read (recorded and skipped). */
  'file-error': { file: string; reason: string };
  /** How far behind nfcapd the engine is, after every pass over the directory. */
  'engine-lag': { seconds: number };
  'investigate.progress': InvestigateProgress & { id: number };
  /** The end of an investigation: a summary, or an error ("cancelled" when cancelled). */
  'investigate.result': {
    id: number;
    summary?: InvestigateSummary;
    error?: string;
    /** Stored anomalies of the target, newest first. */
    history: HistoryRow[];
    /** The target's anomalies in the newest window (its role now), null before the first window. */
    current: { timeSlot: number; anomalies: Anomaly[] } | null;
  };
  'verdict.changed': { ip: string; type: string; cleared: boolean };
  /** FlowSpec rules changed (src/flowspec publishes it). */
  'block.changed': unknown;
  /** A day's hunt finished (src/hunt/area.ts). */
  'hunt.done': { day: string; signatures: number; members: number };
}

/** An event name of the catalogue. */
export type EventName = keyof EngineEvents;

/** Client-side pseudo-events (not on the wire): the connection's state changed; re-fetch after `reconnected`. */
export type ConnectionEvent = 'reconnected';

/** Every core method name (the ones engine-process.ts implements). */
export const CORE_METHODS = [
  'engine.status',
  'engine.methods',
  'windows.latest',
  'windows.get',
  'windows.list',
  'anomalies.history',
  'verdict.set',
  'verdict.list',
  'investigate.start',
  'investigate.cancel',
] as const satisfies readonly MethodName[];
