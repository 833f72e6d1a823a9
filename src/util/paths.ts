/** Per-user data and runtime directories (XDG), overridable with NOCFLOW_DATA_DIR / NOCFLOW_RUNTIME_DIR. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Directory for the database, spool and demo files. */
export function dataDir(): string {
  if (process.env.NOCFLOW_DATA_DIR) return process.env.NOCFLOW_DATA_DIR;
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'nocflow');
}

/** Directory for the engine's socket and pid file. */
export function runtimeDir(): string {
  if (process.env.NOCFLOW_RUNTIME_DIR) return process.env.NOCFLOW_RUNTIME_DIR;
  if (process.env.XDG_RUNTIME_DIR) return path.join(process.env.XDG_RUNTIME_DIR, 'nocflow');
  return path.join(os.tmpdir(), `nocflow-${process.getuid?.() ?? 'user'}`);
}

/**
 * The real path of `p` (symlinks resolved) and what lstat says about each of its components, from `/` down: the
 * input of the trust judgements in src/daemon/trust.ts. Throws (ENOENT…) when a component is missing.
 */
export function pathChain(p: string): { real: string; chain: { path: string; uid: number; gid: number; mode: number }[] } {
  const real = fs.realpathSync(p);
  const parts = real.split(path.sep).filter(Boolean);
  const chain: { path: string; uid: number; gid: number; mode: number }[] = [];
  let cur: string = path.sep;
  for (let i = 0; i <= parts.length; i++) {
    if (i > 0) cur = path.join(cur, parts[i - 1]);
    const st = fs.lstatSync(cur);
    chain.push({ path: cur, uid: st.uid, gid: st.gid, mode: st.mode });
  }
  return { real, chain };
}

/** The shared engine's runtime directory (systemd's RuntimeDirectory=nocflow); `NOCFLOW_SYSTEM_RUNTIME_DIR` elsewhere. */
export function systemRuntimeDir(): string {
  return process.env.NOCFLOW_SYSTEM_RUNTIME_DIR || '/run/nocflow';
}
