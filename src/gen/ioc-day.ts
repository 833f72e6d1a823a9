/**
 * Generated days for the IoC correlation (pure, deterministic by seed and day index): a day's flows split into a few
 * nfcapd files, the day's IoC list (with junk lines, duplicates and an IPv4-mapped line) and the ground truth —
 * which class each IoC must get and which categories each remote must hold. The scenario:
 *
 * - a relay (`relay`, and an IPv6 one) that inside hosts of 10.20.0.0/16 check in with, several times per file;
 * - an IoC that keeps connecting to one server's SSH port (`apt`): that server is an APT target;
 * - a mass scanner (> 10 000 flows), a wide scanner (one SYN to each of 300 addresses), a DoS IoC (one victim
 *   flooded within one file), a check-in IoC (40 remotes each send it one small packet), IoCs with no flows;
 * - from day 0 to `familySwitchDay - 1`, a family of inside hosts checks in with `family` (listed); from
 *   `familySwitchDay` on, with `familyNew` (not listed) — the candidate the next day's lookup must propose.
 */
import type { FlowRecord } from '../engine/types.js';
import { randomIp, rng } from './scenarios.js';

/** The addresses of the scenario. */
export const IOC_DAY = {
  relay: '185.220.101.7',
  relay6: '2001:db8:66::7',
  apt: '45.155.205.99',
  aptTarget: '140.110.10.25',
  mass: '89.248.165.2',
  wide: '198.98.51.10',
  dos: '91.240.118.172',
  dosVictim: '163.28.5.5',
  checkIn: '103.77.192.13',
  none: '203.0.113.250',
  none6: '2001:db8:bad::1',
  family: '193.42.33.9',
  familyNew: '194.26.29.110',
  inside: ['10.20.5.1', '10.20.5.2', '10.20.5.3', '10.20.5.4'],
  inside6: ['2001:db8:20::11', '2001:db8:20::12'],
  familyMembers: ['10.20.7.1', '10.20.7.2', '10.20.7.3', '10.20.7.4'],
  insidePrefixes: ['10.20.0.0/16', '2001:db8:20::/48'],
} as const;

/** Options of one generated day. */
export interface IocDayOptions {
  /** First millisecond of the day (local midnight). */
  dayStart: number;
  /** 0, 1, 2, ...: which day of a series (the family switches relay on `familySwitchDay`). */
  dayIndex?: number;
  seed?: number;
  /** Files per day (spread over the day); default 4. */
  files?: number;
  /** Leave out the mass scanner (12 000 flows) — for multi-day series. */
  noMass?: boolean;
  familySwitchDay?: number;
  /** Background conversations per file. */
  background?: number;
}

/** A generated day. */
export interface IocDay {
  files: { time: number; flows: FlowRecord[] }[];
  /** The day's list text. */
  list: string;
  truth: {
    classes: Record<string, string>;
    /** Remotes that must hold these categories (at least). */
    categories: Record<string, string[]>;
    invalidLines: number;
    duplicateLines: number;
    entries: number;
  };
}

const f = (p: Partial<FlowRecord> & { src: string; dst: string; start: number }): FlowRecord => ({
  sport: 40000, dport: 80, proto: 6, flags: 0x1b, packets: 10, bytes: 5000, end: p.start + 1000, inIf: 1, outIf: 2, exporter: '127.0.0.1', srcAs: 0, dstAs: 0, ...p,
});

/** Generate one day. Pure. */
export function generateIocDay(o: IocDayOptions): IocDay {
  const d = IOC_DAY;
  const dayIndex = o.dayIndex ?? 0;
  const r = rng((o.seed ?? 1) * 1000 + dayIndex);
  const nFiles = o.files ?? 4;
  const switchDay = o.familySwitchDay ?? 3;
  const step = Math.floor(86_400_000 / nFiles);
  const files: IocDay['files'] = [];
  for (let k = 0; k < nFiles; k++) {
    const base = o.dayStart + k * step;
    const at = () => base + Math.floor(r() * 290_000);
    const eph = () => 32768 + Math.floor(r() * 28000);
    const flows: FlowRecord[] = [];
    // Background conversations between outside addresses.
    for (let i = 0; i < (o.background ?? 500); i++) {
      const c = randomIp(r), s = randomIp(r), t = at(), sp = eph();
      flows.push(f({ src: c, dst: s, sport: sp, dport: 443, packets: 8, bytes: 900, start: t }), f({ src: s, dst: c, sport: 443, dport: sp, packets: 10, bytes: 9000, start: t + 3 }));
    }
    // Inside hosts check in with the relay: three times per file, the same small exchange (mechanical).
    const checkIn = (host: string, relay: string, port: number, times: number) => {
      for (let i = 0; i < times; i++) {
        const t = at(), sp = eph();
        flows.push(f({ src: host, dst: relay, sport: sp, dport: port, packets: 3, bytes: 180, start: t }), f({ src: relay, dst: host, sport: port, dport: sp, packets: 2, bytes: 120, start: t + 40 }));
      }
    };
    for (const h of d.inside) checkIn(h, d.relay, 443, 3);
    for (const h of d.inside6) checkIn(h, d.relay6, 443, 3);
    for (const h of d.familyMembers) checkIn(h, dayIndex < switchDay ? d.family : d.familyNew, 8443, 2);
    // The APT: the IoC keeps opening SSH sessions to one server.
    for (let i = 0; i < 5; i++) {
      const t = at(), sp = eph();
      flows.push(f({ src: d.apt, dst: d.aptTarget, sport: sp, dport: 22, packets: 12, bytes: 2100, start: t }), f({ src: d.aptTarget, dst: d.apt, sport: 22, dport: sp, packets: 10, bytes: 2600, start: t + 5 }));
    }
    // The check-in IoC: 40 remotes each send one small packet to its port 8080, once a day (first file only).
    if (k === 0) for (let i = 0; i < 40; i++) flows.push(f({ src: `61.${10 + (i >> 4)}.${i & 15}.${9 + i}`, dst: d.checkIn, sport: eph(), dport: 8080, packets: 1, bytes: 60, flags: 0x02, start: at() }));
    // The wide scanner: one SYN to each of 300 addresses (in the second file).
    if (k === 1 % nFiles) for (let i = 0; i < 300; i++) flows.push(f({ src: d.wide, dst: randomIp(r), sport: eph(), dport: 445, packets: 1, bytes: 40, flags: 0x02, start: at() }));
    // The DoS IoC floods one victim within one file.
    if (k === 2 % nFiles) for (let i = 0; i < 3000; i++) flows.push(f({ src: d.dos, dst: d.dosVictim, sport: 1024 + i, dport: 80, packets: 1, bytes: 40, flags: 0x02, start: at() }));
    // The mass scanner: 12 000 flows over the day.
    if (!o.noMass) for (let i = 0; i < Math.ceil(12_000 / nFiles); i++) flows.push(f({ src: d.mass, dst: randomIp(r), sport: eph(), dport: 23, packets: 1, bytes: 44, flags: 0x02, start: at() }));
    flows.sort((a, b) => a.start - b.start);
    files.push({ time: base, flows });
  }
  const junk = ['not-an-address', '300.1.1.1', '10.0.0.0/8', '1.2.3', 'fe80::1%eth0'];
  const list = [
    '# generated IoC list',
    d.relay, d.relay6, d.apt, d.mass, d.wide, d.dos, d.checkIn, d.none, d.none6, d.family,
    '',
    ...junk,
    `${d.relay}   # listed twice`,
    `::ffff:${d.apt}`,
  ].join('\n') + '\n';
  const classes: Record<string, string> = {
    [d.relay]: 'analysed', [d.relay6]: 'analysed', [d.apt]: 'analysed', [d.mass]: o.noMass ? 'no-flows' : 'mass', [d.wide]: 'wide-scan', [d.dos]: 'dos',
    [d.checkIn]: 'check-in', [d.none]: 'no-flows', [d.none6]: 'no-flows', [d.family]: dayIndex < switchDay ? 'analysed' : 'no-flows',
  };
  const categories: Record<string, string[]> = { [d.aptTarget]: ['apt-target'] };
  for (const h of [...d.inside, ...d.inside6]) categories[h] = ['relay-check-in', 'mechanical'];
  return { files, list, truth: { classes, categories, invalidLines: junk.length, duplicateLines: 2, entries: 10 } };
}

