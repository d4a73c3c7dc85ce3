import {
  applyBreaker,
  type BreakerState,
  isTrialTicket,
  NO_CHANGE,
  nextOnAcquire,
  nextOnTrialResult,
  nextOnTrialReturn,
  nextOnWindow,
  Rejection,
  ticketGeneration,
  generationOf,
  ticketOf,
} from '../breaker/BreakerState.js';
import {
  EP_BREAKER_I32,
  EP_FAILURES_HALF_WRAPS_I32,
  EP_FAILURES_I32,
  EP_GRANTS_HALF_WRAPS_I32,
  EP_GRANTS_I32,
  EP_LIFE_I32,
  EP_LIMIT_I32,
  EP_POLICY_I32,
  EP_REJECTED_OPEN_HALF_WRAPS_I32,
  EP_REJECTED_OPEN_I32,
  EP_REJECTED_RATE_HALF_WRAPS_I32,
  EP_REJECTED_RATE_I32,
  EP_ROTATE_AT_I32,
  H_NOW_I32,
  POL_MIN_REQUESTS_I32,
  POL_SUCCESSES_I32,
  POL_THRESHOLD_PPM_I32,
  POL_TRIALS_I32,
} from '../core/layout.generated.js';
import { crossesHalf, wideIncrement } from '../core/wide.js';
import { refill } from '../limiter/TokenBucket.js';
import { readWindow, resetWindow, rotate, type WindowCounts } from '../window/RollingWindow.js';
import type { EndpointCore } from './EndpointCore.js';

/**
 * The hot path of one endpoint, for one thread: `tryAcquire` before a call, `record` after it.
 * Both are synchronous and allocate nothing. Get one with `resilience.endpoint(name)`; it stays
 * valid across unregister / register (it rebinds by name) and is cheap to keep.
 *
 * Cost of an admitted call on a CLOSED circuit: five plain Int32 loads (liveness, clock, breaker,
 * window rotation time, token limit) and one `Atomics.compareExchange` (the grant, which is also
 * the call count). `record(ticket, true)` on a CLOSED ticket touches no shared memory; a failure
 * is one `Atomics.add` plus a read of the window.
 */
export class EndpointHandle {
  /** The endpoint's name. */
  readonly name: string;
  readonly #core: EndpointCore;
  readonly #i32: Int32Array;
  readonly #window: WindowCounts = { total: 0, failures: 0 };
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

  /**
   * Asks to make one call. Returns a ticket (>= 0) to pass to {@link record}, or a negative
   * rejection: `Rejection.CircuitOpen` (-1, the circuit is open: do not call) or
   * `Rejection.RateLimited` (-2, no token now). A rejection needs no `record`.
   */
  tryAcquire(_priority?: number): number {
    const m = this.#i32;
    const base = this.#base;
    if (m[base + EP_LIFE_I32] !== this.#life) return this.#rebind() ? this.tryAcquire(_priority) : Rejection.CircuitOpen;
    const now = m[H_NOW_I32] as number;
    const lo = m[base + EP_BREAKER_I32] as number;
    if ((lo & 3) !== 0) return this.#acquireNotClosed(now);
    if (((now - (m[base + EP_ROTATE_AT_I32] as number)) | 0) >= 0) rotate(m, base, now, this.#core.clock.now());
    const g = m[base + EP_GRANTS_I32] as number;
    if (((g - (m[base + EP_LIMIT_I32] as number)) | 0) < 0 && Atomics.compareExchange(m, base + EP_GRANTS_I32, g, (g + 1) | 0) === g) {
      if (crossesHalf(g)) Atomics.add(m, base + EP_GRANTS_HALF_WRAPS_I32, 1);
      return ticketOf(lo, false);
    }
    return this.#takeTokenSlow() ? ticketOf(lo, false) : this.#rejectRate();
  }

  /**
   * Reports the outcome of a call admitted with `ticket`. Negative tickets are ignored, so
   * `ep.record(ep.tryAcquire(), ok)` is safe. Results from an earlier breaker generation are
   * counted but move no state.
   */
  record(ticket: number, ok: boolean): void {
    if (ok) {
      if ((ticket & 1) === 1 && ticket > 0) this.#trialResult(ticket, true);
      return;
    }
    if (ticket < 0) return;
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
    if (this.#i32[this.#base + EP_LIFE_I32] !== this.#life) this.#rebind();
    return ((this.#i32[this.#base + EP_BREAKER_I32] as number) & 3) as BreakerState;
  }

  #bind(): void {
    const { index, life } = this.#core.bind(this.name);
    this.#index = index;
    this.#base = this.#core.slab.endpointBase32(index);
    this.#life = life;
  }

  /** The record was unregistered or reused: find (or register) the name again. */
  #rebind(): boolean {
    this.#bind();
    return true;
  }

  #takeTokenSlow(): boolean {
    const m = this.#i32;
    const base = this.#base;
    const core = this.#core;
    for (;;) {
      const g = m[base + EP_GRANTS_I32] as number;
      if (((g - (m[base + EP_LIMIT_I32] as number)) | 0) >= 0) {
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
  #acquireNotClosed(now: number): number {
    const m = this.#i32;
    const base = this.#base;
    const core = this.#core;
    if (core.slab.passThrough) {
      // Pass-through never opens; a state left from before cannot block either.
      return this.#takeTokenSlow() ? ticketOf(m[base + EP_BREAKER_I32] as number, false) : this.#rejectRate();
    }
    const maxTrials = m[base + EP_POLICY_I32 + POL_TRIALS_I32] as number;
    const lo = m[base + EP_BREAKER_I32] as number;
    if (nextOnAcquire(lo, m[base + EP_BREAKER_I32 + 1] as number, now, maxTrials) === NO_CHANGE) return this.#rejectOpen();
    core.clock.refresh();
    const at = core.clock.wrapped();
    let admitted = 0;
    const from = applyBreaker(m, core.slab.i64, base, at, (cur, hi) => {
      const next = nextOnAcquire(cur, hi, at, maxTrials);
      admitted = next;
      return next;
    });
    if (from === NO_CHANGE) return this.#rejectOpen();
    if (generationOf(admitted) !== generationOf(from)) core.transitioned(this.#index, from, admitted, at);
    const ticket = ticketOf(admitted, true);
    if (this.#takeTokenSlow()) return ticket;
    applyBreaker(m, core.slab.i64, base, at, (cur) => nextOnTrialReturn(cur, ticket));
    return this.#rejectRate();
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
