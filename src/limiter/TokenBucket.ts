import { casF64, halvesOf, loadF64, wordOf } from '../core/atomic64.js';
import { EP_GRANTS_I32, EP_INTERVAL_I64, EP_LIMIT_I64, EP_POLICY_I32, EP_TAT_I64, POL_BURST_I32, POL_RATE_KIND_I32 } from '../core/layout.generated.js';

/** Most tokens one refill publishes. */
export const MAX_BATCH = 1024;
/** Grants one refill publishes when nothing limits the rate. */
export const UNLIMITED_BATCH = 2 ** 20;

/**
 * Whole tokens a GCRA bucket holds at `now` once `charge` more tokens are taken from it: `tat` is
 * its theoretical arrival time, `interval` the time per token, `capacity` its size. Also returns,
 * through the second element, the arrival time after the charge. Pure.
 */
export function gcra(tat: number, now: number, interval: number, capacity: number, charge: number): [tokens: number, tat: number] {
  const charged = Math.max(tat, now) + charge * interval;
  // A hair of slack so that a time that is an exact multiple of the interval is not lost to rounding.
  const tokens = Math.floor((now + capacity * interval - charged) / interval + 1e-9);
  return [Math.max(tokens, 0), charged];
}

/**
 * The token bucket of an endpoint, in two layers.
 *
 * Hot path: `grants` (calls admitted) and the low half of `limit` (grants allowed so far) are
 * Int32 words compared by wrapping difference. A call is admitted by one CAS of `grants` from g
 * to g + 1 while g < limit: one atomic operation, and the same word counts admitted calls.
 *
 * Refill, only when grants has reached the limit: an exact GCRA bucket (theoretical arrival time,
 * a double in the slab, 64-bit CAS) of capacity `burst` is first charged with the batch that was
 * just used up, then asked for up to MAX_BATCH tokens, and `limit` moves from (exhausted, base) to
 * (exhausted + tokens, exhausted) with one 64-bit CAS. Charging a batch when it is used up
 * rather than when it is handed out means the bucket saturates at `burst` before the batch is
 * subtracted, so tokens that sat unused while the bucket refilled are never counted twice: over
 * any interval of length d the grants are at most burst + rate * d + 1, for any number of
 * threads. A thread that loses the CAS on `limit` gives its charge back.
 *
 * Returns true when the caller should try the hot path again, false when no token is left.
 */
export function refill(i32: Int32Array, i64: BigInt64Array, base: number, now: number, passThrough: boolean): boolean {
  const limitAt = (base >>> 1) + EP_LIMIT_I64;
  const word = Atomics.load(i64, limitAt);
  const [limit, previous] = halvesOf(word);
  if (((Atomics.load(i32, base + EP_GRANTS_I32) - limit) | 0) < 0) return true;
  const policy = base + EP_POLICY_I32;
  if (passThrough || i32[policy + POL_RATE_KIND_I32] === 1) {
    Atomics.compareExchange(i64, limitAt, word, wordOf((limit + UNLIMITED_BATCH) | 0, limit));
    return true;
  }
  const burst = i32[policy + POL_BURST_I32] as number;
  const used = (limit - previous) >>> 0;
  const tatAt = (base >>> 1) + EP_TAT_I64;
  const interval = loadF64(i64, (base >>> 1) + EP_INTERVAL_I64);
  let tokens: number;
  let tat: number;
  let charged: number;
  do {
    tat = loadF64(i64, tatAt);
    [tokens, charged] = gcra(tat, now, interval, burst, used);
    tokens = Math.min(MAX_BATCH, tokens);
    if (used === 0) break;
  } while (!casF64(i64, tatAt, tat, charged));
  if (used === 0 && tokens === 0) return false;
  if (Atomics.compareExchange(i64, limitAt, word, wordOf((limit + tokens) | 0, limit)) === word) return tokens > 0;
  // Another thread refilled from the same exhausted limit and charged the same batch: undo ours.
  if (used > 0) {
    for (;;) {
      const cur = loadF64(i64, tatAt);
      if (casF64(i64, tatAt, cur, cur - used * interval)) break;
    }
  }
  return true;
}

/** Milliseconds until the bucket will hold a token again (0 if it may hold one now). */
export function msUntilToken(i32: Int32Array, i64: BigInt64Array, base: number, now: number): number {
  const burst = i32[base + EP_POLICY_I32 + POL_BURST_I32] as number;
  const interval = loadF64(i64, (base >>> 1) + EP_INTERVAL_I64);
  const [limit, previous] = halvesOf(Atomics.load(i64, (base >>> 1) + EP_LIMIT_I64));
  const charged = Math.max(loadF64(i64, (base >>> 1) + EP_TAT_I64), now) + ((limit - previous) >>> 0) * interval;
  const wait = charged - (burst - 1) * interval - now;
  return Math.max(wait, 0);
}
