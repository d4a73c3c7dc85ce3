import { isNetworkError, registerClassifier } from '../../policy/classifiers.js';
import { type Policy, validatePolicy } from '../../policy/Policy.js';
import { PolicyPresets } from '../../policy/PolicyPresets.js';
import { isTransportError } from '../transport/TransportError.js';
import { isTransientStatus } from './CoordinatorHttpError.js';

/** Name of the failure classifier of coordinator endpoints. */
export const COORDINATOR_CLASSIFIER = 'coordinator';

/**
 * Whether `error` is the coordinator's failure: no answer (network errors, timeouts), a garbled
 * answer, or a transient HTTP status (5xx — 503 when saturated —, 408, 429). A request the
 * coordinator refused as malformed (other 4xx) is the caller's fault and does not count, and a
 * command that fails is not an error at all (it is the action's result).
 */
export function isCoordinatorFailure(error: unknown): boolean {
  if (isTransportError(error)) {
    switch (error.code) {
      case 'HTTP_STATUS':
        return error.status !== undefined && isTransientStatus(error.status);
      case 'NETWORK':
      case 'TIMEOUT':
      case 'BAD_RESPONSE':
        return true;
      default:
        return false;
    }
  }
  return isNetworkError(error);
}

/**
 * Registers the `coordinator` classifier in this thread. `ResilientRemoteExecutor` does it when
 * it is constructed; a thread that calls `execute()` on a coordinator endpoint without one must
 * call this (a thread that does not know the name counts every error).
 */
export function registerCoordinatorClassifier(): void {
  registerClassifier(COORDINATOR_CLASSIFIER, isCoordinatorFailure);
}

/** The policy coordinator endpoints get unless registered: `PolicyPresets.highThroughput()` with the `coordinator` classifier. */
export function coordinatorPolicy(): Policy {
  return validatePolicy({ ...PolicyPresets.highThroughput(), classifier: COORDINATOR_CLASSIFIER });
}
