import type { Policy } from '../../policy/Policy.js';
import type { ResilienceService } from '../../service/ResilienceService.js';

/**
 * Registers `name` with `policy()` unless it is registered already, so that a policy the
 * application registered first (from a config file, or stricter for tests) is kept. Two threads
 * doing this at once both register the same policy, which is harmless.
 */
export function ensureEndpoint(resilience: ResilienceService, name: string, policy: () => Policy): void {
  if (!resilience.hasEndpoint(name)) resilience.registerEndpoint(name, policy());
}

/** Checks that `value` looks like a ResilienceService (any thread's, attached or owning). */
export function checkService(value: unknown, option = 'resilience'): ResilienceService {
  const v = value as Partial<ResilienceService> | null;
  if (typeof v !== 'object' || v === null || typeof v.execute !== 'function' || typeof v.hasEndpoint !== 'function' || typeof v.registerEndpoint !== 'function') {
    throw new TypeError(`${option}: expected a ResilienceService, got ${value === null ? 'null' : typeof value}`);
  }
  return value as ResilienceService;
}
