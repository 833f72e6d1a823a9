/**
 * The demo's border router: a second gobgpd on loopback (127.0.0.2) that peers with the engine's managed gobgpd
 * over real BGP and takes its FlowSpec routes, so `b` / `u` in the demo TUI block and unblock for real and the
 * rules can be read back from the router (`gobgp -p <port> global rib -a ipv4-flowspec`). Without gobgpd on this
 * machine the demo runs without blocking and says why.
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

/** The engine's FlowSpec settings for the demo, given its ports and the router's. Pure. */
export function demoFlowspecConfig(p: { speaker: number; speakerApi: number; router: number }): Partial<FlowspecConfig> {
  return {
    enabled: true,
    mode: 'managed',
    apiHost: '127.0.0.1',
    apiPort: p.speakerApi,
    routerId: '127.0.0.1',
    as: 65001,
    listenAddress: '127.0.0.1',
    listenPort: p.speaker,
    neighbors: [{ address: '127.0.0.2', as: 65002, port: p.router }],
    // The demo's own ranges are never blocked: loopback and the simulated campus behind the demo gateway.
    protectedPrefixes: ['127.0.0.0/8', '10.20.0.0/16'],
    reconcileSeconds: 30,
  };
}

/** The running demo router. */
export interface DemoRouter {
  /** The engine's `flowspec` settings that peer with it. */
  flowspec: Partial<FlowspecConfig>;
  /** The router's gobgp API port (read its RIB with `gobgp -p <port> global rib -a ipv4-flowspec`). */
  apiPort: number;
  stop(): Promise<void>;
}

/** Start the router under `dir`; undefined (with the reason) when gobgpd is not installed or will not start. */
export async function startDemoRouter(dir: string, gobgpdBin = 'gobgpd'): Promise<DemoRouter | { unavailable: string }> {
  const probe = await execa(gobgpdBin, ['--version'], { reject: false, stdin: 'ignore' }).catch(() => undefined);
  if (!probe || probe.exitCode !== 0) return { unavailable: `${gobgpdBin} is not installed (apt-get install gobgpd), so blocking is off in the demo` };
  const [speaker, speakerApi, router, routerApi] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort('127.0.0.2'), await freeTcpPort()];
  try {
    const proc = await startGobgpd(
      { bin: gobgpdBin, routerId: '127.0.0.2', as: 65002, listenAddress: '127.0.0.2', listenPort: router, apiHost: '127.0.0.1', apiPort: routerApi, neighbors: [{ address: '127.0.0.1', as: 65001, port: speaker }] },
      path.join(dir, 'router'),
    );
    return { flowspec: demoFlowspecConfig({ speaker, speakerApi, router }), apiPort: routerApi, stop: () => proc.stop() };
  } catch (err) {
    return { unavailable: `the demo router did not start (${(err as Error).message}), so blocking is off in the demo` };
  }
}
