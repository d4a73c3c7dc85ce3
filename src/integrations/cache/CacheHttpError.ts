const BRAND = Symbol.for('@builder/resilience/CacheHttpError');

/** The plain-object form of a {@link CacheHttpError} (its `toJSON()`), as it crosses `postMessage`. */
export interface CacheHttpErrorJSON {
  readonly name: 'CacheHttpError';
  readonly code: 'CACHE_HTTP_STATUS';
  readonly message: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
}

/**
 * The cache server answered with a status that is neither success (2xx) nor, for GET and HEAD,
 * a miss (404). The `network` classifier counts a 5xx `status` as a failure of the endpoint (and
 * the resilient transport retries it) but not a 4xx: that is the client's problem.
 */
export class CacheHttpError extends Error {
  readonly code = 'CACHE_HTTP_STATUS' as const;
  /** The HTTP method of the request. */
  readonly method: string;
  /** The URL of the request (without credentials). */
  readonly url: string;
  /** The HTTP status, e.g. 503. */
  readonly status: number;
  /** The status text the server sent (may be empty). */
  readonly statusText: string;

  constructor(method: string, url: string, status: number, statusText = '') {
    super(`${method} ${url}: HTTP ${status}${statusText === '' ? '' : ` ${statusText}`}`);
    this.name = 'CacheHttpError';
    this.method = method;
    this.url = url;
    this.status = status;
    this.statusText = statusText;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A plain object that survives structured cloning (and that the `network` classifier still reads). */
  toJSON(): CacheHttpErrorJSON {
    return { name: 'CacheHttpError', code: this.code, message: this.message, method: this.method, url: this.url, status: this.status, statusText: this.statusText };
  }
}

/** True for a {@link CacheHttpError}, also one made by another copy of this library. */
export function isCacheHttpError(value: unknown): value is CacheHttpError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
