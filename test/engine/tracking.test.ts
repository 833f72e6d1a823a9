import { describe, expect, it } from 'vitest';
import { advance, trackingOf, type TrackState } from '../../src/engine/tracking.js';
import { trackingSentence } from '../../src/engine/alert-text.js';

function run(slots: number[]): TrackState {
  let s: TrackState | undefined;
  for (const x of slots) s = advance(s, x);
  return s!;
}

describe('tracking across windows', () => {
  it.each([
    [[100], { firstSlot: 100, lastSlot: 100, windowsSeen: 1, streak: 1 }],
    [[100, 101, 102], { firstSlot: 100, lastSlot: 102, windowsSeen: 3, streak: 3 }],
    [[100, 101, 101, 101], { firstSlot: 100, lastSlot: 101, windowsSeen: 2, streak: 2 }],
    [[100, 101, 105, 106], { firstSlot: 100, lastSlot: 106, windowsSeen: 4, streak: 2 }],
    [[100, 104, 103], { firstSlot: 100, lastSlot: 104, windowsSeen: 3, streak: 1 }],
  ])('slots %j', (slots, state) => expect(run(slots)).toEqual(state));

  it.each([
    // slots abnormal, as of slot → { firstSeenSlot, windowsSeen, shareAbove, streak }
    [[100], 100, { firstSeenSlot: 100, windowsSeen: 1, shareAbove: 1, streak: 1 }],
    [[100], 101, { firstSeenSlot: 100, windowsSeen: 1, shareAbove: 0.5, streak: 0 }],
    [[100, 102, 104], 104, { firstSeenSlot: 100, windowsSeen: 3, shareAbove: 3 / 5, streak: 1 }],
    [[100, 101, 102, 103], 103, { firstSeenSlot: 100, windowsSeen: 4, shareAbove: 1, streak: 4 }],
    [[103, 101], 103, { firstSeenSlot: 101, windowsSeen: 2, shareAbove: 2 / 3, streak: 1 }],
    [[100, 100, 100], 100, { firstSeenSlot: 100, windowsSeen: 1, shareAbove: 1, streak: 1 }],
  ])('abnormal in %j, as of %i', (slots, asOf, t) => expect(trackingOf(run(slots), asOf)).toEqual(t));

  it('share of time above threshold and the current streak as of a slot', () => {
    const s = run([100, 101, 105, 106]);
    expect(trackingOf(s, 106)).toEqual({ firstSeenSlot: 100, windowsSeen: 4, shareAbove: 4 / 7, streak: 2 });
    expect(trackingOf(s, 108).streak).toBe(0);
  });

  it('says it the way the seeds do', () => {
    const t = trackingOf(run([95, 96, 97, 98, 99, 100]), 100);
    expect(trackingSentence(t, 100, 'en')).toBe('abnormal for 0d0h30m, 100.0% of the time above threshold, continuously for the last 0d0h30m');
    expect(trackingSentence(t, 100, 'zh-TW')).toBe('本IP開始異常時間已超過0日0時30分，其中100.0%時間超過告警標準，最近已持續0日0時30分超過告警標準');
    const gap = trackingOf(run([0, 1, 288 + 1]), 289);
    expect(trackingSentence(gap, 289, 'en')).toBe('abnormal for 1d0h10m, 1.0% of the time above threshold, continuously for the last 0d0h5m');
  });
});
