/**
 * Which configuration a `nocflow` process uses, on a machine where one engine serves many operators:
 * 1. `NOCFLOW_CONFIG_DIR` (or an explicit directory) — the service's unit sets it to /etc/nocflow;
 * 2. the operator's own file (`$XDG_CONFIG_HOME/nocflow/config.json`, i.e. ~/.config/nocflow) when it exists;
 * 3. the system-wide `/etc/nocflow/config.json` (`NOCFLOW_SYSTEM_CONFIG_DIR` elsewhere) when it exists;
 * 4. otherwise the operator's own (created by the first `config set`).
 * Next to any config.json, a `secrets.json` (mode 0600, the engine's user) may hold passwords, passphrases and API
 * keys; whoever can read it gets them merged over the configuration (src/config/secrets.ts), the others do without.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the configuration comes from. */
export type ConfigSource = 'explicit' | 'user' | 'system';

/** The chosen configuration directory and why. */
export interface ConfigLocation {
  dir: string;
  source: ConfigSource;
  file: string;
  secretsFile: string;
}

/** The system-wide configuration directory (/etc/nocflow). */
export function systemConfigDir(): string {
  return process.env.NOCFLOW_SYSTEM_CONFIG_DIR || '/etc/nocflow';
}

/** The operator's own configuration directory (where conf puts it: $XDG_CONFIG_HOME/nocflow or ~/.config/nocflow). */
export function userConfigDir(): string {
  return path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'nocflow');
}

/** True when the path exists (also when it exists but cannot be read: EACCES still means "there"). */
function present(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EACCES';
  }
}

/** Choose the configuration directory (see the module comment). */
export function configLocation(explicit?: string): ConfigLocation {
  const at = (dir: string, source: ConfigSource): ConfigLocation => ({ dir, source, file: path.join(dir, 'config.json'), secretsFile: path.join(dir, 'secrets.json') });
  const given = explicit ?? process.env.NOCFLOW_CONFIG_DIR;
  if (given) return at(given, 'explicit');
  const user = userConfigDir();
  if (present(path.join(user, 'config.json'))) return at(user, 'user');
  const system = systemConfigDir();
  if (present(path.join(system, 'config.json'))) return at(system, 'system');
  return at(user, 'user');
}

/** Owner, group and mode of a file in words ("root:noc 0640"), for messages; undefined when it cannot be stat'ed. */
export function describeFile(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${userName(st.uid)}:${groupName(st.gid)} ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;
  } catch {
    return undefined;
  }
}

function lookup(file: string, id: number): string {
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] === String(id)) return f[0];
    }
  } catch {
    /* no passwd/group file: the number */
  }
  return String(id);
}

/** A uid's name (/etc/passwd), else the number. */
export function userName(uid: number): string {
  return lookup('/etc/passwd', uid);
}

/** A gid's name (/etc/group), else the number. */
export function groupName(gid: number): string {
  return lookup('/etc/group', gid);
}

/**
 * Why this process cannot write `file` (in words an operator can act on), or undefined when it can: a replacement is
 * written next to it and renamed over it, so the directory must be writable too.
 */
export function writeProblem(file: string): string | undefined {
  const dir = path.dirname(file);
  const tryAccess = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.W_OK);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : false;
    }
  };
  const f = tryAccess(file);
  if (f === false) return `${file} (${describeFile(file) ?? 'unreadable'}) is not writable by you`;
  // The directory: missing ones are created (by whoever may), existing ones must take the new file.
  let d: string | undefined = dir;
  while (d && !present(d)) d = path.dirname(d) === d ? undefined : path.dirname(d);
  if (d && tryAccess(d) === false) return `${d} (${describeFile(d) ?? '?'}) is not writable by you`;
  return undefined;
}
