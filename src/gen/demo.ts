/**
 * The demo stream: an endless, changing mix of attacks over background traffic, timestamped now, sent to a
 * collector every few seconds. Each minute brings a new mix, so a 1-minute nfcapd rotation shows detections
 * changing on screen; a prober sweeps the demo gateway's unused addresses every minute.
 */
import { FlowExporter } from './exporter.js';
import { generateScenario, type ScenarioName } from './scenarios.js';
import type { FlowRecord } from '../engine/types.js';
import { demoProbeFlows } from './demo-devices.js';

/** The mixes the demo cycles through, one per minute. */
export const DEMO_MIXES: ScenarioName[][] = [
  ['syn-scan', 'ssh-attacker'],
  ['spoofed-ddos', 'botnet'],
  ['syn-scan', 'heavy-upload', 'spoofed-ddos'],
  ['ssh-attacker', 'botnet'],
];

/** One minute of demo flows starting at `startMs` (pure). */
export function demoMinute(minute: number, startMs: number, seed = 1): FlowRecord[] {
  const mix: ScenarioName[] = ['background', 'benign-servers', ...DEMO_MIXES[minute % DEMO_MIXES.length]];
  const flows: FlowRecord[] = [];
  for (const name of mix) {
    // Attacks at full size (their distinct counts must clear the thresholds in one file); background thinned.
    const g = generateScenario(name, { seed: seed + minute * 31, scale: name === 'background' || name === 'benign-servers' ? 0.2 : 1, base: startMs });
    for (const f of g.flows) {
      // 5 minutes squeezed into the first 20 s of the minute, so one 1-minute nfcapd file holds a whole burst.
      const off = Math.floor((f.start - startMs) / 15);
      flows.push({ ...f, start: startMs + off, end: startMs + off + Math.max(0, Math.floor((f.end - f.start) / 15)) });
    }
  }
  // The campus gateway's unused addresses are swept every minute (src/gen/demo-devices.ts).
  flows.push(...demoProbeFlows(startMs));
  return flows.sort((a, b) => a.start - b.start);
}

/** Stream the demo to host:port until `signal` aborts. Sends each flow when its start time has passed. */
export async function streamDemo(opts: { port: number; host?: string; signal: AbortSignal; seed?: number; onMinute?: (minute: number, flows: number) => void }): Promise<void> {
  const exporter = new FlowExporter({ host: opts.host, port: opts.port, rate: 200_000 });
  try {
    // Start each burst just after a minute boundary: nfcapd (-t 60) rotates on the boundaries.
    await sleep(60_000 - (Date.now() % 60_000) + 1000, opts.signal);
    for (let minute = 0; !opts.signal.aborted; minute++) {
      const start = Date.now();
      const flows = demoMinute(minute, start, opts.seed);
      opts.onMinute?.(minute, flows.length);
      let i = 0;
      while (i < flows.length && !opts.signal.aborted) {
        const now = Date.now();
        let j = i;
        while (j < flows.length && flows[j].start <= now) j++;
        if (j > i) {
          // Flows are exported when they end, as a router would; stamp them with their own times.
          await exporter.send(flows.slice(i, j), now);
          i = j;
        }
        await sleep(1000, opts.signal);
      }
      const left = start + 60_000 - Date.now();
      if (left > 0) await sleep(left, opts.signal);
    }
  } finally {
    exporter.close();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((res) => {
    if (signal.aborted) return res();
    const onAbort = () => { clearTimeout(t); res(); };
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); res(); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
