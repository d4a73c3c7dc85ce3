import {
  EP_FAILURES_I32,
  EP_GRANTS_I32,
  EP_POLICY_I32,
  EP_RING_FAILURES_I32,
  EP_RING_GRANTS_I32,
  EP_RING_START_I32,
  EP_ROTATE_AT_I32,
  POL_BUCKET_MS_I32,
  POL_BUCKETS_I32,
  RING_SLOTS,
} from '../core/layout.generated.js';
import { wrap32 } from '../core/wide.js';

/** Counts of the rolling window: admitted calls and failures. */
export interface WindowCounts {
  total: number;
  failures: number;
}

/** A ring start this old is "never": older than any window (and kept there by the clock's sweep). */
const LONG_AGO = 2 ** 30;

/**
 * The rolling window of an endpoint, kept without timers and without a counter per bucket.
 *
 * The record's lifetime counters (`grants`, `failures`) are the only things calls write. The
 * ring keeps, for each of the last `buckets` buckets, the time it began and the two counters'
 * values at that moment. The window's counts are the counters now minus their values at the
 * start of the oldest bucket still inside the window: O(buckets) to read, nothing extra to
 * record. The first call of a new bucket moves `rotateAt` on with one CAS; the winner writes the
 * snapshot and then the bucket's start time, so a reader never pairs a new start with an old
 * snapshot. A call racing a rotation lands in one bucket or its neighbour, never nowhere:
 * totals are exact, the split between adjacent buckets is approximate by a few calls.
 */

/** Starts a bucket if `now` (slab time modulo 2^32) has passed `rotateAt`. `abs` is the exact slab time. */
export function rotate(i32: Int32Array, base: number, now: number, abs: number): void {
  const at = base + EP_ROTATE_AT_I32;
  const due = i32[at] as number;
  if (((now - due) | 0) < 0) return;
  const policy = base + EP_POLICY_I32;
  const width = i32[policy + POL_BUCKET_MS_I32] as number;
  const buckets = i32[policy + POL_BUCKETS_I32] as number;
  const bucket = Math.floor(abs / width);
  const start = bucket * width;
  if (Atomics.compareExchange(i32, at, due, wrap32(start + width)) !== due) return;
  const slot = bucket % buckets;
  Atomics.store(i32, base + EP_RING_GRANTS_I32 + slot, Atomics.load(i32, base + EP_GRANTS_I32));
  Atomics.store(i32, base + EP_RING_FAILURES_I32 + slot, Atomics.load(i32, base + EP_FAILURES_I32));
  Atomics.store(i32, base + EP_RING_START_I32 + slot, wrap32(start));
}

/** Reads the window's counts at slab time `now` (modulo 2^32) into `out`. */
export function readWindow(i32: Int32Array, base: number, now: number, out: WindowCounts): WindowCounts {
  const policy = base + EP_POLICY_I32;
  const buckets = i32[policy + POL_BUCKETS_I32] as number;
  const span = buckets * (i32[policy + POL_BUCKET_MS_I32] as number);
  let oldest = -1;
  let oldestAge = -1;
  for (let slot = 0; slot < buckets; slot++) {
    const age = (now - (i32[base + EP_RING_START_I32 + slot] as number)) | 0;
    if (age >= 0 && age < span && age > oldestAge) {
      oldest = slot;
      oldestAge = age;
    }
  }
  if (oldest < 0) {
    out.total = 0;
    out.failures = 0;
    return out;
  }
  const grants = Atomics.load(i32, base + EP_GRANTS_I32);
  const failures = Atomics.load(i32, base + EP_FAILURES_I32);
  out.total = (grants - (i32[base + EP_RING_GRANTS_I32 + oldest] as number)) >>> 0;
  out.failures = (failures - (i32[base + EP_RING_FAILURES_I32 + oldest] as number)) >>> 0;
  return out;
}

/** Empties the window (every bucket "long ago"); the next call starts a fresh bucket. */
export function resetWindow(i32: Int32Array, base: number, now: number): void {
  for (let slot = 0; slot < RING_SLOTS; slot++) Atomics.store(i32, base + EP_RING_START_I32 + slot, (now - LONG_AGO) | 0);
  Atomics.store(i32, base + EP_ROTATE_AT_I32, now);
}
