import { afterEach } from 'vitest';
import { ManualClock, type Policy, PolicyBuilder, PolicyPresets, ResilienceService } from '../../src/index.js';

const open = new Set<ResilienceService>();

afterEach(() => {
  // Tests close their services themselves; this only catches the ones a failed assertion skipped.
  for (const service of open) service.close();
  open.clear();
});

/** A service on a manual clock at 0, ignoring process.env. */
export function manualService(defaultPolicy: Policy = PolicyPresets.standard()): { service: ResilienceService; clock: ManualClock } {
  const clock = new ManualClock(0);
  const service = new ResilienceService(defaultPolicy, { clock, env: false });
  open.add(service);
  return { service, clock };
}

/** Remembers a service made some other way so that it is closed even when the test fails. */
export function closeLater(service: ResilienceService): ResilienceService {
  open.add(service);
  return service;
}

/** A non-adaptive policy with the given rate and burst (standard figures otherwise). */
export function limited(rate: number, burst: number): Policy {
  return PolicyBuilder.create().withRateLimit(rate).withBurstCapacity(burst).build();
}

/** Real-time pause (lets Atomics.waitAsync wake-ups and the 10 ms event poller run). */
export const pause = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` on real timers until it holds; fails after `limitMs`. */
export async function until(condition: () => boolean, what: string, limitMs = 3000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await pause(2);
  }
}

export interface Tracked<T> {
  readonly promise: Promise<T>;
  status: 'pending' | 'fulfilled' | 'rejected';
  value: T | undefined;
  reason: unknown;
}

/** Follows a promise's settlement without awaiting it. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { promise, status: 'pending', value: undefined, reason: undefined };
  promise.then(
    (value) => {
      t.status = 'fulfilled';
      t.value = value;
    },
    (reason: unknown) => {
      t.status = 'rejected';
      t.reason = reason;
    },
  );
  return t;
}

/** An operation that throws `error` and counts its calls. */
export function failingOp(error: unknown = new Error('boom')): { calls: number; op: () => Promise<never> } {
  const spy = {
    calls: 0,
    op: async (): Promise<never> => {
      spy.calls++;
      throw error;
    },
  };
  return spy;
}

/** An Error with a Node-style `code`. */
export function codeError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Runs `operation` expecting it to reject; returns the rejection. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
