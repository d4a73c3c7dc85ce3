import { describe, expect, it } from 'vitest';
import { PolicyBuilder, PolicyPresets } from '../../src/index.js';

/** Calls `fn`, expecting it to throw; returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('PolicyBuilder', () => {
  it("builds the specification's custom policy", () => {
    const policy = PolicyBuilder.create()
      .withBreakerThreshold(0.35)
      .withBreakerWindow('25s')
      .withBreakerTimeout('45s')
      .withRateLimit(175)
      .withBurstCapacity(350)
      .adaptive(true)
      .build();
    expect(policy.failureThreshold).toBe(0.35);
    expect(policy.windowMs).toBe(25_000);
    expect(policy.openTimeoutMs).toBe(45_000);
    expect(policy.rate).toBe(175);
    expect(policy.burst).toBe(350);
    expect(policy.adaptive).toBe(true);
  });

  it('accepts durations as numbers of ms and as 500ms / 25s / 1m strings', () => {
    expect(PolicyBuilder.create().withBreakerWindow(25_000).build().windowMs).toBe(25_000);
    expect(PolicyBuilder.create().withBreakerWindow('500ms').build().windowMs).toBe(500);
    expect(PolicyBuilder.create().withBreakerWindow('25s').build().windowMs).toBe(25_000);
    expect(PolicyBuilder.create().withBreakerWindow('1m').build().windowMs).toBe(60_000);
    expect(PolicyBuilder.create().withBreakerTimeout(45_000).build().openTimeoutMs).toBe(45_000);
    expect(PolicyBuilder.create().withBreakerTimeout('500ms').build().openTimeoutMs).toBe(500);
    expect(PolicyBuilder.create().withBreakerTimeout('1m').build().openTimeoutMs).toBe(60_000);
  });

  it('is not adaptive unless .adaptive(true)', () => {
    expect(PolicyBuilder.create().build().adaptive).toBe(false);
    expect(PolicyBuilder.create().withRateLimit(10).withBurstCapacity(10).build().adaptive).toBe(false);
    expect(PolicyBuilder.create().adaptive(true).build().adaptive).toBe(true);
    expect(PolicyBuilder.create().adaptive(true).adaptive(false).build().adaptive).toBe(false);
  });

  it('keeps the standard figures for options that were not set', () => {
    const standard = PolicyPresets.standard();
    const built = PolicyBuilder.create().withRateLimit(175).build();
    expect(built.failureThreshold).toBe(standard.failureThreshold);
    expect(built.minimumRequests).toBe(standard.minimumRequests);
    expect(built.windowMs).toBe(standard.windowMs);
    expect(built.burst).toBe(standard.burst);
    expect(built.classifier).toBe('all');
  });

  it('a setter that throws leaves the builder usable and unchanged', () => {
    const builder = PolicyBuilder.create().withRateLimit(175);
    expect(() => builder.withRateLimit(-1)).toThrow(RangeError);
    expect(builder.build().rate).toBe(175);
  });

  describe('rejects invalid values with an error naming the option and the value', () => {
    const cases: { what: string; call: () => unknown; type: typeof RangeError | typeof TypeError; option: RegExp; value: string }[] = [
      { what: 'threshold 0', call: () => PolicyBuilder.create().withBreakerThreshold(0), type: RangeError, option: /threshold/i, value: '0' },
      { what: 'threshold 1.5', call: () => PolicyBuilder.create().withBreakerThreshold(1.5), type: RangeError, option: /threshold/i, value: '1.5' },
      { what: 'threshold NaN', call: () => PolicyBuilder.create().withBreakerThreshold(Number.NaN), type: RangeError, option: /threshold/i, value: 'NaN' },
      { what: 'rate -1', call: () => PolicyBuilder.create().withRateLimit(-1), type: RangeError, option: /rate/i, value: '-1' },
      { what: 'rate NaN', call: () => PolicyBuilder.create().withRateLimit(Number.NaN), type: RangeError, option: /rate/i, value: 'NaN' },
      { what: 'burst 0', call: () => PolicyBuilder.create().withBurstCapacity(0), type: RangeError, option: /burst/i, value: '0' },
      { what: "window 'soon'", call: () => PolicyBuilder.create().withBreakerWindow('soon'), type: RangeError, option: /window/i, value: 'soon' },
      { what: "timeout 'soon'", call: () => PolicyBuilder.create().withBreakerTimeout('soon'), type: RangeError, option: /timeout/i, value: 'soon' },
    ];
    for (const c of cases) {
      it(c.what, () => {
        const error = thrown(c.call);
        expect(error).toBeInstanceOf(c.type);
        const message = (error as Error).message;
        expect(message).toMatch(c.option);
        expect(message).toContain(c.value);
      });
    }

    it('a duration of the wrong type is a TypeError naming the option', () => {
      const error = thrown(() => PolicyBuilder.create().withBreakerWindow({} as unknown as string));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/window/i);
    });

    it('a threshold of the wrong type is a TypeError or RangeError naming the option', () => {
      const error = thrown(() => PolicyBuilder.create().withBreakerThreshold('0.5' as unknown as number));
      expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
      expect((error as Error).message).toMatch(/threshold/i);
      expect((error as Error).message).toContain('0.5');
    });
  });
});
