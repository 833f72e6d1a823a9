import { describe, expect, it } from 'vitest';
import { IpTable, PairSet, U32Map, topIds } from '../../src/engine/tables.js';
import { SampledIdSet } from '../../src/engine/tables.js';

describe('typed-array tables', () => {
  it('U32Map keeps every key through growth, including 0 and 0xffffffff', () => {
    const m = new U32Map(16);
    const keys = [0, 0xffffffff, ...Array.from({ length: 50000 }, (_, i) => (i * 2654435761) >>> 0)];
    keys.forEach((k, i) => m.getOrInsert(k, i));
    const uniq = new Map<number, number>();
    keys.forEach((k, i) => { if (!uniq.has(k)) uniq.set(k, i); });
    expect(m.size).toBe(uniq.size);
    for (const [k, v] of uniq) expect(m.get(k)).toBe(v);
    expect(m.get(123456789)).toBe(uniq.get(123456789) ?? -1);
  });

  it('PairSet tells new pairs from repeated ones, order matters', () => {
    const s = new PairSet(16);
    let fresh = 0;
    for (let i = 0; i < 20000; i++) if (s.add(i % 1000, (i * 7) % 300)) fresh++;
    const ref = new Set<string>();
    for (let i = 0; i < 20000; i++) ref.add(`${i % 1000},${(i * 7) % 300}`);
    expect(fresh).toBe(ref.size);
    expect(s.size).toBe(ref.size);
    expect(s.add(1, 2)).toBe(!ref.has('1,2'));
    expect(s.has(2, 1)).toBe(ref.has('2,1'));
  });

  it('IpTable interns IPv4 and IPv6 to dense ids and back', () => {
    const t = new IpTable();
    const a = t.internV4(0xc0000201);
    const b = t.internV6(Uint32Array.of(0x20010db8, 0, 0, 1), 0);
    expect(t.internV6(Uint32Array.of(9, 0x20010db8, 0, 0, 1), 1)).toBe(b);
    expect(t.lookup('2001:db8::1')).toBe(b);
    expect([a, b]).toEqual([0, 1]);
    expect(t.internV4(0xc0000201)).toBe(0);
    expect(t.text(a)).toBe('192.0.2.1');
    expect(t.text(b)).toBe('2001:db8::1');
    expect(t.lookup('192.0.2.1')).toBe(0);
    expect(t.lookup('192.0.2.2')).toBe(-1);
  });

  it('U32Map holds 0 and 0xffffffff as keys with any value, through growth from the smallest table and after reserve', () => {
    for (const reserve of [0, 200_000]) {
      const m = new U32Map(16);
      if (reserve) m.reserve(reserve);
      const cap0 = m.capacity;
      expect(m.getOrInsert(0, 7)).toBe(7);
      expect(m.getOrInsert(0xffffffff, 0)).toBe(0);
      expect(m.getOrInsert(0, 99)).toBe(7); // present: the stored value, not the new one
      const n = 100_000;
      for (let i = 1; i <= n; i++) m.getOrInsert((i * 0x9e3779b1) >>> 0, i);
      expect(m.size).toBe(n + 2);
      expect(m.get(0)).toBe(7);
      expect(m.get(0xffffffff)).toBe(0);
      let wrong = 0;
      for (let i = 1; i <= n; i++) if (m.get((i * 0x9e3779b1) >>> 0) !== i) wrong++;
      expect(wrong).toBe(0);
      expect(m.get(0xfffffffe)).toBe(-1);
      // Reserved: no regrowth on the way; not reserved: grown from 16 slots, load at most 3/4.
      if (reserve) expect(m.capacity).toBe(cap0);
      else expect(m.capacity).toBeGreaterThan(cap0);
      expect(m.size / m.capacity).toBeLessThanOrEqual(0.75);
    }
  });

  it('PairSet: the pair stored as the all-zero slot, (0xffffffff, 0), and its neighbours are distinct members', () => {
    const s = new PairSet(16);
    const edge = [[0xffffffff, 0], [0, 0], [0, 0xffffffff], [0xffffffff, 0xffffffff], [0xfffffffe, 0], [1, 0]] as const;
    expect(s.has(0xffffffff, 0)).toBe(false);
    for (const [x, y] of edge) expect(s.add(x, y)).toBe(true);
    for (const [x, y] of edge) expect(s.add(x, y)).toBe(false);
    expect(s.size).toBe(edge.length);
    // Growth keeps them all, and never confuses an empty slot for (0xffffffff, 0).
    const ref = new Set(edge.map(([x, y]) => `${x},${y}`));
    let fresh = 0;
    for (let i = 0; i < 50_000; i++) {
      const y = (i * 31) >>> 0;
      if (s.add(i, y)) fresh++;
      ref.add(`${i},${y}`);
    }
    expect(fresh).toBe(49_999); // (0, 0) was there already
    for (const [x, y] of edge) expect(s.has(x, y)).toBe(true);
    expect(s.has(0xffffffff, 1)).toBe(false);
    expect(s.size).toBe(ref.size);
  });

  it('PairSet.reserve sizes the table once', () => {
    const s = new PairSet(16);
    s.reserve(100_000);
    const cap = s.capacity;
    let fresh = 0;
    for (let i = 0; i < 100_000; i++) if (s.add(i, i ^ 0x5555)) fresh++;
    expect(fresh).toBe(100_000);
    expect(s.capacity).toBe(cap);
    let found = 0;
    for (let i = 0; i < 100_000; i++) if (s.has(i, i ^ 0x5555)) found++;
    expect(found).toBe(100_000);
    expect(s.has(5, 5)).toBe(false);
  });

  it('IpTable keeps IPv4 and IPv6 apart: ::c000:201 is not 192.0.2.1, and v6 ids survive growth', () => {
    const t = new IpTable();
    const v4 = t.internV4(0xc0000201);
    const v6 = t.internV6(Uint32Array.of(0, 0, 0, 0xc0000201), 0);
    expect(v6).not.toBe(v4);
    expect(t.text(v6)).toBe('::c000:201');
    const ids: number[] = [];
    for (let i = 0; i < 5000; i++) ids.push(t.internV6(Uint32Array.of(0x20010db8, i, 0, i * 3), 0));
    for (let i = 0; i < 5000; i += 499) expect(t.lookup(t.text(ids[i]))).toBe(ids[i]);
    expect(t.lookup('2001:db8:0:1::4')).toBe(-1);
    expect(t.lookup('192.0.2.1')).toBe(v4);
    expect(t.size).toBe(5002);
  });

  it('topIds returns the n largest, largest first, skipping zeros', () => {
    const score = [5, 0, 9, 1, 9, 3, 0, 7];
    expect(topIds(score, score.length, 3)).toEqual([2, 4, 7]);
    expect(topIds(score, score.length, 100)).toEqual([2, 4, 7, 0, 5, 3]);
  });
});

describe('SampledIdSet', () => {
  it('keeps every id under the cap, then a uniform sample of at most cap ids, the same whatever the order', () => {
    const small = new SampledIdSet(100);
    for (let i = 0; i < 100; i++) small.add(i);
    expect([small.ids.size, small.sampled]).toEqual([100, false]);
    const a = new SampledIdSet(1000);
    const b = new SampledIdSet(1000);
    for (let i = 0; i < 50_000; i++) a.add(i);
    for (let i = 49_999; i >= 0; i--) b.add(i);
    expect(a.ids.size).toBeLessThanOrEqual(1000);
    expect(a.ids.size).toBeGreaterThan(500);
    expect([...a.ids].sort((x, y) => x - y)).toEqual([...b.ids].sort((x, y) => x - y));
    // Uniform: the sample's share of even ids is the population's (one half), and its size estimates the count.
    const even = [...a.ids].filter((x) => x % 2 === 0).length / a.ids.size;
    expect(Math.abs(even - 0.5)).toBeLessThan(0.06);
    expect(Math.abs(a.ids.size * 2 ** a.level - 50_000) / 50_000).toBeLessThan(0.15);
    // Offering an id again changes nothing.
    const before = a.ids.size;
    for (let i = 0; i < 50_000; i++) a.add(i);
    expect(a.ids.size).toBe(before);
  });
});
