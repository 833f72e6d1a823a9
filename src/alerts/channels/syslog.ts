/**
 * Syslog to a SIEM: RFC 5424 messages over UDP (one datagram each) or TCP (RFC 6587 octet counting, one connection
 * per batch). The messages are built elsewhere (messages.ts); this only moves bytes.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { SyslogConfig } from '../../config/sections/alerts.js';
import { ChannelError, socketReason } from './errors.js';

/** A syslog channel. */
export interface SyslogChannel {
  /** Send the lines; resolves once they are written (TCP: and the connection closed cleanly). */
  send(lines: string[]): Promise<void>;
}

/** Largest datagram we send (RFC 5426 asks receivers for 480 at least; 2048 is commonly accepted). */
const MAX_UDP = 8192;

/** Create the channel. */
export function createSyslogChannel(cfg: SyslogConfig, opts: { timeoutMs?: number } = {}): SyslogChannel {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const where = `${cfg.protocol} ${cfg.host}:${cfg.port}`;
  return {
    send(lines) {
      return cfg.protocol === 'tcp' ? sendTcp(cfg.host, cfg.port, lines, timeoutMs, where) : sendUdp(cfg.host, cfg.port, lines, where);
    },
  };
}

function sendUdp(host: string, port: number, lines: string[], where: string): Promise<void> {
  const family = net.isIPv6(host) ? 'udp6' : 'udp4';
  const sock = dgram.createSocket(family);
  return new Promise<void>((resolve, reject) => {
    sock.once('error', (err) => {
      sock.close();
      reject(new ChannelError('syslog', `syslog ${where}: ${socketReason(err)}`, false, { cause: err }));
    });
    let i = 0;
    const next = () => {
      if (i >= lines.length) {
        sock.close();
        resolve();
        return;
      }
      let buf = Buffer.from(lines[i++], 'utf8');
      if (buf.length > MAX_UDP) buf = buf.subarray(0, MAX_UDP);
      sock.send(buf, port, host, (err) => {
        if (err) {
          sock.close();
          reject(new ChannelError('syslog', `syslog ${where}: ${socketReason(err)}`, false, { cause: err }));
        } else next();
      });
    };
    next();
  });
}

function sendTcp(host: string, port: number, lines: string[], timeoutMs: number, where: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sock = net.connect({ host, port });
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      sock.destroy();
      reject(new ChannelError('syslog', `syslog ${where}: ${socketReason(err)}`, false, { cause: err }));
    };
    sock.setTimeout(timeoutMs, () => fail(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    sock.once('error', fail);
    sock.once('connect', () => {
      // RFC 6587 octet counting: "<length> <message>" with the length in bytes.
      const frames = lines.map((l) => {
        const b = Buffer.from(l, 'utf8');
        return Buffer.concat([Buffer.from(`${b.length} `, 'ascii'), b]);
      });
      sock.end(Buffer.concat(frames));
    });
    sock.once('close', (hadError) => {
      if (!hadError && !failed) resolve();
    });
    sock.resume();
  });
}
