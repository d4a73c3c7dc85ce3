import { describe, expect, it } from 'vitest';
import { isRateLimitError, Priority, RateLimitError } from '../../src/index.js';
import { limited, manualService, pause, rejection, track, until } from './api-support.js';

describe('execute() rate limiting', () => {
  it('timeout 0 rejects with RateLimitError at once when there is no token, without calling the operation', async () => {
    const { service } = manualService();
    service.registerEndpoint('svc', limited(10, 2));
    await service.execute('svc', () => 1, Priority.Normal, 0);
    await service.execute('svc', () => 2, Priority.Normal, 0);
    let called = 0;
    const error = await rejection(
      service.execute(
        'svc',
        () => {
          called++;
        },
        Priority.Normal,
        0,
      ),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    expect(isRateLimitError(error)).toBe(true);
    expect((error as RateLimitError).endpoint).toBe('svc');
    expect(called).toBe(0);
    const metrics = service.getLimiterMetrics('svc');
    expect(metrics.accepted).toBe(2);
    expect(metrics.rejected).toBe(1);
    service.close();
  });

  it('with a timeout > 0 the call waits for a token and succeeds once the clock advances', async () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', limited(10, 1)); // one token every 100 ms
    await service.execute('svc', () => 'first', Priority.Normal, 0);
    let called = 0;
    const waiting = track(
      service.execute(
        'svc',
        () => {
          called++;
          return 'second';
        },
        Priority.Normal,
        '5s',
      ),
    );
    await pause(30);
    expect(waiting.status).toBe('pending');
    expect(called).toBe(0);
    clock.advance(50);
    await pause(30);
    expect(waiting.status).toBe('pending');
    clock.advance(50);
    await until(() => waiting.status !== 'pending', 'the waiting call');
    expect(waiting.status).toBe('fulfilled');
    expect(waiting.value).toBe('second');
    expect(called).toBe(1);
    const metrics = service.getLimiterMetrics('svc');
    expect(metrics.accepted).toBe(2);
    expect(metrics.rejected).toBe(0);
    expect(metrics.waitedCalls).toBe(1);
    // 100 ms of waiting over 2 admitted calls.
    expect(metrics.avgWaitTimeMs).toBeCloseTo(50, 6);
    service.close();
  });

  it('a waiter whose timeout passes rejects with RateLimitError and consumes no token', async () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', limited(10, 1));
    await service.execute('svc', () => 0, Priority.Normal, 0);
    let called = 0;
    const waiting = track(
      service.execute(
        'svc',
        () => {
          called++;
        },
        Priority.Low,
        60,
      ),
    );
    await pause(20);
    clock.advance(60);
    await until(() => waiting.status !== 'pending', 'the waiter to time out');
    expect(waiting.reason).toBeInstanceOf(RateLimitError);
    expect((waiting.reason as RateLimitError).waitedMs).toBe(60);
    expect(called).toBe(0);
    clock.advance(40); // t = 100: the next token
    const ep = service.endpoint('svc');
    // The timed-out Low waiter is gone from the gate and took nothing: a Low call gets the token.
    expect(ep.tryAcquire(Priority.Low)).toBeGreaterThanOrEqual(0);
    expect(ep.tryAcquire(Priority.Low)).toBeLessThan(0);
    const metrics = service.getLimiterMetrics('svc');
    expect(metrics.accepted).toBe(2);
    expect(metrics.rejected).toBe(2); // the timed-out waiter and the last tryAcquire
    service.close();
  });

  it('admits burst calls at once and then refills at the rate', async () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', limited(10, 5));
    const outcomes: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      outcomes.push(
        await service.execute('svc', () => true, Priority.Normal, 0).catch((e: unknown) => {
          if (!isRateLimitError(e)) throw e;
          return false;
        }),
      );
    }
    expect(outcomes).toEqual([true, true, true, true, true, false, false, false]);
    clock.advance(300);
    const ep = service.endpoint('svc');
    const again = Array.from({ length: 5 }, () => ep.tryAcquire() >= 0);
    expect(again).toEqual([true, true, true, false, false]);
    service.close();
  });

  for (const burst of [1, 2]) {
    it(`a caller below the rate is always admitted (rate 10, burst ${burst}, one call every 200 ms)`, async () => {
      const { service, clock } = manualService();
      service.registerEndpoint('svc', limited(10, burst));
      let admitted = 0;
      const pattern: string[] = [];
      for (let i = 0; i < 50; i++) {
        const ok = await service.execute('svc', () => true, Priority.Normal, 0).catch(() => false);
        if (ok) admitted++;
        pattern.push(ok ? '1' : '0');
        clock.advance(200);
      }
      // 5 calls/s against 10 tokens/s: a token is always there.
      expect(pattern.join('')).toBe('1'.repeat(50));
      expect(admitted).toBe(50);
      expect(service.getLimiterMetrics('svc').rejected).toBe(0);
      service.close();
    });
  }

  it('a caller exactly at the rate is admitted every time (rate 10, burst 1, one call every 100 ms)', async () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', limited(10, 1));
    const ep = service.endpoint('svc');
    let admitted = 0;
    for (let i = 0; i < 100; i++) {
      if (ep.tryAcquire() >= 0) admitted++;
      clock.advance(100);
    }
    expect(admitted).toBe(100);
    service.close();
  });
});
