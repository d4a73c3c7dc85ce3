/**
 * Helpers of the tests that drive a ResilienceService directly: fixed policies (in the reference
 * model's terms, with their Policy), a service on a ManualClock, a drain loop, and the view of a
 * service that the attach tests compare across threads.
 */
import { EndpointTable, encodeName } from '../../src/core/EndpointTable.js';
import { Slab } from '../../src/core/Slab.js';
import { type EndpointHandle, ManualClock, type Policy, ResilienceService } from '../../src/index.js';
import type { AttachView } from '../fixtures/service-protocol.js';
import { toPolicy } from '../model/adapter.js';
import type { ModelPolicy } from '../model/ReferenceModel.js';

// ---- fixed policies ------------------------------------------------------------------------------

/**
 * The breaker of the clock tests (test/core): it trips at 50% failures once 4 calls are in its
 * 10 s window of 10 buckets, stays open 5 s, and closes after 2 good trials of 2 (each answered
 * within 1 s). Its bucket (1000 per second, burst 1000) never runs out in those tests.
 */
export const BREAKER_MODEL: ModelPolicy = {
  thresholdPpm: 500_000,
  minimumRequests: 4,
  windowMs: 10_000,
  windowBuckets: 10,
  openTimeoutMs: 5_000,
  halfOpenTrials: 2,
  halfOpenSuccesses: 2,
  trialTimeoutMs: 1_000,
  rate: { num: 1_000, den: 1 },
  burst: 1_000,
};

/** {@link BREAKER_MODEL} as a Policy (not adaptive, every error counts). */
export const BREAKER_POLICY: Policy = toPolicy(BREAKER_MODEL);

/**
 * A small policy for the tests that check a harness catches a divergence between the service and
 * the model: 50% of 2 calls trip it, and its bucket holds 3 tokens refilled at 1 per second.
 */
export const SELF_CHECK_MODEL: ModelPolicy = {
  thresholdPpm: 500_000,
  minimumRequests: 2,
  windowMs: 1_000,
  windowBuckets: 10,
  openTimeoutMs: 100,
  halfOpenTrials: 1,
  halfOpenSuccesses: 1,
  trialTimeoutMs: 100,
  rate: { num: 1, den: 1 },
  burst: 3,
};

// ---- services on a manual clock ------------------------------------------------------------------

/** A service with `policy` as its default and room for 4 endpoints, on a ManualClock started at `start`. */
export function manualClockService(policy: Policy, start: number): { clock: ManualClock; svc: ResilienceService } {
  const clock = new ManualClock(start);
  const svc = new ResilienceService(policy, { clock, capacity: 4 });
  return { clock, svc };
}

/** One endpoint 'ep' alone in a service on a ManualClock, with the slab and its record's base (for tests that reach into the record). */
export interface LoneEndpoint {
  readonly clock: ManualClock;
  readonly svc: ResilienceService;
  readonly ep: EndpointHandle;
  readonly slab: Slab;
  readonly base: number;
}

/** Runs `body` with endpoint 'ep' registered with `policy` in a fresh service on a ManualClock started at `start`; closes the service after. */
export function withLoneEndpoint<T>(policy: Policy, start: number, body: (e: LoneEndpoint) => T): T {
  const clock = new ManualClock(start);
  const svc = new ResilienceService(policy, { capacity: 2, clock, env: false });
  try {
    svc.registerEndpoint('ep', policy);
    const slab = Slab.attach(svc.handle);
    const base = slab.endpointBase32(new EndpointTable(slab).lookup(encodeName('ep')));
    return body({ clock, svc, ep: svc.endpoint('ep'), slab, base });
  } finally {
    svc.close();
  }
}

/** Takes every call the endpoint admits now (without recording them) and returns how many there were. */
export function drain(ep: EndpointHandle): number {
  let n = 0;
  while (ep.tryAcquire() >= 0) n++;
  return n;
}

// ---- views -------------------------------------------------------------------------------------

/**
 * What a service sees (clock, endpoints, policies, counts), in the terms of the attach tests: the
 * worker of test/fixtures/service-attach.ts reports it for its services, and the main thread
 * compares it with its own.
 */
export function attachView(service: ResilienceService): AttachView {
  const names = service.endpointNames().sort();
  const policies: AttachView['policies'] = {};
  const totals: AttachView['totals'] = {};
  for (const name of names) {
    policies[name] = service.policyOf(name);
    const b = service.getBreakerStatistics(name);
    totals[name] = { total: b.total, failures: b.failures, accepted: service.getLimiterMetrics(name).accepted };
  }
  return {
    kind: service.clock.kind,
    now: service.clock.now(),
    capacity: service.capacity,
    passThrough: service.passThrough,
    names,
    policies,
    defaultPolicy: service.defaultPolicy,
    totals,
  };
}
