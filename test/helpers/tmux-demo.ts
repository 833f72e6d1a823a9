/**
 * The e2e suites' terminal (test/e2e/*-tmux.test.ts): `nocflow demo` in a private tmux server, driven with send-keys
 * and read with capture-pane, the way an operator's terminal would see it. Keys go one per send-keys call, with time
 * for ink to draw (FIELD-NOTES: ink). Also which tools a suite needs are missing: on a developer's machine the suite
 * is skipped, in CI (`CI` set) the missing tools are a failure, so an e2e suite never passes by not running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/nocflow.js');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const onPath = (cmd: string) => (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/local/bin', '/bin', '/usr/sbin']).some((d) => d !== '' && fs.existsSync(path.join(d, cmd)));

/** The commands (and the built CLI) a suite needs: what is missing, and whether this is CI. */
export function e2eNeeds(commands: string[]): { missing: string[]; ready: boolean; inCi: boolean } {
  const missing = [...commands.filter((c) => !onPath(c)), ...(fs.existsSync(path.join(ROOT, 'dist/src/cli/main.js')) ? [] : ['dist/ (npm run build)'])];
  const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
  return { missing, ready: missing.length === 0, inCi };
}

export interface TmuxDemo {
  /** The suite's scratch directory (config, data, the demo's files). */
  work: string;
  tmux(...args: string[]): ReturnType<typeof execa>;
  /** Start `nocflow demo` in a `cols`x`rows` session named tui, with `env` (NAME=value) added. */
  start(env: string[], cols?: number, rows?: number): Promise<{ exitCode?: number; stderr?: unknown }>;
  /** The pane as text; `coloured` with its escape sequences. */
  screen(): Promise<string>;
  coloured(): Promise<string>;
  keys(...ks: string[]): Promise<void>;
  /** Esc, then — once the screen has had time to go back — the next key (ESC and a key arriving together read as Alt+key). */
  backThen(k: string): Promise<void>;
  /** `:text` Enter. */
  command(text: string): Promise<void>;
  /** The screen once `pred` holds; after `ms`, an error with the screen and the demo's logs. */
  waitFor(pred: (s: string) => boolean, ms: number): Promise<string>;
  /** Quit the TUI, end the tmux server, remove the scratch directory. */
  close(): Promise<void>;
}

/**
 * A private tmux server named after `name` and the pid. Its environment drops CI (ink draws nothing but the last frame
 * when it sees CI set, and CI runs these suites with CI=true: an operator's terminal has no CI variable) and `drop`.
 */
export function tmuxDemo(name: string, drop: string[] = []): TmuxDemo {
  const server = `${name}-${process.pid}`;
  const gone = new Set(['CI', 'CONTINUOUS_INTEGRATION', ...drop]);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !gone.has(k)));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const tmux = (...args: string[]) => execa('tmux', ['-L', server, ...args], { reject: false, env, extendEnv: false });
  const screen = async () => String((await tmux('capture-pane', '-p', '-t', 'tui')).stdout);
  const keys = async (...ks: string[]) => {
    for (const k of ks) {
      await tmux('send-keys', '-t', 'tui', ...(k.length === 1 ? ['-l', k] : [k]));
      await sleep(150);
    }
    await sleep(400);
  };
  return {
    work,
    tmux,
    async start(extra, cols = 80, rows = 24) {
      const base = [`NOCFLOW_CONFIG_DIR=${path.join(work, 'config')}`, `NOCFLOW_DATA_DIR=${path.join(work, 'data')}`];
      return tmux('new-session', '-d', '-s', 'tui', '-x', String(cols), '-y', String(rows), ...[...base, ...extra].flatMap((e) => ['-e', e]), process.execPath, BIN, 'demo', '--dir', path.join(work, 'demo'));
    },
    screen,
    coloured: async () => String((await tmux('capture-pane', '-p', '-e', '-t', 'tui')).stdout),
    keys,
    async backThen(k) {
      await keys('Escape');
      await sleep(1000);
      await keys(k);
    },
    command: (text) => keys(':', ...text.split(''), 'Enter'),
    async waitFor(pred, ms) {
      const until = Date.now() + ms;
      let s = '';
      while (Date.now() < until) {
        s = await screen();
        if (pred(s)) return s;
        await sleep(1000);
      }
      // The demo's own account of itself, when it ended early (its stderr and the engine's logs).
      const logs = ['demo/demo.log', 'demo/engine.err.log', 'demo/engine.log'].map((f) => path.join(work, f)).filter((f) => fs.existsSync(f)).map((f) => `--- ${path.basename(f)}\n${fs.readFileSync(f, 'utf8').slice(-2000)}`);
      throw new Error(`timed out; the screen was:\n${s}\n${logs.join('\n')}`);
    },
    async close() {
      await keys('q');
      await sleep(1500);
      await tmux('kill-server');
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
