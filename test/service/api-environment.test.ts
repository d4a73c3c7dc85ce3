import { describe, expect, it } from 'vitest';
import { BreakerState, ManualClock, PolicyPresets, ResilienceService } from '../../src/index.js';
import { closeLater, failingOp, rejection } from './api-support.js';

function withEnv(env: Record<string, string>): { service: ResilienceService; clock: ManualClock } {
  const clock = new ManualClock(0);
  const service = closeLater(new ResilienceService(PolicyPresets.standard(), { clock, env }));
  return { service, clock };
}

/** Error thrown by the constructor for `env`. */
function constructorError(env: Record<string, string>): unknown {
  try {
    closeLater(new ResilienceService(PolicyPresets.standard(), { clock: new ManualClock(0), env })).close();
  } catch (error) {
    return error;
  }
  throw new Error('expected the constructor to throw');
}

describe('environment switches', () => {
  it('no switches: the given default policy, breaking and limiting on', () => {
    const { service } = withEnv({});
    expect(service.passThrough).toBe(false);
    expect(service.defaultPolicy).toEqual(PolicyPresets.standard());
    service.close();
  });

  it('BUILDER_DISABLE_RESILIENCE=1: pass-through — failures never open, nothing is limited, stats are still counted', async () => {
    const { service } = withEnv({ BUILDER_DISABLE_RESILIENCE: '1' });
    expect(service.passThrough).toBe(true);
    const failing = failingOp();
    for (let i = 0; i < 30; i++) await rejection(service.execute('svc', failing.op));
    expect(failing.calls).toBe(30);
    expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Closed);
    expect(await service.execute('svc', () => 'still called')).toBe('still called');

    // standard burst is 200: far more are admitted at one instant.
    const ep = service.endpoint('limits');
    let admitted = 0;
    for (let i = 0; i < 1000; i++) if (ep.tryAcquire() >= 0) admitted++;
    expect(admitted).toBe(1000);
    let viaExecute = 0;
    for (let i = 0; i < 300; i++) if ((await service.execute('limits2', () => 1, 100, 0)) === 1) viaExecute++;
    expect(viaExecute).toBe(300);

    const stats = service.getBreakerStatistics('svc');
    expect(stats.total).toBe(31);
    expect(stats.failures).toBe(30);
    expect(service.getLimiterMetrics('limits').accepted).toBe(1000);
    expect(service.getLimiterMetrics('limits').rejected).toBe(0);
    service.close();
  });

  it('BUILDER_STRICT_RESILIENCE=1: the default policy is PolicyPresets.critical()', async () => {
    const { service } = withEnv({ BUILDER_STRICT_RESILIENCE: '1' });
    expect(service.passThrough).toBe(false);
    expect(service.defaultPolicy).toEqual(PolicyPresets.critical());
    await service.execute('unregistered', () => 1);
    expect(service.policyOf('unregistered')).toEqual(PolicyPresets.critical());
    expect(service.getLimiterMetrics('unregistered').nominalRate).toBe(50);
    service.close();
  });

  it('BUILDER_RELAXED_RESILIENCE=1: the default policy is PolicyPresets.relaxed()', () => {
    const { service } = withEnv({ BUILDER_RELAXED_RESILIENCE: '1' });
    expect(service.defaultPolicy).toEqual(PolicyPresets.relaxed());
    expect(service.policyOf('x')).toEqual(PolicyPresets.relaxed());
    service.close();
  });

  it('STRICT wins over RELAXED', () => {
    const { service } = withEnv({ BUILDER_STRICT_RESILIENCE: '1', BUILDER_RELAXED_RESILIENCE: '1' });
    expect(service.defaultPolicy).toEqual(PolicyPresets.critical());
    service.close();
  });

  it('DISABLE + STRICT: pass-through with the critical default', async () => {
    const { service } = withEnv({ BUILDER_DISABLE_RESILIENCE: '1', BUILDER_STRICT_RESILIENCE: '1' });
    expect(service.passThrough).toBe(true);
    expect(service.defaultPolicy).toEqual(PolicyPresets.critical());
    for (let i = 0; i < 10; i++) await rejection(service.execute('svc', failingOp().op));
    expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Closed);
    service.close();
  });

  it('switches set to 0 are off', () => {
    const { service } = withEnv({ BUILDER_DISABLE_RESILIENCE: '0', BUILDER_STRICT_RESILIENCE: '0', BUILDER_RELAXED_RESILIENCE: '0' });
    expect(service.passThrough).toBe(false);
    expect(service.defaultPolicy).toEqual(PolicyPresets.standard());
    service.close();
  });

  for (const name of ['BUILDER_DISABLE_RESILIENCE', 'BUILDER_STRICT_RESILIENCE', 'BUILDER_RELAXED_RESILIENCE']) {
    it(`an invalid value of ${name} ('maybe') is a RangeError naming the variable`, () => {
      const error = constructorError({ [name]: 'maybe' });
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toContain(name);
      expect((error as Error).message).toContain('maybe');
    });
  }

  it('env: false ignores the switches', () => {
    const service = closeLater(new ResilienceService(PolicyPresets.standard(), { clock: new ManualClock(0), env: false }));
    expect(service.passThrough).toBe(false);
    expect(service.defaultPolicy).toEqual(PolicyPresets.standard());
    service.close();
  });
});
