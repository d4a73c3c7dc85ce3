import { describe, expect, it } from 'vitest';
import { ManualClock, PolicyPresets, Rejection, ResilienceService } from '../../src/index.js';
import { totalsOf } from '../support/inspect.js';

describe('service smoke', () => {
  it('admits a burst, then refills at the rate', () => {
    const clock = new ManualClock(2 ** 32 + 5);
    const s = new ResilienceService(PolicyPresets.standard(), { clock, capacity: 16 });
    s.registerEndpoint('a', { ...PolicyPresets.critical(), rate: 10, burst: 5 });
    const ep = s.endpoint('a');
    const first = Array.from({ length: 8 }, () => ep.tryAcquire());
    expect(first.filter((t) => t >= 0)).toHaveLength(5);
    expect(first.slice(5)).toEqual([Rejection.RateLimited, Rejection.RateLimited, Rejection.RateLimited]);
    clock.advance(300);
    const second = Array.from({ length: 8 }, () => ep.tryAcquire());
    expect(second.filter((t) => t >= 0)).toHaveLength(3);
    const totals = totalsOf(s.handle, 'a');
    expect(totals.admitted).toBe(8);
    expect(totals.rejectedRate).toBe(8);
  });
});
