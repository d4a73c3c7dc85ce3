/**
 * Tasks, results and shared data between the threads suite (threads.bench.ts) and the piscina
 * task its pool's workers run (threadsTask.ts). Kept apart so the suite can import them without
 * loading the task.
 */

/** Your part of the pool's workerData (the pool helper adds the service's handle beside it). */
export interface ThreadsData {
  /** Int32 control words: see GO, READY, SEQ. */
  readonly control: SharedArrayBuffer;
  /** Int32 counters for the Atomics.add and arithmetic loops. */
  readonly counters: SharedArrayBuffer;
  /** Every endpoint the runs measure: each worker takes their handles and warms the loop up on them first. */
  readonly warmupNames: readonly string[];
  /** Counter slot of the first worker's warm-up (worker k uses warmupSlotBase + SLOT_STRIDE × k). */
  readonly warmupSlotBase: number;
  /** Operations of warm-up per loop (split between the endpoints for the acquire loop). */
  readonly warmupOps: number;
}

/** One worker's part of a run. */
export type ThreadsTask =
  | { readonly kind: 'acquire'; readonly name: string; readonly ops: number; readonly gen: number }
  | { readonly kind: 'add' | 'spin'; readonly slot: number; readonly ops: number; readonly gen: number };

/** What a worker reports for its part of a run. */
export interface ThreadsDone {
  /** The pool worker that ran it (0-based, in the order the workers started) and its thread id. */
  readonly worker: number;
  readonly threadId: number;
  readonly elapsedNs: number;
  readonly admitted: number;
  readonly startMs: number;
  /** CPU time the thread got during the run, and time it waited runnable for a CPU (Linux schedstat; null elsewhere). */
  readonly cpuNs: number | null;
  readonly runqueueNs: number | null;
}

/** Index of the barrier word in `control`: the generation of the run that may start. */
export const GO = 0;
/** Index of the count of workers that hold their task and wait at the barrier. */
export const READY = 1;
/** Index of the count of workers started (each takes the next number). */
export const SEQ = 2;
/** Int32 words between two counters the runs use (256 bytes: separate cache lines whatever the buffer's alignment). */
export const SLOT_STRIDE = 64;
