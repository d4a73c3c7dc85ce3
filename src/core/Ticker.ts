import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from './workerScript.js';

/**
 * One ticker thread per process keeps the real clocks of every live slab current (about once a
 * millisecond). It is started by the first service on a real clock, stopped when the last one
 * closes, and never keeps the process alive.
 */
let worker: Worker | undefined;
const ticking = new Map<SharedArrayBuffer, number>();

export function startTicking(buffer: SharedArrayBuffer): void {
  const count = ticking.get(buffer) ?? 0;
  ticking.set(buffer, count + 1);
  if (count > 0) return;
  if (worker === undefined) {
    worker = startModuleWorker(import.meta.url, 'tickerWorker', { name: 'builder-resilience-ticker' });
    worker.unref();
    worker.on('error', (error) => {
      // The slow paths refresh the clock themselves, so a lost ticker degrades precision only.
      process.emitWarning(`@builder/resilience ticker stopped: ${String(error)}`);
      worker = undefined;
    });
  }
  worker.postMessage({ op: 'add', buffer });
}

export function stopTicking(buffer: SharedArrayBuffer): void {
  const count = ticking.get(buffer);
  if (count === undefined) return;
  if (count > 1) {
    ticking.set(buffer, count - 1);
    return;
  }
  ticking.delete(buffer);
  if (worker === undefined) return;
  if (ticking.size === 0) {
    void worker.terminate();
    worker = undefined;
  } else {
    worker.postMessage({ op: 'remove', buffer });
  }
}
