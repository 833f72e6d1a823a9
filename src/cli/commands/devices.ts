/**
 * `nocflow devices [status]` and `nocflow devices anomalies`: the configured devices with their latest collection,
 * and what the ARP/MAC history says (unused addresses and the engine's probers of them, MACs holding several IPs,
 * IPs moving between MACs or ports). Through the engine when it runs, else from the database directly.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { callEngine, EngineError } from '../../daemon/client.js';
import type { IpMove, MacMultiIp } from '../../devices/anomalies.js';
import { devicesHandlers, probersOfWindow, type Prober } from '../../devices/handlers.js';
import type { DeviceRunRow } from '../../devices/store.js';
import { DeviceStore } from '../../devices/store.js';
import { parseTtl } from '../../flowspec/service.js';
import { openDb, resolveDbPath } from '../../store/db.js';
import { EngineStore } from '../../store/engine-store.js';
import { dataDir } from '../../util/paths.js';
import { stripControl } from '../../util/sanitize.js';
import { CliError } from '../main.js';

/** The answer of devices.anomalies. */
export interface DeviceAnomalies {
  timeSlot: number | null;
  unusedAddresses: string[];
  probersWindow: number | null;
  probers: Prober[];
  macsWithSeveralIps: MacMultiIp[];
  ipMoves: IpMove[];
}

/** The answer of devices.status. */
export interface DeviceStatus {
  devices: { name: string; kind: string; host: string; port: number }[];
  runs: DeviceRunRow[];
}

const slotTime = (slot: number) => new Date((slot * 300 - 150) * 1000).toISOString().slice(0, 16).replace('T', ' ');
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** Plain text of devices.anomalies (network text stripped of control characters). */
export function formatDeviceAnomalies(a: DeviceAnomalies): string {
  const out: string[] = [];
  out.push(a.timeSlot === null ? '# no ARP/MAC tables collected yet' : `# device tables of ${slotTime(a.timeSlot)} UTC (TimeSlot ${a.timeSlot})`);
  const shown = a.unusedAddresses.slice(0, 12).join(' ') + (a.unusedAddresses.length > 12 ? ` … (${a.unusedAddresses.length - 12} more)` : '');
  out.push(`unused addresses (only Incomplete/Deleted, or MAC 0): ${a.unusedAddresses.length}${a.unusedAddresses.length ? `: ${shown}` : ''}`);
  out.push(a.probersWindow === null ? 'probers of unused addresses: no analysed window yet' : `probers of unused addresses in the window of ${slotTime(a.probersWindow)} UTC: ${a.probers.length}`);
  for (const p of a.probers) out.push(`  ${p.ip.padEnd(16)} ${p.type.padEnd(13)} ${stripControl(p.reason)}`);
  out.push(`MACs holding several IPs: ${a.macsWithSeveralIps.length}`);
  for (const m of a.macsWithSeveralIps) out.push(`  ${stripControl(m.reason)} [${m.devices.map(stripControl).join(', ')}; ${iso(m.firstSeen)} → ${iso(m.lastSeen)}]`);
  out.push(`IPs that moved between MACs or ports: ${a.ipMoves.length}`);
  for (const m of a.ipMoves) out.push(`  ${stripControl(m.reason)}`);
  return `${out.join('\n')}\n`;
}

/** Plain text of devices.status. */
export function formatDeviceStatus(s: DeviceStatus): string {
  if (s.devices.length === 0) return 'no devices configured (nocflow config set devices.list \'[...]\')\n';
  const runs = new Map(s.runs.map((r) => [r.device, r]));
  const out = [`${'DEVICE'.padEnd(20)} ${'KIND'.padEnd(6)} ${'HOST'.padEnd(22)} ${'LAST RUN (UTC)'.padEnd(16)} ${'RESULT'.padEnd(10)} ${'ARP'.padStart(6)} ${'MAC'.padStart(6)}`];
  for (const d of s.devices) {
    const r = runs.get(d.name);
    const result = r ? (r.ok ? 'ok' : (r.reason ?? 'failed')) : 'never';
    out.push(`${d.name.padEnd(20)} ${d.kind.padEnd(6)} ${`${d.host}:${d.port}`.padEnd(22)} ${(r ? iso(r.startedAt) : '-').padEnd(16)} ${result.padEnd(10)} ${String(r?.arpEntries ?? 0).padStart(6)} ${String(r?.macEntries ?? 0).padStart(6)}`);
    if (r && !r.ok && r.error) out.push(`  ${stripControl(r.error)}`);
  }
  return `${out.join('\n')}\n`;
}

/** Ask the engine; without one (or without the devices area), answer from the database with the same handlers. */
async function ask<T>(method: 'devices.anomalies' | 'devices.status', params: Record<string, unknown>): Promise<T> {
  try {
    return await callEngine<T>(method, params);
  } catch (err) {
    if (!(err instanceof EngineError) || !['NO_ENGINE', 'NO_METHOD'].includes(err.code)) throw new CliError(`engine: ${(err as Error).message}`, 1, { cause: err });
  }
  const { config } = loadConfig();
  const db = openDb(resolveDbPath(config.store.path, dataDir()));
  try {
    const engine = new EngineStore(db);
    const h = devicesHandlers({
      config: config.devices,
      store: new DeviceStore(db),
      probersAt: (slot) => {
        const w = slot === undefined ? engine.latestWindow() : engine.windowAtSlot(slot);
        return w ? { timeSlot: w.window.timeSlot, probers: probersOfWindow(w) } : undefined;
      },
    });
    return (await h[method](params, { user: 'cli' })) as T;
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
      const s = await ask<DeviceStatus>('devices.status', {});
      process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : formatDeviceStatus(s));
    });
  cmd
    .command('anomalies')
    .description('unused addresses and who probed them, MACs holding several IPs, IPs moving between MACs or ports')
    .option('--since <duration>', 'history to judge MACs and moves by, e.g. 24h, 7d (default: all kept)')
    .option('--json', 'print one JSON document')
    .action(async (o: { since?: string; json?: boolean }) => {
      let sinceMs = 0;
      if (o.since !== undefined) {
        const s = parseTtl(o.since);
        if (s === undefined) throw new CliError(`--since wants a duration such as 30m, 24h or 7d, got ${JSON.stringify(o.since)}`, 2);
        sinceMs = Date.now() - s * 1000;
      }
      const a = await ask<DeviceAnomalies>('devices.anomalies', { sinceMs });
      process.stdout.write(o.json ? `${JSON.stringify(a)}\n` : formatDeviceAnomalies(a));
    });
}
