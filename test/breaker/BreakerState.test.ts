import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BreakerState,
  generationOf,
  isTrialTicket,
  NO_CHANGE,
  nextDeadline,
  nextOnAcquire,
  nextOnTrialResult,
  nextOnTrialReturn,
  nextOnWindow,
  packLow,
  Rejection,
  stateOf,
  successesOf,
  ticketGeneration,
  ticketOf,
  trialsOf,
} from '../../src/breaker/BreakerState.js';
import { wrap32 } from '../../src/core/wide.js';

const { Closed, Open, HalfOpen } = BreakerState;

const stateArb = fc.constantFrom(Closed, Open, HalfOpen);
const trialsArb = fc.integer({ min: 0, max: 127 });
const generationArb = fc.integer({ min: 0, max: 0xffff });

/** The fields of a low word, for readable assertions. */
function fields(lo: number): { state: number; trials: number; successes: number; generation: number } {
  return { state: stateOf(lo), trials: trialsOf(lo), successes: successesOf(lo), generation: generationOf(lo) };
}

describe('packLow and its readers', () => {
  it('puts the fields at the documented bits: state 0-1, trials 2-8, successes 9-15, generation 16-31', () => {
    expect(packLow(HalfOpen, 5, 3, 7)).toBe(2 + 5 * 4 + 3 * 512 + 7 * 65536);
    expect(packLow(Open, 0, 0, 0)).toBe(1);
    expect(packLow(Closed, 127, 0, 0)).toBe(127 * 4);
    expect(packLow(Closed, 0, 127, 0)).toBe(127 * 512);
    // Generation 0xffff fills the top half: as the signed Int32 a slab word holds, that is negative.
    expect(packLow(Closed, 0, 0, 0xffff)).toBe(-65536);
  });

  it('round-trips every field combination', () => {
    fc.assert(
      fc.property(stateArb, trialsArb, trialsArb, generationArb, (state, trials, successes, generation) => {
        const lo = packLow(state, trials, successes, generation);
        expect(fields(lo)).toEqual({ state, trials, successes, generation });
        expect(lo | 0).toBe(lo); // fits an Int32 slab word as is
        expect(lo).not.toBe(NO_CHANGE);
      }),
    );
  });

  it('keeps the generation modulo 2^16 and never lets a field spill into its neighbour', () => {
    expect(generationOf(packLow(Closed, 0, 0, 65536))).toBe(0);
    expect(generationOf(packLow(Closed, 0, 0, 65537))).toBe(1);
    expect(fields(packLow(Open, 128, 128, 3))).toEqual({ state: Open, trials: 0, successes: 0, generation: 3 });
    expect(fields(packLow(Open, 129, 130, 3))).toEqual({ state: Open, trials: 1, successes: 2, generation: 3 });
  });
});

describe('tickets', () => {
  it('is (generation << 1) | trial, a non-negative Int32, for every generation', () => {
    fc.assert(
      fc.property(stateArb, trialsArb, trialsArb, generationArb, fc.boolean(), (state, trials, successes, generation, trial) => {
        const ticket = ticketOf(packLow(state, trials, successes, generation), trial);
        expect(ticket).toBe(generation * 2 + (trial ? 1 : 0));
        expect(ticket).toBeGreaterThanOrEqual(0);
        expect(ticketGeneration(ticket)).toBe(generation);
        expect(isTrialTicket(ticket)).toBe(trial);
      }),
    );
  });

  it('never collides with the rejection codes', () => {
    expect(Rejection.CircuitOpen).toBeLessThan(0);
    expect(Rejection.RateLimited).toBeLessThan(0);
    expect(Rejection.CircuitOpen).not.toBe(Rejection.RateLimited);
    expect(ticketOf(packLow(Closed, 0, 0, 0xffff), true)).toBe(0x1ffff);
  });
});

describe('nextOnAcquire', () => {
  it('never changes a CLOSED breaker (the closed path does not use it)', () => {
    fc.assert(
      fc.property(trialsArb, generationArb, fc.integer(), fc.integer(), fc.integer({ min: 1, max: 127 }), (t, g, hi, now, max) => {
        expect(nextOnAcquire(packLow(Closed, t, 0, g), hi, now, max)).toBe(NO_CHANGE);
      }),
    );
  });

  it('rejects while OPEN before the deadline and starts HALF_OPEN with one trial at and after it', () => {
    const open = packLow(Open, 0, 0, 4);
    expect(nextOnAcquire(open, 1_000, 999, 3)).toBe(NO_CHANGE);
    expect(fields(nextOnAcquire(open, 1_000, 1_000, 3))).toEqual({ state: HalfOpen, trials: 1, successes: 0, generation: 5 });
    expect(fields(nextOnAcquire(open, 1_000, 50_000, 3))).toEqual({ state: HalfOpen, trials: 1, successes: 0, generation: 5 });
  });

  it('compares deadlines by wrapping difference: exact across the 32-bit wrap of slab time', () => {
    const open = packLow(Open, 0, 0, 1);
    const deadline = wrap32(2 ** 32 + 10); // 10 ms after the wrap
    expect(nextOnAcquire(open, deadline, wrap32(2 ** 32 - 5), 1)).toBe(NO_CHANGE);
    expect(nextOnAcquire(open, deadline, wrap32(2 ** 32 + 9), 1)).toBe(NO_CHANGE);
    expect(stateOf(nextOnAcquire(open, deadline, wrap32(2 ** 32 + 10), 1))).toBe(HalfOpen);
    // Deadline before the half-wrap (largest Int32), now after it (negative Int32).
    expect(stateOf(nextOnAcquire(open, wrap32(2 ** 31 - 1), wrap32(2 ** 31 + 3), 1))).toBe(HalfOpen);
  });

  it('agrees with absolute-time comparison whenever now and the deadline are less than 2^31 ms apart', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((x) => x * 64),
        fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
        generationArb,
        (deadline, offset, g) => {
          const now = deadline + offset;
          const next = nextOnAcquire(packLow(Open, 0, 0, g), wrap32(deadline), wrap32(now), 2);
          if (now >= deadline) expect(fields(next)).toEqual({ state: HalfOpen, trials: 1, successes: 0, generation: (g + 1) & 0xffff });
          else expect(next).toBe(NO_CHANGE);
        },
      ),
    );
  });

  it('hands out HALF_OPEN permits up to the maximum, whatever the deadline', () => {
    const half = packLow(HalfOpen, 1, 1, 9);
    expect(fields(nextOnAcquire(half, 100, 0, 3))).toEqual({ state: HalfOpen, trials: 2, successes: 1, generation: 9 });
    expect(fields(nextOnAcquire(half, 100, 500, 3))).toEqual({ state: HalfOpen, trials: 2, successes: 1, generation: 9 });
    expect(fields(nextOnAcquire(packLow(HalfOpen, 2, 1, 9), 100, 0, 3))).toEqual({ state: HalfOpen, trials: 3, successes: 1, generation: 9 });
  });

  it('when every permit is out, rejects until they expire, then starts a new HALF_OPEN generation', () => {
    const full = packLow(HalfOpen, 3, 2, 9);
    expect(nextOnAcquire(full, 100, 99, 3)).toBe(NO_CHANGE);
    expect(fields(nextOnAcquire(full, 100, 100, 3))).toEqual({ state: HalfOpen, trials: 1, successes: 0, generation: 10 });
    // A policy lowered to fewer trials than already issued behaves as "all out".
    expect(nextOnAcquire(full, 100, 99, 1)).toBe(NO_CHANGE);
  });

  it('wraps the generation from 0xffff to 0', () => {
    expect(generationOf(nextOnAcquire(packLow(Open, 0, 0, 0xffff), 0, 0, 1))).toBe(0);
  });
});

describe('nextOnTrialReturn', () => {
  it('gives a permit of the current HALF_OPEN generation back', () => {
    const lo = packLow(HalfOpen, 2, 1, 6);
    expect(fields(nextOnTrialReturn(lo, ticketOf(lo, true)))).toEqual({ state: HalfOpen, trials: 1, successes: 1, generation: 6 });
  });

  it('ignores permits of another generation, a breaker with no permit out, and other states', () => {
    const lo = packLow(HalfOpen, 2, 0, 6);
    expect(nextOnTrialReturn(lo, ticketOf(packLow(HalfOpen, 1, 0, 5), true))).toBe(NO_CHANGE);
    expect(nextOnTrialReturn(packLow(HalfOpen, 0, 0, 6), ticketOf(lo, true))).toBe(NO_CHANGE);
    expect(nextOnTrialReturn(packLow(Open, 0, 0, 6), ticketOf(lo, true))).toBe(NO_CHANGE);
    expect(nextOnTrialReturn(packLow(Closed, 0, 0, 6), ticketOf(lo, true))).toBe(NO_CHANGE);
  });
});

describe('nextOnTrialResult', () => {
  const half = packLow(HalfOpen, 3, 1, 20);
  const trial = ticketOf(half, true);

  it('reopens on a failed trial of the current generation', () => {
    expect(fields(nextOnTrialResult(half, trial, false, 3))).toEqual({ state: Open, trials: 0, successes: 0, generation: 21 });
  });

  it('counts successes and closes at the required number', () => {
    expect(fields(nextOnTrialResult(half, trial, true, 3))).toEqual({ state: HalfOpen, trials: 3, successes: 2, generation: 20 });
    expect(fields(nextOnTrialResult(packLow(HalfOpen, 3, 2, 20), trial, true, 3))).toEqual({
      state: Closed,
      trials: 0,
      successes: 0,
      generation: 21,
    });
    expect(stateOf(nextOnTrialResult(packLow(HalfOpen, 1, 0, 20), trial, true, 1))).toBe(Closed);
  });

  it('moves nothing for a non-trial ticket, another generation, or a breaker that is not HALF_OPEN', () => {
    expect(nextOnTrialResult(half, ticketOf(half, false), false, 3)).toBe(NO_CHANGE);
    expect(nextOnTrialResult(half, ticketOf(packLow(HalfOpen, 1, 0, 19), true), false, 3)).toBe(NO_CHANGE);
    expect(nextOnTrialResult(packLow(Open, 0, 0, 20), trial, false, 3)).toBe(NO_CHANGE);
    expect(nextOnTrialResult(packLow(Closed, 0, 0, 20), trial, true, 1)).toBe(NO_CHANGE);
  });
});

describe('nextOnWindow', () => {
  const closed = packLow(Closed, 0, 0, 2);

  it('opens exactly when the volume is reached and the failure rate is at or above the threshold', () => {
    expect(fields(nextOnWindow(closed, 10, 5, 10, 500_000))).toEqual({ state: Open, trials: 0, successes: 0, generation: 3 });
    expect(nextOnWindow(closed, 10, 4, 10, 500_000)).toBe(NO_CHANGE);
    expect(nextOnWindow(closed, 9, 9, 10, 500_000)).toBe(NO_CHANGE);
    expect(stateOf(nextOnWindow(closed, 3, 3, 1, 1_000_000))).toBe(Open);
    expect(nextOnWindow(closed, 3, 2, 1, 1_000_000)).toBe(NO_CHANGE);
    expect(stateOf(nextOnWindow(closed, 1_000_000, 1, 1, 1))).toBe(Open);
  });

  it('is exact for large windows: failures / total >= ppm / 1e6, compared without rounding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1000 }),
        (total, f, ppm, min) => {
          const failures = f % (total + 1);
          const opens = total >= min && BigInt(failures) * 1_000_000n >= BigInt(ppm) * BigInt(total);
          const next = nextOnWindow(closed, total, failures, min, ppm);
          expect(next === NO_CHANGE ? 'stays' : stateOf(next)).toBe(opens ? Open : 'stays');
        },
      ),
    );
  });

  it('does nothing unless the breaker is CLOSED', () => {
    expect(nextOnWindow(packLow(Open, 0, 0, 2), 10, 10, 1, 1)).toBe(NO_CHANGE);
    expect(nextOnWindow(packLow(HalfOpen, 1, 0, 2), 10, 10, 1, 1)).toBe(NO_CHANGE);
  });
});

describe('nextDeadline', () => {
  it('keeps the deadline while the generation stays', () => {
    const lo = packLow(HalfOpen, 1, 0, 4);
    expect(nextDeadline(lo, 777, packLow(HalfOpen, 2, 0, 4), 1_000, 50, 60)).toBe(777);
  });

  it('sets now + openTimeout for OPEN, now + trialTimeout for HALF_OPEN, now for CLOSED', () => {
    const lo = packLow(Closed, 0, 0, 4);
    expect(nextDeadline(lo, 0, packLow(Open, 0, 0, 5), 1_000, 50, 60)).toBe(1_050);
    expect(nextDeadline(lo, 0, packLow(HalfOpen, 1, 0, 5), 1_000, 50, 60)).toBe(1_060);
    expect(nextDeadline(lo, 0, packLow(Closed, 0, 0, 5), 1_000, 50, 60)).toBe(1_000);
  });

  it('wraps deadlines to the signed 32-bit form of slab time', () => {
    const lo = packLow(Closed, 0, 0, 4);
    const now = wrap32(2 ** 32 - 10);
    expect(nextDeadline(lo, 0, packLow(Open, 0, 0, 5), now, 86_400_000, 1)).toBe(wrap32(2 ** 32 - 10 + 86_400_000));
    expect(nextDeadline(lo, 0, packLow(HalfOpen, 0, 0, 5), wrap32(2 ** 31 - 1), 1, 1)).toBe(-(2 ** 31));
  });
});
