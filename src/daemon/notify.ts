/**
 * Telling systemd about the engine (sd_notify): `READY=1` once the store is open and the socket listens (the unit is
 * Type=notify, so `systemctl start` returns, and a TUI connects, only then), `RELOADING=1` … `READY=1` around a
 * SIGHUP reload, `STOPPING=1`, and `STATUS=` lines that `systemctl status` shows.
 *
 * Node cannot send a Unix datagram itself, so the message goes through the `unix-dgram` addon to the NOTIFY_SOCKET
 * path. Two cases go through `systemd-notify` (systemd's own tool, which waits until the manager has read the message)
 * instead: an abstract NOTIFY_SOCKET (`@name`: the addon always passes the whole sun_path length, so it would address
 * a NUL-padded name nobody listens on), and an addon that does not load (a native build missing or made for another
 * Node version) — said once in the log; the shipped unit's `NotifyAccess=all` lets the manager accept the tool's
 * message. `NOCFLOW_NOTIFY=systemd-notify` chooses the tool on purpose. Without NOTIFY_SOCKET nothing is sent.
 */
import { createRequire } from 'node:module';
import { execa } from 'execa';
import type { Logger } from '../util/log.js';

/** How messages leave: the addon, systemd's tool, or nowhere (no NOTIFY_SOCKET). */
export type NotifyVia = 'unix-dgram' | 'systemd-notify' | 'none';

/** Error sending a notification, with the socket and the cause. */
export class NotifyError extends Error {
  constructor(message: string, readonly socket: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotifyError';
  }
}

/** The notifier of one process. */
export interface Notifier {
  readonly via: NotifyVia;
  readonly socket: string | undefined;
  /** Send `KEY=value` assignments in one message; rejects with NotifyError. */
  send(fields: Record<string, string | number>): Promise<void>;
}

/** One datagram's text: `KEY=value` lines. Values lose their newlines (one message, one line per field). Pure. */
export function notifyMessage(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${String(v).replace(/[\r\n]+/g, ' ')}`)
    .join('\n');
}

/** Which way a NOTIFY_SOCKET is reached, given whether the addon loads and what NOCFLOW_NOTIFY asks. Pure. */
export function notifyRoute(socket: string | undefined, addon: boolean, forced?: string): NotifyVia {
  if (!socket) return 'none';
  if (forced === 'systemd-notify') return 'systemd-notify';
  if (socket.startsWith('@')) return 'systemd-notify';
  return addon ? 'unix-dgram' : 'systemd-notify';
}

type DgramSocket = {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  close(): void;
  on(ev: 'error', fn: (err: Error) => void): void;
};
type UnixDgram = { createSocket(type: 'unix_dgram'): DgramSocket };

/** The addon, or why it does not load. */
export function loadUnixDgram(): { addon?: UnixDgram; error?: string } {
  try {
    return { addon: createRequire(import.meta.url)('unix-dgram') as UnixDgram };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0] };
  }
}

/** A notifier for this process's environment. */
export function createNotifier(opts: { env?: NodeJS.ProcessEnv; logger?: Logger; systemdNotifyBin?: string } = {}): Notifier {
  const env = opts.env ?? process.env;
  const socket = env.NOTIFY_SOCKET || undefined;
  const forced = env.NOCFLOW_NOTIFY;
  const loaded = socket && !socket.startsWith('@') && forced !== 'systemd-notify' ? loadUnixDgram() : {};
  const via = notifyRoute(socket, loaded.addon !== undefined, forced);
  if (via === 'systemd-notify' && loaded.error) {
    opts.logger?.error(`cannot load the unix-dgram addon (${loaded.error}): telling systemd through systemd-notify instead (the unit's NotifyAccess=all accepts it); \`npm rebuild -g nocflow\` rebuilds the addon`);
  }
  const bin = opts.systemdNotifyBin ?? 'systemd-notify';
  return {
    via,
    socket,
    async send(fields) {
      if (!socket) return;
      const text = notifyMessage(fields);
      if (via === 'unix-dgram') {
        const s = loaded.addon!.createSocket('unix_dgram');
        try {
          await new Promise<void>((resolve, reject) => {
            s.on('error', reject);
            const buf = Buffer.from(text);
            s.send(buf, 0, buf.length, socket, (err) => (err ? reject(err) : resolve()));
          });
        } catch (err) {
          throw new NotifyError(`cannot notify systemd at ${socket}: ${(err as Error).message}`, socket, { cause: err });
        } finally {
          s.close();
        }
        return;
      }
      // systemd-notify sends the assignments, then waits until the manager has read them (its barrier).
      const r = await execa(bin, text.split('\n'), { env: { NOTIFY_SOCKET: socket }, reject: false, timeout: 10_000, stdin: 'ignore' });
      if (r.failed) {
        const why = String(r.stderr || r.shortMessage || '').trim().split('\n').pop();
        throw new NotifyError(`cannot notify systemd at ${socket} through ${bin}: ${why}`, socket, { cause: r });
      }
    },
  };
}
