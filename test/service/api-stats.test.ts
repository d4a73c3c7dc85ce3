import { describe, expect, it } from 'vitest';
import { BreakerState, PolicyBuilder, Priority } from '../../src/index.js';
import { failingOp, limited, manualService, rejection } from './api-support.js';

describe('statistics', () => {
  it('getAllStats() lists every registered endpoint with its figures', async () => {
    const { service } = manualService();
    service.registerEndpoint('a', limited(10, 5));
    service.registerEndpoint('b', PolicyBuilder.create().withMinimumRequests(2).build());
    for (let i = 0; i < 3; i++) await service.execute('a', () => 'ok');
    await rejection(service.execute('a', failingOp().op));
    expect(await service.execute('a', () => 'fifth', Priority.Normal, 0)).toBe('fifth'); // the 5th token
    await rejection(service.execute('a', () => 'too many', Priority.Normal, 0)); // refused
    await rejection(service.execute('b', failingOp().op));
    await rejection(service.execute('b', failingOp().op));

    const stats = service.getAllStats();
    expect(stats.map((s) => s.endpoint)).toEqual(['a', 'b']);
    const [a, b] = stats;
    for (const stat of stats) {
      expect(Object.keys(stat)).toEqual(
        expect.arrayContaining(['endpoint', 'breakerState', 'totalRequests', 'failures', 'failureRate', 'limiterMetrics']),
      );
    }
    expect(a).toMatchObject({ endpoint: 'a', breakerState: BreakerState.Closed, totalRequests: 5, failures: 1 });
    expect(a?.failureRate).toBeCloseTo(0.2, 12);
    expect(a?.limiterMetrics.accepted).toBe(5);
    expect(a?.limiterMetrics.rejected).toBe(1);
    expect(a?.limiterMetrics.currentRate).toBe(10);
    expect(a?.limiterMetrics.acceptanceRate()).toBeCloseTo(5 / 6, 12);
    expect(a?.limiterMetrics.rejectionRate()).toBeCloseTo(1 / 6, 12);
    expect(b).toMatchObject({ endpoint: 'b', breakerState: BreakerState.Open, totalRequests: 2, failures: 2, failureRate: 1 });
    expect(b?.limiterMetrics.accepted).toBe(2);
    service.close();
  });

  it('getAllStats() includes endpoints first used through execute() (default policy)', async () => {
    const { service } = manualService();
    expect(service.getAllStats()).toEqual([]);
    await service.execute('implicit', () => 1);
    const stats = service.getAllStats();
    expect(stats).toHaveLength(1);
    expect(stats[0]?.endpoint).toBe('implicit');
    expect(stats[0]?.totalRequests).toBe(1);
    service.close();
  });

  it('getBreakerStatistics() gives total, failures, failureRate and state', async () => {
    const { service } = manualService();
    for (let i = 0; i < 3; i++) await service.execute('svc', () => 'ok');
    await rejection(service.execute('svc', failingOp().op));
    const stats = service.getBreakerStatistics('svc');
    expect(stats.total).toBe(4);
    expect(stats.failures).toBe(1);
    expect(stats.failureRate).toBeCloseTo(0.25, 12);
    expect(stats.state).toBe(BreakerState.Closed);
    expect(stats.rejected).toBe(0);
    expect(stats.window).toEqual({ total: 4, failures: 1, failureRate: 0.25 });
    service.close();
  });

  it('getBreakerStatistics() of an unused endpoint is all zeros', () => {
    const { service } = manualService();
    const stats = service.getBreakerStatistics('fresh');
    expect(stats.total).toBe(0);
    expect(stats.failures).toBe(0);
    expect(stats.failureRate).toBe(0);
    expect(stats.state).toBe(BreakerState.Closed);
    service.close();
  });

  it('getLimiterMetrics(): accepted, rejected, rates, currentRate, avgWaitTimeMs', async () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', limited(10, 2));
    const fresh = service.getLimiterMetrics('svc');
    expect(fresh.accepted).toBe(0);
    expect(fresh.rejected).toBe(0);
    expect(fresh.acceptanceRate()).toBe(1);
    expect(fresh.rejectionRate()).toBe(0);
    expect(fresh.avgWaitTimeMs).toBe(0);

    await service.execute('svc', () => 1, Priority.Normal, 0);
    await service.execute('svc', () => 2, Priority.Normal, 0);
    for (let i = 0; i < 3; i++) await rejection(service.execute('svc', () => 3, Priority.Normal, 0));
    let m = service.getLimiterMetrics('svc');
    expect(m.accepted).toBe(2);
    expect(m.rejected).toBe(3);
    expect(m.acceptanceRate()).toBeCloseTo(0.4, 12);
    expect(m.rejectionRate()).toBeCloseTo(0.6, 12);
    expect(m.currentRate).toBe(10);
    expect(m.avgWaitTimeMs).toBe(0);

    // One call waits 100 ms for its token.
    const waiting = service.execute('svc', () => 'waited', Priority.Normal, 1000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(100);
    expect(await waiting).toBe('waited');
    m = service.getLimiterMetrics('svc');
    expect(m.accepted).toBe(3);
    expect(m.rejected).toBe(3);
    expect(m.avgWaitTimeMs).toBeCloseTo(100 / 3, 9);
    service.close();
  });

  it('resetStats() zeroes the totals but keeps the breaker state', async () => {
    const { service } = manualService();
    for (let i = 0; i < 10; i++) await rejection(service.execute('svc', failingOp().op));
    await rejection(service.execute('svc', () => 1));
    expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Open);
    service.resetStats('svc');
    const stats = service.getBreakerStatistics('svc');
    expect(stats.total).toBe(0);
    expect(stats.failures).toBe(0);
    expect(stats.failureRate).toBe(0);
    expect(stats.rejected).toBe(0);
    expect(stats.state).toBe(BreakerState.Open);
    const all = service.getAllStats()[0];
    expect(all).toMatchObject({ endpoint: 'svc', totalRequests: 0, failures: 0, failureRate: 0, breakerState: BreakerState.Open });
    expect(all?.limiterMetrics.accepted).toBe(0);
    expect(all?.limiterMetrics.rejected).toBe(0);
    // Still open after the reset.
    let called = 0;
    await rejection(
      service.execute('svc', () => {
        called++;
      }),
    );
    expect(called).toBe(0);
    // And counting starts again from zero.
    expect(service.getBreakerStatistics('svc').rejected).toBe(1);
    service.close();
  });

  it('resetStats() of one endpoint leaves the others alone', async () => {
    const { service } = manualService();
    await service.execute('a', () => 1);
    await service.execute('b', () => 1);
    service.resetStats('a');
    expect(service.getBreakerStatistics('a').total).toBe(0);
    expect(service.getBreakerStatistics('b').total).toBe(1);
    await service.execute('a', () => 1);
    expect(service.getBreakerStatistics('a').total).toBe(1);
    service.close();
  });
});
