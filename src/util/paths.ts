/** Per-user data and runtime directories (XDG), overridable with NOCFLOW_DATA_DIR / NOCFLOW_RUNTIME_DIR. */
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

/** The shared engine's runtime directory (systemd's RuntimeDirectory=nocflow); `NOCFLOW_SYSTEM_RUNTIME_DIR` elsewhere. */
export function systemRuntimeDir(): string {
  return process.env.NOCFLOW_SYSTEM_RUNTIME_DIR || '/run/nocflow';
}
