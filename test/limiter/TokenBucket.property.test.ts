/**
 * Properties of the token bucket through the real service, for any sequence of calls, results
 * and clock steps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, type Policy, Rejection, ResilienceService } from '../../src/index.js';
import { rateNumber, toPolicy } from '../model/adapter.js';
import { advanceArb, clockStartArb, decimalRateArb, dyadicRateArb } from '../model/arbitraries.js';
import { IdealBucket } from '../model/IdealBucket.js';
import type { ModelPolicy, ModelRate } from '../model/ReferenceModel.js';

type LimiterOp =
  | { readonly t: 'acquire'; readonly n: number }
  | { readonly t: 'record'; readonly pick: number; readonly ok: boolean }
  | { readonly t: 'advance'; readonly ms: number };

const acquireArb = fc.record({
  t: fc.constant('acquire' as const),
  n: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_500 }) }),
});
const smallStepArb = fc.record({
  t: fc.constant('advance' as const),
  ms: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 50 }) }, { weight: 2, arbitrary: advanceArb }),
});

function limiterPolicy(rate: ModelRate, burst: number, breaker: boolean): ModelPolicy {
  return {
    thresholdPpm: 500_000,
    minimumRequests: breaker ? 2 : 1_000_000,
    windowMs: 1_000,
    windowBuckets: 4,
    openTimeoutMs: 200,
    halfOpenTrials: 3,
    halfOpenSuccesses: 2,
    trialTimeoutMs: 300,
    rate,
    burst,
  };
}

const burstArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 30 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_000 }) });

/** Any rate from 0.1 to 1e6 per second: decimal ones, binary-exact ones and arbitrary doubles. */
const anyRateArb: fc.Arbitrary<ModelRate> = fc.oneof(
  decimalRateArb,
  dyadicRateArb,
  fc.double({ min: 0.1, max: 1e6, noNaN: true }).map((r) => ({ num: r, den: 1 })),
);

function newService(start: number, policy: Policy): { clock: ManualClock; svc: ResilienceService } {
  const clock = new ManualClock(start);
  const svc = new ResilienceService(policy, { clock, capacity: 2 });
  svc.registerEndpoint('ep', policy);
  return { clock, svc };
}

describe('token bucket properties', () => {
  it('never admits more than burst + rate × interval + 1 calls over any interval (300 runs)', () => {
    fc.assert(
      fc.property(
        clockStartArb,
        anyRateArb,
        burstArb,
        fc.array(
          fc.oneof(
            { weight: 4, arbitrary: acquireArb },
            { weight: 2, arbitrary: fc.record({ t: fc.constant('record' as const), pick: fc.nat(), ok: fc.boolean() }) },
            { weight: 4, arbitrary: smallStepArb },
          ),
          { maxLength: 80 },
        ),
        (start, rate, burst, ops: LimiterOp[]) => {
          const policy = toPolicy(limiterPolicy(rate, burst, true));
          const { clock, svc } = newService(start, policy);
          const ep = svc.endpoint('ep');
          const admittedAt = new Map<number, number>();
          const outstanding: number[] = [];
          for (const op of ops) {
            if (op.t === 'advance') clock.advance(op.ms);
            else if (op.t === 'record') {
              if (outstanding.length > 0) ep.record(outstanding.splice(op.pick % outstanding.length, 1)[0] as number, op.ok);
            } else {
              const now = clock.now();
              for (let i = 0; i < op.n; i++) {
                const ticket = ep.tryAcquire();
                if (ticket >= 0) {
                  admittedAt.set(now, (admittedAt.get(now) ?? 0) + 1);
                  outstanding.push(ticket);
                }
              }
            }
          }
          const times = [...admittedAt.keys()].sort((a, b) => a - b);
          const perMs = rateNumber(rate) / 1000;
          for (let a = 0; a < times.length; a++) {
            let count = 0;
            for (let b = a; b < times.length; b++) {
              count += admittedAt.get(times[b] as number) as number;
              const d = (times[b] as number) - (times[a] as number);
              if (count > burst + perMs * d + 1) {
                throw new Error(`${count} calls admitted in [${times[a]}, ${times[b]}] (${d} ms) with burst ${burst}, rate ${rateNumber(rate)}/s`);
              }
            }
          }
          svc.close();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('after a pause of burst × interval, admits exactly `burst` calls at once (200 runs)', () => {
    fc.assert(
      fc.property(clockStartArb, dyadicRateArb, burstArb, fc.array(fc.oneof(acquireArb, smallStepArb), { maxLength: 40 }), (start, rate, burst, ops) => {
        const { clock, svc } = newService(start, toPolicy(limiterPolicy(rate, burst, false)));
        const ep = svc.endpoint('ep');
        for (const op of ops) {
          if (op.t === 'advance') clock.advance(op.ms);
          else for (let i = 0; i < op.n; i++) ep.tryAcquire();
        }
        clock.advance(Math.ceil((burst * 1000) / rateNumber(rate)) + 1);
        let admitted = 0;
        for (let i = 0; i < burst + 5; i++) if (ep.tryAcquire() >= 0) admitted++;
        expect(admitted).toBe(burst);
        svc.close();
      }),
      { numRuns: 200 },
    );
  });

  // BUG (design): a batch is charged in full when handed out and its unused tokens are dropped
  // when it expires (one interval later for a batch from a full bucket). One call from a full
  // bucket therefore costs a whole burst: with rate 100/s and burst 200 (the standard preset),
  // 1 call at t = 0 and 200 calls at t = 500 ms admit 1 + 50, where the bucket allows 1 + 200.
  it('admits at least 99% of what an exact token bucket admits for the same demand (300 runs)', () => {
    fc.assert(
      fc.property(clockStartArb, dyadicRateArb, burstArb, fc.array(fc.oneof(acquireArb, smallStepArb), { maxLength: 60 }), (start, rate, burst, ops) => {
        if (rate === 'unlimited') return;
        const { clock, svc } = newService(start, toPolicy(limiterPolicy(rate, burst, false)));
        const ideal = new IdealBucket(rate, burst, start);
        const ep = svc.endpoint('ep');
        let real = 0;
        let best = 0;
        for (const op of ops) {
          if (op.t === 'advance') {
            clock.advance(op.ms);
            continue;
          }
          const now = clock.now();
          for (let i = 0; i < op.n; i++) {
            if (ep.tryAcquire() >= 0) real++;
            if (ideal.tryTake(now)) best++;
          }
          if (real < Math.floor(best * 0.99) - 1) {
            throw new Error(`after ${now - start} ms: ${real} admitted, an exact bucket of burst ${burst} at ${rateNumber(rate)}/s admits ${best}`);
          }
        }
        svc.close();
      }),
      { numRuns: 300 },
    );
  });

  it('rejects only with RateLimited while the breaker cannot trip, whatever is recorded', () => {
    fc.assert(
      fc.property(anyRateArb, burstArb, fc.array(fc.oneof(acquireArb, smallStepArb), { maxLength: 30 }), (rate, burst, ops) => {
        const { clock, svc } = newService(2 ** 32 + 1, toPolicy(limiterPolicy(rate, burst, false)));
        const ep = svc.endpoint('ep');
        for (const op of ops) {
          if (op.t === 'advance') clock.advance(op.ms);
          else
            for (let i = 0; i < op.n; i++) {
              const ticket = ep.tryAcquire();
              if (ticket < 0) expect(ticket).toBe(Rejection.RateLimited);
              else ep.record(ticket, false);
            }
        }
        svc.close();
      }),
      { numRuns: 50 },
    );
  });
});
