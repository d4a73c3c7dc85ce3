import { isResilienceError, ResilienceError } from './ResilienceError.js';

/** An endpoint name that is not a non-empty, well-formed string of at most MAX_NAME_BYTES UTF-8 bytes. */
export class EndpointNameError extends ResilienceError {
  constructor(message: string) {
    super('ENDPOINT_NAME', message);
    this.name = 'EndpointNameError';
  }
}

export function isEndpointNameError(value: unknown): value is EndpointNameError {
  return isResilienceError(value) && value.code === 'ENDPOINT_NAME';
}
