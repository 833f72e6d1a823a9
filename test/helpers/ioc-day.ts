/**
 * Generated IoC days (src/gen/ioc-day.ts) written through real nfcapd, cached under the OS temp dir by
 * (day, index, options, generator version) so repeated runs are fast. Built in a private directory, then renamed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeIocDay, type IocDayOptions } from '../../src/gen/index.js';
import { dayRange } from '../../src/ioc/days.js';

const GEN_VERSION = 1;

/** A day's directory (nfcapd files + ioc-list.txt) and its truth. */
export async function iocDayFixture(day: string, o: Omit<IocDayOptions, 'dayStart'> = {}): Promise<{ dir: string; files: string[]; listFile: string; truth: Awaited<ReturnType<typeof writeIocDay>>['truth'] }> {
  const key = `v${GEN_VERSION}-${day}-${o.dayIndex ?? 0}-${o.files ?? 4}-${o.noMass ? 'nomass' : 'mass'}-${o.familySwitchDay ?? 3}-${o.seed ?? 1}-${o.background ?? 500}-${new Date(dayRange(day).from).getTimezoneOffset()}`;
  const dir = path.join(os.tmpdir(), 'nocflow-fixtures', `ioc-${key}`);
  const meta = path.join(dir, 'truth.json');
  if (fs.existsSync(meta)) return JSON.parse(fs.readFileSync(meta, 'utf8'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-iocday-'));
  const r = await writeIocDay(tmp, { ...o, dayStart: dayRange(day).from });
  const out = { dir, files: r.files.map((f) => path.join(dir, path.basename(f))), listFile: path.join(dir, 'ioc-list.txt'), truth: r.truth };
  fs.writeFileSync(path.join(tmp, 'truth.json'), JSON.stringify(out));
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another test file built it first
  }
  return out;
}
