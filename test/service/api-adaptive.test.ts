import { describe, expect, it } from 'vitest';
import {
  BreakerState,
  type HealthListener,
  type Policy,
  PolicyBuilder,
  PolicyPresets,
  Priority,
  type ResilienceService,
} from '../../src/index.js';
import { failingOp, limited, manualService, pause, rejection, until } from './api-support.js';

/**
 * Adaptive, rate 100, burst 10. (With burst 1 and 1 ms steps any token bucket loses the fraction
 * of a token that arrives between steps when the interval is not a whole number of ms.)
 */
const adaptive100: Policy = PolicyBuilder.create().withRateLimit(100).withBurstCapacity(10).adaptive(true).build();

/** Calls admitted over `ms` of manual time, trying as often as possible every millisecond. */
function admittedOver(service: ResilienceService, advance: (ms: number) => void, name: string, ms: number): number {
  const ep = service.endpoint(name);
  while (ep.tryAcquire() >= 0) {
    // empty the bucket first
  }
  let admitted = 0;
  for (let t = 0; t < ms; t++) {
    advance(1);
    while (ep.tryAcquire() >= 0) admitted++;
  }
  return admitted;
}

describe('adjustRate(endpoint, health)', () => {
  it("follows the specification's curve: 1.0 → 150 %, 0.5 → 80 %, 0.0 → 10 % of the nominal rate", () => {
    const { service } = manualService();
    service.registerEndpoint('cache', PolicyPresets.network()); // 150 rps, adaptive
    expect(service.adjustRate('cache', 1.0)).toBeCloseTo(225, 9);
    expect(service.getLimiterMetrics('cache').currentRate).toBeCloseTo(225, 9);
    expect(service.adjustRate('cache', 0.5)).toBeCloseTo(120, 9);
    expect(service.getLimiterMetrics('cache').currentRate).toBeCloseTo(120, 9);
    expect(service.adjustRate('cache', 0.0)).toBeCloseTo(15, 9);
    expect(service.getLimiterMetrics('cache').currentRate).toBeCloseTo(15, 9);
    expect(service.getLimiterMetrics('cache').nominalRate).toBe(150);
    // Health objects with a score are accepted too.
    expect(service.adjustRate('cache', { score: 1 })).toBeCloseTo(225, 9);
    service.close();
  });

  it('works for an endpoint that uses the default policy (standard, 100 rps)', () => {
    const { service } = manualService();
    expect(service.adjustRate('anything', 0.5)).toBeCloseTo(80, 9);
    expect(service.getLimiterMetrics('anything').currentRate).toBeCloseTo(80, 9);
    service.close();
  });

  for (const bad of [Number.NaN, -0.1, 1.1]) {
    it(`rejects health ${bad} with a RangeError and leaves the rate alone`, () => {
      const { service } = manualService();
      service.adjustRate('svc', 0.5);
      expect(() => service.adjustRate('svc', bad)).toThrow(RangeError);
      expect(() => service.adjustRate('svc', bad)).toThrow(/health/);
      expect(() => service.adjustRate('svc', { score: bad })).toThrow(RangeError);
      expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(80, 9);
      service.close();
    });
  }

  it('a non-adaptive endpoint keeps its nominal rate; adjustRate returns the nominal rate', () => {
    const { service } = manualService();
    service.registerEndpoint('fixed', PolicyBuilder.create().withRateLimit(175).withBurstCapacity(350).build());
    for (const health of [0, 0.5, 1]) {
      expect(service.adjustRate('fixed', health)).toBe(175);
      expect(service.getLimiterMetrics('fixed').currentRate).toBe(175);
    }
    service.close();
  });

  it('adaptive policies follow the breaker state: OPEN 20 %, HALF_OPEN 50 %, CLOSED 100 % (times the health factor)', async () => {
    const { service, clock } = manualService();
    const policy = PolicyBuilder.create()
      .withRateLimit(100)
      .withMinimumRequests(2)
      .withBreakerTimeout('1s')
      .withHalfOpenTrials(3)
      .adaptive(true)
      .build();
    service.registerEndpoint('svc', policy);
    service.adjustRate('svc', 0.5); // 80 rps while closed
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(80, 9);

    await rejection(service.execute('svc', failingOp().op));
    await rejection(service.execute('svc', failingOp().op));
    expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Open);
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(16, 9); // 100 × 0.8 × 0.2
    expect(service.adjustRate('svc', 1)).toBeCloseTo(30, 9); // 100 × 1.5 × 0.2
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(30, 9);

    clock.advance(1000);
    await service.execute('svc', () => 'trial 1');
    expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.HalfOpen);
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(75, 9); // 100 × 1.5 × 0.5
    expect(service.adjustRate('svc', 0)).toBeCloseTo(5, 9); // 100 × 0.1 × 0.5

    await service.execute('svc', () => 'trial 2');
    await service.execute('svc', () => 'trial 3');
    expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Closed);
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(10, 9); // 100 × 0.1 × 1
    service.close();
  });

  it('a non-adaptive policy does not follow the breaker state', async () => {
    const { service } = manualService();
    service.registerEndpoint('svc', PolicyBuilder.create().withRateLimit(100).withMinimumRequests(2).build());
    await rejection(service.execute('svc', failingOp().op));
    await rejection(service.execute('svc', failingOp().op));
    expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Open);
    expect(service.getLimiterMetrics('svc').currentRate).toBe(100);
    service.close();
  });

  it('the current rate really governs admission (10 s of manual time)', () => {
    const { service, clock } = manualService();
    service.registerEndpoint('half', adaptive100);
    service.registerEndpoint('full', adaptive100);
    service.registerEndpoint('fixed', limited(100, 10));
    service.adjustRate('half', 0.5);
    service.adjustRate('full', 1);
    service.adjustRate('fixed', 0); // not adaptive: no effect
    const advance = (ms: number): void => {
      clock.advance(ms);
    };
    const half = admittedOver(service, advance, 'half', 10_000);
    expect(Math.abs(half - 800) / 800).toBeLessThanOrEqual(0.01);
    const full = admittedOver(service, advance, 'full', 10_000);
    expect(Math.abs(full - 1500) / 1500).toBeLessThanOrEqual(0.01);
    const fixed = admittedOver(service, advance, 'fixed', 10_000);
    expect(Math.abs(fixed - 1000) / 1000).toBeLessThanOrEqual(0.01);
    service.close();
  });

  it('a rate change applies to admission from then on', () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', adaptive100);
    const advance = (ms: number): void => {
      clock.advance(ms);
    };
    expect(Math.abs(admittedOver(service, advance, 'svc', 5_000) - 500) / 500).toBeLessThanOrEqual(0.01);
    service.adjustRate('svc', 0); // 10 rps
    admittedOver(service, advance, 'svc', 1_000); // settle
    expect(Math.abs(admittedOver(service, advance, 'svc', 10_000) - 100) / 100).toBeLessThanOrEqual(0.02);
    service.close();
  });
});

describe('adaptive recovery', () => {
  it('when health recovers, an endpoint emptied while throttled refills at the recovered rate', () => {
    const { service, clock } = manualService(); // standard: 100 rps, burst 200, adaptive
    const ep = service.endpoint('svc');
    expect(service.adjustRate('svc', 0)).toBeCloseTo(10, 9); // degraded: 10 rps
    let drained = 0;
    while (ep.tryAcquire() >= 0) drained++;
    expect(drained).toBe(200); // the burst
    expect(service.adjustRate('svc', 1)).toBeCloseTo(150, 9); // healthy again: 150 rps
    let admitted = 0;
    for (let ms = 0; ms < 1000; ms++) {
      clock.advance(1);
      while (ep.tryAcquire() >= 0) admitted++;
    }
    // An empty bucket refilling at 150 tokens/s holds 150 tokens after a second.
    expect(admitted).toBeGreaterThanOrEqual(148);
    expect(admitted).toBeLessThanOrEqual(152);
    service.close();
  });
});

describe('connectHealth(source)', () => {
  it('a function source: scores arrive at adjustRate; dispose() stops them', () => {
    const { service } = manualService();
    const listeners = new Set<HealthListener>();
    const source = (listener: HealthListener): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    const sub = service.connectHealth(source);
    expect(listeners.size).toBe(1);
    for (const l of listeners) l('svc', 0.5);
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(80, 9);
    for (const l of listeners) l('svc', { score: 0 });
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(10, 9);
    sub.dispose();
    expect(listeners.size).toBe(0);
    service.close();
  });

  it('an object with subscribe(): dispose() stops updates', () => {
    const { service } = manualService();
    let current: HealthListener | undefined;
    let unsubscribed = 0;
    const monitor = {
      subscribe(listener: HealthListener) {
        current = listener;
        return {
          dispose() {
            unsubscribed++;
            current = undefined;
          },
        };
      },
    };
    const sub = service.connectHealth(monitor);
    current?.('svc', { score: 1 });
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(150, 9);
    sub.dispose();
    sub.dispose();
    expect(unsubscribed).toBe(1);
    expect(current).toBeUndefined();
    service.close();
  });

  it('an object with onUpdate: connectHealth assigns it; dispose() clears it', () => {
    const { service } = manualService();
    const healthMonitor: { onUpdate: HealthListener | undefined } = { onUpdate: undefined };
    const sub = service.connectHealth(healthMonitor);
    expect(typeof healthMonitor.onUpdate).toBe('function');
    healthMonitor.onUpdate?.('svc', { score: 0.5 });
    expect(service.getLimiterMetrics('svc').currentRate).toBeCloseTo(80, 9);
    const stale = healthMonitor.onUpdate;
    sub.dispose();
    expect(healthMonitor.onUpdate).toBeUndefined();
    expect(stale).toBeDefined();
    service.close();
  });

  it("the specification's style: healthMonitor.onUpdate = (endpoint, health) => resilience.adjustRate(endpoint, health.score)", () => {
    const { service: resilience } = manualService();
    const healthMonitor: { onUpdate?: (endpoint: string, health: { score: number }) => void } = {};
    healthMonitor.onUpdate = (endpoint, health) => resilience.adjustRate(endpoint, health.score);
    healthMonitor.onUpdate('svc', { score: 0 });
    expect(resilience.getLimiterMetrics('svc').currentRate).toBeCloseTo(10, 9);
    healthMonitor.onUpdate('svc', { score: 1 });
    expect(resilience.getLimiterMetrics('svc').currentRate).toBeCloseTo(150, 9);
    resilience.close();
  });

  it('rejects a source of the wrong shape with a TypeError', () => {
    const { service } = manualService();
    expect(() => service.connectHealth({} as never)).toThrow(TypeError);
    service.close();
  });
});

describe('startHealthMonitor()', () => {
  it('lowers the rate of an endpoint with failures in its window, and leaves a healthy one at 150 %', async () => {
    const { service } = manualService();
    // standard: threshold 50 %, at least 10 calls
    for (let i = 0; i < 6; i++) await service.execute('sick', () => 'ok');
    for (let i = 0; i < 4; i++) await rejection(service.execute('sick', failingOp().op));
    for (let i = 0; i < 10; i++) await service.execute('well', () => 'ok');
    expect(service.getBreakerStatistics('sick').state).toBe(BreakerState.Closed);
    expect(service.getLimiterMetrics('sick').currentRate).toBe(100);

    const monitor = service.startHealthMonitor({ intervalMs: 5 });
    await until(() => service.getLimiterMetrics('sick').currentRate < 100, 'the monitor to lower the rate', 2000);
    // Window failure rate 40 % against a 50 % threshold: score 1 - 0.4 / 0.5 = 0.2 → 10 % + 140 % × 0.2 = 38 %.
    expect(service.getLimiterMetrics('sick').currentRate).toBeCloseTo(38, 6);
    await until(() => service.getLimiterMetrics('well').currentRate > 100, 'the healthy endpoint to be scored', 2000);
    expect(service.getLimiterMetrics('well').currentRate).toBeCloseTo(150, 6);

    monitor.dispose();
    service.adjustRate('sick', 1);
    await pause(30);
    expect(service.getLimiterMetrics('sick').currentRate).toBeCloseTo(150, 6); // the monitor stopped
    service.close();
  });

  it('leaves non-adaptive endpoints alone', async () => {
    const { service } = manualService();
    service.registerEndpoint('fixed', PolicyBuilder.create().withMinimumRequests(100).build());
    for (let i = 0; i < 5; i++) await rejection(service.execute('fixed', failingOp().op, Priority.Normal));
    const monitor = service.startHealthMonitor({ intervalMs: 5 });
    await pause(40);
    expect(service.getLimiterMetrics('fixed').currentRate).toBe(100);
    monitor.dispose();
    service.close();
  });
});
