/**
 * `:alerts` — the recent alerts, newest first (alerts.list): time, kind, severity, type, IP, unit and how far each
 * channel got; below the list, the selected alert's summary, each delivery and its last error. Enter opens the
 * alert's anomaly in its window (travelling there, as `:windows` does) or, when there is none (an "ended" notice, an
 * alert raised by another area, a window no longer stored), investigates the IP. The header shows the alerts of the
 * last 24 hours (alerts.summary), kept fresh by the `alerts.new` and `alerts.delivered` events.
 */
import { Box, Text } from 'ink';
import type { AlertsSummary } from '../../alerts/area.js';
import { deliveryCell } from '../../alerts/format.js';
import { summaryLine } from '../../alerts/messages.js';
import type { AlertView, DeliveryView } from '../../alerts/outbox.js';
import { kindText } from '../../alerts/text.js';
import type { Lang } from '../../i18n/labels.js';
import { stripControl } from '../../util/sanitize.js';
import { fit } from '../../views/format.js';
import { theme } from '../../views/theme.js';
import type { ScreenContext, ScreenDef } from '../registry.js';
import { rowKey, visibleRows, type ViewWindow } from '../state.js';

const T = (zh: boolean, en: string, z: string) => (zh ? z : en);

/** How far one channel got: "mail 1/2", with "!" when a delivery gave up (rejected or expired). Pure. */
export function channelCell(ds: DeliveryView[], lang: Lang): string {
  const names: Record<string, [string, string]> = { email: ['mail', '信'], syslog: ['sys', 'sys'], webhook: ['hook', 'hook'] };
  const out: string[] = [];
  for (const ch of ['email', 'syslog', 'webhook'] as const) {
    const of = ds.filter((d) => d.channel === ch);
    if (of.length === 0) continue;
    const sent = of.filter((d) => d.state === 'sent').length;
    const gaveUp = of.some((d) => d.state === 'rejected' || d.state === 'expired');
    out.push(`${names[ch][lang === 'zh-TW' ? 1 : 0]} ${sent}/${of.length}${gaveUp ? '!' : ''}`);
  }
  return out.length ? out.join(' ') : T(lang === 'zh-TW', 'no channel', '無通道');
}

const SHORT_KIND: Record<string, [string, string]> = { alert: ['alert', '告警'], reminder: ['remind', '提醒'], ended: ['ended', '結束'], raised: ['raised', '通報'], test: ['test', '測試'] };

/** One row of the list (pure; fits 80 columns, wider type, IP and unit columns from 100): UTC time, kind ("!" = super), type, IP, unit, channels. */
export function alertLine(a: AlertView, width: number, lang: Lang): string {
  const zh = lang === 'zh-TW';
  const wide = width >= 100;
  const when = new Date(a.createdAt).toISOString().slice(11, 16);
  const kind = `${SHORT_KIND[a.kind]?.[zh ? 1 : 0] ?? kindText(a.kind, lang)}${a.severity === 'super' ? '!' : ''}`;
  const cells = [fit(when, 5), fit(kind, 7), fit(a.type, wide ? 18 : 14), fit(a.ip, wide ? 24 : 15), fit(a.unit ?? '-', wide ? 14 : 7)];
  return fit(`${cells.join(' ')} ${channelCell(a.deliveries, lang)}`, width);
}

/** The header badge: alerts of the last 24 h, and deliveries that gave up. Pure. */
export function alertsBadge(sum: AlertsSummary | undefined, lang: Lang): string | undefined {
  if (!sum) return undefined;
  const zh = lang === 'zh-TW';
  const failed = sum.failed > 0 ? T(zh, ` (${sum.failed} failed)`, `（${sum.failed} 失敗）`) : '';
  return `${T(zh, 'alerts', '告警')} ${sum.last24h}/24h${failed}`;
}

type Data = { rows?: AlertView[]; error?: string; summary?: AlertsSummary };

const dataOf = (ctx: ScreenContext): Data => (ctx.state().screenData.alerts as Data | undefined) ?? {};

async function loadSummary(ctx: ScreenContext): Promise<void> {
  try {
    const summary = await ctx.backend.call('alerts.summary');
    const cur = dataOf(ctx);
    ctx.setData({ ...cur, summary }, cur.rows?.map((r) => r.id));
  } catch {
    // an engine without the alerts area: no badge
  }
}

async function load(ctx: ScreenContext): Promise<void> {
  try {
    const rows = await ctx.backend.call('alerts.list', { limit: 200 });
    ctx.setData({ ...dataOf(ctx), rows, error: undefined }, rows.map((r) => r.id));
  } catch (e) {
    ctx.setData({ ...dataOf(ctx), error: stripControl((e as Error).message) }, []);
  }
  void loadSummary(ctx);
}

const refresh = (ctx: ScreenContext) => (ctx.state().stack.includes('alerts') ? void load(ctx) : void loadSummary(ctx));

/** Enter: the anomaly in its window, or Investigate. */
function open(ctx: ScreenContext): void {
  const s = ctx.state();
  const l = s.lists.alerts;
  const id = l?.keys[l.selected];
  const a = dataOf(ctx).rows?.find((r) => r.id === id);
  if (!a) return;
  const an = a.doc.anomaly;
  if (!an || a.kind === 'ended') return ctx.investigate(a.ip);
  void ctx.backend.call('windows.get', { timeSlot: a.timeSlot }).then(
    (w) => {
      const idx = w && w.window.timeSlot === a.timeSlot ? w.anomalies.findIndex((x) => rowKey(x) === rowKey(an)) : -1;
      if (!w || idx < 0) {
        ctx.flash(T(s.lang === 'zh-TW', 'that window is no longer stored: investigating the IP', '該時段已不在資料庫：改為調查此IP'));
        return ctx.investigate(a.ip);
      }
      ctx.dispatch({ t: 'window', window: w, live: false });
      ctx.dispatch({ t: 'back' });
      const rows = visibleRows(ctx.state());
      const at = rows.findIndex((x) => rowKey(x) === rowKey(an));
      if (at < 0) return ctx.investigate(a.ip); // hidden by the filter or as a false positive
      ctx.dispatch({ t: 'move', by: at - ctx.state().selected });
      ctx.dispatch({ t: 'push', screen: 'detail' });
    },
    (e: Error) => ctx.flash(stripControl(e.message), true),
  );
}

export const alertsScreen: ScreenDef<Data> = {
  id: 'alerts',
  title: ['Alerts', '告警'],
  command: { name: 'alerts', en: 'recent alerts and their deliveries (Enter opens the anomaly or investigates the IP)', zh: '最近的告警與寄送狀態（Enter 開啟異常或調查IP）' },
  list: true,
  onOpen: (ctx) => void load(ctx),
  onConnect: (ctx) => void loadSummary(ctx),
  events: { 'alerts.new': refresh, 'alerts.delivered': refresh },
  badge: (s) => alertsBadge((s.screenData.alerts as Data | undefined)?.summary, s.lang),
  onAction(id, ctx) {
    if (id === 'open') open(ctx);
  },
  render({ data, width, height, lang, selected }) {
    const zh = lang === 'zh-TW';
    if (!data || (!data.rows && !data.error)) return <Text dimColor>{T(zh, 'asking the engine…', '查詢中…')}</Text>;
    if (data.error) return <Text color={theme.color('red')}>{fit(/NO_METHOD|no such method|unknown method/i.test(data.error) ? T(zh, 'this engine has no alerts area', '此引擎沒有告警功能') : data.error, width)}</Text>;
    const rows = data.rows ?? [];
    if (rows.length === 0) return <Text dimColor>{T(zh, 'no alerts yet', '尚無告警')}</Text>;
    const room = Math.max(1, height - 5);
    const top = Math.max(0, Math.min(selected - Math.floor(room / 2), rows.length - room));
    const cur = rows[Math.min(selected, rows.length - 1)];
    const failing = cur.deliveries.filter((d) => d.state !== 'sent' && d.lastError);
    return (
      <Box flexDirection="column">
        <Text bold>{fit(T(zh, 'Alerts (UTC, newest first; ! = super) — Enter opens the anomaly or investigates the IP', '告警（UTC，新到舊；! = 嚴重）— Enter 開啟異常或調查IP'), width)}</Text>
        {rows.slice(top, top + room).map((a, i) => (
          <Text key={a.id} inverse={top + i === selected} color={a.severity === 'super' && a.kind !== 'ended' ? theme.color('red') : undefined}>{alertLine(a, width, lang)}</Text>
        ))}
        <Text dimColor>{'─'.repeat(Math.max(1, width))}</Text>
        <Text>{fit(`${cur.id}  ${summaryLine(cur.doc, lang)}`, width)}</Text>
        <Text>{fit(cur.deliveries.map((d) => deliveryCell(d, lang)).join(', ') || T(zh, 'no channel configured', '未設定通道'), width)}</Text>
        {failing.length > 0 ? <Text color={theme.color('yellow')}>{fit(failing.map((d) => `${d.channel}${d.target ? ` ${d.target}` : ''}: ${d.lastError}`).join('; '), width)}</Text> : null}
      </Box>
    );
  },
};
