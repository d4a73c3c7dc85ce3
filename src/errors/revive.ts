import { CapacityError } from './CapacityError.js';
import { CircuitOpenError } from './CircuitOpenError.js';
import { EndpointNameError } from './EndpointNameError.js';
import { RateLimitError } from './RateLimitError.js';
import { ResilienceError, type ResilienceErrorCode, type ResilienceErrorJSON } from './ResilienceError.js';
import { ResilienceTimeoutError } from './ResilienceTimeoutError.js';
import { SlabAttachError } from './SlabAttachError.js';

const CODES: ReadonlySet<string> = new Set<ResilienceErrorCode>([
  'CIRCUIT_OPEN',
  'RATE_LIMITED',
  'TIMEOUT',
  'CAPACITY',
  'SLAB_ATTACH',
  'ENDPOINT_NAME',
  'CONFIG',
]);

/**
 * Rebuilds an error of this library from what crossed `postMessage` (its `toJSON()` form, or the
 * plain object structured cloning makes of it). Returns undefined for anything else.
 */
export function reviveResilienceError(value: unknown): ResilienceError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const json = value as Partial<ResilienceErrorJSON> & { waitedMs?: unknown; timeoutMs?: unknown; capacity?: unknown };
  if (typeof json.code !== 'string' || !CODES.has(json.code) || typeof json.message !== 'string') return undefined;
  const endpoint = typeof json.endpoint === 'string' ? json.endpoint : '';
  let error: ResilienceError;
  switch (json.code) {
    case 'CIRCUIT_OPEN':
      error = new CircuitOpenError(endpoint);
      break;
    case 'RATE_LIMITED':
      error = new RateLimitError(endpoint, typeof json.waitedMs === 'number' ? json.waitedMs : 0);
      break;
    case 'TIMEOUT':
      error = new ResilienceTimeoutError(endpoint, typeof json.timeoutMs === 'number' ? json.timeoutMs : 0);
      break;
    case 'CAPACITY':
      error = new CapacityError(endpoint, typeof json.capacity === 'number' ? json.capacity : 0);
      break;
    case 'SLAB_ATTACH':
      error = new SlabAttachError(json.message);
      break;
    case 'ENDPOINT_NAME':
      error = new EndpointNameError(json.message);
      break;
    default:
      error = new ResilienceError(json.code as ResilienceErrorCode, json.message, endpoint || undefined);
  }
  Object.defineProperty(error, 'message', { value: json.message, enumerable: false, writable: true, configurable: true });
  return error;
}
