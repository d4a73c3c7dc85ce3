/**
 * Doubles kept in 64-bit slab words, read and written with the BigInt64 atomics so that a reader
 * in another thread can never see half of a write. Used off the hot path only: every call
 * converts through a thread-local scratch buffer.
 */

const scratch = new ArrayBuffer(8);
const scratchF64 = new Float64Array(scratch);
const scratchI64 = new BigInt64Array(scratch);

function bitsOf(value: number): bigint {
  scratchF64[0] = value;
  return scratchI64[0] as bigint;
}

function doubleOf(bits: bigint): number {
  scratchI64[0] = bits;
  return scratchF64[0] as number;
}

export function loadF64(i64: BigInt64Array, index: number): number {
  return doubleOf(Atomics.load(i64, index));
}

export function storeF64(i64: BigInt64Array, index: number, value: number): void {
  Atomics.store(i64, index, bitsOf(value));
}

/** Replaces `expected` by `next` if the word still holds `expected` (compared bit for bit). */
export function casF64(i64: BigInt64Array, index: number, expected: number, next: number): boolean {
  const want = bitsOf(expected);
  return Atomics.compareExchange(i64, index, want, bitsOf(next)) === want;
}

/** Splits a 64-bit word into its signed low and high Int32 halves. */
export function halvesOf(word: bigint): [lo: number, hi: number] {
  return [Number(BigInt.asIntN(32, word)), Number(BigInt.asIntN(32, word >> 32n))];
}

/** Joins two Int32 halves into the BigInt64 value that holds them. */
export function wordOf(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0));
}

/** Adds `delta` to a double kept in a 64-bit word (CAS loop); returns the new value. */
export function addF64(i64: BigInt64Array, index: number, delta: number): number {
  for (;;) {
    const cur = loadF64(i64, index);
    const next = cur + delta;
    if (casF64(i64, index, cur, next)) return next;
  }
}
