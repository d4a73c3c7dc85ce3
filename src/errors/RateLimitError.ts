import { isResilienceError, ResilienceError } from './ResilienceError.js';

/** No token for the endpoint within the call's timeout (or at once, for a timeout of 0). The call was not made. */
export class RateLimitError extends ResilienceError {
  /** Milliseconds the call waited for a token before giving up. */
  readonly waitedMs: number;

  constructor(endpoint: string, waitedMs = 0) {
    super(
      'RATE_LIMITED',
      waitedMs > 0
        ? `rate limit of endpoint ${JSON.stringify(endpoint)}: no token within ${Math.round(waitedMs)} ms; the call was not made`
        : `rate limit of endpoint ${JSON.stringify(endpoint)}: no token available; the call was not made`,
      endpoint,
    );
    this.name = 'RateLimitError';
    this.waitedMs = waitedMs;
  }
}

export function isRateLimitError(value: unknown): value is RateLimitError {
  return isResilienceError(value) && value.code === 'RATE_LIMITED';
}
