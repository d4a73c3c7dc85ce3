import { workerData } from 'node:worker_threads';
import { ResilienceService } from './service/ResilienceService.js';
import type { SlabHandle } from './core/Slab.js';

let attached: ResilienceService | undefined;

function findHandle(data: unknown): SlabHandle | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const rec = data as Record<string, unknown>;
  if (rec.kind === '@builder/resilience/slab') return data as SlabHandle;
  const nested = rec.resilience;
  if (typeof nested === 'object' && nested !== null && (nested as Record<string, unknown>).kind === '@builder/resilience/slab') {
    return nested as SlabHandle;
  }
  return undefined;
}

/**
 * The service of the thread's `workerData`: either the handle itself or `{ resilience: handle }`
 * (what the pool helper passes). Attached on first use.
 * @throws SlabAttachError when the worker was started without a handle.
 */
export function sharedResilience(): ResilienceService {
  if (attached !== undefined) return attached;
  const handle = findHandle(workerData);
  attached = ResilienceService.attach(handle ?? (workerData as SlabHandle));
  return attached;
}

export { ResilienceService };
