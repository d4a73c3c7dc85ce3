import { BreakerState } from '../breaker/BreakerState.js';
import { isCircuitOpenError } from '../errors/CircuitOpenError.js';
import { isRateLimitError } from '../errors/RateLimitError.js';
import { isResilienceTimeoutError } from '../errors/ResilienceTimeoutError.js';
import { checkPriority, Priority } from '../limiter/PriorityGate.js';
import { classifierNamed, type FailureClassifier } from '../policy/classifiers.js';
import { type Duration, parseDuration } from '../policy/duration.js';
import type { ResilienceService } from './ResilienceService.js';

/** One retry about to happen (see {@link RetryOptions.onRetry}). */
export interface RetryEvent {
  readonly endpoint: string;
  /** The attempt that failed (1 = the first call). */
  readonly attempt: number;
  /** What it failed with. */
  readonly error: unknown;
  /** How long the helper waits before the next attempt, ms. */
  readonly delayMs: number;
}

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Attempts in all, the first call included (an integer from 1 to 100; 1 = no retry). @default 3 */
  readonly attempts?: number;
  /** Upper bound of the delay before the first retry; it doubles for every retry after. @default 100 */
  readonly baseDelayMs?: Duration;
  /** Cap of the doubling bound. @default 5000 */
  readonly maxDelayMs?: Duration;
  /** Priority of every attempt (see `Priority`). @default Priority.Normal */
  readonly priority?: number;
  /**
   * Timeout of each attempt, passed to `execute()`: it bounds the wait for a token and the call.
   * @default none
   */
  readonly timeout?: Duration;
  /**
   * Narrows what is retried: an error is retried only when the endpoint's classifier counts it as
   * a failure **and** this returns true. @default () => true
   */
  readonly retryOn?: (error: unknown, attempt: number) => boolean;
  /** Called before each retry's wait (for logging; an exception thrown here ends the retry). */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Cancels the whole retry: the current attempt's signal fires and the wait ends at once. */
  readonly signal?: AbortSignal;
  /** The jitter source, returning a number in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Waits `ms`; rejects when `signal` fires. @default a real-time timer */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** An operation for {@link retry}: `signal` fires on the attempt's timeout or on `options.signal`. */
export type RetryOperation<T> = (signal: AbortSignal, attempt: number) => T | PromiseLike<T>;

interface Settings {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly priority: number;
  readonly timeout: number | undefined;
  readonly retryOn: (error: unknown, attempt: number) => boolean;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  readonly random: () => number;
  readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** Most attempts one retry may make. */
export const MAX_ATTEMPTS = 100;

/**
 * Runs `operation` through `resilience.execute(endpoint, …)` and retries it with exponential
 * backoff and full jitter: before retry n (n = 1, 2, …) it waits
 * `random() × min(maxDelayMs, baseDelayMs × 2^(n−1))` ms.
 *
 * Every attempt is an ordinary `execute()` call, so it passes the breaker and takes a token at
 * `priority` (waiting for one up to `timeout`): retries never exceed the endpoint's rate. What is
 * retried:
 *
 * - only errors the endpoint's failure classifier counts (a 4xx or a cache miss under the
 *   `network` preset is not) — timeouts of `execute()` always count — and that `retryOn` accepts;
 * - never a `CircuitOpenError` or a `RateLimitError` (the call was not made): they end the retry;
 * - never into an open circuit: when a failure leaves the breaker OPEN (this one or another
 *   thread's), the helper stops at once, without waiting.
 *
 * Resolves with the first success; rejects with the error of the last attempt made, or with the
 * reason of `options.signal` once it has fired.
 *
 * @throws TypeError / RangeError (as a rejection) naming an option of the wrong type or range.
 */
export async function retry<T>(resilience: ResilienceService, endpoint: string, operation: RetryOperation<T>, options: RetryOptions = {}): Promise<T> {
  if (typeof operation !== 'function') throw new TypeError(`operation: expected a function, got ${typeof operation}`);
  const o = settings(options);
  let counts: FailureClassifier | undefined;
  for (let attempt = 1; ; attempt++) {
    o.signal?.throwIfAborted();
    // An attempt is a slow path (it makes a call): bring the real clock up to date first, so that
    // its timeout starts from the true time and an open circuit whose open timeout has passed lets
    // its trial through even while the ticker thread lags (or is still starting).
    resilience.clock.refresh();
    try {
      return await resilience.execute(endpoint, (signal) => operation(o.signal === undefined ? signal : AbortSignal.any([signal, o.signal]), attempt), o.priority, o.timeout);
    } catch (error) {
      if (o.signal?.aborted === true) throw o.signal.reason;
      if (attempt >= o.attempts || isCircuitOpenError(error) || isRateLimitError(error)) throw error;
      counts ??= classifierNamed(resilience.policyOf(endpoint).classifier);
      if (!(isResilienceTimeoutError(error) || counts(error)) || !o.retryOn(error, attempt)) throw error;
      // No retry into an open circuit: the failure just recorded (or another thread's) opened it.
      if (resilience.endpoint(endpoint).state === BreakerState.Open) throw error;
      const delayMs = backoffDelay(attempt, o.baseDelayMs, o.maxDelayMs, o.random);
      o.onRetry?.({ endpoint, attempt, error, delayMs });
      await o.sleep(delayMs, o.signal);
    }
  }
}

/**
 * The full-jitter delay before retry number `retryNumber` (1 = the first retry):
 * `random() × min(maxDelayMs, baseDelayMs × 2^(retryNumber−1))`.
 */
export function backoffDelay(retryNumber: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const r = random();
  if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw new RangeError(`random(): expected a number in [0, 1), got ${String(r)}`);
  return r * Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(retryNumber - 1, 52));
}

/**
 * Checks retry options without running anything (for integrations that take them at
 * construction). @throws TypeError / RangeError naming the option.
 */
export function checkRetryOptions(options: RetryOptions): void {
  settings(options);
}

function settings(options: RetryOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options: expected an object, got ${options === null ? 'null' : typeof options}`);
  const attempts = options.attempts ?? 3;
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS) {
    throw new RangeError(`attempts: expected an integer from 1 to ${MAX_ATTEMPTS}, got ${String(attempts)}`);
  }
  const fn = <F>(name: string, value: F | undefined, fallback: F): F => {
    if (value === undefined) return fallback;
    if (typeof value !== 'function') throw new TypeError(`${name}: expected a function, got ${typeof value}`);
    return value;
  };
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal: expected an AbortSignal, got ${typeof signal}`);
  return {
    attempts,
    baseDelayMs: parseDuration(options.baseDelayMs ?? 100, 'baseDelayMs'),
    maxDelayMs: parseDuration(options.maxDelayMs ?? 5000, 'maxDelayMs'),
    priority: checkPriority(options.priority ?? Priority.Normal),
    timeout: options.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout'),
    retryOn: fn('retryOn', options.retryOn, () => true),
    onRetry: fn<((event: RetryEvent) => void) | undefined>('onRetry', options.onRetry, undefined),
    signal,
    random: fn('random', options.random, Math.random),
    sleep: fn('sleep', options.sleep, realSleep),
  };
}

/** A real-time wait that keeps the thread alive (a pending retry is pending work) and ends on `signal`. */
function realSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
