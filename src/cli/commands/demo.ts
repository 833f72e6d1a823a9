/**
 * `nocflow demo`: with no configuration, start a real nfcapd on loopback (1-minute files), one burst of every attack
 * at once (so the first file, closed within a minute, already shows detections), the scenario generator's endless
 * changing mix, a simulated campus gateway for ARP collection over SSH, a border router (gobgpd) taking the
 * engine's FlowSpec rules over BGP, an engine on that directory, and the TUI. `q`, Ctrl-C, SIGTERM or SIGHUP stop everything it started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { execa, type ResultPromise } from 'execa';
import { startNfcapd, type NfcapdHandle } from '../../gen/nfcapd.js';
import { isAlive } from '../../daemon/server.js';
import { callEngine, nocflowBin } from '../../daemon/client.js';
import { startDemoGateway, startDemoSwitch, type DemoGateway, type DemoSwitch } from '../../gen/demo-devices.js';
import { startDemoRouter } from '../../gen/demo-bgp.js';
import type { FlowspecConfig } from '../../config/sections/flowspec.js';
import { openTui } from './tui.js';
import { CliError } from '../errors.js';

/**
 * The demo's private settings: its own config dir (the operator's config is never read), a quick poll, and this
 * run's simulated gateway (its port and random password change every run; the file stays mode 0600).
 */
function writeDemoConfig(configDir: string, devices: (DemoGateway['config'] | DemoSwitch['config'])[], flowspec: Partial<FlowspecConfig> | undefined): void {
  fs.mkdirSync(configDir, { recursive: true });
  const file = path.join(configDir, 'config.json');
  let cfg: Record<string, unknown> = { engine: { pollSeconds: 1 } };
  if (fs.existsSync(file)) cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  cfg.devices = { ...(cfg.devices as object | undefined), list: devices, trustOnFirstUse: true, schedule: true };
  if (flowspec) cfg.flowspec = { ...(cfg.flowspec as object | undefined), ...flowspec };
  else delete cfg.flowspec;
  fs.writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('live demo: real nfcapd + generated attacks + engine + TUI, nothing to configure (q quits)')
    .option('--dir <dir>', 'work directory (default: a new temporary one)')
    .option('--no-tui', 'run nfcapd, generator and engine only (until Ctrl-C)')
    .action(async (o: { dir?: string; tui: boolean }, cmd: Command) => {
      const bin = nocflowBin();
      const work = path.resolve(o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-demo-')));
      const nfDir = path.join(work, 'nfcapd');
      const socketPath = path.join(work, 'engine.sock');
      const env = { NOCFLOW_CONFIG_DIR: path.join(work, 'config'), NOCFLOW_DATA_DIR: path.join(work, 'data'), NOCFLOW_RUNTIME_DIR: work, NOCFLOW_SOCKET: socketPath };
      // What the demo says goes to stderr and to <dir>/demo.log: the TUI covers stderr once it opens.
      fs.mkdirSync(work, { recursive: true });
      const say = (line: string) => {
        process.stderr.write(`demo: ${line}\n`);
        fs.appendFileSync(path.join(work, 'demo.log'), `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
      };
      const gateway = await startDemoGateway();
      const accessSwitch = await startDemoSwitch();
      // A border router over real BGP, so b / u block and unblock (when gobgpd is installed).
      const router = await startDemoRouter(work);
      const routerUp = 'apiPort' in router ? router : undefined;
      writeDemoConfig(env.NOCFLOW_CONFIG_DIR, [gateway.config, accessSwitch.config], routerUp?.flowspec);
      const children: ResultPromise[] = [];
      let nfcapd: NfcapdHandle | undefined;
      let stopping: Promise<void> | undefined;
      // Stop in reverse order of start: generators (no more traffic), engine, then nfcapd (flushes its last file).
      const stopAll = () =>
        (stopping ??= (async () => {
          for (const c of [...children].reverse()) {
            if (c.exitCode === null) c.kill('SIGTERM');
            await Promise.race([c, new Promise((r) => setTimeout(r, 5000))]);
            if (c.exitCode === null) c.kill('SIGKILL');
          }
          await Promise.allSettled(children);
          await nfcapd?.stop();
          await gateway.close();
          await accessSwitch.close();
          await routerUp?.stop();
        })());
      const log = (name: string) => ({ file: path.join(work, `${name}.log`) });
      const spawnChild = (args: string[], name: string) => {
        const c = execa(process.execPath, [bin, ...args], { env, stdin: 'ignore', stdout: log(name), stderr: log(`${name}.err`), reject: false });
        children.push(c);
        return c;
      };
      // Signals that would otherwise end this process and leave its children running. `on`, not `once`: conf's
      // when-exit re-sends the signal to this process after its own once-handler, and with no listener of ours left
      // that second signal would kill us before the children are stopped.
      const onSignal = () => void stopAll().finally(() => process.exit(130));
      for (const s of ['SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
      if (!o.tui) process.on('SIGINT', onSignal);
      try {
        nfcapd = await startNfcapd({ dir: nfDir, interval: 60 });
        const engine = spawnChild(['engine', '--dir', nfDir, '--interval', '60'], 'engine');
        for (let i = 0; i < 600 && !(await isAlive(socketPath)) && engine.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
        if (!(await isAlive(socketPath))) {
          const why = `the demo engine did not start (${engine.exitCode === null ? 'no socket after 60 s' : `exit ${engine.exitCode}`}); see ${path.join(work, 'engine.err.log')}`;
          say(why);
          throw new CliError(why);
        }
        // The gateway's ARP table now (then at every 5-minute boundary), so the first window already has it.
        await callEngine('devices.collect', {}, { socketPath }).catch((err: Error) => say(`collecting the gateway failed: ${err.message}`));
        // One burst of every attack now (timestamped over the last 5 minutes): the first file already has detections.
        const base = new Date(Math.floor(Date.now() / 1000) * 1000 - 300_000).toISOString();
        spawnChild(['gen', 'mixed', '--port', String(nfcapd.port), '--base-time', base, '--rate', '100000'], 'gen-first');
        spawnChild(['gen', 'demo', '--port', String(nfcapd.port)], 'gen');
        say(`nfcapd on 127.0.0.1:${nfcapd.port} writing ${nfDir} (1-minute files); engine on ${socketPath}; logs in ${work}`);
        say('first detections when the current minute\'s file closes (within about a minute)');
        say(routerUp ? `FlowSpec to three router gobgpd on 127.0.0.2-4 (b blocks, u unblocks; a victim's rule goes to the routers its attack enters by); their tables: ${routerUp.apiPorts.map((p) => `gobgp -p ${p} global rib -a ipv4-flowspec`).join(' ; ')}` : 'unavailable' in router ? router.unavailable : '');
        if (o.tui) {
          await openTui({ socketPath, lang: cmd.optsWithGlobals().lang, autostart: false });
        } else {
          await new Promise<void>(() => undefined); // until a signal (onSignal exits)
        }
      } finally {
        await stopAll();
        for (const s of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(s, onSignal);
      }
    });
}
