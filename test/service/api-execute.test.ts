import { describe, expect, it } from 'vitest';
import {
  BreakerState,
  CircuitOpenError,
  isCircuitOpenError,
  isRateLimitError,
  isResilienceTimeoutError,
  PolicyBuilder,
  PolicyPresets,
  Priority,
  RateLimitError,
  ResilienceTimeoutError,
  reviveResilienceError,
} from '../../src/index.js';
import { codeError, failingOp, limited, manualService, pause, rejection, track, until } from './api-support.js';

describe('execute()', () => {
  it('resolves with the operation result and passes an AbortSignal', async () => {
    const { service } = manualService();
    let seen: unknown;
    const result = await service.execute('svc', (signal) => {
      seen = signal;
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toBeInstanceOf(AbortSignal);
    expect((seen as AbortSignal).aborted).toBe(false);

    const asyncResult = await service.execute('svc', async (signal) => (signal instanceof AbortSignal ? 'ok' : 'no'), Priority.High, 5_000);
    expect(asyncResult).toBe('ok');
    expect(service.getBreakerStatistics('svc').total).toBe(2);
    service.close();
  });

  it('rejects with what the operation threw', async () => {
    const { service } = manualService();
    const boom = new Error('boom');
    await expect(service.execute('svc', () => Promise.reject(boom))).rejects.toBe(boom);
    await expect(
      service.execute('svc', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(service.getBreakerStatistics('svc').failures).toBe(2);
    service.close();
  });

  describe('failure classification', () => {
    it('the standard policy counts every error', async () => {
      const { service } = manualService();
      await rejection(service.execute('std', failingOp(codeError('refused', 'ECONNREFUSED')).op));
      await rejection(service.execute('std', failingOp(new Error('bad request')).op));
      const stats = service.getBreakerStatistics('std');
      expect(stats.total).toBe(2);
      expect(stats.failures).toBe(2);
      service.close();
    });

    it('the network preset counts only network errors', async () => {
      const { service } = manualService();
      service.registerEndpoint('cache', PolicyPresets.network());
      await rejection(service.execute('cache', failingOp(codeError('connect ECONNREFUSED', 'ECONNREFUSED')).op));
      expect(service.getBreakerStatistics('cache').failures).toBe(1);
      await rejection(service.execute('cache', failingOp(new Error('bad request')).op));
      const stats = service.getBreakerStatistics('cache');
      expect(stats.failures).toBe(1);
      expect(stats.total).toBe(2);
      service.close();
    });

    it('the network preset: application errors never open the circuit', async () => {
      const { service } = manualService();
      service.registerEndpoint('cache', PolicyPresets.network());
      for (let i = 0; i < 30; i++) await rejection(service.execute('cache', failingOp(new Error('bad request')).op));
      expect(service.getBreakerStatistics('cache').state).toBe(BreakerState.Closed);
      expect(service.getBreakerStatistics('cache').failures).toBe(0);
      service.close();
    });
  });

  describe('circuit breaking', () => {
    it('opens after the threshold and then rejects with CircuitOpenError without calling the operation', async () => {
      const { service } = manualService(); // standard: 50 %, at least 10 calls
      const failing = failingOp();
      for (let i = 0; i < 9; i++) await rejection(service.execute('svc', failing.op));
      expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Closed);
      await rejection(service.execute('svc', failing.op));
      expect(failing.calls).toBe(10);
      expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Open);

      let called = 0;
      const error = await rejection(
        service.execute('svc', () => {
          called++;
          return 'never';
        }),
      );
      expect(called).toBe(0);
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect(isCircuitOpenError(error)).toBe(true);
      expect(isRateLimitError(error)).toBe(false);
      expect(isResilienceTimeoutError(error)).toBe(false);
      expect((error as CircuitOpenError).code).toBe('CIRCUIT_OPEN');
      expect((error as CircuitOpenError).endpoint).toBe('svc');
      expect(service.getBreakerStatistics('svc').rejected).toBe(1);
      service.close();
    });

    it('stays closed below the threshold', async () => {
      const { service } = manualService();
      for (let i = 0; i < 12; i++) await service.execute('svc', () => 'ok');
      for (let i = 0; i < 11; i++) await rejection(service.execute('svc', failingOp().op)); // 11 / 23 < 50 %
      expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Closed);
      await rejection(service.execute('svc', failingOp().op)); // 12 / 24 = 50 %
      expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Open);
      service.close();
    });

    it('after the open timeout a successful trial closes the circuit; a failed trial reopens it', async () => {
      const { service, clock } = manualService();
      service.registerEndpoint('svc', PolicyBuilder.create().withMinimumRequests(2).withBreakerTimeout('1s').withHalfOpenTrials(1).build());
      await rejection(service.execute('svc', failingOp().op));
      await rejection(service.execute('svc', failingOp().op));
      expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Open);
      clock.advance(999);
      expect(await rejection(service.execute('svc', () => 1))).toBeInstanceOf(CircuitOpenError);
      clock.advance(1);
      await rejection(service.execute('svc', failingOp().op)); // the trial fails
      expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Open);
      clock.advance(1000);
      expect(await service.execute('svc', () => 'back')).toBe('back');
      expect(service.getBreakerStatistics('svc').state).toBe(BreakerState.Closed);
      service.close();
    });

    it('endpoints are isolated: one open circuit does not affect another endpoint', async () => {
      const { service } = manualService();
      for (let i = 0; i < 10; i++) await rejection(service.execute('bad', failingOp().op));
      expect(service.getBreakerStatistics('bad').state).toBe(BreakerState.Open);
      expect(await service.execute('good', () => 'fine')).toBe('fine');
      expect(service.getBreakerStatistics('good').state).toBe(BreakerState.Closed);
      service.close();
    });
  });

  describe('errors', () => {
    it('RateLimitError and ResilienceTimeoutError carry a stable code and the endpoint', async () => {
      const { service, clock } = manualService();
      service.registerEndpoint('rl', limited(1, 1));
      await service.execute('rl', () => 1);
      const rl = await rejection(service.execute('rl', () => 1, Priority.Normal, 0));
      expect(rl).toBeInstanceOf(RateLimitError);
      expect(isRateLimitError(rl)).toBe(true);
      expect(isCircuitOpenError(rl)).toBe(false);
      expect((rl as RateLimitError).code).toBe('RATE_LIMITED');
      expect((rl as RateLimitError).endpoint).toBe('rl');

      const pending = track(service.execute('slow', () => new Promise<never>(() => {}), Priority.Normal, 100));
      clock.advance(100);
      await until(() => pending.status !== 'pending', 'the timeout');
      const timeout = pending.reason;
      expect(timeout).toBeInstanceOf(ResilienceTimeoutError);
      expect(isResilienceTimeoutError(timeout)).toBe(true);
      expect(isRateLimitError(timeout)).toBe(false);
      expect((timeout as ResilienceTimeoutError).code).toBe('TIMEOUT');
      expect((timeout as ResilienceTimeoutError).endpoint).toBe('slow');
      service.close();
    });

    it('survive structuredClone(err.toJSON()) + reviveResilienceError', async () => {
      const { service, clock } = manualService();
      for (let i = 0; i < 10; i++) await rejection(service.execute('open', failingOp().op));
      const open = await rejection(service.execute('open', () => 1));
      service.registerEndpoint('rl', limited(1, 1));
      await service.execute('rl', () => 1);
      const rl = await rejection(service.execute('rl', () => 1, Priority.Normal, 0));
      const pending = track(service.execute('slow', () => new Promise<never>(() => {}), Priority.Normal, 250));
      clock.advance(250);
      await until(() => pending.status !== 'pending', 'the timeout');
      const timeout = pending.reason;

      const classes = [CircuitOpenError, RateLimitError, ResilienceTimeoutError] as const;
      const errors = [open, rl, timeout];
      errors.forEach((error, i) => {
        const original = error as CircuitOpenError;
        const cls = classes[i] as (typeof classes)[number];
        expect(original).toBeInstanceOf(cls);
        const revived = reviveResilienceError(structuredClone(original.toJSON()));
        expect(revived).toBeInstanceOf(cls);
        expect(revived?.code).toBe(original.code);
        expect(revived?.endpoint).toBe(original.endpoint);
        expect(revived?.message).toBe(original.message);
        expect(revived?.name).toBe(original.name);
      });
      expect((reviveResilienceError(structuredClone((timeout as ResilienceTimeoutError).toJSON())) as ResilienceTimeoutError).timeoutMs).toBe(250);
      expect(isCircuitOpenError(reviveResilienceError(structuredClone((open as CircuitOpenError).toJSON())))).toBe(true);
      expect(reviveResilienceError(structuredClone(new Error('plain')))).toBeUndefined();
      service.close();
    });
  });

  describe('timeout', () => {
    it('an operation that never settles rejects with ResilienceTimeoutError when the clock passes the timeout, and its signal is aborted', async () => {
      const { service, clock } = manualService();
      let signal: AbortSignal | undefined;
      const pending = track(
        service.execute(
          'svc',
          (s) => {
            signal = s;
            return new Promise<never>(() => {});
          },
          Priority.Normal,
          '1s',
        ),
      );
      await until(() => signal !== undefined, 'the operation to start');
      clock.advance(999);
      await pause(30);
      expect(pending.status).toBe('pending');
      expect(signal?.aborted).toBe(false);
      clock.advance(1);
      await until(() => pending.status !== 'pending', 'the timeout');
      expect(pending.status).toBe('rejected');
      expect(pending.reason).toBeInstanceOf(ResilienceTimeoutError);
      expect((pending.reason as ResilienceTimeoutError).timeoutMs).toBe(1000);
      expect(signal?.aborted).toBe(true);
      expect(signal?.reason).toBe(pending.reason);
      // A timeout is a failure of the endpoint.
      const stats = service.getBreakerStatistics('svc');
      expect(stats.total).toBe(1);
      expect(stats.failures).toBe(1);
      service.close();
    });

    it('an operation that settles in time is not aborted', async () => {
      const { service, clock } = manualService();
      let signal: AbortSignal | undefined;
      let finish: (v: string) => void = () => {};
      const pending = track(
        service.execute(
          'svc',
          (s) => {
            signal = s;
            return new Promise<string>((resolve) => {
              finish = resolve;
            });
          },
          Priority.Normal,
          1000,
        ),
      );
      await until(() => signal !== undefined, 'the operation to start');
      clock.advance(500);
      finish('done');
      await until(() => pending.status !== 'pending', 'the result');
      expect(pending.value).toBe('done');
      clock.advance(1000);
      await pause(20);
      expect(signal?.aborted).toBe(false);
      expect(service.getBreakerStatistics('svc').failures).toBe(0);
      service.close();
    });
  });

  describe('priority argument', () => {
    for (const bad of [300, -1, 1.5, 256, Number.NaN]) {
      it(`rejects ${bad} with a RangeError naming the value`, async () => {
        const { service } = manualService();
        let called = 0;
        const error = await rejection(
          service.execute(
            'svc',
            () => {
              called++;
            },
            bad,
          ),
        );
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toMatch(/priority/i);
        expect((error as Error).message).toContain(String(bad));
        expect(called).toBe(0);
        service.close();
      });
    }

    it('accepts 0, 255 and the named priorities', async () => {
      const { service } = manualService();
      for (const p of [0, 255, Priority.Low, Priority.Normal, Priority.High, Priority.Critical, 42]) {
        expect(await service.execute('svc', () => p, p)).toBe(p);
      }
      service.close();
    });
  });
});
