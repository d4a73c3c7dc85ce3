/**
 * Worker pools: `createResilientPool(service, options)` (src/piscina.ts) starts piscina workers
 * that find the service's handle in their workerData; tasks that call `sharedResilience()` (the
 * worker entry point) share the main thread's breakers, limiters and statistics.
 *
 * piscina starts its workers with plain Node, which cannot load TypeScript: `filename` points at
 * test/fixtures/service-pool-bootstrap.mjs, which registers tsx in the worker and re-exports the
 * default task of test/fixtures/service-pool-task.ts (the example a README can show).
 */
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BreakerState, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import { createResilientPool } from '../../src/piscina.js';
import type { FetchResult, FetchTask } from '../fixtures/service-pool-task.js';

const filename = fileURLToPath(new URL('../fixtures/service-pool-bootstrap.mjs', import.meta.url));

/** Never opens, never limits: every call is counted and nothing else happens. */
const counting = (): Policy => ({ ...PolicyPresets.network(), classifier: 'all', minimumRequests: 2 ** 30, rate: Number.POSITIVE_INFINITY });

const keys = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${i % 5 === 0 ? 'bad-' : ''}${prefix}-${i}`);

describe('piscina pools sharing a service', () => {
  it('tasks run in pool threads through sharedResilience(); their counts are the main service’s', async () => {
    const service = new ResilienceService(PolicyPresets.standard(), { env: false });
    service.registerEndpoint('remote-cache', counting());
    // A call from the main thread too: the pool adds to it.
    await service.execute('remote-cache', () => 'main');
    const pool = createResilientPool(service, { filename, minThreads: 2, maxThreads: 2 });
    try {
      expect(pool.threads).toHaveLength(2);
      const tasks: FetchTask[] = Array.from({ length: 8 }, (_, t) => ({ endpoint: 'remote-cache', keys: keys(`t${t}`, 250), failingPrefix: 'bad-' }));
      const results = (await Promise.all(tasks.map((task) => pool.run(task)))) as FetchResult[];

      // Each task: its calls went through, the failing ones failed.
      for (const [t, result] of results.entries()) {
        const task = tasks[t] as FetchTask;
        expect(result.failed).toEqual(task.keys.filter((k) => k.startsWith('bad-')));
        expect(Object.keys(result.fetched)).toEqual(task.keys.filter((k) => !k.startsWith('bad-')));
        expect(result.threadId).not.toBe(threadId);
      }
      // Two pool threads took part (8 tasks queued at once on 2 threads that each run one at a time).
      const threads = new Set(results.map((r) => r.threadId));
      expect(threads.size).toBe(2);
      expect([...threads].sort()).toEqual(pool.threads.map((w) => w.threadId).sort());

      // The main service counts every call made in the pool, exactly.
      const calls = tasks.reduce((n, task) => n + task.keys.length, 0);
      const failures = results.reduce((n, r) => n + r.failed.length, 0);
      expect(failures).toBe(8 * 50);
      expect(service.getBreakerStatistics('remote-cache')).toMatchObject({ total: calls + 1, failures, state: BreakerState.Closed });
      expect(service.getLimiterMetrics('remote-cache').accepted).toBe(calls + 1);
      expect(service.getAllStats().find((s) => s.endpoint === 'remote-cache')).toMatchObject({ totalRequests: calls + 1, failures });
    } finally {
      await pool.destroy();
      service.close();
    }
  });
});
