/**
 * TUI benchmark: key press to next frame with 500 anomalies listed (target: 50 ms median). The real App renders
 * through ink into in-memory streams at 160x48 with the same options as `runTui`; each sample writes one key (j, k,
 * G, g, s, /, Esc …) to stdin and times until ink writes the next frame.
 */
import { EventEmitter } from 'node:events';
import type { Backend } from '../src/tui/actions.js';
import type { ViewAnomaly, ViewWindow } from '../src/tui/state.js';
import type { AnomalyType } from '../src/engine/types.js';

const TYPES: AnomalyType[] = ['scan', 'many-peers', 'syn-attack', 'dos-victim', 'many-flows', 'port-ddos-victim', 'many-bytes', 'egress-high'];

/** 500 anomalies shaped like the engine's (deterministic). */
function windowOf(n: number): ViewWindow {
  const anomalies: ViewAnomaly[] = Array.from({ length: n }, (_, i) => ({
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    role: i % 5 === 0 ? 'victim' : 'attacker',
    type: TYPES[i % TYPES.length],
    severity: i % 7 === 0 ? 'super' : 'over',
    score: 1000 - i,
    metrics: { flows: 1000 + ((i * 7919) % 50_000), packets: 5000 + i, bytes: 1e6 + ((i * 104729) % 1e8), distinctPeers: 100 + ((i * 31) % 9000), distinctPorts: 1 + (i % 50) },
    features: {
      protocols: [{ value: 6, share: 0.9 }, { value: 17, share: 0.1 }],
      dstPorts: [{ value: 22, share: 0.8 }, { value: 80, share: 0.2 }],
      packets: [{ value: 1, share: 0.7 }],
      bytes: [{ value: 40, share: 0.7 }],
      tcpFlags: [{ value: '......S.', share: 0.9 }],
      distinct: { protocols: 2, dstPorts: 2, packets: 1, bytes: 1 },
      synOnlyShare: 0.9, onePacket40Share: 0.7, serverLike: false, clientPortShare: 1, serverPortShare: 0,
    },
    signature: i % 3 === 0 ? '22-1-40' : undefined,
    evidence: [{ indicator: 'distinct destinations', value: 5000, threshold: 1000, ratio: 5 }],
    tracking: { firstSeenSlot: 5984500, windowsSeen: 3, shareAbove: 0.5, streak: 1 + (i % 12) },
    unit: i % 4 === 0 ? '國立臺灣大學' : undefined,
    asn: i % 4 === 1 ? 64500 + i : undefined,
    history: Array.from({ length: 12 }, (_, k) => ((i + k) % 3 === 0 ? 1 : 0)),
  }));
  return { window: { timeSlot: 5984521, start: 5984521 * 300 - 150, end: 5984521 * 300 + 150 }, flows: 12_345_678, packets: 1, bytes: 1, distinctIps: 1, anomalies };
}

class Out extends EventEmitter {
  columns = 160;
  rows = 48;
  constructor(size?: { columns: number; rows: number }) {
    super();
    if (size) Object.assign(this, size);
  }
  isTTY = true;
  frames = 0;
  onFrame?: () => void;
  write = (_s: string): boolean => {
    this.frames++;
    this.onFrame?.();
    return true;
  };
}

class In extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  press(s: string) {
    this.data = s;
    this.emit('readable');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run the section: prints median and p95 of key-to-frame latency at 80x24 and at 160x48. */
export async function run(): Promise<void> {
  for (const size of [{ columns: 80, rows: 24 }, { columns: 160, rows: 48 }]) await measureAt(size);
}

async function measureAt(size: { columns: number; rows: number }): Promise<void> {
  // As `nocflow` runs it: React's production build (set before React is first loaded; see src/cli/commands/tui.ts).
  process.env.NODE_ENV ??= 'production';
  // Styles as on a terminal (the bench's stdout is a pipe, where chalk would drop inverse video and colors).
  process.env.FORCE_COLOR ??= '1';
  const React = (await import('react')).default;
  const { render } = await import('ink');
  const { App } = await import('../src/tui/app.js');
  const win = windowOf(500);
  const backend: Backend = {
    async call<T>(method: string): Promise<T> {
      if (method === 'windows.latest') return win as T;
      if (method === 'engine.methods') return ['windows.latest', 'verdict.set', 'verdict.list'] as T;
      return null as T;
    },
    on: () => () => undefined,
  };
  const stdout = new Out(size);
  const stdin = new In();
  const app = render(React.createElement(App, { backend, lang: 'en' }), {
    stdout: stdout as never,
    stdin: stdin as never,
    stderr: new Out() as never,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await sleep(300);
  // Keys that change the frame: moves, jumps, sort cycles, filter open/close, detail in/out.
  const cycle = ['j', 'j', 'k', 'G', 'g', '\u0004', '\u0015', 's', 's', 's', 's', '\r', '\u001b', '/', '1', '\u001b', ' ', 'p', 'p'];
  const samples: number[] = [];
  const cpu: number[] = [];
  const missed = new Map<string, number>();
  const N = 300;
  for (let i = 0; i < N + 20; i++) {
    const key = cycle[i % cycle.length];
    const c0 = process.cpuUsage();
    const t = await new Promise<number>((resolve) => {
      const t0 = process.hrtime.bigint();
      const timer = setTimeout(() => {
        stdout.onFrame = undefined;
        resolve(-1);
      }, 1000);
      stdout.onFrame = () => {
        stdout.onFrame = undefined;
        clearTimeout(timer);
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      };
      stdin.press(key);
    });
    const c = process.cpuUsage(c0);
    if (t < 0) missed.set(JSON.stringify(key), (missed.get(JSON.stringify(key)) ?? 0) + 1);
    if (i >= 20 && t >= 0) {
      samples.push(t);
      cpu.push((c.user + c.system) / 1000);
    }
    // Leave ink's 30 fps throttle window so each press is a fresh frame, as at human typing speed.
    await sleep(40);
  }
  app.unmount();
  samples.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  if (missed.size) console.log(`keys without a new frame within 1 s: ${[...missed].map(([k, n]) => `${k}×${n}`).join(' ')}`);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  const median = q(0.5);
  console.log(`key press → next frame, 500 anomalies listed, ${size.columns}x${size.rows}: median ${median.toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${samples[samples.length - 1].toFixed(1)} ms over ${samples.length} presses (target: median ≤ 50 ms) ${median <= 50 ? 'OK' : 'SLOWER THAN TARGET'}`);
  console.log(`  CPU per press (this process, independent of machine load): median ${cpu[Math.floor(cpu.length / 2)].toFixed(1)} ms; load average now ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
}
