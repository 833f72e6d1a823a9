/** `nocflow engine [start|status|stop]`: the shared engine process. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import type { AlertsStatus } from '../../alerts/area.js';
import { alertsStatusLines } from '../../alerts/format.js';
import { ConfigError, loadConfig } from '../../config/config.js';
import { checkConfig } from '../../config/check.js';
import { flowSourceFrom } from '../../ingest/flow-source.js';
import { PreflightError, readerProblem, storePathProblem } from '../../daemon/preflight.js';
import { resolveDbPath } from '../../store/db.js';
import { stripControl } from '../../util/sanitize.js';
import { loadUsableConfig, refuse } from '../config-gate.js';
import { createNotifier } from '../../daemon/notify.js';
import { configDefaults } from '../../config/schema.js';
import { DEFAULT_LAYOUT, renderSysusers, renderUnit } from '../../deploy/unit.js';
import { createLogger } from '../../util/log.js';
import { VERSION } from '../../util/version.js';
import { callEngine, defaultSocketPath, nocflowBin, ownSocketPath } from '../../daemon/client.js';
import { pidFileFor, type EngineStatus } from '../../daemon/engine-process.js';
import { buildEngine, checkEngine } from '../../daemon/main.js';
import { EngineServerError, isAlive, isEngineProcess, pidAlive, readPidFile } from '../../daemon/server.js';
import { dataDir } from '../../util/paths.js';
import { CliError } from '../errors.js';
import { formatStatus } from '../status-text.js';

const BIN = nocflowBin();
/** The socket clients talk to (the shared service's when it runs, src/daemon/client.ts). */
const socketPath = () => process.env.NOCFLOW_SOCKET ?? defaultSocketPath();
/** Where an engine of this user listens. */
const ownSocket = () => process.env.NOCFLOW_SOCKET ?? ownSocketPath();
const socketGroup = (flag?: string) => flag ?? process.env.NOCFLOW_SOCKET_GROUP ?? undefined;

/**
 * Run the engine in this process until SIGINT/SIGTERM; SIGHUP reloads the configuration (src/daemon/reload.ts).
 * Exit code 2 when another engine is running. Under systemd (NOTIFY_SOCKET) it says READY=1 only once the store is
 * open and the socket listens, and refuses to go on when it cannot say so (Type=notify would kill it later).
 */
export async function runEngineForeground(opts: { nfcapdDir?: string; intervalSeconds?: number; group?: string } = {}): Promise<void> {
  const sock = ownSocket();
  const logger = createLogger('engine');
  // An invalid configuration stops here: nothing opened, the ledger untouched (exit 2).
  const handle = loadUsableConfig('engine');
  const { engine } = buildEngine(handle.config, { socketPath: sock, nfcapdDir: opts.nfcapdDir, intervalSeconds: opts.intervalSeconds, group: socketGroup(opts.group) }, { logger });
  const notifier = createNotifier({ logger: logger.child('notify') });
  try {
    await engine.start();
  } catch (err) {
    if (err instanceof PreflightError) refuse('engine', err.problems, 'found before starting');
    throw new CliError((err as Error).message, err instanceof EngineServerError && err.reason === 'ALREADY_RUNNING' ? 2 : 1, { cause: err });
  }
  logger.notice(`engine ${process.pid} (nocflow ${VERSION}) listening on ${sock}, configuration ${handle.path}`);
  const note = (fields: Record<string, string | number>) => notifier.send(fields).catch((err: Error) => logger.child('notify').warn(err.message));
  // One reload at a time; a SIGHUP during a reload runs one more after it.
  let reloading: Promise<void> | undefined;
  let again = false;
  const reload = async (): Promise<void> => {
    await note({ RELOADING: 1, STATUS: 'reloading the configuration' });
    let outcome: string;
    try {
      const next = loadConfig();
      // The configuration's semantic check (config check) and the engine's own judgement.
      const problems = [...next.problems(), ...checkEngine(next.config, { nfcapdDir: opts.nfcapdDir }).problems];
      if (problems.length > 0) {
        engine.refuseReload(problems.join('; '));
        outcome = `reload refused: ${problems.length} problem(s), running configuration kept`;
      } else {
        const r = await engine.reload(next.config);
        outcome = `reloaded: ${r.applied.length} applied, ${r.restart.length} waiting for a restart`;
      }
    } catch (err) {
      engine.refuseReload(err instanceof ConfigError ? err.violations.join('; ') || err.message : (err as Error).message);
      outcome = 'reload refused: the configuration file is invalid, running configuration kept';
    }
    await note({ READY: 1, STATUS: `listening on ${sock}; ${outcome}` });
  };
  const onHup = () => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = reload().finally(() => {
      reloading = undefined;
      if (again) {
        again = false;
        onHup();
      }
    });
  };
  // The signal handlers are in place before READY=1: a stop or reload that follows the readiness at once (systemd,
  // a test) finds them (systemd-notify's datagram can arrive before its process has exited).
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // `on`, not `once`, and idempotent: conf's when-exit re-sends the signal after its own handler; a second signal
  // with none of ours listening would end the process before the socket and pid file are removed.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    void (stopping ??= note({ STOPPING: 1, STATUS: 'stopping' })
      .then(() => logger.notice(`engine ${process.pid} stopping`))
      .then(() => engine.stop())
      .finally(done));
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, stop);
  // SIGHUP is a reload here. when-exit (conf → atomically) treats it as an exit signal and re-sends it after its
  // own clean-up, which would reload twice: its listener is removed for SIGHUP only.
  process.removeAllListeners('SIGHUP');
  process.on('SIGHUP', onHup);
  try {
    await notifier.send({ READY: 1, STATUS: `listening on ${sock}` });
  } catch (err) {
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, stop);
    process.off('SIGHUP', onHup);
    await engine.stop();
    throw new CliError(`${(err as Error).message}; stopping, since systemd (Type=notify) would never see the engine ready`, 1, { cause: err });
  }
  await finished;
}

/**
 * `engine --check`: the assembly judged without starting — the configuration (schema and semantics), the reader
 * (`nfdump -V`), the store's path — and what would run; exit 2 when something is wrong.
 */
async function runCheck(opts: { nfcapdDir?: string }): Promise<void> {
  let config;
  try {
    config = loadConfig().config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const v of err.violations) process.stdout.write(`problem: ${stripControl(v)}\n`);
    throw new CliError(`${err.violations.length} problem(s) in the configuration`, 2);
  }
  const c = checkEngine(config, opts);
  const info: string[] = [];
  const reader = await readerProblem(flowSourceFrom(config.engine), config, info);
  const store = storePathProblem(resolveDbPath(config.store.path, dataDir()));
  const problems = [...checkConfig(config), ...c.problems, ...(reader ? [reader] : []), ...(store ? [store] : [])];
  const lines = [
    `reader: ${c.reader}${info.length > 0 ? ` (${info.join(', ')})` : ''}`,
    `nfcapd dir: ${c.nfcapdDir || '(not set)'}`,
    `database: ${resolveDbPath(config.store.path, dataDir())}`,
    `areas: ${c.areas.join(', ')}`,
    ...problems.map((p) => `problem: ${stripControl(p)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (problems.length > 0) throw new CliError(`${problems.length} problem${problems.length === 1 ? '' : 's'} found`, 2);
}

/**
 * The pid to signal for `engine stop`: the one the engine on the socket says it has (hello through the trusted
 * socket), else the pid file's when that process is `nocflow engine` (an engine busy with a window may not answer).
 * A pid file naming any other process (a pid reused after a crash) is refused: nothing is signalled.
 */
async function enginePid(sock: string, named: number, pidFile: string): Promise<number> {
  const answered = await Promise.race([
    callEngine('engine.status', undefined, { socketPath: sock }).then((s) => s.pid, () => undefined),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000).unref()),
  ]);
  if (answered !== undefined && isEngineProcess(answered)) return answered;
  if (isEngineProcess(named)) return named;
  throw new CliError(`no engine is running: ${pidFile} names pid ${named}, which is not a nocflow engine (a pid reused after a crash?); nothing was signalled — remove the stale pid file`, 3);
}

export function registerEngine(program: Command): void {
  const cmd = program
    .command('engine')
    .description('run the shared engine (watcher, detection, socket) in the foreground; see also start|status|stop')
    .option('--dir <nfcapdDir>', 'nfcapd directory (default: config engine.nfcapdDir)')
    .option('--interval <s>', 'nfcapd rotation interval in seconds (default: inferred from the file names)')
    .option('--group <group>', 'hand the socket to this group (operators); default $NOCFLOW_SOCKET_GROUP or your own group')
    .option('--check', 'check the configuration and print what would run, then exit (2 when something is wrong)')
    .action(async (o: { dir?: string; interval?: string; group?: string; check?: boolean }) => {
      if (o.check) return runCheck({ nfcapdDir: o.dir });
      const intervalSeconds = o.interval === undefined ? undefined : Number(o.interval);
      if (intervalSeconds !== undefined && !(Number.isFinite(intervalSeconds) && intervalSeconds > 0)) throw new CliError(`--interval wants seconds (e.g. 60 or 300), got ${JSON.stringify(o.interval)}`, 2);
      return runEngineForeground({ nfcapdDir: o.dir, intervalSeconds, group: o.group });
    });
  cmd
    .command('start')
    .description('start the engine in the background (logs to <data dir>/engine.log)')
    .action(async (_o: unknown, sub: Command) => {
      // --dir/--interval/--group belong to `engine` itself; commander hands them to the parent even after `start`.
      const o = sub.optsWithGlobals<{ dir?: string; interval?: string; group?: string }>();
      const running = socketPath();
      if (await isAlive(running)) {
        process.stdout.write(`engine already running on ${running}\n`);
        return;
      }
      // The shared configuration's engine is the service: a private one on it would be a second BGP speaker, a
      // second device collector and a second writer of the same alerts.
      const source = (() => {
        try {
          return loadConfig();
        } catch (err) {
          throw new CliError((err as Error).message, 2, { cause: err });
        }
      })();
      if (source.source === 'system') {
        throw new CliError(`no engine answers on ${running}, and ${source.path} is the shared configuration, whose engine is the service: ask an admin to start it (sudo systemctl start nocflow-engine); nocflow doctor says what is missing`, 3);
      }
      const sock = ownSocket();
      fs.mkdirSync(dataDir(), { recursive: true });
      const log = fs.openSync(path.join(dataDir(), 'engine.log'), 'a', 0o600);
      const args = [BIN, 'engine', ...(o.interval ? ['--interval', o.interval] : []), ...(o.dir ? ['--dir', o.dir] : []), ...(o.group ? ['--group', o.group] : [])];
      // node:child_process.spawn (argument array, no shell): execa does not take raw file descriptors for a detached child.
      const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
      child.unref();
      for (let i = 0; i < 150; i++) {
        if (await isAlive(sock)) {
          process.stdout.write(`engine ${child.pid} started on ${sock}\n`);
          return;
        }
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const logFile = path.join(dataDir(), 'engine.log');
      const last = fs.readFileSync(logFile, 'utf8').trim().split('\n').pop()?.replace(/^nocflow: /, '') ?? '';
      // A refusal (configuration, preflight, another engine) keeps its exit code 2.
      throw new CliError(`the engine did not start${last ? ` (${last})` : ''}; see ${logFile}`, child.exitCode === 2 ? 2 : 1);
    });
  cmd
    .command('unit')
    .description('print the systemd unit for this configuration (install: nocflow engine unit | sudo tee /etc/systemd/system/nocflow-engine.service)')
    .option('--defaults', 'render the defaults (the unit shipped in the package) instead of the configuration')
    .option('--sysusers', 'print the sysusers.d lines for the service user and the operators\' group instead')
    .option('--bin <path>', 'the installed nocflow command', DEFAULT_LAYOUT.bin)
    .option('--user <user>', 'the service user', DEFAULT_LAYOUT.user)
    .option('--service-group <group>', 'the operators\' group (socket and configuration)', DEFAULT_LAYOUT.group)
    .action((o: { defaults?: boolean; sysusers?: boolean; bin: string; user: string; serviceGroup: string }) => {
      const layout = { ...DEFAULT_LAYOUT, bin: o.bin, user: o.user, group: o.serviceGroup };
      if (o.sysusers) {
        process.stdout.write(renderSysusers(layout));
        return;
      }
      const config = o.defaults ? configDefaults : loadConfig().config;
      if (!o.defaults && !config.engine.nfcapdDir) process.stderr.write('nocflow: engine.nfcapdDir is not set: the unit has no ReadOnlyPaths= for it (set it, then render again)\n');
      process.stdout.write(renderUnit(config, { layout, version: o.defaults ? undefined : VERSION }));
    });
  cmd
    .command('status')
    .description('show the running engine\'s status')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      let s: EngineStatus;
      try {
        s = await callEngine('engine.status', undefined, { socketPath: socketPath() });
      } catch (err) {
        throw new CliError((err as Error).message, 3);
      }
      process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : `${formatStatus(s, Date.now())}\n`);
    });
  cmd
    .command('stop')
    .description('stop the running engine')
    .action(async () => {
      const sock = socketPath();
      const pidFile = pidFileFor(sock);
      const named = readPidFile(pidFile);
      if (named === undefined || !pidAlive(named)) throw new CliError('no engine is running', 3);
      const pid = await enginePid(sock, named, pidFile);
      try {
        process.kill(pid, 'SIGTERM');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
        throw new CliError(`engine ${pid} on ${sock} belongs to another user (the service): sudo systemctl stop nocflow-engine`, 1, { cause: err });
      }
      // Wait for the process itself to end (it removes its socket and pid file on the way out).
      for (let i = 0; i < 200 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      if (pidAlive(pid)) throw new CliError(`engine ${pid} did not stop within 10 s`, 1);
      process.stdout.write(`engine ${pid} stopped\n`);
    });
}
