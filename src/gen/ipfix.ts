/**
 * IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) message encoding (pure): templates for IPv4 and IPv6 flows and data
 * records carrying the fields nocflow reads. One encoder per exporter keeps its sequence numbers.
 */
import type { FlowRecord } from '../engine/types.js';
import { v4ToNumber, v6ToGroups, canonicalIp } from '../util/ip.js';

/** Information element ids (IANA IPFIX registry; NetFlow v9 uses the same numbers for these). */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  ingressInterface: 10,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  egressInterface: 14,
  bgpSourceAsNumber: 16,
  bgpDestinationAsNumber: 17,
  /** v9: sysUptime (ms) at the last / first packet. */
  LAST_SWITCHED: 21,
  FIRST_SWITCHED: 22,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
} as const;

type Field = [id: number, length: number];

const COMMON_TAIL_IPFIX: Field[] = [
  [IE.sourceTransportPort, 2], [IE.destinationTransportPort, 2], [IE.protocolIdentifier, 1], [IE.tcpControlBits, 2],
  [IE.packetDeltaCount, 8], [IE.octetDeltaCount, 8], [IE.flowStartMilliseconds, 8], [IE.flowEndMilliseconds, 8],
  [IE.ingressInterface, 4], [IE.egressInterface, 4], [IE.bgpSourceAsNumber, 4], [IE.bgpDestinationAsNumber, 4],
];
const COMMON_TAIL_V9: Field[] = [
  [IE.sourceTransportPort, 2], [IE.destinationTransportPort, 2], [IE.protocolIdentifier, 1], [IE.tcpControlBits, 1],
  [IE.packetDeltaCount, 8], [IE.octetDeltaCount, 8], [IE.FIRST_SWITCHED, 4], [IE.LAST_SWITCHED, 4],
  [IE.ingressInterface, 4], [IE.egressInterface, 4], [IE.bgpSourceAsNumber, 4], [IE.bgpDestinationAsNumber, 4],
];

export type ExportProtocol = 'ipfix' | 'v9';

const TEMPLATE_V4 = 256;
const TEMPLATE_V6 = 257;

function templates(proto: ExportProtocol): { v4: Field[]; v6: Field[] } {
  const tail = proto === 'ipfix' ? COMMON_TAIL_IPFIX : COMMON_TAIL_V9;
  return {
    v4: [[IE.sourceIPv4Address, 4], [IE.destinationIPv4Address, 4], ...tail],
    v6: [[IE.sourceIPv6Address, 16], [IE.destinationIPv6Address, 16], ...tail],
  };
}

const recordLength = (fields: Field[]) => fields.reduce((a, f) => a + f[1], 0);

/** Options of an encoder. */
export interface EncoderOptions {
  protocol?: ExportProtocol;
  observationDomain?: number;
  /** Largest UDP payload to build (default 1400: fits any loopback/ethernet MTU). */
  maxMessageBytes?: number;
  /** Resend templates every N messages (default 20). */
  templateEvery?: number;
  /** v9 only: the exporter's boot time in epoch ms (sysUptime is counted from it). Default: 1 hour before the first flow. */
  bootTime?: number;
}

/**
 * Encodes flows into export messages. `encode(flows, nowMs)` returns UDP payloads; IPv4 and IPv6 flows go into the
 * data sets of their own template. Records are validated: a malformed address throws.
 */
export class FlowEncoder {
  private readonly proto: ExportProtocol;
  private readonly domain: number;
  private readonly max: number;
  private readonly templateEvery: number;
  private readonly t: { v4: Field[]; v6: Field[] };
  private seq = 0;
  private messages = 0;
  private bootTime: number | undefined;

  constructor(opts: EncoderOptions = {}) {
    this.proto = opts.protocol ?? 'ipfix';
    this.domain = opts.observationDomain ?? 1;
    this.max = opts.maxMessageBytes ?? 1400;
    this.templateEvery = opts.templateEvery ?? 20;
    this.t = templates(this.proto);
    this.bootTime = opts.bootTime;
  }

  private templateSet(): Buffer {
    const parts: Buffer[] = [];
    for (const [id, fields] of [[TEMPLATE_V4, this.t.v4], [TEMPLATE_V6, this.t.v6]] as const) {
      const b = Buffer.alloc(4 + fields.length * 4);
      b.writeUInt16BE(id, 0);
      b.writeUInt16BE(fields.length, 2);
      fields.forEach(([fid, len], i) => {
        b.writeUInt16BE(fid, 4 + i * 4);
        b.writeUInt16BE(len, 6 + i * 4);
      });
      parts.push(b);
    }
    const body = Buffer.concat(parts);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(this.proto === 'ipfix' ? 2 : 0, 0);
    head.writeUInt16BE(body.length + 4, 2);
    return Buffer.concat([head, body]);
  }

  /** Encode flows into messages stamped `nowMs` (export time). */
  encode(flows: FlowRecord[], nowMs: number): Buffer[] {
    if (this.bootTime === undefined) this.bootTime = Math.min(nowMs, ...flows.slice(0, 1).map((f) => f.start)) - 3_600_000;
    const v4: FlowRecord[] = [];
    const v6: FlowRecord[] = [];
    for (const f of flows) {
      const s = canonicalIp(f.src);
      const d = canonicalIp(f.dst);
      if (s === undefined || d === undefined) throw new Error(`malformed address in flow ${f.src} -> ${f.dst}`);
      (s.includes(':') || d.includes(':') ? v6 : v4).push(f);
    }
    const out: Buffer[] = [];
    const headerLen = this.proto === 'ipfix' ? 16 : 20;
    for (const [tid, fields, list] of [[TEMPLATE_V4, this.t.v4, v4], [TEMPLATE_V6, this.t.v6, v6]] as const) {
      const rl = recordLength(fields);
      let i = 0;
      while (i < list.length) {
        const withTemplate = this.messages % this.templateEvery === 0;
        const tset = withTemplate ? this.templateSet() : Buffer.alloc(0);
        const room = this.max - headerLen - tset.length - 4;
        const n = Math.max(1, Math.min(list.length - i, Math.floor(room / rl)));
        const data = Buffer.alloc(4 + n * rl);
        data.writeUInt16BE(tid, 0);
        data.writeUInt16BE(data.length, 2);
        for (let k = 0; k < n; k++) this.writeRecord(data, 4 + k * rl, list[i + k], tid === TEMPLATE_V6);
        out.push(this.message([tset, data], n, withTemplate ? 2 : 0, nowMs));
        i += n;
      }
    }
    return out;
  }

  private message(sets: Buffer[], records: number, templateRecords: number, nowMs: number): Buffer {
    const body = Buffer.concat(sets);
    let head: Buffer;
    if (this.proto === 'ipfix') {
      head = Buffer.alloc(16);
      head.writeUInt16BE(10, 0);
      head.writeUInt16BE(16 + body.length, 2);
      head.writeUInt32BE(Math.floor(nowMs / 1000) >>> 0, 4);
      head.writeUInt32BE(this.seq >>> 0, 8);
      head.writeUInt32BE(this.domain, 12);
      this.seq += records;
    } else {
      head = Buffer.alloc(20);
      head.writeUInt16BE(9, 0);
      head.writeUInt16BE(templateRecords + records, 2); // RFC 3954: template + data records in the packet
      // sysUptime counted to the whole second in unix_secs: a collector computes boot = unix_secs*1000 - sysUptime,
      // so this keeps FIRST/LAST_SWITCHED exact to the millisecond instead of off by nowMs % 1000.
      head.writeUInt32BE((Math.floor(nowMs / 1000) * 1000 - this.bootTime!) >>> 0, 4);
      head.writeUInt32BE(Math.floor(nowMs / 1000) >>> 0, 8);
      head.writeUInt32BE(this.messages >>> 0, 12); // v9 sequence counts packets
      head.writeUInt32BE(this.domain, 16);
    }
    this.messages++;
    return Buffer.concat([head, body]);
  }

  private writeRecord(b: Buffer, o: number, f: FlowRecord, v6: boolean): void {
    if (v6) {
      o = writeV6(b, o, f.src);
      o = writeV6(b, o, f.dst);
    } else {
      b.writeUInt32BE(v4ToNumber(f.src), o);
      b.writeUInt32BE(v4ToNumber(f.dst), o + 4);
      o += 8;
    }
    b.writeUInt16BE(f.sport, o);
    b.writeUInt16BE(f.dport, o + 2);
    b.writeUInt8(f.proto, o + 4);
    o += 5;
    if (this.proto === 'ipfix') {
      b.writeUInt16BE(f.flags & 0xff, o);
      o += 2;
    } else {
      b.writeUInt8(f.flags & 0xff, o);
      o += 1;
    }
    b.writeBigUInt64BE(BigInt(Math.round(f.packets)), o);
    b.writeBigUInt64BE(BigInt(Math.round(f.bytes)), o + 8);
    o += 16;
    if (this.proto === 'ipfix') {
      b.writeBigUInt64BE(BigInt(Math.round(f.start)), o);
      b.writeBigUInt64BE(BigInt(Math.round(f.end)), o + 8);
      o += 16;
    } else {
      b.writeUInt32BE((f.start - this.bootTime!) >>> 0, o);
      b.writeUInt32BE((f.end - this.bootTime!) >>> 0, o + 4);
      o += 8;
    }
    b.writeUInt32BE(f.inIf >>> 0, o);
    b.writeUInt32BE(f.outIf >>> 0, o + 4);
    b.writeUInt32BE(f.srcAs >>> 0, o + 8);
    b.writeUInt32BE(f.dstAs >>> 0, o + 12);
  }
}

function writeV6(b: Buffer, o: number, ip: string): number {
  const g = v6ToGroups(ip.includes(':') ? ip : `::ffff:${ip}`)!;
  for (let k = 0; k < 8; k++) b.writeUInt16BE(g[k], o + k * 2);
  return o + 16;
}
