import { describe, expect, it } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import { App, ALL_COMMANDS, helpLines, type Backend } from '../../src/tui/app.js';
import { SCREENS } from '../../src/tui/screens/index.js';
import { initialState, listTargets, reduce } from '../../src/tui/state.js';
import { actionFor, complete, hints, scopesOf } from '../../src/views/keymap.js';
import type { WindowRow } from '../../src/store/engine-store.js';

const rowsOf = (n: number): WindowRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: 100 - i, file: `/var/cache/nfdump/nfcapd.2026112214${String(55 - 5 * i).padStart(2, '0')}`, timeSlot: 5984521 - i,
    start: 1795356150 - 300 * i, end: 1795356450 - 300 * i, flows: 1000 * (i + 1), packets: 1, bytes: 1, distinctIps: 1, anomalyCount: i, createdAt: 0,
  }));

function backendWith(rows: WindowRow[]) {
  const calls: { method: string; params: unknown }[] = [];
  const listeners = new Map<string, ((d: unknown) => void)[]>();
  const backend: Backend = {
    async call<T>(method: string, params?: unknown): Promise<T> {
      calls.push({ method, params });
      if (method === 'windows.list') return rows as T;
      if (method === 'windows.latest') return null as T;
      if (method === 'windows.get') {
        const id = (params as { id: number }).id;
        const r = rows.find((w) => w.id === id)!;
        return { window: { timeSlot: r.timeSlot, start: r.start, end: r.end }, flows: r.flows, packets: 1, bytes: 1, distinctIps: 1, anomalies: [] } as T;
      }
      throw Object.assign(new Error(`unknown method ${method}`), { code: 'NO_METHOD' });
    },
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return () => undefined;
    },
  };
  return { backend, calls, emit: (e: string, d: unknown) => (listeners.get(e) ?? []).forEach((f) => f(d)) };
}

const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
const type = async (r: ReturnType<typeof render>, keys: string[]) => {
  for (const k of keys) {
    r.stdin.write(k);
    await tick(15);
  }
};

describe('registered screens', () => {
  it('a list screen: its command opens it, j moves, Space marks, Enter acts on the row, Esc goes back', async () => {
    const { backend, calls } = backendWith(rowsOf(5));
    const r = render(<App backend={backend} lang="en" size={{ w: 80, h: 24 }} />);
    await tick();
    await type(r, [':', 'w', 'i', 'n', 'd', 'o', 'w', 's', '\r']);
    await tick();
    let frame = r.lastFrame()!;
    expect(frame).toContain('Stored windows');
    expect(frame).toContain('nfcapd.202611221455');
    expect(calls.filter((c) => c.method === 'windows.list')).toHaveLength(1);
    await type(r, ['j', 'j', '\r']);
    await tick();
    // The third row (id 98) was asked for, and the screen went back to the top list showing that window.
    expect(calls.filter((c) => c.method === 'windows.get').map((c) => c.params)).toEqual([{ id: 98 }]);
    frame = r.lastFrame()!;
    expect(frame).toContain('HISTORY');
    expect(frame).not.toContain('Stored windows');
    r.unmount();
  });

  it('its command is completed by Tab, listed in help, and unknown commands name every command', () => {
    expect(complete('win', ALL_COMMANDS)).toBe('window');
    expect(complete('windo', ALL_COMMANDS)).toBe('window');
    expect(complete('windows', ALL_COMMANDS)).toBe('windows ');
    expect(helpLines('en').some((l) => l.startsWith(':windows'))).toBe(true);
    expect(helpLines('zh-TW').some((l) => l.includes('已存的時段'))).toBe(true);
    for (const d of SCREENS) expect(ALL_COMMANDS.map((c) => c.name)).toContain(d.command!.name);
  });

  it('keys resolve in the screen, then list / screen, then global', () => {
    expect(scopesOf('windows', { list: true })).toEqual(['windows', 'list', 'screen']);
    expect(actionFor('j', scopesOf('windows', { list: true }))?.id).toBe('down');
    expect(actionFor('return', scopesOf('windows', { list: true }))?.id).toBe('open');
    expect(actionFor('escape', scopesOf('windows', {}))?.id).toBe('back');
    expect(actionFor('j', scopesOf('windows', {}))).toBeUndefined(); // not a list: j does nothing
    expect(actionFor('q', ['windows', 'screen'])?.id).toBe('quit');
    expect(hints(scopesOf('windows', { list: true }), 'en').map((h) => h.key)).toContain('Esc');
  });

  it('the reducer keeps the cursor and marks on row keys across reloads', () => {
    let s = { ...initialState('en'), stack: ['top', 'windows'] };
    s = reduce(s, { t: 'screenData', id: 'windows', data: {}, rows: ['a', 'b', 'c'] });
    s = reduce(s, { t: 'move', by: 1 });
    s = reduce(s, { t: 'toggleMark' }); // marks b, cursor to c
    expect(listTargets(s, 'windows')).toEqual(['b']);
    expect(s.lists.windows.selected).toBe(2);
    s = reduce(s, { t: 'screenData', id: 'windows', data: {}, rows: ['z', 'c', 'b'] });
    expect(s.lists.windows.keys[s.lists.windows.selected]).toBe('c');
    expect([...s.lists.windows.marks]).toEqual(['b']);
    s = reduce(s, { t: 'screenData', id: 'windows', data: {}, rows: ['z'] });
    expect(s.lists.windows.marks.size).toBe(0);
    expect(s.lists.windows.selected).toBe(0);
    s = reduce(s, { t: 'moveTo', index: 'last' });
    expect(s.lists.windows.selected).toBe(0);
  });
});
