/**
 * Messages and shared data between the threads suite (threads.bench.ts) and its workers
 * (threadsWorker.ts). Kept apart so the suite can import them without running a worker.
 */
import type { SlabHandle } from '../src/index.js';

export interface ThreadsWorkerData {
  readonly id: number;
  readonly handle: SlabHandle;
  /** Int32 control words: [GO] is the barrier generation. */
  readonly control: SharedArrayBuffer;
  /** Int32 counters for the Atomics.add baseline. */
  readonly counters: SharedArrayBuffer;
  /** The endpoints this worker will measure: it takes their handles and warms the loop up on them first. */
  readonly warmupNames: readonly string[];
  /** A counter slot private to this worker, for warm-up. */
  readonly warmupSlot: number;
  /** Operations of warm-up per loop (split between the endpoints for the acquire loop). */
  readonly warmupOps: number;
}

export type ThreadsRequest =
  | { readonly op: 'run'; readonly kind: 'acquire'; readonly name: string; readonly ops: number; readonly gen: number }
  | { readonly op: 'run'; readonly kind: 'add' | 'spin'; readonly slot: number; readonly ops: number; readonly gen: number }
  | { readonly op: 'exit' };

export type ThreadsReply =
  | { readonly type: 'online'; readonly id: number }
  | { readonly type: 'ready'; readonly id: number }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly elapsedNs: number;
      readonly admitted: number;
      readonly startMs: number;
      /** CPU time the thread got during the run, and time it waited runnable for a CPU (Linux schedstat; null elsewhere). */
      readonly cpuNs: number | null;
      readonly runqueueNs: number | null;
    };

/** Index of the barrier word in `control`. */
export const GO = 0;
