import { isResilienceError, ResilienceError } from './ResilienceError.js';

/** The operation did not settle within the call's timeout; its AbortSignal was fired. */
export class ResilienceTimeoutError extends ResilienceError {
  readonly timeoutMs: number;

  constructor(endpoint: string, timeoutMs: number) {
    super('TIMEOUT', `call to endpoint ${JSON.stringify(endpoint)} timed out after ${timeoutMs} ms`, endpoint);
    this.name = 'ResilienceTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

export function isResilienceTimeoutError(value: unknown): value is ResilienceTimeoutError {
  return isResilienceError(value) && value.code === 'TIMEOUT';
}
