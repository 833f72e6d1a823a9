/**
 * Tracking across windows (pure): per (IP, type) the first TimeSlot it was abnormal, how many distinct windows it
 * was, the share of time above threshold since first seen, and the current streak of consecutive windows — the
 * seeds' "abnormal for 0d0h25m, 100% of the time above threshold, continuously for the last 0d0h30m".
 */
import type { Tracking } from './types.js';

/** Stored state of one (IP, type). */
export interface TrackState {
  firstSlot: number;
  lastSlot: number;
  windowsSeen: number;
  streak: number;
}

/** The state after the IP was abnormal again in `slot`. Several files of one slot count once. */
export function advance(prev: TrackState | undefined, slot: number): TrackState {
  if (!prev) return { firstSlot: slot, lastSlot: slot, windowsSeen: 1, streak: 1 };
  if (slot === prev.lastSlot) return prev;
  if (slot < prev.lastSlot) {
    // A late (older) file: counts as seen, but does not extend the current streak.
    return { ...prev, firstSlot: Math.min(prev.firstSlot, slot), windowsSeen: prev.windowsSeen + 1 };
  }
  return { firstSlot: prev.firstSlot, lastSlot: slot, windowsSeen: prev.windowsSeen + 1, streak: slot === prev.lastSlot + 1 ? prev.streak + 1 : 1 };
}

/** The Tracking an anomaly carries, as of `slot`. */
export function trackingOf(s: TrackState, slot: number): Tracking {
  const span = Math.max(1, slot - s.firstSlot + 1);
  return {
    firstSeenSlot: s.firstSlot,
    windowsSeen: s.windowsSeen,
    shareAbove: Math.min(1, s.windowsSeen / span),
    streak: s.lastSlot === slot ? s.streak : 0,
  };
}
