import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BreakerState, isNetworkError, PolicyBuilder, PolicyPresets, ResilienceService } from '../../src/index.js';
import { ResilientCacheTransport } from '../../src/integrations/cache/ResilientCacheTransport.js';
import type { CacheWorkerData, CacheWorkerReply } from '../fixtures/cache-worker.js';
import { hasNginx, type NginxServer, requireNginx, startNginx } from '../support/nginx.js';
import { runWorker } from '../support/workers.js';

requireNginx('cache across threads');

describe.skipIf(!hasNginx)('ResilientCacheTransport across worker threads (real nginx)', () => {
  let nginx: NginxServer;
  beforeAll(async () => {
    nginx = await startNginx();
  });
  afterAll(async () => {
    await nginx?.dispose();
  });

  it("a worker's transport shares the endpoint: same policy, and the circuit the main thread opened rejects it without a call", async () => {
    const resilience = new ResilienceService(PolicyPresets.standard(), { env: false });
    try {
      const policy = PolicyBuilder.from(PolicyPresets.network()).withMinimumRequests(3).withBreakerThreshold(0.5).withBreakerTimeout('1m').build();
      const cache = new ResilientCacheTransport({ baseUrl: nginx.baseUrl, policy, retry: { attempts: 1 } }, resilience);
      const hash = 'feedf00d';
      await cache.put('cas', hash, new TextEncoder().encode('shared'));
      const data: CacheWorkerData = { handle: resilience.handle, baseUrl: nginx.baseUrl, hash };

      const first = await runWorker<CacheWorkerReply>('fixtures/cache-worker.ts', data);
      expect(first).toMatchObject({ endpoint: cache.endpoint, minimumRequests: 3, text: 'shared' });
      expect(resilience.getBreakerStatistics(cache.endpoint).total).toBe(2);

      await nginx.stop();
      for (let i = 0; i < 2; i++) await expect(cache.get('cas', hash)).rejects.toSatisfy(isNetworkError);
      expect(resilience.endpoint(cache.endpoint).state).toBe(BreakerState.Open);

      const second = await runWorker<CacheWorkerReply>('fixtures/cache-worker.ts', data);
      expect(second.error).toEqual({ name: 'CircuitOpenError', code: 'CIRCUIT_OPEN' });
      expect(second.ms).toBeLessThan(50);
      expect(resilience.getBreakerStatistics(cache.endpoint)).toMatchObject({ total: 4, failures: 2, rejected: 1 });
    } finally {
      resilience.close();
      if (nginx.pid === undefined) await nginx.start();
    }
  });
});
