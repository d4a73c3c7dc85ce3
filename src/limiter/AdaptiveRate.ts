import { halvesOf, loadF64, storeF64, wordOf } from '../core/atomic64.js';
import { rescaleDebt, withBucketMark } from './TokenBucket.js';
import { wrap32 } from '../core/wide.js';
import { EP_BREAKER_I32, EP_EMPTY_UNTIL_I32, EP_LIMIT_I64, EP_FLAGS_I32, EP_INTERVAL_I64, EP_NOMINAL_RATE_I64, EP_RATE_FACTOR_I64 } from '../core/layout.generated.js';

/** Flag bits of an endpoint record's `flags` word. */
export const FLAG_ADAPTIVE = 1;
export const FLAG_UNLIMITED = 2;

/** Share of the health-adjusted rate kept in each breaker state: CLOSED 100%, OPEN 20%, HALF_OPEN 50%. */
export const STATE_RATE_FACTORS: readonly number[] = [1, 0.2, 0.5];

/** The specification's health curve: health 0..1 gives 10%..150% of the nominal rate (0.5 gives 80%). */
export function healthFactor(health: number): number {
  return 0.1 + 1.4 * health;
}

/** Checks a health score. @throws RangeError naming the value. */
export function checkHealth(health: unknown): number {
  if (typeof health !== 'number' || Number.isNaN(health) || health < 0 || health > 1) {
    throw new RangeError(`health: expected a number from 0 to 1, got ${String(health)}`);
  }
  return health;
}

/** Tokens per second an endpoint is allowed now: nominal × health factor × state factor (adaptive), else nominal. */
export function currentRate(i32: Int32Array, i64: BigInt64Array, base: number): number {
  const nominal = loadF64(i64, (base >>> 1) + EP_NOMINAL_RATE_I64);
  if ((Atomics.load(i32, base + EP_FLAGS_I32) & FLAG_ADAPTIVE) === 0) return nominal;
  const state = (i32[base + EP_BREAKER_I32] as number) & 3;
  return nominal * loadF64(i64, (base >>> 1) + EP_RATE_FACTOR_I64) * (STATE_RATE_FACTORS[state] as number);
}

/**
 * Recomputes the token interval from the nominal rate, the health factor and the breaker state
 * (rescaling the tokens owed to the new interval, `now` being the exact slab time),
 * until the state it used is still the state after the write (a transition in another thread
 * meanwhile recomputes too, so the last writer always saw the last state).
 *
 * It runs holding the endpoint's refill mark (withBucketMark): two rate changes at once would
 * each rescale the bucket from the interval they read, and a refill meanwhile could read the
 * interval and the bucket on either side of the change. Should the mark be taken over from a
 * stalled change, the order of the two writes still makes a refill's mixed view see fewer
 * tokens, never more: a longer interval (a lower rate) is stored before the bucket is rescaled
 * to it, a shorter one after; and a refill that finds the interval changed after it read it
 * does not take, or does not publish (see refill).
 */
export function applyRate(i32: Int32Array, i64: BigInt64Array, base: number, now: () => number): number {
  return withBucketMark(i32, base, () => {
    for (;;) {
      const state = (i32[base + EP_BREAKER_I32] as number) & 3;
      const rate = currentRate(i32, i64, base);
      const at = now();
      if (changeInterval(i32, i64, base, at, rate === Number.POSITIVE_INFINITY ? 0 : 1000 / rate)) expireBatch(i32, i64, base, at);
      if (((i32[base + EP_BREAKER_I32] as number) & 3) === state) return rate;
    }
  });
}

/**
 * The first part of a rate change (see applyRate): the new interval and the bucket rescaled to
 * it, in the order that keeps a concurrent refill's mixed view on the safe side. True if the
 * interval changed (the batch out must then be ended: expireBatch).
 */
export function changeInterval(i32: Int32Array, i64: BigInt64Array, base: number, now: number, interval: number): boolean {
  const at = (base >>> 1) + EP_INTERVAL_I64;
  const previous = loadF64(i64, at);
  if (interval > previous) storeF64(i64, at, interval);
  rescaleDebt(i32, i64, base, now, previous, interval);
  if (interval <= previous) storeF64(i64, at, interval);
  return previous !== interval;
}

/** Sets the health factor of an adaptive endpoint and applies it; returns the rate now in force. */
export function adjustHealth(i32: Int32Array, i64: BigInt64Array, base: number, health: number, now: () => number): number {
  if ((Atomics.load(i32, base + EP_FLAGS_I32) & FLAG_ADAPTIVE) === 0) return loadF64(i64, (base >>> 1) + EP_NOMINAL_RATE_I64);
  storeF64(i64, (base >>> 1) + EP_RATE_FACTOR_I64, healthFactor(health));
  return applyRate(i32, i64, base, now);
}

/**
 * Ends the batch that is out (its unused tokens go back to the bucket at the next refill) and
 * forgets when the bucket was due to refill: both were worked out at the old rate. A batch's
 * lifetime is what keeps grants within burst + rate × d + 1; at a new rate it no longer would.
 */
export function expireBatch(i32: Int32Array, i64: BigInt64Array, base: number, now: number): void {
  const at = (base >>> 1) + EP_LIMIT_I64;
  const expired = wrap32(now) - 1;
  for (;;) {
    const word = Atomics.load(i64, at);
    const [limit, expiry] = halvesOf(word);
    // The word changes even when the batch has expired already: a refill that worked at the old
    // rate compares it before publishing its batch, and must fail.
    const until = ((expiry - expired) | 0) > 0 ? expired : (expiry - 1) | 0;
    if (Atomics.compareExchange(i64, at, word, wordOf(limit, until)) === word) break;
  }
  Atomics.store(i32, base + EP_EMPTY_UNTIL_I32, expired);
}
