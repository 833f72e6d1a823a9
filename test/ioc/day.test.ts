import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { IOC_DAY, nfcapdName } from '../../src/gen/index.js';
import { dayRange } from '../../src/ioc/days.js';
import { CATEGORY_POINTS, SEEN_POINTS } from '../../src/ioc/remotes.js';
import { iocDayFixture } from '../helpers/ioc-day.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/nocflow.js');
const DAY = '2026-11-22';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-iocrun-'));
const env = { NOCFLOW_CONFIG_DIR: path.join(home, 'cfg'), NOCFLOW_DATA_DIR: path.join(home, 'data') };
const nocflow = (...args: string[]) => execa('node', [BIN, ...args], { env, reject: false });

/** nfdump's own count of the flows touching `ip` over the files (the oracle). */
async function nfdumpCount(files: string[], ip: string): Promise<number> {
  let n = 0;
  for (const f of files) {
    const r = await execa('nfdump', ['-r', f, '-q', '-o', 'pipe', `host ${ip}`], { env: { TZ: 'UTC' } });
    n += r.stdout.split('\n').filter((l) => /^\d+\|/.test(l)).length; // 'No matching flows' is printed too
  }
  return n;
}

type Doc = {
  day: string;
  list: { entries: number; invalid: number; duplicates: number; mapped: number };
  iocs: { ip: string; totalFlows: number; remotes: number; class: string }[];
  remotes: { ip: string; iocs: string[]; score: number; categories: string[]; today: string[]; daysSeen: number; inside: boolean; unit?: string }[];
};

let fx: Awaited<ReturnType<typeof iocDayFixture>>;
let doc: Doc;

beforeAll(async () => {
  fx = await iocDayFixture(DAY);
  await nocflow('config', 'set', 'engine.inside', JSON.stringify(IOC_DAY.insidePrefixes));
  await nocflow('config', 'set', 'engine.units', JSON.stringify([{ prefix: '10.20.0.0/16', name: 'NCKU' }]));
  const r = await nocflow('ioc', 'run', '--list', fx.listFile, '--files', fx.dir, '--json');
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  doc = JSON.parse(r.stdout) as Doc;
}, 180_000);

describe('nocflow ioc run over a generated day (real nfcapd files)', () => {
  it('counts the list: valid distinct entries, malformed lines, duplicates (an IPv4-mapped line is its IPv4)', () => {
    expect(doc.day).toBe(DAY);
    expect(doc.list.entries).toBe(fx.truth.entries);
    expect(doc.list.invalid).toBe(fx.truth.invalidLines);
    expect(doc.list.duplicates).toBe(fx.truth.duplicateLines);
    expect(doc.list.mapped).toBe(1);
    expect(doc.iocs.map((i) => i.ip).sort()).toEqual(Object.keys(fx.truth.classes).sort());
  });

  it('classes every IoC as the scenario planted it', () => {
    const got = Object.fromEntries(doc.iocs.map((i) => [i.ip, i.class]));
    expect(got).toEqual(fx.truth.classes);
  });

  it("totals are exact: nfdump's own count of 'host X' for every IoC", async () => {
    for (const i of doc.iocs) expect(i.totalFlows, i.ip).toBe(await nfdumpCount(fx.files, i.ip));
    expect(doc.iocs.find((i) => i.ip === IOC_DAY.mass)!.totalFlows).toBeGreaterThan(10_000);
  }, 120_000);

  it('remotes: the inside hosts check in with the relays, the SSH server is an APT target, check-in signers are flagged', () => {
    const by = new Map(doc.remotes.map((r) => [r.ip, r]));
    for (const [ip, cats] of Object.entries(fx.truth.categories)) {
      const r = by.get(ip);
      expect(r, ip).toBeDefined();
      for (const c of cats) expect(r!.categories, ip).toContain(c);
    }
    expect(by.get(IOC_DAY.aptTarget)!.categories).not.toContain('relay-check-in');
    for (const h of IOC_DAY.inside) {
      expect(by.get(h)!.inside).toBe(true);
      expect(by.get(h)!.unit).toBe('NCKU');
      expect(by.get(h)!.categories).not.toContain('apt-target');
    }
    const signers = doc.remotes.filter((r) => r.iocs.includes(IOC_DAY.checkIn));
    expect(signers).toHaveLength(40);
    for (const s of signers) expect(s.today).toContain('check-in');
  });

  it('remotes of dropped IoCs (mass, wide scan, DoS) are not analysed', () => {
    for (const dropped of [IOC_DAY.mass, IOC_DAY.wide, IOC_DAY.dos]) expect(doc.remotes.filter((r) => r.iocs.includes(dropped))).toEqual([]);
    expect(doc.remotes.find((r) => r.ip === IOC_DAY.dosVictim)).toBeUndefined();
  });

  it("scores are the day's points from the category table", () => {
    for (const r of doc.remotes) {
      const expected = SEEN_POINTS + r.today.reduce((s, c) => s + CATEGORY_POINTS[c as keyof typeof CATEGORY_POINTS], 0);
      expect(r.score, r.ip).toBe(expected);
      expect(r.daysSeen).toBe(1);
    }
    const relay = doc.remotes.find((r) => r.ip === IOC_DAY.inside[0])!;
    expect(relay.score).toBeGreaterThan(doc.remotes.find((r) => r.iocs.includes(IOC_DAY.checkIn))!.score);
  });

  it('running the same day again replaces it: same scores, one verdict per address', async () => {
    const r = await nocflow('ioc', 'run', '--list', fx.listFile, '--files', fx.dir, '--json');
    const again = JSON.parse(r.stdout) as Doc;
    expect(again.remotes.map((x) => [x.ip, x.score, x.daysSeen])).toEqual(doc.remotes.map((x) => [x.ip, x.score, x.daysSeen]));
    const rep = JSON.parse((await nocflow('ioc', 'report', '--day', DAY, '--days', '30', '--limit', '1000', '--json')).stdout) as { remotes: { ip: string }[] };
    expect(rep.remotes).toHaveLength(doc.remotes.length);
    expect(new Set(rep.remotes.map((x) => x.ip)).size).toBe(doc.remotes.length);
  }, 120_000);

  it('speaks English and Traditional Chinese', async () => {
    const en = await nocflow('ioc', 'run', '--list', fx.listFile, '--files', fx.dir, '--dry-run');
    expect(en.stdout).toMatch(/list of 10 valid addresses \(5 malformed, 2 duplicates/);
    expect(en.stdout).toContain('checks in with a relay');
    const zh = await nocflow('--lang', 'zh-TW', 'ioc', 'run', '--list', fx.listFile, '--files', fx.dir, '--dry-run');
    expect(zh.stdout).toContain('向中繼站簽到');
    expect(zh.stdout).toContain('APT攻擊目標');
    expect(zh.stdout).toContain('清單 10 筆有效位址');
  }, 120_000);

  it('nocflow gen ioc-day writes such a day and its list for an operator to try', async () => {
    const out = path.join(home, 'gen');
    const r = await nocflow('gen', 'ioc-day', '--dir', out, '--day', '2026-11-23');
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const names = [0, 1, 2, 3].map((k) => nfcapdName(dayRange('2026-11-23').from + k * 21_600_000));
    expect(lines.map((l) => path.basename(l))).toEqual([...names, 'ioc-list.txt']);
    for (const l of lines) expect(fs.statSync(l).size).toBeGreaterThan(0);
    expect(fs.readFileSync(lines[4], 'utf8')).toBe(fs.readFileSync(fx.listFile, 'utf8'));
    expect((await nocflow('gen', 'ioc-day')).stderr).toMatch(/ioc-day needs --dir/);
  }, 120_000);

  it('refuses bad input with one line', async () => {
    const noList = await nocflow('ioc', 'run', '--files', fx.dir, '--day', '2026-01-01', '--dry-run');
    expect(noList.exitCode).toBe(1);
    expect(noList.stderr.trim()).toMatch(/^nocflow: no IoC list for 2026-01-01/);
    const badDay = await nocflow('ioc', 'run', '--files', fx.dir, '--day', '2026-13-01');
    expect(badDay.exitCode).toBe(2);
    const missing = await nocflow('ioc', 'run', '--list', '/nonexistent/list.txt', '--files', fx.dir, '--dry-run');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
