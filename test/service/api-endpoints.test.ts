import { describe, expect, it } from 'vitest';
import { BreakerState, PolicyBuilder, PolicyPresets, Priority } from '../../src/index.js';
import { failingOp, limited, manualService, rejection } from './api-support.js';

/** Calls admitted over `ms` of manual time, trying as often as possible every millisecond. */
function admittedOver(tryAcquire: () => number, advance: (ms: number) => void, ms: number): number {
  while (tryAcquire() >= 0) {
    // empty the bucket first
  }
  let admitted = 0;
  for (let t = 0; t < ms; t++) {
    advance(1);
    while (tryAcquire() >= 0) admitted++;
  }
  return admitted;
}

describe('endpoints', () => {
  it('registerEndpoint again replaces the policy without losing the counters; the new rate applies', async () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', limited(10, 5));
    for (let i = 0; i < 4; i++) await service.execute('svc', () => 'ok');
    await rejection(service.execute('svc', failingOp().op));
    expect(service.getBreakerStatistics('svc').total).toBe(5);

    service.registerEndpoint('svc', limited(50, 5));
    const stats = service.getBreakerStatistics('svc');
    expect(stats.total).toBe(5);
    expect(stats.failures).toBe(1);
    expect(service.getLimiterMetrics('svc').accepted).toBe(5);
    expect(service.getLimiterMetrics('svc').currentRate).toBe(50);
    expect(service.policyOf('svc').rate).toBe(50);
    expect(service.getAllStats()).toHaveLength(1);

    const ep = service.endpoint('svc');
    const admitted = admittedOver(
      () => ep.tryAcquire(),
      (ms) => clock.advance(ms),
      10_000,
    );
    expect(Math.abs(admitted - 500) / 500).toBeLessThanOrEqual(0.01);
    service.close();
  });

  it('right after re-registration at a higher rate, tokens arrive at the new rate', () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', limited(10, 5));
    const ep = service.endpoint('svc');
    while (ep.tryAcquire() >= 0) {
      // empty the bucket under the old rate
    }
    service.registerEndpoint('svc', limited(50, 5));
    clock.advance(100);
    let admitted = 0;
    while (ep.tryAcquire() >= 0) admitted++;
    // 100 ms at 50 tokens/s.
    expect(admitted).toBe(5);
    service.close();
  });

  it('registerEndpoint again keeps the breaker state ("start strict, relax later")', async () => {
    const { service } = manualService();
    service.registerEndpoint('new-service', PolicyPresets.critical());
    for (let i = 0; i < 5; i++) await rejection(service.execute('new-service', failingOp().op));
    expect(service.getBreakerStatistics('new-service').state).toBe(BreakerState.Open);
    service.registerEndpoint('new-service', PolicyPresets.standard());
    expect(service.getBreakerStatistics('new-service').state).toBe(BreakerState.Open);
    expect(service.policyOf('new-service')).toEqual(PolicyPresets.standard());
    expect(service.getBreakerStatistics('new-service').failures).toBe(5);
    service.close();
  });

  it('registerEndpoint validates the policy', () => {
    const { service } = manualService();
    expect(() => service.registerEndpoint('svc', { ...PolicyPresets.standard(), rate: -1 })).toThrow(RangeError);
    expect(() => service.registerEndpoint('svc', { ...PolicyPresets.standard(), failureThreshold: 2 })).toThrow(/failureThreshold/);
    expect(service.hasEndpoint('svc')).toBe(false);
    service.close();
  });

  it('unregisterEndpoint removes an endpoint; using it again starts afresh with the default policy', async () => {
    const { service } = manualService(PolicyPresets.relaxed());
    service.registerEndpoint('svc', PolicyPresets.critical());
    await service.execute('svc', () => 1);
    expect(service.hasEndpoint('svc')).toBe(true);
    expect(service.unregisterEndpoint('svc')).toBe(true);
    expect(service.hasEndpoint('svc')).toBe(false);
    expect(service.endpointNames()).toEqual([]);
    expect(service.getAllStats()).toEqual([]);
    expect(service.unregisterEndpoint('svc')).toBe(false);
    expect(service.unregisterEndpoint('never')).toBe(false);

    await service.execute('svc', () => 2);
    expect(service.hasEndpoint('svc')).toBe(true);
    expect(service.getBreakerStatistics('svc').total).toBe(1);
    expect(service.policyOf('svc')).toEqual(PolicyPresets.relaxed());
    service.close();
  });

  it('the default policy applies to endpoints used before registration', async () => {
    const { service } = manualService(PolicyPresets.critical());
    await service.execute('early', () => 1);
    expect(service.policyOf('early')).toEqual(PolicyPresets.critical());
    expect(service.getLimiterMetrics('early').nominalRate).toBe(50);
    // critical: 30 % of at least 5 calls (standard would need 50 % of 10)
    for (let i = 0; i < 2; i++) await service.execute('early', () => 1);
    await rejection(service.execute('early', failingOp().op));
    expect(service.getBreakerStatistics('early').state).toBe(BreakerState.Closed); // 4 calls: too few
    await rejection(service.execute('early', failingOp().op));
    expect(service.getBreakerStatistics('early').state).toBe(BreakerState.Open); // 2 of 5 = 40 %
    service.close();
  });

  it('the default is PolicyPresets.standard() when none is given', () => {
    const { service } = manualService();
    expect(service.defaultPolicy).toEqual(PolicyPresets.standard());
    expect(service.policyOf('x')).toEqual(PolicyPresets.standard());
    service.close();
  });

  it('__proto__ and constructor work as endpoint names', async () => {
    const { service } = manualService();
    service.registerEndpoint('__proto__', limited(10, 3));
    service.registerEndpoint('constructor', PolicyBuilder.create().withMinimumRequests(2).build());
    expect(await service.execute('__proto__', () => 'p', Priority.Normal, 0)).toBe('p');
    await rejection(service.execute('constructor', failingOp().op));
    await rejection(service.execute('constructor', failingOp().op));
    await service.execute('hasOwnProperty', () => 'h');
    expect(service.getBreakerStatistics('__proto__')).toMatchObject({ total: 1, failures: 0, state: BreakerState.Closed });
    expect(service.getBreakerStatistics('constructor')).toMatchObject({ total: 2, failures: 2, state: BreakerState.Open });
    expect(service.getLimiterMetrics('__proto__').currentRate).toBe(10);
    expect(service.getAllStats().map((s) => s.endpoint)).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    expect(service.endpointNames()).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    expect(service.hasEndpoint('toString')).toBe(false);
    expect(service.unregisterEndpoint('__proto__')).toBe(true);
    expect(service.hasEndpoint('__proto__')).toBe(false);
    expect(service.hasEndpoint('constructor')).toBe(true);
    service.close();
  });
});
