/** EarlyEvents (tui/early-events.ts): results that came before their id are held, claimed once, and bounded. */
import { describe, expect, it } from 'vitest';
import { EarlyEvents } from '../../src/tui/early-events.js';

describe('EarlyEvents', () => {
  it('holds an event until its id is claimed, once', () => {
    const e = new EarlyEvents<string>();
    e.hold(7, 'result 7');
    expect(e.claim(8)).toBeUndefined();
    expect(e.claim(7)).toBe('result 7');
    expect(e.claim(7)).toBeUndefined();
  });

  it('keeps only the newest `keep` events (a result nobody asks for is dropped in time)', () => {
    const e = new EarlyEvents<number>(3);
    for (let id = 1; id <= 5; id++) e.hold(id, id * 10);
    expect([1, 2, 3, 4, 5].map((id) => e.claim(id))).toEqual([undefined, undefined, 30, 40, 50]);
    // The same id again counts as new.
    e.hold(1, 1);
    e.hold(2, 2);
    e.hold(1, 11);
    e.hold(3, 3);
    e.hold(4, 4);
    expect([1, 2, 3, 4].map((id) => e.claim(id))).toEqual([11, undefined, 3, 4]);
  });
});
