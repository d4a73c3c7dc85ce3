/**
 * 64-bit totals kept in two Int32 words: `lo` (the count modulo 2^32, updated with one atomic
 * operation on the hot path) and `halfWraps` (how many times `lo` crossed a multiple of 2^31).
 *
 * Exactly one thread sees each crossing (the one whose atomic operation returned 0x7fffffff or
 * 0xffffffff) and increments `halfWraps` after it. A reader that catches that increment still
 * pending sees `halfWraps` and the top bit of `lo` disagree in parity and corrects for it, so a
 * read is exact at any moment; it reads `halfWraps` first so it can never be ahead of `lo`.
 */

const TWO_32 = 4294967296;

/** True when an atomic operation that returned `old` and added 1 moved `lo` across a multiple of 2^31. */
export function crossesHalf(old: number): boolean {
  return (old & 0x7fffffff) === 0x7fffffff;
}

/** Adds 1 to a wide counter. */
export function wideIncrement(i32: Int32Array, lo: number, halfWraps: number): void {
  if (crossesHalf(Atomics.add(i32, lo, 1))) Atomics.add(i32, halfWraps, 1);
}

/** Combines a half-wrap count with the current low word into an exact total. */
export function wideCombine(halfWraps: number, lo: number): number {
  const low = lo >>> 0;
  const top = low >>> 31;
  const h = (halfWraps & 1) === top ? halfWraps : halfWraps + 1;
  return ((h - top) / 2) * TWO_32 + low;
}

/** Reads a wide counter exactly. */
export function wideRead(i32: Int32Array, lo: number, halfWraps: number): number {
  const h = Atomics.load(i32, halfWraps);
  return wideCombine(h, Atomics.load(i32, lo));
}

/** `x` modulo 2^32 as a signed Int32 (the form slab words hold). */
export function wrap32(x: number): number {
  return (x % TWO_32) | 0;
}
