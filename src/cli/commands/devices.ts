/**
 * `nocflow devices [status]` and `nocflow devices anomalies`: the configured devices with their latest collection,
 * and what the ARP/MAC history says (unused addresses and the engine's probers of them, MACs holding several IPs,
 * IPs moving between MACs or ports). Through the engine when it runs, else from the database directly.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { callEngine, EngineError } from '../../daemon/client.js';
import type { ParamsOf, ResultOf } from '../../daemon/methods.js';
import type { DevicesAnomaliesAnswer, DevicesStatusAnswer } from '../../devices/handlers.js';
import type { IpMove, MacMultiIp } from '../../devices/anomalies.js';
import { devicesHandlers, probersFrom, type Prober } from '../../devices/handlers.js';
import type { DeviceRunRow } from '../../devices/store.js';
import { tableNotes } from '../../devices/table-report.js';
import { DeviceStore } from '../../devices/store.js';
import { parseTtl } from '../../flowspec/service.js';
import { openDb, resolveDbPath } from '../../store/db.js';
import { EngineStore } from '../../store/engine-store.js';
import { dataDir } from '../../util/paths.js';
import { stripControl } from '../../util/sanitize.js';
import { CliError } from '../errors.js';
import { findingText, proberText } from '../../i18n/devices-text.js';
import { parseLang } from '../../i18n/labels.js';

/** The answer of devices.anomalies (the handler's own type). */
export type DeviceAnomalies = DevicesAnomaliesAnswer;

/** The answer of devices.status (the handler's own type). */
export type DeviceStatus = DevicesStatusAnswer;

const slotTime = (slot: number) => new Date((slot * 300 - 150) * 1000).toISOString().slice(0, 16).replace('T', ' ');
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** Plain text of devices.anomalies in `lang` (network text stripped of control characters). */
export function formatDeviceAnomalies(a: DeviceAnomalies, lang: 'en' | 'zh-TW' = 'en'): string {
  const zh = lang === 'zh-TW';
  const out: string[] = [];
  const u = a.unusedAddresses;
  const shown = u.slice(0, 12).join(' ') + (u.length > 12 ? (zh ? ` …（另有 ${u.length - 12} 個）` : ` … (${u.length - 12} more)`) : '');
  if (zh) {
    out.push(a.timeSlot === null ? '# 尚未收集任何 ARP/MAC 表' : `# 設備表時段 ${slotTime(a.timeSlot)} UTC（TimeSlot ${a.timeSlot}）`);
    out.push(`未使用位址（僅 Incomplete/Deleted 或 MAC 為 0）：${u.length}${u.length ? `：${shown}` : ''}`);
    out.push(a.probersWindow === null ? '探測未使用位址者：尚無已分析時段' : `探測未使用位址者（時段 ${slotTime(a.probersWindow)} UTC）：${a.probers.length}`);
  } else {
    out.push(a.timeSlot === null ? '# no ARP/MAC tables collected yet' : `# device tables of ${slotTime(a.timeSlot)} UTC (TimeSlot ${a.timeSlot})`);
    out.push(`unused addresses (only Incomplete/Deleted, or MAC 0): ${u.length}${u.length ? `: ${shown}` : ''}`);
    out.push(a.probersWindow === null ? 'probers of unused addresses: no analysed window yet' : `probers of unused addresses in the window of ${slotTime(a.probersWindow)} UTC: ${a.probers.length}`);
  }
  for (const p of a.probers) out.push(`  ${p.ip.padEnd(16)} ${p.type.padEnd(13)} ${stripControl(proberText(p, lang))}`);
  out.push(`${zh ? '對應多個 IP 的 MAC' : 'MACs holding several IPs'}: ${a.macsWithSeveralIps.length}`);
  for (const m of a.macsWithSeveralIps) {
    const text = findingText({ kind: 'mac-several-ips', mac: m.mac, ips: m.ips }, lang) ?? m.reason;
    out.push(`  ${stripControl(text)} [${m.devices.map(stripControl).join(', ')}; ${iso(m.firstSeen)} → ${iso(m.lastSeen)}]`);
  }
  out.push(`${zh ? '更換 MAC 或交換器埠的 IP' : 'IPs that moved between MACs or ports'}: ${a.ipMoves.length}`);
  for (const m of a.ipMoves) out.push(`  ${stripControl(findingText({ kind: m.kind === 'mac' ? 'ip-moved-mac' : 'ip-moved-port', ip: m.ip, trail: m.trail }, lang) ?? m.reason)}`);
  return `${out.join('\n')}\n`;
}

/** Plain text of devices.status. */
export function formatDeviceStatus(s: DeviceStatus): string {
  if (s.devices.length === 0) return 'no devices configured (nocflow config set devices.list \'[...]\')\n';
  const runs = new Map(s.runs.map((r) => [r.device, r]));
  const out = [`${'DEVICE'.padEnd(20)} ${'KIND'.padEnd(6)} ${'HOST'.padEnd(22)} ${'LAST RUN (UTC)'.padEnd(16)} ${'RESULT'.padEnd(10)} ${'ARP'.padStart(6)} ${'MAC'.padStart(6)} ${'SKIPPED'.padStart(7)}`];
  for (const d of s.devices) {
    const r = runs.get(d.name);
    const tables = r?.tables ?? [];
    const result = r ? (r.ok ? (tables.some((t) => t.unreadable) ? 'unreadable' : 'ok') : (r.reason ?? 'failed')) : 'never';
    out.push(
      `${d.name.padEnd(20)} ${d.kind.padEnd(6)} ${`${d.host}:${d.port}`.padEnd(22)} ${(r ? iso(r.startedAt) : '-').padEnd(16)} ${result.padEnd(10)} ` +
        `${String(r?.arpEntries ?? 0).padStart(6)} ${String(r?.macEntries ?? 0).padStart(6)} ${String(r?.skipped ?? 0).padStart(7)}`,
    );
    if (r && !r.ok && r.error) out.push(`  ${stripControl(r.error)}`);
    for (const note of tableNotes(tables)) out.push(`  ${stripControl(note)}`);
  }
  const unreadable = s.runs.filter((r) => r.ok && (r.tables ?? []).some((t) => t.unreadable)).length;
  if (unreadable > 0) out.push(`! ${unreadable} device${unreadable === 1 ? '' : 's'} returned a table nocflow could mostly not read: its entries are missing from where and the anomalies`);
  return `${out.join('\n')}\n`;
}

/** Ask the engine; without one (or without the devices area), answer from the database with the same handlers. */
async function ask<M extends 'devices.anomalies' | 'devices.status'>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  try {
    return await callEngine(method, params);
  } catch (err) {
    if (!(err instanceof EngineError) || !['NO_ENGINE', 'NO_METHOD'].includes(err.code)) throw new CliError(`engine: ${(err as Error).message}`, 1, { cause: err });
  }
  const { config } = loadConfig();
  const db = openDb(resolveDbPath(config.store.path, dataDir()));
  try {
    const h = devicesHandlers({ config: config.devices, store: new DeviceStore(db), probersAt: probersFrom(new EngineStore(db)) });
    return (await h[method](params, { user: 'cli' })) as ResultOf<M>;
  } finally {
    db.close();
  }
}

/** Register `nocflow devices`. */
export function registerDevices(program: Command): void {
  const cmd = program.command('devices').description('the configured switches and routers: their latest collection (status) and ARP/MAC anomalies');
  cmd
    .command('status', { isDefault: true })
    .description('each configured device with its latest collection')
    .option('--json', 'print one JSON document')
    .action(async (o: { json?: boolean }) => {
      const s = await ask('devices.status', undefined);
      process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : formatDeviceStatus(s));
    });
  cmd
    .command('anomalies')
    .description('unused addresses and who probed them, MACs holding several IPs, IPs moving between MACs or ports')
    .option('--since <duration>', 'history to judge MACs and moves by, e.g. 24h, 7d (default: all kept)')
    .option('--json', 'print one JSON document')
    .action(async (o: { since?: string; json?: boolean }, cmd: Command) => {
      let sinceMs = 0;
      if (o.since !== undefined) {
        const s = parseTtl(o.since);
        if (s === undefined) throw new CliError(`--since wants a duration such as 30m, 24h or 7d, got ${JSON.stringify(o.since)}`, 2);
        sinceMs = Date.now() - s * 1000;
      }
      const a = await ask('devices.anomalies', { sinceMs });
      process.stdout.write(o.json ? `${JSON.stringify(a)}\n` : formatDeviceAnomalies(a, parseLang(cmd.optsWithGlobals().lang)));
    });
}
