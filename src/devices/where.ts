/** `where <ip|mac>`: resolve the query, read the history, and render it (pure formatting). */
import type { AllowedMac } from '../config/sections/devices.js';
import { findingText } from '../i18n/devices-text.js';
import { canonicalIp } from '../util/ip.js';
import { stripControl } from '../util/sanitize.js';
import { ipMoves, isUnusedAddress, macsWithSeveralIps, type HistoryRow } from './anomalies.js';
import { normalizeMac, ZERO_MAC } from './mac.js';
import type { DeviceStore, WhereRow } from './store.js';

/** What the history says is odd about the address: the device anomalies that concern it. */
export interface WhereFinding {
  kind: 'unused' | 'mac-several-ips' | 'ip-moved-mac' | 'ip-moved-port';
  /** In English, for the CLI and logs; screens build their own words from the fields below. */
  reason: string;
  /** unused: the IP and "<state> on <device>" items; mac-several-ips: the MAC and its IPs; moves: the IP and its trail. */
  ip?: string;
  mac?: string;
  ips?: string[];
  on?: string[];
  trail?: string[];
}

/** The answer of a lookup. */
export interface WhereAnswer {
  query: string;
  kind: 'ip' | 'mac';
  history: boolean;
  rows: WhereRow[];
  findings: WhereFinding[];
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
 * current, the most recently seen ones. With `history`: every row, newest first. Either way the findings come
 * from the whole history of the address and of the MACs it had (`allowMacs`: mobile / router MACs not flagged).
 */
export function whereLookup(store: DeviceStore, text: string, opts: { history?: boolean; allowMacs?: AllowedMac[] } = {}): WhereAnswer {
  const q = parseWhereQuery(text);
  const all = store.sightings(q);
  let rows = all;
  if (!opts.history) {
    rows = all.filter((r) => r.current);
    if (rows.length === 0 && all.length > 0) rows = all.filter((r) => r.lastSeen === all[0].lastSeen);
  }
  return { query: 'ip' in q ? q.ip : q.mac, kind: 'ip' in q ? 'ip' : 'mac', history: !!opts.history, rows, findings: findingsOf(store, q, all, opts.allowMacs ?? []) };
}

const toHistory = (r: WhereRow): HistoryRow => ({ source: r.source, device: r.device, ip: r.ip, mac: r.mac, port: r.port, state: r.state, system: r.system, firstSeen: r.firstSeen, lastSeen: r.lastSeen });

/** The device anomalies that concern the queried address, from its rows and the rows of the MACs it had. */
function findingsOf(store: DeviceStore, q: { ip: string } | { mac: string }, rows: WhereRow[], allow: AllowedMac[]): WhereFinding[] {
  const out: WhereFinding[] = [];
  const macs = 'mac' in q ? [q.mac] : [...new Set(rows.filter((r) => r.source === 'arp' && r.mac !== ZERO_MAC).map((r) => r.mac))];
  const history = new Map<string, HistoryRow>();
  const add = (r: WhereRow) => history.set(`${r.source}|${r.device}|${r.ip}|${r.mac}|${r.port}|${r.state}|${r.interface}|${r.vlan}|${r.system}`, toHistory(r));
  rows.forEach(add);
  // An IP's MACs (did one of them hold other IPs?) and a MAC's IPs (did one of them answer from another MAC?).
  if ('ip' in q) for (const m of macs) store.sightings({ mac: m }).forEach(add);
  else for (const ip of new Set(rows.filter((r) => r.source === 'arp').map((r) => r.ip))) store.sightings({ ip }).forEach(add);
  if ('ip' in q) {
    const current = rows.filter((r) => r.source === 'arp' && r.current);
    const latest = current.length > 0 ? current : rows.filter((r) => r.source === 'arp' && r.lastSeen === Math.max(...rows.filter((x) => x.source === 'arp').map((x) => x.lastSeen)));
    const state = { ip: q.ip, typeList: latest.map((r) => r.state), macList: latest.map((r) => r.mac) };
    if (latest.length > 0 && isUnusedAddress(state)) {
      const on = [...new Set(latest.map((r) => `${r.state} on ${r.device}`))];
      const f = { kind: 'unused' as const, ip: q.ip, on };
      out.push({ ...f, reason: findingText(f, 'en')! });
    }
  }
  for (const m of macsWithSeveralIps(history.values(), allow)) if (macs.includes(m.mac)) out.push({ kind: 'mac-several-ips', reason: m.reason, mac: m.mac, ips: m.ips });
  for (const mv of ipMoves(history.values(), allow)) {
    const concerns = 'ip' in q ? mv.ip === q.ip : mv.kind === 'mac' ? mv.trail.includes(q.mac) : mv.mac === q.mac;
    if (concerns) out.push({ kind: mv.kind === 'mac' ? 'ip-moved-mac' : 'ip-moved-port', reason: mv.reason, ip: mv.ip, trail: mv.trail, ...(mv.mac ? { mac: mv.mac } : {}) });
  }
  return out;
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
  // A MAC table's own entry (VLAN All, CPU, the router's MAC) is marked apart from learned hosts.
  { header: 'STATE', width: 12, render: (r) => (r.system ? `${r.state} (sys)` : r.state) },
  { header: 'FIRST SEEN (UTC)', width: 20, render: (r) => iso(r.firstSeen) },
  { header: 'LAST SEEN (UTC)', width: 20, render: (r) => iso(r.lastSeen) },
  { header: 'NOW', width: 3, render: (r) => (r.current ? 'yes' : '') },
];

/** Plain-text table of a lookup (network text stripped of control characters); findings in `lang`. */
export function formatWhere(a: WhereAnswer, lang: 'en' | 'zh-TW' = 'en'): string {
  const out = [`# ${a.query} (${a.kind}): ${a.rows.length} ${a.history ? 'rows of history' : 'current rows'}`];
  if (a.rows.length === 0) return `${out[0]}\nnever seen in any collected ARP or MAC table\n`;
  // A column grows to its longest cell (full IOS port names, a static entry's several ports) so the rest stay aligned.
  const cells = a.rows.map((r) => WHERE_COLUMNS.map((c) => stripControl(c.render(r))));
  const widths = WHERE_COLUMNS.map((c, i) => Math.max(c.width, ...cells.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join(' ').trimEnd();
  out.push(line(WHERE_COLUMNS.map((c) => c.header)));
  for (const row of cells) out.push(line(row));
  for (const f of a.findings ?? []) out.push(`! ${stripControl(findingText(f, lang) ?? f.reason)}`);
  return `${out.join('\n')}\n`;
}
