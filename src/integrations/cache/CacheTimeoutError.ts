const BRAND = Symbol.for('@builder/resilience/CacheTimeoutError');

/**
 * A request of `HttpCacheTransport` did not finish within its `timeoutMs` and was aborted. Its
 * `code` is `ETIMEDOUT`, so the `network` classifier counts it. (`ResilientCacheTransport` bounds
 * its calls with `execute()`'s timeout instead, which rejects with `ResilienceTimeoutError`.)
 */
export class CacheTimeoutError extends Error {
  readonly code = 'ETIMEDOUT' as const;
  readonly method: string;
  /** The URL of the request (without credentials). */
  readonly url: string;
  readonly timeoutMs: number;

  constructor(method: string, url: string, timeoutMs: number, options?: ErrorOptions) {
    super(`${method} ${url}: timed out after ${timeoutMs} ms`, options);
    this.name = 'CacheTimeoutError';
    this.method = method;
    this.url = url;
    this.timeoutMs = timeoutMs;
    Object.defineProperty(this, BRAND, { value: true });
  }

  toJSON(): { name: 'CacheTimeoutError'; code: 'ETIMEDOUT'; message: string; method: string; url: string; timeoutMs: number } {
    return { name: 'CacheTimeoutError', code: this.code, message: this.message, method: this.method, url: this.url, timeoutMs: this.timeoutMs };
  }
}

/** True for a {@link CacheTimeoutError}, also one made by another copy of this library. */
export function isCacheTimeoutError(value: unknown): value is CacheTimeoutError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
