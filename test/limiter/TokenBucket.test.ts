import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REAL_CLOCK_START } from '../../src/core/SharedClock.js';
import { ManualClock, type Policy, PolicyPresets, Rejection, ResilienceService } from '../../src/index.js';
import { batchLifeMs, gcraLevel, MAX_BATCH, MAX_BATCH_LIFE_MS } from '../../src/limiter/TokenBucket.js';
import { Rational } from '../model/Rational.js';
import { totalsOf } from '../support/inspect.js';

describe('gcraLevel', () => {
  it('holds `capacity` tokens when the arrival time is at or before now, taking from the last whole interval', () => {
    expect(gcraLevel(0, 0, 5)).toEqual([5, 0]);
    expect(gcraLevel(3, 5.7, 5)).toEqual([5, 5]);
    expect(gcraLevel(5, 5.7, 5)).toEqual([5, 5]);
  });

  it('holds capacity minus the whole tokens still owed', () => {
    expect(gcraLevel(7, 5.7, 5)).toEqual([3, 7]); // 1.3 intervals owed
    expect(gcraLevel(7, 6, 5)).toEqual([4, 7]); // exactly 1 interval owed
    expect(gcraLevel(7, 5.99, 5)).toEqual([3, 7]);
    expect(gcraLevel(10, 5, 5)).toEqual([0, 10]);
    expect(gcraLevel(100, 0, 5)).toEqual([0, 100]); // never negative
  });

  it('counts a position a hair below a whole interval (rounding of (now - origin) / interval) as that interval', () => {
    expect(gcraLevel(8, 6 - 1e-9, 5)[0]).toBe(3);
    expect(gcraLevel(8, 6 - 1e-3, 5)[0]).toBe(2);
  });

  it('is floor(x - max(tat, floor(x)) + capacity) exactly, for any position', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: -2_000, max: 2_000 }),
        fc.integer({ min: 1, max: 1_024 }),
        (n, d, ahead, capacity) => {
          const x = Rational.of(n, d);
          const tat = Math.max(0, Number(x.floor()) + ahead);
          const from = Math.max(tat, Number(x.floor()));
          const exact = Math.max(0, Number(x.sub(Rational.of(from)).add(Rational.of(capacity)).floor()));
          expect(gcraLevel(tat, n / d, capacity)).toEqual([exact, from]);
        },
      ),
    );
  });
});

describe('batchLifeMs', () => {
  it('is (burst + 1 - level) intervals: one interval from a full bucket, burst + 1 from an empty one', () => {
    expect(batchLifeMs(5, 5, 10)).toBe(10);
    expect(batchLifeMs(3, 5, 10)).toBe(30);
    expect(batchLifeMs(0, 5, 10)).toBe(60);
    expect(batchLifeMs(1, 1, 1_000)).toBe(1_000);
  });

  it(`is at most MAX_BATCH_LIFE_MS (2^29 ms), inside the range of a slab time field`, () => {
    expect(MAX_BATCH_LIFE_MS).toBe(2 ** 29);
    expect(batchLifeMs(0, 2 ** 30, 10_000)).toBe(MAX_BATCH_LIFE_MS);
  });
});

function limiterPolicy(rate: number, burst: number): Policy {
  return { ...PolicyPresets.standard(), rate, burst, adaptive: false };
}

function service(start: number, rate: number, burst: number): { clock: ManualClock; svc: ResilienceService } {
  const clock = new ManualClock(start);
  const svc = new ResilienceService(PolicyPresets.standard(), { clock, capacity: 4 });
  svc.registerEndpoint('ep', limiterPolicy(rate, burst));
  return { clock, svc };
}

/** Calls tryAcquire until the first rejection; returns how many were admitted. */
function drain(svc: ResilienceService, limit = 1_000_000): number {
  const ep = svc.endpoint('ep');
  let n = 0;
  while (n < limit && ep.tryAcquire() >= 0) n++;
  return n;
}

describe('token bucket through the service', () => {
  it('admits a burst larger than MAX_BATCH in full, handed out in several batches', () => {
    expect(MAX_BATCH).toBe(1024);
    const { svc, clock } = service(2 ** 32 + 123, 1000, 3_000);
    expect(drain(svc)).toBe(3_000);
    expect(svc.endpoint('ep').tryAcquire()).toBe(Rejection.RateLimited);
    clock.advance(1);
    expect(drain(svc)).toBe(1);
    clock.advance(10_000);
    expect(drain(svc)).toBe(3_000);
    expect(totalsOf(svc.handle, 'ep')).toMatchObject({ admitted: 6_001, rejectedRate: 4 });
  });

  it('refills at the rate, exactly, for a slow rate (0.125 per second)', () => {
    const { svc, clock } = service(2 ** 33 - 5_000, 0.125, 2);
    expect(drain(svc)).toBe(2);
    clock.advance(7_999);
    expect(drain(svc)).toBe(0);
    clock.advance(1);
    expect(drain(svc)).toBe(1);
    clock.advance(16_000);
    expect(drain(svc)).toBe(2);
  });

  it('admits everything with an unlimited rate', () => {
    const { svc } = service(0, Number.POSITIVE_INFINITY, 1);
    expect(drain(svc, 2_000_000)).toBe(2_000_000);
    expect(totalsOf(svc.handle, 'ep')).toMatchObject({ admitted: 2_000_000, rejectedRate: 0 });
  });

  // Regression: before 59ba75b (times as doubles in milliseconds), every refill of 1e6 per second
  // with burst 1 at the real clock's starting time found 0 tokens.
  it('holds exactly `burst` tokens when full, for every rate from 0.1 to 1e6 per second at any slab time', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((x) => x * 32)),
        fc.oneof(fc.constantFrom(0.1, 0.3, 3, 7, 33.3, 219.8, 300, 3997.2, 1e6), fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 10)),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 10_000 }),
        (start, rate, burst, wait) => {
          const { svc, clock } = service(start, rate, burst);
          expect(drain(svc)).toBe(burst);
          clock.advance(Math.ceil((burst * 1000) / rate) + wait);
          expect(drain(svc)).toBe(burst);
          svc.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('admits calls at 1e6 per second with burst 1 at the real clock start time (2^32 - 2^16 ms)', () => {
    const { svc, clock } = service(REAL_CLOCK_START, 1e6, 1);
    let admitted = 0;
    for (let ms = 0; ms < 100; ms++) {
      clock.advance(1);
      admitted += drain(svc);
    }
    expect(admitted).toBeGreaterThanOrEqual(99);
  });

  // BUG (design): registering a finite policy over an unlimited one keeps the unlimited batch
  // (2^20 grants, valid for MAX_BATCH_LIFE_MS = 2^29 ms, 6.2 days) "out": the endpoint keeps
  // admitting about a million calls under a policy of rate 1 / burst 5.
  it('limits to the new burst soon after an unlimited policy is replaced by a finite one', () => {
    const { svc, clock } = service(1_000, Number.POSITIVE_INFINITY, 1);
    expect(drain(svc, 10)).toBe(10);
    svc.registerEndpoint('ep', limiterPolicy(1, 5));
    clock.advance(1);
    expect(drain(svc, 100_000)).toBeLessThanOrEqual(5 + 1);
  });
});
