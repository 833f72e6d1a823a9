import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { CAPTURES, CAPTURES_SKIP, haveCaptures } from '../helpers/captures.js';
import { makeScenarioFile } from '../helpers/nfcapd.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');

const env = { NOCFLOW_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-cfg-')) };
const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false });

/** Generated windows (real nfcapd): a SYN scan, and a campus with a C&C beacon. */
let SCAN: Awaited<ReturnType<typeof makeScenarioFile>>;
let BEACON: Awaited<ReturnType<typeof makeScenarioFile>>;
beforeAll(async () => {
  SCAN = await makeScenarioFile('syn-scan', { scale: 0.1 });
  BEACON = await makeScenarioFile('cc-beacon', { protocol: 'v9' });
}, 120_000);

describe('nocflow analyze: the memory budget of one window (generated spoofed DDoS through real nfcapd)', () => {
  it('--json and the text header report the sampled victim; the default limit keeps them all', async () => {
    const { file } = await makeScenarioFile('spoofed-ddos');
    // 15 000 spoofed sources against a limit of 8192.
    const tight = { NOCFLOW_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-cfg-')) };
    fs.writeFileSync(path.join(tight.NOCFLOW_CONFIG_DIR, 'config.json'), JSON.stringify({ limits: { victimSources: 8192 } }));
    const run = (...args: string[]) => execa('node', [BIN, ...args], { env: tight, reject: false });
    const r = await run('analyze', file, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.degraded).toEqual({ victimSources: { limit: 8192, candidates: 1, largest: 15000 } });
    const v = doc.anomalies.find((a: { ip: string }) => a.ip === '192.0.2.10');
    expect(v.victim.distinctSources).toBe(15000);
    expect(v.victim.sampledSources).toBeGreaterThan(4096);
    expect(v.victim.sampledSources).toBeLessThanOrEqual(8192);
    expect(v.victim.spoofedShare).toBeGreaterThan(0.95);
    const text = await run('analyze', file);
    expect(text.stdout.split('\n')[1]).toBe('# degraded: sources of 1 victim(s) sampled (over 8,192; largest 15,000)');
    // The default (65 536) keeps them all.
    const exact = JSON.parse((await nocflow('analyze', file, '--json')).stdout);
    expect(exact.degraded).toBeUndefined();
    expect(exact.anomalies.find((a: { ip: string }) => a.ip === '192.0.2.10').victim.sampledSources).toBeUndefined();
  });
});

describe('nocflow analyze (built CLI)', () => {
  it('--json prints exactly one JSON document with the documented shape (generated scan)', async () => {
    const r = await nocflow('analyze', SCAN.file, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    // The native reader names the file's exporters with their sampling rates (1: unsampled); a whole file is not partial.
    expect(Object.keys(doc).sort()).toEqual(['anomalies', 'exporters', 'flows', 'window']);
    expect(doc.exporters.length).toBeGreaterThan(0);
    for (const e of doc.exporters) expect(e.samplingRate).toBeGreaterThanOrEqual(1);
    expect(doc.window.partial).toBeUndefined();
    expect(doc.window.timeSlot).toBe(Math.floor((doc.window.start + 150) / 300));
    expect(doc.window.end - doc.window.start).toBe(300);
    expect(doc.flows).toBe(SCAN.truth.flows);
    const v = doc.anomalies[0];
    for (const k of ['ip', 'role', 'type', 'severity', 'score', 'metrics', 'features', 'signature', 'evidence']) expect(v, k).toHaveProperty(k);
    for (const k of ['flows', 'packets', 'bytes', 'distinctPeers', 'distinctPorts']) expect(v.metrics).toHaveProperty(k);
    for (const k of ['protocols', 'dstPorts', 'packets', 'bytes', 'synOnlyShare', 'onePacket40Share', 'serverLike']) expect(v.features).toHaveProperty(k);
    expect(v).toMatchObject({ ip: SCAN.truth.planted[0].ip, type: 'scan', signature: SCAN.truth.planted[0].signature });
  });

  it('--inside switches to campus mode (generated beacon); bad prefixes are refused with a reason', async () => {
    const campus = await nocflow('analyze', BEACON.file, '--inside', '10.20.0.0/16', '--json');
    expect(JSON.parse(campus.stdout).anomalies.map((a: { ip: string; type: string }) => [a.ip, a.type])).toEqual([[BEACON.truth.planted[0].ip, 'cc-beacon']]);
    const backbone = await nocflow('analyze', BEACON.file, '--json');
    expect(JSON.parse(backbone.stdout).anomalies).toEqual([]);
    const bad = await nocflow('analyze', SCAN.file, '--inside', '147.32.0.300/16');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--inside: not an IP address or prefix/);
  });

  it('an unknown --threshold key (a typo) is refused, naming the nearest key; a known one changes the verdict', async () => {
    const typo = await nocflow('analyze', SCAN.file, '--threshold', 'scan.pears=10');
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr.trim()).toBe('nocflow: --threshold scan.pears: unknown threshold key (did you mean scan.peers?)');
    expect(typo.stdout).toBe('');
    // Above the scanner's 2000 destinations it is no longer a scan (it stays an `undefined` many-destinations host).
    const raised = await nocflow('analyze', SCAN.file, '--json', '--threshold', `scan.peers=${SCAN.truth.flows + 1}`);
    expect(JSON.parse(raised.stdout).anomalies.map((a: { type: string }) => a.type)).toEqual(['undefined']);
    const both = await nocflow('analyze', SCAN.file, '--json', '--threshold', `scan.peers=${SCAN.truth.flows + 1}`, '--threshold', `undefined.peers=${SCAN.truth.flows + 1}`);
    expect(JSON.parse(both.stdout).anomalies).toEqual([]);
  });

  it('prints alert texts in English and Traditional Chinese (generated scan)', async () => {
    const ip = SCAN.truth.planted[0].ip;
    const en = await nocflow('analyze', SCAN.file);
    expect(en.stdout).toContain(`※Attacker：${ip}`);
    expect(en.stdout).toContain('※Type: Scan or intrusion');
    expect(en.stdout).toContain(`distinct destinations in 5 minutes: ${SCAN.truth.flows.toLocaleString('en-US')} (threshold 1,000, ${(SCAN.truth.flows / 1000).toFixed(1)}×)`);
    const zh = await nocflow('--lang', 'zh-TW', 'analyze', SCAN.file);
    expect(zh.stdout).toContain(`※攻擊者：${ip}`);
    expect(zh.stdout).toContain('※異常類型：疑似大範圍掃瞄或入侵');
    expect(zh.stdout).toContain('SYN比例超過95%');
  });
});

describe.skipIf(!haveCaptures)(`nocflow analyze on real captures${haveCaptures ? '' : ` — skipped: ${CAPTURES_SKIP}`}`, () => {
  it('--json prints exactly one JSON document with the documented shape', async () => {
    const r = await nocflow('analyze', path.join(CAPTURES, 'pkt.TCP.DOMINATE.syn.ecn.cwr.ipfix.nfcapd'), '--json');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    // The native reader names the file's exporters with their sampling rates (1: unsampled); a whole file is not partial.
    expect(Object.keys(doc).sort()).toEqual(['anomalies', 'exporters', 'flows', 'window']);
    expect(doc.exporters.length).toBeGreaterThan(0);
    for (const e of doc.exporters) expect(e.samplingRate).toBeGreaterThanOrEqual(1);
    expect(doc.window.partial).toBeUndefined();
    expect(doc.window.timeSlot).toBe(Math.floor((doc.window.start + 150) / 300));
    expect(doc.window.end - doc.window.start).toBe(300);
    expect(doc.flows).toBeGreaterThan(9000);
    const v = doc.anomalies[0];
    for (const k of ['ip', 'role', 'type', 'severity', 'score', 'metrics', 'features', 'signature', 'entryPoints']) expect(v, k).toHaveProperty(k);
    for (const k of ['flows', 'packets', 'bytes', 'distinctPeers', 'distinctPorts']) expect(v.metrics).toHaveProperty(k);
    for (const k of ['protocols', 'dstPorts', 'packets', 'bytes', 'synOnlyShare', 'onePacket40Share', 'serverLike']) expect(v.features).toHaveProperty(k);
    expect(v.signature).toBe('30120-1-46');
  });

  it('--inside switches to campus mode; bad prefixes are refused with a reason', async () => {
    const ok = await nocflow('analyze', path.join(CAPTURES, 'test-cc-capture-1.ipfix.nfcapd'), '--inside', '147.32.0.0/16', '--json');
    expect(JSON.parse(ok.stdout).anomalies.map((a: { type: string }) => a.type)).toContain('cc-beacon');
    const bad = await nocflow('analyze', path.join(CAPTURES, 'synscan.ipfix.nfcapd'), '--inside', '147.32.0.300/16');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--inside: not an IP address or prefix/);
  });

  it('prints alert texts in English and Traditional Chinese', async () => {
    const f = path.join(CAPTURES, 'synscan.ipfix.nfcapd');
    const en = await nocflow('analyze', f);
    expect(en.stdout).toContain('※Attacker：172.16.0.8');
    expect(en.stdout).toContain('Scan or intrusion');
    expect(en.stdout).toMatch(/distinct destination ports in 5 minutes: 1,000 \(threshold 500, 2\.0×\)/);
    const zh = await nocflow('--lang', 'zh-TW', 'analyze', f);
    expect(zh.stdout).toContain('※異常類型：疑似大範圍掃瞄或入侵');
    expect(zh.stdout).toContain('SYN比例超過95%');
  });
});

describe('nocflow analyze refusals (built CLI)', () => {

  it('a missing or unreadable file exits non-zero with one line', async () => {
    const missing = await nocflow('analyze', '/nonexistent/nfcapd.202611221405');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-bad-'));
    const bad = path.join(dir, 'nfcapd.202611221405');
    fs.writeFileSync(bad, 'not a flow file at all, just text'.repeat(20));
    const r = await nocflow('analyze', bad);
    expect(r.exitCode).toBe(1);
    // The native reader (the default) names the first two bytes ("no" of "not a flow file").
    expect(r.stderr.trim()).toBe(`nocflow: cannot read ${bad}: not an nffile (bad magic 0x6e6f)`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help documents the options', async () => {
    const r = await nocflow('analyze', '--help');
    for (const o of ['--inside', '--top', '--json', '--window-seconds', '--threshold']) expect(r.stdout).toContain(o);
  });
});
