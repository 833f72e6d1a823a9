/**
 * Mitigation at the entry points (pure). The seeds block a spoofed flood only at the large entry interfaces: blocking
 * next to the victim would also cut the innocent hosts whose addresses the attacker borrows, everywhere. Each BGP
 * neighbour may name the exporters (and input interfaces) it stands for; the victim's entry points, ranked as the
 * detail view ranks them (Anomaly.entryPoints), are summed per neighbour, and the rule goes only to the neighbours that
 * carry at least `entryShare` of the attack. The routing is done by the managed gobgpd: a community per neighbour,
 * and an export policy that sends a route carrying neighbour communities only to those neighbours (gobgp.ts).
 */
import type { EntryPoint } from '../engine/types.js';
import type { FlowspecConfig, FlowspecNeighbor } from '../config/sections/flowspec.js';
import { canonicalIp } from '../util/ip.js';
import type { EntryScope } from './effect.js';

/** A neighbour's share of an attack. */
export interface NeighborShare {
  address: string;
  name?: string;
  /** Share of the victim's flows that entered through this neighbour's exporters/interfaces. */
  share: number;
  flows: number;
}

/** Which neighbours get a victim's rule. */
export interface EntrySelection {
  chosen: NeighborShare[];
  skipped: NeighborShare[];
  /** Share of the attack entering at the chosen neighbours. */
  covered: number;
  threshold: number;
}

/** The community that steers a route to neighbour `index` (configured, else <as>:<64001+index>). Pure. */
export function neighborCommunity(cfg: Pick<FlowspecConfig, 'as' | 'neighbors'>, index: number): string {
  const n = cfg.neighbors[index];
  if (n?.community) return n.community;
  // A standard community's high half holds 16 bits: a 4-byte AS cannot go there.
  const high = cfg.as <= 65535 ? cfg.as : 65000;
  return `${high}:${64001 + index}`;
}

/** True when neighbours name their entries and nocflow writes gobgpd's configuration (managed mode). Pure. */
export function targetingEnabled(cfg: Pick<FlowspecConfig, 'mode' | 'neighbors'>): boolean {
  return cfg.mode === 'managed' && cfg.neighbors.some((n) => (n.entries?.length ?? 0) > 0);
}

/** Does an entry point (exporter#interface) come in through this neighbour? */
function carries(n: FlowspecNeighbor, e: EntryPoint): boolean {
  const ex = canonicalIp(e.exporter) ?? e.exporter;
  return (n.entries ?? []).some((x) => (canonicalIp(x.exporter) ?? x.exporter) === ex && (!x.interfaces?.length || x.interfaces.includes(e.interface)));
}

/**
 * The neighbours that carry at least `threshold` of the attack, largest first, or undefined when targeting does not
 * apply (no neighbour names entries, no entry points, or no neighbour carries enough: then every router gets it).
 * Pure.
 */
export function selectEntryNeighbors(entryPoints: EntryPoint[] | undefined, neighbors: FlowspecNeighbor[], threshold: number): EntrySelection | undefined {
  if (!entryPoints?.length || !neighbors.some((n) => n.entries?.length)) return undefined;
  const shares: NeighborShare[] = neighbors
    .filter((n) => n.entries?.length)
    .map((n) => {
      const mine = entryPoints.filter((e) => carries(n, e));
      return { address: n.address, ...(n.name ? { name: n.name } : {}), share: mine.reduce((s, e) => s + e.share, 0), flows: mine.reduce((s, e) => s + e.flows, 0) };
    })
    .sort((a, b) => b.share - a.share || a.address.localeCompare(b.address));
  const chosen = shares.filter((s) => s.share >= threshold && s.flows > 0);
  if (chosen.length === 0) return undefined;
  return { chosen, skipped: shares.filter((s) => !chosen.includes(s)), covered: chosen.reduce((s, x) => s + x.share, 0), threshold };
}

/** The exporter/interface scope of the neighbours a rule went to (for the effect meter's entry packets). Pure. */
export function entriesOf(neighbors: FlowspecNeighbor[], addresses: string[] | undefined): EntryScope[] | undefined {
  if (!addresses?.length) return undefined;
  return neighbors.filter((n) => addresses.includes(canonicalIp(n.address) ?? n.address)).flatMap((n) => (n.entries ?? []).map((e) => ({ exporter: canonicalIp(e.exporter) ?? e.exporter, ...(e.interfaces?.length ? { interfaces: e.interfaces } : {}) })));
}

/** Communities for a rule's neighbours (undefined addresses: none, the rule goes everywhere). Pure. */
export function targetCommunities(cfg: Pick<FlowspecConfig, 'as' | 'neighbors'>, addresses: string[] | undefined): string[] {
  if (!addresses?.length) return [];
  return cfg.neighbors.flatMap((n, i) => (addresses.includes(canonicalIp(n.address) ?? n.address) ? [neighborCommunity(cfg, i)] : []));
}

/** Problems of the neighbours' targeting settings, each "path: reason" (for the config checker). Pure. */
export function checkFlowspecTargeting(cfg: Pick<FlowspecConfig, 'as' | 'neighbors' | 'entryShare'>): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  cfg.neighbors.forEach((n, i) => {
    if (!canonicalIp(n.address)) problems.push(`flowspec.neighbors[${i}].address: not an IP address: "${n.address}"`);
    (n.entries ?? []).forEach((e, k) => {
      if (!canonicalIp(e.exporter)) problems.push(`flowspec.neighbors[${i}].entries[${k}].exporter: not an IP address: "${e.exporter}"`);
    });
    if (n.community !== undefined && !/^\d{1,5}:\d{1,5}$/.test(n.community)) problems.push(`flowspec.neighbors[${i}].community: must look like 65000:64001, got "${n.community}"`);
    const c = neighborCommunity(cfg, i);
    const [hi, lo] = c.split(':').map(Number);
    if (hi > 65535 || lo > 65535) problems.push(`flowspec.neighbors[${i}].community: ${c} does not fit a standard community (16:16 bits)`);
    if (seen.has(c)) problems.push(`flowspec.neighbors[${i}].community: ${c} is also neighbour ${seen.get(c)}'s`);
    seen.set(c, i);
  });
  if (!(cfg.entryShare >= 0 && cfg.entryShare <= 1)) problems.push(`flowspec.entryShare: must be a share from 0 to 1, got ${cfg.entryShare}`);
  return problems;
}
