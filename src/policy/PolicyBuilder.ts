import { type Duration, parseDuration } from './duration.js';
import { type Policy, validatePolicy } from './Policy.js';
import { PolicyPresets } from './PolicyPresets.js';

/**
 * Builds a policy from scratch, starting from the standard preset's figures:
 *
 * ```ts
 * const policy = PolicyBuilder.create()
 *   .withBreakerThreshold(0.35).withBreakerWindow('25s').withBreakerTimeout('45s')
 *   .withRateLimit(175).withBurstCapacity(350).adaptive(true).build();
 * ```
 *
 * Every setter checks its value at once and throws a TypeError or RangeError naming the option
 * and the value. The built policy is adaptive only with `.adaptive(true)`.
 */
export class PolicyBuilder {
  #fields: { -readonly [K in keyof Policy]: Policy[K] };

  private constructor(base: Policy) {
    this.#fields = { ...base };
  }

  /** A builder starting from the standard preset (not adaptive). */
  static create(): PolicyBuilder {
    return new PolicyBuilder({ ...PolicyPresets.standard(), adaptive: false });
  }

  /** A builder starting from an existing policy. */
  static from(policy: Policy): PolicyBuilder {
    return new PolicyBuilder(validatePolicy(policy));
  }

  /** Failure rate in (0, 1] at which the circuit opens. */
  withBreakerThreshold(threshold: number): this {
    return this.#set('failureThreshold', threshold);
  }

  /** Length of the rolling window ('25s', 25000). */
  withBreakerWindow(window: Duration): this {
    return this.#set('windowMs', parseDuration(window, 'breakerWindow'));
  }

  /** How long an open circuit waits before trial calls ('45s'). */
  withBreakerTimeout(timeout: Duration): this {
    return this.#set('openTimeoutMs', parseDuration(timeout, 'breakerTimeout'));
  }

  /** Calls the window must hold before the threshold applies. */
  withMinimumRequests(count: number): this {
    return this.#set('minimumRequests', count);
  }

  /** Buckets of the rolling window (1 to 16). */
  withWindowBuckets(buckets: number): this {
    return this.#set('windowBuckets', buckets);
  }

  /** Trial calls admitted while half-open, and how many successes close the circuit (default: all of them). */
  withHalfOpenTrials(trials: number, successesToClose: number = trials): this {
    this.#set('halfOpenTrials', trials);
    return this.#set('halfOpenSuccesses', successesToClose);
  }

  /** How long trial permits stay valid ('30s'). */
  withTrialTimeout(timeout: Duration): this {
    return this.#set('trialTimeoutMs', parseDuration(timeout, 'trialTimeout'));
  }

  /** Tokens per second (Infinity: no limit). */
  withRateLimit(rate: number): this {
    return this.#set('rate', rate);
  }

  /** Token bucket capacity. */
  withBurstCapacity(burst: number): this {
    return this.#set('burst', burst);
  }

  /** Whether the rate follows health and breaker state. */
  adaptive(enabled = true): this {
    return this.#set('adaptive', enabled);
  }

  /** Which errors count as failures: 'all', 'network' or a name given to registerClassifier. */
  withClassifier(name: string): this {
    return this.#set('classifier', name);
  }

  /** The policy; throws if the combination is invalid (e.g. successes > trials). */
  build(): Policy {
    return validatePolicy(this.#fields);
  }

  #set<K extends keyof Policy>(key: K, value: Policy[K]): this {
    const next = { ...this.#fields, [key]: value };
    // Check this option now (naming it), without failing on combinations that later setters fix.
    const probe = { ...next };
    if (typeof value === 'number') {
      if (key === 'halfOpenTrials') probe.halfOpenSuccesses = Math.min(probe.halfOpenSuccesses, value) || 1;
      if (key === 'halfOpenSuccesses') probe.halfOpenTrials = Math.max(probe.halfOpenTrials, value);
    }
    validatePolicy(probe);
    this.#fields = next;
    return this;
  }
}
