/**
 * Pure reading of MAC address tables as the device generations print them. One kind covers several layouts (an
 * `ios` device may be a Catalyst 2950, a 4500, a 6500 Sup2T or a 3750), so the layout is chosen by content: each
 * layout is a row of MAC_LAYOUTS with the column header that announces it and how one of its rows reads. A header
 * line switches the layout for the rows below it (a 4500 prints a unicast and a multicast section with different
 * columns); rows before any header are tried against every layout of the family, the kind's own first.
 */
import { stripControl } from '../util/sanitize.js';
import { normalizeMac } from './mac.js';

/** One MAC table entry: where a MAC was learned. */
export interface MacEntry {
  mac: string;
  vlan: number | null;
  /** VLAN name when the device names VLANs (Junos). */
  vlanName?: string;
  /** dynamic / static / secure / system / igmp ... in lower case. */
  type: string;
  /** The ports it was learned on or forwards to, in the device's spelling; empty when the row names none. */
  ports: string[];
  ageSeconds: number | null;
  /** The row's legend marks: NX-OS `*` primary, `G` gateway, `+` vPC peer-link; Sup2T `*`, `R`, `S`, `D`, `#`. */
  flags: string[];
  /**
   * The switch's own entry, not a learned host: VLAN `All`, a group (multicast / broadcast) MAC, a gateway / router
   * mark, or only CPU / Router / Switch / sup-eth / SVI ports. Never a "MAC holding several IPs" nor a port move.
   */
  system: boolean;
}

/** The layouts nocflow reads, named by the generation that prints them. */
export type MacLayoutId = 'nxos' | 'cat-learn-age' | 'cat-destination' | 'ios' | 'cat-protocols' | 'junos';

/** What a MAC table parse returns (the shape of every table parser's result, with the MAC-only fields). */
export interface MacParseResult {
  entries: MacEntry[];
  /** Lines that were neither an entry nor a known header, legend, preamble or footer. */
  skipped: number;
  /** Up to three skipped lines (control characters removed), for the collection report. */
  skippedSamples: string[];
  /** Non-empty lines read. */
  lines: number;
  /** The layouts whose rows were read, in the order first met. */
  layouts: MacLayoutId[];
  /** The entry count the device itself printed (`Total Mac Addresses for this criterion: N`, summed over sections). */
  declared?: number;
}

/** A layout: the header that announces it, and a row reader (undefined for a line that is not one of its rows). */
interface MacLayout {
  id: MacLayoutId;
  /** The column header line (case-insensitive) that selects this layout for the rows below it. */
  header: RegExp;
  row: (line: string) => Omit<MacEntry, 'system'> & { vlanAll?: boolean } | undefined;
}

/** The layouts a device family may print. */
export type MacFamily = 'cisco' | 'junos';

const VLAN_ALL = /^all$/i;
/** A VLAN column: a number, `All` (every VLAN: the switch's own entries), or a dash / N/A (none). */
function vlanOf(text: string): { vlan: number | null; vlanAll: boolean } | undefined {
  if (/^\d{1,4}$/.test(text)) return { vlan: Number(text), vlanAll: false };
  if (VLAN_ALL.test(text)) return { vlan: null, vlanAll: true };
  if (/^(?:-+|n\/a)$/i.test(text)) return { vlan: null, vlanAll: false };
  return undefined;
}

/** 4500 `protocols` column values: a comma list of these words (never a port name). */
const PROTOCOLS = /^(?:ip|ipx|ipv6|assigned|other|appletalk|decnet|vines|xns)(?:,(?:ip|ipx|ipv6|assigned|other|appletalk|decnet|vines|xns))*$/i;

/** Split a ports column: commas and spaces separate ports (`Gi1/1,Gi1/2`, EOS `Po135 Po12 po5 eth1/1`). */
const splitPorts = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

const TYPE = /^[A-Za-z][A-Za-z_-]*$/;
const AGE = (t: string): number | null => (/^\d+$/.test(t) ? Number(t) : null);

/** IOS / IOS-XE / EOS: `Vlan  Mac Address  Type  Ports` (EOS adds `Moves  Last Move`); also the 4500 multicast section. */
function iosRow(line: string) {
  const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S.*)$/.exec(line);
  if (!m || !TYPE.test(m[3])) return undefined;
  const v = vlanOf(m[1]);
  const mac = normalizeMac(m[2]);
  if (!v || !mac) return undefined;
  // Ports run until EOS's Moves count (a bare number); what follows is the Last Move text.
  const tokens = m[4].split(/\s+/);
  const cut = tokens.findIndex((t) => /^\d+$/.test(t));
  const ports = splitPorts(tokens.slice(0, cut < 0 ? tokens.length : cut).join(' '));
  // Not one of these rows: a 4500 unicast row (protocols where ports belong), a 6500 row (learn), an NX-OS row (age -).
  if (ports.length === 0 || PROTOCOLS.test(ports[0]) || /^(?:yes|no|-)$/i.test(ports[0])) return undefined;
  return { mac, vlan: v.vlan, vlanAll: v.vlanAll, type: m[3].toLowerCase(), ports, ageSeconds: null, flags: [] };
}

/** Catalyst 4500 / older 6500 unicast section: `vlan  mac address  type  protocols  port`. */
function protocolsRow(line: string) {
  const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(?:(\S+)\s+)?(\S+(?:\s*,\s*\S+)*)$/.exec(line);
  if (!m || !TYPE.test(m[3]) || (m[4] !== undefined && !PROTOCOLS.test(m[4]))) return undefined;
  const v = vlanOf(m[1]);
  const mac = normalizeMac(m[2]);
  if (!v || !mac) return undefined;
  return { mac, vlan: v.vlan, vlanAll: v.vlanAll, type: m[3].toLowerCase(), ports: splitPorts(m[5]), ageSeconds: null, flags: [] };
}

/** Catalyst 2900XL / 2950 / 3550 (12.0–12.1): `Destination Address  Address Type  VLAN  Destination Port`, MAC first. */
function destinationRow(line: string) {
  const m = /^\s*(\S+)\s+([A-Za-z][A-Za-z_-]*)\s+(\S+)\s+(\S.*)$/.exec(line);
  if (!m) return undefined;
  const mac = normalizeMac(m[1]);
  const v = vlanOf(m[3]);
  if (!mac || !v) return undefined;
  return { mac, vlan: v.vlan, vlanAll: v.vlanAll, type: m[2].toLowerCase(), ports: splitPorts(m[4]), ageSeconds: null, flags: [] };
}

/**
 * Catalyst 6500 Sup720 / Sup2T / Sup6T: legend marks before the VLAN (`*`, `R`, `S`, `D`, `#`, one or several), then
 * `vlan  mac address  type  learn  age  ports`; the ports column may be empty.
 */
function learnAgeRow(line: string) {
  const m = /^\s*((?:[*RSD#+~]+\s+)*)(\S+)\s+(\S+)\s+([A-Za-z][A-Za-z_-]*)\s+(Yes|No)\s+(\d+|-|n\/a)(?:\s+(\S.*))?$/i.exec(line);
  if (!m) return undefined;
  const v = vlanOf(m[2]);
  const mac = normalizeMac(m[3]);
  if (!v || !mac) return undefined;
  const flags = m[1].replace(/\s+/g, '').split('');
  return { mac, vlan: v.vlan, vlanAll: v.vlanAll, type: m[4].toLowerCase(), ports: m[7] ? splitPorts(m[7]) : [], ageSeconds: AGE(m[6]), flags };
}

/** NX-OS `show mac address-table` (the seeds' Nexus): mark, VLAN, MAC, type, age, Secure, NTFY, Ports. */
function nxosRow(line: string) {
  const m = /^\s*(?:([*G+OCR~]{1,2}|\(R\))\s+)?(\d{1,4}|-)\s+(\S+)\s+([A-Za-z]+)\s+(\d+|-|NA)\s+([TF])\s+([TF])\s+(\S.*?)$/.exec(line);
  if (!m) return undefined;
  const mac = normalizeMac(m[3]);
  if (!mac) return undefined;
  // One port per row; `vPC Peer-Link` is a single name with a space.
  const flags = !m[1] ? [] : m[1] === '(R)' ? ['(R)'] : m[1].split('');
  return { mac, vlan: vlanOf(m[2])!.vlan, type: m[4].toLowerCase(), ports: [m[8]], ageSeconds: AGE(m[5]), flags };
}

/** Juniper `show ethernet-switching table` (ELS: name, MAC, flags, age, interface; legacy: name, MAC, type, age, interfaces). */
function junosRow(line: string) {
  const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+\d+\s+\d+)?$/.exec(line);
  if (!m) return undefined;
  const mac = normalizeMac(m[2]);
  if (!mac) return undefined;
  const num = /(\d{1,4})$/.exec(m[1]);
  const type = /^(?:S|Static)/.test(m[3]) ? 'static' : 'dynamic';
  return { mac, vlan: num ? Number(num[1]) : null, vlanName: m[1], type, ports: [m[5]], ageSeconds: AGE(m[4]), flags: [] };
}

/** Every layout, most specific header first. */
const MAC_LAYOUTS: Record<MacLayoutId, MacLayout> = {
  nxos: { id: 'nxos', header: /^\s*VLAN\s+MAC Address\s+Type\s+age\s+Secure\s+NTFY\s+Ports/i, row: nxosRow },
  'cat-learn-age': { id: 'cat-learn-age', header: /^\s*vlan\s+mac address\s+type\s+learn\s+age\s+ports/i, row: learnAgeRow },
  'cat-destination': { id: 'cat-destination', header: /^\s*Destination Address\s+Address Type\s+VLAN\s+Destination Port/i, row: destinationRow },
  'cat-protocols': { id: 'cat-protocols', header: /^\s*vlan\s+mac address\s+type\s+protocols\s+ports?\s*$/i, row: protocolsRow },
  ios: { id: 'ios', header: /^\s*Vlan\s+Mac Address\s+Type\s+Ports\b/i, row: iosRow },
  junos: { id: 'junos', header: /^\s*Vlan\s+MAC(?:\s+address)?\s+(?:MAC|Type)\b/i, row: junosRow },
};

/** The layouts of a family in the order a headerless row tries them (the kind's own layout is moved first). */
const FAMILY_LAYOUTS: Record<MacFamily, MacLayoutId[]> = {
  cisco: ['ios', 'nxos', 'cat-learn-age', 'cat-destination', 'cat-protocols'],
  junos: ['junos'],
};

/** Lines that are part of a table but hold no entry: titles, legends, counts preambles, section names, rules. */
const NOISE: RegExp[] = [
  /^[-+=\s]+$/,
  /^\s*(?:Multicast\s+)?Mac Address Table\s*$/i,
  /^\s*Legend:/i,
  // A legend item: `* - primary entry`, `age - seconds since last seen`, `(T) - True, (F) - False`, `(NA)- Not Applicable`.
  /^\s*(?:[*+#~]|[A-Za-z/]{1,4}|\([A-Z~+]+\))\s?-\s[A-Za-z(]/,
  /^\s*(?:Unicast|Multicast) Entries\s*$/i,
  /^\s*Displaying entries from .*:\s*$/i,
  /^\s*[A-Za-z][A-Za-z ()-]*Addresses(?: \([A-Za-z-]+\))? Count:\s*\d+\s*$/i,
  /^\s*(?:Total|Maximum) MAC addresses:\s*\d+\s*$/i,
  /^\s*[A-Za-z-]+ Address Table:\s*$/i,
  // Junos
  /^MAC flags/i,
  /^\s+\S+ - .*(?:MAC|enabled)/i,
  /^\s*Ethernet[- ]switching table/i,
  /^\s*Routing instance/i,
  /^\s*name\s+address/i,
  /^\s*\S+\s+\*\s+Flood\s/i,
];

/** IOS / EOS footer: the device's own count of the entries above. */
const DECLARED = /^\s*Total Mac Addresses for this criterion:\s*(\d+)\s*$/i;

/** A wrapped ports column continues on the next line, indented under it: `      Gi1/7,Gi1/8`. */
const PORT_NAME = /^(?:[A-Za-z][A-Za-z-]*\d+(?:[/.:]\d+)*|Switch|Router|CPU)$/i;
function continuation(line: string): string[] | undefined {
  if (!/^\s{8,}\S/.test(line)) return undefined;
  const ports = splitPorts(line);
  return ports.length > 0 && ports.every((p) => PORT_NAME.test(p)) ? ports : undefined;
}

/** Ports that are the device itself: CPU, Router, Switch, NX-OS sup-eth, an SVI (IOS-XE lists its own SVI MACs on `Vl10`). */
const SYSTEM_PORT = /^(?:cpu|router|switch|sup-eth\d*(?:\(r\))?|self|vl\d+|vlan\d+)$/i;
const SYSTEM_TYPE = /^(?:system|self)$/i;
/** Marks meaning the switch's own MAC: Sup2T `R` (router's gateway MAC), NX-OS `G` (gateway), `(R)` routed, `C` control plane. */
const SYSTEM_FLAGS = new Set(['R', 'G', '(R)', 'C']);

/** True when the MAC is a group address (multicast or broadcast): never a single host. */
export function isGroupMac(mac: string): boolean {
  return (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/** Whether a MAC table row is the switch's own (see MacEntry.system). Pure. */
export function isSystemMacEntry(e: Pick<MacEntry, 'mac' | 'type' | 'ports' | 'flags'>, vlanAll = false): boolean {
  return (
    vlanAll ||
    isGroupMac(e.mac) ||
    SYSTEM_TYPE.test(e.type) ||
    e.flags.some((f) => SYSTEM_FLAGS.has(f)) ||
    (e.ports.length > 0 && e.ports.every((p) => SYSTEM_PORT.test(p)))
  );
}

/** Read a MAC table, choosing the layout by its header (see the module comment). Never throws on device text. */
export function parseMacTable(text: string, family: MacFamily, preferred?: MacLayoutId): MacParseResult {
  const ids = FAMILY_LAYOUTS[family];
  const order = preferred && ids.includes(preferred) ? [preferred, ...ids.filter((i) => i !== preferred)] : ids;
  const layouts = order.map((i) => MAC_LAYOUTS[i]);
  const out: MacParseResult = { entries: [], skipped: 0, skippedSamples: [], lines: 0, layouts: [] };
  const vlanAll = new WeakSet<MacEntry>();
  let current: MacLayout | undefined;
  let last: MacEntry | undefined;
  const skip = (line: string) => {
    out.skipped++;
    if (out.skippedSamples.length < 3) out.skippedSamples.push(line.trim().slice(0, 120));
    last = undefined;
  };
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = stripControl(raw).replace(/\s+$/, '');
    if (line.trim() === '') {
      last = undefined;
      continue;
    }
    out.lines++;
    const header = layouts.find((l) => l.header.test(line));
    if (header) {
      current = header;
      last = undefined;
      continue;
    }
    const declared = DECLARED.exec(line);
    if (declared) {
      out.declared = (out.declared ?? 0) + Number(declared[1]);
      last = undefined;
      continue;
    }
    const more = last ? continuation(line) : undefined;
    if (last && more) {
      last.ports.push(...more);
      last.system = isSystemMacEntry(last, vlanAll.has(last));
      continue;
    }
    let read: ReturnType<MacLayout['row']>;
    for (const l of current ? [current] : layouts) {
      read = l.row(line);
      if (read) {
        if (!out.layouts.includes(l.id)) out.layouts.push(l.id);
        break;
      }
    }
    if (!read) {
      if (NOISE.some((re) => re.test(line))) last = undefined;
      else skip(line);
      continue;
    }
    const { vlanAll: all, ...fields } = read;
    const e: MacEntry = { ...fields, system: isSystemMacEntry(fields, all === true) };
    if (all) vlanAll.add(e);
    out.entries.push(e);
    last = e;
  }
  return out;
}

/**
 * A MAC entry as stored by any version (device_tables JSON): earlier versions kept `ports` as one string and a single
 * `flag`, and had no `system`. Pure; unknown shapes give undefined.
 */
export function reviveMacEntry(raw: unknown): MacEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (typeof o.mac !== 'string') return undefined;
  const ports = Array.isArray(o.ports) ? o.ports.filter((p): p is string => typeof p === 'string') : typeof o.ports === 'string' ? o.ports.split(/\s*,\s*/).filter(Boolean) : [];
  const flags = Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : typeof o.flag === 'string' ? [o.flag] : [];
  const e = {
    mac: o.mac,
    vlan: typeof o.vlan === 'number' ? o.vlan : null,
    ...(typeof o.vlanName === 'string' ? { vlanName: o.vlanName } : {}),
    type: typeof o.type === 'string' ? o.type : '',
    ports,
    ageSeconds: typeof o.ageSeconds === 'number' ? o.ageSeconds : null,
    flags,
  };
  return { ...e, system: typeof o.system === 'boolean' ? o.system : isSystemMacEntry(e) };
}
