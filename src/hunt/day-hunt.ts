/**
 * The day-major hunt (pure over its input batches): ONE pass over each file of the day for every catalogue
 * signature at once. Per flow, a port mask rejects most rows with one array read; the rest cost one hash lookup of
 * (port, packets, bytes). Only matching flows create state: per (signature, source) a member with its flows, distinct
 * destinations, distinct source ports, the files (hours) it appears in, first and last seen. A flow from a well-known
 * port (below 1024) or from the signature's own port is a service answering, never a probe, and `knownServers` are
 * never members; both are counted. Near shapes (`near` > 0: same port and packets, bytes within ±near, not itself a
 * catalogue shape) are kept apart from exact members. Memory is bounded by `memberCap` members per signature
 * (further sources are counted as dropped, with their flows).
 */
import { Column, IpTable, PairSet } from '../engine/tables.js';
import type { FlowBatch } from '../engine/types.js';
import { PrefixSet, v6FromWords } from '../util/ip.js';
import { PairMap } from './pair-map.js';

/** A shape to hunt. */
export interface HuntTarget {
  signature: string;
  port: number;
  packets: number;
  bytes: number;
}

/** One member of a signature over the day. */
export interface MemberRow {
  ip: string;
  destinations: number;
  flows: number;
  sourcePorts: number;
  /** Input files the member appears in. */
  files: number;
  /** Flow start of its first / last flow, epoch ms. */
  firstSeen: number;
  lastSeen: number;
}

/** A near-shape member: which byte counts it used (at most 8 listed). */
export interface NearRow extends MemberRow {
  bytes: number[];
}

/** What one signature found. */
export interface SignatureHunt {
  signature: string;
  port: number;
  packets: number;
  bytes: number;
  /** Members, most destinations first (then flows, then address). */
  members: MemberRow[];
  /** Present when near shapes were searched. */
  near?: NearRow[];
  /** Matching flows counted into members. */
  flows: number;
  /** Matching flows from a service port (server replies), not counted. */
  serverReplyFlows: number;
  /** Matching flows from configured known servers, not counted. */
  knownServerFlows: number;
  /** Sources not kept because the member table was full, and their flows. */
  droppedSources: number;
  droppedFlows: number;
}

/** The whole day. */
export interface DayHuntResult {
  files: number;
  /** Flows read (every row of every batch). */
  flows: number;
  /** Flows matching some signature exactly. */
  matched: number;
  signatures: SignatureHunt[];
}

/** Options of a hunt. */
export interface DayHuntOptions {
  /** Near-shape search: bytes within ±near (0 = off). */
  near?: number;
  /** Configured known servers (IP or CIDR): never members. */
  knownServers?: string[];
  /** Most members kept per signature (default 100 000). */
  memberCap?: number;
}

const P_BITS = 4096; // packets < 4096 and bytes < 2^25 pack into one safe integer with the port
const B_BITS = 33554432;
const NEAR_BYTES_LISTED = 8;

/** Per-member counters in growable typed columns (no object per member). */
class Members {
  readonly key = new PairMap(1 << 10); // (target, source id) → member id
  readonly target = new Column(Uint32Array);
  readonly src = new Column(Uint32Array);
  readonly flows = new Column(Float64Array);
  readonly dsts = new Column(Uint32Array);
  readonly sports = new Column(Uint32Array);
  readonly files = new Column(Uint32Array);
  readonly lastFile = new Column(Uint32Array); // file index + 1
  readonly first = new Column(Float64Array);
  readonly last = new Column(Float64Array);
  readonly dstSet = new PairSet(1 << 12);
  readonly sportSet = new PairSet(1 << 10);
  size = 0;
  perTarget: Uint32Array;
  constructor(targets: number) {
    this.perTarget = new Uint32Array(targets);
  }

  /** Member id of (target, src), creating it unless the target is full (-1). */
  idOf(t: number, s: number, cap: number): number {
    const id = this.key.get(t, s);
    if (id >= 0) return id;
    if (this.perTarget[t] >= cap) return -1;
    const m = this.size++;
    this.key.set(t, s, m);
    this.perTarget[t]++;
    for (const c of [this.target, this.src, this.flows, this.dsts, this.sports, this.files, this.lastFile, this.first, this.last]) c.ensure(m);
    this.target.data[m] = t;
    this.src.data[m] = s;
    return m;
  }

  record(m: number, dst: number, sport: number, start: number, file: number): void {
    const n = this.flows.data[m];
    this.flows.data[m] = n + 1;
    if (n === 0 || start < this.first.data[m]) this.first.data[m] = start;
    if (n === 0 || start > this.last.data[m]) this.last.data[m] = start;
    if (this.dstSet.add(m, dst)) this.dsts.data[m] = this.dsts.data[m] + 1;
    if (this.sportSet.add(m, sport)) this.sports.data[m] = this.sports.data[m] + 1;
    if (this.lastFile.data[m] !== file + 1) {
      this.lastFile.data[m] = file + 1;
      this.files.data[m] = this.files.data[m] + 1;
    }
  }

  row(m: number, ips: IpTable): MemberRow {
    return {
      ip: ips.text(this.src.data[m]),
      destinations: this.dsts.data[m],
      flows: this.flows.data[m],
      sourcePorts: this.sports.data[m],
      files: this.files.data[m],
      firstSeen: this.first.data[m],
      lastSeen: this.last.data[m],
    };
  }
}

const byDestinations = (a: MemberRow, b: MemberRow) => b.destinations - a.destinations || b.flows - a.flows || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);

/** The day-major hunt: `beginFile()` before each file's batches, `add(batch)` for each, `result()` at the end. */
export class DayHunt {
  private readonly targets: HuntTarget[];
  private readonly portMask = new Uint8Array(65536);
  private readonly exact = new Map<number, number>();
  /** (port, packets) → targets with that port and packets (near search). */
  private readonly byPortPackets = new Map<number, number[]>();
  private readonly near: number;
  private readonly cap: number;
  private readonly known: PrefixSet;
  private readonly srcIps = new IpTable();
  private readonly dstIps = new IpTable();
  /** Per source id: 0 not judged yet, 1 may be a member, 2 a known server. */
  private readonly srcState = new Column(Uint8Array);
  private readonly exactMembers: Members;
  private readonly nearMembers: Members;
  private readonly nearBytes = new PairSet(1 << 8);
  private readonly nearBytesList = new Map<number, number[]>();
  private readonly replies: Float64Array;
  private readonly knownFlows: Float64Array;
  private readonly droppedFlows: Float64Array;
  private readonly dropped: PairSet = new PairSet(1 << 8);
  private readonly droppedSources: Uint32Array;
  private readonly matchedFlows: Float64Array;
  private file = -1;
  private flows = 0;
  private matched = 0;

  constructor(targets: HuntTarget[], opts: DayHuntOptions = {}) {
    this.targets = targets;
    this.near = Math.max(0, Math.floor(opts.near ?? 0));
    this.cap = Math.max(1, opts.memberCap ?? 100_000);
    this.known = new PrefixSet((opts.knownServers ?? []).map((prefix) => ({ prefix })));
    const n = targets.length;
    this.exactMembers = new Members(n);
    this.nearMembers = new Members(n);
    this.replies = new Float64Array(n);
    this.knownFlows = new Float64Array(n);
    this.droppedFlows = new Float64Array(n);
    this.droppedSources = new Uint32Array(n);
    this.matchedFlows = new Float64Array(n);
    targets.forEach((t, idx) => {
      if (!Number.isInteger(t.port) || t.port < 0 || t.port > 65535) throw new RangeError(`bad port in ${t.signature}`);
      if (t.packets >= P_BITS || t.bytes >= B_BITS) throw new RangeError(`${t.signature}: packets must be < ${P_BITS} and bytes < ${B_BITS}`);
      this.portMask[t.port] = 1;
      const k = (t.port * P_BITS + t.packets) * B_BITS + t.bytes;
      if (!this.exact.has(k)) this.exact.set(k, idx);
      const pp = t.port * P_BITS + t.packets;
      const list = this.byPortPackets.get(pp);
      if (list) list.push(idx);
      else this.byPortPackets.set(pp, [idx]);
    });
  }

  /** Start the next input file (files are counted per member). */
  beginFile(): void {
    this.file++;
  }

  /** Count one batch. */
  add(b: FlowBatch): void {
    if (this.file < 0) this.file = 0;
    this.flows += b.size;
    const mask = this.portMask;
    for (let i = 0; i < b.size; i++) {
      const port = b.dport[i];
      if (mask[port] === 0) continue;
      const pk = b.packets[i];
      if (pk >= P_BITS) continue;
      const by = b.bytes[i];
      const t = by < B_BITS ? this.exact.get((port * P_BITS + pk) * B_BITS + by) : undefined;
      if (t !== undefined) {
        this.matched++;
        this.count(this.exactMembers, t, b, i, false);
      } else if (this.near > 0) {
        const cands = this.byPortPackets.get(port * P_BITS + pk);
        if (!cands) continue;
        for (const c of cands) if (Math.abs(by - this.targets[c].bytes) <= this.near) this.count(this.nearMembers, c, b, i, true);
      }
    }
  }

  private count(set: Members, t: number, b: FlowBatch, i: number, near: boolean): void {
    const sport = b.sport[i];
    const target = this.targets[t];
    if (sport === target.port || (sport > 0 && sport < 1024)) {
      if (!near) this.replies[t]++;
      return;
    }
    const v4 = b.family[i] === 4;
    const s = v4 ? this.srcIps.internV4(b.srcV4[i]) : this.srcIps.internV6(b.src6, 4 * i);
    this.srcState.ensure(s);
    let st = this.srcState.data[s];
    if (st === 0) {
      st = this.known.size > 0 && (v4 ? this.known.matchV4(b.srcV4[i]) : this.known.match(v6FromWords(b.src6, 4 * i))) !== undefined ? 2 : 1;
      this.srcState.data[s] = st;
    }
    if (st === 2) {
      if (!near) this.knownFlows[t]++;
      return;
    }
    const m = set.idOf(t, s, this.cap);
    if (m < 0) {
      if (!near) {
        this.droppedFlows[t]++;
        if (this.dropped.add(t, s)) this.droppedSources[t]++;
      }
      return;
    }
    const d = v4 ? this.dstIps.internV4(b.dstV4[i]) : this.dstIps.internV6(b.dst6, 4 * i);
    set.record(m, d, sport, b.start[i], this.file);
    if (!near) this.matchedFlows[t]++;
    else if (this.nearBytes.add(m, b.bytes[i])) {
      const l = this.nearBytesList.get(m);
      if (!l) this.nearBytesList.set(m, [b.bytes[i]]);
      else if (l.length < NEAR_BYTES_LISTED) l.push(b.bytes[i]);
    }
  }

  /** The members of every signature, ranked by destinations. */
  result(): DayHuntResult {
    const exact: MemberRow[][] = this.targets.map(() => []);
    for (let m = 0; m < this.exactMembers.size; m++) exact[this.exactMembers.target.data[m]].push(this.exactMembers.row(m, this.srcIps));
    const near: NearRow[][] = this.targets.map(() => []);
    for (let m = 0; m < this.nearMembers.size; m++) {
      near[this.nearMembers.target.data[m]].push({ ...this.nearMembers.row(m, this.srcIps), bytes: [...(this.nearBytesList.get(m) ?? [])].sort((a, b) => a - b) });
    }
    return {
      files: this.file + 1,
      flows: this.flows,
      matched: this.matched,
      signatures: this.targets.map((t, k) => ({
        signature: t.signature,
        port: t.port,
        packets: t.packets,
        bytes: t.bytes,
        members: exact[k].sort(byDestinations),
        ...(this.near > 0 ? { near: near[k].sort(byDestinations) } : {}),
        flows: this.matchedFlows[k],
        serverReplyFlows: this.replies[k],
        knownServerFlows: this.knownFlows[k],
        droppedSources: this.droppedSources[k],
        droppedFlows: this.droppedFlows[k],
      })),
    };
  }
}

/** Hunt a stream of files' batches (each file an iterable of batches), for tests and small inputs. */
export async function huntDay(files: (AsyncIterable<FlowBatch> | Iterable<FlowBatch>)[], targets: HuntTarget[], opts: DayHuntOptions = {}): Promise<DayHuntResult> {
  const h = new DayHunt(targets, opts);
  for (const f of files) {
    h.beginFile();
    for await (const b of f) h.add(b);
  }
  return h.result();
}
