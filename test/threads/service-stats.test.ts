/**
 * Statistics across threads: what two workers do through `execute()` (successes, failures, rate
 * limit refusals, open-circuit refusals) shows up exactly — no lost or extra counts — in
 * getAllStats(), getBreakerStatistics() and getLimiterMetrics() read in the main thread.
 */
import { describe, expect, it } from 'vitest';
import { BreakerState, ManualClock, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import type { StatsData, StatsResult } from '../fixtures/service-protocol.js';
import { Crew, controlWords } from '../support/sync.js';

const WORKERS = 2;
const CALLS = 40_000;
const LIMITED_CALLS = 4_000;
const OPEN_CALLS = 4_000;
const BURST = 1_234;
const failEvery = (id: number): number => 3 + 4 * id;

/** Unlimited, and never opens (the window never holds 2^30 calls). */
const counting = (): Policy => ({ ...PolicyPresets.standard(), rate: Number.POSITIVE_INFINITY, failureThreshold: 1, minimumRequests: 2 ** 30, classifier: 'all' });
/** A bucket of BURST tokens that the stopped clock never refills. */
const limiting = (): Policy => ({ ...counting(), rate: 10, burst: BURST, adaptive: false });
/** Opens on the first failure, for a day. */
const opening = (): Policy => ({ ...counting(), failureThreshold: 0.5, minimumRequests: 1, openTimeoutMs: 86_400_000 });

describe('statistics across threads', () => {
  it('totals read in the main thread equal the exact counts of two workers using execute()', async () => {
    const service = new ResilienceService(counting(), { capacity: 8, clock: new ManualClock(1_000), env: false });
    service.registerEndpoint('counted', counting());
    service.registerEndpoint('limited', limiting());
    service.registerEndpoint('open', opening());
    await expect(service.execute('open', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(service.endpoint('open').state).toBe(BreakerState.Open);

    const control = controlWords(1);
    const crew = new Crew<StatsResult>(
      'fixtures/service-stats.ts',
      Array.from(
        { length: WORKERS },
        (_, id): StatsData => ({
          handle: service.handle,
          control: control.buffer as SharedArrayBuffer,
          parties: WORKERS,
          id,
          counted: 'counted',
          calls: CALLS,
          failEvery: failEvery(id),
          limited: 'limited',
          limitedCalls: LIMITED_CALLS,
          open: 'open',
          openCalls: OPEN_CALLS,
        }),
      ),
    );
    try {
      const results = await crew.results();
      expect(results.flatMap((r) => r.unexpected)).toEqual([]);
      const sum = (f: (r: StatsResult) => number): number => results.reduce((s, r) => s + f(r), 0);

      // What the workers did, as they saw it.
      let failures = 0;
      for (let id = 0; id < WORKERS; id++) failures += Math.ceil(CALLS / failEvery(id));
      expect(sum((r) => r.failed)).toBe(failures);
      expect(sum((r) => r.succeeded)).toBe(WORKERS * CALLS - failures);
      expect(sum((r) => r.limitedAdmitted)).toBe(BURST);
      expect(sum((r) => r.limitedRejected)).toBe(WORKERS * LIMITED_CALLS - BURST);
      expect(sum((r) => r.openRejected)).toBe(WORKERS * OPEN_CALLS);

      // The same, read in the main thread.
      expect(service.getBreakerStatistics('counted')).toMatchObject({
        total: WORKERS * CALLS,
        failures,
        rejected: 0,
        transitions: 0,
        state: BreakerState.Closed,
      });
      expect(service.getBreakerStatistics('limited')).toMatchObject({ total: BURST, failures: 0, rejected: 0, state: BreakerState.Closed });
      expect(service.getBreakerStatistics('open')).toMatchObject({
        total: 1,
        failures: 1,
        rejected: WORKERS * OPEN_CALLS,
        transitions: 1,
        state: BreakerState.Open,
      });
      const limiter = (name: string): Record<string, number> => {
        const m = service.getLimiterMetrics(name);
        return { accepted: m.accepted, rejected: m.rejected };
      };
      expect(limiter('counted')).toEqual({ accepted: WORKERS * CALLS, rejected: 0 });
      expect(limiter('limited')).toEqual({ accepted: BURST, rejected: WORKERS * LIMITED_CALLS - BURST });
      expect(limiter('open')).toEqual({ accepted: 1, rejected: 0 });
      expect(service.getLimiterMetrics('limited').acceptanceRate()).toBeCloseTo(BURST / (WORKERS * LIMITED_CALLS), 12);

      const all = Object.fromEntries(
        service.getAllStats().map((s) => [
          s.endpoint,
          {
            totalRequests: s.totalRequests,
            failures: s.failures,
            rejectedByBreaker: s.rejectedByBreaker,
            breakerState: s.breakerState,
            accepted: s.limiterMetrics.accepted,
            rejected: s.limiterMetrics.rejected,
          },
        ]),
      );
      expect(all).toEqual({
        counted: {
          totalRequests: WORKERS * CALLS,
          failures,
          rejectedByBreaker: 0,
          breakerState: BreakerState.Closed,
          accepted: WORKERS * CALLS,
          rejected: 0,
        },
        limited: {
          totalRequests: BURST,
          failures: 0,
          rejectedByBreaker: 0,
          breakerState: BreakerState.Closed,
          accepted: BURST,
          rejected: WORKERS * LIMITED_CALLS - BURST,
        },
        open: {
          totalRequests: 1,
          failures: 1,
          rejectedByBreaker: WORKERS * OPEN_CALLS,
          breakerState: BreakerState.Open,
          accepted: 1,
          rejected: 0,
        },
      });
    } finally {
      await crew.dispose();
      service.close();
    }
  });
});
