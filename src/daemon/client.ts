/**
 * Client of the engine socket: one-shot `callEngine` for CLI commands, and `connectEngine` for the TUI — a
 * long-lived connection with pushed events and automatic reconnection (state events say so, so the screen can).
 * `autostart` spawns `nocflow engine start` when no engine answers.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { lineSplitter, PROTOCOL_VERSION, type Message } from './protocol.js';
import type { ConnectionEvent, EventName, MethodName, ParamsOf, ResultOf } from './methods.js';
import { pathChain, runtimeDir, systemRuntimeDir } from '../util/paths.js';
import { judgeSocket } from './trust.js';

/** Where this user's own engine listens (`nocflow engine`, `engine start`): `<runtime dir>/engine.sock`. */
export function ownSocketPath(): string {
  return path.join(runtimeDir(), 'engine.sock');
}

/** The shared engine's socket (the systemd service): /run/nocflow/engine.sock. */
export function sharedSocketPath(): string {
  return path.join(systemRuntimeDir(), 'engine.sock');
}

/**
 * The socket a client talks to without flags: `NOCFLOW_RUNTIME_DIR`'s when set; else this user's own engine while one
 * runs (its pid file names a live process); else the shared service's when it is there (also when this user may not
 * enter its directory, so that the error names it); else this user's own path (where autostart puts an engine).
 */
export function defaultSocketPath(): string {
  const own = ownSocketPath();
  if (process.env.NOCFLOW_RUNTIME_DIR) return own;
  let ownPid: number | undefined;
  try {
    ownPid = Number(fs.readFileSync(`${own}.pid`, 'utf8').trim());
  } catch {
    ownPid = undefined;
  }
  if (ownPid && fs.existsSync(own) && pidRunning(ownPid)) return own;
  const shared = sharedSocketPath();
  try {
    fs.lstatSync(shared);
    return shared;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return shared;
  }
  return own;
}

/** The OS user's name; a uid without a passwd entry (containers, service users) is `$USER`, else `uid-<n>`. */
export function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER || process.env.LOGNAME || `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Signal 0 (no /proc check: server.ts's pidAlive is the careful one; this only picks a default path). */
function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An error answer from the engine. */
export class EngineError extends Error {
  constructor(readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'EngineError';
  }
}

export interface ConnectOptions {
  socketPath?: string;
  autostart?: boolean;
  /** Reconnect after losing the engine (default true for connectEngine). */
  reconnect?: boolean;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A live connection. `call` is typed by the catalogue (src/daemon/methods.ts): a method's params and result. */
export interface EngineConnection {
  call<M extends MethodName>(method: M, params?: ParamsOf<M>, timeoutMs?: number): Promise<ResultOf<M>>;
  /** Pushed events (EngineEvents in src/daemon/methods.ts says what each carries), `connection` and `reconnected`. */
  on(event: EventName | ConnectionEvent | 'connection' | (string & {}), fn: (data: unknown) => void): () => void;
  onState(fn: (s: ConnectionState) => void): () => void;
  state(): ConnectionState;
  close(): void;
}

/** Path of `bin/nocflow.js`, found upward from this module (works from dist/ and from the sources under test). */
export function nocflowBin(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'bin', 'nocflow.js');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find bin/nocflow.js above the daemon module');
}

/** Start a background engine (`nocflow engine start`) and wait until its socket answers. */
export async function startEngineInBackground(socketPath: string, timeoutMs = 15_000): Promise<void> {
  const r = await execa(process.execPath, [nocflowBin(), 'engine', 'start'], { env: { NOCFLOW_SOCKET: socketPath }, stdin: 'ignore', timeout: timeoutMs, reject: false });
  if (r.failed) {
    const why = String(r.stderr ?? '').trim().split('\n').pop() || r.shortMessage;
    throw new EngineError('NO_ENGINE', `no engine on ${socketPath}, and starting one failed: ${(why ?? '').replace(/^nocflow: /, '')}`);
  }
}

/**
 * The socket's real path when this client may trust it (src/daemon/trust.ts: its owner also owns its directory,
 * nobody else could have put it there), else EngineError `UNTRUSTED` — checked before anything (the hello with the
 * operator's name and SSH origin) is sent. A missing socket is left to connect() to report.
 */
export function trustedSocketPath(socketPath: string): string {
  let found: ReturnType<typeof pathChain>;
  try {
    found = pathChain(socketPath);
  } catch {
    return socketPath;
  }
  const self = process.getuid?.();
  if (self === undefined) return found.real;
  const why = judgeSocket(found.chain, self);
  if (why) throw new EngineError('UNTRUSTED', `refusing the engine socket ${socketPath}: ${why}`);
  return found.real;
}

function connectOnce(socketPath: string): Promise<net.Socket> {
  return new Promise((res, rej) => {
    const s = net.connect(trustedSocketPath(socketPath));
    s.once('connect', () => { s.off('error', rej); res(s); });
    s.once('error', rej);
  });
}

/** Open a live connection (with hello, reconnection and events). */
export async function connectEngine(opts: ConnectOptions = {}): Promise<EngineConnection> {
  const socketPath = opts.socketPath ?? process.env.NOCFLOW_SOCKET ?? defaultSocketPath();
  const reconnect = opts.reconnect ?? true;
  let sock: net.Socket | undefined;
  let state: ConnectionState = 'connecting';
  let closed = false;
  let nextId = 1;
  const pending = new Map<number, { res: (v: unknown) => void; rej: (e: Error) => void; timer: NodeJS.Timeout }>();
  const listeners = new Map<string, Set<(d: unknown) => void>>();
  const stateListeners = new Set<(s: ConnectionState) => void>();
  const setState = (s: ConnectionState) => {
    if (s === state && s !== 'connected') return;
    state = s;
    for (const l of stateListeners) l(s);
    for (const l of listeners.get('connection') ?? []) l(s);
  };

  const attach = (s: net.Socket) => {
    sock = s;
    const lines = lineSplitter((line) => {
      let m: Message;
      try {
        m = JSON.parse(line) as Message;
      } catch {
        return;
      }
      if ('event' in m) {
        // After the answers that came before it have been handled: an answer resolves a promise, whose callbacks run
        // later (microtasks), while this line handler runs on; an event that followed an answer in the same read
        // would otherwise reach its listener first — an investigation's result before the id the answer carried.
        const event = m.event, data = m.data;
        setImmediate(() => {
          for (const l of listeners.get(event) ?? []) l(data);
        });
      } else if ('id' in m) {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        clearTimeout(p.timer);
        if ('error' in m) p.rej(new EngineError(m.error.code, m.error.message, m.error.details));
        else p.res((m as { result: unknown }).result);
      }
    });
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => lines.push(chunk));
    s.on('close', () => {
      for (const [, p] of pending) {
        clearTimeout(p.timer);
        p.rej(new EngineError('DISCONNECTED', 'the engine went away'));
      }
      pending.clear();
      if (sock !== s) return; // an older socket's late close
      sock = undefined;
      if (closed || !reconnect) return setState('closed');
      setState('reconnecting');
      if (!retrying) void retry();
    });
    s.on('error', () => undefined);
  };

  const send = (method: string, params: unknown, timeoutMs: number) =>
    new Promise<unknown>((res, rej) => {
      if (!sock) return rej(new EngineError('DISCONNECTED', 'not connected to the engine'));
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        rej(new EngineError('TIMEOUT', `${method} timed out`));
      }, timeoutMs);
      pending.set(id, { res, rej, timer });
      sock.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id, method, params })}\n`);
    });

  const hello = () => send('hello', { user: osUser(), sshConnection: process.env.SSH_CONNECTION, pid: process.pid, version: PROTOCOL_VERSION }, 5000);

  let retrying = false;
  /** Reconnect with a growing pause (200 ms … 2 s) until it works or the connection is closed. One loop at a time. */
  async function retry(): Promise<void> {
    retrying = true;
    try {
      for (let attempt = 0; !closed; attempt++) {
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * (attempt + 1))));
        if (closed) return;
        try {
          attach(await connectOnce(socketPath));
          await hello();
          setState('connected');
          for (const l of listeners.get('reconnected') ?? []) l(null);
          return;
        } catch {
          sock?.destroy();
          sock = undefined;
        }
      }
    } finally {
      retrying = false;
    }
  }

  try {
    attach(await connectOnce(socketPath));
  } catch (err) {
    if (err instanceof EngineError) throw err; // an untrusted socket: never talked to, never replaced by an autostart
    if (!opts.autostart) throw new EngineError('NO_ENGINE', `no engine on ${socketPath} (start one with: nocflow engine start)`);
    await startEngineInBackground(socketPath);
    attach(await connectOnce(socketPath));
  }
  try {
    await hello();
  } catch (err) {
    closed = true;
    sock?.destroy();
    throw err;
  }
  setState('connected');

  return {
    call: <M extends MethodName>(method: M, params?: ParamsOf<M>, timeoutMs = 30_000) => send(method, params, timeoutMs) as Promise<ResultOf<M>>,
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn);
      return () => set!.delete(fn);
    },
    onState(fn) {
      stateListeners.add(fn);
      return () => stateListeners.delete(fn);
    },
    state: () => state,
    close() {
      closed = true;
      sock?.destroy();
      setState('closed');
    },
  };
}

/** One request to the engine, for CLI commands (typed by the catalogue, like `call`). */
export async function callEngine<M extends MethodName>(method: M, params?: ParamsOf<M>, opts: { socketPath?: string; autostart?: boolean } = {}): Promise<ResultOf<M>> {
  const c = await connectEngine({ ...opts, reconnect: false });
  try {
    return await c.call(method, params);
  } finally {
    c.close();
  }
}
