/** Test helper: a real Unix datagram socket standing in for systemd's NOTIFY_SOCKET (notify-receiver.py). */
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

/** One notification as the receiver saw it. */
export interface Notification {
  pid: number | null;
  fields: Record<string, string>;
  /** For READY=1: whether the engine socket accepted a connection at that moment. */
  listening?: boolean;
  error?: string;
}

/** A running receiver. */
export interface NotifyReceiver {
  readonly address: string;
  readonly messages: Notification[];
  /** Resolve with the first message (after `from` seen so far) matching `pred`. */
  next(pred: (n: Notification) => boolean, ms?: number, from?: number): Promise<Notification>;
  close(): Promise<void>;
}

/** Bind `address` (a path, or @name for an abstract socket) and probe `engineSocket` on READY=1. */
export async function startNotifyReceiver(address: string, engineSocket: string): Promise<NotifyReceiver> {
  const proc: ResultPromise = execa('python3', [path.join(__dirname, 'notify-receiver.py'), address, engineSocket], { reject: false, stdin: 'ignore', buffer: false });
  const messages: Notification[] = [];
  let bound!: () => void;
  const isBound = new Promise<void>((r) => (bound = r));
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (c: string) => {
    buf += c;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as Notification & { bound?: string };
      buf = buf.slice(nl + 1);
      if (line.bound) bound();
      else messages.push(line);
    }
  });
  await Promise.race([isBound, proc.then((r) => Promise.reject(new Error(`notify receiver exited: ${String(r.stderr)}`)))]);
  return {
    address,
    messages,
    async next(pred, ms = 30_000, from = 0) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = messages.slice(from).find(pred);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`no matching notification within ${ms} ms; got ${JSON.stringify(messages)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}
