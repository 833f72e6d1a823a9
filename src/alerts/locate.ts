/**
 * Where an address is attached, from the devices area's history (ARP and MAC tables collected over SSH): its MAC,
 * the switches and ports the MAC tables put that MAC on (current ones first), and the router answering ARP for it.
 * A campus admin acts on the port, not the IP.
 */
import { ZERO_MAC } from '../devices/mac.js';
import type { DeviceStore } from '../devices/store.js';
import type { HostLocationText } from './text.js';
import { stripControl } from '../util/sanitize.js';

/** The location of `ip`, or undefined when no ARP table ever held it with a MAC. */
export function locateHost(store: DeviceStore, ip: string, maxPorts = 3): HostLocationText | undefined {
  const rows = store.sightings({ ip });
  const arp = rows.filter((r) => r.source === 'arp' && r.ip === ip && r.mac !== ZERO_MAC);
  if (arp.length === 0) return undefined;
  const best = arp.find((r) => r.current) ?? arp[0];
  const mac = best.mac;
  const seen = new Set<string>();
  const ports: HostLocationText['ports'] = [];
  const macRows = rows.filter((r) => r.source === 'mac' && r.mac === mac && r.port);
  // Current rows first, then newest (rows come newest first).
  for (const r of [...macRows.filter((x) => x.current), ...macRows.filter((x) => !x.current)]) {
    const k = `${r.device}|${r.port}`;
    if (seen.has(k) || ports.length >= maxPorts) continue;
    seen.add(k);
    ports.push({ switch: stripControl(r.device), port: stripControl(r.port), vlan: r.vlan });
  }
  if (ports.length === 0 && best.port) ports.push({ switch: stripControl(best.device), port: stripControl(best.port), vlan: best.vlan });
  const seenAt = Math.max(best.lastSeen, ...macRows.filter((r) => r.mac === mac).map((r) => r.lastSeen));
  return { mac, router: stripControl(best.device), ports, seenAt };
}
