/**
 * Place labels for a report (shell): each reported address looked up once in the shipped GeoIP database. A database
 * that cannot be read costs one warning and the report goes on without places.
 */
import { GeoError, openGeo, placeLabel, type Geo } from '../geo/geoip.js';

/** A memoised `ip → "@Baotou[CN]"` (or '' when unknown), with how many lookups reached the database. */
export function placeLookup(opts: { lang?: 'en' | 'zh-TW'; geo?: Geo; warn?: (line: string) => void } = {}): { place: (ip: string) => string; lookups: () => number } {
  let geo: Geo | undefined = opts.geo ?? openGeo({ lang: opts.lang });
  const cache = new Map<string, string>();
  let lookups = 0;
  return {
    place(ip) {
      const hit = cache.get(ip);
      if (hit !== undefined) return hit;
      let label = '';
      if (geo) {
        try {
          lookups++;
          label = placeLabel(geo.lookup(ip));
        } catch (err) {
          if (!(err instanceof GeoError)) throw err;
          opts.warn?.(`no locations: ${err.message}`);
          geo = undefined;
        }
      }
      cache.set(ip, label);
      return label;
    },
    lookups: () => lookups,
  };
}
