/** The TUI reducer, pure: no terminal, no engine. */
import { describe, expect, it } from 'vitest';
import { actionTargets, blockTargets, initialState, reduce, screenOf, selectedAnomaly, visibleRows, type Msg, type State, type ViewAnomaly, type ViewWindow } from '../../src/tui/state.js';

const a = (i: number, p: Partial<ViewAnomaly> = {}): ViewAnomaly => ({
  ip: `198.51.100.${i}`, role: 'attacker', type: 'scan', severity: 'over', score: 100 - i,
  metrics: { flows: i * 10, packets: 1, bytes: 1000 - i, distinctPeers: i % 3, distinctPorts: 1 },
  features: { protocols: [], dstPorts: [], packets: [], bytes: [], tcpFlags: [], distinct: { protocols: 0, dstPorts: 0, packets: 0, bytes: 0 }, synOnlyShare: 0, onePacket40Share: 0, serverLike: null, clientPortShare: 0, serverPortShare: 0 },
  evidence: [], ...p,
});
const win = (slot: number, xs: ViewAnomaly[]): ViewWindow => ({ window: { timeSlot: slot, start: 0, end: 1 }, flows: 1, packets: 1, bytes: 1, distinctIps: 1, anomalies: xs });
const run = (s: State, ...ms: Msg[]) => ms.reduce(reduce, s);
const live = (w: ViewWindow): Msg => ({ t: 'window', window: w, live: true });

describe('TUI reducer', () => {
  it('the cursor follows its IP when a new window reorders the list', () => {
    let s = run(initialState('en'), live(win(1, [a(1), a(2), a(3)])), { t: 'move', by: 2 });
    expect(selectedAnomaly(s)?.ip).toBe('198.51.100.3');
    s = reduce(s, live(win(2, [a(3, { score: 1000 }), a(1), a(2)])));
    expect(selectedAnomaly(s)?.ip).toBe('198.51.100.3');
    expect(s.selected).toBe(0);
  });

  it('pause holds live windows until resume; travelling back ignores live ones until :window live', () => {
    let s = run(initialState('en'), live(win(1, [a(1)])), { t: 'togglePause' }, live(win(2, [a(2)])));
    expect(s.window?.window.timeSlot).toBe(1);
    s = reduce(s, { t: 'togglePause' });
    expect(s.window?.window.timeSlot).toBe(2);
    s = run(s, { t: 'window', window: win(0, [a(9)]), live: false }, live(win(3, [a(3)])));
    expect(s.travelled).toBe(true);
    expect(s.window?.window.timeSlot).toBe(0);
    s = run(s, { t: 'goLive' }, live(win(3, [a(3)])));
    expect(s.window?.window.timeSlot).toBe(3);
  });

  it('sort cycles score → flows → peers → bytes, each descending', () => {
    let s = reduce(initialState('en'), live(win(1, [a(1), a(2), a(3), a(4)])));
    expect(visibleRows(s).map((x) => x.ip.split('.')[3])).toEqual(['1', '2', '3', '4']);
    s = reduce(s, { t: 'cycleSort' });
    expect(s.sort).toBe('flows');
    expect(visibleRows(s).map((x) => x.ip.split('.')[3])).toEqual(['4', '3', '2', '1']);
    s = reduce(s, { t: 'cycleSort' });
    expect(visibleRows(s).map((x) => x.metrics.distinctPeers)).toEqual([2, 1, 1, 0]);
    s = run(s, { t: 'cycleSort' }, { t: 'cycleSort' });
    expect(s.sort).toBe('score');
  });

  it('marks select the action targets; without marks the selected row is the target', () => {
    let s = reduce(initialState('en'), live(win(1, [a(1), a(2), a(3)])));
    expect(actionTargets(s).map((x) => x.ip)).toEqual(['198.51.100.1']);
    s = run(s, { t: 'toggleMark' }, { t: 'move', by: 1 }, { t: 'toggleMark' });
    expect(actionTargets(s).map((x) => x.ip)).toEqual(['198.51.100.1', '198.51.100.3']);
    s = run(s, { t: 'moveTo', index: 'first' }, { t: 'toggleMark' });
    expect(actionTargets(s).map((x) => x.ip)).toEqual(['198.51.100.3']);
  });

  it('false positives can be hidden; the filter matches IP, type, unit, signature', () => {
    let s = reduce(initialState('en'), live(win(1, [a(1, { verdict: { reason: 'cdn', who: 'x' } }), a(2, { unit: 'NTU', signature: '22-1-40' })])));
    expect(visibleRows(s)).toHaveLength(2);
    s = reduce(s, { t: 'toggleHideFp' });
    expect(visibleRows(s).map((x) => x.ip)).toEqual(['198.51.100.2']);
    s = run(s, { t: 'toggleHideFp' }, { t: 'startInput', kind: 'filter' }, { t: 'inputChar', ch: 'n' }, { t: 'inputChar', ch: 't' });
    expect(visibleRows(s).map((x) => x.ip)).toEqual(['198.51.100.2']);
    s = reduce(s, { t: 'inputCancel' });
    expect(s.filter).toBe('');
    expect(visibleRows(s)).toHaveLength(2);
  });

  it('command history: up recalls the newest first, down returns to an empty line', () => {
    let s = initialState('en');
    for (const cmd of ['window -3', 'lang zh-TW']) s = run(s, { t: 'startInput', kind: 'command' }, ...[...cmd].map((ch): Msg => ({ t: 'inputChar', ch })), { t: 'inputDone' });
    expect(s.history).toEqual(['window -3', 'lang zh-TW']);
    s = run(s, { t: 'startInput', kind: 'command' }, { t: 'inputHistory', dir: -1 });
    expect(s.input?.text).toBe('lang zh-TW');
    s = reduce(s, { t: 'inputHistory', dir: -1 });
    expect(s.input?.text).toBe('window -3');
    s = run(s, { t: 'inputHistory', dir: 1 }, { t: 'inputHistory', dir: 1 });
    expect(s.input?.text).toBe('');
  });

  it('Esc closes input, then the dialog, then the screen; the Blocks view keeps its own cursor and marks', () => {
    let s = run(initialState('en'), { t: 'push', screen: 'blocks' }, { t: 'blocks', blocks: { loading: false, rows: ['a', 'b', 'c'].map((id) => ({ id, rule: `match source 10.0.0.${id.charCodeAt(0)}/32`, action: 'discard', who: '', why: '' })) } });
    s = run(s, { t: 'toggleMark' }, { t: 'toggleMark' });
    expect(blockTargets(s).map((r) => r.id)).toEqual(['a', 'b']);
    expect(s.selected).toBe(0);
    s = run(s, { t: 'confirm', confirm: { kind: 'unblock', title: 't', lines: ['x'], payload: ['a', 'b'] } }, { t: 'startInput', kind: 'command' });
    s = reduce(s, { t: 'back' });
    expect(s.input).toBeUndefined();
    expect(s.confirm).toBeDefined();
    s = reduce(s, { t: 'back' });
    expect(s.confirm).toBeUndefined();
    expect(screenOf(s)).toBe('blocks');
    s = reduce(s, { t: 'blocks', blocks: { loading: false, rows: [{ id: 'b', rule: 'r', action: '', who: '', why: '' }] } });
    expect([...s.blockMarks]).toEqual(['b']);
    s = reduce(s, { t: 'back' });
    expect(screenOf(s)).toBe('top');
    expect(reduce(s, { t: 'back' })).toBe(s);
  });
});
