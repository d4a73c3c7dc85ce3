import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { startWorker } from '../src/core/workerScript.js';
import { BREAKER_STATE_NAMES, PolicyBuilder, PolicyPresets, ResilienceService } from '../src/index.js';
import type { DemoConfig } from './faults.js';

const HELP = `npm run demo -- [options]

A simulated parallel build: worker threads run actions that read two remote caches and report to
a coordinator, all through one shared ResilienceService. cache-1 refuses connections for a while
and comes back; cache-2 becomes slower than the calls' timeout for a while.

  --workers N      worker threads (default: one per core)
  --actions N      actions per worker (default 100000; the run also stops at --duration)
  --duration S     seconds to run (default 10)
  --down A-B       seconds during which cache-1 is down (default 2-5)
  --slow A-B       seconds during which cache-2 is slow (default 6-8)
  --help           this text`;

const { values } = parseArgs({
  options: {
    workers: { type: 'string' },
    actions: { type: 'string' },
    duration: { type: 'string' },
    down: { type: 'string' },
    slow: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help === true) {
  console.log(HELP);
  process.exit(0);
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${name}: expected a positive number, got ${JSON.stringify(raw)}`);
  return n;
}
function span(name: string, raw: string | undefined, fallback: [number, number]): [number, number] {
  if (raw === undefined) return [fallback[0] * 1000, fallback[1] * 1000];
  const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(raw);
  if (m === null || Number(m[1]) >= Number(m[2])) throw new RangeError(`--${name}: expected seconds as A-B with A < B, got ${JSON.stringify(raw)}`);
  return [Number(m[1]) * 1000, Number(m[2]) * 1000];
}

const workers = Math.floor(positive('workers', values.workers, availableParallelism()));
const durationMs = positive('duration', values.duration, 10) * 1000;
const resilience = new ResilienceService(PolicyPresets.standard(), { env: false });
const cachePolicy = PolicyBuilder.from(PolicyPresets.network())
  .withBreakerWindow('2s')
  .withBreakerTimeout('1s')
  .withMinimumRequests(20)
  .withRateLimit(800)
  .withBurstCapacity(200)
  .adaptive(true)
  .build();
resilience.registerEndpoint('cache-1', cachePolicy);
resilience.registerEndpoint('cache-2', cachePolicy);
resilience.registerEndpoint('coordinator', { ...PolicyPresets.highThroughput(), rate: 600, burst: 100 });

const config: DemoConfig = {
  start: resilience.clock.now(),
  durationMs,
  actionsPerWorker: Math.floor(positive('actions', values.actions, 100_000)),
  down: span('down', values.down, [2, 5]),
  slow: span('slow', values.slow, [6, 8]),
};
const elapsed = (): string => `${((resilience.clock.now() - config.start) / 1000).toFixed(1).padStart(5)}s`;

resilience.onStateChange(({ endpoint, from, to }) => {
  console.log(`${elapsed()}  ${endpoint}: circuit ${BREAKER_STATE_NAMES[from]} -> ${BREAKER_STATE_NAMES[to]}`);
});

function table(): void {
  for (const s of resilience.getAllStats()) {
    const l = s.limiterMetrics;
    console.log(
      `${elapsed()}  ${s.endpoint.padEnd(12)} ${BREAKER_STATE_NAMES[s.breakerState].padEnd(9)} rate ${l.currentRate.toFixed(0).padStart(4)}/s` +
        `  accepted ${String(l.accepted).padStart(6)}  rejected ${String(l.rejected).padStart(5)}` +
        `  failures ${String(s.failures).padStart(5)} (${(s.failureRate * 100).toFixed(1)}%)  saved by circuit ${s.rejectedByBreaker}` +
        `  mean wait ${l.avgWaitTimeMs.toFixed(2)} ms`,
    );
  }
}

console.log(`demo: ${workers} workers, ${durationMs / 1000} s; cache-1 down ${config.down.map((x) => x / 1000).join('-')} s, cache-2 slow ${config.slow.map((x) => x / 1000).join('-')} s`);
const timer = setInterval(table, 1000);
let actions = 0;
const results = await Promise.all(
  Array.from({ length: workers }, (_, worker) => {
    const w = startWorker(new URL('./worker.ts', import.meta.url), { workerData: { ...config, handle: resilience.handle, worker } });
    return new Promise<{ done: number; hits: number; failed: number }>((resolve, reject) => {
      w.on('message', (m: { progress: number; done?: number; hits?: number; failed?: number }) => {
        actions += m.progress;
        if (m.done !== undefined) resolve({ done: m.done, hits: m.hits ?? 0, failed: m.failed ?? 0 });
      });
      w.once('error', reject);
    });
  }),
);
clearInterval(timer);
table();
const total = results.reduce((a, r) => ({ done: a.done + r.done, hits: a.hits + r.hits, failed: a.failed + r.failed }), { done: 0, hits: 0, failed: 0 });
const saved = resilience.getAllStats().reduce((n, s) => n + s.rejectedByBreaker, 0);
const waited = resilience.getAllStats().reduce((n, s) => n + s.limiterMetrics.avgWaitTimeMs * s.limiterMetrics.accepted, 0);
console.log(
  `summary: ${total.done} actions (${actions} reported), ${total.hits} cache hits, ${total.failed} coordinator failures, ` +
    `${saved} calls saved by open circuits, ${(waited / 1000).toFixed(2)} s lost to waiting for tokens`,
);
resilience.close();
