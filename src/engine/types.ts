/**
 * Core value types shared by the engine, stores, views and adapters.
 * Pure: no IO here.
 */

/** One flow, as a plain object (convenient; the hot path uses {@link FlowBatch}). */
export interface FlowRecord {
  /** Source address in canonical text form (IPv4 dotted quad or compressed IPv6). */
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, ...). */
  proto: number;
  /** TCP flags as the bit mask FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128. */
  flags: number;
  packets: number;
  bytes: number;
  /** Flow start / end in epoch milliseconds. */
  start: number;
  end: number;
  /** SNMP input / output interface index at the exporter. */
  inIf: number;
  outIf: number;
  /** Exporter (router) address in text form, '' when unknown. */
  exporter: string;
  srcAs: number;
  dstAs: number;
}

/** TCP flag bits as nfdump and NetFlow encode them. */
export const TcpFlag = {
  FIN: 1,
  SYN: 2,
  RST: 4,
  PSH: 8,
  ACK: 16,
  URG: 32,
  ECE: 64,
  CWR: 128,
} as const;

/**
 * A columnar batch of flows: the hot path's unit. IPv4 addresses are uint32 in `srcV4`/`dstV4`
 * with `family[i] === 4`; IPv6 rows have `family[i] === 6` and their text in `src6[i]`/`dst6[i]`.
 */
export interface FlowBatch {
  size: number;
  family: Uint8Array;
  srcV4: Uint32Array;
  dstV4: Uint32Array;
  src6: (string | undefined)[];
  dst6: (string | undefined)[];
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
  /** Index into `exporters`. */
  exporterIdx: Uint16Array;
  exporters: string[];
  srcAs: Uint32Array;
  dstAs: Uint32Array;
}

/** Options for reading flows from a source. */
export interface FlowReadOptions {
  /** An nfdump filter expression, passed as one argument (never through a shell). */
  filter?: string;
  signal?: AbortSignal;
  /** Rows per batch (default 65536). */
  batchSize?: number;
  /** Only flows starting in [from, to) epoch ms, when the source can restrict by time. */
  timeWindow?: { from: number; to: number };
}

/** Where flows come from. The nfdump text reader is one driver; a native nfcapd reader could be another. */
export interface FlowSource {
  /** Stream the flows of one or more nfcapd files as batches. Rejects with a FlowSourceError on unreadable input. */
  read(files: string[], opts?: FlowReadOptions): AsyncIterable<FlowBatch>;
}

/** 5-minute window id: floor((epoch_s + 150) / 300), as the seeds define it. */
export function timeSlotOf(epochSeconds: number): number {
  return Math.floor((epochSeconds + 150) / 300);
}

/** Start of a TimeSlot's 5 minutes in epoch seconds (the slot is centred on slot*300). */
export function timeSlotStart(slot: number): number {
  return slot * 300 - 150;
}

export type Role = 'attacker' | 'victim' | 'internal';
export type Severity = 'over' | 'super';

export type AnomalyType =
  | 'scan'
  | 'many-peers'
  | 'egress-high'
  | 'syn-attack'
  | 'dos-victim'
  | 'ingress-high'
  | 'many-flows'
  | 'port-ddos-victim'
  | 'wide-exfil'
  | 'ddos-scan-victim'
  | 'many-bytes'
  | 'many-packets'
  | 'undefined'
  // campus mode
  | 'unused-probe'
  | 'tiny-packets'
  | 'campus-sweep'
  | 'tcp-flood'
  | 'p2p'
  | 'cc-beacon';

/** A value with its share of flows (0..1). */
export interface Share {
  value: number | string;
  share: number;
}

/** The feature breakdown of one anomalous IP. */
export interface Features {
  protocols: Share[];
  dstPorts: Share[];
  packets: Share[];
  bytes: Share[];
  /** TCP flags combinations as nfdump prints them ("......S."), share of TCP flows. */
  tcpFlags: Share[];
  /** Number of distinct values behind each top-10 list. */
  distinct: { protocols: number; dstPorts: number; packets: number; bytes: number };
  /** Share of TCP flows that carry SYN without ACK. */
  synOnlyShare: number;
  /** Share of flows that are exactly one packet of 40 bytes (a bare SYN). */
  onePacket40Share: number;
  /** true: answers from well-known low source ports (a server); false: client-like; null: unclear. */
  serverLike: boolean | null;
  /** Share of flows whose source port is in 32768–65535. */
  clientPortShare: number;
  /** Share of flows whose source port is below 1024. */
  serverPortShare: number;
}

export interface Metrics {
  flows: number;
  packets: number;
  bytes: number;
  distinctPeers: number;
  distinctPorts: number;
}

/** Why a rule fired: which indicator, against which threshold, by how much. */
export interface Evidence {
  indicator: string;
  value: number;
  threshold: number;
  /** value / threshold. */
  ratio: number;
}

export interface EntryPoint {
  exporter: string;
  interface: number;
  flows: number;
  share: number;
}

export interface Tracking {
  firstSeenSlot: number;
  windowsSeen: number;
  /** Share of windows since first seen in which the IP was above threshold. */
  shareAbove: number;
  /** Consecutive windows up to now. */
  streak: number;
}

export interface Anomaly {
  ip: string;
  role: Role;
  type: AnomalyType;
  severity: Severity;
  score: number;
  metrics: Metrics;
  features: Features;
  signature?: string;
  entryPoints?: EntryPoint[];
  evidence: Evidence[];
  /** For victims: distinct sources and the share that look spoofed. */
  victim?: { distinctSources: number; spoofedShare: number };
  tracking?: Tracking;
  /** Configured unit name for the IP's prefix, when known. */
  unit?: string;
  /** AS number the flows carry for this IP (source AS for attackers, destination AS for victims). */
  asn?: number;
  /** Top peers by flows (capped per host). */
  topPeers?: { ip: string; flows: number }[];
  /** Campus beacon details, for `cc-beacon`. */
  beacon?: { peer: string; port: number; flows: number; meanIntervalSeconds: number; intervalCv: number; bytesPerFlow: number };
  /** Other types this IP also matched in the same role (lower priority). */
  alsoMatched?: AnomalyType[];
  /**
   * ARP-confirmed probing: the addresses this sender reached that no device resolves (only Incomplete/Deleted ARP
   * states or the all-zero MAC in the device tables of `arpSlots`), with the reason in words.
   */
  unusedProbe?: UnusedProbe;
  /** Short free-form notes for the alert text. */
  notes?: string[];
}

/** What the device tables say about a sender's targets (see Anomaly.unusedProbe). */
export interface UnusedProbe {
  /** The unused addresses reached, sorted; at most 20 (see `total`). */
  targets: string[];
  total: number;
  flows: number;
  /** The device-table TimeSlots the unused addresses came from. */
  arpSlots: number[];
  reason: string;
}

export interface WindowInfo {
  timeSlot: number;
  /** Epoch seconds. */
  start: number;
  end: number;
}

export interface WindowResult {
  window: WindowInfo;
  flows: number;
  packets: number;
  bytes: number;
  distinctIps: number;
  anomalies: Anomaly[];
  /** Source files the window was built from. */
  files?: string[];
}
