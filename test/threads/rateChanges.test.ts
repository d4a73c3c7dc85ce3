/**
 * Rate changes of one endpoint from two threads at once. Each change rescales the tokens the
 * bucket owes (or holds) from the interval in force to the new one; two at once must not both
 * rescale from the interval they read (the bucket would end up in the wrong unit: owing
 * thousands of tokens, or holding them).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import { controlWords } from '../support/sync.js';
import { runWorker } from '../support/workers.js';

const CHANGES = 20_000;

describe('rate changes from two threads at once', () => {
  it(`${CHANGES} adjustRate calls in each of two workers on one full bucket: it still holds exactly its burst, at every health`, async () => {
    // A frozen manual clock: no time passes, no call is made, so the full bucket must stay full
    // through any number of rate changes.
    const clock = new ManualClock(3_600_000);
    const policy: Policy = { ...PolicyPresets.standard(), rate: 1_000, burst: 50, adaptive: true };
    const service = new ResilienceService(policy, { clock, capacity: 4, env: false });
    service.registerEndpoint('ep', policy);
    // An hour old: the bucket counts its tokens from its registration, so rescaling from the wrong
    // interval moves it by thousands of tokens.
    clock.advance(3_600_000);
    const control = controlWords(2);
    const data = (healths: [number, number]) => ({ handle: service.handle, control: control.buffer, name: 'ep', changes: CHANGES, healths });
    // Rates from 10% to 150% of nominal: intervals from 10 ms to 0.67 ms.
    const done = await Promise.all([runWorker<number>('fixtures/rate-changer.ts', data([0, 1])), runWorker<number>('fixtures/rate-changer.ts', data([1, 0.3]))]);
    expect(done).toEqual([CHANGES, CHANGES]);
    for (const health of [1, 0, 0.5]) {
      service.adjustRate('ep', health);
      const ep = service.endpoint('ep');
      let admitted = 0;
      for (let ticket = ep.tryAcquire(); ticket >= 0 && admitted <= 2 * policy.burst; ticket = ep.tryAcquire()) {
        admitted++;
        ep.record(ticket, true);
      }
      expect({ health, admitted }).toEqual({ health, admitted: policy.burst });
      // Refill it for the next health: a whole burst at the slowest rate (10 ms per token).
      clock.advance(10 * policy.burst);
    }
    service.close();
  }, 120_000);
});
