/**
 * Feature breakdown of one IP in one role (pure): protocol, destination port, packets-per-flow and
 * bytes-per-flow distributions (top 10 with shares and the number of distinct values), TCP flag mix, SYN-only
 * share, the "1 packet of 40 bytes" share, client/server judgement from source ports, the port-packets-bytes
 * signature, and for victims the entry points and spoofed-looking sources.
 */
import { isSynOnly } from './aggregate.js';
import type { EntryPoint, Features, Share } from './types.js';

const TOP = 10;
const TWO32 = 4294967296;

/** nfdump's 8-letter flag text (CEUAPRSF, '.' when unset) for a flag mask. */
export function flagText(flags: number): string {
  const letters = 'CEUAPRSF';
  let s = '';
  for (let k = 0; k < 8; k++) s += flags & (1 << (7 - k)) ? letters[k] : '.';
  return s;
}

/** Increment a count in a Map. */
function bump(m: Map<number, number>, k: number, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** Top `n` entries of a count map as shares of `total`, largest first (ties: smaller value first). */
export function topShares(m: Map<number, number>, total: number, n = TOP, label?: (v: number) => number | string): Share[] {
  const arr = [...m.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, n);
  return arr.map(([v, c]) => ({ value: label ? label(v) : v, share: total > 0 ? c / total : 0 }));
}

/** Accumulates the flows of one IP in one role. */
export class FeatureAccumulator {
  flows = 0;
  packets = 0;
  bytes = 0;
  tcpFlows = 0;
  synOnly = 0;
  onePkt40 = 0;
  serverPort = 0;
  clientPort = 0;
  readonly protos = new Map<number, number>();
  readonly dports = new Map<number, number>();
  readonly pkts = new Map<number, number>();
  readonly byts = new Map<number, number>();
  readonly flagMix = new Map<number, number>();
  readonly asns = new Map<number, number>();
  /** (port, packets, bytes) combinations → flows, for the signature: packed into one number when they fit in 53
   * bits (port 16, packets 12, bytes 25), as text otherwise. */
  readonly combos = new Map<number, number>();
  readonly bigCombos = new Map<string, number>();
  /** Victims only: entry point (window exporter index × 2^32 + the full 32-bit input interface) → flows. */
  readonly entries = new Map<number, number>();

  /** Add one flow as seen from this IP's role. */
  add(sport: number, dport: number, proto: number, flags: number, packets: number, bytes: number, asn: number): void {
    this.flows++;
    this.packets += packets;
    this.bytes += bytes;
    bump(this.protos, proto);
    bump(this.dports, dport);
    bump(this.pkts, packets);
    bump(this.byts, bytes);
    if (proto === 6) {
      this.tcpFlows++;
      bump(this.flagMix, flags);
      if (isSynOnly(proto, flags)) this.synOnly++;
    }
    if (packets === 1 && bytes === 40) this.onePkt40++;
    if (sport > 0 && sport < 1024) this.serverPort++;
    else if (sport >= 32768) this.clientPort++;
    if (asn > 0) bump(this.asns, asn);
    if (packets < 4096 && bytes < 33554432) {
      const key = (dport * 4096 + packets) * 33554432 + bytes;
      this.combos.set(key, (this.combos.get(key) ?? 0) + 1);
    } else {
      const key = `${dport}-${packets}-${bytes}`;
      this.bigCombos.set(key, (this.bigCombos.get(key) ?? 0) + 1);
    }
  }

  /** The breakdown. */
  features(): Features {
    const f = this.flows;
    const serverPortShare = f > 0 ? this.serverPort / f : 0;
    const clientPortShare = f > 0 ? this.clientPort / f : 0;
    return {
      protocols: topShares(this.protos, f),
      dstPorts: topShares(this.dports, f),
      packets: topShares(this.pkts, f),
      bytes: topShares(this.byts, f),
      tcpFlags: topShares(this.flagMix, this.tcpFlows, TOP, flagText),
      distinct: { protocols: this.protos.size, dstPorts: this.dports.size, packets: this.pkts.size, bytes: this.byts.size },
      synOnlyShare: this.tcpFlows > 0 ? this.synOnly / this.tcpFlows : 0,
      onePacket40Share: f > 0 ? this.onePkt40 / f : 0,
      serverLike: serverPortShare >= 0.8 ? true : clientPortShare >= 0.5 ? false : null,
      clientPortShare,
      serverPortShare,
    };
  }

  /** `port-packets-bytes` when one combination holds more than half of the flows. */
  signature(): string | undefined {
    let best = '';
    let bestN = 0;
    for (const [k, n] of this.combos) {
      if (n > bestN) {
        const bytes = k % 33554432;
        const rest = (k - bytes) / 33554432;
        best = `${Math.floor(rest / 4096)}-${rest % 4096}-${bytes}`;
        bestN = n;
      }
    }
    for (const [k, n] of this.bigCombos) if (n > bestN) { best = k; bestN = n; }
    return this.flows > 0 && bestN * 2 > this.flows ? best : undefined;
  }

  /** Most frequent AS number, if the flows carry one. */
  asn(): number | undefined {
    let best = 0, bestN = 0;
    for (const [k, n] of this.asns) if (n > bestN) { best = k; bestN = n; }
    return bestN > 0 ? best : undefined;
  }

  /** Count one flow entering through input interface `inIf` (any 32-bit value) of window exporter `exporter`. */
  addEntry(exporter: number, inIf: number): void {
    const k = exporter * TWO32 + inIf;
    this.entries.set(k, (this.entries.get(k) ?? 0) + 1);
  }

  /** Entry points ranked by flows (victims). */
  entryPoints(exporters: string[], n = TOP): EntryPoint[] {
    const total = this.flows;
    return [...this.entries.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, n)
      .map(([k, flows]) => ({ exporter: exporters[Math.floor(k / TWO32)] ?? '', interface: k % TWO32, flows, share: total > 0 ? flows / total : 0 }));
  }

  /** Average packets per flow and bytes per packet. */
  averages(): { packetsPerFlow: number; bytesPerPacket: number; bytesPerFlow: number } {
    return {
      packetsPerFlow: this.flows > 0 ? this.packets / this.flows : 0,
      bytesPerPacket: this.packets > 0 ? this.bytes / this.packets : 0,
      bytesPerFlow: this.flows > 0 ? this.bytes / this.flows : 0,
    };
  }
}

/** Name of a well-known port for alert text ("SSH-22"). */
export const PORT_NAMES: Record<number, string> = {
  20: 'FTP-DATA', 21: 'FTP', 22: 'SSH', 23: 'TELNET', 25: 'SMTP', 53: 'DNS', 80: 'HTTP', 110: 'POP3', 123: 'NTP',
  135: 'MSRPC', 137: 'NETBIOS', 139: 'NETBIOS', 143: 'IMAP', 161: 'SNMP', 389: 'LDAP', 443: 'HTTPS', 445: 'SMB',
  993: 'IMAPS', 1433: 'MSSQL', 1900: 'SSDP', 3306: 'MYSQL', 3389: 'RDP', 5060: 'SIP', 5432: 'POSTGRES',
  5900: 'VNC', 6379: 'REDIS', 8080: 'HTTP-ALT', 11211: 'MEMCACHED',
};

/** Protocol names by number. */
export const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 58: 'ICMPv6' };
