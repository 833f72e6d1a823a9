/**
 * Loading and editing the configuration file through `conf` (XDG config dir, mode 0600, schema-validated).
 * `NOCFLOW_CONFIG_DIR` (or the `dir` option) points at another directory, for tests and multi-instance hosts.
 */
import Conf from 'conf';
import { checkConfig } from './check.js';
import { closest } from './validate.js';
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
  /**
   * Validate and write one value by dotted key (file mode 0600): refused (ConfigError, nothing written) when the
   * schema rejects it or when it adds a semantic problem ({@link checkConfig}).
   */
  set(key: string, value: unknown): void;
  /** The semantic problems of the effective configuration ("path: reason" each; empty when it is fine). */
  problems(): string[];
}

function confOptions(dir?: string) {
  const cwd = dir ?? process.env.NOCFLOW_CONFIG_DIR ?? undefined;
  return { projectName: 'nocflow', projectSuffix: '', configName: 'config', ...(cwd ? { cwd } : {}), configFileMode: 0o600, clearInvalidConfig: false };
}

function openConf(dir?: string): Conf<Record<string, unknown>> {
  try {
    return new Conf<Record<string, unknown>>({ ...confOptions(dir), schema: configSchema as never });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    let file = '';
    let raw: unknown;
    try {
      // The same file without the schema: its path for the message, its data to name unknown keys.
      const plain = new Conf<Record<string, unknown>>(confOptions(dir));
      file = ` ${plain.path}`;
      raw = plain.store;
    } catch {
      // Not even JSON: the message says so.
    }
    const violations = msg.startsWith('Config schema violation:') ? schemaViolations(msg, raw) : [msg];
    throw new ConfigError(`invalid configuration${file}: ${violations.join('; ')}`, violations, { cause: err });
  }
}

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; additionalProperties?: boolean };

/** "a/b/0" (a JSON pointer without the leading slash) → "a.b[0]". */
function pointerToPath(pointer: string): string {
  return pointer.split('/').filter((p) => p !== '').reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

/** Keys of `data` that the schema does not declare, as "path: unknown key" lines (with the nearest declared key). */
function unknownKeys(data: unknown, node: SchemaNode, path: string, out: string[]): void {
  if (Array.isArray(data)) {
    if (node.items) data.forEach((v, i) => unknownKeys(v, node.items!, `${path}[${i}]`, out));
    return;
  }
  if (!isPlainObject(data) || !node.properties) return;
  for (const [k, v] of Object.entries(data)) {
    const at = path ? `${path}.${k}` : k;
    const child = node.properties[k];
    if (child) unknownKeys(v, child, at, out);
    else if (node.additionalProperties === false || path === '') {
      const near = closest(k, Object.keys(node.properties));
      out.push(`${at}: unknown key${near ? ` (did you mean ${path ? `${path}.` : ''}${near}?)` : ''}`);
    }
  }
}

/**
 * conf's "Config schema violation: `engine/topN` must be integer; ..." as "engine.topN: must be integer" lines; the
 * validator's "must NOT have additional properties" (which does not say which) becomes one line per unknown key.
 */
export function schemaViolations(message: string, data?: unknown): string[] {
  const out: string[] = [];
  let additional = false;
  for (const part of message.replace(/^Config schema violation:\s*/, '').split(/;\s*(?=`)/)) {
    const m = /^`([^`]*)`\s*(.*)$/.exec(part.trim());
    if (!m) {
      out.push(part.trim());
      continue;
    }
    if (/additional properties/.test(m[2])) {
      additional = true;
      continue;
    }
    out.push(`${pointerToPath(m[1]) || '(top level)'}: ${m[2]}`);
  }
  if (additional) {
    const keys: string[] = [];
    unknownKeys(data, { properties: configSchema as unknown as Record<string, SchemaNode> }, '', keys);
    out.push(...(keys.length > 0 ? keys : ['(top level): unknown keys']));
  }
  return out;
}

function getPath(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** A deep copy of `obj` with `value` at dotted `key` (objects created on the way; numeric parts index arrays). Pure. */
export function withValue(obj: unknown, key: string, value: unknown): Record<string, unknown> {
  const root = structuredClone(isPlainObject(obj) ? obj : {}) as Record<string, unknown>;
  const parts = key.split('.');
  let cur: Record<string, unknown> | unknown[] = root;
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    const slot = Array.isArray(cur) && /^\d+$/.test(part) ? Number(part) : part;
    const container = cur as Record<string | number, unknown>;
    if (last) container[slot] = value;
    else {
      if (!isPlainObject(container[slot]) && !Array.isArray(container[slot])) container[slot] = {};
      cur = container[slot] as Record<string, unknown>;
    }
  });
  return root;
}

/** Open the configuration (creating nothing until a value is set). */
export function loadConfig(opts: { dir?: string } = {}): ConfigHandle {
  const conf = openConf(opts.dir);
  const effective = () => mergeDeep(configDefaults, conf.store) as NocflowConfig;
  const handle: ConfigHandle = {
    path: conf.path,
    config: effective(),
    get: (key) => getPath(handle.config, key),
    problems: () => checkConfig(handle.config),
    set: (key, value) => {
      // Refuse what this value breaks (problems the file already had are not this value's fault).
      const before = new Set(checkConfig(handle.config));
      const added = checkConfig(mergeDeep(configDefaults, withValue(conf.store, key, value)) as NocflowConfig).filter((p) => !before.has(p));
      if (added.length > 0) throw new ConfigError(`cannot set ${key}: ${added.join('; ')}`, added);
      try {
        conf.set(key, value);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        const violations = msg.startsWith('Config schema violation:') ? schemaViolations(msg, withValue(conf.store, key, value)) : [msg];
        throw new ConfigError(`cannot set ${key}: ${violations.join('; ')}`, violations, { cause: err });
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
