/** `engine status` in words (pure): every counter that is kept is printed, and nothing from the network reaches the terminal raw. */
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/status-text.js';
import type { EngineStatus } from '../../src/daemon/methods.js';

const NOW = Date.UTC(2026, 10, 22, 14, 10);
const ESC = '\u001b';

const status: EngineStatus = {
  version: '0.1.0', pid: 4321, startedAt: NOW - 600_000, uptimeSeconds: 600, nfcapdDir: '/srv/nfcapd', database: '/var/lib/nocflow/nocflow.db', clients: 2,
  processed: 12, failed: 1, flows: 1_234_567, skipped: 1, lagSeconds: 42, rotation: { seconds: 60, inferred: true }, investigations: 1,
  latestWindow: { timeSlot: 5_931_000, start: Date.UTC(2026, 10, 22, 14, 5) / 1000, flows: 100_000, anomalies: 7, degraded: { victimSources: { limit: 8192, candidates: 2, largest: 1_200_000 } } },
  ledger: { started: 0, done: 12, failed: 1, deferred: 1, quarantined: 1 },
  held: [
    { path: `/srv/nfcapd/nfcapd.202611221355`, status: 'deferred', reason: `nfdump missing${ESC}[2J`, attempts: 0, deferrals: 2, retryAt: Date.UTC(2026, 10, 22, 14, 20) },
    { path: '/srv/nfcapd/nfcapd.202611221350', status: 'quarantined', reason: 'too large for this host', attempts: 3, deferrals: 0, retryAt: null },
  ],
  recentErrors: [{ path: `/srv/nfcapd/nfcapd.202611221400${ESC}[2J`, error: `not an nffile\n${ESC}]0;owned${'\u0007'}`, at: NOW }],
  reading: {
    files: 12, records: 1_234_567, skippedRecords: 3, partialFiles: 1, fallbackFiles: 0, workerFiles: 4, decompressErrors: 0, unknownElements: 2, byReader: { native: 12 },
    exporters: [{ ip: '192.0.2.1', samplingRate: 1, files: 12 }, { ip: '192.0.2.2', samplingRate: 100, files: 3 }],
    recent: [
      { file: '/srv/nfcapd/nfcapd.202611221405', reader: 'native', records: 100_000, skippedRecords: 0, partial: { reason: `truncated${ESC}[31m`, blocksRead: 3, blocksExpected: 9 } },
      { file: '/srv/nfcapd/nfcapd.202611221400', reader: 'native', records: 9_000_000, skippedRecords: 0, blocks: 900, blocksExpected: 900, thread: 'worker' },
    ],
  },
  server: { requests: 40, errors: 2, badLines: 1, connections: 5, dropped: 1, lastDropped: { user: 'carol', pid: 999, at: NOW - 60_000, bufferedBytes: 9_000_000 } },
  clientList: [{ connection: 4, user: 'alice', pid: 333, sshConnection: '203.0.113.50 50000 192.0.2.1 22', since: NOW - 300_000, requests: 12, errors: 0, events: 30, bufferedBytes: 0 }],
  investigate: { running: [{ id: 3, user: 'alice', target: '192.0.2.0/24', since: NOW - 5000 }], started: 9, refusedBusy: 2, refusedRange: 1, limit: 4, perClient: 2 },
  areas: {
    flowspec: {
      mode: 'managed', activeBlocks: 3, changes: 17,
      speaker: { managed: true, pid: 777, up: true, restarts: 1, lastExit: { at: NOW - 120_000, code: null, signal: 'SIGKILL' } },
      reconcile: { runs: 40, failedRuns: 1, routeFailures: 2, announced: 3, withdrawn: 1, foreign: 0, lastRun: NOW - 30_000, lastError: '1 route(s) failed: gobgp: boom', lastFailures: [{ route: 'ipv4 [source: 198.51.100.7/32]', action: 'announce', blockId: 3, error: 'gobgp: boom' }] },
      autoBlock: { enabled: true, blocked: 4, refused: 2, failed: 1, lastError: 'speaker down' },
    },
    devices: {
      devices: 2, runs: 3, devicesOk: 5, devicesFailed: 1, overlapsSkipped: 0, sinkErrors: 0, storeErrors: 0,
      lastRun: { timeSlot: 1, startedAt: NOW - 300_000, results: [
        { device: 'sw1', ok: true, arp: 120, mac: 300, skipped: 2, durationMs: 900 },
        { device: 'sw2', ok: false, reason: 'output-too-large', error: `sw2 (192.0.2.2:22): more than 33554432 bytes${ESC}[0m`, arp: 0, mac: 0, skipped: 0, durationMs: 4000 },
      ] },
    },
    elasticsearch: { indexed: 1000, bulkRequests: 10, spooled: 500, replayed: 100, rejected: 0, dropped: 250, down: true, downSince: NOW - 90_000, lastError: 'connect ECONNREFUSED', spool: { dir: '/var/lib/nocflow/es-spool', segments: 4, bytes: 1_048_576, maxBytes: 1_073_741_824 }, alarm: 'elasticsearch spool full (limit 1073741824 bytes): 250 oldest document(s) dropped since start' },
    alerts: {
      enabled: true, alerts: 9, openEpisodes: 2, sent: 20, pending: 1, rejected: 0, expired: 0,
      channels: { email: '127.0.0.1:25', syslog: null, webhook: 'https://hooks.example/… (slack)' },
      sinceStart: { sent: 20, failedAttempts: 3, digests: 1 }, lastError: `smtp: connection refused${ESC}[2J`, lastErrorAt: NOW - 60_000, lastSentAt: NOW,
    },
    hunt: {
      enabled: true, at: '00:30', running: null, runs: 3, failures: 1, nextDueAt: Date.UTC(2026, 10, 23, 0, 30), lastError: `no files${ESC}[2J`,
      lastRun: { day: '2026-11-21', status: 'done', trigger: 'schedule', source: 'files', startedAt: NOW - 3_600_000, finishedAt: NOW - 3_000_000, files: 288, flows: 48_000_000, signatures: 12, members: 340, error: null },
    },
    ioc: { enabled: true, sources: ['abuse'], fetchAt: '01:00', running: null, fetches: 2, fetchFailures: 0, jobs: 2, jobFailures: 0, alerts: 1, lastJob: { day: '2026-11-21', seconds: 42, iocs: 1500, remotes: 37 }, lastError: null },
    geo: { lookups: 5 },
  },
};

describe('formatStatus', () => {
  const text = formatStatus(status, NOW);
  const lines = text.split('\n');

  it('shows every counter: files, reading, clients, investigations and each area', () => {
    expect(lines.slice(0, 7)).toEqual([
      'engine 0.1.0, pid 4321, up 600 s, 2 client(s)',
      'nfcapd dir: /srv/nfcapd',
      'database:   /var/lib/nocflow/nocflow.db',
      'files: 12 processed, 1 failed, 1 skipped; 1,234,567 flows',
      'ledger: 12 done, 1 failed, 1 deferred, 1 quarantined',
      'lag: 42 s behind nfcapd (rotation 60 s, inferred from the file names)',
      'latest window: 2026-11-22 14:05 UTC, 100000 flows, 7 anomalies (degraded: sources of 2 victim(s) sampled (over 8,192; largest 1,200,000))',
    ]);
    expect(text).toContain('reading: 12 file(s) (native 12), 1,234,567 records, 3 skipped, 1 partial, 0 via nfdump, 4 in the decode worker, 2 unknown element(s)');
    expect(text).toContain('  nfcapd.202611221400: native, 9,000,000 records, 0 skipped, 900/900 blocks, in the decode worker');
    expect(text).toContain('  exporters: 192.0.2.1, 192.0.2.2 sampled 1:100');
    expect(text).toContain('  nfcapd.202611221405: native, 100,000 records, 0 skipped, PARTIAL (3/9 blocks: truncated)');
    expect(text).toContain('clients: 2 connected, 5 since start, 40 request(s), 2 error(s), 1 bad line(s), 1 dropped for not reading (last: carol pid 999, 8.6 MiB unread, 14:09 UTC)');
    expect(text).toContain('  #4 alice pid 333 from 203.0.113.50, since 14:05 UTC: 12 request(s), 0 error(s), 30 event(s)');
    expect(text).toContain('investigations: 1 running (limit 4, 2 per client), 9 started, 2 refused busy, 1 refused for their range');
    expect(text).toContain('flowspec: managed gobgpd pid 777 up, restarted 1 time(s) (last exit SIGKILL at 14:08 UTC); 3 active block(s), 17 change(s) published');
    expect(text).toContain('  reconcile: 40 run(s), 1 failed, 2 route failure(s), 3 announced, 1 withdrawn; last 14:09 UTC — 1 route(s) failed: gobgp: boom');
    expect(text).toContain('    cannot announce ipv4 [source: 198.51.100.7/32]: gobgp: boom');
    expect(text).toContain('  auto-block: 4 blocked, 2 refused by guards, 1 failed — speaker down');
    expect(text).toContain('devices: 2 configured; 3 run(s), 5 ok, 1 failed; 0 overlap(s) skipped, 0 store error(s), 0 sink error(s)');
    expect(text).toContain('    sw1: ok, 120 ARP, 300 MAC, 2 line(s) skipped');
    expect(text).toContain('    sw2: failed (output-too-large): sw2 (192.0.2.2:22): more than 33554432 bytes');
    expect(text).toContain('elasticsearch: DOWN for 90 s (connect ECONNREFUSED); 1,000 indexed, 500 spooled, 100 replayed, 0 rejected, 250 dropped');
    expect(text).toContain('  spool: 4 segment(s), 1.0 MiB of 1.0 GiB in /var/lib/nocflow/es-spool');
    expect(text).toContain('  ALARM: elasticsearch spool full (limit 1073741824 bytes): 250 oldest document(s) dropped since start');
    expect(text).toContain('alerts: 9 in the outbox, 2 open episode(s); channels: email 127.0.0.1:25; webhook https://hooks.example/… (slack)');
    expect(text).toContain('deliveries: 20 sent, 1 pending, 0 rejected, 0 expired; since start 20 sent, 3 failed attempts, 1 digest(s)');
    expect(text).toContain('last delivery error (2026-11-22 14:09 UTC): smtp: connection refused');
    expect(text).toContain('hunt: daily at 00:30 UTC; 3 run(s), 1 failed; last 2026-11-21 done (schedule, files): 288 file(s), 48,000,000 flows, 12 signature(s), 340 member(s), next 2026-11-23 00:30 UTC');
    expect(text).toContain('  last error: no files');
    expect(text).toContain('ioc: 1 list(s) (abuse) fetched daily at 01:00; 2 fetch(es), 0 failed; 2 day(s) correlated, 0 failed; 1 infected-host alert(s); last 2026-11-21: 1,500 IoC(s), 37 remote(s) in 42 s');
    // An area without a formatter is shown whole.
    expect(text).toContain('geo: {"lookups":5}');
    // Held files: the deferred one with its next try, the quarantined one with its reason.
    expect(text).toContain('deferred: /srv/nfcapd/nfcapd.202611221355: nfdump missing (2 tries, next try 2026-11-22 14:20 UTC)');
    expect(text).toContain('quarantined: /srv/nfcapd/nfcapd.202611221350: too large for this host');
  });

  it('prints no control character and no line break that came from a value', () => {
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('failed: /srv/nfcapd/nfcapd.202611221400: not an nffile 0;owned');
  });
});
