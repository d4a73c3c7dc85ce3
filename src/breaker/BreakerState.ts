import { halvesOf, wordOf } from '../core/atomic64.js';
import { EP_BREAKER_I64, EP_POLICY_I32, EP_TRANSITIONS_I32, POL_OPEN_TIMEOUT_MS_I32, POL_TRIAL_TIMEOUT_MS_I32 } from '../core/layout.generated.js';

/** States of a circuit breaker, as numbers (the values of the specification's gauge). */
export const BreakerState = { Closed: 0, Open: 1, HalfOpen: 2 } as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

/** Names of the states, indexed by state. */
export const BREAKER_STATE_NAMES = ['CLOSED', 'OPEN', 'HALF_OPEN'] as const;

/**
 * The low word of the breaker: state (bits 0-1), trial permits issued (2-8), trial successes
 * (9-15), generation (16-31, modulo 2^16, incremented by every transition). The high word holds
 * the deadline of OPEN (when trials may start) or of HALF_OPEN's permits (when they expire).
 * State 3 never occurs, so it serves as "no change".
 */
export const NO_CHANGE = 3;

export function packLow(state: number, trials: number, successes: number, generation: number): number {
  return (state & 3) | ((trials & 0x7f) << 2) | ((successes & 0x7f) << 9) | ((generation & 0xffff) << 16);
}
export const stateOf = (lo: number): BreakerState => (lo & 3) as BreakerState;
export const trialsOf = (lo: number): number => (lo >>> 2) & 0x7f;
export const successesOf = (lo: number): number => (lo >>> 9) & 0x7f;
export const generationOf = (lo: number): number => lo >>> 16;

/**
 * Tickets: a non-negative Int32, (generation << 1) | trial. Negative values are rejections.
 */
export const Rejection = { CircuitOpen: -1, RateLimited: -2 } as const;
export type Rejection = (typeof Rejection)[keyof typeof Rejection];

export const ticketOf = (lo: number, trial: boolean): number => ((lo >>> 15) & 0x1fffe) | (trial ? 1 : 0);
export const ticketGeneration = (ticket: number): number => ticket >>> 1;
export const isTrialTicket = (ticket: number): boolean => (ticket & 1) === 1;

// ---- pure next-state functions -------------------------------------------------------------

/**
 * A call arrives while the breaker is not CLOSED. Returns the low word that admits it as a
 * trial, or NO_CHANGE to reject it. `now` and `hi` are slab times modulo 2^32.
 */
export function nextOnAcquire(lo: number, hi: number, now: number, maxTrials: number): number {
  const state = lo & 3;
  const expired = ((now - hi) | 0) >= 0;
  if (state === BreakerState.Open) {
    return expired ? packLow(BreakerState.HalfOpen, 1, 0, generationOf(lo) + 1) : NO_CHANGE;
  }
  if (state === BreakerState.HalfOpen) {
    const trials = trialsOf(lo);
    if (trials < maxTrials) return packLow(BreakerState.HalfOpen, trials + 1, successesOf(lo), generationOf(lo));
    // Every permit is out: after their deadline they expire (a thread that took one may have died).
    return expired ? packLow(BreakerState.HalfOpen, 1, 0, generationOf(lo) + 1) : NO_CHANGE;
  }
  return NO_CHANGE;
}

/** A trial permit of the current HALF_OPEN generation is handed back unused. */
export function nextOnTrialReturn(lo: number, ticket: number): number {
  if ((lo & 3) !== BreakerState.HalfOpen || ticketGeneration(ticket) !== generationOf(lo) || trialsOf(lo) === 0) return NO_CHANGE;
  return packLow(BreakerState.HalfOpen, trialsOf(lo) - 1, successesOf(lo), generationOf(lo));
}

/** The result of a call admitted with `ticket`. Only a trial of the current generation moves HALF_OPEN. */
export function nextOnTrialResult(lo: number, ticket: number, ok: boolean, successesToClose: number): number {
  if ((lo & 3) !== BreakerState.HalfOpen || !isTrialTicket(ticket) || ticketGeneration(ticket) !== generationOf(lo)) return NO_CHANGE;
  if (!ok) return packLow(BreakerState.Open, 0, 0, generationOf(lo) + 1);
  const successes = successesOf(lo) + 1;
  if (successes >= successesToClose) return packLow(BreakerState.Closed, 0, 0, generationOf(lo) + 1);
  return packLow(BreakerState.HalfOpen, trialsOf(lo), successes, generationOf(lo));
}

/** A failure while CLOSED, with the window's counts: OPEN when both the volume and the rate are reached. */
export function nextOnWindow(lo: number, total: number, failures: number, minRequests: number, thresholdPpm: number): number {
  if ((lo & 3) !== BreakerState.Closed || total < minRequests || failures * 1_000_000 < thresholdPpm * total) return NO_CHANGE;
  return packLow(BreakerState.Open, 0, 0, generationOf(lo) + 1);
}

/** The high word after moving from `lo` to `next`: a new deadline when the generation changes. */
export function nextDeadline(lo: number, hi: number, next: number, now: number, openTimeoutMs: number, trialTimeoutMs: number): number {
  if (generationOf(next) === generationOf(lo)) return hi;
  const state = next & 3;
  if (state === BreakerState.Open) return (now + openTimeoutMs) | 0;
  if (state === BreakerState.HalfOpen) return (now + trialTimeoutMs) | 0;
  return now;
}

// ---- application to a slab record ----------------------------------------------------------

/**
 * Applies `step(lo, hi)` to the breaker of the record at `base` with a CAS loop. Returns the
 * previous low word if this thread made the change (so it alone reports the transition), or
 * NO_CHANGE if `step` declined.
 */
export function applyBreaker(
  i32: Int32Array,
  i64: BigInt64Array,
  base: number,
  now: number,
  step: (lo: number, hi: number) => number,
): number {
  const at = (base >>> 1) + EP_BREAKER_I64;
  const policy = base + EP_POLICY_I32;
  for (;;) {
    const word = Atomics.load(i64, at);
    const [lo, hi] = halvesOf(word);
    const next = step(lo, hi);
    if (next === NO_CHANGE) return NO_CHANGE;
    const deadline = nextDeadline(
      lo,
      hi,
      next,
      now,
      i32[policy + POL_OPEN_TIMEOUT_MS_I32] as number,
      i32[policy + POL_TRIAL_TIMEOUT_MS_I32] as number,
    );
    if (Atomics.compareExchange(i64, at, word, wordOf(next, deadline)) === word) {
      if (generationOf(next) !== generationOf(lo)) Atomics.add(i32, base + EP_TRANSITIONS_I32, 1);
      return lo;
    }
  }
}
