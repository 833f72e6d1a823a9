/**
 * `:signatures [YYYY-MM-DD]` — the day's hunt: the catalogue by port (hunt.catalogue); Enter opens a signature's
 * members (hunt.members), where Enter investigates the member, Space marks, and `b` proposes blocks for the marked
 * members through the engine's guards — most destinations first, within the rule budget left under
 * flowspec.maxActiveRules (src/views/signatures.ts).
 */
import { Box, Text } from 'ink';
import type { MemberRow } from '../../hunt/day-hunt.js';
import type { SignatureDay } from '../../hunt/records.js';
import { placeLookup } from '../../hunt/places.js';
import { catalogueLines, ipColumn, memberAnomaly, memberHeader, memberLine, planBlocks, planText, visibleLines } from '../../views/signatures.js';
import { fit } from '../../views/format.js';
import { theme } from '../../views/theme.js';
import { stripControl } from '../../util/sanitize.js';
import type { ScreenContext, ScreenDef } from '../registry.js';
import { listTargets } from '../state.js';

const T = (zh: boolean, en: string, z: string) => (zh ? z : en);

type CatalogueData = { day?: string | null; rows?: SignatureDay[]; error?: string };
type MembersData = { day?: string; sig?: SignatureDay; members?: MemberRow[]; maxActiveRules?: number | null; error?: string };

let places: ReturnType<typeof placeLookup> | undefined;
/** Places for the members table, looked up once per address (the GeoIP files are read on the first one). */
const placeOf = (ip: string) => (places ??= placeLookup()).place(ip);

async function loadCatalogue(ctx: ScreenContext, day: string): Promise<void> {
  try {
    const r = await ctx.backend.call('hunt.catalogue', day ? { day } : {});
    const { rows } = catalogueLines(r.signatures, 200, ctx.state().lang);
    ctx.setData({ day: r.day, rows }, rows.map((s) => s.signature));
  } catch (e) {
    ctx.setData({ error: stripControl((e as Error).message) }, []);
  }
}

async function openMembers(ctx: ScreenContext): Promise<void> {
  const s = ctx.state();
  const data = s.screenData.signatures as CatalogueData | undefined;
  const l = s.lists.signatures;
  const sig = data?.rows?.[l?.selected ?? -1];
  if (!sig || !data?.day) return;
  if (!sig.hunted) return ctx.flash(T(s.lang === 'zh-TW', `${sig.signature} is a weak shape (bare headers): not hunted`, `${sig.signature} 是弱特徵（僅有標頭）：未搜索`), true);
  ctx.dispatch({ t: 'push', screen: 'signature' });
  ctx.dispatch({ t: 'screenData', id: 'signature', data: { day: data.day, sig }, rows: [] });
  try {
    const r = await ctx.backend.call('hunt.members', { day: data.day, signature: sig.signature, limit: 5000 });
    ctx.dispatch({ t: 'screenData', id: 'signature', data: { day: data.day, sig, members: r.members, maxActiveRules: r.maxActiveRules ?? null }, rows: r.members.map((m) => m.ip) });
  } catch (e) {
    ctx.dispatch({ t: 'screenData', id: 'signature', data: { day: data.day, sig, error: stripControl((e as Error).message) }, rows: [] });
  }
}

/** `b`: propose blocks for the marked (or selected) members within the budget. */
async function blockMembers(ctx: ScreenContext): Promise<void> {
  const s = ctx.state();
  const zh = s.lang === 'zh-TW';
  const data = s.screenData.signature as MembersData | undefined;
  const marked = listTargets(s, 'signature');
  if (!data?.members || !data.sig || marked.length === 0) return;
  const max = data.maxActiveRules;
  if (!max) return ctx.flash(T(zh, 'FlowSpec is not enabled in the engine', '引擎未啟用 FlowSpec'), true);
  let active = 0;
  try {
    const rows = await ctx.backend.call('block.list');
    active = rows.filter((r) => r.status === 'active').length;
  } catch (e) {
    return ctx.flash(stripControl((e as Error).message), true);
  }
  const plan = planBlocks(data.members, marked, { maxActiveRules: max, activeRules: active });
  ctx.flash(planText(plan, marked.length, max, s.lang), plan.propose.length === 0);
  if (plan.propose.length === 0) return;
  const byIp = new Map(data.members.map((m) => [m.ip, m]));
  ctx.proposeBlock(plan.propose.map((ip) => memberAnomaly(byIp.get(ip)!, data.sig!, data.day!)));
}

export const signaturesScreen: ScreenDef<CatalogueData> = {
  id: 'signatures',
  title: ['Signatures', '特徵'],
  command: { name: 'signatures', en: 'the day\'s botnet signatures by port: :signatures [YYYY-MM-DD] (Enter shows the members)', zh: '當日特徵（依 Port）：:signatures [YYYY-MM-DD]（Enter 顯示成員）' },
  list: true,
  onOpen: (ctx, arg) => void loadCatalogue(ctx, arg.trim()),
  events: { 'hunt.done': (ctx) => (ctx.state().stack.includes('signatures') ? void loadCatalogue(ctx, '') : undefined) },
  onAction(id, ctx) {
    if (id === 'open') void openMembers(ctx);
  },
  render({ data, width, height, lang, selected }) {
    const zh = lang === 'zh-TW';
    if (!data) return <Text dimColor>{T(zh, 'asking the engine…', '查詢中…')}</Text>;
    if (data.error) return <Text color={theme.color('red')}>{fit(data.error, width)}</Text>;
    if (!data.day) return <Text dimColor>{fit(T(zh, 'no day hunted yet (the engine hunts the previous day after hunt.at; or run nocflow hunt --day)', '尚無特徵搜索結果（引擎於 hunt.at 後搜索前一日；或執行 nocflow hunt --day）'), width)}</Text>;
    const { lines } = catalogueLines(data.rows ?? [], width, lang);
    if (lines.length === 0) return <Text dimColor>{fit(T(zh, `${data.day}: no signature in the catalogue`, `${data.day}：沒有特徵`), width)}</Text>;
    const shown = visibleLines(lines, selected, Math.max(1, height - 1));
    return (
      <Box flexDirection="column">
        <Text bold>{fit(T(zh, `Signatures of ${data.day} (UTC), strongest first — Enter: members`, `${data.day}（UTC）的特徵，依強度排序 — Enter：成員`), width)}</Text>
        {shown.map((l, i) => (l.kind === 'port'
          ? <Text key={`p${i}`} bold color={theme.color('cyan')}>{l.text}</Text>
          : <Text key={`r${l.row}`} inverse={l.row === selected} dimColor={!data.rows?.[l.row]?.hunted}>{l.text}</Text>))}
      </Box>
    );
  },
};

/** `:signature 1433-3-152 [YYYY-MM-DD]`: that signature's members (the newest hunted day by default). */
async function openSignature(ctx: ScreenContext, arg: string): Promise<void> {
  const [sigText, day] = arg.trim().split(/\s+/);
  if (!sigText) return;
  try {
    const cat = await ctx.backend.call('hunt.catalogue', day ? { day } : {});
    const sig = cat.signatures.find((x) => x.signature === sigText);
    if (!cat.day || !sig) return ctx.setData({ error: `${stripControl(sigText)}: not in the catalogue of ${cat.day ?? 'any hunted day'}` }, []);
    ctx.setData({ day: cat.day, sig }, []);
    const r = await ctx.backend.call('hunt.members', { day: cat.day, signature: sig.signature, limit: 5000 });
    ctx.setData({ day: cat.day, sig, members: r.members, maxActiveRules: r.maxActiveRules ?? null }, r.members.map((m) => m.ip));
  } catch (e) {
    ctx.setData({ error: stripControl((e as Error).message) }, []);
  }
}

export const signatureMembersScreen: ScreenDef<MembersData> = {
  id: 'signature',
  title: ['Signature members', '特徵成員'],
  command: { name: 'signature', en: 'one signature\'s members: :signature 1433-3-152 [YYYY-MM-DD] (Enter investigates, b blocks the marked)', zh: '單一特徵的成員：:signature 1433-3-152 [YYYY-MM-DD]（Enter 調查，b 封鎖標記者）' },
  list: true,
  onOpen: (ctx, arg) => void openSignature(ctx, arg),
  onAction(id, ctx) {
    const s = ctx.state();
    const l = s.lists.signature;
    const ip = l?.keys[l.selected];
    const data = s.screenData.signature as MembersData | undefined;
    if ((id === 'open' || id === 'investigate') && ip) {
      const m = data?.members?.find((x) => x.ip === ip);
      // Over the member's day: from its first flow until now, at most a week.
      const minutes = m ? Math.min(7 * 1440, Math.max(60, Math.ceil((Date.now() - m.firstSeen) / 60_000))) : 60;
      return ctx.investigate(ip, minutes);
    }
    if (id === 'block') return void blockMembers(ctx);
  },
  render({ data, width, height, lang, selected, marks }) {
    const zh = lang === 'zh-TW';
    if (data?.error && !data.sig) return <Text color={theme.color('red')}>{fit(data.error, width)}</Text>;
    if (!data?.sig) return <Text dimColor>{T(zh, 'asking the engine…', '查詢中…')}</Text>;
    const sig = data.sig;
    const head = T(zh, `${sig.signature} on ${data.day}: ${sig.attackers.length} attacker(s), ${sig.members} member(s) — Enter investigate, Space mark, b block`, `${data.day} ${sig.signature}：${sig.attackers.length} 個攻擊者，${sig.members} 個成員 — Enter 調查，空白鍵標記，b 封鎖`);
    if (data.error) return <Box flexDirection="column"><Text bold>{fit(head, width)}</Text><Text color={theme.color('red')}>{fit(data.error, width)}</Text></Box>;
    if (!data.members) return <Box flexDirection="column"><Text bold>{fit(head, width)}</Text><Text dimColor>{T(zh, 'asking the engine…', '查詢中…')}</Text></Box>;
    const room = Math.max(1, height - 2);
    const top = Math.max(0, Math.min(selected - Math.floor(room / 2), data.members.length - room));
    const withPlace = width >= 100;
    const shown = data.members.slice(top, top + room);
    const ipw = ipColumn(shown);
    return (
      <Box flexDirection="column">
        <Text bold>{fit(head, width)}</Text>
        <Text dimColor>{memberHeader(width, lang, ipw)}</Text>
        {shown.map((m, i) => (
          <Text key={m.ip} inverse={top + i === selected}>{memberLine(m, width, marks.has(m.ip), withPlace ? placeOf(m.ip) : '', ipw)}</Text>
        ))}
      </Box>
    );
  },
};
