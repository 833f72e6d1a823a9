/**
 * The contract between the engine and its areas (FlowSpec, devices, Elasticsearch, alerts, hunt, IoC, geo): what an
 * area gets when it starts and what it adds. A unit of its own so that areas depend on it, never on the engine
 * process that starts them.
 */
import type { WindowSink, WindowTap } from '../engine/sink.js';
import type { EngineEvent } from '../ingest/runner.js';
import type { Db } from '../store/db.js';
import type { EngineStore, WindowCommitHook } from '../store/engine-store.js';
import type { HandlerTable } from './protocol.js';

/** What an area gets when it starts: the engine's store, its event bus and its runner's events. */
export interface AreaContext {
  store: EngineStore;
  db: Db;
  /** Push an event to every connected client. */
  publish(event: string, data: unknown): void;
  /** Listen to the runner's events (windows, file errors, lag); returns the unsubscribe. */
  onEngineEvent(listener: (e: EngineEvent) => void): () => void;
  /** One log line (stderr, the journal). */
  log(line: string): void;
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
}
