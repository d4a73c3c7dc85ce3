import {
  EP_TIME_FIELDS_I32,
  EP_TIME_HIGH_FIELDS_I64,
  H_BUMP_NEXT_I32,
  H_CLOCK_EPOCH_I64,
  H_CLOCK_KIND_I32,
  H_LAST_SWEEP_I32,
  H_NOW_HALF_WRAPS_I32,
  H_NOW_I32,
} from './layout.generated.js';
import { monotonicMs } from './monotonic.js';
import type { Slab } from './Slab.js';
import { wideRead, wrap32 } from './wide.js';

/**
 * Slab time at which a real clock starts: 2^32 - 2^16 ms, so every process crosses the 32-bit
 * wrap of the time word 65 seconds after it starts instead of after 49 days.
 */
export const REAL_CLOCK_START = 2 ** 32 - 2 ** 16;
/** Time fields older than this (2^30 ms, 12.4 days) are moved up to it by the sweep. */
export const SWEEP_AGE = 2 ** 30;
/** The sweep runs whenever the clock enters a new period of 2^28 ms (3.1 days). */
const SWEEP_SHIFT = 28;
/** The clock moves by at most this much per step, so no sweep period is skipped. */
const MAX_STEP = 2 ** SWEEP_SHIFT;

/** Latest slab time a clock can reach, ms (keeps every sum of times exact in a double). */
export const MAX_CLOCK_MS = 2 ** 53 - 2 ** 32;

export const CLOCK_REAL = 0;
export const CLOCK_MANUAL = 1;

export type ClockKind = 'real' | 'manual';

/**
 * The one time base of a slab, shared by every attached thread.
 *
 * The time is a word in the slab (`now`, milliseconds modulo 2^32, plus a half-wrap count that
 * makes it exact to 2^53 ms). Hot paths read the word with a plain load (4-7 ns) instead of
 * reading a system clock (38-60 ns). A real clock is kept current by one ticker thread per
 * process (about every millisecond) and by the slow paths that need exact time (token refill,
 * state transitions), which refresh it from the process-monotonic clock. A manual clock moves
 * only when a test advances it, from any thread.
 *
 * Times kept in records are 32-bit and compared only by wrapping difference, which is exact
 * while they are less than 2^31 ms (24.8 days) apart. The sweep guarantees it: each time the
 * clock enters a new 2^28 ms period it moves every record time older than 2^30 ms up to exactly
 * 2^30 ms old (still "long ago" for every purpose). Large jumps are taken in steps of 2^28 ms.
 */
export class SharedClock {
  readonly #slab: Slab;
  readonly #i32: Int32Array;

  constructor(slab: Slab) {
    this.#slab = slab;
    this.#i32 = slab.i32;
  }

  get kind(): ClockKind {
    return Atomics.load(this.#i32, H_CLOCK_KIND_I32) === CLOCK_MANUAL ? 'manual' : 'real';
  }

  /** Slab time in milliseconds, exact. */
  now(): number {
    return wideRead(this.#i32, H_NOW_I32, H_NOW_HALF_WRAPS_I32);
  }

  /** Slab time modulo 2^32, as the signed Int32 that record times are compared with. */
  wrapped(): number {
    return this.#i32[H_NOW_I32] as number;
  }

  /**
   * Moves the clock forward to `target` (never back), sweeping old record times as it goes.
   * Safe from any number of threads at once. Returns the time afterwards.
   */
  advanceTo(target: number): number {
    const i32 = this.#i32;
    const goal = Math.min(Math.floor(target), MAX_CLOCK_MS);
    for (;;) {
      const cur = this.now();
      if (!(goal > cur)) return cur;
      // With no record yet there is nothing to sweep: a jump of any size is one step.
      const step = Atomics.load(i32, H_BUMP_NEXT_I32) === 0 ? goal - cur : Math.min(goal - cur, MAX_STEP);
      const next = cur + step;
      if (Atomics.compareExchange(i32, H_NOW_I32, wrap32(cur), wrap32(next)) !== wrap32(cur)) continue;
      const crossed = Math.floor(next / 2 ** 31) - Math.floor(cur / 2 ** 31);
      if (crossed !== 0) Atomics.add(i32, H_NOW_HALF_WRAPS_I32, crossed);
      this.#maybeSweep(next);
      // Calls waiting on a manual clock (token waits, timeouts) wake on this.
      if (Atomics.load(i32, H_CLOCK_KIND_I32) === CLOCK_MANUAL) Atomics.notify(i32, H_NOW_I32);
    }
  }

  /** Advances a manual clock by `ms` milliseconds. Throws for a real clock. */
  advance(ms: number): number {
    if (this.kind !== 'manual') throw new TypeError('advance() needs a manual clock; this slab runs on the real clock');
    const now = this.now();
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_CLOCK_MS - now) {
      throw new RangeError(`advance(ms): ms must be a whole number of milliseconds from 0 to ${MAX_CLOCK_MS - now}, got ${String(ms)}`);
    }
    return this.advanceTo(now + ms);
  }

  /** For a real clock, brings the time word up to the process-monotonic clock. No-op for a manual clock. */
  refresh(): void {
    if (Atomics.load(this.#i32, H_CLOCK_KIND_I32) !== CLOCK_REAL) return;
    const epoch = this.#slab.f64[H_CLOCK_EPOCH_I64] as number;
    this.advanceTo(Math.floor(monotonicMs() - epoch) + REAL_CLOCK_START);
  }

  /** Starts this slab's clock: real (from now on) or manual (at `start`). Called once, by the allocating thread. */
  initialise(kind: ClockKind, start: number): void {
    const i32 = this.#i32;
    Atomics.store(i32, H_CLOCK_KIND_I32, kind === 'manual' ? CLOCK_MANUAL : CLOCK_REAL);
    if (kind === 'real') this.#slab.f64[H_CLOCK_EPOCH_I64] = monotonicMs();
    this.advanceTo(kind === 'real' ? REAL_CLOCK_START : start);
  }

  #maybeSweep(abs: number): void {
    const period = Math.floor(abs / MAX_STEP);
    const last = Atomics.load(this.#i32, H_LAST_SWEEP_I32);
    if (last === period) return;
    if (Atomics.compareExchange(this.#i32, H_LAST_SWEEP_I32, last, period) !== last) return;
    sweepRecordTimes(this.#slab, abs);
  }
}

/** Moves every endpoint record time older than SWEEP_AGE up to exactly SWEEP_AGE old (CAS, so a concurrent writer wins). */
export function sweepRecordTimes(slab: Slab, abs: number): void {
  const i32 = slab.i32;
  const i64 = slab.i64;
  const now = wrap32(abs);
  const floor = wrap32(abs - SWEEP_AGE);
  const used = Atomics.load(i32, H_BUMP_NEXT_I32);
  for (let r = 0; r < used; r++) {
    const base = slab.endpointBase32(r);
    for (const f of EP_TIME_FIELDS_I32) {
      const t = i32[base + f] as number;
      if (((now - t) | 0) > SWEEP_AGE) Atomics.compareExchange(i32, base + f, t, floor);
    }
    for (const f of EP_TIME_HIGH_FIELDS_I64) {
      const at = (base >>> 1) + f;
      const word = Atomics.load(i64, at);
      const hi = Number(BigInt.asIntN(32, word >> 32n));
      if (((now - hi) | 0) > SWEEP_AGE) {
        const next = BigInt.asIntN(64, (BigInt(floor) << 32n) | (word & 0xffffffffn));
        Atomics.compareExchange(i64, at, word, next);
      }
    }
  }
}
