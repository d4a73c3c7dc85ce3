import { threadId } from 'node:worker_threads';
import { H_LOCK_EPOCH_I32, H_LOCK_I32 } from './layout.generated.js';

/** Waits of 1 ms after which a holder that has not moved on is taken to be dead. */
const STALE_WAITS = 2000;
const token = threadId + 1;

/**
 * The registration lock of a slab: serialises register, unregister, policy changes and table
 * rebuilds (never a hot path; lookups do not take it). A thread waits with `Atomics.wait` in
 * 1 ms slices. After about 2 s of the same holder and epoch the holder is taken to be dead (a
 * terminated worker) and a waiter displaces it, then runs `recover` before `body`: whatever the
 * dead holder left half done is repaired there, under the lock.
 */
export function withRegistrationLock<T>(i32: Int32Array, body: () => T, recover?: () => void): T {
  let waits = 0;
  let displaced = false;
  let seenEpoch = Atomics.load(i32, H_LOCK_EPOCH_I32);
  for (;;) {
    const holder = Atomics.compareExchange(i32, H_LOCK_I32, 0, token);
    if (holder === 0) break;
    if (holder === token) throw new Error('registration lock is not re-entrant');
    const epoch = Atomics.load(i32, H_LOCK_EPOCH_I32);
    if (epoch !== seenEpoch) {
      seenEpoch = epoch;
      waits = 0;
    } else if (++waits >= STALE_WAITS) {
      if (Atomics.compareExchange(i32, H_LOCK_I32, holder, token) === holder) {
        displaced = true;
        break;
      }
      waits = 0;
    }
    Atomics.wait(i32, H_LOCK_I32, holder, 1);
  }
  Atomics.add(i32, H_LOCK_EPOCH_I32, 1);
  try {
    if (displaced) recover?.();
    return body();
  } finally {
    Atomics.compareExchange(i32, H_LOCK_I32, token, 0);
    Atomics.notify(i32, H_LOCK_I32);
  }
}
