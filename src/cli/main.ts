/** The `nocflow` command line: builds the commander program from the command registry and runs it. */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { CliError } from './errors.js';
import { VERSION } from '../util/version.js';

export { CliError } from './errors.js';

/** Build the program (exported for tests of --help output). */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('nocflow')
    .description('NetFlow anomaly detection, FlowSpec blocking and ARP/MAC lookups for a NOC, in the terminal.')
    .version(VERSION)
    .option('--lang <lang>', 'label language: en or zh-TW', 'en')
    .showHelpAfterError();
  for (const register of commands) register(program);
  return program;
}

/** Run the CLI with `argv` (process.argv shape). Resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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
