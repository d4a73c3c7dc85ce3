import { isResilienceError, ResilienceError } from './ResilienceError.js';

/** `attach()` was given something that is not a slab of this layout version. */
export class SlabAttachError extends ResilienceError {
  constructor(message: string) {
    super('SLAB_ATTACH', message);
    this.name = 'SlabAttachError';
  }
}

export function isSlabAttachError(value: unknown): value is SlabAttachError {
  return isResilienceError(value) && value.code === 'SLAB_ATTACH';
}
