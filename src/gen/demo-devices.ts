/**
 * The demo's campus gateway: a simulated IOS-XR router (a real SSH server on loopback, src/gen/device-sim.ts) whose
 * `show arp` matches the demo traffic — the addresses the demo's prober sweeps are mostly unused (Incomplete /
 * Deleted), ten hosts answer, one MAC answers for two addresses, and one address changes MAC after the first
 * collection. So the demo shows ARP-confirmed probers, `where` lookups and the device anomalies.
 */
import crypto from 'node:crypto';
import type { FlowRecord } from '../engine/types.js';
import { newKeyPair, startFakeDevice, type FakeDevice } from './device-sim.js';

/** The outside host that sweeps the demo campus's unused addresses every minute. */
export const DEMO_PROBER = '45.1.1.1';
/** The swept block: 10.20.100.0 – 10.20.100.63. */
export const DEMO_PROBE_NET = '10.20.100.';
const SWEPT = 64;
/** Hosts that answer ARP (in use); `.1` is the gateway's own interface. */
const USED = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];

/** The prober's flows of one demo minute: one SYN to each swept address, within the first 20 s. Pure. */
export function demoProbeFlows(startMs: number): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let i = 0; i < SWEPT; i++) {
    const t = startMs + 500 + i * 250;
    out.push({ src: DEMO_PROBER, dst: `${DEMO_PROBE_NET}${i}`, sport: 41000 + i, dport: 23, proto: 6, flags: 0x02, packets: 1, bytes: 40, start: t, end: t, inIf: 7, outIf: 20, exporter: '', srcAs: 0, dstAs: 0 });
  }
  return out;
}

const hex = (n: number) => n.toString(16).padStart(4, '0');
const ciscoMac = (last: number) => `0050.56aa.${hex(last)}`;

/**
 * The gateway's `show arp` as IOS-XR prints it, at its `n`-th collection (0 first): `.12` moves to a new MAC from
 * the second collection on; `.19` answers with `.18`'s MAC. Pure.
 */
export function demoGatewayArp(n: number): string {
  const rows = [
    '',
    '-------------------------------------------------------------------------------',
    '0/RSP0/CPU0',
    '-------------------------------------------------------------------------------',
    'Address         Age        Hardware Addr   State      Type  Interface',
  ];
  const row = (ip: string, age: string, mac: string, state: string) => `${ip.padEnd(15)} ${age.padEnd(10)} ${mac}  ${state.padEnd(10)} ARPA  Bundle-Ether20`;
  for (let i = 0; i < SWEPT; i++) {
    const ip = `${DEMO_PROBE_NET}${i}`;
    if (i === 1) rows.push(row(ip, '-', ciscoMac(1), 'Interface'));
    else if (USED.includes(i)) {
      const mac = i === 12 && n > 0 ? '0050.56bb.0c0c' : i === 19 ? ciscoMac(18) : ciscoMac(i);
      rows.push(row(ip, `00:0${i % 10}:1${i % 6}`, mac, 'Dynamic'));
    } else if (i % 4 === 0) rows.push(row(ip, '-', '0000.0000.0000', 'Deleted'));
    else rows.push(row(ip, `00:00:0${i % 5}`, '0000.0000.0000', 'Incomplete'));
  }
  return `${rows.join('\n')}\n`;
}

/** A running demo gateway and the devices config that reaches it (password random per run). */
export interface DemoGateway {
  device: FakeDevice;
  config: { name: string; host: string; port: number; user: string; password: string; kind: 'iosxr'; collect: ['arp'] };
  close(): Promise<void>;
}

/** Start the demo gateway on a free loopback port. */
export async function startDemoGateway(): Promise<DemoGateway> {
  const password = crypto.randomBytes(12).toString('base64url');
  let asked = 0;
  const device = await startFakeDevice({
    kind: 'iosxr',
    hostname: 'DEMO-GW',
    hostKey: newKeyPair().private,
    user: 'noc',
    password,
    outputs: { 'show arp': () => demoGatewayArp(asked++) },
  });
  return {
    device,
    config: { name: 'demo-gw', host: '127.0.0.1', port: device.port, user: 'noc', password, kind: 'iosxr', collect: ['arp'] },
    close: () => device.close(),
  };
}
