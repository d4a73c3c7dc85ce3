import { MAX_CLOCK_MS, type SharedClock } from './SharedClock.js';

/**
 * A clock that moves only when told to, for tests. Give it to a service
 * (`new ResilienceService(policy, { clock })`): from then on its time lives in the service's slab,
 * so every worker attached to that slab sees the same time, and a worker can advance it too
 * (`service.clock.advance(ms)`).
 */
export class ManualClock {
  #pending: number;
  #shared: SharedClock | undefined;

  /** @param startMs the initial time in milliseconds (an integer >= 0; values past 2^32 are fine). */
  constructor(startMs = 0) {
    if (typeof startMs !== 'number' || !Number.isSafeInteger(startMs) || startMs < 0 || startMs > MAX_CLOCK_MS) {
      throw new RangeError(`ManualClock(startMs): startMs must be a whole number of milliseconds from 0 to ${MAX_CLOCK_MS}, got ${String(startMs)}`);
    }
    this.#pending = startMs;
  }

  /** The current time in milliseconds. */
  now(): number {
    return this.#shared === undefined ? this.#pending : this.#shared.now();
  }

  /** Moves the time forward by `ms` (>= 0) and returns the new time. */
  advance(ms: number): number {
    if (this.#shared === undefined) {
      if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_CLOCK_MS - this.#pending) {
        throw new RangeError(`advance(ms): ms must be a whole number of milliseconds from 0 to ${MAX_CLOCK_MS - this.#pending}, got ${String(ms)}`);
      }
      this.#pending += ms;
      return this.#pending;
    }
    return this.#shared.advance(ms);
  }

  /** @internal Hands the clock to a slab; a ManualClock drives one service only. */
  bindTo(shared: SharedClock): void {
    if (this.#shared !== undefined) throw new TypeError('this ManualClock already drives another service; make one per service');
    shared.initialise('manual', this.#pending);
    this.#shared = shared;
  }
}
