import { threadId } from 'node:worker_threads';
import { casF64, loadF64, wordOf } from '../core/atomic64.js';
import {
  EP_EMPTY_UNTIL_I32,
  EP_GRANTS_I32,
  EP_INTERVAL_I64,
  EP_LIMIT_I32,
  EP_LIMIT_I64,
  EP_ORIGIN_I64,
  EP_POLICY_I32,
  EP_REFILLING_I32,
  EP_TAT_I64,
  POL_BURST_I32,
  POL_RATE_KIND_I32,
} from '../core/layout.generated.js';
import { wrap32 } from '../core/wide.js';

/** Most tokens one refill hands out. */
export const MAX_BATCH = 1024;
/** Grants one refill publishes when nothing limits the rate. */
export const UNLIMITED_BATCH = 2 ** 20;
/** Longest a batch stays valid, ms (keeps the expiry inside the range of a slab time field). */
export const MAX_BATCH_LIFE_MS = 2 ** 29;

/** Slack, in tokens, against the rounding of `(now - origin) / interval`. */
const SLACK = 1e-6;

/**
 * The GCRA bucket in token units: `x` is now as a (fractional) number of intervals since the
 * bucket's origin and `tat` its theoretical arrival time as a whole number of intervals. The
 * bucket is full when `tat` is at or before now; takes move `tat` by whole tokens from
 * max(tat, floor(x)), so it stays exact however many takes there are. Returns the whole tokens
 * held and the `tat` a take starts from. Pure.
 */
export function gcraLevel(tat: number, x: number, capacity: number): [tokens: number, from: number] {
  // The same slack on both sides, so a position a hair under a whole interval counts as that
  // interval both for the bucket's fill and for where the take starts.
  const at = x + SLACK;
  const from = Math.max(tat, Math.floor(at));
  return [Math.max(0, Math.floor(at - from + capacity)), from];
}

/**
 * How long a batch handed out at `now` from a bucket that held `level` tokens may be used, ms:
 * until the bucket could have grown back past burst + 1 with the batch still unused, that is
 * (burst + 1 - level) intervals. A batch from a full bucket lives one interval; one from an
 * empty bucket (the saturated case) lives as long as the bucket takes to fill. Pure.
 *
 * An upper bound only: `level` is whole tokens, and a full bucket also holds the part of an
 * interval since its last token (gcraLevel keeps `x`'s fraction), so counted from `now` this
 * overshoots by frac(x) intervals. refill ends the batch at the token grid instead (see
 * batchExpiryMs).
 */
export function batchLifeMs(level: number, burst: number, interval: number): number {
  return Math.min(MAX_BATCH_LIFE_MS, (burst + 1 - level) * interval);
}

/**
 * Latest slab ms at which a batch taken from `from` (the `tat` the take started from, see
 * gcraLevel) may be used: while x <= from + 1, the batch's unused tokens plus what the bucket
 * has regrown behind them (x - from - tokens + burst, fraction included) stay within burst + 1.
 * On the token grid, not relative to `now`: a take at x = k + 1/2 from a full bucket starts
 * from k, and one whose `now` is late (the thread was descheduled) from an earlier grid point;
 * either way the batch ends when the next token after `from` arrives. Pure.
 */
export function batchExpiryMs(from: number, origin: number, interval: number): number {
  return Math.floor(origin + (from + 1) * interval);
}

/**
 * The token bucket of an endpoint, in two layers.
 *
 * Hot path: `grants` (calls admitted) and the `limit` word (grants allowed so far, low half;
 * the batch's expiry time, high half) are compared with plain loads, and a call is admitted by
 * one CAS of `grants` from g to g + 1 while g < limit and now <= expiry: one atomic operation,
 * and the same word counts admitted calls.
 *
 * Refill, when the batch is used up or stale: an exact GCRA bucket of capacity `burst`
 * (theoretical arrival time in whole intervals, a double in the slab, 64-bit CAS; see
 * gcraLevel) hands out up to MAX_BATCH tokens,
 * charged at once, and `limit` moves to grants + tokens with a new expiry in one 64-bit CAS.
 * The expiry (see batchLifeMs) is what keeps the bound exact: tokens handed out early can only
 * be used while the bucket could not yet have regrown past burst + 1 behind them. So over any
 * interval of length d the grants are at most burst + rate × d + 1, for any number of threads.
 * Tokens of a stale batch that were not used go back to the bucket (a call racing the refill
 * that still uses one is counted against the new batch).
 *
 * Several threads may refill the same batch at once; one CAS on `limit` publishes a batch and
 * the others' takes are never undone nor handed out later: a take stays charged to the bucket
 * even when its batch is not published (those tokens are lost). Undoing cannot be made safe: a
 * thread that read the bucket while another's take was in it worked out a lower level and so a
 * longer batch life than the bucket allows once that take is withdrawn. Handing the tokens out
 * later cannot either: by then the bucket may have refilled past them, so they would count
 * twice. A take that is never published only moves `tat` forward (it gives back at most the
 * tokens it takes, see below), and every operation on `tat` is monotonic, so it can only make
 * later batches smaller or shorter-lived: every published batch keeps the bound. To keep such
 * losses rare, a refill marks itself in `refilling`, and another refill waits for that batch
 * instead of taking beside it (spinning, then sleeping in 1 ms slices; a refill that does not
 * finish within about 200 ms, descheduled or dead, is taken over).
 *
 * When the bucket is found empty, `emptyUntil` records until when, so calls before then are
 * refused without reading the clock; a take that gives stale tokens back, a rate change and a
 * policy change clear it, and a refill that set it re-checks the bucket, the interval and the
 * batch afterwards, so it never refuses a token the bucket holds.
 *
 * `now` is the exact slab time and `now32` the same modulo 2^32. Returns true when the caller
 * should try the hot path again, false when no token is left. `racing`, for tests only, runs
 * where another thread may run: 'read' after the interval is read, 'taken' between a take and
 * the publication of its batch.
 */
export function refill(i32: Int32Array, i64: BigInt64Array, base: number, now: number, passThrough: boolean, racing?: Racing): boolean {
  const now32 = wrap32(now);
  const limitAt = (base >>> 1) + EP_LIMIT_I64;
  const word = Atomics.load(i64, limitAt);
  const limit = i32[base + EP_LIMIT_I32] as number;
  const expiry = i32[base + EP_LIMIT_I32 + 1] as number;
  const grants = Atomics.load(i32, base + EP_GRANTS_I32);
  if (wordOf(limit, expiry) !== word) return true; // changed under us: look again
  if (((grants - limit) | 0) < 0 && ((now32 - expiry) | 0) <= 0) return true;
  const policy = base + EP_POLICY_I32;
  if (passThrough || i32[policy + POL_RATE_KIND_I32] === 1) {
    Atomics.compareExchange(i64, limitAt, word, wordOf((grants + UNLIMITED_BATCH) | 0, wrap32(now + MAX_BATCH_LIFE_MS)));
    return true;
  }
  const burst = i32[policy + POL_BURST_I32] as number;
  if (!markRefilling(i32, base, limit, expiry)) return true; // the other refill published meanwhile
  try {
    return take(i32, i64, base, now, word, limit, grants, burst, racing);
  } finally {
    unmarkRefilling(i32, base);
  }
}

/** @internal A test's hook into refill (see refill). */
export type Racing = (step: 'read' | 'taken') => void;

/** This thread's mark in `refilling`. */
const REFILL_TOKEN = threadId + 1;
/** Checks of the batch a refill makes, spinning, while another refill is in progress (a few microseconds). */
const REFILL_SPINS = 1_000;
/** Then 1 ms sleeps on one holder's mark, at most this many: a refill descheduled for longer (or dead) is taken over. */
const REFILL_WAITS = 200;

/**
 * Marks a refill of the batch (limit, expiry) in progress (or, without them, a rate change). If
 * another is in progress, waits for it: false when a new batch came out (look again). Spins
 * first (a refill takes about a microsecond), then sleeps on the mark in 1 ms slices (the other
 * thread may be descheduled: a take beside its take would be lost); after REFILL_WAITS of
 * those with the same holder, takes the mark over.
 */
function markRefilling(i32: Int32Array, base: number, limit?: number, expiry?: number): boolean {
  const at = base + EP_REFILLING_I32;
  let seen = 0;
  let waits = 0;
  for (let n = 0; ; n++) {
    // Read before trying, so that waiting threads do not write the cache line the holder works on.
    const holder = Atomics.load(i32, at);
    if (holder === 0 && Atomics.compareExchange(i32, at, 0, REFILL_TOKEN) === 0) return true;
    if (limit !== undefined && (Atomics.load(i32, base + EP_LIMIT_I32) !== limit || Atomics.load(i32, base + EP_LIMIT_I32 + 1) !== expiry)) return false;
    if (n < REFILL_SPINS || holder === 0) continue;
    // Only a mark that stays with one holder counts towards a takeover (one passed on between
    // other refills does not); this thread's own mark is a nested call (tests only).
    if (holder !== seen) {
      seen = holder;
      waits = 0;
    }
    if (holder === REFILL_TOKEN || ++waits > REFILL_WAITS) break;
    Atomics.wait(i32, at, holder, 1);
  }
  Atomics.store(i32, at, REFILL_TOKEN);
  return true;
}

/** Ends this thread's refill mark (if it was not taken over) and wakes refills waiting on it. */
function unmarkRefilling(i32: Int32Array, base: number): void {
  const at = base + EP_REFILLING_I32;
  if (Atomics.compareExchange(i32, at, REFILL_TOKEN, 0) === REFILL_TOKEN) Atomics.notify(i32, at);
}

/**
 * Runs `body` (a change of the bucket's rate) holding the endpoint's refill mark: no refill of
 * the endpoint and no other rate change runs meanwhile (but after a takeover, see
 * markRefilling). Waits for one in progress as a refill does, without giving up.
 */
export function withBucketMark<T>(i32: Int32Array, base: number, body: () => T): T {
  markRefilling(i32, base);
  try {
    return body();
  } finally {
    unmarkRefilling(i32, base);
  }
}

/** The take and the publication of a refill (see refill). */
function take(
  i32: Int32Array,
  i64: BigInt64Array,
  base: number,
  now: number,
  word: bigint,
  limit: number,
  grants: number,
  burst: number,
  racing: Racing | undefined,
): boolean {
  const now32 = wrap32(now);
  const limitAt = (base >>> 1) + EP_LIMIT_I64;
  const tatAt = (base >>> 1) + EP_TAT_I64;
  const intervalAt = (base >>> 1) + EP_INTERVAL_I64;
  const interval = loadF64(i64, intervalAt);
  const x = (now - loadF64(i64, (base >>> 1) + EP_ORIGIN_I64)) / interval;
  racing?.('read');
  // Tokens of a stale batch that nobody used go back to the bucket: they were charged when
  // handed out. (At most one batch's worth: a batch under this policy is never larger.)
  const stale = Math.min(Math.max(0, (limit - grants) | 0), burst, MAX_BATCH);
  let tokens: number;
  let level: number;
  let start: number;
  let unused = stale;
  for (;;) {
    if (Atomics.load(i64, limitAt) !== word) return true; // published meanwhile: use that batch
    const tat = loadF64(i64, tatAt);
    // A rate change since the interval was read may have rescaled `tat` to its new interval:
    // the two would not be in one unit (see applyRate). Look again.
    if (loadF64(i64, intervalAt) !== interval) return true;
    let [held, from] = gcraLevel(tat - stale, x, burst);
    unused = stale;
    if (Math.min(MAX_BATCH, held) < stale) {
      // The bucket is over its capacity (the burst was lowered): give nothing back, so that this
      // take can never move `tat` back even if its batch is not the one published.
      [held, from] = gcraLevel(tat, x, burst);
      unused = 0;
    }
    level = held;
    start = from;
    tokens = Math.min(MAX_BATCH, level);
    if (tokens === 0 && unused === 0) {
      // Empty until the next token is due: callers before then are refused without coming here.
      // (The same slack as gcraLevel, so this never refuses a call the bucket would admit.)
      const due = loadF64(i64, (base >>> 1) + EP_ORIGIN_I64) + (tat + 1 - burst - SLACK) * interval;
      Atomics.store(i32, base + EP_EMPTY_UNTIL_I32, wrap32(Math.ceil(due) - 1));
      // Tokens given back, a new batch or a new rate meanwhile make the hint wrong: forget it.
      if (loadF64(i64, tatAt) !== tat || loadF64(i64, intervalAt) !== interval || Atomics.load(i64, limitAt) !== word) {
        Atomics.store(i32, base + EP_EMPTY_UNTIL_I32, now32 - 1);
      }
      return false;
    }
    if (casF64(i64, tatAt, tat, from + tokens)) break;
  }
  racing?.('taken');
  // A rate change meanwhile (see expireBatch) makes this batch wrong: leave the take charged.
  if (loadF64(i64, intervalAt) !== interval) return true;
  // Ends when the token after `start` arrives (batchExpiryMs), and never later than the life
  // counted from now (which also caps it at MAX_BATCH_LIFE_MS).
  const origin = loadF64(i64, (base >>> 1) + EP_ORIGIN_I64);
  const until = wrap32(Math.min(Math.floor(now + batchLifeMs(level, burst, interval)), batchExpiryMs(start, origin, interval)));
  if (Atomics.compareExchange(i64, limitAt, word, wordOf((grants + tokens) | 0, until)) === word) {
    if (unused > 0) Atomics.store(i32, base + EP_EMPTY_UNTIL_I32, now32 - 1);
    return tokens > 0;
  }
  // Another thread published a batch first: our take stays charged (see above) and is lost.
  return true;
}

/** Milliseconds until the bucket will hold a token again (0 if it may hold one now). */
export function msUntilToken(i32: Int32Array, i64: BigInt64Array, base: number, now: number): number {
  const burst = i32[base + EP_POLICY_I32 + POL_BURST_I32] as number;
  const interval = loadF64(i64, (base >>> 1) + EP_INTERVAL_I64);
  if (interval === 0) return 0;
  const origin = loadF64(i64, (base >>> 1) + EP_ORIGIN_I64);
  const tat = loadF64(i64, (base >>> 1) + EP_TAT_I64);
  return Math.max(0, origin + (tat + 1 - burst) * interval - now);
}

/**
 * Re-expresses the bucket's debt (how far its arrival time is ahead of now) in interval `to`
 * instead of `from`, so a rate change applies to tokens already owed: 200 tokens owed at 10 rps
 * are 20 s of debt, at 150 rps 1.3 s.
 */
export function rescaleDebt(i32: Int32Array, i64: BigInt64Array, base: number, now: number, from: number, to: number): void {
  if (from === to) return;
  const tatAt = (base >>> 1) + EP_TAT_I64;
  const origin = loadF64(i64, (base >>> 1) + EP_ORIGIN_I64);
  const burst = i32[base + EP_POLICY_I32 + POL_BURST_I32] as number;
  for (;;) {
    const tat = loadF64(i64, tatAt);
    const xFrom = from === 0 ? Number.POSITIVE_INFINITY : (now - origin) / from;
    const xTo = to === 0 ? 0 : (now - origin) / to;
    // Tokens owed, or the credit of a token already due (up to a full bucket), carried over in
    // tokens. Not rounded: a fractional arrival time stays exact under takes of whole tokens,
    // and rounding here would lose or free up to a token at every change of rate.
    const next = Number.isFinite(xFrom) ? xTo + Math.max(tat - xFrom, -burst) : xTo;
    if (casF64(i64, tatAt, tat, next)) return;
  }
}
