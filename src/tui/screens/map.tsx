/**
 * `:map` — the current window's attackers on a world map (blessed-contrib, off screen: src/views/pictures.ts), a
 * marker per origin sized by its flows, and the countries ranked beside it (map.origins, GeoIP from the database
 * shipped in an npm package). Plain terminals (NO_COLOR, narrow) get the ranked list alone.
 */
import { Box, Text } from 'ink';
import stringWidth from 'string-width';
import { bar, fit, human } from '../../views/format.js';
import { Picture } from '../../views/charts.js';
import { pictureMode, worldMap } from '../../views/pictures.js';
import { theme } from '../../views/theme.js';
import { stripControl } from '../../util/sanitize.js';
import type { ScreenContext, ScreenDef } from '../registry.js';
import type { CountryOrigin, OriginMarker } from '../../geo/origins.js';

const T = (zh: boolean, en: string, z: string) => (zh ? z : en);

/** What map.origins answers. */
export interface MapData {
  timeSlot?: number;
  start?: number;
  markers?: OriginMarker[];
  countries?: CountryOrigin[];
  unknown?: { attackers: number; flows: number };
  attackers?: number;
  flows?: number;
  data?: { name: string; licence: string; version?: string; built?: string };
  error?: string;
  empty?: boolean;
}

/** One country row: "CN China        12  45.2k  63.1% ████" fitted to `width`; the bar only when there is room (pure). */
export function countryLine(c: CountryOrigin, total: number, width: number): string {
  const name = `${c.country} ${stripControl(c.name ?? '')}`.trim();
  const share = total > 0 ? c.flows / total : 0;
  const nameW = Math.max(6, Math.min(18, width - 18));
  const head = `${fit(name, nameW)} ${String(c.attackers).padStart(3)} ${human(c.flows).padStart(6)} ${`${(share * 100).toFixed(1)}%`.padStart(6)}`;
  const room = width - stringWidth(head) - 1;
  return fit(room >= 6 ? `${head} ${bar(share, room)}` : head, width);
}

async function load(ctx: ScreenContext): Promise<void> {
  const s = ctx.state();
  try {
    const d = await ctx.backend.call('map.origins', { timeSlot: s.window?.window.timeSlot, lang: s.lang });
    ctx.setData(d ?? { empty: true });
  } catch (e) {
    ctx.setData({ error: stripControl((e as Error).message) });
  }
}

export const mapScreen: ScreenDef<MapData> = {
  id: 'map',
  title: ['Attackers by origin', '攻擊來源分布'],
  command: { name: 'map', en: "world map of the window's attackers by origin (GeoIP)", zh: '本時段攻擊者來源世界地圖（GeoIP）' },
  onOpen: (ctx) => void load(ctx),
  events: { window: (ctx) => (ctx.state().stack.at(-1) === 'map' ? void load(ctx) : undefined) },
  render({ data, width, height, lang }) {
    const zh = lang === 'zh-TW';
    if (!data) return <Text dimColor>{T(zh, 'placing the attackers…', '定位攻擊者中…')}</Text>;
    if (data.error) return <Text color={theme.color('red')}>{fit(data.error, width)}</Text>;
    if (data.empty) return <Text dimColor>{T(zh, 'no stored window yet', '尚無已存時段')}</Text>;
    const countries = data.countries ?? [];
    const total = data.flows ?? 0;
    const when = data.start ? new Date(data.start * 1000).toISOString().slice(0, 16).replace('T', ' ') : '';
    const head = T(zh, `${data.attackers ?? 0} attackers in the window of ${when} UTC, ${human(total)} flows`, `${when} UTC 時段共 ${data.attackers ?? 0} 個攻擊者、${human(total)} flows`);
    const listW = Math.min(40, Math.max(28, Math.floor(width * 0.34)));
    const mapW = width - listW - 1;
    const mapH = Math.max(4, height - 3);
    const mode = pictureMode(mapW);
    const map = mapW >= 40 && mode === 'braille' ? worldMap({ markers: data.markers ?? [], width: mapW, height: mapH }, mode) : undefined;
    const listRows = Math.max(1, height - 5);
    const unknown = data.unknown && data.unknown.attackers > 0 ? T(zh, `${data.unknown.attackers} without a place (private, reserved or unknown)`, `${data.unknown.attackers} 個無法定位（私有、保留或未知）`) : '';
    // The data's name, licence and date (shown wherever it is used).
    const source = data.data ? `${data.data.name.replace(/ \(.*$/, '')}, ${data.data.licence.replace(/ and the /, ' + ')}${data.data.built ? `, ${data.data.built}` : ''}` : '';
    const list = (w: number, legend = false) => (
      <Box flexDirection="column" width={w}>
        <Text bold>{fit(`${fit(T(zh, 'CC country', 'CC 國家'), Math.max(6, Math.min(18, w - 18)))} ${T(zh, '  n', ' 數')}  flows  share`, w)}</Text>
        {countries.length === 0 ? <Text dimColor>{fit(T(zh, '(no attacker with a known place)', '（沒有可定位的攻擊者）'), w)}</Text> : null}
        {countries.slice(0, listRows).map((c) => (
          <Text key={c.country}>{countryLine(c, total, w)}</Text>
        ))}
        {unknown ? <Text dimColor>{fit(unknown, w)}</Text> : null}
        {legend ? <Text dimColor>{fit(T(zh, '@ O o .: most → fewest flows', '@ O o .：flows 多→少'), w)}</Text> : null}
      </Box>
    );
    return (
      <Box flexDirection="column">
        <Text bold color={theme.color('cyan')}>{fit(head, width)}</Text>
        {map ? (
          <Box flexDirection="row">
            <Box width={mapW + 1} flexDirection="column">
              <Picture lines={map} />
            </Box>
            {list(listW, true)}
          </Box>
        ) : (
          list(width)
        )}
        {source ? <Text dimColor>{fit(`GeoIP: ${source}`, width)}</Text> : null}
      </Box>
    );
  },
};
