/** The `nocflow` command line: builds the commander program from the command registry and runs it. */
import { Command, CommanderError } from 'commander';
import { modulesFor } from './commands/index.js';
import { CliError } from './errors.js';
import { VERSION } from '../util/version.js';

export { CliError } from './errors.js';

/**
 * Build the program (exported for tests of --help output): with `argv`, only the command it runs is loaded (every
 * command for help, an unknown command or none); without, every command.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command();
  program
    .name('nocflow')
    .description('NetFlow anomaly detection, FlowSpec blocking and ARP/MAC lookups for a NOC, in the terminal.')
    .version(VERSION)
    .option('--lang <lang>', 'label language: en or zh-TW', 'en')
    .showHelpAfterError();
  for (const register of await Promise.all(modulesFor(argv).map((m) => m.load()))) register(program);
  return program;
}

/** Run the CLI with `argv` (process.argv shape). Resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode;
    }
    if (err instanceof CliError) {
      process.stderr.write(`nocflow: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
