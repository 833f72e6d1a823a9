/**
 * Running a real `nfcapd` collector on loopback (execa, argument arrays): for the demo, the generator and tests.
 * `stop()` sends SIGTERM, which makes nfcapd flush and name its last file (FIELD-NOTES).
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

/** A running collector. */
export interface NfcapdHandle {
  port: number;
  dir: string;
  pid: number | undefined;
  /** Stop (SIGTERM) and wait until the process is gone; the last file is then closed and named. */
  stop(): Promise<void>;
}

/** A free UDP port on 127.0.0.1 (bind to 0, read, release). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((res, rej) => s.bind(0, '127.0.0.1', () => res()).once('error', rej));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

/** How nfcapd writes its files (its own options; all off by default). */
export interface NfcapdWriteOptions {
  /** `-s rate`: the default sampling rate; nfcapd multiplies the counters by it and writes a sampler record. */
  samplingRate?: number;
  /** `-z` LZO, `-y` LZ4, `-j` BZ2. */
  compression?: 'lzo' | 'lz4' | 'bz2';
  /** `-I ident`: the ident string of the files' appendix. */
  ident?: string;
}

/** The compression flags, the same for nfcapd and nfdump (`-w` with `-z`, `-y`, `-j`). */
export const COMPRESSION_FLAG = { lzo: '-z', lz4: '-y', bz2: '-j' } as const;

/** nfcapd's arguments for the write options (pure; argument-exact tests). */
export function nfcapdWriteArgs(w: NfcapdWriteOptions = {}): string[] {
  const args: string[] = [];
  if (w.samplingRate !== undefined) {
    if (!Number.isInteger(w.samplingRate) || w.samplingRate < 1) throw new Error(`sampling rate must be a positive integer, got ${w.samplingRate}`);
    args.push('-s', String(w.samplingRate));
  }
  if (w.compression) args.push(COMPRESSION_FLAG[w.compression]);
  if (w.ident !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(w.ident)) throw new Error(`ident must be 1-64 letters, digits, '.', '_' or '-', got ${JSON.stringify(w.ident)}`);
    args.push('-I', w.ident);
  }
  return args;
}

/** Start `nfcapd -w dir -b 127.0.0.1 -p port -t interval -B 32MiB` and wait until it listens. */
export async function startNfcapd(opts: { dir: string; interval?: number; port?: number; bin?: string; subdirLayout?: number } & NfcapdWriteOptions): Promise<NfcapdHandle> {
  fs.mkdirSync(opts.dir, { recursive: true });
  const port = opts.port ?? (await freeUdpPort());
  const args = ['-w', opts.dir, '-b', '127.0.0.1', '-p', String(port), '-t', String(opts.interval ?? 300), '-B', '33554432', ...nfcapdWriteArgs(opts)];
  if (opts.subdirLayout !== undefined) args.push('-S', String(opts.subdirLayout));
  const proc: ResultPromise = execa(opts.bin ?? 'nfcapd', args, { env: { TZ: 'UTC' }, reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: { stderr: true } });
  // Ready when the open file appears.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) {
      const r = await proc;
      throw new Error(`nfcapd exited at start (${r.exitCode}): ${String(r.stderr).trim().split('\n').pop()}`);
    }
    if (hasCurrentFile(opts.dir)) break;
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error('nfcapd did not start within 10 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped: Promise<void> | undefined;
  return {
    port,
    dir: opts.dir,
    pid: proc.pid,
    stop() {
      stopped ??= (async () => {
        if (proc.exitCode === null) proc.kill('SIGTERM');
        await proc;
      })();
      return stopped;
    },
  };
}

function hasCurrentFile(dir: string): boolean {
  const walk = (d: string): boolean =>
    fs.readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.startsWith('nfcapd.current.')));
  return walk(dir);
}
