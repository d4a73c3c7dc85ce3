import { Readable } from 'node:stream';

/** The two stores of an HTTP build cache: the action cache (`ac`) and the content-addressed store (`cas`). */
export type CacheKind = 'ac' | 'cas';

/**
 * A blob to store: bytes, a Node `Readable` or a web `ReadableStream` (streamed to the server
 * without being held in memory; the transport consumes it), or a function that opens a fresh
 * stream for each attempt (so that a resilient transport can retry a streamed upload).
 */
export type CacheBody = Uint8Array | Readable | ReadableStream<Uint8Array> | (() => Uint8Array | Readable | ReadableStream<Uint8Array>);

/** Per-call options of a {@link CacheTransport}. */
export interface CacheCallOptions {
  /** Cancels the call (and, for `getStream`, the body being read). */
  readonly signal?: AbortSignal;
}

/**
 * The client side of the HTTP cache protocol that build tools speak (`GET`/`PUT`/`HEAD` on
 * `/ac/<hash>` and `/cas/<hash>`; 404 is a miss). Implemented by `HttpCacheTransport` and, with
 * the same API, by `ResilientCacheTransport`.
 */
export interface CacheTransport {
  /** The blob, or undefined on a miss (404). */
  get(kind: CacheKind, hash: string, options?: CacheCallOptions): Promise<Uint8Array | undefined>;
  /** The blob as a stream (read it to the end or destroy it), or undefined on a miss (404). */
  getStream(kind: CacheKind, hash: string, options?: CacheCallOptions): Promise<Readable | undefined>;
  /** Stores a blob (replacing an existing one). */
  put(kind: CacheKind, hash: string, data: CacheBody, options?: CacheCallOptions): Promise<void>;
  /** Whether the cache holds the blob (`HEAD`; 404 → false). */
  has(kind: CacheKind, hash: string, options?: CacheCallOptions): Promise<boolean>;
  /** The same as {@link has}, named after the HTTP method. */
  head(kind: CacheKind, hash: string, options?: CacheCallOptions): Promise<boolean>;
}

/** Longest hash accepted, in hex digits (a SHA-512 digest is 128). */
export const MAX_HASH_LENGTH = 128;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Checks a cache key and returns the hash in lower case (hex digests compare case-insensitively;
 * the server's file names do not).
 * @throws TypeError for a value of the wrong type; RangeError naming the bad kind or hash.
 */
export function checkCacheKey(kind: unknown, hash: unknown): string {
  if (typeof kind !== 'string') throw new TypeError(`kind: expected 'ac' or 'cas', got ${kind === null ? 'null' : typeof kind}`);
  if (kind !== 'ac' && kind !== 'cas') throw new RangeError(`kind: expected 'ac' or 'cas', got ${JSON.stringify(kind)}`);
  if (typeof hash !== 'string') throw new TypeError(`hash: expected a hex string, got ${hash === null ? 'null' : typeof hash}`);
  if (hash.length === 0 || hash.length > MAX_HASH_LENGTH || !HEX.test(hash)) {
    const shown = hash.length > 80 ? `${JSON.stringify(hash.slice(0, 80))}… (${hash.length} characters)` : JSON.stringify(hash);
    throw new RangeError(`hash: expected 1 to ${MAX_HASH_LENGTH} hex digits (0-9, a-f), got ${shown}`);
  }
  return hash.toLowerCase();
}

/** Whether `value` is a blob a transport can send as it is (not a function that opens one). */
export function isCacheBlob(value: unknown): value is Uint8Array | Readable | ReadableStream<Uint8Array> {
  return value instanceof Uint8Array || value instanceof Readable || value instanceof ReadableStream;
}

/** Checks the `data` of a put. @throws TypeError naming it. */
export function checkCacheBody(data: unknown): CacheBody {
  if (isCacheBlob(data) || typeof data === 'function') return data as CacheBody;
  throw new TypeError(`data: expected a Uint8Array, a Readable, a ReadableStream or a function returning one, got ${data === null ? 'null' : typeof data}`);
}
