import { RING_SLOTS } from '../core/layout.generated.js';

/**
 * Everything that governs one endpoint: its circuit breaker, rolling window and token bucket.
 * Durations are whole milliseconds. Make one with {@link PolicyPresets} or `PolicyBuilder`, or
 * pass a full object to {@link validatePolicy}.
 */
export interface Policy {
  /** Failure rate in the window at or above which the circuit opens, in (0, 1]. */
  readonly failureThreshold: number;
  /** Calls the window must hold before the failure rate can open the circuit (integer >= 1). */
  readonly minimumRequests: number;
  /** Length of the rolling window, ms (10 ms to 1 day). */
  readonly windowMs: number;
  /** Buckets the window is kept in (1 to 16); the window moves in steps of windowMs / windowBuckets. */
  readonly windowBuckets: number;
  /** How long an open circuit rejects before it lets trial calls through, ms (1 ms to 1 day). */
  readonly openTimeoutMs: number;
  /** Trial calls admitted, across all threads, while half-open (1 to 127). */
  readonly halfOpenTrials: number;
  /** Successful trials that close the circuit (1 to halfOpenTrials). */
  readonly halfOpenSuccesses: number;
  /** How long trial permits stay valid; after it, unanswered permits expire and new trials are admitted, ms. */
  readonly trialTimeoutMs: number;
  /** Tokens per second (> 0; Infinity for no limit; at most 1e8). */
  readonly rate: number;
  /** Token bucket capacity (integer, 1 to 2^30). */
  readonly burst: number;
  /** Whether the current rate follows health and breaker state. */
  readonly adaptive: boolean;
  /** Name of the failure classifier: 'all', 'network' or one registered with registerClassifier. */
  readonly classifier: string;
}

/** Highest finite rate: above it the bucket's double arithmetic would lose whole tokens. Use Infinity for no limit. */
export const MAX_RATE = 1e8;
export const MAX_BURST = 2 ** 30;
export const MAX_DURATION_MS = 86_400_000;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function fail(option: string, expected: string, value: unknown, type: string): never {
  if (typeof value !== type) {
    const got = value === null ? 'null' : typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `${typeof value} ${String(value)}`;
    throw new TypeError(`${option}: expected ${expected}, got ${got}`);
  }
  throw new RangeError(`${option}: expected ${expected}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
}

function intIn(p: Partial<Record<keyof Policy, unknown>>, key: keyof Policy, lo: number, hi: number): number {
  const v = p[key];
  if (!isInt(v) || v < lo || v > hi) fail(key, `an integer from ${lo} to ${hi}`, v, 'number');
  return v;
}

/**
 * Checks every field of a policy and returns a frozen copy.
 * @throws TypeError naming the option for a value of the wrong type; RangeError for one out of range.
 */
export function validatePolicy(policy: Policy): Policy {
  if (typeof policy !== 'object' || policy === null) throw new TypeError(`policy: expected an object, got ${policy === null ? 'null' : typeof policy}`);
  const p = policy as Partial<Record<keyof Policy, unknown>>;
  const threshold = p.failureThreshold;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) fail('failureThreshold', 'a number in (0, 1]', threshold, 'number');
  const minimumRequests = intIn(p, 'minimumRequests', 1, 2 ** 30);
  const windowMs = intIn(p, 'windowMs', 10, MAX_DURATION_MS);
  const windowBuckets = intIn(p, 'windowBuckets', 1, RING_SLOTS);
  const openTimeoutMs = intIn(p, 'openTimeoutMs', 1, MAX_DURATION_MS);
  const halfOpenTrials = intIn(p, 'halfOpenTrials', 1, 127);
  const halfOpenSuccesses = intIn(p, 'halfOpenSuccesses', 1, halfOpenTrials);
  const trialTimeoutMs = intIn(p, 'trialTimeoutMs', 1, MAX_DURATION_MS);
  const rate = p.rate;
  if (typeof rate !== 'number' || Number.isNaN(rate) || !(rate > 0) || (rate > MAX_RATE && rate !== Number.POSITIVE_INFINITY)) {
    fail('rate', `a number of tokens per second > 0 and <= ${MAX_RATE}, or Infinity`, rate, 'number');
  }
  const burst = intIn(p, 'burst', 1, MAX_BURST);
  if (typeof p.adaptive !== 'boolean') fail('adaptive', 'a boolean', p.adaptive, 'boolean');
  if (typeof p.classifier !== 'string' || p.classifier.length === 0) fail('classifier', 'a non-empty classifier name', p.classifier, 'string');
  return Object.freeze({
    failureThreshold: threshold,
    minimumRequests,
    windowMs,
    windowBuckets,
    openTimeoutMs,
    halfOpenTrials,
    halfOpenSuccesses,
    trialTimeoutMs,
    rate,
    burst,
    adaptive: p.adaptive,
    classifier: p.classifier,
  });
}
