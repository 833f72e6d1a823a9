/**
 * `nocflow demo`: with no configuration, start a real nfcapd on loopback (1-minute files), the scenario generator's
 * demo stream, an engine on that directory, and the TUI. `q` / Ctrl-C stops everything it started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { execa, type ResultPromise } from 'execa';
import { startNfcapd } from '../../gen/nfcapd.js';
import { isAlive } from '../../daemon/server.js';
import { nocflowBin } from '../../daemon/client.js';
import { openTui } from './tui.js';
import { CliError } from '../main.js';

const BIN = nocflowBin();

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('live demo: real nfcapd + generated attacks + engine + TUI, nothing to configure (q quits)')
    .option('--dir <dir>', 'work directory (default: a new temporary one)')
    .option('--no-tui', 'run nfcapd, generator and engine only (until Ctrl-C)')
    .action(async (o: { dir?: string; tui: boolean }, cmd: Command) => {
      const work = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-demo-'));
      const nfDir = path.join(work, 'nfcapd');
      const socketPath = path.join(work, 'engine.sock');
      const env = { NOCFLOW_CONFIG_DIR: path.join(work, 'config'), NOCFLOW_DATA_DIR: path.join(work, 'data'), NOCFLOW_SOCKET: socketPath };
      const children: ResultPromise[] = [];
      const nfcapd = await startNfcapd({ dir: nfDir, interval: 60 });
      const stopAll = async () => {
        for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
        await Promise.allSettled(children);
        await nfcapd.stop();
      };
      try {
        children.push(execa(process.execPath, [BIN, 'gen', 'demo', '--port', String(nfcapd.port)], { env, stdin: 'ignore', stdout: { file: path.join(work, 'gen.log') }, stderr: { file: path.join(work, 'gen.err.log') }, reject: false }));
        children.push(execa(process.execPath, [BIN, 'engine', '--dir', nfDir, '--interval', '60'], { env, stdin: 'ignore', stdout: { file: path.join(work, 'engine.log') }, stderr: { file: path.join(work, 'engine.err.log') }, reject: false }));
        for (let i = 0; i < 100 && !(await isAlive(socketPath)); i++) await new Promise((r) => setTimeout(r, 100));
        if (!(await isAlive(socketPath))) throw new CliError(`the demo engine did not start; see ${path.join(work, 'engine.err.log')}`);
        process.stderr.write(`demo: nfcapd on 127.0.0.1:${nfcapd.port} writing ${nfDir}; first detections within about a minute\n`);
        if (o.tui) {
          await openTui({ socketPath, lang: cmd.optsWithGlobals().lang, autostart: false });
        } else {
          await new Promise<void>((resolve) => {
            process.once('SIGINT', () => resolve());
            process.once('SIGTERM', () => resolve());
          });
        }
      } finally {
        await stopAll();
      }
    });
}
