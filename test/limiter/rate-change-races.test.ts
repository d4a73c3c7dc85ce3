/**
 * A refill in one thread while another thread changes the endpoint's rate, replayed in one
 * thread through refill's test hook: the rate change's new interval and rescaled bucket land
 * after the refill has read the interval and before it reads the bucket. The refill must not mix the old interval
 * with the bucket rescaled to the new one: that could hand out tokens the bucket does not hold,
 * or leave it owing hundreds of tokens (minutes without a call).
 */
import { describe, expect, it } from 'vitest';
import { type Policy, PolicyPresets } from '../../src/index.js';
import { storeF64 } from '../../src/core/atomic64.js';
import { EP_LIMIT_I32, EP_RATE_FACTOR_I64, H_NOW_I32 } from '../../src/core/layout.generated.js';
import { changeInterval, currentRate, expireBatch, healthFactor } from '../../src/limiter/AdaptiveRate.js';
import { refill } from '../../src/limiter/TokenBucket.js';
import { drain, withLoneEndpoint } from '../support/service.js';

describe('a refill racing a rate change', () => {
  // 20 rps nominal, burst 3; health 0 gives 2 rps (a longer interval), health 1 gives 30 rps.
  for (const health of [0, 1]) {
    it(`to health ${health}: no token the bucket does not hold, and no debt beyond a full bucket`, () => {
      const policy: Policy = { ...PolicyPresets.standard(), rate: 20, burst: 3, adaptive: true };
      return withLoneEndpoint(policy, 5_000_000, ({ clock, svc, ep, slab, base }) => {
        clock.advance(60_000); // a minute old: the bucket counts its tokens from its registration
        expect(drain(ep)).toBe(policy.burst);
        clock.advance(100); // 2 tokens due at 20 rps
        // The rate change gets as far as the new interval and the rescaled bucket (changeInterval)
        // between the refill's reading the interval and its reading the bucket; it ends the batch
        // out (expireBatch) after the refill.
        const now = clock.now();
        refill(slab.i32, slab.i64, base, now, false, (step) => {
          if (step !== 'read') return;
          storeF64(slab.i64, (base >>> 1) + EP_RATE_FACTOR_I64, healthFactor(health));
          changeInterval(slab.i32, slab.i64, base, now, 1000 / currentRate(slab.i32, slab.i64, base));
        });
        expireBatch(slab.i32, slab.i64, base, now);
        // The 2 tokens due were carried over to the new rate: never more.
        expect(drain(ep)).toBeLessThanOrEqual(2);
        // A full bucket's time at the new rate later, the bucket is full: it owes nothing more.
        const ms = (1000 / svc.getLimiterMetrics('ep').currentRate) * (policy.burst + 1);
        clock.advance(Math.ceil(ms));
        expect(drain(ep)).toBe(policy.burst);
      });
    });
  }
});

describe('expireBatch (the end of the batch out at a rate change)', () => {
  it('ends a batch still in its life at once, and changes the word of one already over (so no refill worked out before can publish)', () => {
    const policy: Policy = { ...PolicyPresets.standard(), rate: 10, burst: 5, adaptive: false };
    return withLoneEndpoint(policy, 1_000_000, ({ clock, ep, slab, base }) => {
      const word = (): [number, number] => [slab.i32[base + EP_LIMIT_I32] as number, slab.i32[base + EP_LIMIT_I32 + 1] as number];
      expect(ep.tryAcquire()).toBeGreaterThanOrEqual(0); // a batch of 5 from the full bucket, valid for 100 ms
      const now32 = slab.i32[H_NOW_I32] as number;
      const [limit, expiry] = word();
      expect(expiry - now32).toBeGreaterThan(0);
      expireBatch(slab.i32, slab.i64, base, clock.now());
      expect(word()).toEqual([limit, now32 - 1]);
      expect(ep.tryAcquire(), 'the next call refills: the 4 unused tokens went back to the bucket').toBeGreaterThanOrEqual(0);
      const before = word();
      clock.advance(1_000);
      expireBatch(slab.i32, slab.i64, base, clock.now());
      const after = word();
      expect(after).not.toEqual(before);
      expect(after[0]).toBe(before[0]);
      expect(((slab.i32[H_NOW_I32] as number) - after[1]) | 0).toBeGreaterThan(0);
    });
  });
});
