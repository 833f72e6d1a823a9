/**
 * The runner with the native reader on generated files: a file cut short becomes a window marked partial (in the
 * event, with the reader's counters, and in the store, read back after a restart); a file whose stat record counts
 * flows but whose blocks hold none, or with too many inconsistent records, is a failed file with the reason, never an
 * empty or silently thinned window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngineRunner, type EngineEvent } from '../../src/ingest/runner.js';
import { createNativeSource } from '../../src/ingest/nffile/source.js';
import { openDb, type Db } from '../../src/store/db.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { engineDefaults } from '../../src/config/sections/engine.js';
import { blockMap } from './nffile/build.js';
import { BACKGROUND_FLOWS, floodFile } from '../helpers/pipeline-window.js';

const dbs: Db[] = [];
afterEach(() => {
  while (dbs.length) dbs.pop()!.close();
});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-runp-'));

function setup(dir: string, dbFile: string) {
  const db = openDb(dbFile);
  dbs.push(db);
  const store = new EngineStore(db);
  const runner = createEngineRunner({ ...engineDefaults, nfcapdDir: dir, pollSeconds: 0.05, retentionDays: 0 }, { store, source: createNativeSource(), now: () => Date.UTC(2026, 10, 22, 14, 30) });
  const events: EngineEvent[] = [];
  runner.on((e) => events.push(e));
  return { store, runner, events };
}

describe('engine runner, native reader: partial and empty files', () => {
  it('stores a cut-short file as a partial window with the intact blocks, and says so in its event', async () => {
    const full = await floodFile();
    const bytes = fs.readFileSync(full);
    const blocks = blockMap(bytes);
    const dir = tmp();
    fs.copyFileSync(full, path.join(dir, 'nfcapd.202611221400'));
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), bytes.subarray(0, blocks[2].end + 40));
    const dbFile = path.join(tmp(), 'nocflow.db');
    const a = setup(dir, dbFile);
    expect(await a.runner.processOnce()).toBe(2);
    const windows = a.events.filter((e): e is Extract<EngineEvent, { kind: 'window' }> => e.kind === 'window');
    expect(windows.map((w) => path.basename(w.file))).toEqual(['nfcapd.202611221400', 'nfcapd.202611221405']);
    const [whole, cut] = windows;
    expect(whole.result.partial).toBeUndefined();
    expect(whole.read).toMatchObject({ reader: 'native', records: BACKGROUND_FLOWS + 1500, skippedRecords: 0, blocks: blocks.length, blocksExpected: blocks.length });
    expect(cut.result.partial).toEqual({ reason: expect.stringMatching(/^block 4 of \d+: /), blocksRead: 3, blocksExpected: blocks.length });
    expect(cut.read?.partial).toEqual(cut.result.partial);
    expect(cut.result.flows).toBe(cut.read?.records);
    expect(cut.result.flows).toBeLessThan(whole.result.flows);
    expect([...(whole.result.exporters ?? [])].map((e) => `${e.ip} 1:${e.samplingRate}`).sort()).toEqual(['127.0.0.2 1:1', '127.0.0.3 1:1', '127.0.0.4 1:1']);
    expect(a.runner.stats.failed).toBe(0);

    // In the store, read back by another engine on the same database.
    const b = setup(dir, dbFile);
    const rows = b.store.listWindows();
    const byFile = new Map(rows.map((r) => [path.basename(r.file), r]));
    expect(byFile.get('nfcapd.202611221405')?.partial).toEqual(cut.result.partial);
    expect(byFile.get('nfcapd.202611221400')?.partial).toBeUndefined();
    const stored = b.store.getWindow(byFile.get('nfcapd.202611221405')!.id);
    expect(stored?.partial).toEqual(cut.result.partial);
    expect(stored?.exporters).toEqual(cut.result.exporters);
    expect(b.store.latestWindow()?.partial).toEqual(cut.result.partial);
  });

  it('fails a file whose stat record counts flows when no flow could be decoded, with the counters in the event', async () => {
    const full = await floodFile();
    const bytes = Buffer.from(fs.readFileSync(full));
    const blocks = blockMap(bytes);
    // Every data block's records declared as an unknown type (the stat record in the appendix still counts them).
    for (const b of blocks) {
      for (let off = b.start + 12, i = 0; i < b.numRecords; i++) {
        const size = bytes.readUInt16LE(off + 2);
        if (bytes.readUInt16LE(off) === 11) bytes.writeUInt16LE(0x7777, off);
        off += size;
      }
    }
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221400'), bytes);
    const a = setup(dir, path.join(tmp(), 'nocflow.db'));
    expect(await a.runner.processOnce()).toBe(1);
    expect(a.events.filter((e) => e.kind === 'window')).toEqual([]);
    const err = a.events.find((e): e is Extract<EngineEvent, { kind: 'file-error' }> => e.kind === 'file-error');
    expect(err?.reason).toBe(`no flow decoded, the stat record counts ${BACKGROUND_FLOWS + 1500}`);
    expect(err?.read).toMatchObject({ records: 0, unknownRecordTypes: BACKGROUND_FLOWS + 1500 });
    expect(a.store.fileStatus(path.join(dir, 'nfcapd.202611221400'))).toBe('failed');
    expect(a.store.listWindows()).toEqual([]);
    expect(a.runner.stats).toMatchObject({ processed: 0, failed: 1 });
  });

  it('fails a file with more than a tenth of its records inconsistent, naming how many; a few are counted and the window kept', async () => {
    const full = await floodFile();
    const damaged = (every: number) => {
      const bytes = Buffer.from(fs.readFileSync(full));
      let k = 0;
      for (const b of blockMap(bytes)) {
        for (let off = b.start + 12, i = 0; i < b.numRecords; i++) {
          const size = bytes.readUInt16LE(off + 2);
          // A flow record claiming more elements than it holds: its elements do not add up.
          if (bytes.readUInt16LE(off) === 11 && k++ % every === 0) bytes.writeUInt16LE(0xffff, off + 4);
          off += size;
        }
      }
      return bytes;
    };
    const total = BACKGROUND_FLOWS + 1500;
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221400'), damaged(4)); // 25 %
    fs.writeFileSync(path.join(dir, 'nfcapd.202611221405'), damaged(100)); // 1 %
    const a = setup(dir, path.join(tmp(), 'nocflow.db'));
    expect(await a.runner.processOnce()).toBe(2);
    const err = a.events.find((e): e is Extract<EngineEvent, { kind: 'file-error' }> => e.kind === 'file-error');
    expect(path.basename(err!.file)).toBe('nfcapd.202611221400');
    expect(err!.reason).toBe(`${total / 4} of ${total} records skipped as inconsistent`);
    expect(err!.read).toMatchObject({ skippedRecords: total / 4, records: total - total / 4 });
    const win = a.events.find((e): e is Extract<EngineEvent, { kind: 'window' }> => e.kind === 'window');
    expect(path.basename(win!.file)).toBe('nfcapd.202611221405');
    expect(win!.read?.skippedRecords).toBe(total / 100);
    expect(win!.result.flows).toBe(total - total / 100);
    expect(a.store.fileStatus(path.join(dir, 'nfcapd.202611221400'))).toBe('failed');
  });
});
