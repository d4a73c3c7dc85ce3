import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../src/core/workerScript.js';

/** Starts a worker running the TypeScript module `path` (relative to test/), with `workerData`. */
export function spawn(path: string, workerData: unknown): Worker {
  return startWorker(new URL(`../${path}`, import.meta.url), { workerData });
}

/** Runs a worker to completion and resolves with the first message it posts. */
export function runWorker<T>(path: string, workerData: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = spawn(path, workerData);
    let result: { value: T } | undefined;
    worker.once('message', (value: T) => {
      result = { value };
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== undefined) resolve(result.value);
      else reject(new Error(`worker ${path} exited with code ${code} before posting a result`));
    });
  });
}
