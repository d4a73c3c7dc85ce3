import { wordOf, storeF64, loadF64 } from '../core/atomic64.js';
import {
  EP_BREAKER_I64,
  EP_FAILURES_HALF_WRAPS_I32,
  EP_FAILURES_I32,
  EP_FLAGS_I32,
  EP_GRANTS_HALF_WRAPS_I32,
  EP_GRANTS_I32,
  EP_I32,
  EP_INTERVAL_I64,
  EP_LIFE_I32,
  EP_NOMINAL_RATE_I64,
  EP_POLICY_I32,
  EP_RATE_FACTOR_I64,
  EP_REJECTED_OPEN_HALF_WRAPS_I32,
  EP_REJECTED_OPEN_I32,
  EP_REJECTED_RATE_HALF_WRAPS_I32,
  EP_REJECTED_RATE_I32,
  EP_RESET_BASE_I64,
  EP_TAT_I64,
  EP_TRANSITIONS_I32,
  POL_VERSION_I32,
} from '../core/layout.generated.js';
import type { Slab } from '../core/Slab.js';
import { wideRead } from '../core/wide.js';
import { BreakerState, packLow } from '../breaker/BreakerState.js';
import { resetWindow } from '../window/RollingWindow.js';
import type { Policy } from '../policy/Policy.js';
import { encodePolicy } from '../policy/PolicyCodec.js';

export const FLAG_ADAPTIVE = 1;
export const FLAG_UNLIMITED = 2;

/** Milliseconds per token at `rate` tokens per second (0: unlimited). */
export const intervalFor = (rate: number): number => (rate === Number.POSITIVE_INFINITY ? 0 : 1000 / rate);

/**
 * Writes a fresh endpoint into record `index` (called under the registration lock, before the
 * record is published): zeroes every field but `life`, then sets the policy, a CLOSED breaker,
 * an empty window and a full token bucket.
 */
export function initRecord(slab: Slab, index: number, policy: Policy, nowAbs: number, now: number): void {
  const i32 = slab.i32;
  const i64 = slab.i64;
  const base = slab.endpointBase32(index);
  const life = i32[base + EP_LIFE_I32] as number;
  i32.fill(0, base, base + EP_I32);
  i32[base + EP_LIFE_I32] = life;
  Atomics.store(i64, (base >>> 1) + EP_BREAKER_I64, wordOf(packLow(BreakerState.Closed, 0, 0, 0), now));
  storeF64(i64, (base >>> 1) + EP_TAT_I64, nowAbs);
  storeF64(i64, (base >>> 1) + EP_RATE_FACTOR_I64, 1);
  writePolicy(slab, index, policy, 1);
  resetWindow(i32, base, now);
}

/** Replaces the policy of a registered record (under the registration lock), keeping its counters and state. */
export function replacePolicy(slab: Slab, index: number, policy: Policy): void {
  const version = (slab.i32[slab.endpointBase32(index) + EP_POLICY_I32 + POL_VERSION_I32] as number) + 1;
  writePolicy(slab, index, policy, version);
  // The batch out under the old policy stays valid; the next refill applies the new burst and rate.
}

function writePolicy(slab: Slab, index: number, policy: Policy, version: number): void {
  const i32 = slab.i32;
  const base = slab.endpointBase32(index);
  const flags = (policy.adaptive ? FLAG_ADAPTIVE : 0) | (policy.rate === Number.POSITIVE_INFINITY ? FLAG_UNLIMITED : 0);
  Atomics.store(i32, base + EP_FLAGS_I32, flags);
  storeF64(slab.i64, (base >>> 1) + EP_NOMINAL_RATE_I64, policy.rate);
  const factor = loadF64(slab.i64, (base >>> 1) + EP_RATE_FACTOR_I64);
  storeF64(slab.i64, (base >>> 1) + EP_INTERVAL_I64, intervalFor(policy.adaptive ? policy.rate * factor : policy.rate));
  encodePolicy(policy, i32, base + EP_POLICY_I32, version);
}

/** Lifetime totals of an endpoint, exact, since it was registered or last reset. */
export interface EndpointTotals {
  admitted: number;
  failures: number;
  rejectedOpen: number;
  rejectedRate: number;
  transitions: number;
}

/** Raw lifetime counters (not adjusted for resets). */
export function readRawTotals(slab: Slab, index: number, out: EndpointTotals): EndpointTotals {
  const i32 = slab.i32;
  const base = slab.endpointBase32(index);
  out.admitted = wideRead(i32, base + EP_GRANTS_I32, base + EP_GRANTS_HALF_WRAPS_I32);
  out.failures = wideRead(i32, base + EP_FAILURES_I32, base + EP_FAILURES_HALF_WRAPS_I32);
  out.rejectedOpen = wideRead(i32, base + EP_REJECTED_OPEN_I32, base + EP_REJECTED_OPEN_HALF_WRAPS_I32);
  out.rejectedRate = wideRead(i32, base + EP_REJECTED_RATE_I32, base + EP_REJECTED_RATE_HALF_WRAPS_I32);
  out.transitions = Atomics.load(i32, base + EP_TRANSITIONS_I32) >>> 0;
  return out;
}

/** Totals since the last reset. */
export function readTotals(slab: Slab, index: number, out: EndpointTotals): EndpointTotals {
  readRawTotals(slab, index, out);
  const at = (slab.endpointBase32(index) >>> 1) + EP_RESET_BASE_I64;
  out.admitted -= loadF64(slab.i64, at);
  out.failures -= loadF64(slab.i64, at + 1);
  out.rejectedOpen -= loadF64(slab.i64, at + 2);
  out.rejectedRate -= loadF64(slab.i64, at + 3);
  return out;
}

/** Makes the current totals the zero of readTotals (under the registration lock). */
export function resetTotals(slab: Slab, index: number): void {
  const raw = readRawTotals(slab, index, { admitted: 0, failures: 0, rejectedOpen: 0, rejectedRate: 0, transitions: 0 });
  const at = (slab.endpointBase32(index) >>> 1) + EP_RESET_BASE_I64;
  storeF64(slab.i64, at, raw.admitted);
  storeF64(slab.i64, at + 1, raw.failures);
  storeF64(slab.i64, at + 2, raw.rejectedOpen);
  storeF64(slab.i64, at + 3, raw.rejectedRate);
}
