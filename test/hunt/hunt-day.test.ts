/**
 * A generated day of hourly nfcapd files (real nfcapd) with two botnets and their decoys, hunted end to end: the
 * catalogue from analysing each file, the exact members against the generator's plan, the decoys' places, near and
 * weak shapes, one read per file, nfdump as the oracle, and the CLI's JSON contract and zh-TW report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { makeHuntDay } from '../helpers/nfcapd.js';
import { runFilesHunt } from '../../src/hunt/run.js';
import { createNfdumpSource } from '../../src/ingest/nfdump/source.js';
import type { FlowReadOptions, FlowSource } from '../../src/engine/types.js';
import type { HuntDayTruth } from '../../src/gen/index.js';
import { openGeo, placeLabel } from '../../src/geo/geoip.js';

const bin = path.resolve('bin/nocflow.js');
let day: { dir: string; files: string[]; truth: HuntDayTruth };

/** A FlowSource that records every read (which files, with which options). */
function counting(): FlowSource & { reads: { files: string[]; opts?: FlowReadOptions }[] } {
  const inner = createNfdumpSource();
  const reads: { files: string[]; opts?: FlowReadOptions }[] = [];
  return { reads, read: (files, opts) => (reads.push({ files, opts }), inner.read(files, opts)) };
}

beforeAll(async () => {
  day = await makeHuntDay(1);
}, 180_000);

describe('hunting a generated day', () => {
  it('catalogue: the two botnets\' shapes with their loud attackers, the bare SYN shape kept as weak; ranked by strength', async () => {
    const src = counting();
    const r = await runFilesHunt(day.files, { source: src }, { knownServers: day.truth.knownServers });
    const t = day.truth;
    expect(r.catalogue.entries.map((e) => [e.signature, e.weak, [...e.attackers].sort()])).toEqual([
      ['1433-3-152', false, t.signatures['1433-3-152'].attackers],
      ['5060-1-437', false, t.signatures['5060-1-437'].attackers],
      ['1433-1-40', true, t.weak['1433-1-40'].attackers],
    ]);
    expect(r.catalogue.ports.map((p) => [p.port, p.entries.length])).toEqual([[1433, 2], [5060, 1]]);
    expect(r.analysed).toEqual(day.files);
    // No engine database: each file analysed once, then each file hunted once — never one pass per signature.
    expect(src.reads.map((x) => x.files)).toEqual([...day.files.map((f) => [f]), ...day.files.map((f) => [f])]);
    expect(src.reads.every((x) => x.opts?.filter === undefined)).toBe(true);
    expect(r.report.files).toBe(day.files.length);
    expect(r.report.flows).toBe(t.flows);
  }, 300_000);

  it('exact members, counts and times as planned; the decoys in their places', async () => {
    const r = await runFilesHunt(day.files, { source: createNfdumpSource() }, { knownServers: day.truth.knownServers });
    const t = day.truth;
    const a = r.report.signatures.find((s) => s.signature === '1433-3-152')!;
    const b = r.report.signatures.find((s) => s.signature === '5060-1-437')!;
    expect(a.members).toEqual(t.signatures['1433-3-152'].members);
    expect(b.members).toEqual(t.signatures['5060-1-437'].members);
    // The one-server client is a member with one destination: last.
    expect(a.members.at(-1)).toMatchObject({ ip: t.oneServerClient, destinations: 1 });
    // The SIP proxy answering from 5060 and the known server are nowhere, and counted.
    const all = r.report.signatures.flatMap((s) => s.members.map((m) => m.ip));
    for (const ip of [...t.notMembers.serverReply, ...t.notMembers.knownServer]) expect(all).not.toContain(ip);
    expect(b.serverReplyFlows).toBe(400 * 1);
    expect(a.knownServerFlows).toBe(50);
    // Near and weak shapes only when asked.
    expect(a.near).toBeUndefined();
    expect(all).not.toContain(t.near['1433-3-152'][0].ip);
    expect(all).not.toContain('61.160.1.1');
    const w = r.report.signatures.find((s) => s.signature === '1433-1-40')!;
    expect(w).toMatchObject({ weak: true, hunted: false, members: [] });
  }, 300_000);

  it('--near and --weak: near-shape members apart from exact ones; the bare SYN family when weak shapes are hunted', async () => {
    const r = await runFilesHunt(day.files, { source: createNfdumpSource() }, { knownServers: day.truth.knownServers, near: 4, includeWeak: true });
    const a = r.report.signatures.find((s) => s.signature === '1433-3-152')!;
    expect(a.members).toEqual(day.truth.signatures['1433-3-152'].members);
    expect(a.near).toEqual(day.truth.near['1433-3-152']);
    const w = r.report.signatures.find((s) => s.signature === '1433-1-40')!;
    expect(w.hunted).toBe(true);
    expect(w.members).toEqual(day.truth.weak['1433-1-40'].members);
  }, 300_000);

  it('agrees with nfdump on flows per source (the oracle)', async () => {
    const r = await runFilesHunt(day.files, { source: createNfdumpSource() }, {});
    const ours = new Map(r.report.signatures.find((s) => s.signature === '1433-3-152')!.members.map((m) => [m.ip, m.flows]));
    const range = `${path.basename(day.files[0])}:${path.basename(day.files.at(-1)!)}`;
    const out = await execa('nfdump', ['-R', range, '-q', '-A', 'srcip', '-o', 'fmt:%sa %fl', 'dst port 1433 and packets 3 and bytes 152'], { env: { TZ: 'UTC' }, cwd: day.dir });
    const theirs = new Map(out.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).map(([ip, n]) => [ip, Number(n)]));
    expect(theirs.size).toBeGreaterThan(5);
    // The known server was not excluded in this run (no knownServers): nfdump and nocflow see the same sources.
    expect(ours).toEqual(theirs);
  }, 300_000);
});

describe('nocflow hunt --auto (the CLI as scripts use it)', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-hunt-cli-'));
    env = { ...process.env, NOCFLOW_CONFIG_DIR: path.join(base, 'cfg'), NOCFLOW_DATA_DIR: path.join(base, 'data') };
    await execa('node', [bin, 'config', 'set', 'engine.knownServers', JSON.stringify(day.truth.knownServers)], { env });
  }, 300_000);

  it('--json prints one document in the contract\'s shape, members sorted by destinations', async () => {
    const r = await execa('node', [bin, 'hunt', '--auto', day.dir, '--json'], { env });
    const doc = JSON.parse(r.stdout) as { files: number; flows: number; signatures: { signature: string; port: number; packets: number; bytes: number; strength: number; weak: boolean; attackers: string[]; members: Record<string, unknown>[] }[] };
    expect(doc.files).toBe(day.files.length);
    expect(doc.flows).toBe(day.truth.flows);
    expect(doc.signatures.map((s) => s.signature)).toEqual(['1433-3-152', '5060-1-437', '1433-1-40']);
    const a = doc.signatures[0];
    expect(a).toMatchObject({ port: 1433, packets: 3, bytes: 152, weak: false });
    expect(typeof a.strength).toBe('number');
    expect([...a.attackers].sort()).toEqual(day.truth.signatures['1433-3-152'].attackers);
    expect(a.members).toEqual(day.truth.signatures['1433-3-152'].members);
    expect(Object.keys(a.members[0])).toEqual(['ip', 'destinations', 'flows', 'sourcePorts', 'files', 'firstSeen', 'lastSeen']);
    // Not a TTY: progress as plain lines on stderr, one per file and phase.
    expect(r.stderr.split('\n').filter((l) => /^hunt: \d+\/6 files/.test(l))).toHaveLength(6);
    // --auto without --save records nothing: no database was created.
    expect(fs.existsSync(path.join(env.NOCFLOW_DATA_DIR!, 'nocflow.db'))).toBe(false);
  }, 300_000);

  it('the report in Traditional Chinese, in the seeds\' form, with places from the shipped GeoIP data', async () => {
    const r = await execa('node', [bin, '--lang', 'zh-TW', 'hunt', '--auto', day.dir, '--no-progress'], { env });
    const geo = openGeo({ lang: 'zh-TW' });
    const at = (ip: string) => `${ip}(${placeLabel(geo.lookup(ip))})`;
    const lines = r.stdout.split('\n');
    const att = day.truth.signatures['1433-3-152'].attackers;
    expect(lines).toContain('Port 1433（MSSQL） | 發現特徵2種');
    expect(lines).toContain(`1＃1433-3-152：2個攻擊者：${['222.74.48.230', '218.4.133.202'].filter((x) => att.includes(x)).map(at).join(' ')}`);
    expect(lines).toContain(`2＃1433-1-40：1個攻擊者：${at('125.64.94.220')}`);
    expect(lines).toContain('Port 5060（SIP） | 發現特徵1種');
    expect(lines.some((l) => /^\s+來源IP\s+目標IP數量\s+Netflow筆數\s+來源Port數\s+檔案數\s+首見\s+末見\s+位置$/.test(l))).toBe(true);
    const row = lines.find((l) => l.trim().startsWith('1.170.36.229 '))!;
    expect(row.trim().split(/\s+/).slice(0, 5)).toEqual(['1.170.36.229', '280', '280', '280', '4']);
    expect(r.stdout).toContain('弱特徵');
    expect(lines[0]).toMatch(/^# 2026-11-22 特徵搜索（6 個檔案）：Netflow [\d,]+ 筆，特徵 3 種（1 種弱特徵未搜索）$/);
  }, 300_000);

  it('refuses unclear requests with a reason and exit code 2', async () => {
    for (const args of [['hunt', '--auto', day.dir, '--day', '2026-11-22'], ['hunt', '1433-3-152', '--auto', day.dir], ['hunt', '--day', '2026-13-01'], ['hunt', '--auto', day.dir, '--near', 'x'], ['hunt']]) {
      const r = await execa('node', [bin, ...args], { env, reject: false });
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 300_000);

  it('one signature by hand still works (nocflow hunt SIG FILES)', async () => {
    const r = await execa('node', [bin, 'hunt', '1433-3-152', day.dir, '--json'], { env });
    const doc = JSON.parse(r.stdout) as { sources: { ip: string; destinations: number }[] };
    expect(doc.sources[0]).toMatchObject({ ip: '222.74.48.230', destinations: 3000 });
    // Without the hunt's exclusions the known server is listed.
    expect(doc.sources.map((s) => s.ip)).toContain('198.51.100.61');
  }, 300_000);
});
