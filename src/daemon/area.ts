/**
 * The contract between the engine and its areas (FlowSpec, devices, Elasticsearch, alerts, hunt, IoC, geo): what an
 * area gets when it starts and what it adds. A unit of its own so that areas depend on it, never on the engine
 * process that starts them.
 */
import type { WindowSink, WindowTap } from '../engine/sink.js';
import type { EngineEvent } from '../ingest/runner.js';
import type { Db } from '../store/db.js';
import type { EngineStore, WindowCommitHook } from '../store/engine-store.js';
import type { NocflowConfig } from '../config/schema.js';
import type { Logger } from '../util/log.js';
import type { HandlerTable } from './protocol.js';

/** What an area gets when it starts: the engine's store, its event bus and its runner's events. */
export interface AreaContext {
  store: EngineStore;
  db: Db;
  /** Push an event to every connected client. */
  publish(event: string, data: unknown): void;
  /** Listen to the runner's events (windows, file errors, lag); returns the unsubscribe. */
  onEngineEvent(listener: (e: EngineEvent) => void): () => void;
  /** One log line at level info under the area's name (stderr, the journal). */
  log(line: string): void;
  /** The area's logger (component = the area's name), for warnings and errors. */
  logger: Logger;
  now(): number;
}

/**
 * One area of the engine (FlowSpec, devices, Elasticsearch, alerts, ...): what it adds to the socket and the
 * runner, and its lifecycle. Areas start in order after the pid file is taken and the store is open, before the
 * socket listens; they stop in reverse after the runner and the socket.
 */
export interface EngineArea {
  name: string;
  /** Socket methods, merged after the core ones. Read after start(), so an area may build them there. */
  handlers?: () => HandlerTable;
  /** Where windows go besides SQLite. */
  sinks?: WindowSink[];
  /** Other readers of each window's batches as the runner reads the file (the block effect meter). */
  taps?: WindowTap[];
  /** Run inside each window's commit transaction (EngineStore.commitWindow); a throw rolls the window back. */
  commitHooks?: WindowCommitHook[];
  start?(ctx: AreaContext): Promise<void> | void;
  stop?(): Promise<void> | void;
  /** Counters for engine.status (`areas.<name>`). */
  status?(): unknown;
  /** The config section this area runs from (default: its name); a reload hands the area that section's changes. */
  section?: string;
  /**
   * Take a new configuration whose section changed (`keys`: the changed keys of the section). Without it, a changed
   * section waits for a restart.
   */
  reload?(next: NocflowConfig, keys: string[]): Promise<AreaReload> | AreaReload;
}

/** A key whose new value waits for a restart, and why. */
export interface PendingRestart {
  key: string;
  why: string;
}

/** What an area did with a reload: keys applied, keys waiting for a restart. */
export interface AreaReload {
  applied: string[];
  restart: PendingRestart[];
}

/** What one reload did. */
export interface ReloadResult {
  /** Epoch ms. */
  at: number;
  ok: boolean;
  /** Dotted keys (or whole areas) now running with the new value. */
  applied: string[];
  /** Keys whose new value is not running yet. */
  restart: PendingRestart[];
  /** Why the new file was refused (ok false): it was not applied at all. */
  error?: string;
}
