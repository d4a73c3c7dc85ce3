/**
 * What the stress test (stress.test.ts) and its workers (test/fixtures/reliability-stress.ts)
 * exchange. Importing this runs nothing.
 */
import type { SlabHandle } from '../../src/index.js';

/** Control words. */
export const Stress = {
  /** Workers that have attached and subscribed. */
  READY: 0,
  /** Set to 1 by the main thread: go. */
  GO: 1,
  words: 4,
} as const;

export type EndpointKind = 'limited' | 'flaky' | 'queued';

export interface StressEndpoint {
  readonly name: string;
  readonly kind: EndpointKind;
}

export interface StressData {
  readonly handle: SlabHandle;
  readonly control: SharedArrayBuffer;
  readonly id: number;
  readonly seed: number;
  readonly durationMs: number;
  readonly endpoints: readonly StressEndpoint[];
  /** Worker 0 also registers and unregisters names of its own while the others work. */
  readonly churn: boolean;
  /** Most execute() calls a worker has in flight at once. */
  readonly maxInFlight: number;
}

/** Exact counts of what one worker's calls did to one endpoint. */
export interface Counts {
  admitted: number;
  failures: number;
  rejectedOpen: number;
  rejectedRate: number;
}

export interface StressResult {
  readonly id: number;
  readonly counts: Record<string, Counts>;
  /** Per endpoint: [before, after] slab times bracketing each admitted call, flattened. */
  readonly grants: Record<string, Float64Array>;
  /** Per flaky endpoint: trial tickets admitted, per breaker generation (modulo 2^16). */
  readonly trials: Record<string, Record<number, number>>;
  /** execute() calls by priority class, and how they ended. */
  readonly executes: { readonly issued: number[]; readonly ok: number[]; readonly rateLimited: number[]; readonly timedOut: number[]; readonly failed: number[] };
  /** Real ms past its timeout at which each execute() with a timeout settled (<= 0: in time). */
  readonly overshootMs: Float64Array;
  /** Anything unexpected (there must be nothing). */
  readonly unexpected: string[];
  readonly tryAcquires: number;
  readonly registrations: number;
  readonly adjustments: number;
  /** Trial tickets never recorded (their permits must expire). */
  readonly abandoned: number;
}

/** A breaker transition as a listener saw it. */
export interface Seen {
  readonly endpoint: string;
  readonly from: number;
  readonly to: number;
}

export type StressMessage =
  | { readonly kind: 'done'; readonly result: StressResult }
  | { readonly kind: 'events'; readonly id: number; readonly events: Seen[] };

/** Main → worker, after every worker is done: how many transitions each endpoint made. */
export interface Collect {
  readonly kind: 'collect';
  readonly expected: Record<string, number>;
  readonly deadlineMs: number;
}
