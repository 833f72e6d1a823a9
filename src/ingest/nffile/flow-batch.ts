/**
 * The columnar FlowBatch as phase 0 reshapes it (IPv6 as four u32 words per row). Kept here until phase 0 lands on
 * main; then this file re-exports the type from src/engine/types.ts. Pure.
 */

/** A columnar batch of flows: the hot path's unit. Row i of IPv6 words is at [4i..4i+3], most significant word first. */
export interface FlowBatch {
  size: number;
  family: Uint8Array;
  srcV4: Uint32Array;
  dstV4: Uint32Array;
  src6: Uint32Array;
  dst6: Uint32Array;
  sport: Uint16Array;
  dport: Uint16Array;
  proto: Uint8Array;
  flags: Uint8Array;
  packets: Float64Array;
  bytes: Float64Array;
  start: Float64Array;
  end: Float64Array;
  inIf: Uint32Array;
  outIf: Uint32Array;
  exporterIdx: Uint16Array;
  exporters: string[];
  srcAs: Uint32Array;
  dstAs: Uint32Array;
}

/** Allocate an empty batch with room for `capacity` rows (every column zeroed). */
export function createFlowBatch(capacity: number): FlowBatch {
  return {
    size: 0,
    family: new Uint8Array(capacity),
    srcV4: new Uint32Array(capacity),
    dstV4: new Uint32Array(capacity),
    src6: new Uint32Array(capacity * 4),
    dst6: new Uint32Array(capacity * 4),
    sport: new Uint16Array(capacity),
    dport: new Uint16Array(capacity),
    proto: new Uint8Array(capacity),
    flags: new Uint8Array(capacity),
    packets: new Float64Array(capacity),
    bytes: new Float64Array(capacity),
    start: new Float64Array(capacity),
    end: new Float64Array(capacity),
    inIf: new Uint32Array(capacity),
    outIf: new Uint32Array(capacity),
    exporterIdx: new Uint16Array(capacity),
    exporters: [],
    srcAs: new Uint32Array(capacity),
    dstAs: new Uint32Array(capacity),
  };
}

/** Capacity of a batch (rows it can hold). */
export function batchCapacity(b: FlowBatch): number {
  return b.family.length;
}
