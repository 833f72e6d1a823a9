/**
 * Traffic scenarios with written ground truth (pure, deterministic by seed). Each scenario returns the flows of one
 * 5-minute window starting at `base` and what a correct detector must find in it (planted) and must not report
 * (benign). Volumes are sized against the default thresholds in src/engine/rules.ts and scale with `scale`.
 */
import type { AnomalyType, FlowRecord, Role } from '../engine/types.js';

/** What a correct detector reports about one planted IP. */
export interface Planted {
  ip: string;
  role: Role;
  /** Acceptable type codes. */
  types: AnomalyType[];
  dport?: number;
  signature?: string;
  entry?: { exporter: string; interface: number };
}

/** Ground truth of a generated window. */
export interface Truth {
  scenario: string;
  seed: number;
  scale: number;
  base: number;
  flows: number;
  planted: Planted[];
  /** IPs that must not be reported at all. */
  benign: string[];
  /** Members of a signature too small for any window threshold (found by hunting). */
  quietMembers?: { signature: string; ips: string[] };
  insidePrefixes?: string[];
}

/** A generated window. */
export interface Generated {
  flows: FlowRecord[];
  truth: Truth;
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ip4 = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** A random public-looking unicast IPv4 address (1.0.0.0–223.255.255.255, not 10/8, 127/8). */
export function randomIp(r: () => number): string {
  for (;;) {
    const n = (Math.floor(r() * 0xdf000000) + 0x01000000) >>> 0;
    const a = n >>> 24;
    if (a !== 10 && a !== 127) return ip4(n);
  }
}

interface Ctx {
  r: () => number;
  base: number;
  scale: number;
}

const WINDOW_MS = 299_000;
const at = (c: Ctx) => c.base + Math.floor(c.r() * WINDOW_MS);
const n = (c: Ctx, x: number) => Math.max(1, Math.round(x * c.scale));

function f(p: Partial<FlowRecord> & { src: string; dst: string; start: number }): FlowRecord {
  return {
    sport: 40000, dport: 80, proto: 6, flags: 0x1b, packets: 10, bytes: 5000, end: p.start + 1000, inIf: 1, outIf: 2,
    exporter: '127.0.0.1', srcAs: 0, dstAs: 0, ...p,
  };
}

/** Both directions of one TCP/UDP conversation. */
function conversation(c: Ctx, client: string, server: string, port: number, proto: number, reqBytes: number, respBytes: number): FlowRecord[] {
  const start = at(c);
  const sport = 32768 + Math.floor(c.r() * 28000);
  const pk = 3 + Math.floor(c.r() * 20);
  const flags = proto === 6 ? 0x1b : 0;
  return [
    f({ src: client, dst: server, sport, dport: port, proto, flags, packets: pk, bytes: reqBytes * pk, start, end: start + 800 }),
    f({ src: server, dst: client, sport: port, dport: sport, proto, flags, packets: pk + 2, bytes: respBytes * (pk + 2), start: start + 2, end: start + 900, inIf: 2, outIf: 1 }),
  ];
}

function background(c: Ctx): Generated {
  const flows: FlowRecord[] = [];
  const servers = Array.from({ length: 30 }, () => randomIp(c.r));
  const ports = [443, 80, 993, 22, 8443];
  for (let i = 0; i < n(c, 3000); i++) {
    const client = randomIp(c.r);
    flows.push(...conversation(c, client, servers[i % servers.length], ports[i % ports.length], 6, 120, 1200));
  }
  return { flows, truth: truth('background', c, flows, [], [...new Set(servers)]) };
}

function benignServers(c: Ctx): Generated {
  const dns = '192.0.2.53';
  const web = '192.0.2.80';
  const flows: FlowRecord[] = [];
  for (let i = 0; i < n(c, 3000); i++) {
    const client = randomIp(c.r);
    const start = at(c);
    const sport = 32768 + Math.floor(c.r() * 28000);
    flows.push(f({ src: client, dst: dns, sport, dport: 53, proto: 17, flags: 0, packets: 1, bytes: 60 + Math.floor(c.r() * 30), start }));
    flows.push(f({ src: dns, dst: client, sport: 53, dport: sport, proto: 17, flags: 0, packets: 1, bytes: 120 + Math.floor(c.r() * 200), start: start + 1 }));
  }
  for (let i = 0; i < n(c, 2000); i++) flows.push(...conversation(c, randomIp(c.r), web, 443, 6, 150, 1300));
  return { flows, truth: truth('benign-servers', c, flows, [], [dns, web]) };
}

function sshAttacker(c: Ctx): Generated {
  const ip = '203.0.113.115';
  const flows: FlowRecord[] = [];
  for (let i = 0; i < n(c, 8000); i++) {
    const pk = 1 + Math.floor(c.r() * 20);
    const start = at(c);
    flows.push(f({ src: ip, dst: randomIp(c.r), sport: 32768 + Math.floor(c.r() * 28000), dport: 22, flags: pk > 2 ? 0x1b : 0x02, packets: pk, bytes: pk * 40 + Math.floor(c.r() * pk * 100), start, srcAs: 64500 }));
  }
  return { flows, truth: truth('ssh-attacker', c, flows, [{ ip, role: 'attacker', types: ['many-peers'], dport: 22 }], []) };
}

function synScan(c: Ctx, ip = '140.110.26.68', port = 2375, count = 20000): Generated {
  const flows: FlowRecord[] = [];
  for (let i = 0; i < n(c, count); i++) {
    const start = at(c);
    flows.push(f({ src: ip, dst: randomIp(c.r), sport: 32768 + Math.floor(c.r() * 28000), dport: port, flags: 0x02, packets: 1, bytes: 40, start, end: start }));
  }
  return { flows, truth: truth('syn-scan', c, flows, [{ ip, role: 'attacker', types: ['scan'], dport: port, signature: `${port}-1-40` }], []) };
}

function spoofedDdos(c: Ctx): Generated {
  const victim = '192.0.2.10';
  const flows: FlowRecord[] = [];
  const sources = n(c, 15000);
  const srcs = Array.from({ length: sources }, () => randomIp(c.r));
  const others = [['127.0.0.3', 3], ['127.0.0.3', 5], ['127.0.0.4', 2]] as const;
  for (let i = 0; i < sources * 4; i++) {
    const main = c.r() < 0.8;
    const o = others[i % others.length];
    const start = at(c);
    flows.push(f({ src: srcs[i % sources], dst: victim, sport: 1024 + Math.floor(c.r() * 64000), dport: 80, flags: 0x02, packets: 1, bytes: 60, start, end: start, exporter: main ? '127.0.0.2' : o[0], inIf: main ? 7 : o[1] }));
  }
  return { flows, truth: truth('spoofed-ddos', c, flows, [{ ip: victim, role: 'victim', types: ['port-ddos-victim'], dport: 80, entry: { exporter: '127.0.0.2', interface: 7 } }], []) };
}

function heavyUpload(c: Ctx): Generated {
  const ip = '198.51.100.7';
  const peers = ['192.0.2.201', '192.0.2.202', '192.0.2.203'];
  const flows: FlowRecord[] = [];
  const total = 8e9 * c.scale;
  const count = 300;
  for (let i = 0; i < count; i++) {
    const start = c.base + Math.floor((i * WINDOW_MS) / count);
    flows.push(f({ src: ip, dst: peers[i % 3], sport: 50000 + (i % 3), dport: 443, packets: Math.round(total / count / 1400), bytes: Math.round(total / count), start, end: start + 900 }));
  }
  return { flows, truth: truth('heavy-upload', c, flows, [{ ip, role: 'attacker', types: ['egress-high'] }], []) };
}

function botnet(c: Ctx): Generated {
  const loud = '125.64.94.220';
  const quiet = ['1.170.36.229', '122.165.92.180', '113.16.174.66', '202.127.28.58', '140.130.46.118'];
  const flows: FlowRecord[] = [];
  const member = (ip: string, dsts: number) => {
    for (let i = 0; i < dsts; i++) {
      const start = at(c);
      flows.push(f({ src: ip, dst: randomIp(c.r), sport: 1024 + Math.floor(c.r() * 64000), dport: 1433, flags: 0x1b, packets: 3, bytes: 152, start }));
    }
  };
  member(loud, n(c, 5000));
  quiet.forEach((ip, k) => member(ip, 100 + k * 50));
  const t = truth('botnet', c, flows, [{ ip: loud, role: 'attacker', types: ['scan'], dport: 1433, signature: '1433-3-152' }], []);
  t.quietMembers = { signature: '1433-3-152', ips: quiet };
  t.benign = quiet; // below every window threshold: not reported per window, found by hunting
  return { flows, truth: t };
}

const CAMPUS = ['10.20.0.0/16'];

function insideTraffic(c: Ctx, hosts: number): { flows: FlowRecord[]; active: string[] } {
  const flows: FlowRecord[] = [];
  const active: string[] = [];
  for (let h = 1; h <= hosts; h++) {
    const ip = `10.20.1.${h}`;
    active.push(ip);
    for (let k = 0; k < 4; k++) flows.push(...conversation(c, ip, randomIp(c.r), 443, 6, 150, 1300));
  }
  return { flows, active };
}

function ccBeacon(c: Ctx): Generated {
  const host = '10.20.3.4';
  const cc = '141.193.213.21';
  const { flows } = insideTraffic(c, 20);
  for (let i = 0; i < 29; i++) {
    const start = c.base + i * 10_000 + Math.floor(c.r() * 300);
    const sport = 40000 + i;
    flows.push(f({ src: host, dst: cc, sport, dport: 443, packets: 12, bytes: 1500 + Math.floor(c.r() * 40), start, end: start + 400 }));
    flows.push(f({ src: cc, dst: host, sport: 443, dport: sport, packets: 10, bytes: 4200 + Math.floor(c.r() * 40), start: start + 5, end: start + 400 }));
  }
  const t = truth('cc-beacon', c, flows, [{ ip: host, role: 'internal', types: ['cc-beacon'], dport: 443 }], []);
  t.insidePrefixes = CAMPUS;
  return { flows, truth: t };
}

function campus(c: Ctx): Generated {
  const { flows, active } = insideTraffic(c, 40);
  const prober = '45.1.1.1';
  for (let i = 0; i < 200; i++) {
    const start = at(c);
    flows.push(f({ src: prober, dst: `10.20.${100 + (i >> 8)}.${i & 255}`, sport: 50000 + i, dport: 23, flags: 0x02, packets: 1, bytes: 60, start, end: start }));
  }
  const sweeper = '45.2.2.2';
  for (const h of active.slice(0, 30)) flows.push(f({ src: sweeper, dst: h, dport: 8080, packets: 6, bytes: 3000, start: at(c) }));
  const tiny = '45.3.3.3';
  for (let i = 0; i < 60; i++) flows.push(f({ src: tiny, dst: active[i % 3], dport: 80, packets: 5, bytes: 200, start: at(c) }));
  const flooder = '45.4.4.4';
  for (let i = 0; i < 600; i++) {
    const start = at(c);
    flows.push(f({ src: flooder, dst: active[5], sport: 1024 + i, dport: 443, flags: 0x10, packets: 200, bytes: 200 * 64, start }));
  }
  const p2p = '10.20.1.9';
  for (let i = 0; i < 120; i++) flows.push(...conversation(c, p2p, randomIp(c.r), 6881, 17, 300, 300).map((x) => ({ ...x, packets: x.packets * 200, bytes: x.packets * 200 * 300 })));
  const t = truth('campus', c, flows, [
    { ip: prober, role: 'attacker', types: ['unused-probe'] },
    { ip: sweeper, role: 'attacker', types: ['campus-sweep'] },
    { ip: tiny, role: 'attacker', types: ['tiny-packets'] },
    { ip: flooder, role: 'attacker', types: ['tcp-flood'] },
    { ip: p2p, role: 'internal', types: ['p2p', 'many-peers'] },
  ], active.filter((x) => x !== p2p && x !== active[5]));
  t.insidePrefixes = CAMPUS;
  return { flows, truth: t };
}

function mixed(c: Ctx): Generated {
  const parts = [background(c), benignServers(c), sshAttacker(c), synScan(c), spoofedDdos(c), heavyUpload(c), botnet(c)];
  const flows = parts.flatMap((p) => p.flows);
  const t = truth('mixed', c, flows, parts.flatMap((p) => p.truth.planted), parts.flatMap((p) => (p.truth.scenario === 'background' ? [] : p.truth.benign)));
  t.quietMembers = parts.find((p) => p.truth.quietMembers)?.truth.quietMembers;
  return { flows, truth: t };
}

function truth(scenario: string, c: Ctx, flows: FlowRecord[], planted: Planted[], benign: string[]): Truth {
  return { scenario, seed: 0, scale: c.scale, base: c.base, flows: flows.length, planted, benign };
}

/** Scenario names. */
export const SCENARIOS = ['background', 'benign-servers', 'ssh-attacker', 'syn-scan', 'spoofed-ddos', 'heavy-upload', 'botnet', 'cc-beacon', 'campus', 'mixed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const BUILDERS: Record<ScenarioName, (c: Ctx) => Generated> = {
  background,
  'benign-servers': benignServers,
  'ssh-attacker': sshAttacker,
  'syn-scan': (c) => synScan(c),
  'spoofed-ddos': spoofedDdos,
  'heavy-upload': heavyUpload,
  botnet,
  'cc-beacon': ccBeacon,
  campus,
  mixed,
};

/** Generate one scenario's window. `base` is the window's first millisecond. */
export function generateScenario(name: ScenarioName, opts: { seed?: number; scale?: number; base?: number } = {}): Generated {
  const seed = opts.seed ?? 1;
  const c: Ctx = { r: rng(seed), base: opts.base ?? Date.UTC(2026, 10, 22, 14, 5, 0), scale: opts.scale ?? 1 };
  const g = BUILDERS[name](c);
  g.truth.seed = seed;
  g.truth.flows = g.flows.length;
  g.flows.sort((a, b) => a.start - b.start);
  return g;
}

/** A pool member: a well-spread public-looking IPv4 address for index `k` of pool `pool` (pure). */
function poolIp(pool: number, k: number): string {
  let h = Math.imul(k ^ Math.imul(pool, 0x9e3779b9), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  const a = 1 + (h % 223);
  return `${a === 10 || a === 127 ? a + 1 : a}.${(h >>> 8) & 255}.${(h >>> 16) & 255}.${(k & 255) ^ (h >>> 24)}`;
}

/**
 * The scale window for the benchmark: `count` flows between millions of distinct IPs — sources from a pool of 2 Mi
 * addresses, destinations from 4 Mi (about 5.5 M distinct IPs for 10 M flows, most seen a few times, as on a
 * backbone) — plus one planted scanner. Above 10 M flows both pools grow by √(count / 10 M), so a backbone window of
 * 48 M flows has about 15 M distinct IPs (below 10 M the flows are exactly as before). Yields chunks so ten million
 * flows never sit in memory as objects at once.
 */
export function* scaleChunks(count: number, opts: { seed?: number; base?: number; chunk?: number } = {}): Generator<FlowRecord[]> {
  const c: Ctx = { r: rng(opts.seed ?? 7), base: opts.base ?? Date.UTC(2026, 10, 22, 14, 5, 0), scale: 1 };
  const chunk = opts.chunk ?? 50_000;
  const exporters = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
  const grow = count > 10_000_000 ? Math.sqrt(count / 10_000_000) : 1;
  const srcPool = Math.round(2 ** 21 * grow), dstPool = Math.round(2 ** 22 * grow);
  for (let done = 0; done < count; ) {
    const m = Math.min(chunk, count - done);
    const out: FlowRecord[] = new Array(m);
    for (let i = 0; i < m; i++) {
      const k = done + i;
      const start = c.base + Math.floor((k / count) * WINDOW_MS);
      if (k % 50 === 0) {
        out[i] = f({ src: '140.110.26.68', dst: randomIp(c.r), sport: 40000 + (k % 20000), dport: 2375, flags: 2, packets: 1, bytes: 40, start, end: start });
      } else {
        const pk = 1 + Math.floor(c.r() * 30);
        out[i] = f({
          src: poolIp(1, Math.floor(c.r() * srcPool)), dst: poolIp(2, Math.floor(c.r() * dstPool)), sport: 1024 + Math.floor(c.r() * 64000), dport: [443, 80, 53, 22, 8080][k % 5], proto: k % 7 === 0 ? 17 : 6,
          flags: 0x1b, packets: pk, bytes: pk * (60 + Math.floor(c.r() * 1400)), start, end: start + 500, exporter: exporters[k % 3], inIf: 1 + (k % 8),
        });
      }
    }
    done += m;
    yield out;
  }
}
