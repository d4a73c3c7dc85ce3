import { Piscina } from 'piscina';

/** The options piscina's constructor takes. */
export type PiscinaOptions = NonNullable<ConstructorParameters<typeof Piscina>[0]>;
import type { ResilienceService } from '../service/ResilienceService.js';

/** What the pool's workers receive as `workerData`: the service handle and your own data. */
export interface ResilientWorkerData<T = unknown> {
  readonly resilience: ResilienceService['handle'];
  readonly data: T | undefined;
}

/**
 * A piscina pool whose workers share `resilience`: each worker gets the service's handle in
 * `workerData.resilience` (your `workerData`, if any, in `workerData.data`), and
 * `sharedResilience()` from '@builder/resilience/worker' attaches it there.
 */
export function createResilientPool<T = unknown>(resilience: ResilienceService, options: PiscinaOptions & { workerData?: T }): Piscina {
  const workerData: ResilientWorkerData<T> = { resilience: resilience.handle, data: options.workerData };
  return new Piscina({ ...options, workerData });
}
