/**
 * The demo's border routers: three gobgpd on loopback (127.0.0.2, .3, .4 — the addresses the generator exports the
 * spoofed flood from) that peer with the engine's managed gobgpd over real BGP and take its FlowSpec routes, so `b` /
 * `u` in the demo TUI block and unblock for real, a victim's rule goes only to the routers its attack enters by
 * (entry-point mitigation), and the rules can be read back from each router
 * (`gobgp -p <port> global rib -a ipv4-flowspec`). Without gobgpd on this machine the demo runs without blocking.
 */
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import type { FlowspecConfig } from '../config/sections/flowspec.js';
import { startGobgpd } from '../flowspec/gobgp.js';

/** A free TCP port on `host` (bind to 0, read, release). */
export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((res, rej) => srv.once('error', rej).listen(0, host, () => res()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

/** The demo routers' addresses: each also exports flows from its own address (src/gen/scenarios.ts). */
export const DEMO_ROUTERS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];

/** The engine's FlowSpec settings for the demo, given its ports and the routers'. Pure. */
export function demoFlowspecConfig(p: { speaker: number; speakerApi: number; routers: number[] }): Partial<FlowspecConfig> {
  return {
    enabled: true,
    mode: 'managed',
    apiHost: '127.0.0.1',
    apiPort: p.speakerApi,
    routerId: '127.0.0.1',
    as: 65001,
    listenAddress: '127.0.0.1',
    listenPort: p.speaker,
    // Each router stands for the exporter of its own address: a victim's rule goes to those carrying ≥ 20% of it.
    neighbors: p.routers.map((port, i) => ({ address: DEMO_ROUTERS[i], as: 65002 + i, port, name: `border-${'abc'[i]}`, entries: [{ exporter: DEMO_ROUTERS[i] }] })),
    // The demo's own ranges are never blocked: loopback and the simulated campus behind the demo gateway.
    protectedPrefixes: ['127.0.0.0/8', '10.20.0.0/16'],
    reconcileSeconds: 30,
  };
}

/** The running demo routers. */
export interface DemoRouter {
  /** The engine's `flowspec` settings that peer with them. */
  flowspec: Partial<FlowspecConfig>;
  /** The first router's gobgp API port (read its RIB with `gobgp -p <port> global rib -a ipv4-flowspec`). */
  apiPort: number;
  /** Every router's API port, in DEMO_ROUTERS order. */
  apiPorts: number[];
  stop(): Promise<void>;
}

/** Start the router under `dir`; undefined (with the reason) when gobgpd is not installed or will not start. */
export async function startDemoRouter(dir: string, gobgpdBin = 'gobgpd'): Promise<DemoRouter | { unavailable: string }> {
  const probe = await execa(gobgpdBin, ['--version'], { reject: false, stdin: 'ignore' }).catch(() => undefined);
  if (!probe || probe.exitCode !== 0) return { unavailable: `${gobgpdBin} is not installed (apt-get install gobgpd), so blocking is off in the demo` };
  const [speaker, speakerApi] = [await freeTcpPort(), await freeTcpPort()];
  const ports: number[] = [];
  const apis: number[] = [];
  for (const r of DEMO_ROUTERS) {
    ports.push(await freeTcpPort(r));
    apis.push(await freeTcpPort());
  }
  const started: { stop(): Promise<void> }[] = [];
  try {
    // The three start together: the demo's engine waits for them.
    const all = await Promise.allSettled(DEMO_ROUTERS.map((r, i) => startGobgpd(
      { bin: gobgpdBin, routerId: r, as: 65002 + i, listenAddress: r, listenPort: ports[i], apiHost: '127.0.0.1', apiPort: apis[i], neighbors: [{ address: '127.0.0.1', as: 65001, port: speaker }] },
      path.join(dir, `router-${i}`),
    )));
    for (const x of all) if (x.status === 'fulfilled') started.push(x.value);
    const failed = all.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
    return { flowspec: demoFlowspecConfig({ speaker, speakerApi, routers: ports }), apiPort: apis[0], apiPorts: apis, stop: async () => void (await Promise.all(started.map((p) => p.stop()))) };
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    return { unavailable: `the demo routers did not start (${(err as Error).message}), so blocking is off in the demo` };
  }
}
