/**
 * Loading and editing the configuration file through `conf` (XDG config dir, mode 0600, schema-validated).
 * `NOCFLOW_CONFIG_DIR` (or the `dir` option) points at another directory, for tests and multi-instance hosts.
 */
import Conf from 'conf';
import { configDefaults, configSchema, type NocflowConfig } from './schema.js';

/** Error raised for an invalid configuration; `violations` lists every problem with its path. */
export class ConfigError extends Error {
  constructor(message: string, readonly violations: string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merge `over` onto `base` (objects merge, arrays and scalars replace). Pure. */
export function mergeDeep<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeDeep(out[k], v) : v;
  return out as T;
}

export interface ConfigHandle {
  /** Absolute path of the config file. */
  path: string;
  /** The effective configuration: defaults merged with the file. */
  config: NocflowConfig;
  /** Read one value by dotted key from the effective configuration. */
  get(key: string): unknown;
  /** Validate and write one value by dotted key (file mode 0600). */
  set(key: string, value: unknown): void;
}

function openConf(dir?: string): Conf<Record<string, unknown>> {
  const cwd = dir ?? process.env.NOCFLOW_CONFIG_DIR ?? undefined;
  try {
    return new Conf<Record<string, unknown>>({
      projectName: 'nocflow',
      projectSuffix: '',
      configName: 'config',
      ...(cwd ? { cwd } : {}),
      schema: configSchema as never,
      configFileMode: 0o600,
      clearInvalidConfig: false,
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`invalid configuration: ${msg}`, msg.split(/;\s*/), { cause: err });
  }
}

function getPath(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Open the configuration (creating nothing until a value is set). */
export function loadConfig(opts: { dir?: string } = {}): ConfigHandle {
  const conf = openConf(opts.dir);
  const effective = () => mergeDeep(configDefaults, conf.store) as NocflowConfig;
  const handle: ConfigHandle = {
    path: conf.path,
    config: effective(),
    get: (key) => getPath(handle.config, key),
    set: (key, value) => {
      try {
        conf.set(key, value);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new ConfigError(`cannot set ${key}: ${msg}`, msg.split(/;\s*/), { cause: err });
      }
      handle.config = effective();
    },
  };
  return handle;
}

/** Parse a command-line value for `config set`: JSON when it parses, a plain string otherwise. */
export function parseConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
