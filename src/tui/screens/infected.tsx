/**
 * `:infected` — the hosts the IoC correlation scored (ioc.infected), highest score first: score, address, the unit it
 * belongs to (engine.units), days seen, categories, IoCs touched. Enter investigates the selected address (whose
 * Investigate view shows its IoC relations). Refreshed after each daily job (`ioc.day`).
 */
import { Box, Text } from 'ink';
import { theme } from '../../views/theme.js';
import { fit } from '../../views/format.js';
import { infectedHeader, infectedLine, toInfectedRows, type InfectedView } from '../../views/ioc.js';
import { stripControl } from '../../util/sanitize.js';
import type { ScreenContext, ScreenDef } from '../registry.js';

const T = (zh: boolean, en: string, z: string) => (zh ? z : en);

type Data = { rows?: InfectedView[]; total?: number; error?: string; absent?: boolean };

async function load(ctx: ScreenContext): Promise<void> {
  try {
    const a = await ctx.backend.call('ioc.infected', { limit: 1000 });
    const rows = toInfectedRows(a);
    ctx.setData({ rows, total: typeof (a as { total?: unknown })?.total === 'number' ? (a as { total: number }).total : rows.length }, rows.map((r) => r.ip));
  } catch (e) {
    const code = (e as { code?: string }).code;
    ctx.setData(code === 'NO_METHOD' ? { absent: true } : { error: stripControl((e as Error).message) }, []);
  }
}

export const infectedScreen: ScreenDef<Data> = {
  id: 'infected',
  title: ['Infected hosts (IoC)', '受感染主機（IoC）'],
  command: { name: 'infected', en: 'hosts scored by the IoC correlation (Enter investigates)', zh: 'IoC 關聯評分的主機（Enter 調查）' },
  list: true,
  onOpen: (ctx) => void load(ctx),
  events: { 'ioc.day': (ctx) => (ctx.state().stack.includes('infected') ? void load(ctx) : undefined) },
  onAction(id, ctx) {
    if (id !== 'open') return;
    const l = ctx.state().lists.infected;
    const ip = l?.keys[l.selected];
    if (ip) ctx.investigate(ip, 24 * 60);
  },
  render({ data, width, height, lang, selected }) {
    const zh = lang === 'zh-TW';
    if (!data) return <Text dimColor>{T(zh, 'asking the engine…', '查詢中…')}</Text>;
    if (data.absent) return <Text dimColor>{fit(T(zh, 'this engine has no IoC correlation (set ioc.sources and restart the engine)', '此引擎未啟用 IoC 關聯（設定 ioc.sources 後重新啟動引擎）'), width)}</Text>;
    if (data.error) return <Text color={theme.color('red')}>{fit(data.error, width)}</Text>;
    const rows = data.rows ?? [];
    if (rows.length === 0) return <Text dimColor>{T(zh, 'no host scored yet (the first daily job runs after midnight)', '尚無評分主機（每日作業於午夜後執行）')}</Text>;
    const room = Math.max(1, height - 2);
    const top = Math.max(0, Math.min(selected - Math.floor(room / 2), rows.length - room));
    return (
      <Box flexDirection="column">
        <Text bold>{fit(T(zh, `Infected hosts: ${rows.length} of ${data.total} — Enter investigates`, `受感染主機：${data.total} 個中的 ${rows.length} 個 — Enter 調查`), width)}</Text>
        <Text dimColor>{infectedHeader(width, lang)}</Text>
        {rows.slice(top, top + room).map((r, i) => (
          <Text key={r.ip} inverse={top + i === selected} color={r.categories.includes('relay-check-in') && r.inside ? theme.color('red') : undefined}>{infectedLine(r, width, lang)}</Text>
        ))}
      </Box>
    );
  },
};
