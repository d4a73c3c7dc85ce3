/**
 * Coordination of the cross-thread suites: Int32 control words in a SharedArrayBuffer, moved
 * with Atomics and waited on with Atomics.wait / waitAsync. Nothing here sleeps for a time: every
 * wait ends when a word reaches the value it waits for (or, on the main thread, when a worker
 * fails, so that a broken fixture fails its test instead of hanging it).
 *
 * Counters only grow, so "wait until word >= target" is the one primitive: a step number, a
 * count of workers that finished a step, and a barrier (the r-th meeting of p threads is over
 * when the word reaches p * r) are all built on it.
 */
import type { Worker } from 'node:worker_threads';
import { spawn } from './workers.js';

/** A block of `words` Int32 control words, all 0, in fresh shared memory. */
export function controlWords(words: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(words * 4));
}

/** Adds `by` to word `index`, wakes its waiters and returns the new value. */
export function bump(i32: Int32Array, index: number, by = 1): number {
  const value = Atomics.add(i32, index, by) + by;
  Atomics.notify(i32, index);
  return value;
}

/** Stores `value` in word `index` and wakes its waiters. */
export function publish(i32: Int32Array, index: number, value: number): void {
  Atomics.store(i32, index, value);
  Atomics.notify(i32, index);
}

/**
 * Blocking wait (worker threads) until word `index` is at least `target`: spins `spins` loads
 * first (so threads that are all awake start together), then sleeps in Atomics.wait until the
 * word changes. Returns the value seen.
 */
export function awaitAtLeast(i32: Int32Array, index: number, target: number, spins = 20_000): number {
  for (let n = 0; ; n++) {
    const value = Atomics.load(i32, index);
    if (value >= target) return value;
    if (n >= spins) Atomics.wait(i32, index, value);
  }
}

/**
 * The `round`-th (1, 2, ...) meeting of `parties` threads at word `index`: returns once all of
 * them have arrived. Spins long, so the threads leave within a few hundred nanoseconds of each
 * other when they have a core each, and falls back to Atomics.wait when they do not.
 */
export function meet(i32: Int32Array, index: number, parties: number, round: number, spins = 100_000): void {
  bump(i32, index);
  awaitAtLeast(i32, index, parties * round, spins);
}

/**
 * A meeting (see {@link meet}) followed by a second one at word `awake`: every thread is awake
 * by then, so the second one ends while they all spin and they leave within a few hundred
 * nanoseconds of each other, even when some of them slept through the first one (a thread woken
 * by a notify starts tens of microseconds after the one that woke it). When a thread has no core
 * (a loaded machine), the others stop spinning after a while and sleep. For races whose outcome
 * is measured.
 */
export function startTogether(i32: Int32Array, arrive: number, awake: number, parties: number, round: number): void {
  meet(i32, arrive, parties, round);
  meet(i32, awake, parties, round, 500_000);
}

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
type WaitAsync = (i32: Int32Array, index: number, value: number) => WaitAsyncResult;
// ES2024 has Atomics.waitAsync (Node 20 ships it); the project's lib setting stops at ES2023.
const waitAsync: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync.bind(Atomics);

/**
 * Workers of one test, started from a fixture module under test/, each with its own workerData.
 * The main thread waits on control words with {@link Crew.until} (Atomics.waitAsync, so the
 * event loop keeps running and a worker's error or early exit rejects the wait at once).
 */
export class Crew<R> {
  readonly workers: Worker[];
  readonly #results: Promise<R>[];
  readonly #failure: Promise<never>;
  readonly #exit: Promise<'exited'>;
  readonly #terminated = new Set<Worker>();

  constructor(path: string, data: readonly unknown[]) {
    let fail: (error: Error) => void = () => {};
    this.#failure = new Promise<never>((_, reject) => {
      fail = reject;
    });
    this.#failure.catch(() => {});
    let exited: () => void = () => {};
    this.#exit = new Promise<'exited'>((resolve) => {
      exited = () => resolve('exited');
    });
    this.workers = data.map((d) => spawn(path, d));
    this.#results = this.workers.map(
      (worker, id) =>
        new Promise<R>((resolve, reject) => {
          let result: { value: R } | undefined;
          worker.once('message', (value: R) => {
            result = { value };
          });
          worker.once('error', (error: Error) => {
            const wrapped = new Error(`worker ${id} (${path}) failed: ${error.stack ?? String(error)}`);
            fail(wrapped);
            reject(wrapped);
          });
          worker.once('exit', (code) => {
            exited();
            if (result !== undefined) {
              resolve(result.value);
              return;
            }
            const error = new Error(`worker ${id} (${path}) exited with code ${code} before posting a result`);
            if (!this.#terminated.has(worker)) fail(error);
            reject(error);
          });
        }),
    );
    for (const r of this.#results) r.catch(() => {});
  }

  /**
   * Resolves when word `index` of `i32` is at least `target`; rejects as soon as a worker fails,
   * or when a worker has exited and the word has not got there.
   */
  async until(i32: Int32Array, index: number, target: number): Promise<number> {
    for (;;) {
      const value = Atomics.load(i32, index);
      if (value >= target) return value;
      const wait = waitAsync(i32, index, value);
      if (!wait.async) continue;
      if ((await Promise.race([wait.value, this.#failure, this.#exit])) === 'exited') {
        const last = Atomics.load(i32, index);
        if (last >= target) return last;
        throw new Error(`a worker exited while the main thread waited for control word ${index} to reach ${target} (it is ${last})`);
      }
    }
  }

  /** The result every worker posted, once all have exited. */
  results(): Promise<R[]> {
    return Promise.all(this.#results);
  }

  /** Terminates worker `id` (an expected death: not a failure) and resolves with its exit code. */
  async terminate(id: number): Promise<number> {
    const worker = this.workers[id];
    if (worker === undefined) throw new RangeError(`no worker ${id}`);
    this.#terminated.add(worker);
    return worker.terminate();
  }

  /** Terminates every worker still running (for `finally` blocks). */
  async dispose(): Promise<void> {
    for (const worker of this.workers) this.#terminated.add(worker);
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
