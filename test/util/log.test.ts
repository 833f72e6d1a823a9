/** The engine's log lines: level and component on every line, journal priorities only when stderr is the journal. */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { createLogger, formatLogLine, isJournalStream } from '../../src/util/log.js';

const T = Date.UTC(2026, 10, 22, 14, 5, 0);

describe('formatLogLine', () => {
  it('journal: the syslog priority prefix and the component, no timestamp', () => {
    const table: [Parameters<typeof formatLogLine>[0]['level'], string][] = [['error', '<3>'], ['warn', '<4>'], ['notice', '<5>'], ['info', '<6>'], ['debug', '<7>']];
    for (const [level, prefix] of table) expect(formatLogLine({ level, component: 'flowspec', message: 'm', time: T, style: 'journal' })).toBe(`${prefix}flowspec: m`);
  });
  it('plain: an ISO timestamp, the level and the component', () => {
    expect(formatLogLine({ level: 'warn', component: 'runner', message: 'failed x', time: T, style: 'plain' })).toBe('2026-11-22T14:05:00.000Z warn runner: failed x');
  });
  it('one event, one line: newlines folded, control characters from the network stripped', () => {
    const line = formatLogLine({ level: 'info', component: 'devices', message: 'banner\r\nline two\n\x1b[31mred\x1b[0m', time: T, style: 'journal' });
    expect(line).not.toMatch(/[\n\r\x1b]/);
    expect(line).toBe('<6>devices: banner | line two | red');
  });
});

describe('createLogger', () => {
  it('children carry their component; levels below the minimum are dropped', () => {
    const out: string[] = [];
    const log = createLogger('engine', { write: (l) => out.push(l), now: () => T, style: 'journal', minLevel: 'info' });
    log.info('a');
    log.child('flowspec').warn('b');
    log.debug('hidden');
    expect(out).toEqual(['<6>engine: a', '<4>flowspec: b']);
  });
});

describe('isJournalStream', () => {
  it('is true only for the descriptor JOURNAL_STREAM names (device:inode), not for the variable alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-log-'));
    const file = path.join(dir, 'stderr');
    const fd = fs.openSync(file, 'w');
    const st = fs.fstatSync(fd);
    const code = `import('${path.resolve(__dirname, '../../dist/src/util/log.js')}').then((m) => { m.createLogger('engine').warn('x'); })`;
    await execa(process.execPath, ['-e', code], { stderr: fd, env: { JOURNAL_STREAM: `${st.dev}:${st.ino}` } });
    await execa(process.execPath, ['-e', code], { stderr: fd, env: { JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` } });
    fs.closeSync(fd);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('<4>engine: x');
    expect(lines[1]).toMatch(/^\d{4}-.*Z warn engine: x$/);
    expect(isJournalStream(1, {})).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
