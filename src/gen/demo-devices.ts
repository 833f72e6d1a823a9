/**
 * The demo's campus devices, simulated (real SSH servers on loopback, src/gen/device-sim.ts): a gateway (IOS-XR)
 * whose `show arp` matches the demo traffic — the addresses the demo's prober sweeps are mostly unused (Incomplete /
 * Deleted), ten hosts answer, one MAC answers for two addresses, and one address changes MAC after the first
 * collection — and an access switch (IOS) whose `show mac address-table` puts each answering host's MAC on its own
 * port. So the demo shows ARP-confirmed probers, `where` lookups down to the switch port, and the device anomalies.
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

/** A running demo device and the devices config that reaches it (password random per run). */
export interface DemoDevice<K extends 'iosxr' | 'ios', T extends 'arp' | 'mac'> {
  device: FakeDevice;
  config: { name: string; host: string; port: number; user: string; password: string; kind: K; collect: [T] };
  close(): Promise<void>;
}

/** The demo gateway (IOS-XR, its ARP table). */
export type DemoGateway = DemoDevice<'iosxr', 'arp'>;

/**
 * Start a simulated device on a free loopback port that answers `command` with `output(n)` at its n-th collection
 * (0 first).
 */
async function startDemoDevice<K extends 'iosxr' | 'ios', T extends 'arp' | 'mac'>(name: string, kind: K, table: T, command: string, output: (n: number) => string): Promise<DemoDevice<K, T>> {
  const password = crypto.randomBytes(12).toString('base64url');
  let asked = 0;
  const device = await startFakeDevice({ kind, hostname: name.toUpperCase(), hostKey: newKeyPair().private, user: 'noc', password, outputs: { [command]: () => output(asked++) } });
  return {
    device,
    config: { name, host: '127.0.0.1', port: device.port, user: 'noc', password, kind, collect: [table] },
    close: () => device.close(),
  };
}

/** Start the demo gateway on a free loopback port. */
export function startDemoGateway(): Promise<DemoGateway> {
  return startDemoDevice('demo-gw', 'iosxr', 'arp', 'show arp', demoGatewayArp);
}

/** The access switch port of a demo host (`.10` → Gi1/0/10); the gateway is on the uplink. */
export const demoSwitchPort = (host: number) => (host === 1 ? 'Gi1/0/48' : `Gi1/0/${host}`);

/**
 * The access switch's `show mac address-table` as IOS prints it, at its `n`-th collection: every MAC the gateway's
 * ARP table has for an answering host, on that host's port in VLAN 20 (`.12`'s new MAC from the second collection
 * on, on the same port), the gateway's MAC on the uplink, and the CPU's static entry. Pure.
 */
export function demoSwitchMac(n: number): string {
  const rows = ['          Mac Address Table', '-------------------------------------------', '', 'Vlan    Mac Address       Type        Ports', '----    -----------       --------    -----'];
  const row = (vlan: string, mac: string, type: string, port: string) => `${vlan.padStart(4)}    ${mac}    ${type.padEnd(8)}    ${port}`;
  rows.push(row('All', '0100.0ccc.cccc', 'STATIC', 'CPU'));
  rows.push(row('20', ciscoMac(1), 'DYNAMIC', demoSwitchPort(1)));
  for (const i of USED) {
    if (i === 19) continue; // .19 answers with .18's MAC: one entry, on .18's port
    rows.push(row('20', i === 12 && n > 0 ? '0050.56bb.0c0c' : ciscoMac(i), 'DYNAMIC', demoSwitchPort(i)));
  }
  rows.push(`Total Mac Addresses for this criterion: ${rows.length - 5}`);
  return `${rows.join('\n')}\n`;
}

/** The demo access switch (IOS, its MAC table). */
export type DemoSwitch = DemoDevice<'ios', 'mac'>;

/** Start the demo access switch on a free loopback port. */
export function startDemoSwitch(): Promise<DemoSwitch> {
  return startDemoDevice('demo-sw1', 'ios', 'mac', 'show mac address-table', demoSwitchMac);
}
