import { EndpointTable, encodeName } from '../../src/core/EndpointTable.js';
import { Slab, type SlabHandle } from '../../src/core/Slab.js';
import { type EndpointTotals, emptyTotals, readTotals } from '../../src/service/EndpointRecord.js';
import { readWindow, type WindowCounts } from '../../src/window/RollingWindow.js';
import { H_NOW_I32 } from '../../src/core/layout.generated.js';

/** Exact lifetime totals of `name` in the slab behind `handle` (throws if it is not registered). */
export function totalsOf(handle: SlabHandle, name: string): EndpointTotals {
  const slab = Slab.attach(handle);
  const index = new EndpointTable(slab).lookup(encodeName(name));
  if (index < 0) throw new Error(`endpoint ${name} is not registered`);
  return readTotals(slab, index, emptyTotals());
}

/** The rolling window of `name` now. */
export function windowOf(handle: SlabHandle, name: string): WindowCounts {
  const slab = Slab.attach(handle);
  const index = new EndpointTable(slab).lookup(encodeName(name));
  if (index < 0) throw new Error(`endpoint ${name} is not registered`);
  return readWindow(slab.i32, slab.endpointBase32(index), slab.i32[H_NOW_I32] as number, { total: 0, failures: 0 });
}
