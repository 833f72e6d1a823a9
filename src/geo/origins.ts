/**
 * Where a window's attackers come from (pure over a lookup): each attacker of the window placed by GeoIP, markers per
 * location sized by flows, and the countries ranked by flows. Private, reserved and unknown addresses are counted
 * apart. Victims are left out: a flood's sources are spoofed, their "origin" is anyone's address.
 */
import type { Anomaly } from '../engine/types.js';
import type { GeoLocation } from './geoip.js';

/** A country's share of the attackers. */
export interface CountryOrigin {
  country: string;
  name?: string;
  attackers: number;
  flows: number;
}

/** A marker: one location, its attackers' flows. */
export interface OriginMarker {
  lat: number;
  lon: number;
  flows: number;
  attackers: number;
  /** The largest attacker there (shown in lists). */
  ip: string;
  country: string;
}

/** The attackers of a window by origin. */
export interface Origins {
  markers: OriginMarker[];
  countries: CountryOrigin[];
  /** Attackers without a location (private, reserved, unknown to the data). */
  unknown: { attackers: number; flows: number };
  attackers: number;
  flows: number;
}

/** Place a window's attackers (one per address, its largest anomaly's flows). Pure over `lookup`. */
export function originsOf(anomalies: Anomaly[], lookup: (ip: string) => GeoLocation | undefined): Origins {
  const byIp = new Map<string, number>();
  for (const a of anomalies) {
    if (a.role !== 'attacker') continue;
    byIp.set(a.ip, Math.max(byIp.get(a.ip) ?? 0, a.metrics.flows));
  }
  const markers = new Map<string, OriginMarker>();
  const countries = new Map<string, CountryOrigin>();
  const unknown = { attackers: 0, flows: 0 };
  let flows = 0;
  for (const [ip, f] of byIp) {
    flows += f;
    const loc = lookup(ip);
    if (!loc) {
      unknown.attackers++;
      unknown.flows += f;
      continue;
    }
    const key = `${loc.lat.toFixed(2)},${loc.lon.toFixed(2)}`;
    const m = markers.get(key);
    if (m) {
      m.flows += f;
      m.attackers++;
      if (f > (byIp.get(m.ip) ?? 0)) m.ip = ip;
    } else markers.set(key, { lat: loc.lat, lon: loc.lon, flows: f, attackers: 1, ip, country: loc.country });
    const c = countries.get(loc.country);
    if (c) {
      c.attackers++;
      c.flows += f;
    } else countries.set(loc.country, { country: loc.country, ...(loc.countryName ? { name: loc.countryName } : {}), attackers: 1, flows: f });
  }
  const byFlows = <T extends { flows: number }>(x: T[], key: (t: T) => string) => x.sort((a, b) => b.flows - a.flows || key(a).localeCompare(key(b)));
  return {
    markers: byFlows([...markers.values()], (m) => m.ip),
    countries: byFlows([...countries.values()], (c) => c.country),
    unknown,
    attackers: byIp.size,
    flows,
  };
}
