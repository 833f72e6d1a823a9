/**
 * A {@link FlowFilter} rendered as nfdump filter text (pure): the nfdump driver's half of the structured predicate.
 * Every value is validated first (engine/filter.ts), so only numbers and canonical prefixes reach the text.
 */
import { validateFilter } from '../../engine/filter.js';
import type { FlowFilter, Range } from '../../engine/types.js';
import { parsePrefix, prefixToString } from '../../util/ip.js';

function nets(kw: string, ps: string[]): string {
  return or(ps.map((p) => {
    const q = parsePrefix(p, { loose: true });
    const full = q.length === (q.family === 4 ? 32 : 128);
    // nfdump wants the network address of a prefix: canonical text with host bits cleared.
    return full ? `${kw}host ${q.address}` : `${kw}net ${prefixToString(q)}`;
  }));
}

function or(parts: string[]): string {
  return parts.length === 1 ? parts[0] : `(${parts.join(' or ')})`;
}

function ports(kw: string, ps: number[]): string {
  return ps.length === 1 ? `${kw}port ${ps[0]}` : `${kw}port in [ ${ps.join(' ')} ]`;
}

function range(kw: string, r: Range): string[] {
  if (r.min !== undefined && r.max !== undefined && r.min === r.max) return [`${kw} ${r.min}`];
  const out: string[] = [];
  if (r.min !== undefined) out.push(`${kw} >= ${r.min}`);
  if (r.max !== undefined) out.push(`${kw} <= ${r.max}`);
  return out;
}

/** nfdump filter text for a filter ('' when it selects everything). Throws FilterError on a bad value. */
export function nfdumpFilterText(f: FlowFilter | undefined): string {
  if (!f) return '';
  validateFilter(f);
  const parts: string[] = [];
  if (f.host?.length) parts.push(nets('', f.host));
  if (f.src?.length) parts.push(nets('src ', f.src));
  if (f.dst?.length) parts.push(nets('dst ', f.dst));
  if (f.proto?.length) parts.push(or(f.proto.map((p) => `proto ${p}`)));
  if (f.port?.length) parts.push(ports('', f.port));
  if (f.srcPort?.length) parts.push(ports('src ', f.srcPort));
  if (f.dstPort?.length) parts.push(ports('dst ', f.dstPort));
  if (f.packets) parts.push(...range('packets', f.packets));
  if (f.bytes) parts.push(...range('bytes', f.bytes));
  if (f.anyOf && f.anyOf.length > 0) {
    const alts = f.anyOf.map((g) => nfdumpFilterText(g) || 'any');
    parts.push(alts.length === 1 ? alts[0] : `(${alts.map((a) => `(${a})`).join(' or ')})`);
  }
  return parts.join(' and ');
}
