/**
 * `:windows` — the stored windows, newest first (windows.list): time, flows, anomalies, file. Enter travels to the
 * selected one (as `:window` does); the registry's example of a list screen.
 */
import { Box, Text } from 'ink';
import path from 'node:path';
import type { WindowRow } from '../../store/engine-store.js';
import { fit, human } from '../../views/format.js';
import { theme } from '../../views/theme.js';
import { stripControl } from '../../util/sanitize.js';
import type { ScreenContext, ScreenDef } from '../registry.js';
import type { ViewWindow } from '../state.js';

const T = (zh: boolean, en: string, z: string) => (zh ? z : en);

/** One row of the list (pure). */
export function windowLine(w: WindowRow, width: number): string {
  const when = new Date(w.start * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const rest = `${when}  ${human(w.flows).padStart(7)} flows  ${String(w.anomalyCount).padStart(4)} anomalies  `;
  return fit(`${rest}${stripControl(path.basename(w.file))}`, width);
}

async function load(ctx: ScreenContext): Promise<void> {
  try {
    const rows = await ctx.backend.call('windows.list', { limit: 288 });
    ctx.setData({ rows }, rows.map((r) => String(r.id)));
  } catch (e) {
    ctx.setData({ error: stripControl((e as Error).message) }, []);
  }
}

type Data = { rows?: WindowRow[]; error?: string };

export const windowsScreen: ScreenDef<Data> = {
  id: 'windows',
  title: ['Stored windows', '已存時段'],
  command: { name: 'windows', en: 'the stored windows (Enter travels to one)', zh: '已存的時段（Enter 回到該時段）' },
  list: true,
  onOpen: (ctx) => void load(ctx),
  events: { window: (ctx) => (ctx.state().stack.includes('windows') ? void load(ctx) : undefined) },
  onAction(id, ctx) {
    if (id !== 'open') return;
    const s = ctx.state();
    const l = s.lists.windows;
    const key = l?.keys[l.selected];
    if (key === undefined) return;
    void ctx.backend.call('windows.get', { id: Number(key) }).then(
      (w) => {
        if (!w) return ctx.flash('that window is no longer stored', true);
        ctx.dispatch({ t: 'window', window: w, live: false });
        ctx.dispatch({ t: 'back' });
      },
      (e: Error) => ctx.flash(e.message, true),
    );
  },
  render({ data, width, height, lang, selected }) {
    const zh = lang === 'zh-TW';
    if (!data) return <Text dimColor>{T(zh, 'asking the engine…', '查詢中…')}</Text>;
    if (data.error) return <Text color={theme.color('red')}>{fit(data.error, width)}</Text>;
    const rows = data.rows ?? [];
    if (rows.length === 0) return <Text dimColor>{T(zh, 'no stored windows yet', '尚無已存時段')}</Text>;
    const room = Math.max(1, height - 1);
    const top = Math.max(0, Math.min(selected - Math.floor(room / 2), rows.length - room));
    return (
      <Box flexDirection="column">
        <Text bold>{fit(T(zh, 'Stored windows (UTC, newest first) — Enter travels there, :window live comes back', '已存時段（UTC，新到舊）— Enter 回到該時段，:window live 恢復即時'), width)}</Text>
        {rows.slice(top, top + room).map((w, i) => (
          <Text key={w.id} inverse={top + i === selected}>{windowLine(w, width)}</Text>
        ))}
      </Box>
    );
  },
};
