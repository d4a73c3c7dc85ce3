import type { Worker } from 'node:worker_threads';
import { SharedClock } from './SharedClock.js';
import { Slab } from './Slab.js';
import { startModuleWorker } from './workerScript.js';

/**
 * One ticker thread per process keeps the real clocks of every live slab current (about once a
 * millisecond). It is started by the first service on a real clock, stopped when the last one
 * closes, and never keeps the process alive. Until the ticker thread says it is ready (starting a
 * thread takes tens of milliseconds, more from TypeScript source), a timer in the starting thread
 * does its work, so a clock is never left standing.
 */
let worker: Worker | undefined;
let ready = false;
let fallback: ReturnType<typeof setInterval> | undefined;
const ticking = new Map<SharedArrayBuffer, { count: number; clock: SharedClock }>();

function syncFallback(): void {
  const wanted = !ready && ticking.size > 0;
  if (wanted && fallback === undefined) {
    fallback = setInterval(() => {
      for (const { clock } of ticking.values()) clock.refresh();
    }, 1);
    fallback.unref();
  } else if (!wanted && fallback !== undefined) {
    clearInterval(fallback);
    fallback = undefined;
  }
}

export function startTicking(buffer: SharedArrayBuffer): void {
  const entry = ticking.get(buffer);
  if (entry !== undefined) {
    entry.count++;
    return;
  }
  ticking.set(buffer, { count: 1, clock: new SharedClock(Slab.attach(buffer)) });
  if (worker === undefined) {
    ready = false;
    const started = startModuleWorker(import.meta.url, 'tickerWorker', { name: 'builder-resilience-ticker' });
    worker = started;
    started.unref();
    started.on('message', (message: unknown) => {
      if (message === 'ready' && worker === started) {
        ready = true;
        syncFallback();
      }
    });
    started.on('error', (error) => {
      // The slow paths refresh the clock themselves and the fallback timer takes over.
      process.emitWarning(`@builder/resilience ticker stopped: ${String(error)}`);
      if (worker === started) {
        worker = undefined;
        ready = false;
        syncFallback();
      }
    });
  }
  worker.postMessage({ op: 'add', buffer });
  syncFallback();
}

export function stopTicking(buffer: SharedArrayBuffer): void {
  const entry = ticking.get(buffer);
  if (entry === undefined) return;
  if (--entry.count > 0) return;
  ticking.delete(buffer);
  if (worker !== undefined) {
    if (ticking.size === 0) {
      void worker.terminate();
      worker = undefined;
      ready = false;
    } else {
      worker.postMessage({ op: 'remove', buffer });
    }
  }
  syncFallback();
}
