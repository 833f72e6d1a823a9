/**
 * Loading and editing the configuration file through `conf` (XDG config dir, mode 0600, schema-validated).
 * `NOCFLOW_CONFIG_DIR` (or the `dir` option) points at another directory, for tests and multi-instance hosts; with
 * neither, an operator without a file of their own reads the system-wide /etc/nocflow (src/config/location.ts), and
 * a readable `secrets.json` next to the file is merged over it (src/config/secrets.ts).
 */
import fs from 'node:fs';
import Conf from 'conf';
import { checkConfig } from './check.js';
import { closest } from './validate.js';
import { configLocation, describeFile, writeProblem, type ConfigSource } from './location.js';
import { applySecrets } from './secrets.js';
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
  /** Why this file: NOCFLOW_CONFIG_DIR (explicit), the operator's own, or the system-wide one. */
  source: ConfigSource;
  /** secrets.json next to it: merged, absent, or there but not readable by this user (the engine's only). */
  secrets: 'merged' | 'none' | 'unreadable';
  secretsFile: string;
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

function confOptions(cwd: string) {
  return { projectName: 'nocflow', projectSuffix: '', configName: 'config', ...(cwd ? { cwd } : {}), configFileMode: 0o600, clearInvalidConfig: false };
}

function openConf(cwd: string): Conf<Record<string, unknown>> {
  try {
    fs.accessSync(`${cwd}/config.json`, fs.constants.R_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') {
      const file = `${cwd}/config.json`;
      throw new ConfigError(`cannot read ${file} (${describeFile(file) ?? 'permission denied'}): the shared configuration is for the operators' group (nocflow doctor says whether you are in it), or set NOCFLOW_CONFIG_DIR to a configuration of your own`, [`${file}: permission denied`], { cause: err });
    }
  }
  try {
    return new Conf<Record<string, unknown>>({ ...confOptions(cwd), schema: configSchema as never });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    let file = '';
    let raw: unknown;
    try {
      // The same file without the schema: its path for the message, its data to name unknown keys.
      const plain = new Conf<Record<string, unknown>>(confOptions(cwd));
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

/** secrets.json as JSON, or why not (absent, unreadable); a file that is not JSON is a ConfigError. */
function readSecrets(file: string): { data?: unknown; state: ConfigHandle['secrets'] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'none' };
    if (code === 'EACCES') return { state: 'unreadable' };
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`, [`${file}: ${(err as Error).message}`], { cause: err });
  }
  try {
    return { data: JSON.parse(text), state: 'merged' };
  } catch (err) {
    throw new ConfigError(`invalid secrets file ${file}: ${(err as Error).message}`, [`secrets.json: ${(err as Error).message}`], { cause: err });
  }
}

/** Open the configuration (creating nothing until a value is set). */
export function loadConfig(opts: { dir?: string } = {}): ConfigHandle {
  const where = configLocation(opts.dir);
  const conf = openConf(where.dir);
  const secrets = readSecrets(where.secretsFile);
  const effective = () => {
    const merged = applySecrets(mergeDeep(configDefaults, conf.store) as NocflowConfig, secrets.data);
    if (merged.problems.length > 0) throw new ConfigError(`invalid secrets file ${where.secretsFile}: ${merged.problems.join('; ')}`, merged.problems);
    return merged.config;
  };
  const handle: ConfigHandle = {
    path: conf.path,
    source: where.source,
    secrets: secrets.state,
    secretsFile: where.secretsFile,
    config: effective(),
    get: (key) => getPath(handle.config, key),
    problems: () => checkConfig(handle.config),
    set: (key, value) => {
      // Refuse what this value breaks (problems the file already had are not this value's fault).
      const had = new Set(checkConfig(handle.config));
      const added = checkConfig(applySecrets(mergeDeep(configDefaults, withValue(conf.store, key, value)) as NocflowConfig, secrets.data).config).filter((p) => !had.has(p));
      if (added.length > 0) throw new ConfigError(`cannot set ${key}: ${added.join('; ')}`, added);
      // A shared file (/etc/nocflow, 0640 root:noc) is the admins': say so instead of a bare EACCES.
      const why = writeProblem(conf.path);
      if (why) {
        const reason = `${why}${where.source === 'system' ? ' (the shared configuration: an admin changes it, e.g. sudo nocflow config set …, then sudo systemctl reload nocflow-engine; or keep a configuration of your own with NOCFLOW_CONFIG_DIR)' : ''}`;
        throw new ConfigError(`cannot set ${key}: ${reason}`, [reason]);
      }
      // conf writes a new file (mode 0600, the writer's owner) and renames it over the old one: a shared file keeps
      // its owner, group and mode (root:noc 0640), or the engine's user could no longer read it.
      let before: fs.Stats | undefined;
      try {
        before = fs.statSync(conf.path);
      } catch {
        before = undefined;
      }
      try {
        conf.set(key, value);
        if (before) {
          fs.chmodSync(conf.path, before.mode & 0o7777);
          if (process.getuid?.() === 0) fs.chownSync(conf.path, before.uid, before.gid);
        }
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
