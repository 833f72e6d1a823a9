/**
 * Joins each analysed window with the ARP history: the outside senders among the window's attackers whose peers
 * include addresses no device resolves are named as unused-address probers. A WindowSink, so the engine only adds
 * it to its sinks; the join itself (`windowProbers`) is pure.
 */
import type { WindowSink } from '../engine/sink.js';
import type { WindowResult } from '../engine/types.js';
import { unusedAddressProbers, type IpState, type ProbeSuspect } from './anomalies.js';

/** The (sender → peer) pairs the window's attacker anomalies carry in their top peers. */
export function windowInboundPairs(result: WindowResult): { src: string; dst: string; flows: number }[] {
  const out: { src: string; dst: string; flows: number }[] = [];
  for (const a of result.anomalies) {
    if (a.role !== 'attacker') continue;
    for (const p of a.topPeers ?? []) out.push({ src: a.ip, dst: p.ip, flows: p.flows });
  }
  return out;
}

/** Unused-address probers of one window given the IP states of the devices. */
export function windowProbers(result: WindowResult, states: IpState[]): ProbeSuspect[] {
  return unusedAddressProbers(states, windowInboundPairs(result));
}

/** Where the probe sink reads IP states: the slot's own, else the newest before it. */
export interface IpStateSource {
  ipStates(timeSlot?: number): IpState[];
  latestSlot(): number | undefined;
}

/** A WindowSink that reports each window's unused-address probers to `onSuspects` (never throws). */
export function createUnusedProbeSink(states: IpStateSource, onSuspects: (suspects: ProbeSuspect[], result: WindowResult) => void): WindowSink {
  return {
    name: 'devices-unused-probe',
    async writeWindow(result) {
      try {
        let s = states.ipStates(result.window.timeSlot);
        if (s.length === 0) s = states.ipStates(states.latestSlot());
        const suspects = windowProbers(result, s);
        if (suspects.length > 0) onSuspects(suspects, result);
      } catch {
        /* the device history is an extra: a failure here never stops the window */
      }
    },
  };
}
