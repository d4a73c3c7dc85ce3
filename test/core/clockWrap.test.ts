/**
 * A manual clock that starts past 2^32 ms, or just before a wrap of the 32-bit time word, so that
 * deadlines, window buckets and refills straddle the wrap.
 */
import { describe, expect, it } from 'vitest';
import { wrap32 } from '../../src/core/wide.js';
import { BreakerState, type ManualClock, type Policy, Rejection, type ResilienceService } from '../../src/index.js';
import { totalsOf } from '../support/inspect.js';
import { BREAKER_POLICY, drain, manualClockService } from '../support/service.js';

/** The breaker of the clock tests; its bucket (1000 per second, burst 100) never runs out here. */
const breakerPolicy: Policy = { ...BREAKER_POLICY, burst: 100 };

const bucketPolicy: Policy = { ...breakerPolicy, rate: 10, burst: 5 };

const TWO_32 = 2 ** 32;

/** Starts a few seconds before a wrap (or half-wrap) of the time word, or well past 2^32. */
const STARTS: ReadonlyArray<[string, number]> = [
  ['3 s before 2^32', TWO_32 - 3_000],
  ['3 s before 2^33', 2 * TWO_32 - 3_000],
  ['3 s before 3 * 2^32', 3 * TWO_32 - 3_000],
  ['3 s before 2^31', 2 ** 31 - 3_000],
  ['at 2^32 + 5', TWO_32 + 5],
  ['at 2^40 + 123', 2 ** 40 + 123],
];

function setup(start: number): { clock: ManualClock; svc: ResilienceService } {
  const { clock, svc } = manualClockService(breakerPolicy, start);
  svc.registerEndpoint('breaker', breakerPolicy);
  svc.registerEndpoint('bucket', bucketPolicy);
  return { clock, svc };
}

describe.each(STARTS)('a ManualClock started %s', (_label, start) => {
  it('keeps exact slab time and its 32-bit word', () => {
    const { clock, svc } = setup(start);
    expect(svc.clock.now()).toBe(start);
    expect(svc.clock.kind).toBe('manual');
    for (const step of [1, 2_999, 1, 1, 86_400_000, TWO_32, 2 ** 31 + 7]) {
      const before = svc.clock.now();
      expect(clock.advance(step)).toBe(before + step);
      expect(svc.clock.now()).toBe(before + step);
      expect(clock.now()).toBe(before + step);
      expect(svc.clock.wrapped()).toBe(wrap32(before + step));
    }
  });

  it('trips, opens, half-opens and closes the breaker on time', () => {
    const { clock, svc } = setup(start);
    const ep = svc.endpoint('breaker');
    for (let i = 0; i < 3; i++) ep.record(ep.tryAcquire(), false);
    expect(ep.state).toBe(BreakerState.Closed); // 3 calls < minimumRequests
    clock.advance(500);
    ep.record(ep.tryAcquire(), false);
    expect(ep.state).toBe(BreakerState.Open);
    expect(ep.tryAcquire()).toBe(Rejection.CircuitOpen);

    clock.advance(4_999);
    expect(ep.tryAcquire()).toBe(Rejection.CircuitOpen);
    expect(ep.state).toBe(BreakerState.Open);
    clock.advance(1); // exactly openTimeoutMs after the trip (across the wrap for the "before" starts)
    const t1 = ep.tryAcquire();
    expect(t1 >= 0 && (t1 & 1) === 1).toBe(true);
    expect(ep.state).toBe(BreakerState.HalfOpen);
    const t2 = ep.tryAcquire();
    expect(t2).toBe(t1); // a second trial of the same generation
    expect(ep.tryAcquire()).toBe(Rejection.CircuitOpen); // both permits are out

    clock.advance(999);
    expect(ep.tryAcquire()).toBe(Rejection.CircuitOpen);
    clock.advance(1); // the permits expire trialTimeoutMs after they were issued
    const t3 = ep.tryAcquire();
    expect(t3).toBe(t1 + 2); // a trial of the next generation
    ep.record(t1, true); // results of the expired generation move nothing
    ep.record(t2, true);
    expect(ep.state).toBe(BreakerState.HalfOpen);
    ep.record(t3, true);
    expect(ep.state).toBe(BreakerState.HalfOpen);
    const t4 = ep.tryAcquire();
    ep.record(t4, true);
    expect(ep.state).toBe(BreakerState.Closed);

    // A closed breaker starts with an empty window: three failures do not trip it, a fourth does.
    for (let i = 0; i < 3; i++) ep.record(ep.tryAcquire(), false);
    expect(ep.state).toBe(BreakerState.Closed);
    ep.record(ep.tryAcquire(), false);
    expect(ep.state).toBe(BreakerState.Open);
    expect(totalsOf(svc.handle, 'breaker')).toMatchObject({
      admitted: 4 + 4 + 4,
      failures: 8,
      rejectedOpen: 4,
      rejectedRate: 0,
      transitions: 5,
    });
    expect(svc.clock.now()).toBe(start + 500 + 5_000 + 1_000);
  });

  it('refills the bucket at the rate across the wrap', () => {
    const { clock, svc } = setup(start);
    const ep = svc.endpoint('bucket');
    // The bucket's token intervals start at its registration: drain on one of their boundaries,
    // 100 ms before the wrap for the starts just before one.
    clock.advance(2_900);
    expect(drain(ep)).toBe(5);
    clock.advance(99);
    expect(drain(ep)).toBe(0);
    clock.advance(1); // one interval (100 ms) after the drain: at the wrap
    expect(drain(ep)).toBe(1);
    clock.advance(250);
    expect(drain(ep)).toBe(2);
    clock.advance(10_000);
    expect(drain(ep)).toBe(5);
    clock.advance(TWO_32); // 49.7 days: full, and no more than full
    expect(drain(ep)).toBe(5);
    clock.advance(100);
    expect(drain(ep)).toBe(1);
    expect(totalsOf(svc.handle, 'bucket')).toMatchObject({ admitted: 19, rejectedRate: 7 });
  });
});
