/**
 * Process-wide monotonic milliseconds, the same in every thread.
 *
 * Each worker's `performance.now()` counts from that worker's start, and
 * `performance.timeOrigin` follows the wall clock, which can be changed. `process.hrtime` reads
 * the one monotonic clock of the process; we measure once per thread how far this thread's
 * `performance.now()` is from it and read the cheaper `performance.now()` afterwards.
 *
 * Only the shared clock (the ticker and the real clock's refresh) calls this: algorithms read time
 * from the slab.
 */
const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();

export function monotonicMs(): number {
  return performance.now() + offset;
}
