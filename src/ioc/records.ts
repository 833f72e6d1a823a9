/**
 * Stage 2 (pure): flows re-seated from the IoC's side — the seeds' IoC-centred document. Every flow is one-way and
 * the IoC may be either end; here the IoC always sits in `ioc`, the other end in `remote`, and `direction` says who
 * sent (`send`: the IoC sent to the remote; `rcv`: the remote sent to the IoC). The Elasticsearch document keeps
 * the seeds' field names (IocIP, RemoteIP, Direction Send/Rcv, ...), so their dashboards read it as is.
 */
import type { IocClass } from './classify.js';
import type { Direction, IocFlow } from './match.js';

/** One IoC-centred flow record of a day (nocflow's names). */
export interface IocRecord {
  /** The job's day, YYYY-MM-DD (local). */
  day: string;
  ioc: string;
  remote: string;
  exporter: string;
  iocPort: number;
  remotePort: number;
  direction: Direction;
  packets: number;
  octets: number;
  tcpFlags: number;
  protocol: number;
  ipVersion: 4 | 6;
  iocAs: number;
  remoteAs: number;
  /** Flow start, epoch ms. */
  timeStamp: number;
  /** The nfcapd file (or ES index) it came from. */
  file: string;
  /** The IoC's class that day. */
  iocClass: IocClass;
}

/** The records of one IoC's sampled flows. */
export function toRecords(day: string, flows: readonly IocFlow[], files: readonly string[], iocClass: IocClass): IocRecord[] {
  return flows.map((f) => ({
    day,
    ioc: f.ioc,
    remote: f.remote,
    exporter: f.exporter,
    iocPort: f.iocPort,
    remotePort: f.remotePort,
    direction: f.direction,
    packets: f.packets,
    octets: f.octets,
    tcpFlags: f.tcpFlags,
    protocol: f.protocol,
    ipVersion: f.ipVersion,
    iocAs: f.iocAs,
    remoteAs: f.remoteAs,
    timeStamp: f.start,
    file: files[f.file] ?? '',
    iocClass,
  }));
}

/** The Elasticsearch document of a record (the seeds' field names). */
export function recordDoc(r: IocRecord): Record<string, unknown> {
  return {
    '@timestamp': r.timeStamp,
    IocIP: r.ioc,
    RemoteIP: r.remote,
    Exporter: r.exporter || null,
    IocPort: r.iocPort,
    RemotePort: r.remotePort,
    Direction: r.direction === 'send' ? 'Send' : 'Rcv',
    Packets: r.packets,
    Octets: r.octets,
    TcpControlBits: r.tcpFlags,
    Protocol: r.protocol,
    IpVersion: r.ipVersion,
    IocAsNumber: r.iocAs,
    RemoteAsNumber: r.remoteAs,
    TimeStamp: r.timeStamp,
    Date: r.day,
    File: r.file,
    IocClass: r.iocClass,
  };
}
