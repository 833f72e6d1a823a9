/**
 * The day's signature catalogue (pure): every `port-packets-bytes` shape that held more than half of a reported
 * attacker's flows (the engine's `Anomaly.signature`), with the attackers that used it, grouped by destination port
 * and ranked by strength as the seeds argue (004 §1.2):
 * - more packets per flow is more distinctive (the handshake was completed, something was said);
 * - bytes per packet further above the bare header (40 B for TCP, 28 B for UDP and ICMP) is more distinctive
 *   (application payload or a crafted format, rather than a lone SYN);
 * - more attackers sharing one shape means a bigger family (more members to spend).
 * A bare-header shape (no byte beyond the headers, e.g. `1433-1-40`: a lone SYN, spoofable) is kept but `weak`, and
 * not hunted unless asked for.
 */
import type { Anomaly } from '../engine/types.js';
import { parseSignature } from '../engine/hunt.js';
import { compareIp } from '../util/ip.js';

/** One shape of the day, with who used it. */
export interface CatalogueEntry {
  signature: string;
  port: number;
  packets: number;
  bytes: number;
  /** The protocol most of its attackers used (6 TCP, 17 UDP, 1 ICMP, ...): decides the bare header size. */
  proto: number;
  /** Bigger is more distinctive; see {@link signatureStrength}. */
  strength: number;
  /** No byte beyond the bare headers: kept, not hunted by default. */
  weak: boolean;
  /** The reported attackers that used it, most flows first. */
  attackers: string[];
}

/** The catalogue: entries ranked by strength, and the same entries grouped by port (ports by their best entry). */
export interface Catalogue {
  entries: CatalogueEntry[];
  ports: { port: number; entries: CatalogueEntry[] }[];
}

/** Bare header bytes of one packet for a protocol (IP + transport, without layer 2). */
export function headerBytes(proto: number): number {
  return proto === 6 ? 40 : 28;
}

/** True when a shape carries nothing beyond its headers (a lone SYN, an empty probe). */
export function isBareShape(packets: number, bytes: number, proto: number): boolean {
  return bytes <= packets * headerBytes(proto);
}

/**
 * Strength of a shape: log2(1 + packets) × (1 + log2(1 + bytes per packet above the header)) × (1 + log2(attackers) / 4).
 * The shape's two factors grow with packets and with payload per packet; the family factor grows slowly with the
 * number of attackers, so a common coincidence (many attackers on a 1-packet shape with a TCP option) does not
 * outrank a rich shape of a small family. Rounded to 2 decimals.
 */
export function signatureStrength(packets: number, bytes: number, proto: number, attackers: number): number {
  const excess = Math.max(0, bytes / Math.max(1, packets) - headerBytes(proto));
  const s = Math.log2(1 + packets) * (1 + Math.log2(1 + excess)) * (1 + Math.log2(Math.max(1, attackers)) / 4);
  return Math.round(s * 100) / 100;
}

/** Order entries: strongest first, then more attackers, then by signature text. */
export function compareEntries(a: CatalogueEntry, b: CatalogueEntry): number {
  return b.strength - a.strength || b.attackers.length - a.attackers.length || a.signature.localeCompare(b.signature);
}

/** The shapes of the day's attackers (any anomaly with role `attacker` and a signature). */
export function buildCatalogue(anomalies: Iterable<Pick<Anomaly, 'ip' | 'role' | 'signature' | 'features' | 'metrics'>>): Catalogue {
  const bySig = new Map<string, { port: number; packets: number; bytes: number; attackers: Map<string, number>; protos: Map<number, number> }>();
  for (const a of anomalies) {
    if (a.role !== 'attacker' || !a.signature) continue;
    let sig;
    try {
      sig = parseSignature(a.signature);
    } catch {
      continue; // a stored document from another version; never fatal
    }
    const key = `${sig.port}-${sig.packets}-${sig.bytes}`;
    let e = bySig.get(key);
    if (!e) bySig.set(key, (e = { ...sig, attackers: new Map(), protos: new Map() }));
    const flows = a.metrics?.flows ?? 0;
    e.attackers.set(a.ip, (e.attackers.get(a.ip) ?? 0) + flows);
    const top = a.features?.protocols?.[0]?.value;
    const proto = typeof top === 'number' ? top : Number(top);
    if (Number.isInteger(proto) && proto > 0) e.protos.set(proto, (e.protos.get(proto) ?? 0) + Math.max(1, flows));
  }
  const entries: CatalogueEntry[] = [...bySig.entries()].map(([signature, e]) => {
    const proto = [...e.protos.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]?.[0] ?? 6;
    const attackers = [...e.attackers.entries()].sort((x, y) => y[1] - x[1] || compareIp(x[0], y[0])).map(([ip]) => ip);
    return { signature, port: e.port, packets: e.packets, bytes: e.bytes, proto, strength: signatureStrength(e.packets, e.bytes, proto, attackers.length), weak: isBareShape(e.packets, e.bytes, proto), attackers };
  });
  return catalogueOf(entries);
}

/** Rank entries and group them by port. */
export function catalogueOf(entries: CatalogueEntry[]): Catalogue {
  const ranked = [...entries].sort(compareEntries);
  const ports = new Map<number, CatalogueEntry[]>();
  for (const e of ranked) {
    const list = ports.get(e.port);
    if (list) list.push(e);
    else ports.set(e.port, [e]);
  }
  return { entries: ranked, ports: [...ports.entries()].map(([port, list]) => ({ port, entries: list })) };
}

/** The entries a hunt searches for: the strong ones, and the weak ones too when asked. */
export function huntedEntries(c: Catalogue, opts: { includeWeak?: boolean; limit?: number } = {}): CatalogueEntry[] {
  const list = c.entries.filter((e) => opts.includeWeak || !e.weak);
  return opts.limit !== undefined ? list.slice(0, opts.limit) : list;
}
