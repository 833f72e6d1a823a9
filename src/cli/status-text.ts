/**
 * `nocflow engine status` in words (pure; `now` is a parameter): the engine, its files and what the readers said,
 * the socket's clients, investigations, and each area through a table of formatters keyed by area name (an area
 * without a formatter is shown as compact JSON, so nothing it counts is hidden). Every value that came from the
 * network or from files (reasons, paths, user names, device and ES errors) is stripped of control characters and
 * line breaks before it is printed.
 */
import type { AreaStatuses, DevicesStatus, EngineStatus } from '../daemon/methods.js';
import type { WriterState } from '../es/types.js';
import type { FlowspecStatus } from '../flowspec/area.js';
import type { AlertsStatus } from '../alerts/area.js';
import type { HuntAreaStatus } from '../hunt/area.js';
import type { IocAreaStatus } from '../ioc/area.js';
import { alertsStatusLines } from '../alerts/format.js';
import { degradedText } from '../views/limits-text.js';
import { stripControl } from '../util/sanitize.js';

/** One value on one line: control characters gone, line breaks and tabs made spaces. */
export const clean = (x: unknown): string => stripControl(String(x ?? '')).replace(/[\r\n\t]+/g, ' ');

const n = (x: number) => x.toLocaleString('en-US');
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const bytes = (b: number) => (b >= 1 << 30 ? `${(b / (1 << 30)).toFixed(1)} GiB` : b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);
const base = (p: string) => clean(p).split('/').pop() ?? '';

/** Formatters of the areas' status, by area name. */
const AREAS: { [K in 'flowspec' | 'devices' | 'elasticsearch']: (s: NonNullable<AreaStatuses[K]>, now: number) => string[] } & { alerts: (s: AlertsStatus) => string[]; hunt: (s: HuntAreaStatus, now: number) => string[]; ioc: (s: IocAreaStatus) => string[] } = {
  alerts: (s: AlertsStatus) => alertsStatusLines(s),
  hunt(s: HuntAreaStatus, now: number) {
    const r = s.lastRun;
    const last = r ? `; last ${clean(r.day)} ${clean(r.status)} (${clean(r.trigger)}, ${clean(r.source)}): ${n(r.files)} file(s), ${n(r.flows)} flows, ${n(r.signatures)} signature(s), ${n(r.members)} member(s)${r.error ? ` — ${clean(r.error)}` : ''}` : '; no run yet';
    const next = s.nextDueAt !== null && s.enabled ? `, next ${s.nextDueAt > now ? `${when(s.nextDueAt)} UTC` : 'due now'}` : '';
    return [
      `hunt: ${s.enabled ? `daily at ${clean(s.at)} UTC` : 'not scheduled'}${s.running ? `, hunting ${clean(s.running)}` : ''}; ${s.runs} run(s), ${s.failures} failed${last}${next}`,
      ...(s.lastError ? [`  last error: ${clean(s.lastError)}`] : []),
    ];
  },
  ioc(s: IocAreaStatus) {
    const j = s.lastJob;
    return [
      `ioc: ${s.enabled ? `${s.sources.length} list(s) (${s.sources.map(clean).join(', ')}) fetched daily at ${clean(s.fetchAt)}` : 'no list configured'}${s.running ? `, running ${clean(s.running)}` : ''}; ${s.fetches} fetch(es), ${s.fetchFailures} failed; ${s.jobs} day(s) correlated, ${s.jobFailures} failed; ${s.alerts} infected-host alert(s)${j ? `; last ${clean(j.day)}: ${n(j.iocs)} IoC(s), ${n(j.remotes)} remote(s) in ${j.seconds.toFixed(0)} s` : ''}`,
      ...(s.lastError ? [`  last error: ${clean(s.lastError)}`] : []),
    ];
  },
  flowspec(s: FlowspecStatus) {
    const sp = s.speaker;
    const speaker = sp.managed
      ? `managed gobgpd${sp.pid ? ` pid ${sp.pid}` : ''} ${sp.up ? 'up' : 'DOWN'}${sp.restarts || sp.lastExit ? `, restarted ${sp.restarts} time(s)` : ''}${sp.lastExit ? ` (last exit ${sp.lastExit.signal ?? `code ${sp.lastExit.code}`} at ${hhmm(sp.lastExit.at)} UTC)` : ''}${sp.lastError ? `; ${clean(sp.lastError)}` : ''}`
      : 'external gobgpd';
    const r = s.reconcile;
    const ab = s.autoBlock;
    return [
      `flowspec: ${speaker}; ${s.activeBlocks} active block(s), ${s.changes} change(s) published`,
      `  reconcile: ${r.runs} run(s), ${r.failedRuns} failed, ${r.routeFailures} route failure(s), ${r.announced} announced, ${r.withdrawn} withdrawn${r.foreign ? `, ${r.foreign} route(s) of other tools left alone` : ''}${r.lastRun ? `; last ${hhmm(r.lastRun)} UTC` : ''}${r.lastError ? ` — ${clean(r.lastError)}` : ''}`,
      ...r.lastFailures.slice(0, 3).map((f) => `    cannot ${f.action} ${clean(f.route)}: ${clean(f.error)}`),
      `  auto-block: ${ab.enabled ? `${ab.blocked} blocked, ${ab.refused} refused by guards, ${ab.failed} failed${ab.lastError ? ` — ${clean(ab.lastError)}` : ''}` : 'off'}`,
    ];
  },
  devices(s: DevicesStatus) {
    const lines = [`devices: ${s.devices} configured; ${s.runs} run(s), ${s.devicesOk} ok, ${s.devicesFailed} failed; ${s.overlapsSkipped} overlap(s) skipped, ${s.storeErrors} store error(s), ${s.sinkErrors} sink error(s)`];
    if (s.lastRun) {
      lines.push(`  last run ${when(s.lastRun.startedAt)} UTC:`);
      for (const r of s.lastRun.results) {
        lines.push(`    ${clean(r.device)}: ${r.ok ? `ok, ${r.arp} ARP, ${r.mac} MAC${r.skipped ? `, ${r.skipped} line(s) skipped` : ''}` : `failed (${clean(r.reason)}): ${clean(r.error)}`}`);
      }
    }
    return lines;
  },
  elasticsearch(s: WriterState, now: number) {
    const state = s.down ? `DOWN${s.downSince ? ` for ${Math.round((now - s.downSince) / 1000)} s` : ''}${s.lastError ? ` (${clean(s.lastError)})` : ''}` : 'up';
    return [
      `elasticsearch: ${state}; ${n(s.indexed)} indexed, ${n(s.spooled)} spooled, ${n(s.replayed)} replayed, ${n(s.rejected)} rejected, ${n(s.dropped)} dropped`,
      `  spool: ${s.spool.segments} segment(s), ${bytes(s.spool.bytes)}${s.spool.maxBytes !== null ? ` of ${bytes(s.spool.maxBytes)}` : ''} in ${clean(s.spool.dir)}`,
      ...(s.alarm ? [`  ALARM: ${clean(s.alarm)}`] : []),
    ];
  },
};

/** The whole status text. */
export function formatStatus(s: EngineStatus, now: number): string {
  const lines = [
    `engine ${clean(s.version)}, pid ${s.pid}, up ${Math.round((now - s.startedAt) / 1000)} s, ${s.clients} client(s)`,
    `nfcapd dir: ${clean(s.nfcapdDir)}`,
    `database:   ${clean(s.database)}`,
    `files: ${s.processed} processed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}; ${n(s.flows)} flows`,
    `ledger: ${s.ledger.done} done, ${s.ledger.failed} failed, ${s.ledger.deferred} deferred, ${s.ledger.quarantined} quarantined`,
    `lag: ${s.lagSeconds === null ? 'no files yet' : `${Math.round(s.lagSeconds)} s behind nfcapd`}${s.rotation ? ` (rotation ${s.rotation.seconds} s, ${s.rotation.inferred ? 'inferred from the file names' : 'configured'})` : ''}`,
    s.latestWindow
      ? `latest window: ${when(s.latestWindow.start * 1000)} UTC, ${s.latestWindow.flows} flows, ${s.latestWindow.anomalies} anomalies${s.latestWindow.degraded ? ` (degraded: ${degradedText(s.latestWindow.degraded)})` : ''}${s.latestWindow.partial ? `, PARTIAL (${s.latestWindow.partial.blocksRead}/${s.latestWindow.partial.blocksExpected} blocks)` : ''}`
      : 'latest window: none',
  ];
  const rd = s.reading;
  if (rd && rd.files > 0) {
    const readers = Object.entries(rd.byReader).map(([k, v]) => `${clean(k)} ${v}`).join(', ');
    lines.push(`reading: ${rd.files} file(s) (${readers}), ${n(rd.records)} records, ${n(rd.skippedRecords)} skipped, ${rd.partialFiles} partial, ${rd.fallbackFiles} via nfdump${rd.workerFiles ? `, ${rd.workerFiles} in the decode worker` : ''}${rd.decompressErrors ? `, ${rd.decompressErrors} decompression error(s)` : ''}${rd.unknownElements ? `, ${rd.unknownElements} unknown element(s)` : ''}`);
    if (rd.exporters.length > 0) {
      const ex = rd.exporters.slice(0, 8).map((e) => `${clean(e.ip)}${e.samplingRate !== undefined && e.samplingRate !== 1 ? ` sampled 1:${e.samplingRate}` : ''}`).join(', ');
      lines.push(`  exporters: ${ex}${rd.exporters.length > 8 ? `, … ${rd.exporters.length - 8} more` : ''}`);
    }
    for (const f of rd.recent.slice(0, 3)) {
      lines.push(`  ${base(f.file)}: ${clean(f.reader)}, ${n(f.records)} records, ${n(f.skippedRecords)} skipped${f.blocks !== undefined ? `, ${f.blocks}/${f.blocksExpected} blocks` : ''}${f.partial ? `, PARTIAL (${f.partial.blocksRead}/${f.partial.blocksExpected} blocks: ${clean(f.partial.reason)})` : ''}${f.fallback ? `, via nfdump (${clean(f.fallback)})` : ''}${f.thread === 'worker' ? ', in the decode worker' : ''}`);
    }
  }
  if (s.server) {
    const d = s.server.lastDropped;
    lines.push(`clients: ${s.clients} connected, ${s.server.connections} since start, ${s.server.requests} request(s), ${s.server.errors} error(s), ${s.server.badLines} bad line(s), ${s.server.dropped} dropped for not reading${d ? ` (last: ${clean(d.user) || 'before hello'}${d.pid ? ` pid ${d.pid}` : ''}, ${bytes(d.bufferedBytes)} unread, ${hhmm(d.at)} UTC)` : ''}`);
    for (const c of s.clientList ?? []) {
      const from = c.sshConnection ? ` from ${clean(c.sshConnection.split(' ')[0])}` : '';
      lines.push(`  #${c.connection} ${clean(c.user) || '(no hello yet)'}${c.pid ? ` pid ${c.pid}` : ''}${from}, since ${hhmm(c.since)} UTC: ${c.requests} request(s), ${c.errors} error(s), ${c.events} event(s)${c.bufferedBytes ? `, ${bytes(c.bufferedBytes)} waiting` : ''}`);
    }
  }
  if (s.investigate) {
    const i = s.investigate;
    lines.push(`investigations: ${i.running.length} running (limit ${i.limit}, ${i.perClient} per client), ${i.started} started, ${i.refusedBusy} refused busy, ${i.refusedRange} refused for their range`);
    for (const r of i.running) lines.push(`  #${r.id} ${clean(r.target)} by ${clean(r.user)} since ${hhmm(r.since)} UTC`);
  }
  for (const [name, st] of Object.entries(s.areas ?? {})) {
    const f = (AREAS as Record<string, (x: never, now: number) => string[]>)[name];
    if (st && typeof st === 'object' && 'error' in st && Object.keys(st).length === 1) lines.push(`${clean(name)}: status unavailable: ${clean((st as { error: unknown }).error)}`);
    else if (f && st) lines.push(...f(st as never, now));
    else lines.push(`${clean(name)}: ${clean(JSON.stringify(st))}`);
  }
  for (const e of s.recentErrors) lines.push(`failed: ${clean(e.path)}: ${clean(e.error)}`);
  for (const h of s.held) {
    const next = h.status === 'deferred' && h.retryAt !== null ? `, next try ${when(h.retryAt)} UTC` : '';
    lines.push(`${h.status}: ${clean(h.path)}: ${clean(h.reason)}${h.status === 'deferred' ? ` (${h.deferrals} tr${h.deferrals === 1 ? 'y' : 'ies'}${next})` : ''}`);
  }
  return lines.join('\n');
}
