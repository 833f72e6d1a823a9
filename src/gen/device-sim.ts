/**
 * A real SSH server (ssh2's Server) on 127.0.0.1 that behaves like a switch or router CLI of a given kind:
 * banner, prompt, echo, paging with a pager prompt until paging is turned off, command outputs, slow output, a
 * hang, and a disconnect in the middle of an output. Listens on loopback only. The demo's simulated gateway
 * (src/gen/demo-devices.ts) and the tests' devices.
 */
import ssh2, { type Connection } from 'ssh2';
import type { AddressInfo } from 'node:net';

// ssh2 is CommonJS: its named exports exist only on the default export under Node's ESM loader.
const { Server, utils } = ssh2;
import { KIND_PROFILES, type DeviceKind } from '../devices/kinds.js';

/** A freshly generated ed25519 key pair (private in OpenSSH format, public as an authorized_keys line). */
export function newKeyPair(): { private: string; public: string } {
  // ssh2's ed25519 keygen strips a public key's leading zero byte (1 key in 256), and then neither half parses again
  // (mscdex/ssh2#1390, #1513, open): make another until both do.
  for (let i = 0; ; i++) {
    const k = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(k.private) instanceof Error) && !(utils.parseKey(k.public) instanceof Error)) return { private: k.private, public: k.public };
    if (i >= 16) throw new Error('ssh2 made 17 ed25519 keys in a row that it cannot parse');
  }
}

/** The raw public key blob of an OpenSSH public key line. */
export function publicBlob(pub: string): Buffer {
  return Buffer.from(pub.trim().split(/\s+/)[1], 'base64');
}

export interface FakeDeviceOptions {
  kind: DeviceKind;
  hostname: string;
  hostKey: string;
  user: string;
  password?: string;
  /** An authorized public key (OpenSSH line). */
  authorizedKey?: string;
  /** Command text → output (lines separated by \n), or a function giving the output at the time it is asked. */
  outputs: Record<string, string | (() => string)>;
  banner?: string;
  /** Pause between the banner and the first prompt (input typed meanwhile waits, as on a real device). */
  bannerDelayMs?: number;
  /** Lines per page while paging is on (default 8). */
  pageLines?: number;
  /** The device ignores the paging-off command, so the pager prompt shows anyway. */
  ignorePagingOff?: boolean;
  /** Delay between output lines, ms. */
  lineDelayMs?: number;
  /** Close the connection after this many lines of this command's output. */
  dropDuring?: { command: string; afterLines: number };
  /** Stop writing (never finish) after this many lines of this command's output. */
  hangDuring?: { command: string; afterLines: number };
  /** Server algorithm lists (an old device). */
  algorithms?: Record<string, string[]>;
  /** Shared across devices: shells open now and the most open at once. */
  tracker?: { active: number; max: number };
}

export interface FakeDevice {
  port: number;
  /** Commands received, in order, over all sessions. */
  commands: string[];
  /** Authentications attempted and how they ended. */
  auths: { method: string; ok: boolean }[];
  /** Pager prompts shown. */
  pages: number;
  close(): Promise<void>;
}

function promptFor(kind: DeviceKind, hostname: string, user: string): string {
  if (kind === 'iosxr') return `RP/0/RSP0/CPU0:${hostname}#`;
  if (kind === 'junos') return `${user}@${hostname}> `;
  return `${hostname}#`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start a fake device on an ephemeral loopback port. */
export async function startFakeDevice(o: FakeDeviceOptions): Promise<FakeDevice> {
  const dev: FakeDevice = { port: 0, commands: [], auths: [], pages: 0, close: async () => undefined };
  const allowedKey = o.authorizedKey ? utils.parseKey(o.authorizedKey) : undefined;
  if (allowedKey instanceof Error) throw allowedKey;
  const conns = new Set<Connection>();
  const server = new Server({ hostKeys: [o.hostKey], ...(o.algorithms ? { algorithms: o.algorithms as never } : {}) }, (client) => {
    conns.add(client);
    client.on('error', () => undefined);
    client.on('close', () => conns.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && o.password !== undefined && ctx.username === o.user && ctx.password === o.password) {
        dev.auths.push({ method: 'password', ok: true });
        return ctx.accept();
      }
      if (ctx.method === 'publickey' && allowedKey && ctx.username === o.user) {
        const same = ctx.key.algo === allowedKey.type && Buffer.compare(ctx.key.data, allowedKey.getPublicSSH()) === 0;
        if (same && !ctx.signature) return ctx.accept(); // key probe
        if (same && ctx.signature && ctx.blob && allowedKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) {
          dev.auths.push({ method: 'publickey', ok: true });
          return ctx.accept();
        }
      }
      if (ctx.method !== 'none') dev.auths.push({ method: ctx.method, ok: false });
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('pty', (ok) => ok?.());
        session.on('shell', (ok) => {
          const stream = ok();
          if (o.tracker) {
            o.tracker.active++;
            o.tracker.max = Math.max(o.tracker.max, o.tracker.active);
            stream.on('close', () => o.tracker!.active--);
          }
          const prompt = promptFor(o.kind, o.hostname, o.user);
          const profile = KIND_PROFILES[o.kind];
          const pager = o.kind === 'junos' ? '---(more)---' : ' --More-- ';
          let paging = true;
          let line = '';
          let waitingSpace: (() => void) | undefined;
          let busy = false;
          const pending: string[] = [];
          const write = (s: string) => {
            if (!stream.destroyed && stream.writable) stream.write(s);
          };
          const emit = async (cmd: string, text: string) => {
            const lines = text.split('\n');
            const per = o.pageLines ?? 8;
            // Lines are batched into one write per page (a slow device writes line by line).
            let out = '';
            const flush = () => {
              if (out) write(out);
              out = '';
            };
            for (let i = 0; i < lines.length; i++) {
              if (o.dropDuring && o.dropDuring.command === cmd && i === o.dropDuring.afterLines) {
                flush();
                client.end();
                return false;
              }
              if (o.hangDuring && o.hangDuring.command === cmd && i === o.hangDuring.afterLines) {
                flush();
                return false;
              }
              if (paging && i > 0 && i % per === 0) {
                dev.pages++;
                out += pager;
                flush();
                await new Promise<void>((r) => (waitingSpace = r));
                out += '\b'.repeat(pager.length) + ' '.repeat(pager.length) + '\b'.repeat(pager.length);
              }
              if (o.lineDelayMs) {
                flush();
                await sleep(o.lineDelayMs);
              }
              out += `${lines[i]}\r\n`;
            }
            flush();
            return true;
          };
          const handle = async (cmd: string) => {
            dev.commands.push(cmd);
            if (cmd === 'exit' || cmd === 'quit') {
              stream.exit(0);
              stream.end();
              return false;
            }
            if (cmd === profile.pagingOff) {
              if (!o.ignorePagingOff) paging = false;
              if (o.kind === 'iosxr' || o.kind === 'junos') write(o.kind === 'junos' ? 'Screen length set to 0\r\n' : '');
            } else if (cmd === '') {
              /* empty line: just the prompt again */
            } else if (cmd in o.outputs) {
              const out = o.outputs[cmd];
              if (!(await emit(cmd, typeof out === 'function' ? out() : out))) return false;
            } else {
              write(o.kind === 'junos' ? `                  ^\r\nunknown command.\r\n` : `% Invalid input detected at '^' marker.\r\n`);
            }
            write(prompt);
            return true;
          };
          let ready = false;
          const pump = async () => {
            if (busy || !ready) return;
            busy = true;
            while (pending.length > 0) {
              const cmd = pending.shift()!;
              if (!(await handle(cmd))) {
                pending.length = 0;
                break;
              }
            }
            busy = false;
          };
          stream.on('data', (data: Buffer) => {
            for (const ch of data.toString('utf8')) {
              if (waitingSpace) {
                const w = waitingSpace;
                waitingSpace = undefined;
                if (ch === ' ') w();
                continue;
              }
              if (ch === '\r' || ch === '\n') {
                write('\r\n');
                pending.push(line.trim());
                line = '';
                void pump();
              } else {
                line += ch;
                write(ch);
              }
            }
          });
          stream.on('error', () => undefined);
          const greet = async () => {
            if (o.banner) write(o.banner.replace(/\n/g, '\r\n'));
            if (o.bannerDelayMs) await sleep(o.bannerDelayMs);
            write(`\r\n${prompt}`);
            ready = true;
            void pump();
          };
          void greet();
        });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  dev.port = (server.address() as AddressInfo).port;
  dev.close = () =>
    new Promise<void>((r) => {
      for (const c of conns) c.end();
      server.close(() => r());
    });
  return dev;
}
