import { describe, expect, it } from 'vitest';
import { type Policy, PolicyPresets } from '../../src/index.js';

type Figures = Pick<Policy, 'failureThreshold' | 'windowMs' | 'rate' | 'burst'> & { minimumRequests?: number };

/** The specification's figures ("Policy Presets"); network gives no minimum request count. */
const SPEC: Record<'critical' | 'standard' | 'network' | 'highThroughput' | 'relaxed', Figures> = {
  critical: { failureThreshold: 0.3, minimumRequests: 5, windowMs: 15_000, rate: 50, burst: 75 },
  standard: { failureThreshold: 0.5, minimumRequests: 10, windowMs: 30_000, rate: 100, burst: 200 },
  network: { failureThreshold: 0.4, windowMs: 20_000, rate: 150, burst: 300 },
  highThroughput: { failureThreshold: 0.6, minimumRequests: 15, windowMs: 45_000, rate: 500, burst: 1000 },
  relaxed: { failureThreshold: 0.7, minimumRequests: 20, windowMs: 60_000, rate: 200, burst: 500 },
};

describe('PolicyPresets', () => {
  for (const [name, figures] of Object.entries(SPEC) as [keyof typeof SPEC, Figures][]) {
    it(`${name}() has exactly the specification's figures`, () => {
      const policy = PolicyPresets[name]();
      expect(policy.failureThreshold).toBe(figures.failureThreshold);
      expect(policy.windowMs).toBe(figures.windowMs);
      expect(policy.rate).toBe(figures.rate);
      expect(policy.burst).toBe(figures.burst);
      if (figures.minimumRequests !== undefined) expect(policy.minimumRequests).toBe(figures.minimumRequests);
      else expect(Number.isInteger(policy.minimumRequests) && policy.minimumRequests >= 1).toBe(true);
    });

    it(`${name}() is adaptive`, () => {
      expect(PolicyPresets[name]().adaptive).toBe(true);
    });
  }

  it("network() counts only network errors (classifier 'network'); the others count all errors", () => {
    expect(PolicyPresets.network().classifier).toBe('network');
    for (const name of ['critical', 'standard', 'highThroughput', 'relaxed'] as const) {
      expect(PolicyPresets[name]().classifier).toBe('all');
    }
  });

  it('each call returns a fresh, frozen policy', () => {
    const a = PolicyPresets.standard();
    const b = PolicyPresets.standard();
    expect(a).toEqual(b);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a as { rate: number }).rate = 1;
    }).toThrow(TypeError);
    expect(PolicyPresets.standard().rate).toBe(100);
  });

  it('presets are valid policies with coherent half-open settings', () => {
    for (const name of Object.keys(SPEC) as (keyof typeof SPEC)[]) {
      const p = PolicyPresets[name]();
      expect(p.halfOpenSuccesses).toBeLessThanOrEqual(p.halfOpenTrials);
      expect(p.openTimeoutMs).toBeGreaterThan(0);
      expect(p.windowBuckets).toBeGreaterThanOrEqual(1);
    }
  });
});
