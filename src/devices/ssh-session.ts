/**
 * One interactive CLI session over SSH (ssh2 Client, shell channel): wait for the prompt, turn paging off, run
 * commands one by one, answer any `--More--` with a space, and return each command's text without the echo and
 * the prompt. Connect and per-command timeouts; the host key is judged by the caller's verifier. Credentials are
 * never part of any message.
 */
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { isRefused, LEGACY_ALGORITHMS, MORE_ANY_RE, MORE_RE, PROMPT_RE } from './kinds.js';

/** Why a device could not be collected. */
export type DeviceErrorReason =
  | 'config'
  | 'connect'
  | 'connect-timeout'
  | 'auth'
  | 'hostkey-unknown'
  | 'hostkey-changed'
  | 'hostkey-revoked'
  | 'no-prompt'
  | 'command-timeout'
  | 'disconnected'
  /** A command's output passed the byte limit (limits.deviceOutputBytes): a device streaming without end. */
  | 'output-too-large';

/** A device collection failure, with the device, the reason and the original error. */
export class DeviceError extends Error {
  constructor(message: string, readonly device: string, readonly reason: DeviceErrorReason, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeviceError';
  }
}

/** Connection settings for one session. */
export interface SessionOptions {
  device: string;
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: Buffer | string;
  passphrase?: string;
  /** SSH handshake and authentication, and then the first prompt. */
  connectTimeoutMs: number;
  /** Each command, from sending it to the prompt after its output. */
  commandTimeoutMs: number;
  /** Also offer LEGACY_ALGORITHMS (old devices). */
  legacyAlgorithms?: boolean;
  /** Most bytes one command's output (or the login) may hold; the session fails beyond it. Default 32 MiB. */
  maxOutputBytes?: number;
  /** Judges the server's host key blob; returns a refusal reason, or undefined to accept. */
  verifyHostKey: (blob: Buffer) => 'hostkey-unknown' | 'hostkey-changed' | 'hostkey-revoked' | undefined;
}

/** Default bound of one command's output (limits.deviceOutputBytes). */
export const DEFAULT_MAX_OUTPUT = 32 * 1024 * 1024;

/** Counters of one session. */
export interface SessionStats {
  morePrompts: number;
  bytes: number;
}

/** Remove pager prompts and the backspace-space-backspace dance that erases them. */
export function cleanPagerArtifacts(text: string): string {
  return text.replace(MORE_ANY_RE, '').replace(/\x08+ *\x08*/g, '').replace(/\r(?!\n)/g, '');
}

/** The command's own text from the raw buffer: drop the echoed command line and the trailing prompt. */
export function commandOutput(raw: string, command: string, prompt: string): string {
  const lines = cleanPagerArtifacts(raw).split(/\r?\n/);
  if (lines.length > 0 && lines[0].includes(command)) lines.shift();
  if (lines.length > 0 && lines[lines.length - 1].trim() === prompt) lines.pop();
  return lines.join('\n');
}

/** A command's output, and which spelling gave it (the last one tried when all were refused). */
export interface CommandOutput {
  command: string;
  output: string;
  /** Every spelling tried was refused (isRefused). */
  refused: boolean;
}

/**
 * Open a session, run `pagingOff` then `commands`, and return their outputs in order. A command given as a list
 * is tried spelling by spelling until the device does not refuse it (older switches know only an older spelling).
 */
export async function runCommands(
  opts: SessionOptions,
  pagingOff: string,
  commands: (string | readonly string[])[],
  stats: SessionStats = { morePrompts: 0, bytes: 0 },
): Promise<CommandOutput[]> {
  const where = `${opts.device} (${opts.host}:${opts.port})`;
  const maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const client = new Client();
  let refused: ReturnType<SessionOptions['verifyHostKey']>;
  let channel: ClientChannel | undefined;
  let buf = '';
  let closed = false;
  let sessionOpen = false;
  let verifierError: Error | undefined;
  let failure: DeviceError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => wake?.();

  const fail = (e: DeviceError) => {
    failure ??= e;
    notify();
  };

  const connected = new Promise<ClientChannel>((resolve, reject) => {
    client.on('ready', () => {
      client.shell({ term: 'vt100', cols: 511, rows: 200 }, (err, ch) => {
        if (err) return reject(new DeviceError(`${where}: cannot open a shell: ${err.message}`, opts.device, 'connect', { cause: err }));
        resolve(ch);
      });
    });
    client.on('error', (err: Error & { level?: string }) => {
      let e: DeviceError;
      if (verifierError) e = new DeviceError(`${where}: cannot check the host key: ${verifierError.message}`, opts.device, 'config', { cause: verifierError });
      else if (sessionOpen) e = new DeviceError(`${where}: connection lost: ${err.message}`, opts.device, 'disconnected', { cause: err });
      else if (refused) e = new DeviceError(`${where}: host key refused (${refused.replace('hostkey-', '')})`, opts.device, refused, { cause: err });
      else if (err.level === 'client-authentication') e = new DeviceError(`${where}: authentication failed for user ${opts.username}`, opts.device, 'auth', { cause: err });
      else if (err.level === 'client-timeout') e = new DeviceError(`${where}: no SSH handshake within ${opts.connectTimeoutMs} ms`, opts.device, 'connect-timeout', { cause: err });
      else e = new DeviceError(`${where}: ${err.message}`, opts.device, 'connect', { cause: err });
      reject(e);
      fail(e);
    });
    client.on('close', () => {
      closed = true;
      reject(new DeviceError(`${where}: connection closed before the session was ready`, opts.device, 'disconnected'));
      notify();
    });
  });

  const config: ConnectConfig = {
    host: opts.host,
    port: opts.port,
    username: opts.username,
    readyTimeout: opts.connectTimeoutMs,
    keepaliveInterval: 0,
    tryKeyboard: false,
    hostVerifier: (key: Buffer) => {
      try {
        refused = opts.verifyHostKey(key);
      } catch (err) {
        // An unreadable known_hosts file must refuse the host, never crash the collector.
        verifierError = err as Error;
        return false;
      }
      return refused === undefined;
    },
    ...(opts.privateKey ? { privateKey: opts.privateKey, ...(opts.passphrase ? { passphrase: opts.passphrase } : {}) } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
  };
  if (opts.legacyAlgorithms) {
    const append = (list: readonly string[]) => ({ append: [...list] }) as never;
    config.algorithms = { kex: append(LEGACY_ALGORITHMS.kex), cipher: append(LEGACY_ALGORITHMS.cipher), serverHostKey: append(LEGACY_ALGORITHMS.serverHostKey) };
  }

  // Waits until `done(buf)` holds, the channel closes, or the timeout passes.
  const waitFor = (done: (b: string) => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        wake = undefined;
        reject(new DeviceError(`${where}: ${what}: no prompt after ${timeoutMs} ms (${buf.length} bytes received)`, opts.device, what === 'login' ? 'no-prompt' : 'command-timeout'));
      }, timeoutMs);
      const check = () => {
        if (failure) {
          clearTimeout(timer);
          wake = undefined;
          return reject(failure);
        }
        if (done(buf)) {
          clearTimeout(timer);
          wake = undefined;
          return resolve();
        }
        if (closed) {
          clearTimeout(timer);
          wake = undefined;
          reject(new DeviceError(`${where}: ${what}: connection closed mid-output (${buf.length} bytes received)`, opts.device, 'disconnected'));
        }
      };
      wake = check;
      check();
    });

  try {
    try {
      client.connect(config);
    } catch (err) {
      throw new DeviceError(`${where}: ${(err as Error).message}`, opts.device, 'config', { cause: err });
    }
    channel = await connected;
    sessionOpen = true;
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      stats.bytes += chunk.length;
      if (failure) return;
      // The output is bounded in bytes, not only in time: a device may stream a lot within commandTimeoutMs.
      if (buf.length + chunk.length > maxOutput) {
        fail(new DeviceError(`${where}: more than ${maxOutput} bytes of output (limits.deviceOutputBytes); collection abandoned`, opts.device, 'output-too-large'));
        return;
      }
      buf += chunk;
      // Only the tail can hold a pager prompt: never rescan a large table on every chunk.
      const tail = buf.slice(-64);
      if (MORE_RE.test(tail)) {
        stats.morePrompts++;
        buf = buf.slice(0, buf.length - tail.length) + tail.replace(MORE_RE, '');
        channel!.write(' ');
      }
      notify();
    });
    channel.stderr.on('data', () => undefined);
    channel.on('close', () => {
      closed = true;
      notify();
    });

    let prompt = '';
    const promptLine = (b: string) => {
      const m = PROMPT_RE.exec(b);
      if (m) prompt = m[1];
      return m !== null;
    };
    await waitFor(promptLine, opts.connectTimeoutMs, 'login');
    // Confirm with an empty line: a banner line that merely looks like a prompt (and ends a chunk) is not one;
    // the device answers the newline with its real prompt as the last line.
    buf = '';
    channel.write('\n');
    await waitFor((b) => b.includes('\n') && promptLine(b), opts.connectTimeoutMs, 'login');
    const atPrompt = (b: string) => {
      const last = b.slice(b.lastIndexOf('\n') + 1).replace(/\s+$/, '');
      return last === prompt && b.includes('\n');
    };
    const run = async (command: string) => {
      buf = '';
      channel!.write(`${command}\n`);
      await waitFor(atPrompt, opts.commandTimeoutMs, `"${command}"`);
      return commandOutput(buf, command, prompt);
    };
    if (pagingOff) await run(pagingOff);
    const outputs: CommandOutput[] = [];
    for (const c of commands) {
      const spellings = typeof c === 'string' ? [c] : c;
      let got: CommandOutput | undefined;
      for (const command of spellings) {
        const output = await run(command);
        got = { command, output, refused: isRefused(output) };
        if (!got.refused) break;
      }
      outputs.push(got ?? { command: '', output: '', refused: true });
    }
    channel.end('exit\n');
    return outputs;
  } finally {
    client.end();
  }
}
