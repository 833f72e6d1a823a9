/**
 * `nocflow demo` end to end with the real pieces (nfcapd, generator, engine, TUI): detections arrive on their own,
 * and stopping the demo (SIGINT without the TUI, `q` in the TUI under tmux) leaves no process behind.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { connectEngine } from '../../src/daemon/client.js';
import type { ViewWindow } from '../../src/daemon/methods.js';
import { isAlive } from '../../src/daemon/server.js';
import { generateScenario } from '../../src/gen/index.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every live descendant pid of `pid` (from ps), zombies excluded. */
async function descendants(pid: number): Promise<number[]> {
  const ps = await execa('ps', ['-eo', 'pid=,ppid=,stat=']);
  const rows = ps.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).map(([p, pp, st]) => ({ pid: Number(p), ppid: Number(pp), zombie: st.startsWith('Z') }));
  const out: number[] = [];
  const walk = (p: number) => {
    for (const r of rows) if (r.ppid === p && !r.zombie) {
      out.push(r.pid);
      walk(r.pid);
    }
  };
  walk(pid);
  return out;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

describe('nocflow demo', () => {
  it('shows real detections within a minute or two, and SIGINT stops nfcapd, generators and engine', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-demo-test-'));
    const sock = path.join(dir, 'engine.sock');
    const demo = execa('node', [BIN, 'demo', '--no-tui', '--dir', dir], { reject: false, stdin: 'ignore' });
    let said = '';
    demo.stderr?.on('data', (d: Buffer) => (said += d.toString()));
    try {
      await waitFor(() => isAlive(sock), 30_000, 'demo engine socket');
      const kids = await descendants(demo.pid!);
      const args = await Promise.all(kids.map((k) => fs.promises.readFile(`/proc/${k}/cmdline`, 'utf8').catch(() => '')));
      expect(args.some((a) => a.startsWith('nfcapd'))).toBe(true);
      expect(args.some((a) => a.includes('engine'))).toBe(true);
      expect(args.some((a) => a.includes('demo'))).toBe(true);
      // The planted attackers (fixed addresses in every scenario, the demo's mixes included) must show up: the first
      // burst lands in the first 1-minute file; should it straddle a rotation, the next minute's mix follows.
      const planted = new Set(generateScenario('mixed', { seed: 1 }).truth.planted.map((p) => p.ip));
      const c = await connectEngine({ socketPath: sock, reconnect: false });
      let found: string[] = [];
      try {
        await waitFor(async () => {
          const latest = await c.call<ViewWindow | null>('windows.latest');
          found = (latest?.anomalies ?? []).filter((a) => planted.has(a.ip)).map((a) => a.ip);
          return found.length >= 2;
        }, 170_000, 'first detections of planted attackers');
      } finally {
        c.close();
      }
      expect(found.length).toBeGreaterThanOrEqual(2);

      // The demo's border router takes a block over BGP and drops it on unblock (gobgpd is installed by setup).
      const env = { NOCFLOW_SOCKET: sock, NOCFLOW_CONFIG_DIR: path.join(dir, 'config'), NOCFLOW_DATA_DIR: path.join(dir, 'data'), NOCFLOW_RUNTIME_DIR: dir };
      const routerApi = /gobgp -p (\d+) global rib/.exec(said)?.[1];
      expect(routerApi, said).toBeDefined();
      const rib = async () => (await execa('gobgp', ['-p', routerApi!, 'global', 'rib', '-a', 'ipv4-flowspec'], { reject: false })).stdout;
      const b = await execa('node', [BIN, 'block', '45.1.1.1', '--proto', 'tcp', '--dport', '23', '--ttl', '10m', '--reason', 'demo test'], { env, reject: false });
      expect(b.exitCode, b.stderr).toBe(0);
      await waitFor(async () => (await rib()).includes('[source: 45.1.1.1/32][protocol: ==tcp][destination-port: ==23]'), 10_000, 'the rule at the demo router');
      const u = await execa('node', [BIN, 'unblock', '45.1.1.1', '--reason', 'demo test done'], { env, reject: false });
      expect(u.exitCode, u.stderr).toBe(0);
      await waitFor(async () => !(await rib()).includes('45.1.1.1'), 10_000, 'the rule withdrawn at the demo router');
      // The demo gateway was collected over SSH at start: its 53 unused addresses are known to the engine.
      const d = await execa('node', [BIN, 'devices', 'anomalies', '--json'], { env, reject: false });
      expect((JSON.parse(d.stdout) as { unusedAddresses: string[] }).unusedAddresses).toHaveLength(53);

      demo.kill('SIGINT');
      const r = await demo;
      expect(r.exitCode).not.toBeNull();
      for (const [i, k] of kids.entries()) expect(alive(k), `child ${k} (${args[i]}) still running`).toBe(false);
      expect(fs.existsSync(sock)).toBe(false);
      // nfcapd flushed its last file on the way out: no open file left behind.
      expect(fs.readdirSync(path.join(dir, 'nfcapd')).filter((f) => f.startsWith('nfcapd.current'))).toEqual([]);
    } finally {
      if (demo.exitCode === null) demo.kill('SIGKILL');
    }
  }, 220_000);

  it('q in the TUI (under tmux) stops everything the demo started', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-demo-tui-'));
    const sock = path.join(dir, 'engine.sock');
    const session = `nocflow-demo-${process.pid}`;
    // A private tmux server whose environment has no CI variable: ink draws only a last frame when it sees CI set.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI' && k !== 'CONTINUOUS_INTEGRATION'));
    const tmux = (args: string[], opts: { reject?: boolean } = {}) => execa('tmux', ['-L', session, ...args], { env, extendEnv: false, ...opts });
    const shellLine = `node ${BIN} demo --dir ${dir} 2>${path.join(dir, 'demo.err')}; echo exited-$? > ${path.join(dir, 'done')}; sleep 30`;
    await tmux(['new-session', '-d', '-s', session, '-x', '100', '-y', '30', shellLine]);
    try {
      await waitFor(() => isAlive(sock), 30_000, 'demo engine socket');
      const { stdout } = await tmux(['list-panes', '-t', session, '-F', '#{pane_pid}']);
      const demoPid = (await descendants(Number(stdout.trim()))).find((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('demo'))!;
      // nfcapd, the engine and the endless generator (it starts after the first burst has been sent).
      let kids: number[] = [];
      await waitFor(async () => (kids = await descendants(demoPid)).length >= 3, 30_000, 'demo children');
      expect(kids.length).toBeGreaterThanOrEqual(3);
      // Wait until the TUI has drawn (it owns the screen), then quit with q.
      await waitFor(async () => (await tmux(['capture-pane', '-p', '-t', session])).stdout.trim().length > 0, 30_000, 'TUI frame');
      await new Promise((r) => setTimeout(r, 1000));
      await tmux(['send-keys', '-t', session, 'q']);
      await waitFor(() => fs.existsSync(path.join(dir, 'done')), 30_000, 'demo exit after q');
      for (const k of [demoPid, ...kids]) expect(alive(k), `process ${k} still running`).toBe(false);
      expect(fs.existsSync(sock)).toBe(false);
    } finally {
      await tmux(['kill-server'], { reject: false });
    }
  }, 120_000);
});
