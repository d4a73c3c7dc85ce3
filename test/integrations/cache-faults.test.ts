import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BreakerState,
  CircuitOpenError,
  isNetworkError,
  ManualClock,
  type Policy,
  PolicyBuilder,
  PolicyPresets,
  ResilienceService,
  ResilienceTimeoutError,
  type StateChangeEvent,
} from '../../src/index.js';
import type { CacheRetryOptions } from '../../src/integrations/cache/ResilientCacheTransport.js';
import { ResilientCacheTransport } from '../../src/integrations/cache/ResilientCacheTransport.js';
import { type FrontProxy, startConnectionCounter, startFrontProxy } from '../support/loopback.js';
import { hasNginx, type NginxServer, requireNginx, startNginx } from '../support/nginx.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const HASH = 'c0ffee00';

/** Polls `condition` on real timers (bounded). */
async function until(condition: () => boolean, what: string, limitMs = 3000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await pause(5);
  }
}

/** Failed calls needed, after `successes` successful ones, for the window to reach the policy's threshold. */
function failuresToOpen(policy: Policy, successes: number): number {
  for (let f = 1; ; f++) if (successes + f >= policy.minimumRequests && f / (successes + f) >= policy.failureThreshold) return f;
}

/** A network-preset policy with a short open timeout and two trials. */
const faultPolicy = (): Policy =>
  PolicyBuilder.from(PolicyPresets.network())
    .withMinimumRequests(5)
    .withBreakerThreshold(0.5)
    .withBreakerWindow('20s')
    .withBreakerTimeout(200)
    .withHalfOpenTrials(2, 2)
    .build();

const instant: CacheRetryOptions = { random: () => 0.5, sleep: async () => {} };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

requireNginx('cache faults');

describe.skipIf(!hasNginx)('ResilientCacheTransport under faults (real nginx)', () => {
  let nginx: NginxServer;
  let resilience: ResilienceService;
  const events: StateChangeEvent[] = [];

  beforeAll(async () => {
    nginx = await startNginx();
  });
  afterAll(async () => {
    await nginx?.dispose();
  });
  afterEach(async () => {
    resilience?.close();
    events.length = 0;
    if (nginx.pid === undefined) await nginx.start();
  });

  /** A transport on a fresh service: on `clock` when given, else on the real clock. */
  function transport(policy: Policy, baseUrl: string, options: { attempts?: number; timeoutMs?: number; clock?: ManualClock } = {}): ResilientCacheTransport {
    resilience = new ResilienceService(PolicyPresets.standard(), { env: false, ...(options.clock === undefined ? {} : { clock: options.clock }) });
    resilience.onStateChange((e) => events.push(e));
    return new ResilientCacheTransport({ baseUrl, policy, timeoutMs: options.timeoutMs ?? 5000, retry: { ...instant, attempts: options.attempts ?? 1 } }, resilience);
  }

  it('nginx stopped mid-run: opens after the threshold, then fails in < 1 ms without connecting; restarted: half-open, then closed', async () => {
    // The breaker's time is a manual clock: the circuit stays open, whatever the machine's load,
    // until the test moves the clock past the open timeout. The network and the < 1 ms are real.
    const clock = new ManualClock(0);
    const policy = faultPolicy();
    const cache = transport(policy, nginx.baseUrl, { clock });
    const ep = resilience.endpoint(cache.endpoint);

    // Mid-run: some successful traffic first.
    await cache.put('ac', HASH, bytes('cached result'));
    for (let i = 0; i < 3; i++) expect(await cache.get('ac', HASH)).toEqual(bytes('cached result'));
    const successes = resilience.getBreakerStatistics(cache.endpoint).total;
    expect(successes).toBe(4);

    await nginx.stop();
    const needed = failuresToOpen(policy, successes); // 4: 4 of 8 calls failed = 0.5
    for (let i = 1; i <= needed; i++) {
      expect(ep.state).toBe(BreakerState.Closed);
      const error = await cache.get('ac', HASH).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(CircuitOpenError);
      expect(isNetworkError(error)).toBe(true);
    }
    expect(ep.state).toBe(BreakerState.Open);
    expect(resilience.getBreakerStatistics(cache.endpoint)).toMatchObject({ total: successes + needed, failures: needed, rejected: 0 });

    // Whatever would connect to the cache's address now is counted.
    const counter = await startConnectionCounter(nginx.port);
    const times: number[] = [];
    try {
      for (let i = 0; i < 5; i++) await expect(cache.get('ac', HASH)).rejects.toBeInstanceOf(CircuitOpenError); // warm-up
      for (let i = 0; i < 50; i++) {
        const start = performance.now();
        const error = await cache.get('ac', HASH).catch((e: unknown) => e);
        times.push(performance.now() - start);
        expect(error).toBeInstanceOf(CircuitOpenError);
      }
      await expect(cache.has('ac', HASH)).rejects.toBeInstanceOf(CircuitOpenError);
      await expect(cache.put('ac', HASH, bytes('x'))).rejects.toBeInstanceOf(CircuitOpenError);
      await pause(20);
      expect(counter.connections).toBe(0);
    } finally {
      await counter.close();
    }
    expect(percentile(times, 0.5)).toBeLessThan(1);
    expect(percentile(times, 0.9)).toBeLessThan(1);
    expect(resilience.getBreakerStatistics(cache.endpoint).rejected).toBe(57);

    // Back up: after the open timeout the next calls are trials; two successes close the circuit.
    await nginx.start();
    clock.advance(policy.openTimeoutMs - 1);
    await expect(cache.get('ac', HASH)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(ep.state).toBe(BreakerState.Open);
    clock.advance(1);
    expect(await cache.get('ac', HASH)).toEqual(bytes('cached result'));
    expect(ep.state).toBe(BreakerState.HalfOpen);
    expect(await cache.has('ac', HASH)).toBe(true);
    expect(ep.state).toBe(BreakerState.Closed);
    await until(() => events.length >= 3, 'three state changes');
    expect(events.map((e) => [e.from, e.to])).toEqual([
      [BreakerState.Closed, BreakerState.Open],
      [BreakerState.Open, BreakerState.HalfOpen],
      [BreakerState.HalfOpen, BreakerState.Closed],
    ]);
  });

  it('a failed trial while nginx is still down opens the circuit again', async () => {
    const clock = new ManualClock(0);
    const policy = faultPolicy();
    const cache = transport(policy, nginx.baseUrl, { clock });
    const ep = resilience.endpoint(cache.endpoint);
    await nginx.stop();
    for (let i = 0; i < failuresToOpen(policy, 0); i++) await expect(cache.get('ac', HASH)).rejects.toSatisfy(isNetworkError);
    expect(ep.state).toBe(BreakerState.Open);
    clock.advance(policy.openTimeoutMs);
    await expect(cache.get('ac', HASH)).rejects.toSatisfy(isNetworkError);
    expect(ep.state).toBe(BreakerState.Open);
    await expect(cache.get('ac', HASH)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('with retries, the failure that reaches the threshold ends the retry: no attempt goes into the open circuit', async () => {
    const policy = faultPolicy();
    const cache = transport(policy, nginx.baseUrl, { attempts: 3, clock: new ManualClock(0) });
    const ep = resilience.endpoint(cache.endpoint);
    await cache.put('cas', HASH, bytes('blob'));
    await nginx.stop();
    // 1 success, then 4 failures open it (4 of 5 ≥ 0.5, with the 5 calls required): call 1 makes
    // 3 attempts, call 2 stops after its first.
    await expect(cache.get('cas', HASH)).rejects.toSatisfy(isNetworkError);
    expect(resilience.getBreakerStatistics(cache.endpoint).failures).toBe(3);
    expect(ep.state).toBe(BreakerState.Closed);
    await expect(cache.get('cas', HASH)).rejects.toSatisfy(isNetworkError);
    expect(ep.state).toBe(BreakerState.Open);
    expect(resilience.getBreakerStatistics(cache.endpoint)).toMatchObject({ total: 5, failures: failuresToOpen(policy, 1), rejected: 0 });
  });

  describe('a slow server', () => {
    let front: FrontProxy;
    beforeAll(async () => {
      front = await startFrontProxy(nginx.port);
    });
    afterAll(async () => {
      await front?.close();
    });

    it('calls past timeoutMs are timeouts, counted as failures (and retried); the circuit opens, then closes when it is fast again', async () => {
      // Real time here (timeouts are real): an open timeout long enough for the checks made while open.
      const policy = PolicyBuilder.from(faultPolicy()).withMinimumRequests(4).withHalfOpenTrials(1).withBreakerTimeout(600).build();
      const cache = transport(policy, front.baseUrl, { attempts: 2, timeoutMs: 100 });
      const ep = resilience.endpoint(cache.endpoint);
      // Stored through the plain transport: not counted, and the process's first fetch (which
      // loads undici) is not timed.
      await cache.transport.put('cas', HASH, bytes('slow blob'));
      front.delayMs = 1000;
      const before = front.requests.length;
      // 2 calls × 2 attempts = 4 timeouts: 4 of 4 calls ≥ 0.5 → open.
      expect(failuresToOpen(policy, 0)).toBe(4);
      for (let call = 0; call < 2; call++) {
        const start = performance.now();
        const error = await cache.get('cas', HASH).catch((e: unknown) => e);
        const elapsed = performance.now() - start;
        expect(error).toBeInstanceOf(ResilienceTimeoutError);
        expect(error).toMatchObject({ timeoutMs: 100, endpoint: cache.endpoint });
        expect(elapsed).toBeGreaterThanOrEqual(190);
        expect(elapsed).toBeLessThan(900);
      }
      expect(front.requests.length - before).toBe(4);
      expect(resilience.getBreakerStatistics(cache.endpoint)).toMatchObject({ total: 4, failures: 4 });
      expect(ep.state).toBe(BreakerState.Open);
      await expect(cache.get('cas', HASH)).rejects.toBeInstanceOf(CircuitOpenError);
      expect(front.requests.length - before).toBe(4);

      front.delayMs = 10;
      await pause(policy.openTimeoutMs + 20);
      expect(await cache.get('cas', HASH)).toEqual(bytes('slow blob'));
      expect(ep.state).toBe(BreakerState.Closed);
    });
  });
});
