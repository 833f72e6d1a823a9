/** `nocflow config path|get|set|check`. */
import type { Command } from 'commander';
import { ConfigError, loadConfig, parseConfigValue } from '../../config/config.js';
import { stripControl } from '../../util/sanitize.js';
import { CliError } from '../errors.js';

export function registerConfig(program: Command): void {
  const cmd = program.command('config').description('show or change the configuration file');
  cmd
    .command('path')
    .description('print the configuration file path')
    .action(() => {
      process.stdout.write(`${loadConfig().path}\n`);
    });
  cmd
    .command('get [key]')
    .description('print a value (dotted key, e.g. engine.topN), or the whole effective config; secrets are masked')
    .option('--show-secrets', 'print passwords, passphrases and API keys as stored')
    .action((key: string | undefined, o: { showSecrets?: boolean }) => {
      const handle = open();
      let value = key ? handle.get(key) : handle.config;
      if (value === undefined) throw new CliError(`no such key: ${key}`);
      if (!o.showSecrets) value = maskSecrets(value, key?.split('.').pop());
      process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
    });
  cmd
    .command('set <key> <value>')
    .description('validate and store a value (JSON or plain string); the file is written with mode 0600')
    .action((key: string, value: string) => {
      const handle = open();
      try {
        handle.set(key, parseConfigValue(value));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // One line per problem, each with its path; nothing was written.
        for (const v of err.violations.slice(0, -1)) process.stderr.write(`nocflow: ${stripControl(v)}\n`);
        throw new CliError(`${stripControl(err.violations.at(-1) ?? err.message)} (${key} not changed)`, 2, { cause: err });
      }
    });
  cmd
    .command('check')
    .description('validate the configuration file (schema, then every address, prefix, threshold key, URL, port) and report every violation with its path')
    .action(() => {
      let handle: ReturnType<typeof loadConfig>;
      try {
        handle = loadConfig();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const v of err.violations) process.stdout.write(`${stripControl(v)}\n`);
        throw new CliError(`the configuration file does not match its schema: ${err.violations.length} problem(s)`, 2, { cause: err });
      }
      const problems = handle.problems();
      for (const p of problems) process.stdout.write(`${stripControl(p)}\n`);
      if (problems.length > 0) throw new CliError(`${handle.path}: ${problems.length} problem(s)`, 2);
      process.stdout.write(`ok: ${handle.path}\n`);
    });
}

/** Keys whose values are credentials (devices' password/passphrase, Elasticsearch password/apiKey, the mail password, the webhook URL — a hook URL carries its token). */
const SECRET_KEYS = new Set(['password', 'passphrase', 'apiKey', 'url']);

/** A copy of a config value with every non-empty secret replaced by "********" (`name`: the value's own key). Pure. */
export function maskSecrets(value: unknown, name?: string): unknown {
  if (name !== undefined && SECRET_KEYS.has(name)) return typeof value === 'string' && value !== '' ? '********' : value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  return value;
}

function open() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2, { cause: err });
    throw err;
  }
}
