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
 * A columnar batch of flows: the hot path's unit. IPv4 addresses are uint32 in `srcV4`/`dstV4` with
 * `family[i] === 4`; IPv6 rows have `family[i] === 6` and their addresses as four 32-bit words each in
 * `src6`/`dst6` (most significant word first, row i at [4i, 4i+4)). No per-flow strings or objects.
 */
export interface FlowBatch {
  size: number;
  family: Uint8Array;
  srcV4: Uint32Array;
  dstV4: Uint32Array;
  /** IPv6 source words: row i at [4i, 4i+4), most significant first; unspecified on IPv4 rows. */
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
  /** Input / output interface index at the exporter (full 32 bits). */
  inIf: Uint32Array;
  outIf: Uint32Array;
  /** Index into `exporters`. */
  exporterIdx: Uint16Array;
  /** The batch's exporter (router) addresses in text form; '' when unknown. */
  exporters: string[];
  srcAs: Uint32Array;
  dstAs: Uint32Array;
}

/**
 * A structured flow predicate (every field given must hold: AND; a list holds when any member does: OR).
 * Built from validated values only; compiled once (`compileFilter`, engine/filter.ts) and run per row, and rendered
 * as nfdump filter text by the nfdump driver. Never carries filter-language text.
 */
export interface FlowFilter {
  /** Source or destination inside one of these prefixes (an address is a /32 or /128). */
  host?: string[];
  /** Source inside one of these prefixes. */
  src?: string[];
  /** Destination inside one of these prefixes. */
  dst?: string[];
  /** IP protocol numbers. */
  proto?: number[];
  /** Source or destination port. */
  port?: number[];
  srcPort?: number[];
  dstPort?: number[];
  /** Inclusive ranges of the flow's packets / bytes. */
  packets?: Range;
  bytes?: Range;
  /** Any one of these sub-filters (also AND-ed with the fields above). */
  anyOf?: FlowFilter[];
}

/** An inclusive numeric range; an absent end is open. */
export interface Range {
  min?: number;
  max?: number;
}

/** Options for reading flows from a source. */
export interface FlowReadOptions {
  /** Only flows matching this predicate. */
  filter?: FlowFilter;
  signal?: AbortSignal;
  /** Rows per batch (default 65536). */
  batchSize?: number;
  /**
   * Only flows starting in [from, to) epoch ms. A source may skip a whole file (or block) whose time range lies
   * outside without decoding it; rows are filtered either way.
   */
  timeWindow?: { from: number; to: number };
  /** Called once per file after it was read (also for a partial file), with the reader's counters. */
  onFile?: (info: FileReadInfo) => void;
  /**
   * Called when a file is opened, before its first batch, with what the file says about itself (the stat record's
   * totals when the reader knows them): a consumer sizes its tables from it. Not every source knows a stat record.
   */
  onOpen?: (info: FileOpenInfo) => void;
}

/** What a file says about itself when it is opened (before any flow is read). */
export interface FileOpenInfo {
  file: string;
  reader: 'native' | 'nfdump';
  /** The stat record's totals (native reader), as nfcapd counted them. */
  stat?: { flows: number; packets: number; bytes: number; firstSeen: number; lastSeen: number };
  compression?: FileReadInfo['compression'];
  blocksExpected?: number;
}

/** What a source learnt reading one file: counters and what the file says about itself. */
export interface FileReadInfo {
  file: string;
  /** Which driver read it. */
  reader: 'native' | 'nfdump';
  /** Flow records yielded (after the filter). */
  records: number;
  /** Records skipped as malformed (counted, never logged per row). */
  skippedRecords: number;
  /** Native reader: data blocks read / announced in the header; element ids it did not know; decompression errors. */
  blocks?: number;
  blocksExpected?: number;
  unknownElements?: number;
  /** Native reader: records of a type it did not know (skipped by their size). */
  unknownRecordTypes?: number;
  decompressErrors?: number;
  /**
   * Native reader, filtered reads: flow records passed over undecoded because their bytes hold none of the
   * addresses the filter requires (filter.ts `filterNeedles`).
   */
  undecodedRecords?: number;
  /** Native reader: blocks passed over unread because the file's block index says no wanted flow is in them. */
  blocksUnread?: number;
  /** Native reader with a block index directory: the index was used for this read, or written by it. */
  index?: 'used' | 'built';
  compression?: 'none' | 'lzo' | 'bz2' | 'lz4' | 'zstd';
  ident?: string;
  /** The file's stat record (native reader), totals as nfcapd counted them. */
  stat?: { flows: number; packets: number; bytes: number; firstSeen: number; lastSeen: number };
  /** Exporters in the file and their sampling rate (1 = unsampled; counters are already scaled by nfcapd). */
  exporters?: { ip: string; sysId?: number; samplingRate?: number; version?: number }[];
  /** Why the native reader handed this file to the nfdump driver (nfdump 1.6 / 1.8 layouts). */
  fallback?: string;
  /** The file was readable only up to some point: every intact block before the damage was yielded. */
  partial?: PartialRead;
  /** The whole file was skipped without decoding (timeWindow outside its stat range). */
  skipped?: boolean;
  /** Read and decoded in the decode worker thread (`engine.decodeWorker`, ingest/decode-workers.ts). */
  thread?: 'worker';
}

/** A damaged file read up to the damage. */
export interface PartialRead {
  reason: string;
  blocksRead: number;
  blocksExpected: number;
}

/**
 * Where flows come from: the native nffile reader (default) or the nfdump text driver (fallback, test oracle).
 *
 * The batch contract: a batch is valid until the consumer asks for the next one (or stops iterating). Sources
 * reuse the buffers behind it, and a batch kept past that point throws BatchReusedError (engine/batch.ts) on any
 * property read. A consumer that needs rows later copies them (`cloneBatch`, `batchRow`) or what it needs of them.
 */
export interface FlowSource {
  /** Stream the flows of one or more nfcapd files as batches. Rejects with a FlowSourceError on unreadable input. */
  read(files: string[], opts?: FlowReadOptions): AsyncIterable<FlowBatch>;
  /**
   * The engine's preflight: resolves to a one-line description of the reader when it can run, rejects with a
   * FlowSourceError (fault `reader`) naming what is missing. Optional: a reader with nothing outside the process to
   * check omits it.
   */
  check?(): Promise<string>;
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
  /**
   * Victims: distinct sources (exact) and the share that looks spoofed; `sampledSources` when there were more than
   * the window keeps (limits.victimSources): the share was measured over a uniform sample of that many.
   */
  victim?: { distinctSources: number; spoofedShare: number; sampledSources?: number };
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
  /** Set when a file could be read only in part: the window holds the flows of the intact blocks. */
  partial?: PartialRead;
  /** Exporters seen, with their sampling rate when the reader knows it (volumes of a sampled exporter are estimates). */
  exporters?: { ip: string; samplingRate?: number }[];
  /** Set when the analysis stayed within its memory budget by leaving something out (a spoofed flood, a busy campus). */
  degraded?: WindowDegradation;
}

/** What one window's analysis left out to stay within its memory budget (limits.victimSources, limits.campusCandidates). */
export interface WindowDegradation {
  /** Victim candidates with more distinct sources than `limit`: their shares come from a uniform sample of `limit`. */
  victimSources?: { limit: number; candidates: number; largest: number };
  /** Campus candidates beyond `limit` per list were not analysed: the top N by unused targets / flows in, by peers. */
  campusCandidates?: { limit: number; outside: { kept: number; of: number }; inside: { kept: number; of: number } };
}
