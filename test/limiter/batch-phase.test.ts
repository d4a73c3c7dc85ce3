/**
 * A batch taken from a full bucket between two points of the token grid (x = k + f, 0 < f < 1)
 * must end when the next token after its `from` arrives, not (burst + 1 - level) intervals after
 * `now`: counted from now it lives f intervals too long. When the batch is not used at once (its
 * refill read `now` and was descheduled before the take, so it publishes ~2 ms late; or it was
 * descheduled before its own CAS), callers use it at its last ms together with the token that
 * arrived meanwhile, and the next arrival follows 1 ms later. At 500 rps, burst 1 (the stress
 * test's limited-0): 3 grants in [a, a + 1] ms > 1 + 0.5 + 1, then one over the line at the rate.
 */
import { describe, expect, it } from 'vitest';
import { type Policy, PolicyPresets } from '../../src/index.js';
import { refill } from '../../src/limiter/TokenBucket.js';
import { withLoneEndpoint } from '../support/service.js';

function worstExcess(grants: readonly number[], rate: number, burst: number): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (const a of grants) {
    for (const b of grants) {
      if (b < a) continue;
      const n = grants.filter((t) => t >= a && t <= b).length;
      worst = Math.max(worst, n - (burst + (rate / 1000) * (b - a) + 1));
    }
  }
  return worst;
}

/** A refill at `phase` ms after a full bucket's origin whose batch nobody uses for `gap` ms; then every ms, every token. */
function play(rate: number, burst: number, phase: number, gap: number): number[] {
  const policy: Policy = { ...PolicyPresets.standard(), rate, burst, adaptive: false };
  return withLoneEndpoint(policy, 5_000_000, ({ clock, ep, slab, base }) => {
    const t0 = clock.now();
    clock.advance(1000 + phase);
    expect(refill(slab.i32, slab.i64, base, clock.now(), false)).toBe(true);
    clock.advance(gap);
    const grants: number[] = [];
    for (let ms = 0; ms < 12; ms++) {
      while (ep.tryAcquire() >= 0) grants.push(clock.now() - t0);
      clock.advance(1);
    }
    return grants;
  });
}

describe('batch life and the phase of the token grid', () => {
  it('500 rps, burst 1, batch taken half way between two tokens: no 3 grants in 1 ms', () => {
    const grants = play(500, 1, 1, 2);
    expect(worstExcess(grants, 500, 1), `grants at ${grants}`).toBeLessThanOrEqual(1e-9);
  });

  it('keeps burst + rate x d + 1 for every phase and gap', () => {
    for (const [rate, burst] of [
      [500, 1],
      [500, 2],
      [333.3, 1],
      [250, 3],
      [1000, 1],
    ] as const) {
      for (let phase = 0; phase < 8; phase++) {
        for (let gap = 0; gap < 10; gap++) {
          const grants = play(rate, burst, phase, gap);
          expect(worstExcess(grants, rate, burst), `${rate} rps, burst ${burst}, phase ${phase}, gap ${gap}: grants at ${grants}`).toBeLessThanOrEqual(1e-9);
        }
      }
    }
  });
});
