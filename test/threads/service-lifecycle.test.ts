/**
 * A thread's life around execute(): a worker (or a main thread) whose only pending work is a
 * call through the service must stay alive until that call settles, and nothing of a settled
 * call may keep it alive afterwards.
 */
import { describe, expect, it } from 'vitest';
import { type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import type { LifecycleData, LifecycleResult } from '../fixtures/service-lifecycle.js';
import { monoMs } from '../fixtures/service-protocol.js';
import { spawn } from '../support/workers.js';

const base = (): Policy => ({ ...PolicyPresets.standard(), failureThreshold: 1, minimumRequests: 2 ** 30, adaptive: false });

interface Outcome {
  readonly result: LifecycleResult | undefined;
  readonly exitCode: number;
  /** monoMs() at exit, or undefined when the worker was still running `lingerMs` after its result. */
  readonly exitedAt: number | undefined;
}

/** Runs the fixture; a worker still alive `lingerMs` real ms after posting its result is terminated (and reported). */
function run(data: LifecycleData, lingerMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const worker = spawn('fixtures/service-lifecycle.ts', data);
    let result: LifecycleResult | undefined;
    let lingering: ReturnType<typeof setTimeout> | undefined;
    worker.once('message', (value: LifecycleResult) => {
      result = value;
      lingering = setTimeout(() => {
        void worker.terminate().then((exitCode) => resolve({ result, exitCode, exitedAt: undefined }));
      }, lingerMs);
    });
    worker.once('error', reject);
    worker.once('exit', (exitCode) => {
      clearTimeout(lingering);
      resolve({ result, exitCode, exitedAt: monoMs() });
    });
  });
}

describe('thread lifetime around execute()', () => {
  it('a worker whose only pending work is a call waiting for a token stays alive until it is served', async () => {
    const service = new ResilienceService(base(), { env: false });
    service.registerEndpoint('slow', { ...base(), rate: 20, burst: 1 });
    try {
      const outcome = await run({ handle: service.handle, mode: 'wait', endpoint: 'slow' }, 5_000);
      // Expected: both calls served, then a normal exit. (A worker that exits while its call waits
      // for a token never posts: its call was dropped with the thread.)
      expect(outcome.result?.values, `the worker exited with code ${outcome.exitCode} while its call waited for a token`).toEqual([
        'first',
        'second',
      ]);
      expect(service.getLimiterMetrics('slow').accepted).toBe(2);
    } finally {
      service.close();
    }
  });

  it('a call with a long timeout that has settled does not keep its thread alive', async () => {
    const service = new ResilienceService(base(), { env: false });
    service.registerEndpoint('fast', { ...base(), rate: Number.POSITIVE_INFINITY });
    try {
      const outcome = await run({ handle: service.handle, mode: 'timeout', endpoint: 'fast' }, 1_500);
      expect(outcome.result?.values).toEqual(['done']);
      const lingered = outcome.exitedAt === undefined ? Number.POSITIVE_INFINITY : outcome.exitedAt - (outcome.result?.settledAt ?? 0);
      // Expected: the worker exits as soon as its work is done (well under a second), not when the
      // call's 60 s timeout would have passed.
      expect(lingered, 'ms the worker stayed alive after its only call settled').toBeLessThan(1_000);
    } finally {
      service.close();
    }
  });
});
