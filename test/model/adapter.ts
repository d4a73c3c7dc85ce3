/** Translations between the reference model and the public API of the real service. */
import { BreakerState, type Policy, Rejection } from '../../src/index.js';
import type { AcquireResult, ModelPolicy, ModelRate, StateName } from './ReferenceModel.js';

/** The rate as the Policy's number of tokens per second. */
export function rateNumber(rate: ModelRate): number {
  return rate === 'unlimited' ? Number.POSITIVE_INFINITY : rate.num / rate.den;
}

/** The real Policy a model policy stands for (adaptive when the model policy is; every error counts). */
export function toPolicy(p: ModelPolicy): Policy {
  return {
    failureThreshold: p.thresholdPpm / 1_000_000,
    minimumRequests: p.minimumRequests,
    windowMs: p.windowMs,
    windowBuckets: p.windowBuckets,
    openTimeoutMs: p.openTimeoutMs,
    halfOpenTrials: p.halfOpenTrials,
    halfOpenSuccesses: p.halfOpenSuccesses,
    trialTimeoutMs: p.trialTimeoutMs,
    rate: rateNumber(p.rate),
    burst: p.burst,
    adaptive: p.adaptive === true,
    classifier: 'all',
  };
}

/**
 * The value `tryAcquire` must return for a model result: a ticket is the documented
 * non-negative Int32 (generation modulo 2^16) << 1 | trial; rejections are the negative codes.
 */
export function expectedTicket(r: AcquireResult): number {
  if (r === 'circuit-open') return Rejection.CircuitOpen;
  if (r === 'rate-limited') return Rejection.RateLimited;
  return ((r.generation % 65536) * 2) | (r.trial ? 1 : 0);
}

/** Name of a real breaker state number. */
export function stateName(state: number): StateName | `unknown state ${number}` {
  if (state === BreakerState.Closed) return 'CLOSED';
  if (state === BreakerState.Open) return 'OPEN';
  if (state === BreakerState.HalfOpen) return 'HALF_OPEN';
  return `unknown state ${state}`;
}

/** A short description of a policy for failure messages. */
export function describePolicy(p: ModelPolicy): string {
  const rate = p.rate === 'unlimited' ? 'unlimited' : `${p.rate.num}/${p.rate.den}`;
  return (
    `{ppm ${p.thresholdPpm}, min ${p.minimumRequests}, window ${p.windowMs}/${p.windowBuckets}, open ${p.openTimeoutMs}, ` +
    `trials ${p.halfOpenTrials}/${p.halfOpenSuccesses} for ${p.trialTimeoutMs}, rate ${rate}, burst ${p.burst}}`
  );
}
