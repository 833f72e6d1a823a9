/**
 * The configuration gate of the commands that start an engine loop (`engine`, `engine --check`, `watch`): a file
 * that does not match its schema, or that the semantic check refuses, stops the command with exit code 2 before
 * anything is opened — every problem on its own line with its path.
 */
import { ConfigError, loadConfig, type ConfigHandle } from '../config/config.js';
import { stripControl } from '../util/sanitize.js';
import { CliError } from './errors.js';

/**
 * End the command (exit 2): "<what> not started: <problem>" for one problem; for several, each on its own line
 * ("nocflow: path: reason") and then "<what> not started: N problems <where>".
 */
export function refuse(what: string, problems: string[], where = ''): never {
  if (problems.length === 1) throw new CliError(`${what} not started: ${stripControl(problems[0])}`, 2);
  for (const p of problems) process.stderr.write(`nocflow: ${stripControl(p)}\n`);
  throw new CliError(`${what} not started: ${problems.length} problems${where ? ` ${where}` : ''}`, 2);
}

/** The configuration, or the end of the command when it cannot be used (`what` names what was not started). */
export function loadUsableConfig(what: string): ConfigHandle {
  let handle: ConfigHandle;
  try {
    handle = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    refuse(what, err.violations, 'in the configuration file (nocflow config check)');
  }
  const problems = handle.problems();
  if (problems.length > 0) refuse(what, problems, `in ${handle.path} (nocflow config check)`);
  return handle;
}
