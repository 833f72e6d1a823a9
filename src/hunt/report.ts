/**
 * The day's hunt as one value (pure): the catalogue's entries in rank order, each with what the hunt found. This is
 * the `nocflow hunt --auto --json` document (files, flows, signatures[{signature, port, packets, bytes, strength,
 * weak, attackers, members}]) and what the records, the ES documents and the screens are made from.
 */
import type { Catalogue, CatalogueEntry } from './catalogue.js';
import type { DayHuntResult, MemberRow, NearRow, SignatureHunt } from './day-hunt.js';

/** One catalogue signature with its members. */
export interface HuntedSignature extends CatalogueEntry {
  /** false for a weak shape left out (hunt weak shapes to include them). */
  hunted: boolean;
  /** Exact members, most destinations first. */
  members: MemberRow[];
  /** Near-shape members (only when a near search ran). */
  near?: NearRow[];
  /** Matching flows counted, server replies and known servers left out, and what a full member table dropped. */
  flows: number;
  serverReplyFlows: number;
  knownServerFlows: number;
  droppedSources: number;
  droppedFlows: number;
}

/** The whole day. */
export interface HuntReport {
  /** UTC day (YYYY-MM-DD) the files belong to, when known. */
  day?: string;
  source: 'files' | 'elasticsearch';
  files: number;
  flows: number;
  /** Flows matching some catalogue shape exactly. */
  matched: number;
  signatures: HuntedSignature[];
}

const none = { flows: 0, serverReplyFlows: 0, knownServerFlows: 0, droppedSources: 0, droppedFlows: 0 };

/** Put the catalogue and the hunt together, in catalogue rank order; entries not hunted get no members. */
export function assembleReport(catalogue: Catalogue, hunt: Pick<DayHuntResult, 'files' | 'flows' | 'matched' | 'signatures'>, meta: { day?: string; source: 'files' | 'elasticsearch' }): HuntReport {
  const found = new Map<string, SignatureHunt>(hunt.signatures.map((s) => [s.signature, s]));
  const signatures = catalogue.entries.map((e: CatalogueEntry): HuntedSignature => {
    const h = found.get(e.signature);
    return {
      signature: e.signature,
      port: e.port,
      packets: e.packets,
      bytes: e.bytes,
      proto: e.proto,
      strength: e.strength,
      weak: e.weak,
      hunted: h !== undefined,
      attackers: e.attackers,
      members: h?.members ?? [],
      ...(h?.near ? { near: h.near } : {}),
      ...(h ? { flows: h.flows, serverReplyFlows: h.serverReplyFlows, knownServerFlows: h.knownServerFlows, droppedSources: h.droppedSources, droppedFlows: h.droppedFlows } : none),
    };
  });
  return { ...(meta.day ? { day: meta.day } : {}), source: meta.source, files: hunt.files, flows: hunt.flows, matched: hunt.matched, signatures };
}

/** The report's signatures grouped by port, ports in the order of their best signature. */
export function byPort(r: HuntReport): { port: number; signatures: HuntedSignature[] }[] {
  const m = new Map<number, HuntedSignature[]>();
  for (const s of r.signatures) {
    const l = m.get(s.port);
    if (l) l.push(s);
    else m.set(s.port, [s]);
  }
  return [...m.entries()].map(([port, signatures]) => ({ port, signatures }));
}

/** The JSON document of `nocflow hunt --auto --json` (contract fields first; `limit` members per signature). */
export function reportJson(r: HuntReport, opts: { limit?: number } = {}): unknown {
  const cut = <T>(l: T[]) => (opts.limit !== undefined ? l.slice(0, opts.limit) : l);
  return {
    ...(r.day ? { day: r.day } : {}),
    source: r.source,
    files: r.files,
    flows: r.flows,
    matched: r.matched,
    signatures: r.signatures.map((s) => ({
      signature: s.signature,
      port: s.port,
      packets: s.packets,
      bytes: s.bytes,
      strength: s.strength,
      weak: s.weak,
      hunted: s.hunted,
      proto: s.proto,
      attackers: s.attackers,
      members: cut(s.members),
      memberCount: s.members.length,
      ...(s.near ? { near: cut(s.near) } : {}),
      flows: s.flows,
      serverReplyFlows: s.serverReplyFlows,
      knownServerFlows: s.knownServerFlows,
      droppedSources: s.droppedSources,
      droppedFlows: s.droppedFlows,
    })),
  };
}

/** UTC day text (YYYY-MM-DD) of an epoch ms. */
export function dayText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Epoch ms of UTC midnight of a `YYYY-MM-DD` text; throws on anything else. */
export function parseDay(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const ms = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  if (!m || !Number.isFinite(ms) || dayText(ms) !== text.trim()) throw new RangeError(`not a day (YYYY-MM-DD): "${text}"`);
  return ms;
}
