import { wordOf, storeF64, loadF64 } from '../core/atomic64.js';
import {
  EP_BREAKER_I64,
  EP_EMPTY_UNTIL_I32,
  EP_FAILURES_HALF_WRAPS_I32,
  EP_FAILURES_I32,
  EP_FLAGS_I32,
  EP_GRANTS_HALF_WRAPS_I32,
  EP_GRANTS_I32,
  EP_I32,
  EP_LIFE_I32,
  EP_LIMIT_I64,
  EP_NOMINAL_RATE_I64,
  EP_POLICY_I32,
  EP_RATE_FACTOR_I64,
  EP_REJECTED_OPEN_HALF_WRAPS_I32,
  EP_REJECTED_OPEN_I32,
  EP_REJECTED_RATE_HALF_WRAPS_I32,
  EP_REJECTED_RATE_I32,
  EP_RESET_BASE_I64,
  EP_ORIGIN_I64,
  EP_TAT_I64,
  EP_TRANSITIONS_I32,
  EP_WAIT_TOTAL_I64,
  EP_WAITED_CALLS_HALF_WRAPS_I32,
  EP_WAITED_CALLS_I32,
  POL_VERSION_I32,
} from '../core/layout.generated.js';
import type { Slab } from '../core/Slab.js';
import { wideRead, wrap32 } from '../core/wide.js';
import { BreakerState, packLow } from '../breaker/BreakerState.js';
import { resetWindow } from '../window/RollingWindow.js';
import type { Policy } from '../policy/Policy.js';
import { encodePolicy } from '../policy/PolicyCodec.js';
import { applyRate, FLAG_ADAPTIVE, FLAG_UNLIMITED } from '../limiter/AdaptiveRate.js';


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
  storeF64(i64, (base >>> 1) + EP_ORIGIN_I64, nowAbs);
  storeF64(i64, (base >>> 1) + EP_TAT_I64, 0);
  storeF64(i64, (base >>> 1) + EP_RATE_FACTOR_I64, 1);
  writePolicy(slab, index, policy, 1, nowAbs);
  resetWindow(i32, base, now);
  Atomics.store(i32, base + EP_EMPTY_UNTIL_I32, (now - 1) | 0);
}

/** Replaces the policy of a registered record (under the registration lock), keeping its counters and state. */
export function replacePolicy(slab: Slab, index: number, policy: Policy, nowAbs: number): void {
  const version = (slab.i32[slab.endpointBase32(index) + EP_POLICY_I32 + POL_VERSION_I32] as number) + 1;
  writePolicy(slab, index, policy, version, nowAbs);
  // Withdraw the batch handed out under the old policy (it may be unlimited); the next call
  // refills under the new burst and rate.
  const base = slab.endpointBase32(index);
  const at = (base >>> 1) + EP_LIMIT_I64;
  for (;;) {
    const word = Atomics.load(slab.i64, at);
    const grants = Atomics.load(slab.i32, base + EP_GRANTS_I32);
    // Always a different word, so that a refill under the old policy cannot publish after this.
    let next = wordOf(grants, wrap32(nowAbs) - 1);
    if (next === word) next = wordOf(grants, wrap32(nowAbs) - 2);
    if (Atomics.compareExchange(slab.i64, at, word, next) === word) break;
  }
  Atomics.store(slab.i32, base + EP_EMPTY_UNTIL_I32, wrap32(nowAbs) - 1);
}

function writePolicy(slab: Slab, index: number, policy: Policy, version: number, nowAbs: number): void {
  const i32 = slab.i32;
  const base = slab.endpointBase32(index);
  const flags = (policy.adaptive ? FLAG_ADAPTIVE : 0) | (policy.rate === Number.POSITIVE_INFINITY ? FLAG_UNLIMITED : 0);
  Atomics.store(i32, base + EP_FLAGS_I32, flags);
  storeF64(slab.i64, (base >>> 1) + EP_NOMINAL_RATE_I64, policy.rate);
  applyRate(i32, slab.i64, base, () => nowAbs);
  encodePolicy(policy, i32, base + EP_POLICY_I32, version);
}

/** Lifetime totals of an endpoint, exact, since it was registered or last reset. */
export interface EndpointTotals {
  admitted: number;
  failures: number;
  rejectedOpen: number;
  rejectedRate: number;
  transitions: number;
  /** Calls admitted after waiting for a token. */
  waited: number;
  /** Milliseconds those calls waited, summed. */
  waitMs: number;
}

/** Fresh zeroed totals. */
export const emptyTotals = (): EndpointTotals => ({
  admitted: 0,
  failures: 0,
  rejectedOpen: 0,
  rejectedRate: 0,
  transitions: 0,
  waited: 0,
  waitMs: 0,
});

/** Raw lifetime counters (not adjusted for resets). */
export function readRawTotals(slab: Slab, index: number, out: EndpointTotals): EndpointTotals {
  const i32 = slab.i32;
  const base = slab.endpointBase32(index);
  out.admitted = wideRead(i32, base + EP_GRANTS_I32, base + EP_GRANTS_HALF_WRAPS_I32);
  out.failures = wideRead(i32, base + EP_FAILURES_I32, base + EP_FAILURES_HALF_WRAPS_I32);
  out.rejectedOpen = wideRead(i32, base + EP_REJECTED_OPEN_I32, base + EP_REJECTED_OPEN_HALF_WRAPS_I32);
  out.rejectedRate = wideRead(i32, base + EP_REJECTED_RATE_I32, base + EP_REJECTED_RATE_HALF_WRAPS_I32);
  out.transitions = Atomics.load(i32, base + EP_TRANSITIONS_I32) >>> 0;
  out.waited = wideRead(i32, base + EP_WAITED_CALLS_I32, base + EP_WAITED_CALLS_HALF_WRAPS_I32);
  out.waitMs = loadF64(slab.i64, (base >>> 1) + EP_WAIT_TOTAL_I64);
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
  out.waited -= loadF64(slab.i64, at + 4);
  out.waitMs -= loadF64(slab.i64, at + 5);
  return out;
}

/** Makes the current totals the zero of readTotals (under the registration lock). */
export function resetTotals(slab: Slab, index: number): void {
  const raw = readRawTotals(slab, index, emptyTotals());
  const at = (slab.endpointBase32(index) >>> 1) + EP_RESET_BASE_I64;
  storeF64(slab.i64, at, raw.admitted);
  storeF64(slab.i64, at + 1, raw.failures);
  storeF64(slab.i64, at + 2, raw.rejectedOpen);
  storeF64(slab.i64, at + 3, raw.rejectedRate);
  storeF64(slab.i64, at + 4, raw.waited);
  storeF64(slab.i64, at + 5, raw.waitMs);
}
