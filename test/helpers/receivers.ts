/**
 * Real receivers on loopback for the alert channels: an SMTP server (smtp-server, with STARTTLS on a certificate
 * made by openssl, and optional authentication), an HTTP receiver (node:http) and syslog listeners (node:dgram UDP,
 * node:net TCP with RFC 6587 octet counting). Each records what it received; ports are ephemeral unless given.
 */
import fs from 'node:fs';
import http from 'node:http';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { SMTPServer } from 'smtp-server';

/** A self-signed certificate for localhost / 127.0.0.1 (key and cert files), made by openssl. */
export async function makeCert(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-cert-'))): Promise<{ key: string; cert: string; keyFile: string; certFile: string }> {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), keyFile, certFile };
}

/** One mail as the SMTP server got it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** Header name (lower case) → value (unfolded). */
  headers: Record<string, string>;
  /** Decoded text body. */
  body: string;
  secure: boolean;
  user?: string;
}

/** Decode a MIME text body (base64 or quoted-printable, as nodemailer writes it). */
function decodeBody(headers: Record<string, string>, body: string): string {
  const enc = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes: number[] = [];
    const s = body.replace(/=\r?\n/g, '');
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
        bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(...Buffer.from(s[i], 'utf8'));
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

/** Decode RFC 2047 encoded words (=?UTF-8?B?...?= / ?Q?) in a header value. */
export function decodeWords(v: string): string {
  return v
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
      enc.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

/** Parse a raw single-part message into headers and the decoded body. */
export function parseMail(raw: string): { headers: Record<string, string>; body: string } {
  const i = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, i).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const c = line.indexOf(':');
    if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = decodeWords(line.slice(c + 1).trim());
  }
  return { headers, body: decodeBody(headers, raw.slice(i + 4)).replace(/\r\n/g, '\n') };
}

/** A running SMTP receiver. */
export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  /** Auth attempts (user, password) the server saw. */
  logins: { user: string; password: string }[];
  close(): Promise<void>;
}

/** Start an SMTP server on 127.0.0.1 offering STARTTLS with `tls` (or none), optionally requiring login. */
export async function startSmtp(opts: { port?: number; tls?: { key: string; cert: string }; auth?: { user: string; password: string }; rejectRcpt?: RegExp } = {}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const logins: { user: string; password: string }[] = [];
  const server = new SMTPServer({
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : { hideSTARTTLS: true, disabledCommands: ['STARTTLS'] }),
    authOptional: !opts.auth,
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, cb) {
      logins.push({ user: auth.username ?? '', password: auth.password ?? '' });
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.password) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, cb) {
      if (opts.rejectRcpt?.test(address.address)) {
        const err = new Error('mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
      } else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const { headers, body } = parseMail(raw);
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, headers, body,
          secure: session.secure, ...(session.user ? { user: String(session.user) } : {}),
        });
        cb();
      });
    },
  });
  // smtp-server warns on stderr about its built-in test certificate; ours is our own.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as net.AddressInfo).port;
  return { port, mails, logins, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** One request the HTTP receiver got. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A running HTTP receiver answering `status()` (default 200). */
export interface HttpReceiver {
  port: number;
  requests: ReceivedRequest[];
  status: (req: ReceivedRequest) => number;
  close(): Promise<void>;
}

/** Start an HTTP server on 127.0.0.1 that records every request. */
export async function startHttp(opts: { port?: number; status?: (req: ReceivedRequest) => number } = {}): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const rec: HttpReceiver = { port: 0, requests, status: opts.status ?? (() => 200), close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      const code = rec.status(r);
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(code < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  rec.port = (server.address() as net.AddressInfo).port;
  rec.close = () => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  return rec;
}

/** A parsed RFC 5424 message. */
export interface SyslogMessage {
  raw: string;
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: Record<string, Record<string, string>>;
  msg: string;
}

/** Parse one RFC 5424 message (structured data with escaped values). Throws on a malformed one. */
export function parseSyslog(raw: string): SyslogMessage {
  const m = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(raw);
  if (!m) throw new Error(`not RFC 5424: ${raw.slice(0, 80)}`);
  let i = m[0].length;
  const sd: Record<string, Record<string, string>> = {};
  if (raw[i] === '-') i += 1;
  else {
    while (raw[i] === '[') {
      const idEnd = raw.indexOf(' ', i);
      const id = raw.slice(i + 1, idEnd);
      i = idEnd;
      const params: Record<string, string> = {};
      while (raw[i] === ' ') {
        const eq = raw.indexOf('=', i);
        const name = raw.slice(i + 1, eq);
        if (raw[eq + 1] !== '"') throw new Error('SD value not quoted');
        let j = eq + 2;
        let v = '';
        while (raw[j] !== '"') {
          if (raw[j] === '\\' && '"\\]'.includes(raw[j + 1])) {
            v += raw[j + 1];
            j += 2;
          } else v += raw[j++];
          if (j >= raw.length) throw new Error('unterminated SD value');
        }
        params[name] = v;
        i = j + 1;
      }
      if (raw[i] !== ']') throw new Error(`SD element not closed at ${i}`);
      sd[id] = params;
      i += 1;
    }
  }
  let msg = raw[i] === ' ' ? raw.slice(i + 1) : '';
  if (msg.startsWith('\ufeff')) msg = msg.slice(1);
  return { raw, pri: Number(m[1]), version: Number(m[2]), timestamp: m[3], hostname: m[4], appName: m[5], procId: m[6], msgId: m[7], sd, msg };
}

/** A running syslog listener. */
export interface SyslogReceiver {
  port: number;
  messages: SyslogMessage[];
  close(): Promise<void>;
}

/** Listen for syslog on 127.0.0.1 over UDP or TCP (octet-counted frames). */
export async function startSyslog(protocol: 'udp' | 'tcp', opts: { port?: number } = {}): Promise<SyslogReceiver> {
  const messages: SyslogMessage[] = [];
  if (protocol === 'udp') {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (b) => messages.push(parseSyslog(b.toString('utf8'))));
    await new Promise<void>((r) => sock.bind(opts.port ?? 0, '127.0.0.1', () => r()));
    return { port: sock.address().port, messages, close: () => new Promise<void>((r) => sock.close(() => r())) };
  }
  const server = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) break;
        const len = Number(buf.subarray(0, sp).toString('ascii'));
        if (!Number.isInteger(len) || buf.length < sp + 1 + len) break;
        messages.push(parseSyslog(buf.subarray(sp + 1, sp + 1 + len).toString('utf8')));
        buf = buf.subarray(sp + 1 + len);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  return { port: (server.address() as net.AddressInfo).port, messages, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A TCP port that was free a moment ago (for a receiver started later on a port the config already names). */
export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Wait until `cond` holds (polling), or throw naming `what`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
