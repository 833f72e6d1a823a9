/**
 * One window's analysis (pure over its input batches): aggregate every IP in both roles, rank by several scale
 * indicators and take the top N of each, break the candidates down into features, classify them with the rules,
 * and — when inside prefixes are configured — apply the seeds' per-campus method (internal hosts, their external
 * peers, and the suspect list C).
 */
import { FLOW_COLUMN_BYTES, WindowAggregator, type AggregatorOptions, type FlowChunk, type WindowAggregate } from './aggregate.js';
import { FeatureAccumulator } from './features.js';
import { CAMPUS_RULES, evaluateAll, resolveThresholds, RULES, type CampusView, type HostView, type RuleHit, type Thresholds } from './rules.js';
import { hash2, PairSet, SampledIdSet, topIds, U32Map } from './tables.js';
import type { Anomaly, FileOpenInfo, FileReadInfo, FlowBatch, Role, UnusedProbe, WindowDegradation, WindowResult } from './types.js';
import { timeSlotOf, timeSlotStart } from './types.js';
import { canonicalIp, compareIp, IpError, parsePrefix, PrefixSet } from '../util/ip.js';
import { proberText } from '../i18n/devices-text.js';

/** Options of one analysis. */
export interface AnalyzeOptions {
  /** Candidates per ranking indicator (default 500). */
  topN?: number;
  /** Campus inside prefixes; empty = backbone mode. */
  inside?: string[];
  /** Unit names by prefix. */
  units?: { prefix: string; name: string }[];
  /** Known servers (IP or CIDR), never reported for peer counts. */
  knownServers?: string[];
  thresholds?: Record<string, number>;
  /** Peers kept per host for the summary lists (default 4096). */
  peerCap?: number;
  /** Force the TimeSlot (default: from the file name, else from the first flow). */
  timeSlot?: number;
  /** Window length in seconds for volume thresholds (default: the flows' time span, within 30..300). */
  windowSeconds?: number;
  /**
   * Addresses the device ARP tables hold as unused around this window (only Incomplete/Deleted, or MAC 0), and the
   * device slots they came from: their outside senders are named `unused-probe` attackers with the reason.
   */
  arpUnused?: { addresses: Iterable<string>; slots: number[] };
  files?: string[];
  /**
   * How the window's flows are kept for the passes after aggregation (features, campus, ARP): 'columns' keeps every
   * field (49 B a flow); 'reread' keeps nothing and reads the files again for each pass; 'auto' (default) keeps
   * columns until they would pass `flowMemoryBudget`, then drops them. Re-reading needs a read function
   * ({@link analyzeRead}); {@link analyzeBatches} always keeps columns.
   */
  keepFlows?: 'columns' | 'reread' | 'auto';
  /** Bytes of flow columns 'auto' keeps before it drops them and re-reads (default 256 MiB, about 5.5 M flows). */
  flowMemoryBudget?: number;
  /**
   * Distinct sources kept per victim candidate (limits.victimSources, default 65 536): beyond it they are sampled
   * uniformly, and the spoofed / answered shares come from the sample. The window says so in `degraded`.
   */
  maxVictimSources?: number;
  /** Outside and inside campus candidates analysed, each list its top N (limits.campusCandidates, default 20000). */
  maxCampusCandidates?: number;
}

/**
 * Options that cannot be analysed with (a bad prefix, an unknown threshold key): the configuration's fault, never
 * a file's. The runner defers the file and retries it once the configuration is fixed.
 */
export class AnalysisConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration: ${problems.join('; ')}`);
    this.name = 'AnalysisConfigError';
  }
}

/** What is wrong with analysis options, "option: reason" each (empty when they can be used). Pure. */
export function analyzeOptionProblems(opts: AnalyzeOptions): string[] {
  const out: string[] = [];
  const prefixes = (what: string, list: string[] | undefined) =>
    (list ?? []).forEach((p, i) => {
      try {
        parsePrefix(p, { loose: true });
      } catch (err) {
        out.push(`${what}[${i}]: ${err instanceof IpError ? err.message : String(err)}`);
      }
    });
  prefixes('inside', opts.inside);
  prefixes('units', opts.units?.map((u) => u.prefix));
  prefixes('knownServers', opts.knownServers);
  for (const k of resolveThresholds(opts.thresholds).unknown) out.push(`thresholds.${k}: unknown threshold key`);
  for (const [k, v] of Object.entries(opts.thresholds ?? {})) if (typeof v !== 'number' || !Number.isFinite(v)) out.push(`thresholds.${k}: ${JSON.stringify(v)} is not a number`);
  return out;
}

/**
 * Analyze a stream of batches as one window (the flows are kept in memory for the later passes); refuses bad options
 * (AnalysisConfigError) before reading a batch.
 */
export async function analyzeBatches(batches: AsyncIterable<FlowBatch> | Iterable<FlowBatch>, opts: AnalyzeOptions = {}): Promise<WindowResult> {
  const problems = analyzeOptionProblems(opts);
  if (problems.length > 0) throw new AnalysisConfigError(problems);
  const agg = new WindowAggregator();
  try {
    for await (const b of batches) {
      agg.add(b);
      await agg.ready();
    }
  } catch (err) {
    agg.close();
    throw err;
  }
  return detect(await agg.result(), opts);
}

/** What a read pass of {@link analyzeRead} is: 0 the aggregation, then one per later pass over the flows. */
export interface ReadPass {
  pass: number;
  /** Pass 0: the source calls it when a file is opened, before its first batch (FlowReadOptions.onOpen). */
  onOpen?: (info: FileOpenInfo) => void;
  /** Pass 0: the source calls it after each file with the reader's counters (FlowReadOptions.onFile). */
  onFile?: (info: FileReadInfo) => void;
}

/** Default of AnalyzeOptions.flowMemoryBudget. */
export const DEFAULT_FLOW_MEMORY_BUDGET = 256 * 2 ** 20;

/**
 * Analyze one window given a way to read its flows (the same files with the same options every time it is
 * called): the tables are sized from the files' stat records before the first batch, and the flows are kept as
 * columns or read again per later pass (AnalyzeOptions.keepFlows). What the readers said about the files of pass 0
 * (FileReadInfo) makes the window's `partial` and `exporters` ({@link readSummary}). Refuses bad options
 * (AnalysisConfigError) before reading a batch.
 */
export async function analyzeRead(read: (pass: ReadPass) => AsyncIterable<FlowBatch>, opts: AnalyzeOptions = {}, deps: AnalyzeDeps = {}): Promise<WindowResult> {
  const problems = analyzeOptionProblems(opts);
  if (problems.length > 0) throw new AnalysisConfigError(problems);
  const mode = opts.keepFlows ?? 'auto';
  const budget = opts.flowMemoryBudget ?? DEFAULT_FLOW_MEMORY_BUDGET;
  const agg = new WindowAggregator({ noColumns: mode === 'reread', destinations: deps.destinations, pool: deps.pool });
  const maxColumnRows = Math.floor(budget / FLOW_COLUMN_BYTES);
  const clock = deps.clock;
  const t = deps.timings;
  let expected = 0;
  const infos: FileReadInfo[] = [];
  const onOpen = (info: FileOpenInfo) => {
    const flows = info.stat?.flows ?? 0;
    if (flows > 0) {
      expected += flows;
      agg.reserve(expected);
    }
    if (mode === 'auto' && expected > maxColumnRows) agg.dropColumns();
  };
  const onFile = (info: FileReadInfo) => {
    infos.push(info);
  };
  const t0 = clock?.() ?? 0;
  let adding = 0, waiting = 0;
  let f0 = 0;
  try {
    for await (const b of read({ pass: 0, onOpen, onFile })) {
      const a0 = clock?.() ?? 0;
      agg.add(b);
      if (mode === 'auto' && agg.flows && agg.flows.size > maxColumnRows) agg.dropColumns();
      const a1 = clock?.() ?? 0;
      await agg.ready();
      const a2 = clock?.() ?? 0;
      adding += a1 - a0;
      waiting += a2 - a1;
    }
    // The rows still waiting for a partitioned pass are counted now, in the aggregation's time.
    f0 = clock?.() ?? 0;
    agg.flush();
  } catch (err) {
    agg.close();
    agg.release();
    throw err;
  }
  const t1 = clock?.() ?? 0;
  let pass = 0;
  let result: WindowResult;
  let t2 = 0;
  let keptColumns = 0;
  try {
    const aggregate = await agg.result(() => read({ pass: ++pass }));
    t2 = clock?.() ?? 0;
    result = await detect(aggregate, opts);
    keptColumns = aggregate.flows.mode === 'columns' ? 1 : 0;
  } finally {
    // The result is plain data: the tables' buffers can serve the next window.
    agg.release();
  }
  const t3 = clock?.() ?? 0;
  if (t && clock) {
    // Seconds: reading (decode, decompression, the source's own work), the source side of the aggregation, waiting
    // for the destination side (flow control), the merge of the destinations, detection (with the later passes).
    t.read = (f0 - t0 - adding - waiting) / 1000;
    t.aggregate = (adding + (t1 - f0)) / 1000;
    t.waitDestinations = waiting / 1000;
    t.merge = (t2 - t1) / 1000;
    t.detect = (t3 - t2) / 1000;
    t.laterPasses = pass;
    t.keptColumns = keptColumns;
  }
  return { ...result, ...readSummary(infos) };
}

/**
 * What the readers said about a window's files, as the window carries it: `partial` when a file could be read only
 * up to damage (the blocks of every file summed, the reason of the first partial file, named when there are
 * several files), and every exporter with its sampling rate (the largest any file gave). Pure.
 */
export function readSummary(infos: FileReadInfo[]): Pick<WindowResult, 'partial' | 'exporters'> {
  const out: Pick<WindowResult, 'partial' | 'exporters'> = {};
  const partials = infos.filter((i) => i.partial);
  if (partials.length > 0) {
    let blocksRead = 0, blocksExpected = 0;
    for (const i of infos) {
      blocksRead += i.partial?.blocksRead ?? i.blocks ?? 0;
      blocksExpected += i.partial?.blocksExpected ?? i.blocksExpected ?? i.blocks ?? 0;
    }
    const first = partials[0];
    const name = first.file.slice(first.file.lastIndexOf('/') + 1);
    out.partial = { reason: infos.length > 1 ? `${name}: ${first.partial!.reason}` : first.partial!.reason, blocksRead, blocksExpected };
  }
  const exporters = new Map<string, number | undefined>();
  for (const i of infos) {
    for (const e of i.exporters ?? []) {
      const was = exporters.get(e.ip);
      exporters.set(e.ip, e.samplingRate === undefined ? was : Math.max(was ?? 0, e.samplingRate));
    }
  }
  if (exporters.size > 0) out.exporters = [...exporters].map(([ip, samplingRate]) => ({ ip, ...(samplingRate !== undefined ? { samplingRate } : {}) }));
  return out;
}

/** What {@link analyzeRead} runs on besides its input. */
export interface AnalyzeDeps {
  /** Where the destination side of the aggregation runs (default: in-thread). */
  destinations?: AggregatorOptions['destinations'];
  /** Buffers kept between windows (the engine's runner): the window's big tables come from it and go back to it. */
  pool?: AggregatorOptions['pool'];
  /** A clock in ms (the shell's performance.now) for the stage timers; without it nothing is timed. */
  clock?: () => number;
  /** Filled with the stages' seconds when a clock is given (read, aggregate, waitDestinations, merge, detect). */
  timings?: Record<string, number>;
}

const SOURCE_INDICATORS = ['outPeers', 'outFlows', 'outPackets', 'outBytes', 'outPorts'] as const;
const DEST_INDICATORS = ['inPeers', 'inFlows', 'inPackets', 'inBytes'] as const;

/** Detection over a finished aggregate (AnalysisConfigError for options it cannot use). */
export async function detect(agg: WindowAggregate, opts: AnalyzeOptions = {}): Promise<WindowResult> {
  const problems = analyzeOptionProblems(opts);
  if (problems.length > 0) throw new AnalysisConfigError(problems);
  const { ips, hosts: h, flows, totals } = agg;
  const n = ips.size;
  const topN = opts.topN ?? 500;
  const { thresholds: t } = resolveThresholds(opts.thresholds);
  const peerCap = opts.peerCap ?? 4096;
  const spanS = totals.flows > 0 ? (totals.lastStart - totals.firstStart) / 1000 : 300;
  const windowSeconds = opts.windowSeconds ?? Math.min(300, Math.max(30, spanS));
  const scale = windowSeconds / 300;
  const known = new PrefixSet((opts.knownServers ?? []).map((p) => ({ prefix: p })));
  const units = new PrefixSet((opts.units ?? []).map((u) => ({ prefix: u.prefix, tag: u.name })));
  const inside = new PrefixSet((opts.inside ?? []).map((p) => ({ prefix: p })));
  const campusMode = inside.size > 0;
  const maxVictimSources = opts.maxVictimSources ?? 65_536;
  const degraded: WindowDegradation = {};

  // 1. Candidates: the top N of each indicator, in each role.
  // A byte flag per IP keeps each list free of repeats.
  const outFlag = new Uint8Array(n);
  const inFlag = new Uint8Array(n);
  const candOut = { has: (id: number) => outFlag[id] === 1, add: (id: number) => { outFlag[id] = 1; outIds.push(id); } };
  const candIn = { has: (id: number) => inFlag[id] === 1, add: (id: number) => { inFlag[id] = 1; inIds.push(id); } };
  const outIds: number[] = [];
  const inIds: number[] = [];
  // Ties go by address, not id: ids follow the order the aggregation met the addresses, which its paths differ in.
  const rank = (id: number) => ips.rank(id);
  for (const ids of h.topEach(SOURCE_INDICATORS, n, topN, rank)) {
    for (const id of ids) if (!candOut.has(id)) candOut.add(id);
  }
  for (const ids of h.topEach(DEST_INDICATORS, n, topN, rank)) {
    for (const id of ids) if (!candIn.has(id)) candIn.add(id);
  }

  // 2. Campus pass: inside flags, active inside hosts, per-external-source stats, beacon candidates.
  let campus: CampusState | undefined;
  if (campusMode) {
    campus = await campusPass(agg, inside, t, opts.maxCampusCandidates ?? 20_000);
    if (campus.cut) degraded.campusCandidates = campus.cut;
    for (const id of campus.externalIds) if (!candOut.has(id)) candOut.add(id);
    for (const id of campus.insideIds) if (!candOut.has(id)) candOut.add(id);
  }
  // 2b. Senders to ARP-confirmed unused addresses (outside senders only, in campus mode).
  const arp = opts.arpUnused ? await arpUnusedPass(agg, opts.arpUnused.addresses, campus?.inside, t, topN) : undefined;
  if (arp) for (const id of arp.senders.keys()) if (!candOut.has(id)) candOut.add(id);

  // 3. Feature pass over the stored flows, for candidates only.
  const accOut = outIds.map(() => new FeatureAccumulator());
  const accIn = inIds.map(() => new FeatureAccumulator());
  const peersOut = outIds.map(() => new Map<number, number>());
  const peersIn = inIds.map(() => new Map<number, number>());
  // A victim's distinct sources, bounded: under a spoofed flood a uniform sample of them (tables.ts SampledIdSet).
  const sourcesIn = inIds.map(() => new SampledIdSet(maxVictimSources));
  // Rows carry address keys (FlowChunk): the candidates are found by key, and only their flows pay an id lookup.
  const outKeys = new KeyIndex(ips, outIds);
  const inKeys = new KeyIndex(ips, inIds);
  await flows.eachChunk((c: FlowChunk) => {
    const FA = c.family, S = c.src, D = c.dst, SP = c.sport, DP = c.dport, PR = c.proto;
    const FL = c.flags, PK = c.packets, BY = c.bytes, IF = c.inIf, EX = c.exporter, EXOF = c.exporterOf, SA = c.srcAs, DA = c.dstAs;
    for (let i = 0; i < c.size; i++) {
      const f = FA[i];
      const ko = outKeys.get(f, S[i]);
      if (ko >= 0) {
        accOut[ko].add(SP[i], DP[i], PR[i], FL[i], PK[i], BY[i], SA[i]);
        capBump(peersOut[ko], agg.idOf(f, D[i]), peerCap);
      }
      const ki = inKeys.get(f, D[i]);
      if (ki >= 0) {
        const d = inIds[ki];
        const s = agg.idOf(f, S[i]);
        const a = accIn[ki];
        a.add(SP[i], DP[i], PR[i], FL[i], PK[i], BY[i], DA[i]);
        a.addEntry(EXOF[EX[i]], IF[i]);
        capBump(peersIn[ki], s, peerCap);
        sourcesIn[ki].add(s);
      }
    }
  });

  // 4. Rules.
  const anomalies: Anomaly[] = [];
  /** The report of one IP in one role from its rule hits (best first) and its feature accumulator. */
  const buildAnomaly = (id: number, role: Role, hits: RuleHit[], view: HostView, a: FeatureAccumulator, peers: Map<number, number>): Anomaly => {
    const best = hits[0];
    const anomaly: Anomaly = {
      ip: ips.text(id),
      role,
      type: best.rule.type,
      severity: hits.some((x) => x.severity === 'super' && x.rule.type === best.rule.type) ? 'super' : best.severity,
      score: Math.max(...hits.map((x) => x.score)),
      metrics: { flows: view.flows, packets: view.packets, bytes: view.bytes, distinctPeers: view.peers, distinctPorts: view.ports },
      features: view.features,
      evidence: best.evidence,
      topPeers: topPeerList(peers, ips),
    };
    const also = [...new Set(hits.slice(1).map((x) => x.rule.type))].filter((x) => x !== best.rule.type);
    if (also.length) anomaly.alsoMatched = also;
    const sig = a.signature();
    if (sig) anomaly.signature = sig;
    const asn = a.asn();
    if (asn) anomaly.asn = asn;
    const unit = units.size > 0 ? units.match(anomaly.ip) : undefined;
    if (unit) anomaly.unit = unit;
    return anomaly;
  };
  const base = (id: number) => ({
    knownServer: known.size > 0 && known.has(ips.text(id)),
    scale,
  });
  for (let k = 0; k < outIds.length; k++) {
    const id = outIds[k];
    const a = accOut[k];
    if (a.flows === 0) continue;
    const avg = a.averages();
    const feats = a.features();
    const topPort = feats.dstPorts[0]?.share ?? 0;
    const isInside = campus?.inside[id] === 1;
    const view: HostView = {
      role: 'attacker',
      peers: h.outPeers.get(id),
      ports: h.outPorts.get(id),
      // Exact values from the feature pass (the host counters are float32 for ranking).
      flows: a.flows,
      packets: a.packets,
      bytes: a.bytes,
      reverseBytes: h.inBytes.get(id),
      features: feats,
      packetsPerFlow: avg.packetsPerFlow,
      bytesPerPacket: avg.bytesPerPacket,
      bytesPerFlow: avg.bytesPerFlow,
      topPortShare: topPort,
      spoofedShare: 0,
      answeredShare: 0,
      ...base(id),
    };
    const probe = arp?.senders.get(id);
    if (probe) view.arpUnused = { targets: probe.targets.length, flows: probe.flows };
    const hits: { hit: RuleHit; role: Role }[] = [];
    if (!isInside) for (const hit of evaluateAll(RULES.filter((r) => r.role === 'attacker'), view, t)) hits.push({ hit, role: 'attacker' });
    if (campus) {
      const cv = campus.view(id);
      if (cv) {
        const campusView: HostView = isInside
          ? { ...view, campus: cv, bytesPerPacket: (h.outBytes.get(id) + h.inBytes.get(id)) / Math.max(1, h.outPackets.get(id) + h.inPackets.get(id)) }
          : { ...view, campus: cv };
        const scope = isInside ? 'inside' : 'external';
        for (const hit of evaluateAll(CAMPUS_RULES.filter((r) => r.role === scope), campusView, t)) hits.push({ hit, role: isInside ? 'internal' : 'attacker' });
        if (isInside) {
          // Inside hosts also get the backbone's volume rules, reported in the internal role.
          for (const hit of evaluateAll(RULES.filter((r) => r.role === 'attacker' && r.type !== 'undefined'), view, t)) hits.push({ hit, role: 'internal' });
        }
      }
    }
    if (hits.length === 0) continue;
    hits.sort((x, y) => x.hit.rule.priority - y.hit.rule.priority || y.hit.score - x.hit.score);
    const best = hits[0];
    const anomaly = buildAnomaly(id, best.role, hits.map((x) => x.hit), view, a, peersOut[k]);
    const cvb = campus?.view(id)?.beacon;
    if (best.hit.rule.type === 'cc-beacon' && cvb) {
      anomaly.beacon = { peer: cvb.peer, port: cvb.port, flows: cvb.flows, meanIntervalSeconds: cvb.meanInterval, intervalCv: cvb.intervalCv, bytesPerFlow: cvb.bytesPerFlow };
    }
    if (probe && anomaly.role === 'attacker' && hits.some((x) => x.hit.rule.indicators.some((i) => i.over === 'unused-probe.arpTargets'))) {
      anomaly.unusedProbe = unusedProbeOf(probe.targets.map((d) => ips.text(d)), probe.flows, opts.arpUnused?.slots ?? []);
    }
    anomalies.push(anomaly);
  }
  for (let k = 0; k < inIds.length; k++) {
    const id = inIds[k];
    const a = accIn[k];
    if (a.flows === 0) continue;
    const avg = a.averages();
    const feats = a.features();
    const sample = sourcesIn[k];
    // Spoofed: sources that did nothing else, spread at random (many distinct /16s); answered: the victim sent back.
    let spoofed = 0;
    let answered = 0;
    for (const s of sample.ids) {
      if (h.outPeers.get(s) === 1 && h.inPeers.get(s) <= 1) spoofed++;
      if (agg.hasPair(id, s)) answered++;
    }
    const kept = sample.ids.size;
    // Sampled: the exact count of distinct sources is the aggregate's; the shares are the sample's.
    const srcCount = sample.sampled ? Math.round(h.inPeers.get(id)) : kept;
    const spread = spreadOf(sample.ids, ips);
    const view: HostView = {
      role: 'victim',
      peers: h.inPeers.get(id),
      ports: feats.distinct.dstPorts,
      flows: a.flows,
      packets: a.packets,
      bytes: a.bytes,
      reverseBytes: h.outBytes.get(id),
      features: feats,
      packetsPerFlow: avg.packetsPerFlow,
      bytesPerPacket: avg.bytesPerPacket,
      bytesPerFlow: avg.bytesPerFlow,
      topPortShare: feats.dstPorts[0]?.share ?? 0,
      spoofedShare: kept > 0 && spread >= 0.3 ? spoofed / kept : 0,
      answeredShare: kept > 0 ? answered / kept : 0,
      ...base(id),
    };
    if (sample.sampled) {
      const v = (degraded.victimSources ??= { limit: maxVictimSources, candidates: 0, largest: 0 });
      v.candidates++;
      v.largest = Math.max(v.largest, srcCount);
    }
    const hits = evaluateAll(RULES.filter((r) => r.role === 'victim'), view, t);
    if (hits.length === 0) continue;
    const anomaly = buildAnomaly(id, 'victim', hits, view, a, peersIn[k]);
    anomaly.entryPoints = a.entryPoints(agg.exporters);
    anomaly.victim = { distinctSources: srcCount, spoofedShare: view.spoofedShare, ...(sample.sampled ? { sampledSources: kept } : {}) };
    anomalies.push(anomaly);
  }
  anomalies.sort((x, y) => y.score - x.score || x.ip.localeCompare(y.ip));

  const slot = opts.timeSlot ?? (totals.flows > 0 ? timeSlotOf(Math.floor(totals.firstStart / 1000)) : 0);
  const start = timeSlotStart(slot);
  return {
    window: { timeSlot: slot, start, end: start + 300 },
    flows: totals.flows,
    packets: totals.packets,
    bytes: totals.bytes,
    distinctIps: n,
    anomalies,
    ...(opts.files ? { files: opts.files } : {}),
    ...(degraded.victimSources || degraded.campusCandidates ? { degraded } : {}),
  };
}

/**
 * Candidate ids found by a flow row's address key (IPv4: the address; IPv6: the id, see FlowChunk): a bitmap of key
 * hashes rejects most rows with one load, a small map answers the rest. `get` gives the candidate's index or -1.
 */
class KeyIndex {
  private readonly bits = new Uint32Array(1 << 15);
  private readonly v4 = new U32Map(64);
  private readonly v6 = new U32Map(64);

  constructor(ips: WindowAggregate['ips'], ids: number[]) {
    // Sized first: ids in order come partition by partition, which a small map would crowd into one run (U32Map).
    this.v4.reserve(ids.length);
    ids.forEach((id, k) => {
      const v4 = ips.familyOf.get(id) === 4;
      const key = v4 ? ips.v4Of.get(id) : id;
      (v4 ? this.v4 : this.v6).getOrInsert(key, k);
      const h = hash2(key, 0) >>> 12;
      this.bits[h >>> 5] |= 1 << (h & 31);
    });
  }

  get(family: number, key: number): number {
    const h = hash2(key, 0) >>> 12;
    if ((this.bits[h >>> 5] & (1 << (h & 31))) === 0) return -1;
    return (family === 4 ? this.v4 : this.v6).get(key);
  }
}

/** Count a peer's flows, adding new peers only while under the cap (the seeds cap per-host peer arrays). */
function capBump(m: Map<number, number>, peer: number, cap: number): void {
  const v = m.get(peer);
  if (v !== undefined) m.set(peer, v + 1);
  else if (m.size < cap) m.set(peer, 1);
}

function topPeerList(m: Map<number, number>, ips: WindowAggregate['ips'], n = 10): { ip: string; flows: number }[] {
  return [...m.entries()].sort((a, b) => b[1] - a[1] || ips.rank(a[0]) - ips.rank(b[0])).slice(0, n).map(([id, flows]) => ({ ip: ips.text(id), flows }));
}

/** Distinct /16 (IPv4) or /32 (IPv6) networks per source: near 1 when sources are spread at random. */
function spreadOf(sources: Set<number>, ips: WindowAggregate['ips']): number {
  if (sources.size === 0) return 0;
  const nets = new Set<number | string>();
  for (const s of sources) {
    if (ips.familyOf.get(s) === 4) nets.add(ips.v4Of.get(s) >>> 16);
    else nets.add(ips.text(s).split(':').slice(0, 2).join(':'));
  }
  return nets.size / Math.min(sources.size, 65536);
}

/** Senders to ARP-confirmed unused addresses: their distinct targets (ids) and flows to them. */
interface ArpUnusedState {
  senders: Map<number, { targets: number[]; flows: number }>;
}

/**
 * The seeds' gateway check over the window's flows: who sent to addresses the devices cannot resolve. A sender that
 * is itself unused, or inside the campus, is not counted; nor is an unused address reached by more than
 * `unused-probe.arpMaxSources` distinct senders (a flood at a dead address is a victim pattern, not probing).
 * Keeps the `topN` senders with the most targets that reach `unused-probe.arpTargets`. Undefined when none of the
 * addresses appears in the window.
 */
async function arpUnusedPass(agg: WindowAggregate, addresses: Iterable<string>, inside: Uint8Array | undefined, t: Thresholds, topN: number): Promise<ArpUnusedState | undefined> {
  const { ips, flows } = agg;
  const flag = new Uint8Array(ips.size);
  let any = false;
  for (const a of addresses) {
    const c = canonicalIp(a);
    const id = c === undefined ? -1 : ips.lookup(c);
    if (id >= 0) {
      flag[id] = 1;
      any = true;
    }
  }
  if (!any) return undefined;
  // Every flow from a counted sender to an unused address (found by key; ids looked up for those flows only).
  const unused = new KeyIndex(ips, [...Array(ips.size).keys()].filter((id) => flag[id] === 1));
  const eachProbeFlow = (fn: (s: number, d: number) => void) =>
    flows.eachChunk((c) => {
      const FA = c.family, S = c.src, D = c.dst;
      for (let i = 0; i < c.size; i++) {
        if (unused.get(FA[i], D[i]) < 0) continue;
        const s = agg.idOf(FA[i], S[i]), d = agg.idOf(FA[i], D[i]);
        if (flag[s] === 0 && (inside === undefined || inside[s] === 0)) fn(s, d);
      }
    });
  // Pass 1: distinct senders per unused address.
  const seen = new PairSet(1 << 12);
  const sendersOf = new Map<number, number>();
  await eachProbeFlow((s, d) => {
    if (seen.add(s, d)) sendersOf.set(d, (sendersOf.get(d) ?? 0) + 1);
  });
  const maxSources = t['unused-probe.arpMaxSources'];
  // Pass 2: per sender, its probe targets and flows to them.
  const per = new Map<number, { targets: number[]; flows: number }>();
  const distinct = new PairSet(1 << 12);
  await eachProbeFlow((s, d) => {
    if (sendersOf.get(d)! > maxSources) return;
    let r = per.get(s);
    if (!r) per.set(s, (r = { targets: [], flows: 0 }));
    r.flows++;
    if (distinct.add(s, d)) r.targets.push(d);
  });
  const minTargets = Math.max(1, t['unused-probe.arpTargets']);
  const kept = [...per.entries()]
    .filter(([, r]) => r.targets.length >= minTargets)
    .sort((a, b) => b[1].targets.length - a[1].targets.length || b[1].flows - a[1].flows || agg.ips.rank(a[0]) - agg.ips.rank(b[0]))
    .slice(0, topN);
  return { senders: new Map(kept) };
}

/** The anomaly's ARP evidence, with its reason in words. */
export function unusedProbeOf(targets: string[], flows: number, arpSlots: number[]): UnusedProbe {
  const sorted = [...targets].sort(compareIp);
  const shown = sorted.slice(0, 20);
  return {
    targets: shown,
    total: sorted.length,
    flows,
    arpSlots: [...arpSlots].sort((a, b) => a - b),
    reason: proberText({ targets: shown, total: sorted.length, flows }, 'en'),
  };
}

interface CampusState {
  inside: Uint8Array;
  insideCount: number;
  /** External sources worth evaluating (list C candidates). */
  externalIds: number[];
  /** Active inside hosts worth evaluating. */
  insideIds: number[];
  /** Set when a list was cut to its top N (the memory budget of one window). */
  cut?: NonNullable<WindowDegradation['campusCandidates']>;
  view(id: number): CampusView | undefined;
}

/** The seeds' per-campus pass: arrays A (inside hosts), B (their external peers) and C (suspects). */
async function campusPass(agg: WindowAggregate, insideSet: PrefixSet, t: Thresholds, maxCandidates: number): Promise<CampusState> {
  const { ips, hosts: h, flows } = agg;
  const n = ips.size;
  const inside = new Uint8Array(n);
  let insideCount = 0;
  for (let id = 0; id < n; id++) {
    const hit = ips.familyOf.get(id) === 4 ? insideSet.matchV4(ips.v4Of.get(id)) : insideSet.match(ips.text(id));
    if (hit !== undefined) { inside[id] = 1; insideCount++; }
  }
  // Active inside hosts: those that sent anything out of the campus in the window.
  const active = new Uint8Array(n);
  let activeCount = 0;
  const extTargets = new PairSet(1 << 14);
  const insideTargets = new Uint32Array(n);
  const activeTargets = new Uint32Array(n);
  const unusedTargets = new Uint32Array(n);
  const inFlows = new Float64Array(n);
  const inPackets = new Float64Array(n);
  const inBytes = new Float64Array(n);
  const inTcp = new Float64Array(n);
  const beacons = new Map<string, { src: number; dst: number; port: number; starts: number[]; bytes: number[] }>();
  const BEACON_KEYS_MAX = 200_000;
  // Every flow with its two ids (an id lookup per address: the campus pass needs them all).
  const forEach = (fn: (s: number, d: number, c: FlowChunk, i: number) => void) =>
    flows.eachChunk((c) => {
      const FA = c.family, S = c.src, D = c.dst;
      for (let i = 0; i < c.size; i++) fn(agg.idOf(FA[i], S[i]), agg.idOf(FA[i], D[i]), c, i);
    });
  await forEach((s, d) => {
    if (inside[s] === 1 && inside[d] === 0 && active[s] === 0) { active[s] = 1; activeCount++; }
  });
  await forEach((s, d, c, i) => {
    if (inside[s] === 0 && inside[d] === 1) {
      inFlows[s]++;
      inPackets[s] += c.packets[i];
      inBytes[s] += c.bytes[i];
      if (c.proto[i] === 6) inTcp[s]++;
      if (extTargets.add(s, d)) {
        insideTargets[s]++;
        if (active[d] === 0) unusedTargets[s]++;
        else activeTargets[s]++;
      }
    } else if (inside[s] === 1 && inside[d] === 0 && c.packets[i] <= 50) {
      const port = c.dport[i];
      const key = `${s}/${d}/${port}`;
      let e = beacons.get(key);
      if (!e) {
        if (beacons.size >= BEACON_KEYS_MAX) return;
        e = { src: s, dst: d, port, starts: [], bytes: [] };
        beacons.set(key, e);
      }
      e.starts.push(c.start[i]);
      e.bytes.push(c.bytes[i]);
    }
  });
  // Best beacon per inside host: regular intervals and near-constant sizes.
  const beaconOf = new Map<number, NonNullable<CampusView['beacon']>>();
  for (const e of beacons.values()) {
    if (e.starts.length < 4) continue;
    const b = beaconStats(e.starts, e.bytes);
    if (!b) continue;
    const cur = beaconOf.get(e.src);
    const cand = { peer: ips.text(e.dst), port: e.port, flows: e.starts.length, ...b };
    if (b.intervalCv <= t['cc-beacon.maxIntervalCv'] && b.bytesCv <= t['cc-beacon.maxBytesCv'] && b.bytesPerFlow <= t['cc-beacon.maxBytesPerFlow'] && (!cur || cand.flows > cur.flows)) beaconOf.set(e.src, cand);
  }
  let externalIds: number[] = [];
  let insideIds: number[] = [];
  for (let id = 0; id < n; id++) {
    if (inside[id] === 0 && (unusedTargets[id] > 0 || inFlows[id] >= 5)) externalIds.push(id);
    else if (inside[id] === 1 && active[id] === 1 && (h.outPeers.get(id) >= 20 || beaconOf.has(id) || h.outBytes.get(id) >= 1e6)) insideIds.push(id);
  }
  // The memory budget: each candidate gets a feature accumulator; a busy campus keeps its top N of each list —
  // outside sources by unused addresses reached, then flows in; inside hosts by peers, beacons first.
  let cut: CampusState['cut'];
  const outsideOf = externalIds.length;
  const insideOf = insideIds.length;
  if (outsideOf > maxCandidates) {
    const score = new Float64Array(n);
    for (const id of externalIds) score[id] = unusedTargets[id] * 1e9 + inFlows[id];
    externalIds = topIds(score, n, maxCandidates, (id) => ips.rank(id)).sort((a, b) => a - b);
  }
  if (insideOf > maxCandidates) {
    const score = new Float64Array(n);
    for (const id of insideIds) score[id] = (beaconOf.has(id) ? 1e12 : 0) + h.outPeers.get(id) + 1;
    insideIds = topIds(score, n, maxCandidates, (id) => ips.rank(id)).sort((a, b) => a - b);
  }
  if (outsideOf > maxCandidates || insideOf > maxCandidates) {
    cut = { limit: maxCandidates, outside: { kept: externalIds.length, of: outsideOf }, inside: { kept: insideIds.length, of: insideOf } };
  }
  return {
    inside,
    insideCount,
    externalIds,
    insideIds,
    ...(cut ? { cut } : {}),
    view(id: number): CampusView | undefined {
      if (id >= n) return undefined;
      return {
        inside: inside[id] === 1,
        unusedTargets: unusedTargets[id],
        insideTargets: insideTargets[id],
        activeTargets: activeTargets[id],
        activeInside: activeCount,
        inBytesPerPacket: inPackets[id] > 0 ? inBytes[id] / inPackets[id] : Infinity,
        inFlows: inFlows[id],
        inPackets: inPackets[id],
        inTcpShare: inFlows[id] > 0 ? inTcp[id] / inFlows[id] : 0,
        beacon: beaconOf.get(id),
      };
    },
  };
}

/** Coefficient of variation of intervals between starts and of bytes per flow. */
export function beaconStats(starts: number[], bytes: number[]): { intervalCv: number; bytesCv: number; meanInterval: number; bytesPerFlow: number } | undefined {
  const s = [...starts].sort((a, b) => a - b);
  const iv: number[] = [];
  for (let i = 1; i < s.length; i++) iv.push((s[i] - s[i - 1]) / 1000);
  const cv = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    if (m === 0) return { m, cv: Infinity };
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
    return { m, cv: Math.sqrt(v) / m };
  };
  const i = cv(iv);
  if (i.m < 0.5) return undefined; // sub-second repeats are bursts, not beacons
  const b = cv(bytes);
  return { intervalCv: i.cv, bytesCv: b.cv, meanInterval: i.m, bytesPerFlow: b.m };
}

/** Thresholds in force (for reports). */
export function thresholdsFor(opts: AnalyzeOptions): Thresholds {
  return resolveThresholds(opts.thresholds).thresholds;
}
