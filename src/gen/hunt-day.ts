/**
 * A generated day for botnet hunting (pure, deterministic by seed): several hourly files of background traffic with
 * two botnets — each a loud member that a window's detection reports (so its shape enters the day's catalogue) and
 * quiet members no window threshold sees — plus the decoys a hunt must place correctly: a client that talks to one
 * server in the same shape, a server answering from the service port in the same shape, a known server, a near
 * shape (4 more bytes: one TCP option), and a bare-SYN prober with a quiet friend. Two variants make two days with
 * recurring and new members and an IP that carries two signatures on day 2.
 * The truth is written from the plan (what was sent), never from a hunt.
 */
import type { FlowRecord } from '../engine/types.js';
import { randomIp, rng } from './scenarios.js';
import { nfcapdName } from '../ingest/watcher.js';

/** What a correct hunt finds for one member. */
export interface MemberTruth {
  ip: string;
  destinations: number;
  flows: number;
  sourcePorts: number;
  /** Hourly files the member appears in. */
  files: number;
  firstSeen: number;
  lastSeen: number;
}

/** Ground truth of a generated hunt day. */
export interface HuntDayTruth {
  /** UTC midnight of the day, epoch ms. */
  day: number;
  variant: 1 | 2;
  /** File names, oldest first (nfcapd.YYYYMMDDhh00). */
  files: string[];
  /** Hunted (not weak) signatures of the day's catalogue → attackers (the loud ones) and exact members. */
  signatures: Record<string, { attackers: string[]; members: MemberTruth[] }>;
  /** Weak signatures of the catalogue (bare headers): their attackers, and members found only when weak shapes are hunted. */
  weak: Record<string, { attackers: string[]; members: MemberTruth[] }>;
  /** Near shapes: signature → the members that used a shape within ±4 bytes (and the bytes they used). */
  near: Record<string, (MemberTruth & { bytes: number[] })[]>;
  /** Sources that must never be members: server replies from the service port, and configured known servers. */
  notMembers: { serverReply: string[]; knownServer: string[] };
  /** engine.knownServers for this day. */
  knownServers: string[];
  /** The client that talks to a single server in a botnet's shape (a member with one destination). */
  oneServerClient: string;
  flows: number;
}

/** One hourly file of a generated day. */
export interface HuntDayFile {
  name: string;
  /** Start of the hour, epoch ms. */
  base: number;
  flows: FlowRecord[];
}

/** The hours that get a file (six of the day, so tests stay quick; the benchmark builds its own 24). */
export const HUNT_DAY_HOURS = [0, 4, 8, 12, 16, 20] as const;

const HOUR = 3_600_000;


interface Plan {
  ip: string;
  /** `port-packets-bytes` and protocol. */
  port: number;
  packets: number;
  bytes: number;
  proto: number;
  /** Distinct destinations, the hours (indices into HUNT_DAY_HOURS) they are spread over, flows per destination. */
  destinations: number;
  hours: number[];
  flowsPerDest?: number;
  /** Distinct source ports (cycled); default one per flow. */
  sourcePorts?: number;
  /** Fixed source port (a server answering from its service port). */
  fixedSport?: number;
  /** All flows to this one destination. */
  oneDest?: string;
  /** Distinct destination block, so members never share destinations by accident. */
  block: number;
}

/** Distinct public-looking destination `k` of block `b` (pure, never 10/8 or 127/8). */
function dest(b: number, k: number): string {
  const a = 20 + (b % 180);
  return `${a === 127 ? 128 : a}.${(b >> 3) & 255}.${(k >>> 8) & 255}.${k & 255}`;
}

function plans(variant: 1 | 2): { hunted: Plan[]; weak: Plan[]; near: Plan[]; decoys: Plan[] } {
  const A = { port: 1433, packets: 3, bytes: 152, proto: 6 };
  const B = { port: 5060, packets: 1, bytes: 437, proto: 17 };
  const SYN = { port: 1433, packets: 1, bytes: 40, proto: 6 };
  const hunted: Plan[] =
    variant === 1
      ? [
          { ip: '222.74.48.230', ...A, destinations: 3000, hours: [0], block: 1 },
          { ip: '218.4.133.202', ...A, destinations: 1500, hours: [2], block: 2 },
          { ip: '1.170.36.229', ...A, destinations: 280, hours: [0, 1, 2, 3], block: 3 },
          { ip: '140.130.93.101', ...A, destinations: 150, hours: [1, 3, 5], flowsPerDest: 2, block: 4 },
          { ip: '122.165.92.180', ...A, destinations: 90, hours: [2, 4], sourcePorts: 10, block: 5 },
          { ip: '113.16.174.66', ...A, destinations: 40, hours: [5], block: 6 },
          { ip: '185.232.67.11', ...B, destinations: 5500, hours: [3], block: 7 },
          { ip: '103.207.36.130', ...B, destinations: 200, hours: [1, 4], block: 8 },
          { ip: '202.127.28.58', ...B, destinations: 60, hours: [5], block: 9 },
        ]
      : [
          { ip: '222.74.48.230', ...A, destinations: 2500, hours: [1], block: 11 },
          { ip: '1.170.36.229', ...A, destinations: 260, hours: [0, 2, 4], block: 12 },
          { ip: '140.130.93.101', ...A, destinations: 120, hours: [3, 5], block: 13 },
          { ip: '36.110.5.5', ...A, destinations: 70, hours: [2], block: 14 },
          // Carries both signatures on day 2.
          { ip: '103.207.36.130', ...A, destinations: 50, hours: [4], block: 15 },
          { ip: '185.232.67.12', ...B, destinations: 5200, hours: [2], block: 16 },
          { ip: '103.207.36.130', ...B, destinations: 180, hours: [0, 3], block: 17 },
        ];
  const weak: Plan[] = [
    { ip: '125.64.94.220', ...SYN, destinations: 2500, hours: [1], block: 21 },
    { ip: '61.160.1.1', ...SYN, destinations: 80, hours: [3], block: 22 },
  ];
  const near: Plan[] = [{ ip: '45.76.10.10', ...A, bytes: 156, destinations: 120, hours: [2, 4], block: 23 }];
  const decoys: Plan[] = [
    // A database client: 120 short sessions to one server, in botnet A's shape.
    { ip: '140.130.46.118', ...A, destinations: 1, hours: [0, 2, 4], flowsPerDest: 120, oneDest: '192.0.2.14', sourcePorts: 120, block: 24 },
    // A SIP proxy keeping peers alive 5060 → 5060 in botnet B's shape: a server answering, never a member.
    { ip: '198.51.100.60', ...B, destinations: 400, hours: [0, 3, 5], fixedSport: 5060, block: 25 },
    // A configured known server that happens to use botnet A's shape.
    { ip: '198.51.100.61', ...A, destinations: 50, hours: [1], block: 26 },
  ];
  return { hunted, weak, near, decoys };
}

/** Flows of one plan, spread over its hours; and its truth. */
function flowsOf(p: Plan, day: number, r: () => number): { flows: FlowRecord[]; truth: MemberTruth } {
  const per = p.flowsPerDest ?? 1;
  const total = p.destinations * per;
  const flows: FlowRecord[] = [];
  const sports = new Set<number>();
  const files = new Set<number>();
  for (let k = 0; k < total; k++) {
    const hi = p.hours[k % p.hours.length];
    files.add(hi);
    const hourStart = day + HUNT_DAY_HOURS[hi] * HOUR;
    const start = hourStart + 1000 + Math.floor(r() * (HOUR - 10_000));
    const sport = p.fixedSport ?? (p.sourcePorts ? 40000 + (k % p.sourcePorts) : 32768 + (k % 28000));
    sports.add(sport);
    const dst = p.oneDest ?? dest(p.block, Math.floor(k / per));
    flows.push({
      src: p.ip, dst, sport, dport: p.port, proto: p.proto, flags: p.proto === 6 ? (p.packets === 1 ? 0x02 : 0x1b) : 0,
      packets: p.packets, bytes: p.bytes, start, end: start + (p.packets > 1 ? 400 : 0), inIf: 3, outIf: 4, exporter: '127.0.0.1', srcAs: 0, dstAs: 0,
    });
  }
  const starts = flows.map((f) => f.start);
  return {
    flows,
    truth: { ip: p.ip, destinations: p.oneDest ? 1 : p.destinations, flows: total, sourcePorts: sports.size, files: files.size, firstSeen: Math.min(...starts), lastSeen: Math.max(...starts) },
  };
}

/** Background conversations of one hour (both directions; web, mail, ssh; shapes vary with the payload). */
function background(hourStart: number, r: () => number, count: number): FlowRecord[] {
  const servers = Array.from({ length: 30 }, () => randomIp(r));
  const ports = [443, 80, 993, 22, 8443];
  const out: FlowRecord[] = [];
  for (let i = 0; i < count; i++) {
    const client = randomIp(r);
    const server = servers[i % servers.length];
    const port = ports[i % ports.length];
    const start = hourStart + Math.floor(r() * (HOUR - 5000));
    const sport = 32768 + Math.floor(r() * 28000);
    const pk = 3 + Math.floor(r() * 20);
    out.push({ src: client, dst: server, sport, dport: port, proto: 6, flags: 0x1b, packets: pk, bytes: pk * (60 + Math.floor(r() * 200)), start, end: start + 800, inIf: 1, outIf: 2, exporter: '127.0.0.1', srcAs: 0, dstAs: 0 });
    out.push({ src: server, dst: client, sport: port, dport: sport, proto: 6, flags: 0x1b, packets: pk + 2, bytes: (pk + 2) * (400 + Math.floor(r() * 1000)), start: start + 2, end: start + 900, inIf: 2, outIf: 1, exporter: '127.0.0.1', srcAs: 0, dstAs: 0 });
  }
  return out;
}

const sigOf = (p: Plan) => `${p.port}-${p.packets}-${p.bytes}`;

/** Generate one day (variant 1 or 2) starting at UTC midnight `day`. */
export function generateHuntDay(opts: { day: number; variant?: 1 | 2; seed?: number; backgroundPerHour?: number }): { files: HuntDayFile[]; truth: HuntDayTruth } {
  const variant = opts.variant ?? 1;
  if (opts.day % 86_400_000 !== 0) throw new Error(`a hunt day starts at UTC midnight, got ${new Date(opts.day).toISOString()}`);
  const r = rng(opts.seed ?? 11 + variant);
  const pl = plans(variant);
  const files: HuntDayFile[] = HUNT_DAY_HOURS.map((h) => ({ name: nfcapdName(opts.day + h * HOUR), base: opts.day + h * HOUR, flows: background(opts.day + h * HOUR, r, opts.backgroundPerHour ?? 2000) }));
  const put = (flows: FlowRecord[]) => {
    for (const f of flows) files[HUNT_DAY_HOURS.indexOf(Math.floor((f.start - opts.day) / HOUR) as (typeof HUNT_DAY_HOURS)[number])].flows.push(f);
  };
  const truth: HuntDayTruth = {
    day: opts.day, variant, files: files.map((f) => f.name), signatures: {}, weak: {}, near: {},
    notMembers: { serverReply: ['198.51.100.60'], knownServer: ['198.51.100.61'] }, knownServers: ['198.51.100.61/32'], oneServerClient: '140.130.46.118', flows: 0,
  };
  const members = (table: Record<string, { attackers: string[]; members: MemberTruth[] }>, p: Plan, t: MemberTruth, loud: boolean) => {
    const e = (table[sigOf(p)] ??= { attackers: [], members: [] });
    if (loud) e.attackers.push(p.ip);
    e.members.push(t);
  };
  const loud = (p: Plan) => p.destinations >= 1000;
  for (const p of pl.hunted) {
    const g = flowsOf(p, opts.day, r);
    put(g.flows);
    members(truth.signatures, p, g.truth, loud(p));
  }
  for (const p of pl.weak) {
    const g = flowsOf(p, opts.day, r);
    put(g.flows);
    members(truth.weak, p, g.truth, loud(p));
  }
  for (const p of pl.near) {
    const g = flowsOf(p, opts.day, r);
    put(g.flows);
    (truth.near['1433-3-152'] ??= []).push({ ...g.truth, bytes: [p.bytes] });
  }
  for (const p of pl.decoys) {
    const g = flowsOf(p, opts.day, r);
    put(g.flows);
    if (p.ip === truth.oneServerClient) members(truth.signatures, p, g.truth, false);
  }
  for (const t of [...Object.values(truth.signatures), ...Object.values(truth.weak)]) {
    t.members.sort((a, b) => b.destinations - a.destinations || b.flows - a.flows || a.ip.localeCompare(b.ip));
    t.attackers.sort();
  }
  for (const f of files) f.flows.sort((a, b) => a.start - b.start);
  truth.flows = files.reduce((s, f) => s + f.flows.length, 0);
  return { files, truth };
}
