import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUnreadable, reviveTableReport, tableNotes, tableReport, tableWarnings } from '../../src/devices/table-report.js';
import { parseTable } from '../../src/devices/parsers.js';

const fx = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');

describe('the unreadable verdict', () => {
  it.each([
    [{ entries: 10, lines: 14, skipped: 0 }, false],
    [{ entries: 0, lines: 6, skipped: 0 }, false], // an empty switch: headers only
    [{ entries: 10, lines: 16, skipped: 2 }, false], // a banner and a cut-off line
    [{ entries: 4, lines: 14, skipped: 8 }, true], // most lines skipped
    [{ entries: 7, lines: 14, skipped: 7 }, false], // exactly half is not most
    [{ entries: 0, lines: 8, skipped: 1 }, true], // nothing read while something was not
  ])('%j → %s', (r, want) => expect(isUnreadable(r)).toBe(want));
});

describe('table reports', () => {
  it('a readable table: counts, layouts, the device\'s own count, no warning', () => {
    const r = tableReport('mac', 'show mac address-table', parseTable('eos', 'mac', fx('eos-mac-static-multiport.txt')));
    expect(r).toEqual({ table: 'mac', command: 'show mac address-table', refused: false, entries: 7, lines: 17, skipped: 0, skippedSamples: [], layouts: ['ios'], declared: 7, unreadable: false });
    expect(tableWarnings(r)).toEqual([]);
    expect(tableNotes([r])).toEqual([]);
  });

  it('a table in a layout nocflow does not read is reported unreadable, with a sample', () => {
    const r = tableReport('mac', 'show mac address-table', parseTable('ios', 'mac', fx('ios-mac-catos-unreadable.txt')));
    expect([r.unreadable, r.entries, r.skipped, r.lines]).toEqual([true, 0, 9, 10]);
    expect(tableWarnings(r)).toEqual([
      'mac table mostly unreadable: 9 of 10 lines skipped, 0 entries read (no known layout), e.g. "* = Static Entry. + = Permanent Entry. # = System Entry. R = Router Entry."',
    ]);
    expect(tableNotes([r])).toEqual([
      'mac: 9 of 10 lines skipped ("show mac address-table"): "* = Static Entry. + = Permanent Entry. # = System Entry. R …" · "X = Port Security Entry $ = Dot1x Security Entry" · "VLAN  Dest MAC/Route Des    [CoS]  Destination Ports or VCs…"',
      '! mac table mostly unreadable: 9 of 10 lines skipped, 0 entries read (no known layout)',
    ]);
  });

  it('a refused command, and fewer entries than the device counted', () => {
    const refused = tableReport('mac', 'show mac-address-table', parseTable('ios', 'mac', "        ^\n% Invalid input detected at '^' marker."), true);
    expect(refused.unreadable).toBe(true);
    expect(tableWarnings(refused)).toEqual(['mac table: the device refused "show mac-address-table", e.g. "^"']);
    const short = fx('ios-mac-c3750-vlan-all.txt').replace(' All    0180.c200.0003    STATIC      CPU', ' All    0180.c200.00');
    const r = tableReport('mac', 'show mac address-table', parseTable('ios', 'mac', short));
    expect([r.unreadable, r.entries, r.declared, r.skipped]).toEqual([false, 11, 12, 1]);
    expect(tableWarnings(r)).toEqual(['mac table: the device counted 12 entries, 11 read']);
    expect(tableNotes([r])[0]).toBe('mac: 1 of 17 lines skipped ("show mac address-table", read as ios): "All    0180.c200.00"');
  });

  it('reads stored reports back defensively', () => {
    const r = tableReport('arp', 'show arp', parseTable('ios', 'arp', fx('ios-arp-seed-l3switch.txt')));
    expect(reviveTableReport(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(reviveTableReport({ table: 'mac', entries: 'x' })).toEqual({ table: 'mac', command: '', refused: false, entries: 0, lines: 0, skipped: 0, skippedSamples: [], layouts: [], unreadable: false });
    expect([reviveTableReport(null), reviveTableReport({ table: 'cam' })]).toEqual([undefined, undefined]);
  });
});
