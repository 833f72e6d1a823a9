/**
 * The engine's local socket protocol (version 1): newline-delimited JSON over a Unix domain socket.
 *
 *   client → engine  {"v":1,"id":7,"method":"block.add","params":{...}}
 *   engine → client  {"v":1,"id":7,"result":{...}}   or   {"v":1,"id":7,"error":{"code":"GUARD","message":"..."}}
 *   engine → client  {"v":1,"event":"window","data":{...}}            (pushed to subscribers)
 *
 * Feature areas contribute handlers (a method name → async function) and event kinds; the daemon
 * (src/daemon/server.ts) routes requests to them. Handlers are plain functions so they can be tested in-process.
 */

export const PROTOCOL_VERSION = 1;

export interface Request {
  v: number;
  id: number;
  method: string;
  params?: unknown;
}

export interface ResponseOk {
  v: number;
  id: number;
  result: unknown;
}

export interface ResponseErr {
  v: number;
  id: number;
  error: { code: string; message: string; details?: unknown };
}

export interface EventMessage {
  v: number;
  event: string;
  data: unknown;
}

export type Message = Request | ResponseOk | ResponseErr | EventMessage;

/** Who is asking: recorded in audits (OS user, SSH origin). */
export interface RequestContext {
  user: string;
  /** SSH_CONNECTION of the client's session ("client_ip client_port server_ip server_port"), if any. */
  sshConnection?: string;
  /** Process id of the client, when the OS tells us. */
  pid?: number;
  /** The connection's number in this engine (per-client limits, `engine.status`). */
  connection?: number;
}

/** Error a handler throws to answer with a code the client can act on. */
export class RpcError extends Error {
  constructor(readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'RpcError';
  }
}

/** One request handler. */
export type Handler = (params: unknown, ctx: RequestContext) => Promise<unknown>;

/** A feature area's handlers, keyed by method name ("block.add", "devices.where", ...). */
export type HandlerTable = Record<string, Handler>;

/** Something that publishes events to subscribed clients. */
export interface EventBus {
  publish(event: string, data: unknown): void;
}

/**
 * The NDJSON framing both ends share: feed socket chunks (utf8 text) to `push`; each complete line is handed to
 * `onLine`, in order. `buffered` is the length of the line still incomplete (the server bounds it). Pure.
 */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; readonly buffered: number; reset(): void } {
  let buf = '';
  return {
    push(chunk) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onLine(line);
      }
    },
    get buffered() {
      return buf.length;
    },
    reset() {
      buf = '';
    },
  };
}
