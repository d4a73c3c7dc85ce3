import {
  applyBreaker,
  type BreakerState,
  generationOf,
  isTrialTicket,
  NO_CHANGE,
  nextOnAcquire,
  nextOnTrialResult,
  nextOnTrialReturn,
  nextOnWindow,
  Rejection,
  ticketGeneration,
  ticketOf,
} from '../breaker/BreakerState.js';
import { addF64 } from '../core/atomic64.js';
import {
  EP_BREAKER_I32,
  EP_EMPTY_UNTIL_I32,
  EP_FAILURES_HALF_WRAPS_I32,
  EP_FAILURES_I32,
  EP_GRANTS_HALF_WRAPS_I32,
  EP_GRANTS_I32,
  EP_LATENCY_COUNT_I32,
  EP_LATENCY_TOTAL_I32,
  EP_LIFE_I32,
  EP_LIMIT_I32,
  EP_POLICY_I32,
  EP_REJECTED_OPEN_HALF_WRAPS_I32,
  EP_REJECTED_OPEN_I32,
  EP_REJECTED_RATE_HALF_WRAPS_I32,
  EP_REJECTED_RATE_I32,
  EP_ROTATE_AT_I32,
  EP_WAIT_TOTAL_I64,
  EP_WAITED_CALLS_HALF_WRAPS_I32,
  EP_WAITED_CALLS_I32,
  EP_WAITERS_I32,
  H_NOW_I32,
  POL_MIN_REQUESTS_I32,
  POL_SUCCESSES_I32,
  POL_THRESHOLD_PPM_I32,
  POL_TRIALS_I32,
} from '../core/layout.generated.js';
import { crossesHalf, wideIncrement } from '../core/wide.js';
import { classOf, enterGate, higherWaiting, leaveGate, mayPass, Priority, touchGate, WAIT_HEARTBEAT_MS } from '../limiter/PriorityGate.js';
import { msUntilToken, refill } from '../limiter/TokenBucket.js';
import { readWindow, resetWindow, rotate, type WindowCounts } from '../window/RollingWindow.js';
import type { EndpointCore } from './EndpointCore.js';
import { sleep } from './sleep.js';

interface LocalWaiter {
  readonly cls: number;
}

/** @internal Outcome recorders for one ticket (see EndpointHandle.settlers). */
export interface Settlers {
  readonly ticket: number;
  readonly succeeded: (value: unknown) => unknown;
  readonly failed: (error: unknown) => never;
}

/**
 * The hot path of one endpoint, for one thread: `tryAcquire` before a call, `record` after it.
 * Both are synchronous and allocate nothing. Get one with `resilience.endpoint(name)`; it stays
 * valid across unregister / register (it rebinds by name) and is cheap to keep.
 *
 * Cost of an admitted call on a CLOSED circuit with nobody waiting: seven plain Int32 loads
 * (liveness, clock, breaker, waiters, window rotation time, token limit and its expiry) and one
 * `Atomics.compareExchange` (the grant, which is also the call count). `record(ticket, true)` on
 * a CLOSED ticket touches no shared memory; a failure is one `Atomics.add` plus a read of the
 * window (O(buckets) plain loads).
 */
export class EndpointHandle {
  /** The endpoint's name. */
  readonly name: string;
  readonly #core: EndpointCore;
  readonly #i32: Int32Array;
  readonly #window: WindowCounts = { total: 0, failures: 0 };
  /** Calls of this thread waiting for a token, per class, in arrival order. */
  readonly #queues: LocalWaiter[][] = [[], [], [], []];
  #kick: { promise: Promise<void>; resolve: () => void } = kickPair();
  #settle: Settlers | undefined;
  #base = 0;
  #index = 0;
  #life = -1;

  /** @internal Made by ResilienceService.endpoint(). */
  constructor(core: EndpointCore, name: string) {
    this.#core = core;
    this.#i32 = core.slab.i32;
    this.name = name;
    this.#bind();
  }

  /** @internal Record index of the endpoint (changes if it is unregistered and registered again). */
  get index(): number {
    this.#live();
    return this.#index;
  }

  /**
   * Asks to make one call now. Returns a ticket (>= 0) to pass to {@link record}, or a negative
   * rejection: `Rejection.CircuitOpen` (-1: the circuit is open, do not call) or
   * `Rejection.RateLimited` (-2: no token now, or calls of this priority or higher are waiting).
   * A rejection needs no `record`.
   *
   * @param priority 0..255 (see `Priority`); it matters only while calls are waiting.
   */
  tryAcquire(priority: number = Priority.Normal): number {
    return this.#acquire(priority, true);
  }

  /** The admission check; `count` says whether a rate rejection is counted (not when the caller will wait). */
  #acquire(priority: number, count: boolean): number {
    const m = this.#i32;
    const base = this.#base;
    if (m[base + EP_LIFE_I32] !== this.#life) {
      this.#bind();
      return this.#acquire(priority, count);
    }
    const now = m[H_NOW_I32] as number;
    const lo = m[base + EP_BREAKER_I32] as number;
    if ((lo & 3) !== 0) return this.#acquireNotClosed(now, count);
    if (m[base + EP_WAITERS_I32] !== 0 && !mayPass(m, base, classOf(priority), now)) return count ? this.#rejectRate() : Rejection.RateLimited;
    if (((now - (m[base + EP_ROTATE_AT_I32] as number)) | 0) >= 0) rotate(m, base, now, this.#core.clock.now());
    const expiry = m[base + EP_LIMIT_I32 + 1] as number;
    const g = m[base + EP_GRANTS_I32] as number;
    if (
      ((now - expiry) | 0) <= 0 &&
      ((g - (m[base + EP_LIMIT_I32] as number)) | 0) < 0 &&
      Atomics.compareExchange(m, base + EP_GRANTS_I32, g, (g + 1) | 0) === g
    ) {
      if (crossesHalf(g)) Atomics.add(m, base + EP_GRANTS_HALF_WRAPS_I32, 1);
      return ticketOf(lo, false);
    }
    if (this.#takeTokenSlow()) return ticketOf(lo, false);
    return count ? this.#rejectRate() : Rejection.RateLimited;
  }

  /**
   * Reports the outcome of a call admitted with `ticket`. Negative tickets are ignored, so
   * `ep.record(ep.tryAcquire(), ok)` is safe. Results from an earlier breaker generation are
   * counted but move no state.
   */
  record(ticket: number, ok: boolean): void {
    // Only what tryAcquire hands out counts: a non-negative Int32 (NaN, fractions and the like do not).
    if ((ticket | 0) !== ticket || ticket < 0) return;
    if (ok) {
      if ((ticket & 1) === 1) this.#trialResult(ticket, true);
      return;
    }
    const m = this.#i32;
    const base = this.#base;
    if (m[base + EP_LIFE_I32] !== this.#life) return;
    wideIncrement(m, base + EP_FAILURES_I32, base + EP_FAILURES_HALF_WRAPS_I32);
    if (isTrialTicket(ticket)) {
      this.#trialResult(ticket, false);
      return;
    }
    const lo = m[base + EP_BREAKER_I32] as number;
    if ((lo & 3) !== 0 || ticketGeneration(ticket) !== generationOf(lo) || this.#core.slab.passThrough) return;
    const now = m[H_NOW_I32] as number;
    const w = readWindow(m, base, now, this.#window);
    const policy = base + EP_POLICY_I32;
    const min = m[policy + POL_MIN_REQUESTS_I32] as number;
    const ppm = m[policy + POL_THRESHOLD_PPM_I32] as number;
    if (nextOnWindow(lo, w.total, w.failures, min, ppm) === NO_CHANGE) return;
    let to = NO_CHANGE;
    const from = applyBreaker(m, this.#core.slab.i64, base, now, (cur) => {
      to = generationOf(cur) === ticketGeneration(ticket) ? nextOnWindow(cur, w.total, w.failures, min, ppm) : NO_CHANGE;
      return to;
    });
    if (from !== NO_CHANGE) this.#core.transitioned(this.#index, from, to, now);
  }

  /** The breaker's state now. */
  get state(): BreakerState {
    this.#live();
    return ((this.#i32[this.#base + EP_BREAKER_I32] as number) & 3) as BreakerState;
  }

  /**
   * @internal After a tryAcquireQuiet that found no token: waits for one, by priority across all
   * threads (FIFO within a priority in this thread), until slab time `deadline`. Resolves with a
   * ticket, `Rejection.CircuitOpen`, or `Rejection.RateLimited` when the deadline passed (a
   * timed-out waiter takes no token). `waited` receives the slab milliseconds spent waiting.
   */
  async waitForToken(priority: number, deadline: number, waited: { ms: number }): Promise<number> {
    const core = this.#core;
    const m = this.#i32;
    const cls = classOf(priority);
    const me: LocalWaiter = { cls };
    const queue = this.#queues[cls] as LocalWaiter[];
    queue.push(me);
    const start = core.clock.now();
    let base = this.#base;
    enterGate(m, base, cls, m[H_NOW_I32] as number);
    try {
      for (;;) {
        if (m[base + EP_LIFE_I32] !== this.#life) {
          leaveGate(m, base, cls);
          this.#bind();
          base = this.#base;
          enterGate(m, base, cls, m[H_NOW_I32] as number);
        }
        core.clock.refresh();
        const nowAbs = core.clock.now();
        const now = m[H_NOW_I32] as number;
        touchGate(m, base, cls, now);
        if (queue[0] === me && !this.#localHigher(cls) && !higherWaiting(m, base, cls, now)) {
          const ticket = this.#acquireInner(false);
          if (ticket !== Rejection.RateLimited) {
            waited.ms = nowAbs - start;
            if (ticket >= 0 && waited.ms > 0) {
              wideIncrement(m, base + EP_WAITED_CALLS_I32, base + EP_WAITED_CALLS_HALF_WRAPS_I32);
              addF64(core.slab.i64, (base >>> 1) + EP_WAIT_TOTAL_I64, waited.ms);
            }
            return ticket;
          }
        }
        if (nowAbs >= deadline) {
          waited.ms = nowAbs - start;
          wideIncrement(m, base + EP_REJECTED_RATE_I32, base + EP_REJECTED_RATE_HALF_WRAPS_I32);
          return Rejection.RateLimited;
        }
        // Sleep until a token is due (real clock) or the manual clock moves, at most a heartbeat;
        // a waiter ahead of us in this thread leaving wakes us at once.
        const manual = core.clock.kind === 'manual';
        const untilToken = msUntilToken(m, core.slab.i64, base, nowAbs);
        const pause = manual ? WAIT_HEARTBEAT_MS : Math.max(1, Math.min(untilToken, deadline - nowAbs, WAIT_HEARTBEAT_MS));
        const nap = sleep(pause, manual ? { i32: m, index: H_NOW_I32, expected: now } : undefined);
        await Promise.race([this.#kick.promise, nap.done]);
        nap.cancel();
      }
    } finally {
      queue.splice(queue.indexOf(me), 1);
      leaveGate(m, base, cls);
      const kick = this.#kick;
      this.#kick = kickPair();
      kick.resolve();
    }
  }

  /** @internal Adds a completed call's latency (whole slab ms) to the endpoint's sampled totals. */
  recordLatency(ms: number): void {
    const base = this.#base;
    Atomics.add(this.#i32, base + EP_LATENCY_TOTAL_I32, ms | 0);
    Atomics.add(this.#i32, base + EP_LATENCY_COUNT_I32, 1);
  }

  /**
   * @internal Callbacks that record the outcome of a call admitted with `ticket` and pass its
   * result or error on; cached while the ticket stays the same (it does for a whole breaker
   * generation), so execute() allocates no closures per call.
   */
  settlers(ticket: number, classify: (ep: EndpointHandle, error: unknown) => boolean): Settlers {
    const cached = this.#settle;
    if (cached !== undefined && cached.ticket === ticket) return cached;
    const settle: Settlers = {
      ticket,
      succeeded: (value: unknown) => {
        this.record(ticket, true);
        return value;
      },
      failed: (error: unknown) => {
        this.record(ticket, !classify(this, error));
        throw error;
      },
    };
    this.#settle = settle;
    return settle;
  }

  /**
   * @internal tryAcquire that does not count a rate rejection (the caller will wait instead).
   */
  tryAcquireQuiet(priority: number): number {
    return this.#acquire(priority, false);
  }

  #live(): void {
    if (this.#i32[this.#base + EP_LIFE_I32] !== this.#life) this.#bind();
  }

  #bind(): void {
    const { index, life } = this.#core.bind(this.name);
    this.#index = index;
    this.#base = this.#core.slab.endpointBase32(index);
    this.#life = life;
  }

  #localHigher(cls: number): boolean {
    for (let c = cls + 1; c < this.#queues.length; c++) if ((this.#queues[c] as LocalWaiter[]).length > 0) return true;
    return false;
  }

  /** Admission ignoring the priority gate (the caller has checked it). */
  #acquireInner(countRateRejection: boolean): number {
    const m = this.#i32;
    const base = this.#base;
    const now = m[H_NOW_I32] as number;
    const lo = m[base + EP_BREAKER_I32] as number;
    if ((lo & 3) !== 0) return this.#acquireNotClosed(now, countRateRejection);
    if (((now - (m[base + EP_ROTATE_AT_I32] as number)) | 0) >= 0) rotate(m, base, now, this.#core.clock.now());
    if (this.#takeTokenSlow()) return ticketOf(lo, false);
    return countRateRejection ? this.#rejectRate() : Rejection.RateLimited;
  }

  #takeTokenSlow(): boolean {
    const m = this.#i32;
    const base = this.#base;
    const core = this.#core;
    for (;;) {
      const expiry = m[base + EP_LIMIT_I32 + 1] as number;
      const g = m[base + EP_GRANTS_I32] as number;
      const now = m[H_NOW_I32] as number;
      if (((g - (m[base + EP_LIMIT_I32] as number)) | 0) >= 0 || ((now - expiry) | 0) > 0) {
        if (((now - (m[base + EP_EMPTY_UNTIL_I32] as number)) | 0) <= 0) return false;
        core.clock.refresh();
        if (!refill(m, core.slab.i64, base, core.clock.now(), core.slab.passThrough)) return false;
        continue;
      }
      if (Atomics.compareExchange(m, base + EP_GRANTS_I32, g, (g + 1) | 0) === g) {
        if (crossesHalf(g)) Atomics.add(m, base + EP_GRANTS_HALF_WRAPS_I32, 1);
        return true;
      }
    }
  }

  #rejectRate(): number {
    const base = this.#base;
    wideIncrement(this.#i32, base + EP_REJECTED_RATE_I32, base + EP_REJECTED_RATE_HALF_WRAPS_I32);
    return Rejection.RateLimited;
  }

  #rejectOpen(): number {
    const base = this.#base;
    wideIncrement(this.#i32, base + EP_REJECTED_OPEN_I32, base + EP_REJECTED_OPEN_HALF_WRAPS_I32);
    return Rejection.CircuitOpen;
  }

  /** OPEN or HALF_OPEN: reject, or take a trial permit (and then a token). */
  #acquireNotClosed(now: number, countRateRejection: boolean): number {
    const m = this.#i32;
    const base = this.#base;
    const core = this.#core;
    if (core.slab.passThrough) {
      // Pass-through never opens; a state left from before cannot block either.
      if (this.#takeTokenSlow()) return ticketOf(m[base + EP_BREAKER_I32] as number, false);
      return countRateRejection ? this.#rejectRate() : Rejection.RateLimited;
    }
    const maxTrials = m[base + EP_POLICY_I32 + POL_TRIALS_I32] as number;
    const lo = m[base + EP_BREAKER_I32] as number;
    if (nextOnAcquire(lo, m[base + EP_BREAKER_I32 + 1] as number, now, maxTrials) === NO_CHANGE) return this.#rejectOpen();
    core.clock.refresh();
    const at = core.clock.wrapped();
    let admitted = NO_CHANGE;
    const from = applyBreaker(m, core.slab.i64, base, at, (cur, hi) => {
      admitted = nextOnAcquire(cur, hi, at, maxTrials);
      return admitted;
    });
    if (from === NO_CHANGE) return this.#rejectOpen();
    if (generationOf(admitted) !== generationOf(from)) core.transitioned(this.#index, from, admitted, at);
    const ticket = ticketOf(admitted, true);
    if (this.#takeTokenSlow()) return ticket;
    applyBreaker(m, core.slab.i64, base, at, (cur) => nextOnTrialReturn(cur, ticket));
    return countRateRejection ? this.#rejectRate() : Rejection.RateLimited;
  }

  #trialResult(ticket: number, ok: boolean): void {
    const m = this.#i32;
    const base = this.#base;
    if (m[base + EP_LIFE_I32] !== this.#life) return;
    const core = this.#core;
    const successes = m[base + EP_POLICY_I32 + POL_SUCCESSES_I32] as number;
    if (nextOnTrialResult(m[base + EP_BREAKER_I32] as number, ticket, ok, successes) === NO_CHANGE) return;
    core.clock.refresh();
    const now = core.clock.wrapped();
    let to = NO_CHANGE;
    const from = applyBreaker(m, core.slab.i64, base, now, (cur) => {
      to = nextOnTrialResult(cur, ticket, ok, successes);
      return to;
    });
    if (from === NO_CHANGE) return;
    if (generationOf(to) !== generationOf(from)) {
      if ((to & 3) === 0) resetWindow(m, base, now);
      core.transitioned(this.#index, from, to, now);
    }
  }
}

function kickPair(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
