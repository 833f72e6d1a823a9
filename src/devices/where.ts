/** `where <ip|mac>`: resolve the query, read the history, and render it (pure formatting). */
import { canonicalIp } from '../util/ip.js';
import { stripControl } from '../util/sanitize.js';
import { normalizeMac } from './mac.js';
import type { DeviceStore, WhereRow } from './store.js';

/** The answer of a lookup. */
export interface WhereAnswer {
  query: string;
  kind: 'ip' | 'mac';
  history: boolean;
  rows: WhereRow[];
}

/** Error for a query that is neither an IP nor a MAC. */
export class WhereQueryError extends Error {
  constructor(readonly query: string) {
    super(`not an IP or MAC address: ${JSON.stringify(stripControl(query).slice(0, 64))}`);
    this.name = 'WhereQueryError';
  }
}

/** Classify and canonicalize a query. */
export function parseWhereQuery(text: string): { ip: string } | { mac: string } {
  // A host prefix (the Investigate view may pass one) names a single address.
  const host = /^(.+)\/(32|128)$/.exec(text.trim());
  const ip = canonicalIp(host ? host[1] : text);
  if (ip) return { ip };
  const mac = normalizeMac(text);
  if (mac) return { mac };
  throw new WhereQueryError(text);
}

/**
 * Look an IP or MAC up. Without `history`: the rows in each device's latest collection, or, when nothing is
 * current, the most recently seen ones. With `history`: every row, newest first.
 */
export function whereLookup(store: DeviceStore, text: string, opts: { history?: boolean } = {}): WhereAnswer {
  const q = parseWhereQuery(text);
  const all = store.sightings(q);
  let rows = all;
  if (!opts.history) {
    rows = all.filter((r) => r.current);
    if (rows.length === 0 && all.length > 0) rows = all.filter((r) => r.lastSeen === all[0].lastSeen);
  }
  return { query: 'ip' in q ? q.ip : q.mac, kind: 'ip' in q ? 'ip' : 'mac', history: !!opts.history, rows };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** The table columns of a lookup, in order. */
export const WHERE_COLUMNS: { header: string; width: number; render: (r: WhereRow) => string }[] = [
  { header: 'IP', width: 16, render: (r) => r.ip || '-' },
  { header: 'MAC', width: 18, render: (r) => r.mac },
  { header: 'DEVICE', width: 16, render: (r) => r.device },
  { header: 'INTERFACE', width: 18, render: (r) => r.interface || '-' },
  { header: 'PORT', width: 14, render: (r) => r.port || '-' },
  { header: 'VLAN', width: 5, render: (r) => (r.vlan === null ? '-' : String(r.vlan)) },
  { header: 'STATE', width: 11, render: (r) => r.state },
  { header: 'FIRST SEEN (UTC)', width: 20, render: (r) => iso(r.firstSeen) },
  { header: 'LAST SEEN (UTC)', width: 20, render: (r) => iso(r.lastSeen) },
  { header: 'NOW', width: 3, render: (r) => (r.current ? 'yes' : '') },
];

/** Plain-text table of a lookup (network text stripped of control characters). */
export function formatWhere(a: WhereAnswer): string {
  const line = (cells: string[]) => cells.map((c, i) => stripControl(c).padEnd(WHERE_COLUMNS[i].width)).join(' ').trimEnd();
  const out = [`# ${a.query} (${a.kind}): ${a.rows.length} ${a.history ? 'rows of history' : 'current rows'}`];
  if (a.rows.length === 0) return `${out[0]}\nnever seen in any collected ARP or MAC table\n`;
  out.push(line(WHERE_COLUMNS.map((c) => c.header)));
  for (const r of a.rows) out.push(line(WHERE_COLUMNS.map((c) => c.render(r))));
  return `${out.join('\n')}\n`;
}
