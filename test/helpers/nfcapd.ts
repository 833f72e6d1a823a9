/**
 * Test helpers around real nfcapd: scenario files made through the real collector, cached by
 * (scenario, seed, scale, protocol, generator version) under the OS temp dir so repeated runs are fast.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeScenarioFile, type ScenarioName, type Truth } from '../../src/gen/index.js';
export { startNfcapd } from '../../src/gen/nfcapd.js';

/** Bump when scenario generation changes, so caches are rebuilt. */
const GEN_VERSION = 4;

/** A closed nfcapd file for a scenario, with its truth. The window starts 2026-11-22 14:05 UTC. */
export async function makeScenarioFile(scenario: ScenarioName, opts: { seed?: number; scale?: number; protocol?: 'ipfix' | 'v9' } = {}): Promise<{ file: string; truth: Truth }> {
  const seed = opts.seed ?? 1;
  const scale = opts.scale ?? 1;
  const protocol = opts.protocol ?? 'ipfix';
  const dir = path.join(os.tmpdir(), 'nocflow-fixtures', `v${GEN_VERSION}-${scenario}-${seed}-${scale}-${protocol}`);
  const file = path.join(dir, 'nfcapd.202611221405');
  const truthFile = `${file}.truth.json`;
  if (fs.existsSync(file) && fs.existsSync(truthFile)) return { file, truth: JSON.parse(fs.readFileSync(truthFile, 'utf8')) as Truth };
  // Build into a private temp name, then rename: parallel test files never see a half-written fixture.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-fixture-'));
  const r = await writeScenarioFile(scenario, path.join(tmp, 'nfcapd.202611221405'), { seed, scale, protocol });
  fs.mkdirSync(dir, { recursive: true });
  fs.renameSync(`${r.file}.truth.json`, truthFile);
  fs.renameSync(r.file, file);
  return { file, truth: r.truth };
}

/** Bump when the hunt-day generator changes. */
const HUNT_DAY_VERSION = 1;

/**
 * A generated hunt day (src/gen/hunt-day.ts) as hourly nfcapd files written by real nfcapd, cached like the scenario
 * files. Day 1 (variant 1) is 2026-11-22, day 2 (variant 2) 2026-11-23.
 */
export async function makeHuntDay(variant: 1 | 2): Promise<{ dir: string; files: string[]; truth: import('../../src/gen/index.js').HuntDayTruth }> {
  const { writeHuntDay } = await import('../../src/gen/index.js');
  const day = Date.UTC(2026, 10, 21 + variant);
  const dir = path.join(os.tmpdir(), 'nocflow-fixtures', `hunt-day-v${HUNT_DAY_VERSION}-${variant}`);
  const truthFile = path.join(dir, 'hunt-day.truth.json');
  const list = () => fs.readdirSync(dir).filter((n) => n.startsWith('nfcapd.')).sort().map((n) => path.join(dir, n));
  if (fs.existsSync(truthFile)) return { dir, files: list(), truth: JSON.parse(fs.readFileSync(truthFile, 'utf8')) };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-fixture-'));
  await writeHuntDay(tmp, { day, variant });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another test file built it first
  }
  return { dir, files: list(), truth: JSON.parse(fs.readFileSync(truthFile, 'utf8')) };
}
