/**
 * The pictures end to end in a real terminal, in colour: `nocflow demo` in a private tmux server at 80x24, then
 * resized to 160x48. The victim's detail draws its last hour as a braille line chart (blessed-contrib, off screen);
 * the block proposal goes only to the border router its flood enters by; the Blocks view shows the rule's target
 * uncut, what it matched and its effect chart; `:map` places the window's attackers on a world map with the
 * countries beside it. Keys go in separate send-keys calls (FIELD-NOTES: ink). Needs tmux, nfcapd, nfdump, gobgpd and
 * the built CLI; skipped otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');
const has = (cmd: string) => ['/usr/bin', '/usr/local/bin', '/bin', '/usr/sbin'].some((d) => fs.existsSync(path.join(d, cmd)));
const ready = has('tmux') && has('nfcapd') && has('nfdump') && has('gobgpd') && fs.existsSync(path.join(ROOT, 'dist/src/cli/main.js'));

const server = `nocflow-pic-${process.pid}`;
/** An operator's terminal: no CI variable (ink draws only the last frame under CI), pictures at their default. */
const TERM_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['CI', 'CONTINUOUS_INTEGRATION', 'NOCFLOW_PICTURES', 'NO_COLOR'].includes(k)));
const tmux = (...args: string[]) => execa('tmux', ['-L', server, ...args], { reject: false, env: TERM_ENV, extendEnv: false });
const screen = async () => String((await tmux('capture-pane', '-p', '-t', 'tui')).stdout);
const coloured = async () => String((await tmux('capture-pane', '-p', '-e', '-t', 'tui')).stdout);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BRAILLE = /[\u2801-\u28ff]{3}/;
async function keys(...ks: string[]): Promise<void> {
  for (const k of ks) {
    await tmux('send-keys', '-t', 'tui', ...(k.length === 1 ? ['-l', k] : [k]));
    await sleep(150);
  }
  await sleep(400);
}
/** Esc, then — once the screen has had time to go back — the next key (ESC and a key arriving together read as Alt+key). */
async function backThen(k: string): Promise<void> {
  await keys('Escape');
  await sleep(1000);
  await keys(k);
}
async function command(text: string): Promise<void> {
  await keys(':', ...text.split(''), 'Enter');
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-pic-e2e-'));
async function waitFor(pred: (s: string) => boolean, ms: number): Promise<string> {
  const until = Date.now() + ms;
  let s = '';
  while (Date.now() < until) {
    s = await screen();
    if (pred(s)) return s;
    await sleep(1000);
  }
  const logs = ['demo/demo.log', 'demo/engine.err.log'].map((f) => path.join(work, f)).filter((f) => fs.existsSync(f)).map((f) => `--- ${path.basename(f)}\n${fs.readFileSync(f, 'utf8').slice(-2000)}`);
  throw new Error(`timed out; the screen was:\n${s}\n${logs.join('\n')}`);
}

afterAll(async () => {
  await keys('q');
  await sleep(1500);
  await tmux('kill-server');
  fs.rmSync(work, { recursive: true, force: true });
});

describe.runIf(ready)('pictures in tmux over `nocflow demo` (colour, 80x24 then 160x48)', () => {
  const victim = '192.0.2.10';
  it(
    'detail chart, entry-point block, Blocks with its effect, and the world map',
    async () => {
      const env = [`NOCFLOW_CONFIG_DIR=${path.join(work, 'config')}`, `NOCFLOW_DATA_DIR=${path.join(work, 'data')}`, 'LANG=C.UTF-8', 'TERM=xterm-256color'];
      const r = await tmux('new-session', '-d', '-s', 'tui', '-x', '80', '-y', '24', ...env.flatMap((e) => ['-e', e]), process.execPath, BIN, 'demo', '--dir', path.join(work, 'demo'));
      expect(r.exitCode, String(r.stderr)).toBe(0);
      let s = await waitFor((x) => x.includes(victim), 200_000);

      // The victim's detail: its last hour per minute as a braille line chart, in colour, this window's totals under it.
      await keys('/', ...victim.split(''), 'Enter');
      await keys('Enter');
      s = await waitFor((x) => x.includes('Flows per minute') && BRAILLE.test(x), 120_000);
      expect(s).toContain(`Victim ${victim}`);
      expect(s).toMatch(/this window \d\d:\d\d–\d\d:\d\d: \d+(\.\d)?k flows/);
      expect(s).toMatch(/\[c: Packets per minute\]/);
      expect(await coloured()).toMatch(/\u001b\[3[0-9]m[\u2801-\u28ff]/);
      await keys('c');
      s = await waitFor((x) => x.includes('Packets per minute  [c: Bytes per minute]'), 5000);

      // Block it: the proposal goes only to the router carrying ≥ 20 % of the flood (border-a, exporter 127.0.0.2).
      await keys('b');
      s = await waitFor((x) => x.includes('only to border-a 127.0.0.2'), 30_000);
      expect(s).toMatch(/not to[\s│]+border-b 127\.0\.0\.3/);
      expect(s).toContain(`rule: ipv4 dst ${victim}/32 tcp dport 80`);
      await keys('y');
      await sleep(3000);

      // Blocks at 80 columns: rule (target uncut), action, expiry, matched; the rest below; the effect once a window is read.
      await backThen('B');
      s = await waitFor((x) => /MATCH\s+ACTION\s+EXPIRES\s+MATCHED/.test(x) && x.includes(`dst ${victim}/32 tcp dport 80`), 30_000);
      expect(s).not.toMatch(/\bWHO\b/);
      expect(s).toContain('only at 127.0.0.2 (80.');
      s = await waitFor((x) => /last window \d\d:\d\d: \d/.test(x) && x.includes('Matched packets per window'), 150_000);
      expect(s).toMatch(new RegExp(`dst ${victim.replace(/\./g, '\\.')}/32 tcp dport 80\\s+rate 1\\.0MB/s\\s+\\d+m\\s+\\S+`));
      expect(s).toMatch(/before: \d+(\.\d)?k flows/);
      expect(s).toMatch(BRAILLE);

      // :map — the window's attackers on the world map, the countries beside it, the data named.
      await keys('Escape');
      await sleep(1000);
      await command('map');
      s = await waitFor((x) => x.includes('attackers in the window') && BRAILLE.test(x), 30_000);
      // A country row: code, name, attackers, flows, share (the demo's attackers change with its minute's mix).
      expect(s).toMatch(/[A-Z]{2} [A-Z][A-Za-z ]*…?\s+\d+\s+\d+(\.\d)?k?\s+\d+\.\d%/);
      expect(s).toMatch(/[@O]/);
      expect(s).toContain('GeoIP: GeoLite2 City');

      // 160x48: the map grows, the Blocks table shows who / why / age, the detail draws all three charts.
      await tmux('resize-window', '-t', 'tui', '-x', '160', '-y', '48');
      await sleep(1500);
      s = await waitFor((x) => x.split('\n').some((l) => l.length > 100 && BRAILLE.test(l)), 30_000);
      expect(s.split('\n').filter((l) => BRAILLE.test(l)).length).toBeGreaterThan(20);
      await backThen('B');
      s = await waitFor((x) => /MATCH\s+ACTION\s+WHO\s+WHY\s+AGE\s+EXPIRES\s+MATCHED/.test(x), 30_000);
      await backThen('Enter');
      s = await waitFor((x) => x.includes('Flows per minute') && x.includes('Packets per minute') && x.includes('Bytes per minute'), 120_000);
      expect(s.split('\n').find((l) => l.includes('Flows per minute'))).toContain('Bytes per minute');
    },
    600_000,
  );
});
