/**
 * The command registry: one file per command (group) under this folder; add yours here, with the top-level names it
 * registers. A module is imported only when its command runs (or for help and unknown commands, every module): the
 * commands' dependencies (ink, the Elasticsearch client, ssh2, nodemailer...) took ~1 s to load on every call,
 * `nocflow --version` included. test/cli/commands-index.test.ts checks the names against what each module registers.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

/** A command module: the top-level commands (and aliases) it registers, and how to load its register function. */
export interface CommandModule {
  names: readonly string[];
  load: () => Promise<RegisterCommand>;
}

export const commandModules: readonly CommandModule[] = [
  { names: ['config'], load: async () => (await import('./config.js')).registerConfig },
  { names: ['analyze'], load: async () => (await import('./analyze.js')).registerAnalyze },
  { names: ['hunt'], load: async () => (await import('./hunt.js')).registerHunt },
  { names: ['gen'], load: async () => (await import('./gen.js')).registerGen },
  { names: ['watch'], load: async () => (await import('./watch.js')).registerWatch },
  { names: ['engine'], load: async () => (await import('./engine.js')).registerEngine },
  { names: ['tui'], load: async () => (await import('./tui.js')).registerTui },
  { names: ['demo'], load: async () => (await import('./demo.js')).registerDemo },
  { names: ['collect'], load: async () => (await import('./collect.js')).registerCollect },
  { names: ['where'], load: async () => (await import('./where.js')).registerWhere },
  { names: ['devices'], load: async () => (await import('./devices.js')).registerDevices },
  { names: ['ship'], load: async () => (await import('./ship.js')).registerShip },
  { names: ['block', 'unblock', 'extend', 'blocks', 'audit', 'panic'], load: async () => (await import('./block.js')).registerBlock },
  { names: ['ioc'], load: async () => (await import('./ioc.js')).registerIoc },
  { names: ['alerts'], load: async () => (await import('./alerts.js')).registerAlerts },
  { names: ['doctor'], load: async () => (await import('./doctor.js')).registerDoctor },
];

/**
 * The top-level command an argument vector (process.argv shape) runs, or undefined (none, help, an option only).
 * Global options are skipped, with `--lang`'s value.
 */
export function commandNameOf(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return argv[i + 1];
    if (a === '--lang') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/** The command that runs when none is named (`nocflow`, `nocflow --lang zh-TW`): the TUI. */
const DEFAULT_COMMAND = 'tui';

/**
 * The modules to load for `argv`: the one that registers its command; with no command the default one (the TUI),
 * or every module for the program's help; every module for an unknown word (commander's own message then) or no argv.
 */
export function modulesFor(argv: readonly string[] | undefined): readonly CommandModule[] {
  if (!argv) return commandModules;
  let name = commandNameOf(argv);
  if (name === undefined) {
    if (argv.slice(2).some((a) => a === '-h' || a === '--help')) return commandModules;
    name = DEFAULT_COMMAND;
  }
  const mine = commandModules.filter((m) => m.names.includes(name));
  return mine.length > 0 ? mine : commandModules;
}
