/**
 * One service, every thread: a worker attached to the slab sees the policies, registrations,
 * breaker states and manual clock time the main thread set, and the main thread sees what the
 * worker did (its clock advance, its registration, its trial ticket, the tokens it took).
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BreakerState, ManualClock, type Policy, PolicyPresets, Rejection, ResilienceService } from '../../src/index.js';
import { Observer, type ObservedFirst, type ObservedSecond, type ObserverData } from '../fixtures/protocol.js';
import { Crew, controlWords, publish } from '../support/sync.js';

const START = 2 ** 32 + 777;

const breakerPolicy = (openTimeoutMs: number, halfOpenTrials: number, halfOpenSuccesses: number): Policy => ({
  ...PolicyPresets.standard(),
  rate: Number.POSITIVE_INFINITY,
  adaptive: false,
  failureThreshold: 0.5,
  minimumRequests: 1,
  openTimeoutMs,
  trialTimeoutMs: 60_000,
  halfOpenTrials,
  halfOpenSuccesses,
});

/** Calls admitted on `name` from this thread before the first rejection, and that rejection. */
function drain(service: ResilienceService, name: string): [admitted: number, rejection: number] {
  const ep = service.endpoint(name);
  for (let n = 0; n < 1_000; n++) {
    const ticket = ep.tryAcquire();
    if (ticket < 0) return [n, ticket];
    ep.record(ticket, true);
  }
  return [1_000, 0];
}

describe('state written by one thread is seen by the others', () => {
  it('policies, registrations, breaker states, tickets and the manual clock, in both directions', async () => {
    const defaults: Policy = { ...PolicyPresets.standard(), rate: 3, burst: 11, adaptive: false };
    const service = new ResilienceService(defaults, { capacity: 8, clock: new ManualClock(START) });
    service.registerEndpoint('tight', { ...PolicyPresets.standard(), rate: 1, burst: 7, adaptive: false });
    service.registerEndpoint('brk', breakerPolicy(5_000, 1, 1));
    const breaker = service.endpoint('brk');
    breaker.record(breaker.tryAcquire(), false);
    expect(breaker.state).toBe(BreakerState.Open);
    service.clock.advance(1_234);

    const control = controlWords(2);
    const crew = new Crew<ObservedFirst>('fixtures/observer.ts', [
      { handle: service.handle, control: control.buffer as SharedArrayBuffer, advanceMs: 5_000 } satisfies ObserverData,
    ]);
    try {
      const worker = crew.workers[0];
      if (worker === undefined) throw new Error('no worker');
      const [first] = (await once(worker, 'message')) as [ObservedFirst];
      const secondMessage = once(worker, 'message');
      await crew.until(control, Observer.STAGE, 1);

      // What the worker saw of the main thread's service.
      expect(first).toEqual({
        stage: 1,
        now: START + 1_234,
        kind: 'manual',
        names: ['brk', 'tight'],
        defaultBurst: 11,
        defaultRate: 3,
        breakerState: BreakerState.Open,
        breakerAcquire: Rejection.CircuitOpen,
        tightAdmitted: 7,
        tightRejection: Rejection.RateLimited,
        nowAfterAdvance: START + 1_234 + 5_000,
        trialTicket: first.trialTicket,
        stateAfterTrial: BreakerState.HalfOpen,
      });
      expect(first.trialTicket >= 0 && (first.trialTicket & 1) === 1).toBe(true);

      // What the main thread sees of the worker's doings.
      expect(service.clock.now()).toBe(START + 1_234 + 5_000);
      expect(breaker.state).toBe(BreakerState.HalfOpen);
      expect(breaker.tryAcquire()).toBe(Rejection.CircuitOpen); // the worker holds the one permit
      breaker.record(first.trialTicket, true); // its ticket closes the circuit from this thread
      expect(breaker.state).toBe(BreakerState.Closed);
      expect(drain(service, 'tight')).toEqual([5, Rejection.RateLimited]); // 5 s at 1 rps since the worker emptied it
      expect(service.hasEndpoint('from-worker')).toBe(true);
      expect(drain(service, 'from-worker')).toEqual([4, Rejection.RateLimited]);

      // The main thread replaces the breaker's policy, opens it again and moves the clock.
      service.registerEndpoint('brk', breakerPolicy(2_000, 3, 2));
      breaker.record(breaker.tryAcquire(), false);
      expect(breaker.state).toBe(BreakerState.Open);
      service.clock.advance(777);
      publish(control, Observer.GO, 2);

      const [second] = (await secondMessage) as [ObservedSecond];
      expect(second.now).toBe(START + 1_234 + 5_000 + 777);
      expect(second.breakerState).toBe(BreakerState.Open);
      // The new policy governs the worker: 3 trials admitted, 2 successes close.
      expect(second.trialResults.filter((t) => t >= 0)).toHaveLength(3);
      expect(second.trialResults.slice(3)).toEqual(new Array(7).fill(Rejection.CircuitOpen));
      expect(second.statesAfterRecords).toEqual([BreakerState.HalfOpen, BreakerState.Closed, BreakerState.Closed]);
      await crew.until(control, Observer.STAGE, 2);
      expect(breaker.state).toBe(BreakerState.Closed);
      expect(service.clock.now()).toBe(START + 1_234 + 5_000 + 777 + 2_000);
      await crew.results();
    } finally {
      await crew.dispose();
    }
  });
});
