/**
 * The catalogue of the engine socket's request methods and pushed events: one place that says, for each method, what
 * its params and result are, and for each event what it carries. Clients (the TUI, CLI commands) code against these
 * types; the engine's handlers (src/daemon/engine-process.ts) implement the core ones, and feature areas register
 * theirs (block.* from src/flowspec, devices.* from src/devices, alerts.* from src/alerts) in the same handler table. A method the running engine
 * does not have answers the error code `NO_METHOD`, which clients treat as "feature absent".
 *
 * Wire format and error shape: src/daemon/protocol.ts. Times are epoch milliseconds unless a name says seconds.
 */
import type { Anomaly, WindowResult } from '../engine/types.js';
import type { HistoryRow, Verdict, WindowRow } from '../store/engine-store.js';
import type { InvestigateProgress, InvestigateSummary } from './investigate.js';
import type { ReadCounters } from '../ingest/read-counters.js';
import type { BlockAddParams, BlockChangedEvent, BlockProposal, BlockView, FlowspecStatus } from '../flowspec/area.js';
import type { AuditEntry } from '../flowspec/service.js';
import type { DevicesAnomaliesAnswer, DevicesStatusAnswer, RunSummary } from '../devices/handlers.js';
import type { WhereAnswer } from '../devices/where.js';
import type { CollectorCounters } from '../devices/collector.js';
import type { WriterState } from '../es/types.js';

/** One connected client as `engine.status` shows it. */
export interface ClientInfo {
  connection: number;
  /** What the client said in hello (empty before it did). */
  user: string;
  pid?: number;
  sshConnection?: string;
  /** Epoch ms of the connection. */
  since: number;
  requests: number;
  errors: number;
  events: number;
  /** Bytes written to the socket but not yet taken by the client. */
  bufferedBytes: number;
}

/** Server counters (everything that moves gets a counter). */
export interface ServerStats {
  /** Requests answered, errors answered, bad lines (not JSON / wrong version). */
  requests: number;
  errors: number;
  badLines: number;
  /** Connections accepted since start. */
  connections: number;
  /** Clients dropped because they stopped reading (their buffer passed `maxClientBuffer`). */
  dropped: number;
  lastDropped?: { user: string; pid?: number; at: number; bufferedBytes: number };
}
import type { AlertsSummary } from '../alerts/area.js';
import type { AlertView } from '../alerts/outbox.js';
import type { PendingRestart, ReloadResult } from './area.js';

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
  /** nfcapd's rotation in seconds, and whether it was configured (--interval) or inferred from the file names. */
  rotation?: { seconds: number; inferred: boolean };
  /** `partial` when the window holds only the intact blocks of a damaged file. */
  latestWindow: { timeSlot: number; start: number; flows: number; anomalies: number; degraded?: WindowResult['degraded']; partial?: WindowResult['partial'] } | null;
  recentErrors: { path: string; error: string; at: number }[];
  /** The ledger by status (every file ever seen, this engine or another on the database). */
  ledger: { started: number; done: number; failed: number; deferred: number; quarantined: number };
  /**
   * Files waiting for a fix (deferred: the reader or the configuration failed; `retryAt` epoch ms) or set aside
   * (quarantined: the engine died reading them `attempts` times), newest first.
   */
  held: { path: string; status: 'deferred' | 'quarantined'; reason: string; attempts: number; deferrals: number; retryAt: number | null }[];
  /** Investigations running now. */
  investigations: number;
  /** Files that vanished before their turn (never in the ledger). */
  skipped?: number;
  /** What the readers said about the files read: sums, exporters and sampling rates, the newest files. */
  reading?: ReadCounters;
  /** The socket: requests, errors, connections, clients dropped for not reading. */
  server?: ServerStats;
  /** Every connected client with its counters. */
  clientList?: ClientInfo[];
  /** Investigations: the running ones, and how many were started and refused by the limits. */
  investigate?: { running: { id: number; user: string; target: string; since: number }[]; started: number; refusedBusy: number; refusedRange: number; limit: number; perClient: number };
  /** Each area's counters (flowspec, devices, elasticsearch, alerts, ...), by area name. */
  areas?: AreaStatuses;
  /** The analysis settings the runner applies to the next file (a reload changes them in place). */
  analysis?: { topN: number; peerCap: number; pollSeconds: number; inside: string[]; thresholds: Record<string, number> };
  /** Configuration reloads (SIGHUP): how many, the last one's outcome, and changed keys still waiting for a restart. */
  reload?: { count: number; last: ReloadResult | null; pendingRestart: PendingRestart[] };
}

/** The areas' counters as `engine.status` carries them; an area not named here reports its own shape. */
export interface AreaStatuses {
  flowspec?: FlowspecStatus;
  devices?: DevicesStatus;
  elasticsearch?: WriterState;
  [area: string]: unknown;
}

/** The devices area's counters: the collector's, and its latest run device by device. */
export interface DevicesStatus extends CollectorCounters {
  devices: number;
  lastRun?: {
    timeSlot: number;
    startedAt: number;
    results: { device: string; ok: boolean; reason?: string; error?: string; arp: number; mac: number; skipped: number; durationMs: number }[];
  };
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

/** Request methods: name → params and result; the block.* and devices.* shapes are their areas' (typed there). */
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
  /** FlowSpec (src/flowspec/area.ts): active and withdrawn blocks (`all`: every one, newest 500). */
  'block.list': { params: { all?: boolean } | undefined; result: BlockView[] };
  /** The exact rule and impact preview for each anomaly (at most 50), or why not. Nothing is announced. */
  'block.propose': { params: { anomalies: Anomaly[] }; result: { proposals: BlockProposal[] } };
  /** Announce a proposal (or the operator's rule) through the guards. */
  'block.add': { params: BlockAddParams; result: BlockView };
  /** Withdraw by id, or every active block matching an IP or prefix. */
  'block.remove': { params: { id?: number | string; target?: string; reason?: string }; result: BlockView[] };
  'block.extend': { params: { id: number; by: string | number }; result: BlockView };
  'block.panic': { params: { reason?: string } | undefined; result: { withdrawn: number } };
  'block.restore': { params: undefined; result: { restored: number } };
  /** Active blocks whose source or destination prefix overlaps the target (src/flowspec/covering.ts). */
  'block.covering': { params: { target: string }; result: BlockView[] };
  /** The append-only audit, newest first. */
  'audit.list': { params: { limit?: number } | undefined; result: AuditEntry[] };
  /** ARP/MAC (src/devices): collect now (all devices, or those named). */
  'devices.collect': { params: { device?: string | string[] } | undefined; result: RunSummary };
  /** Where an IP or MAC was seen, with the findings that concern it. */
  'devices.where': { params: { query?: string; ip?: string; mac?: string; history?: boolean }; result: WhereAnswer };
  'devices.anomalies': { params: { sinceMs?: number; timeSlot?: number } | undefined; result: DevicesAnomaliesAnswer };
  'devices.status': { params: undefined; result: DevicesStatusAnswer };
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
  /** The world map (src/geo/area.ts): a stored window's attackers by origin (the latest by default); null without windows. */
  'map.origins': {
    params: { timeSlot?: number; lang?: string } | undefined;
    result: ({ timeSlot: number; start: number; data: import('../geo/geoip.js').GeoInfo } & import('../geo/origins.js').Origins) | null;
  };
  /** Alerts (src/alerts): recent alerts newest first, each with its deliveries per channel and recipient. */
  'alerts.list': { params: { limit?: number } | undefined; result: AlertView[] };
  /** One alert by id, or null. */
  'alerts.get': { params: { id: string }; result: AlertView | null };
  /** Counts for the TUI header: open episodes, alerts of the last 24 h, pending and failed deliveries. */
  'alerts.summary': { params: undefined; result: AlertsSummary };
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
  /** A file not read for a reason not its own: tried again at `retryAt` (epoch ms) and at the next start. */
  'file-deferred': { file: string; reason: string; retryAt: number; deferrals: number };
  /** A file the engine died reading `attempts` times, set aside. */
  'file-quarantined': { file: string; reason: string; attempts: number };
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
  /** FlowSpec blocks changed — by an operator, expiry, auto-block, panic/restore or reconciliation (src/flowspec/area.ts). */
  'block.changed': BlockChangedEvent;
  /** The managed gobgpd died (`down`) or was restarted (`up`). */
  'flowspec.speaker': { state: 'down' | 'up'; pid?: number; code?: number | null; signal?: string | null; restarts?: number };
  /** A day's hunt finished (src/hunt/area.ts). */
  'hunt.done': { day: string; signatures: number; members: number };
  /** New alerts were written to the outbox (after a window, or raised by an area); screens re-read alerts.summary. */
  'alerts.new': { ids: string[]; count: number };
  /** A delivery pass sent, failed or gave up deliveries (counts of that pass). */
  'alerts.delivered': { claimed: number; sent: number; failed: number; rejected: number; waiting: number; expired: number };
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
