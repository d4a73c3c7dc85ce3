import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type Duration, parseDuration } from '../../policy/duration.js';
import { CacheHttpError } from './CacheHttpError.js';
import { CacheTimeoutError } from './CacheTimeoutError.js';
import { type CacheBody, type CacheCallOptions, type CacheKind, type CacheTransport, checkCacheBody, checkCacheKey, isCacheBlob } from './CacheTransport.js';

/** Configuration of an {@link HttpCacheTransport}. */
export interface HttpCacheConfig {
  /**
   * The cache server: `http://host:port`, or with a path prefix (`https://host/cache`, giving
   * `https://host/cache/ac/<hash>`). A `user:password@` in it is sent as Basic authorization.
   */
  readonly baseUrl: string | URL;
  /**
   * Bound of each request, ms or a duration string ('30s'); 0 for none. For `getStream` it bounds
   * the wait for the response headers, not the reading of the body.
   * @default 60_000
   */
  readonly timeoutMs?: Duration;
  /** Extra request headers (an authorization token, for example). @default {} */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Default of {@link HttpCacheConfig.timeoutMs} (Bazel's `--remote_timeout`). */
export const DEFAULT_CACHE_TIMEOUT_MS = 60_000;

/** Node's setTimeout takes at most this many ms (longer timeouts are clamped to it). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A client of an HTTP build cache — the protocol of Bazel's HTTP remote cache, served by
 * bazel-remote and by nginx with WebDAV PUT: `GET`, `PUT` and `HEAD` on `<baseUrl>/ac/<hash>`
 * and `<baseUrl>/cas/<hash>`, where 404 is a miss. Uses Node's `fetch` (undici) and its connection pool; blobs can be sent and received as
 * streams without being held in memory. It knows nothing of breakers or limits: wrap it (with the
 * same API) in `ResilientCacheTransport`.
 *
 * Errors: a `CacheHttpError` (with `status`) for any other non-2xx answer, a `CacheTimeoutError`
 * (code `ETIMEDOUT`) past `timeoutMs`, `fetch`'s own errors (a TypeError "fetch failed" whose
 * `cause` has a code such as `ECONNREFUSED`) when the network fails, and a TypeError/RangeError
 * naming the argument for a bad kind or hash (no request is made).
 */
export class HttpCacheTransport implements CacheTransport {
  /** The base URL, ending in '/', without credentials. */
  readonly baseUrl: string;
  /** The base URL's origin (`http://127.0.0.1:8080`). */
  readonly origin: string;
  /** Bound of each request, ms (0: none). */
  readonly timeoutMs: number;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(config: HttpCacheConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError(`config: expected an object, got ${config === null ? 'null' : typeof config}`);
    const url = parseBaseUrl(config.baseUrl);
    const headers: Record<string, string> = {};
    if (config.headers !== undefined) {
      if (typeof config.headers !== 'object' || config.headers === null) throw new TypeError(`headers: expected an object of strings, got ${config.headers === null ? 'null' : typeof config.headers}`);
      for (const [name, value] of Object.entries(config.headers)) {
        if (typeof value !== 'string') throw new TypeError(`headers[${JSON.stringify(name)}]: expected a string, got ${typeof value}`);
        headers[name] = value;
      }
      new Headers(headers); // throws a TypeError naming an invalid header name or value
    }
    if (url.username !== '' || url.password !== '') {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.authorization ??= `Basic ${Buffer.from(credentials).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.baseUrl = url.href;
    this.origin = url.origin;
    this.timeoutMs = Math.min(parseDuration(config.timeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS, 'timeoutMs'), MAX_TIMER_MS);
    this.#headers = Object.freeze(headers);
  }

  /** The URL of a blob. @throws TypeError/RangeError for a bad kind or hash. */
  urlOf(kind: CacheKind, hash: string): string {
    return `${this.baseUrl}${kind}/${checkCacheKey(kind, hash)}`;
  }

  async get(kind: CacheKind, hash: string, options: CacheCallOptions = {}): Promise<Uint8Array | undefined> {
    return this.#request('GET', this.urlOf(kind, hash), undefined, options, async (response) =>
      response.status === 404 ? undefined : new Uint8Array(await response.arrayBuffer()),
    );
  }

  async getStream(kind: CacheKind, hash: string, options: CacheCallOptions = {}): Promise<Readable | undefined> {
    return this.#request('GET', this.urlOf(kind, hash), undefined, options, async (response) => {
      if (response.status === 404) return undefined;
      return response.body === null ? Readable.from([]) : Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
    });
  }

  async put(kind: CacheKind, hash: string, data: CacheBody, options: CacheCallOptions = {}): Promise<void> {
    const url = this.urlOf(kind, hash);
    return this.#request('PUT', url, checkCacheBody(data), options, async () => undefined);
  }

  async has(kind: CacheKind, hash: string, options: CacheCallOptions = {}): Promise<boolean> {
    return this.#request('HEAD', this.urlOf(kind, hash), undefined, options, async (response) => response.status !== 404);
  }

  async head(kind: CacheKind, hash: string, options: CacheCallOptions = {}): Promise<boolean> {
    return this.has(kind, hash, options);
  }

  /**
   * One request: `read` gets a 2xx response, or a 404 for GET and HEAD; any other status is a
   * CacheHttpError (its body is discarded so the connection can be reused). The timeout ends when
   * `read` returns, so a streamed body outlives it.
   */
  async #request<T>(method: 'GET' | 'PUT' | 'HEAD', url: string, data: CacheBody | undefined, options: CacheCallOptions, read: (response: Response) => Promise<T>): Promise<T> {
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal: expected an AbortSignal, got ${typeof signal}`);
    const timeoutMs = this.timeoutMs;
    const deadline = new AbortController();
    const timer = timeoutMs > 0 ? setTimeout(() => deadline.abort(new CacheTimeoutError(method, url, timeoutMs)), timeoutMs) : undefined;
    let body: CacheBody | undefined;
    try {
      body = typeof data === 'function' ? data() : data;
      if (data !== undefined && !isCacheBlob(body)) throw new TypeError(`data(): expected a Uint8Array, a Readable or a ReadableStream, got ${body === null ? 'null' : typeof body}`);
      const init: RequestInit = {
        method,
        headers: this.#headers,
        signal: signal === undefined ? deadline.signal : AbortSignal.any([deadline.signal, signal]),
      };
      if (body !== undefined) {
        init.body = body instanceof Uint8Array ? body : (body as AsyncIterable<Uint8Array>);
        if (!(body instanceof Uint8Array)) init.duplex = 'half';
      }
      const response = await fetch(url, init);
      if (!(response.ok || (response.status === 404 && method !== 'PUT'))) {
        await discard(response);
        throw new CacheHttpError(method, url, response.status, response.statusText);
      }
      return await read(response);
    } catch (error) {
      throw deadline.signal.aborted ? deadline.signal.reason : error;
    } finally {
      clearTimeout(timer);
      // The transport owns a stream it was given: one the request did not finish reading is released.
      if (body instanceof Readable) body.destroy();
    }
  }
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The connection is closed anyway.
  }
}

function parseBaseUrl(value: unknown): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) throw new TypeError(`baseUrl: expected an http(s) URL string or a URL, got ${value === null ? 'null' : typeof value}`);
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new RangeError(`baseUrl: expected an http(s) URL, got ${JSON.stringify(String(value))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`baseUrl: expected an http: or https: URL, got ${JSON.stringify(url.href)}`);
  if (url.search !== '' || url.hash !== '') throw new RangeError(`baseUrl: a query or fragment has no place in a cache URL, got ${JSON.stringify(url.href)}`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
