/**
 * The engine's local socket server: newline-delimited JSON (src/daemon/protocol.ts) over a Unix domain socket in the
 * runtime directory (directory 0750, socket 0660, optionally handed to the operators' group). Requests are routed to
 * handler tables; events are pushed to every connected client. A bad line gets an error answer and the connection
 * survives. Every client must say `hello` first.
 *
 * Trust boundary: Node cannot read SO_PEERCRED, so the OS user and SSH origin recorded in audits (FlowSpec) are what
 * the client says in its `hello`. Any member of the socket's group can therefore claim any name: the socket's file
 * mode and group are what keep other users out, and the audit is as honest as the operators in that group.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pidAlive } from '../util/process.js';
import { pathChain } from '../util/paths.js';
import { judgeRuntimeDir } from './trust.js';
import type { ClientInfo, ServerStats } from './methods.js';
import { lineSplitter, PROTOCOL_VERSION, RpcError, type EventBus, type HandlerTable, type Message, type RequestContext } from './protocol.js';



export type { ClientInfo, ServerStats };

/** A running server. */
export interface EngineServer extends EventBus {
  readonly socketPath: string;
  clients(): number;
  /** Every connected client with its counters. */
  clientList(): ClientInfo[];
  stats(): ServerStats;
  close(): Promise<void>;
}

/** Default bound of one client's unsent bytes (limits.clientBufferBytes). */
export const DEFAULT_CLIENT_BUFFER = 8 * 1024 * 1024;

/** Error starting the server (another engine alive, socket path unusable, unknown group). */
export class EngineServerError extends Error {
  constructor(message: string, readonly reason: 'ALREADY_RUNNING' | 'BAD_GROUP' | 'LISTEN' | 'UNTRUSTED_DIR', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineServerError';
  }
}

/** Longest accepted request line (bytes); longer input is answered TOO_LONG and dropped. */
const MAX_LINE = 4_000_000;

/** Resolve a group name or numeric id to a gid through /etc/group (Node has no getgrnam). */
export function resolveGroup(group: string | number, groupFile = '/etc/group'): number {
  if (typeof group === 'number' || /^\d+$/.test(group)) return Number(group);
  let text = '';
  try {
    text = fs.readFileSync(groupFile, 'utf8');
  } catch (err) {
    throw new EngineServerError(`cannot read ${groupFile} to resolve group "${group}"`, 'BAD_GROUP', { cause: err });
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new EngineServerError(`unknown group "${group}" (not in ${groupFile})`, 'BAD_GROUP');
}

/**
 * Make the runtime directory ready for the engine's socket and pid file, or refuse it: created 0750 when missing;
 * refused (EngineServerError UNTRUSTED_DIR) when it is not the engine user's own, when other users may write it, or
 * when an ancestor lets another user replace it (src/daemon/trust.ts); then tightened to 0750 and handed to `gid`.
 */
export function prepareRuntimeDir(dir: string, gid?: number): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  const self = process.getuid?.();
  if (self === undefined) return; // no uids (Windows): nothing to judge
  const why = judgeRuntimeDir(pathChain(dir).chain, self);
  if (why) throw new EngineServerError(why, 'UNTRUSTED_DIR');
  fs.chmodSync(dir, 0o750);
  if (gid !== undefined) fs.chownSync(dir, self, gid);
}

/** Listen on `socketPath`; refuses to start when another engine answers there; removes a stale socket. */
export async function startEngineServer(opts: {
  socketPath: string;
  handlers: HandlerTable;
  group?: string | number;
  /** A client with more unsent bytes than this is dropped (it stopped reading); default 8 MiB. */
  maxClientBuffer?: number;
  log?: (line: string) => void;
  now?: () => number;
}): Promise<EngineServer> {
  const maxBuffer = opts.maxClientBuffer ?? DEFAULT_CLIENT_BUFFER;
  const now = opts.now ?? Date.now;
  const gid = opts.group === undefined || opts.group === '' ? undefined : resolveGroup(opts.group);
  prepareRuntimeDir(path.dirname(opts.socketPath), gid);
  if (fs.existsSync(opts.socketPath)) {
    if (await isAlive(opts.socketPath)) throw new EngineServerError(`an engine is already running on ${opts.socketPath}`, 'ALREADY_RUNNING');
    fs.rmSync(opts.socketPath, { force: true });
  }
  const conns = new Map<net.Socket, ClientInfo>();
  const counters: ServerStats = { requests: 0, errors: 0, badLines: 0, connections: 0, dropped: 0 };
  let nextConnection = 1;
  /**
   * Write one line to a client, unless its unsent bytes would pass the bound: a client that stops reading (a TUI
   * suspended with Ctrl-Z, a script that never reads) is dropped instead of buffered without end. Returns false
   * when the client is gone.
   */
  const write = (sock: net.Socket, info: ClientInfo, line: string): boolean => {
    if (sock.destroyed) return false;
    // The bound is on the backlog: one answer larger than the bound still goes to a client that keeps up.
    if (sock.writableLength > 0 && sock.writableLength + line.length > maxBuffer) {
      counters.dropped++;
      counters.lastDropped = { user: info.user, ...(info.pid !== undefined ? { pid: info.pid } : {}), at: now(), bufferedBytes: sock.writableLength };
      opts.log?.(`dropped client ${info.connection} (${info.user || 'before hello'}${info.pid ? `, pid ${info.pid}` : ''}): ${sock.writableLength} bytes unread, limit ${maxBuffer}`);
      sock.destroy();
      return false;
    }
    sock.write(line);
    return true;
  };
  const server = net.createServer((sock) => {
    const info: ClientInfo = { connection: nextConnection++, user: '', since: now(), requests: 0, errors: 0, events: 0, bufferedBytes: 0 };
    counters.connections++;
    conns.set(sock, info);
    let ctx: RequestContext | undefined;
    const send = (m: Message) => {
      if ('error' in m) {
        counters.errors++;
        info.errors++;
      }
      write(sock, info, `${JSON.stringify(m)}\n`);
    };
    const fail = (id: number, code: string, message: string) => send({ v: PROTOCOL_VERSION, id, error: { code, message } });
    const handleLine = (line: string) => {
      let req: { v?: unknown; id?: unknown; method?: unknown; params?: unknown };
      try {
        req = JSON.parse(line) as typeof req;
        if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new Error('not an object');
      } catch {
        counters.badLines++;
        return fail(0, 'BAD_JSON', 'request is not a JSON object');
      }
      const id = typeof req.id === 'number' && Number.isSafeInteger(req.id) ? req.id : 0;
      if (req.v !== PROTOCOL_VERSION) {
        counters.badLines++;
        return fail(id, 'VERSION', `protocol version ${String(req.v)} not supported (engine speaks ${PROTOCOL_VERSION})`);
      }
      counters.requests++;
      info.requests++;
      if (req.method === 'hello') {
        const p = (req.params ?? {}) as { user?: unknown; sshConnection?: unknown; pid?: unknown; version?: unknown };
        if (p.version !== undefined && p.version !== PROTOCOL_VERSION) {
          return fail(id, 'VERSION', `client speaks protocol ${String(p.version)}, engine speaks ${PROTOCOL_VERSION}`);
        }
        ctx = {
          user: String(p.user ?? 'unknown').replace(/[^\w.@-]/g, '').slice(0, 64) || 'unknown',
          sshConnection: typeof p.sshConnection === 'string' ? p.sshConnection.replace(/[^0-9a-fA-F.: ]/g, '').slice(0, 128) : undefined,
          pid: typeof p.pid === 'number' ? p.pid : undefined,
          connection: info.connection,
        };
        info.user = ctx.user;
        info.pid = ctx.pid;
        info.sshConnection = ctx.sshConnection;
        return send({ v: PROTOCOL_VERSION, id, result: { version: PROTOCOL_VERSION, pid: process.pid } });
      }
      if (!ctx) return fail(id, 'NO_HELLO', 'say hello first: {"v":1,"id":1,"method":"hello","params":{"user":"..."}}');
      const h = typeof req.method === 'string' && Object.hasOwn(opts.handlers, req.method) ? opts.handlers[req.method] : undefined;
      if (!h) return fail(id, 'NO_METHOD', `unknown method ${String(req.method)}`);
      const who = ctx;
      Promise.resolve()
        .then(() => h(req.params, who))
        .then(
          (result) => send({ v: PROTOCOL_VERSION, id, result: result ?? null }),
          (err: unknown) => {
            const e = err instanceof RpcError ? err : undefined;
            send({ v: PROTOCOL_VERSION, id, error: { code: e?.code ?? 'INTERNAL', message: (err as Error)?.message ?? String(err), details: e?.details } });
          },
        );
    };
    const lines = lineSplitter((line) => {
      if (line.trim() !== '') handleLine(line);
    });
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      lines.push(chunk);
      if (lines.buffered > MAX_LINE) {
        counters.badLines++;
        fail(0, 'TOO_LONG', `request line longer than ${MAX_LINE} bytes`);
        lines.reset();
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
  });
  await new Promise<void>((res, rej) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      rej(
        err.code === 'EADDRINUSE'
          ? new EngineServerError(`an engine is already running on ${opts.socketPath}`, 'ALREADY_RUNNING', { cause: err })
          : new EngineServerError(`cannot listen on ${opts.socketPath}: ${err.message}`, 'LISTEN', { cause: err }),
      ),
    );
    server.listen(opts.socketPath, () => res());
  });
  fs.chmodSync(opts.socketPath, 0o660);
  if (gid !== undefined) fs.chownSync(opts.socketPath, process.getuid?.() ?? 0, gid);
  return {
    socketPath: opts.socketPath,
    clients: () => conns.size,
    clientList: () => [...conns].map(([sock, info]) => ({ ...info, bufferedBytes: sock.writableLength })),
    stats: () => ({ ...counters }),
    publish(event: string, data: unknown) {
      const line = `${JSON.stringify({ v: PROTOCOL_VERSION, event, data })}\n`;
      for (const [c, info] of conns) if (write(c, info, line)) info.events++;
    },
    async close() {
      for (const c of conns.keys()) c.destroy();
      await new Promise<void>((res) => server.close(() => res()));
      fs.rmSync(opts.socketPath, { force: true });
    },
  };
}

/** True when something accepts connections on the socket. */
export function isAlive(socketPath: string): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

export { pidAlive } from '../util/process.js';

/**
 * True when a command line (argv, as /proc/<pid>/cmdline holds it, NUL-separated) is `… nocflow[.js] engine …`: the
 * program nocflow with the `engine` command. Pure.
 */
export function isEngineCommandLine(cmdline: string): boolean {
  const argv = cmdline.split('\0').filter(Boolean);
  const bin = argv.findIndex((a) => /(^|\/)nocflow(\.js)?$/.test(a));
  return bin >= 0 && argv.slice(bin + 1).includes('engine');
}

/**
 * True when `pid` is alive and (where /proc tells) runs `nocflow engine`: a reused pid of another program — or of
 * another nocflow command — is not an engine.
 */
export function isEngineProcess(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc: trust signal 0
  }
  return isEngineCommandLine(cmdline);
}

/**
 * Take the engine's pid file (created exclusively). When it exists and names a live process other than us, refuse;
 * a stale one (dead pid) is replaced. Returns a function that removes it.
 */
export function acquirePidFile(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o640 });
      return () => {
        try {
          if (Number(fs.readFileSync(file, 'utf8').trim()) === process.pid) fs.rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const other = Number(fs.readFileSync(file, 'utf8').trim());
      if (other !== process.pid && isEngineProcess(other)) throw new EngineServerError(`an engine (pid ${other}) is already running (pid file ${file})`, 'ALREADY_RUNNING');
      fs.rmSync(file, { force: true });
    }
  }
  throw new EngineServerError(`cannot take pid file ${file}`, 'ALREADY_RUNNING');
}

/** Pid in an engine pid file, or undefined. */
export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
