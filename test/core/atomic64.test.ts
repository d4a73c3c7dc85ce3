import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addF64, casF64, halvesOf, loadF64, storeF64, wordOf } from '../../src/core/atomic64.js';

function words(n = 4): { i64: BigInt64Array; i32: Int32Array; f64: Float64Array } {
  const buffer = new SharedArrayBuffer(8 * n);
  return { i64: new BigInt64Array(buffer), i32: new Int32Array(buffer), f64: new Float64Array(buffer) };
}

describe('loadF64 / storeF64', () => {
  it('round-trip every double, bit for bit (including -0, NaN and infinities)', () => {
    const { i64, f64 } = words();
    fc.assert(
      fc.property(fc.double(), fc.integer({ min: 0, max: 3 }), (value, index) => {
        storeF64(i64, index, value);
        expect(Object.is(loadF64(i64, index), value)).toBe(true);
        // The word holds the IEEE bits of the double: a Float64Array view of it reads the same value.
        expect(Object.is(f64[index], value)).toBe(true);
      }),
    );
  });

  it('touches only the word it is given', () => {
    const { i64, f64 } = words();
    storeF64(i64, 1, 1.5);
    expect([...f64]).toEqual([0, 1.5, 0, 0]);
  });
});

describe('casF64', () => {
  it('replaces the value when the word holds the expected one, and only then', () => {
    const { i64 } = words();
    storeF64(i64, 0, 4.25);
    expect(casF64(i64, 0, 4, 9)).toBe(false);
    expect(loadF64(i64, 0)).toBe(4.25);
    expect(casF64(i64, 0, 4.25, 9)).toBe(true);
    expect(loadF64(i64, 0)).toBe(9);
  });

  it('compares bit for bit: -0 is not 0', () => {
    const { i64 } = words();
    storeF64(i64, 0, -0);
    expect(casF64(i64, 0, 0, 1)).toBe(false);
    expect(casF64(i64, 0, -0, 1)).toBe(true);
    expect(loadF64(i64, 0)).toBe(1);
  });
});

describe('addF64', () => {
  it('adds to the stored double and returns the sum', () => {
    const { i64 } = words();
    storeF64(i64, 2, 0.5);
    expect(addF64(i64, 2, 2.25)).toBe(2.75);
    expect(addF64(i64, 2, -1)).toBe(1.75);
    expect(loadF64(i64, 2)).toBe(1.75);
  });
});

describe('halvesOf / wordOf', () => {
  it('round-trip every pair of Int32 halves', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (lo, hi) => {
        expect(halvesOf(wordOf(lo, hi))).toEqual([lo, hi]);
      }),
    );
  });

  it('place the low half at the lower address, as Int32 views of slab words read it', () => {
    const { i64, i32 } = words(1);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (lo, hi) => {
        Atomics.store(i64, 0, wordOf(lo, hi));
        expect([i32[0], i32[1]]).toEqual([lo, hi]);
        expect(halvesOf(Atomics.load(i64, 0))).toEqual([lo, hi]);
      }),
    );
  });

  it('read a word as signed halves', () => {
    expect(halvesOf(-1n)).toEqual([-1, -1]);
    expect(halvesOf(0x7fffffff_80000000n)).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    expect(wordOf(-1, 0)).toBe(0xffffffffn);
    expect(wordOf(0, -1)).toBe(-(2n ** 32n));
  });
});
