/**
 * The engine's local socket server: newline-delimited JSON (src/daemon/protocol.ts) over a Unix domain socket in the
 * runtime directory (directory 0750, socket 0660: the operators' group only). Requests are routed to handler tables;
 * events are pushed to every connected client. A bad line gets an error answer and the connection survives.
 *
 * Trust boundary: Node cannot read SO_PEERCRED, so the OS user and SSH origin recorded in audits are what the
 * client says in its `hello`; the socket's file mode is what keeps other users out.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PROTOCOL_VERSION, RpcError, type EventBus, type HandlerTable, type Message, type RequestContext } from './protocol.js';

/** A running server. */
export interface EngineServer extends EventBus {
  readonly socketPath: string;
  clients(): number;
  close(): Promise<void>;
}

/** Listen on `socketPath`; refuses to start when another engine answers there; removes a stale socket. */
export async function startEngineServer(opts: { socketPath: string; handlers: HandlerTable; group?: number }): Promise<EngineServer> {
  const dir = path.dirname(opts.socketPath);
  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  if (fs.existsSync(opts.socketPath)) {
    if (await isAlive(opts.socketPath)) throw new Error(`an engine is already running on ${opts.socketPath}`);
    fs.rmSync(opts.socketPath, { force: true });
  }
  const conns = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    conns.add(sock);
    let ctx: RequestContext = { user: 'unknown' };
    let buf = '';
    const send = (m: Message) => {
      if (!sock.destroyed) sock.write(`${JSON.stringify(m)}\n`);
    };
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 4_000_000) {
        send({ v: PROTOCOL_VERSION, id: 0, error: { code: 'TOO_LONG', message: 'line too long' } });
        buf = '';
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        let req: { v?: number; id?: number; method?: string; params?: unknown };
        try {
          req = JSON.parse(line);
        } catch {
          send({ v: PROTOCOL_VERSION, id: 0, error: { code: 'BAD_JSON', message: 'request is not JSON' } });
          continue;
        }
        const id = typeof req.id === 'number' ? req.id : 0;
        if (req.v !== PROTOCOL_VERSION) {
          send({ v: PROTOCOL_VERSION, id, error: { code: 'VERSION', message: `protocol version ${req.v} not supported (engine speaks ${PROTOCOL_VERSION})` } });
          continue;
        }
        if (req.method === 'hello') {
          const p = (req.params ?? {}) as { user?: string; sshConnection?: string; pid?: number };
          ctx = { user: String(p.user ?? 'unknown').slice(0, 64), sshConnection: p.sshConnection ? String(p.sshConnection).slice(0, 128) : undefined, pid: p.pid };
          send({ v: PROTOCOL_VERSION, id, result: { version: PROTOCOL_VERSION, pid: process.pid } });
          continue;
        }
        const h = typeof req.method === 'string' ? opts.handlers[req.method] : undefined;
        if (!h) {
          send({ v: PROTOCOL_VERSION, id, error: { code: 'NO_METHOD', message: `unknown method ${String(req.method)}` } });
          continue;
        }
        h(req.params, ctx).then(
          (result) => send({ v: PROTOCOL_VERSION, id, result: result ?? null }),
          (err: unknown) => {
            const e = err instanceof RpcError ? err : undefined;
            send({ v: PROTOCOL_VERSION, id, error: { code: e?.code ?? 'INTERNAL', message: (err as Error)?.message ?? String(err), details: e?.details } });
          },
        );
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.socketPath, () => res());
  });
  fs.chmodSync(opts.socketPath, 0o660);
  if (opts.group !== undefined) fs.chownSync(opts.socketPath, process.getuid?.() ?? 0, opts.group);
  return {
    socketPath: opts.socketPath,
    clients: () => conns.size,
    publish(event: string, data: unknown) {
      const line = `${JSON.stringify({ v: PROTOCOL_VERSION, event, data })}\n`;
      for (const c of conns) if (!c.destroyed) c.write(line);
    },
    async close() {
      for (const c of conns) c.destroy();
      await new Promise<void>((res) => server.close(() => res()));
      fs.rmSync(opts.socketPath, { force: true });
    },
  };
}

/** True when something accepts connections on the socket. */
export function isAlive(socketPath: string): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect(socketPath);
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}
