import { isTransportError, TransportError } from '../transport/TransportError.js';

/**
 * The coordinator answered an action with a non-2xx status: 400 (the request is malformed —
 * the message names the field), 413 (too large), 503 (saturated or closing: every slot is busy;
 * `retryAfterMs` says when to try again), 500 (it failed). `code` is `HTTP_STATUS`. The
 * `coordinator` classifier counts it as a failure of the coordinator when it is
 * {@link CoordinatorHttpError.transient} (5xx, 408, 429), and not for a request the caller got
 * wrong (other 4xx).
 */
export class CoordinatorHttpError extends TransportError {
  declare readonly status: number;
  /** The coordinator's Retry-After, ms, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, message: string, url: string, retryAfterMs?: number) {
    super('HTTP_STATUS', message, url, { status });
    this.name = 'CoordinatorHttpError';
    this.retryAfterMs = retryAfterMs;
  }

  /** Whether the coordinator, not the request, is at fault (5xx, 408 or 429): worth another try later. */
  get transient(): boolean {
    return isTransientStatus(this.status);
  }
}

/** 5xx, 408 (request timeout) and 429 (too many requests): the server's trouble, not the request's. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** True for a {@link CoordinatorHttpError}, from any realm. */
export function isCoordinatorHttpError(value: unknown): value is CoordinatorHttpError {
  return isTransportError(value) && value.code === 'HTTP_STATUS' && value.name === 'CoordinatorHttpError';
}
