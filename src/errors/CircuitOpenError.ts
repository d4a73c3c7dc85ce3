import { isResilienceError, ResilienceError } from './ResilienceError.js';

/** The endpoint's circuit is open (or half-open with every trial permit out): the call was not made. */
export class CircuitOpenError extends ResilienceError {
  constructor(endpoint: string) {
    super('CIRCUIT_OPEN', `circuit open for endpoint ${JSON.stringify(endpoint)}: the call was not made`, endpoint);
    this.name = 'CircuitOpenError';
  }
}

export function isCircuitOpenError(value: unknown): value is CircuitOpenError {
  return isResilienceError(value) && value.code === 'CIRCUIT_OPEN';
}
