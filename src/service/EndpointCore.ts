import type { EndpointTable } from '../core/EndpointTable.js';
import type { SharedClock } from '../core/SharedClock.js';
import type { Slab } from '../core/Slab.js';

/** What endpoint handles need from the service of their thread. @internal */
export interface EndpointCore {
  readonly slab: Slab;
  readonly clock: SharedClock;
  readonly table: EndpointTable;
  /** The record of `name`, registering it with the default policy if it is not registered. */
  bind(name: string): { readonly index: number; readonly life: number };
  /**
   * Called by the one thread whose CAS moved the breaker of record `index` from low word `from`
   * to `to` at slab time `now` (modulo 2^32).
   */
  transitioned(index: number, from: number, to: number, now: number): void;
}
