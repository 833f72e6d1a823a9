/** (uint32, uint32) → non-negative int, open addressing with linear probing (pure; no object per entry). */
import { hash2 } from '../engine/tables.js';

/** A map from a pair of uint32 to a non-negative int. */
export class PairMap {
  private a: Uint32Array;
  private b: Uint32Array;
  private v: Int32Array; // value + 1; 0 = empty
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1 << 12) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.a = new Uint32Array(cap);
    this.b = new Uint32Array(cap);
    this.v = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Value of (x, y), or -1. */
  get(x: number, y: number): number {
    const mask = this.mask;
    let i = hash2(x, y) & mask;
    for (;;) {
      const v = this.v[i];
      if (v === 0) return -1;
      if (this.a[i] === x && this.b[i] === y) return v - 1;
      i = (i + 1) & mask;
    }
  }

  /** Set (x, y) → value (value ≥ 0). */
  set(x: number, y: number, value: number): void {
    const mask = this.mask;
    let i = hash2(x, y) & mask;
    for (;;) {
      const v = this.v[i];
      if (v === 0) {
        this.a[i] = x;
        this.b[i] = y;
        this.v[i] = value + 1;
        if (++this.size * 4 > mask * 3) this.grow();
        return;
      }
      if (this.a[i] === x && this.b[i] === y) {
        this.v[i] = value + 1;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const oa = this.a, ob = this.b, ov = this.v;
    const cap = oa.length * 2;
    this.a = new Uint32Array(cap);
    this.b = new Uint32Array(cap);
    this.v = new Int32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < oa.length; j++) {
      if (ov[j] === 0) continue;
      let i = hash2(oa[j], ob[j]) & this.mask;
      while (this.v[i] !== 0) i = (i + 1) & this.mask;
      this.a[i] = oa[j];
      this.b[i] = ob[j];
      this.v[i] = ov[j];
    }
  }
}
