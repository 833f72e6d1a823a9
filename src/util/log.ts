/**
 * The engine's log: one line per event on stderr, each with its level and component. Under systemd (stderr is the
 * journal stream named by `JOURNAL_STREAM`) a line starts with the syslog priority `<N>` that journald turns into the
 * entry's priority, and carries no timestamp (the journal has its own); elsewhere it starts with an ISO timestamp.
 * `formatLogLine` is pure; `createLogger` is the shell (stream, clock, environment).
 */
import fs from 'node:fs';
import { stripControl } from './sanitize.js';

/** Log levels, by their syslog priority (journald reads `<3>` … `<7>`). */
export const LOG_LEVELS = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;

/** How lines are framed: `journal` (`<6>component: message`) or `plain` (`2026-…Z info component: message`). */
export type LogStyle = 'journal' | 'plain';

/**
 * One log line, without its newline. The message is flattened to one line (newlines become ` | `) and stripped of
 * terminal control characters, since parts of it (file names, device output, reasons) come from outside. Pure.
 */
export function formatLogLine(e: { level: LogLevel; component: string; message: string; time: number; style: LogStyle }): string {
  const text = stripControl(e.message.replace(/\s*\r?\n\s*/g, ' | ')).trim();
  const component = e.component.replace(/[^\w.-]/g, '') || 'nocflow';
  if (e.style === 'journal') return `<${LOG_LEVELS[e.level]}>${component}: ${text}`;
  return `${new Date(e.time).toISOString()} ${e.level} ${component}: ${text}`;
}

/**
 * True when file descriptor `fd` is the journal stream systemd announced in `JOURNAL_STREAM` ("device:inode"): the
 * variable alone is inherited by children whose stderr goes elsewhere (a shell started from a service), so the
 * descriptor itself is compared, as systemd.exec(5) advises.
 */
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]) && st.ino === BigInt(m[2]);
  } catch {
    return false;
  }
}

/** A component's logger. */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  notice(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** The same log under another component name (`engine` → `flowspec`). */
  child(component: string): Logger;
  readonly component: string;
}

/** Where lines go and how they look; every field has a default (stderr, the clock, the journal check). */
export interface LoggerOptions {
  write?: (line: string) => void;
  now?: () => number;
  style?: LogStyle;
  /** Lines below this level are dropped; default `info`, or `debug` when NOCFLOW_DEBUG is set. */
  minLevel?: LogLevel;
}

/** A logger for `component`. */
export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = opts.now ?? Date.now;
  const style = opts.style ?? (isJournalStream(2) ? 'journal' : 'plain');
  const min = LOG_LEVELS[opts.minLevel ?? (process.env.NOCFLOW_DEBUG ? 'debug' : 'info')];
  const at = (level: LogLevel) => (message: string) => {
    if (LOG_LEVELS[level] > min) return;
    write(formatLogLine({ level, component, message, time: now(), style }));
  };
  return {
    component,
    error: at('error'),
    warn: at('warn'),
    notice: at('notice'),
    info: at('info'),
    debug: at('debug'),
    child: (name) => createLogger(name, { write, now, style, minLevel: opts.minLevel }),
  };
}
