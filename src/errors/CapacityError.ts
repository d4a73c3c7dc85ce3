import { isResilienceError, ResilienceError } from './ResilienceError.js';

/** Registration past the slab's endpoint capacity. Nothing was registered. */
export class CapacityError extends ResilienceError {
  readonly capacity: number;

  constructor(endpoint: string, capacity: number) {
    super(
      'CAPACITY',
      `cannot register endpoint ${JSON.stringify(endpoint)}: the slab holds at most ${capacity} endpoints ` +
        '(unregister unused endpoints or create the service with a larger `capacity`)',
      endpoint,
    );
    this.name = 'CapacityError';
    this.capacity = capacity;
  }
}

export function isCapacityError(value: unknown): value is CapacityError {
  return isResilienceError(value) && value.code === 'CAPACITY';
}
