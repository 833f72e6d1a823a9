import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/**
 * The operator's path in a real terminal: `nocflow demo` in tmux at 80x24, driven with send-keys and read with
 * capture-pane. The demo's planted SYN scanner (140.110.26.68, signature 2375-1-40) must appear, its breakdown must
 * open with Enter, `?` must show the keys, and `i` must investigate it and list its peers.
 */
const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const SESSION = `nocflow-e2e-${process.pid}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-e2e-'));

const tmux = (...args: string[]) => execa('tmux', args, { reject: false });
const screen = async () => String((await tmux('capture-pane', '-p', '-t', SESSION)).stdout);
const key = async (k: string) => {
  await tmux('send-keys', '-t', SESSION, k);
  await new Promise((r) => setTimeout(r, 300));
};
async function waitFor(re: RegExp, ms: number): Promise<string> {
  const until = Date.now() + ms;
  let s = '';
  while (Date.now() < until) {
    s = await screen();
    if (re.test(s)) return s;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`screen never matched ${re}:\n${s}`);
}

afterAll(async () => {
  await key('q');
  await new Promise((r) => setTimeout(r, 1500));
  await tmux('kill-session', '-t', SESSION);
});

describe('nocflow demo in tmux (80x24)', () => {
  it('shows the planted attacker, its breakdown, the help and an investigation', async () => {
    const cmd = `cd ${JSON.stringify(path.dirname(BIN))}/.. && TERM=xterm-256color node ${JSON.stringify(BIN)} demo --dir ${JSON.stringify(work)}`;
    const r = await tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', cmd);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const top = await waitFor(/140\.110\.26\.68/, 170_000);
    expect(top).toMatch(/2375-1-40/);
    expect(top.split('\n').every((l) => l.length <= 80)).toBe(true);
    // Filter the list down to the scanner, then open its breakdown.
    await key('/');
    for (const ch of '140.110.26.68') await tmux('send-keys', '-t', SESSION, '-l', ch);
    await key('Enter');
    await key('Enter');
    const s0 = await waitFor(/Destination ports/, 10_000);
    let s = s0;
    expect(s).toContain('140.110.26.68');
    expect(s).toMatch(/Destination ports/);
    expect(s).toMatch(/2375/);
    expect(s).toMatch(/100\.0%/);
    await key('Escape');
    await key('?');
    s = await screen();
    expect(s).toMatch(/Keys|按鍵/);
    expect(s).toMatch(/investigate/);
    await key('Escape');
    // Investigate it through the command line.
    await key(':');
    for (const ch of 'investigate 140.110.26.68') await tmux('send-keys', '-t', SESSION, '-l', ch);
    await key('Enter');
    s = await waitFor(/Top peers/, 60_000);
    expect(s).toMatch(/Investigate\s+140\.110\.26\.68/);
    expect(s).toMatch(/\d+(\.\d+)?k? flows/);
  }, 300_000);
});
