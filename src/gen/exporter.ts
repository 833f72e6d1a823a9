/**
 * Sending encoded flows over UDP to a collector on loopback (thin shell). Several exporters are simulated by binding
 * the sending socket to different loopback addresses (127.0.0.2, 127.0.0.3, ...); nfdump shows that address as the
 * exporter. Only loopback destinations are accepted.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { FlowEncoder, type ExportProtocol } from './ipfix.js';
import type { FlowRecord } from '../engine/types.js';

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  return (net.isIPv4(host) && host.startsWith('127.')) || host === '::1' || host === 'localhost';
}

/** Options of an exporter. */
export interface ExporterOptions {
  host?: string;
  port: number;
  protocol?: ExportProtocol;
  /** Flows per second at most (default 300k: nfcapd keeps up with ~400k/s on loopback, FIELD-NOTES). */
  rate?: number;
}

/** One UDP exporter per source address; `send` paces and resolves when every datagram left. */
export class FlowExporter {
  private readonly sockets = new Map<string, { sock: dgram.Socket; enc: FlowEncoder }>();
  private readonly host: string;
  private sentFlows = 0;
  private readonly started = Date.now();

  constructor(private readonly opts: ExporterOptions) {
    this.host = opts.host ?? '127.0.0.1';
    if (!isLoopback(this.host)) throw new Error(`refusing to export flows to ${this.host}: only loopback collectors are allowed`);
  }

  private async socketFor(exporter: string) {
    const key = exporter || '127.0.0.1';
    if (!isLoopback(key)) throw new Error(`exporter address ${key} is not a loopback address`);
    let s = this.sockets.get(key);
    if (!s) {
      const sock = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
      await new Promise<void>((res, rej) => sock.once('error', rej).bind(0, key, () => res()));
      s = { sock, enc: new FlowEncoder({ protocol: this.opts.protocol ?? 'ipfix', observationDomain: 1 }) };
      this.sockets.set(key, s);
    }
    return s;
  }

  /** Encode and send flows, grouped by their `exporter` field. */
  async send(flows: FlowRecord[], nowMs = Date.now()): Promise<number> {
    const byExporter = new Map<string, FlowRecord[]>();
    for (const f of flows) {
      const k = f.exporter || '127.0.0.1';
      let l = byExporter.get(k);
      if (!l) byExporter.set(k, (l = []));
      l.push(f);
    }
    let datagrams = 0;
    const rate = this.opts.rate ?? 300_000;
    for (const [ex, list] of byExporter) {
      const { sock, enc } = await this.socketFor(ex);
      for (const msg of enc.encode(list, nowMs)) {
        await new Promise<void>((res, rej) => sock.send(msg, this.opts.port, this.host, (err) => (err ? rej(err) : res())));
        datagrams++;
      }
      this.sentFlows += list.length;
      // Pace: never ahead of `rate` flows per second since the start.
      const ahead = this.sentFlows / rate - (Date.now() - this.started) / 1000;
      if (ahead > 0.005) await new Promise((r) => setTimeout(r, ahead * 1000));
    }
    return datagrams;
  }

  /** Flows sent so far. */
  get flowsSent(): number {
    return this.sentFlows;
  }

  close(): void {
    for (const { sock } of this.sockets.values()) sock.close();
    this.sockets.clear();
  }
}
