import { fnv1a } from '../core/EndpointTable.js';
import {
  POL_ADAPTIVE_I32 as P_ADAPTIVE,
  POL_BUCKET_MS_I32 as P_BUCKET_MS,
  POL_BUCKETS_I32 as P_BUCKETS,
  POL_BURST_I32 as P_BURST,
  POL_CLASSIFIER_I32 as P_CLASSIFIER,
  POL_MIN_REQUESTS_I32 as P_MIN_REQUESTS,
  POL_OPEN_TIMEOUT_MS_I32 as P_OPEN_TIMEOUT_MS,
  POL_RATE_KIND_I32 as P_RATE_KIND,
  POL_SUCCESSES_I32 as P_SUCCESSES,
  POL_THRESHOLD_PPM_I32 as P_THRESHOLD_PPM,
  POL_TRIAL_TIMEOUT_MS_I32 as P_TRIAL_TIMEOUT_MS,
  POL_TRIALS_I32 as P_TRIALS,
  POL_VERSION_I32 as P_VERSION,
  POL_WINDOW_MS_I32 as P_WINDOW_MS,
} from '../core/layout.generated.js';
import type { Policy } from './Policy.js';

export const RATE_FINITE = 0;
export const RATE_UNLIMITED = 1;

export const PPM = 1_000_000;
const encoder = new TextEncoder();

/** The slab form of a classifier name: its FNV-1a hash (0 is 'all'). */
export function classifierId(name: string): number {
  return name === 'all' ? 0 : fnv1a(encoder.encode(name)) || 1;
}

/** Width of one window bucket, ms. */
export function bucketWidthMs(policy: Pick<Policy, 'windowMs' | 'windowBuckets'>): number {
  return Math.max(1, Math.round(policy.windowMs / policy.windowBuckets));
}

/** Writes a validated policy into `block` at `at` (Int32 slots). The rate goes separately. */
export function encodePolicy(policy: Policy, block: Int32Array, at: number, version: number): void {
  // Kept to a millionth; a threshold below that is kept as one millionth (still > 0).
  block[at + P_THRESHOLD_PPM] = Math.max(1, Math.round(policy.failureThreshold * PPM));
  block[at + P_MIN_REQUESTS] = policy.minimumRequests;
  block[at + P_WINDOW_MS] = policy.windowMs;
  block[at + P_BUCKETS] = policy.windowBuckets;
  block[at + P_BUCKET_MS] = bucketWidthMs(policy);
  block[at + P_OPEN_TIMEOUT_MS] = policy.openTimeoutMs;
  block[at + P_TRIALS] = policy.halfOpenTrials;
  block[at + P_SUCCESSES] = policy.halfOpenSuccesses;
  block[at + P_TRIAL_TIMEOUT_MS] = policy.trialTimeoutMs;
  block[at + P_BURST] = policy.burst;
  block[at + P_CLASSIFIER] = classifierId(policy.classifier);
  block[at + P_ADAPTIVE] = policy.adaptive ? 1 : 0;
  block[at + P_RATE_KIND] = policy.rate === Number.POSITIVE_INFINITY ? RATE_UNLIMITED : RATE_FINITE;
  Atomics.store(block, at + P_VERSION, version);
}

/** Reads a policy block back (the classifier comes back as its id; `names` maps ids to names). */
export function decodePolicy(block: Int32Array, at: number, rate: number, classifierName: (id: number) => string): Policy {
  return {
    failureThreshold: (block[at + P_THRESHOLD_PPM] as number) / PPM,
    minimumRequests: block[at + P_MIN_REQUESTS] as number,
    windowMs: block[at + P_WINDOW_MS] as number,
    windowBuckets: block[at + P_BUCKETS] as number,
    openTimeoutMs: block[at + P_OPEN_TIMEOUT_MS] as number,
    halfOpenTrials: block[at + P_TRIALS] as number,
    halfOpenSuccesses: block[at + P_SUCCESSES] as number,
    trialTimeoutMs: block[at + P_TRIAL_TIMEOUT_MS] as number,
    rate: block[at + P_RATE_KIND] === RATE_UNLIMITED ? Number.POSITIVE_INFINITY : rate,
    burst: block[at + P_BURST] as number,
    adaptive: block[at + P_ADAPTIVE] === 1,
    classifier: classifierName(block[at + P_CLASSIFIER] as number),
  };
}
