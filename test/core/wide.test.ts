import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossesHalf, wideCombine, wideIncrement, wideRead, wrap32 } from '../../src/core/wide.js';

const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;

/** The two words a settled wide counter holds for a total: lo = total mod 2^32, halfWraps = floor(total / 2^31). */
function wordsOf(total: number): { lo: number; halfWraps: number } {
  return { lo: wrap32(total), halfWraps: Math.floor(total / TWO_31) };
}

const totalArb = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((x) => x * 2 ** 22 + (x % 977)),
  fc.tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: -3, max: 3 })).map(([k, d]) => Math.max(0, k * TWO_31 + d)),
);

describe('wrap32', () => {
  it('gives x modulo 2^32 as a signed Int32', () => {
    expect(wrap32(0)).toBe(0);
    expect(wrap32(5)).toBe(5);
    expect(wrap32(TWO_31 - 1)).toBe(TWO_31 - 1);
    expect(wrap32(TWO_31)).toBe(-TWO_31);
    expect(wrap32(TWO_32 - 1)).toBe(-1);
    expect(wrap32(TWO_32)).toBe(0);
    expect(wrap32(TWO_32 + 5)).toBe(5);
    expect(wrap32(3 * TWO_32 + 7)).toBe(7);
    expect(wrap32(2 ** 53 - 1)).toBe(-1);
    expect(wrap32(-1)).toBe(-1);
  });

  it('is congruent to x modulo 2^32 and within the Int32 range, for every safe integer', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (x) => {
        const w = wrap32(x);
        expect(w).toBeGreaterThanOrEqual(-TWO_31);
        expect(w).toBeLessThan(TWO_31);
        expect((BigInt(x) - BigInt(w)) % BigInt(TWO_32)).toBe(0n);
      }),
    );
  });
});

describe('crossesHalf', () => {
  it('is true exactly for the old values 0x7fffffff and 0xffffffff (-1 as Int32)', () => {
    expect(crossesHalf(0x7fffffff)).toBe(true);
    expect(crossesHalf(-1)).toBe(true);
    expect(crossesHalf(0x7ffffffe)).toBe(false);
    expect(crossesHalf(-TWO_31)).toBe(false);
    expect(crossesHalf(0)).toBe(false);
    expect(crossesHalf(-2)).toBe(false);
  });
});

describe('wideCombine', () => {
  it('reads settled counters exactly', () => {
    expect(wideCombine(0, 0)).toBe(0);
    expect(wideCombine(0, 5)).toBe(5);
    expect(wideCombine(0, TWO_31 - 1)).toBe(TWO_31 - 1);
    expect(wideCombine(1, -TWO_31)).toBe(TWO_31);
    expect(wideCombine(1, -1)).toBe(TWO_32 - 1);
    expect(wideCombine(2, 0)).toBe(TWO_32);
    expect(wideCombine(5, 7 - TWO_31)).toBe(2 * TWO_32 + TWO_31 + 7);
  });

  it('corrects a half-wrap increment that is still pending', () => {
    // lo has just crossed 2^31 but halfWraps was not incremented yet.
    expect(wideCombine(0, -TWO_31)).toBe(TWO_31);
    expect(wideCombine(0, -TWO_31 + 3)).toBe(TWO_31 + 3);
    // lo has just wrapped past 2^32 (a second crossing) with halfWraps still at 1.
    expect(wideCombine(1, 0)).toBe(TWO_32);
    expect(wideCombine(1, 2)).toBe(TWO_32 + 2);
  });

  it('is exact for every total, settled or with the latest increment pending', () => {
    fc.assert(
      fc.property(totalArb, (total) => {
        const { lo, halfWraps } = wordsOf(total);
        expect(wideCombine(halfWraps, lo)).toBe(total);
        if (halfWraps > 0) expect(wideCombine(halfWraps - 1, lo)).toBe(total);
      }),
    );
  });
});

describe('wideIncrement / wideRead on slab words', () => {
  it('counts exactly across 2^31 and 2^32', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    const start = TWO_31 - 2;
    i32[0] = wrap32(start);
    i32[1] = 0;
    for (let n = 1; n <= 4; n++) {
      wideIncrement(i32, 0, 1);
      expect(wideRead(i32, 0, 1)).toBe(start + n);
    }
    expect(i32[1]).toBe(1);
    i32[0] = wrap32(TWO_32 - 2);
    for (let n = 1; n <= 4; n++) {
      wideIncrement(i32, 0, 1);
      expect(wideRead(i32, 0, 1)).toBe(TWO_32 - 2 + n);
    }
    expect(i32[1]).toBe(2);
  });
});
