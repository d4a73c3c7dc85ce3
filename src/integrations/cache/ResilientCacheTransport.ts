import { Readable } from 'node:stream';
import { Priority } from '../../limiter/PriorityGate.js';
import { parseDuration } from '../../policy/duration.js';
import type { Policy } from '../../policy/Policy.js';
import { PolicyPresets } from '../../policy/PolicyPresets.js';
import { ResilienceService } from '../../service/ResilienceService.js';
import { checkRetryOptions, type RetryOptions, retry } from '../../service/retry.js';
import { type CacheBody, type CacheCallOptions, type CacheKind, type CacheTransport, checkCacheBody, checkCacheKey } from './CacheTransport.js';
import { DEFAULT_CACHE_TIMEOUT_MS, type HttpCacheConfig, HttpCacheTransport, MAX_TIMER_MS } from './HttpCacheTransport.js';

/** How a {@link ResilientCacheTransport} retries (see `retry()`); priority and timeout are its own. */
export type CacheRetryOptions = Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs' | 'retryOn' | 'onRetry' | 'random' | 'sleep'>;

/** Configuration of a {@link ResilientCacheTransport}: the plain transport's, and how it is protected. */
export interface ResilientCacheConfig extends HttpCacheConfig {
  /** The endpoint the calls are broken and limited under. @default `cache:<origin of baseUrl>` */
  readonly endpoint?: string;
  /**
   * A policy to register for the endpoint (replacing its policy if it is registered). Without one,
   * an endpoint that is not registered yet gets `PolicyPresets.network()` and a registered one
   * keeps its policy.
   */
  readonly policy?: Policy;
  /** Retries of transient failures. @default { attempts: 3, baseDelayMs: 100, maxDelayMs: 5000 } */
  readonly retry?: CacheRetryOptions;
}

/** Priorities of the cache's calls (the specification's). */
export const CACHE_PRIORITIES = Object.freeze({ get: Priority.Normal, put: Priority.Low, head: Priority.High });

/**
 * `HttpCacheTransport`'s API, with every request run through one `ResilienceService` endpoint:
 *
 * - GET (`get`, `getStream`) at `Priority.Normal`, PUT at `Priority.Low` (uploads never hold up
 *   reads), HEAD (`has`, `head`) at `Priority.High`;
 * - each attempt bounded by `timeoutMs` through `execute()` (the wait for a token included): a
 *   timeout rejects with `ResilienceTimeoutError` and always counts as a failure;
 * - transient failures — network errors, 5xx answers, timeouts — retried with exponential backoff
 *   and full jitter (`retry()`), never into an open circuit;
 * - a miss (404) is an answer, not a failure: it is recorded as a success; other 4xx answers
 *   (`CacheHttpError`) are neither retried nor counted under the `network` classifier;
 * - an open circuit rejects with `CircuitOpenError` at once, without touching the network.
 *
 * A PUT from a one-shot stream is attempted once (a consumed stream cannot be sent again); pass a
 * function that opens the stream to have it retried. `getStream` is protected until the response
 * headers arrive; reading the body is the caller's.
 *
 * Share one service among all transports of a process (and attach it in worker threads): the
 * breaker of a cache server then sees every thread's calls.
 */
export class ResilientCacheTransport implements CacheTransport {
  /** The endpoint name the calls run under. */
  readonly endpoint: string;
  /** The plain transport that makes the requests. */
  readonly transport: HttpCacheTransport;
  /** The timeout of each attempt, ms (0: none). */
  readonly timeoutMs: number;
  readonly #resilience: ResilienceService;
  readonly #retry: CacheRetryOptions;

  constructor(config: ResilientCacheConfig, resilience: ResilienceService) {
    if (!(resilience instanceof ResilienceService)) {
      throw new TypeError(`resilience: expected a ResilienceService (share one per process), got ${resilience === null ? 'null' : typeof resilience}`);
    }
    if (typeof config !== 'object' || config === null) throw new TypeError(`config: expected an object, got ${config === null ? 'null' : typeof config}`);
    // execute() bounds each attempt (and records a timeout as a failure); the plain transport does not time out itself.
    this.transport = new HttpCacheTransport({ ...config, timeoutMs: 0 });
    this.timeoutMs = Math.min(parseDuration(config.timeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS, 'timeoutMs'), MAX_TIMER_MS);
    const retryOptions = config.retry ?? {};
    if (typeof retryOptions !== 'object' || retryOptions === null) throw new TypeError(`retry: expected an object, got ${retryOptions === null ? 'null' : typeof retryOptions}`);
    checkRetryOptions(retryOptions);
    this.#retry = { ...retryOptions };
    const endpoint = config.endpoint ?? `cache:${this.transport.origin}`;
    if (typeof endpoint !== 'string') throw new TypeError(`endpoint: expected a string, got ${typeof endpoint}`);
    if (config.policy !== undefined) resilience.registerEndpoint(endpoint, config.policy);
    else if (!resilience.hasEndpoint(endpoint)) resilience.registerEndpoint(endpoint, PolicyPresets.network());
    this.endpoint = endpoint;
    this.#resilience = resilience;
  }

  /** GET at `Priority.Normal`; undefined on a miss. */
  async get(kind: CacheKind, hash: string, options: CacheCallOptions = {}): Promise<Uint8Array | undefined> {
    checkCacheKey(kind, hash);
    return this.#call(CACHE_PRIORITIES.get, options, undefined, (signal) => this.transport.get(kind, hash, { signal }));
  }

  /** GET at `Priority.Normal`, as a stream; undefined on a miss. */
  async getStream(kind: CacheKind, hash: string, options: CacheCallOptions = {}): Promise<Readable | undefined> {
    checkCacheKey(kind, hash);
    // The attempt's timeout can fire only until the headers arrive (execute() settles then); the
    // body stays tied to the caller's signal.
    return this.#call(CACHE_PRIORITIES.get, options, undefined, (signal) => this.transport.getStream(kind, hash, { signal }));
  }

  /** PUT at `Priority.Low`. A one-shot stream is attempted once; bytes and stream factories are retried. */
  async put(kind: CacheKind, hash: string, data: CacheBody, options: CacheCallOptions = {}): Promise<void> {
    checkCacheKey(kind, hash);
    checkCacheBody(data);
    if (!(data instanceof Readable || data instanceof ReadableStream)) {
      return this.#call(CACHE_PRIORITIES.put, options, undefined, (signal) => this.transport.put(kind, hash, data, { signal }));
    }
    try {
      return await this.#call(CACHE_PRIORITIES.put, options, 1, (signal) => this.transport.put(kind, hash, data, { signal }));
    } catch (error) {
      // Rejected before the request (open circuit, no token): the stream is released all the same.
      if (data instanceof Readable) data.destroy();
      else if (!data.locked) await data.cancel().catch(() => {});
      throw error;
    }
  }

  /** HEAD at `Priority.High`. */
  async has(kind: CacheKind, hash: string, options: CacheCallOptions = {}): Promise<boolean> {
    checkCacheKey(kind, hash);
    return this.#call(CACHE_PRIORITIES.head, options, undefined, (signal) => this.transport.has(kind, hash, { signal }));
  }

  /** The same as {@link has}. */
  async head(kind: CacheKind, hash: string, options: CacheCallOptions = {}): Promise<boolean> {
    return this.has(kind, hash, options);
  }

  #call<T>(priority: number, options: CacheCallOptions, attempts: number | undefined, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return retry(this.#resilience, this.endpoint, operation, {
      ...this.#retry,
      ...(attempts === undefined ? {} : { attempts }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      priority,
      ...(this.timeoutMs === 0 ? {} : { timeout: this.timeoutMs }),
    });
  }
}
