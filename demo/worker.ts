import { parentPort, workerData } from 'node:worker_threads';
import { Priority, ResilienceService } from '../src/index.js';
import { faultAt, type DemoConfig } from './faults.js';

/** One build worker of the demo: runs actions that read the cache and report to the coordinator. */
const config = workerData as DemoConfig & { handle: ResilienceService['handle']; worker: number };
const resilience = ResilienceService.attach(config.handle);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function remoteCall(endpoint: string, signal: AbortSignal): Promise<void> {
  const fault = faultAt(config, endpoint, resilience.clock.now() - config.start);
  if (fault === 'down') {
    await sleep(1);
    throw Object.assign(new Error(`connect ECONNREFUSED (${endpoint})`), { code: 'ECONNREFUSED' });
  }
  await sleep(fault === 'slow' ? 50 : 1 + Math.random() * 2);
  if (signal.aborted) throw signal.reason;
}

let done = 0;
let hits = 0;
let failed = 0;
const deadline = config.start + config.durationMs;
while (resilience.clock.now() < deadline && done < config.actionsPerWorker) {
  const cache = done % 2 === 0 ? 'cache-1' : 'cache-2';
  try {
    await resilience.execute(cache, (signal) => remoteCall(cache, signal), Priority.Normal, 20);
    hits++;
  } catch {
    // A cache miss or an open circuit: the action runs locally instead.
  }
  try {
    await resilience.execute('coordinator', (signal) => remoteCall('coordinator', signal), Priority.High, 100);
  } catch {
    failed++;
  }
  done++;
  if (done % 20 === 0) parentPort?.postMessage({ progress: 20 });
}
parentPort?.postMessage({ done, hits, failed, progress: done % 20 });
