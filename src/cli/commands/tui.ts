/** `nocflow` / `nocflow tui`: the operator screen, connected to the shared engine (started when none runs). */
import type { Command } from 'commander';
import { connectEngine } from '../../daemon/client.js';
import { parseLang } from '../../i18n/labels.js';
import { CliError } from '../errors.js';

/** Open the TUI on an engine socket. */
export async function openTui(opts: { socketPath?: string; lang: string; autostart?: boolean }): Promise<void> {
  // React's production build: the development build costs about twice the time per frame (bench/tui.ts). It must be
  // chosen before React is first loaded, so the screen's modules are imported here rather than at the top.
  process.env.NODE_ENV ??= 'production';
  const { runTui } = await import('../../tui/app.js');
  if (process.stderr.isTTY) process.stderr.write('connecting to the engine…\r');
  let conn;
  try {
    conn = await connectEngine({ socketPath: opts.socketPath, autostart: opts.autostart ?? true });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  try {
    await runTui({ backend: conn, lang: parseLang(opts.lang) });
  } finally {
    conn.close();
  }
}

/** Register `tui` as the default command. */
export function registerTui(program: Command): void {
  program
    .command('tui', { isDefault: true })
    .description('the operator screen (default command); starts the engine in the background when none runs')
    .option('--no-autostart', 'do not start an engine when none runs')
    .action(async (o: { autostart: boolean }, cmd: Command) => {
      await openTui({ lang: cmd.optsWithGlobals().lang, autostart: o.autostart });
    });
}
