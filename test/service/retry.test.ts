import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BreakerState,
  CircuitOpenError,
  ManualClock,
  type Policy,
  PolicyBuilder,
  PolicyPresets,
  Priority,
  RateLimitError,
  ResilienceService,
  ResilienceTimeoutError,
  registerClassifier,
} from '../../src/index.js';
import { backoffDelay, type RetryOptions, retry } from '../../src/service/retry.js';

const services: ResilienceService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.close();
});

function service(policy: Policy = PolicyPresets.network()): { resilience: ResilienceService; clock: ManualClock } {
  const clock = new ManualClock(0);
  const resilience = new ResilienceService(PolicyPresets.standard(), { clock, env: false });
  resilience.registerEndpoint('ep', policy);
  services.push(resilience);
  return { resilience, clock };
}

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const httpError = (status: number): Error => Object.assign(new Error(`HTTP ${status}`), { status });

/** Injected sleep and random: records every delay, waits for nothing. */
function fakeTime(randoms: number[] = [0.5]): { delays: number[]; options: Pick<RetryOptions, 'sleep' | 'random'> } {
  const delays: number[] = [];
  let i = 0;
  return {
    delays,
    options: {
      sleep: async (ms) => {
        delays.push(ms);
      },
      random: () => randoms[i++ % randoms.length] as number,
    },
  };
}

/** An operation that throws the given errors in turn, then returns 'ok'. */
function script(...errors: unknown[]): { op: (signal: AbortSignal, attempt: number) => Promise<string>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    op: async (_signal, attempt) => {
      calls.push(attempt);
      const error = errors.shift();
      if (error !== undefined) throw error;
      return 'ok';
    },
  };
}

describe('retry()', () => {
  it('resolves with the first success, through one execute() call', async () => {
    const { resilience } = service();
    const execute = vi.spyOn(resilience, 'execute');
    const { op, calls } = script();
    const time = fakeTime();
    await expect(retry(resilience, 'ep', op, time.options)).resolves.toBe('ok');
    expect(calls).toEqual([1]);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(time.delays).toEqual([]);
  });

  it('retries counted failures with exponential backoff and full jitter, capped at maxDelayMs', async () => {
    const { resilience } = service(PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(100).build());
    const { op, calls } = script(refused(), httpError(503), refused(), refused(), refused());
    const time = fakeTime([0.5, 0.25, 0.999, 0, 0.5]);
    const seen: number[] = [];
    const result = await retry(resilience, 'ep', op, {
      ...time.options,
      attempts: 6,
      baseDelayMs: 100,
      maxDelayMs: 500,
      onRetry: (e) => seen.push(e.attempt),
    });
    expect(result).toBe('ok');
    expect(calls).toEqual([1, 2, 3, 4, 5, 6]);
    // random() × min(500, 100 × 2^(n-1)) for retries n = 1..5: bounds 100, 200, 400, 500 (capped), 500.
    expect(time.delays).toEqual([50, 50, 0.999 * 400, 0, 250]);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const stats = resilience.getBreakerStatistics('ep');
    expect(stats.total).toBe(6);
    expect(stats.failures).toBe(5);
  });

  it('gives up after `attempts` and rejects with the last error', async () => {
    const { resilience } = service(PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(100).build());
    const last = refused();
    const { op, calls } = script(refused(), refused(), last);
    const time = fakeTime();
    await expect(retry(resilience, 'ep', op, { ...time.options, attempts: 3 })).rejects.toBe(last);
    expect(calls).toEqual([1, 2, 3]);
    expect(time.delays).toHaveLength(2);
  });

  it('does not retry what the classifier does not count (a 404 miss, a 4xx, an application error)', async () => {
    const { resilience } = service();
    for (const error of [httpError(404), httpError(403), new Error('bad request')]) {
      const { op, calls } = script(error);
      const time = fakeTime();
      await expect(retry(resilience, 'ep', op, time.options)).rejects.toBe(error);
      expect(calls).toEqual([1]);
      expect(time.delays).toEqual([]);
    }
    expect(resilience.getBreakerStatistics('ep').failures).toBe(0);
  });

  it('under the "all" classifier every error is retried', async () => {
    const { resilience } = service(PolicyBuilder.create().withMinimumRequests(100).build());
    const { op, calls } = script(new Error('app'), httpError(404));
    await expect(retry(resilience, 'ep', op, fakeTime().options)).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
  });

  it('retryOn narrows what is retried, never widens it', async () => {
    const { resilience } = service();
    const notRetried = httpError(501);
    const a = script(httpError(503), notRetried);
    const retryOn = vi.fn((error: unknown) => (error as { status?: number }).status !== 501);
    await expect(retry(resilience, 'ep', a.op, { ...fakeTime().options, retryOn })).rejects.toBe(notRetried);
    expect(a.calls).toEqual([1, 2]);
    expect(retryOn).toHaveBeenCalledTimes(2);
    // A 404 is not a counted failure: retryOn is not even asked.
    const b = script(httpError(404));
    const always = vi.fn(() => true);
    await expect(retry(resilience, 'ep', b.op, { ...fakeTime().options, retryOn: always })).rejects.toMatchObject({ status: 404 });
    expect(always).not.toHaveBeenCalled();
  });

  it('stops at once, without waiting, when a failure opens the circuit', async () => {
    // minimumRequests 2, threshold 0.5: the second failure opens the circuit.
    const { resilience } = service(PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(2).withBreakerThreshold(0.5).build());
    const second = refused();
    const { op, calls } = script(refused(), second, refused());
    const time = fakeTime();
    await expect(retry(resilience, 'ep', op, { ...time.options, attempts: 5 })).rejects.toBe(second);
    expect(calls).toEqual([1, 2]);
    expect(time.delays).toHaveLength(1);
    expect(resilience.endpoint('ep').state).toBe(BreakerState.Open);
    expect(resilience.getBreakerStatistics('ep').rejected).toBe(0);
  });

  it('stops on CircuitOpenError: the operation is not called and nothing is waited for', async () => {
    const { resilience } = service(PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(1).build());
    await expect(retry(resilience, 'ep', script(refused()).op, { attempts: 1 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(resilience.endpoint('ep').state).toBe(BreakerState.Open);
    const { op, calls } = script();
    const time = fakeTime();
    await expect(retry(resilience, 'ep', op, { ...time.options, attempts: 5 })).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toEqual([]);
    expect(time.delays).toEqual([]);
  });

  it('stops on CircuitOpenError when another caller opened the circuit during the wait', async () => {
    const { resilience } = service(PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(3).withBreakerThreshold(0.5).build());
    const { op, calls } = script(refused());
    const options: RetryOptions = {
      attempts: 5,
      random: () => 0.5,
      sleep: async () => {
        // Meanwhile, other calls fail and open the circuit.
        for (let i = 0; i < 2; i++) await resilience.execute('ep', () => Promise.reject(refused())).catch(() => {});
      },
    };
    await expect(retry(resilience, 'ep', op, options)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toEqual([1]);
  });

  it('consults the limiter: every attempt takes a token, and RateLimitError ends the retry', async () => {
    const policy = PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(100).withRateLimit(0.001).withBurstCapacity(2).adaptive(false).build();
    const { resilience } = service(policy);
    const { op, calls } = script(refused(), refused(), refused());
    const time = fakeTime();
    await expect(retry(resilience, 'ep', op, { ...time.options, attempts: 5, timeout: 0 })).rejects.toBeInstanceOf(RateLimitError);
    expect(calls).toEqual([1, 2]);
    expect(time.delays).toHaveLength(2);
    expect(resilience.getLimiterMetrics('ep').rejected).toBeGreaterThanOrEqual(1);
  });

  it('on the real clock, an attempt after the open timeout is a trial, however late the ticker thread is', async () => {
    const resilience = new ResilienceService(PolicyPresets.standard(), { env: false });
    services.push(resilience);
    resilience.registerEndpoint('ep', PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(1).withBreakerTimeout(50).build());
    await expect(retry(resilience, 'ep', script(refused()).op, { attempts: 1 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(resilience.endpoint('ep').state).toBe(BreakerState.Open);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(retry(resilience, 'ep', script().op, { attempts: 1 })).resolves.toBe('ok');
  });

  it('passes priority and the per-attempt timeout to execute()', async () => {
    const { resilience } = service();
    const execute = vi.spyOn(resilience, 'execute');
    await retry(resilience, 'ep', script(refused()).op, { ...fakeTime().options, priority: Priority.High, timeout: '2s' });
    expect(execute).toHaveBeenCalledTimes(2);
    for (const call of execute.mock.calls) {
      expect(call[0]).toBe('ep');
      expect(call[2]).toBe(Priority.High);
      expect(call[3]).toBe(2000);
    }
  });

  it('retries timeouts of execute() (always failures), each attempt bounded by the timeout', async () => {
    // A classifier that counts nothing: the timeout is still a failure and still retried.
    const { resilience, clock } = service(PolicyBuilder.create().withClassifier('nothing-counts').withMinimumRequests(100).build());
    registerClassifier('nothing-counts', () => false);
    const signals: AbortSignal[] = [];
    const op = (signal: AbortSignal, attempt: number): Promise<string> => {
      signals.push(signal);
      return attempt === 1 ? new Promise<string>(() => {}) : Promise.resolve('second');
    };
    const time = fakeTime();
    const pending = retry(resilience, 'ep', op, { ...time.options, timeout: 50 });
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    clock.advance(50);
    await expect(pending).resolves.toBe('second');
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(ResilienceTimeoutError);
    expect(resilience.getBreakerStatistics('ep').failures).toBe(1);
  });

  it('options.signal cancels the wait and reaches the operation', async () => {
    const { resilience } = service(PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(100).build());
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const op = async (signal: AbortSignal): Promise<string> => {
      seen = signal;
      throw refused();
    };
    const reason = new Error('cancelled by the build');
    const pending = retry(resilience, 'ep', op, { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.99, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20)); // now in the (real, 59.4 s) wait
    expect(seen).toBeDefined();
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(seen?.aborted).toBe(true);
    await expect(retry(resilience, 'ep', op, { signal: controller.signal })).rejects.toBe(reason);
  });

  it('checks its options, naming them', async () => {
    const { resilience } = service();
    const op = async (): Promise<number> => 1;
    await expect(retry(resilience, 'ep', op, { attempts: 0 })).rejects.toThrow(/attempts: expected an integer from 1 to 100, got 0/);
    await expect(retry(resilience, 'ep', op, { attempts: 2.5 })).rejects.toThrow(RangeError);
    await expect(retry(resilience, 'ep', op, { baseDelayMs: -1 })).rejects.toThrow(/baseDelayMs/);
    await expect(retry(resilience, 'ep', op, { maxDelayMs: 'soon' })).rejects.toThrow(/maxDelayMs/);
    await expect(retry(resilience, 'ep', op, { priority: 300 })).rejects.toThrow(/priority/);
    await expect(retry(resilience, 'ep', op, { retryOn: 1 as unknown as () => boolean })).rejects.toThrow(/retryOn: expected a function/);
    await expect(retry(resilience, 'ep', 'x' as unknown as typeof op)).rejects.toThrow(/operation: expected a function/);
    expect(() => backoffDelay(1, 100, 1000, () => 1)).toThrow(/random\(\): expected a number in \[0, 1\), got 1/);
  });
});
