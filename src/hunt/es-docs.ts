/**
 * The hunt's daily Elasticsearch documents (pure): one per catalogue signature per day, written by the hunt area and
 * `nocflow hunt --es` into the `signature` index family of src/es/index-discipline.ts.
 */
import { docId } from '../es/index-discipline.js';
import type { EsDoc } from '../es/types.js';
import type { HuntReport } from './report.js';

/**
 * One document per catalogue signature per day (`<prefix>-signature-YYYY.MM.DD`, the seeds' daily record): the shape,
 * its strength, attackers and members (at most `maxMembers`, most destinations first; `memberCount` is the whole
 * number). Id from day + signature, so a re-run of the day overwrites.
 */
export function signatureDocs(r: HuntReport, dayMs: number, opts: { maxMembers?: number } = {}): EsDoc[] {
  const max = opts.maxMembers ?? 10_000;
  const day = new Date(dayMs).toISOString().slice(0, 10);
  return r.signatures.map((s) => ({
    id: docId('signature', day, s.signature),
    ts: dayMs,
    body: {
      '@timestamp': dayMs,
      day,
      signature: s.signature,
      port: s.port,
      packets: s.packets,
      bytes: s.bytes,
      proto: s.proto,
      strength: s.strength,
      weak: s.weak,
      hunted: s.hunted,
      attackers: s.attackers,
      memberCount: s.members.length,
      membersTruncated: s.members.length > max,
      members: s.members.slice(0, max),
      ...(s.near ? { near: s.near.slice(0, max) } : {}),
      flows: s.flows,
      serverReplyFlows: s.serverReplyFlows,
      knownServerFlows: s.knownServerFlows,
      droppedSources: s.droppedSources,
      droppedFlows: s.droppedFlows,
    },
  }));
}
