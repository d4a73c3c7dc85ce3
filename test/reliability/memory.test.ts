/**
 * Memory: a build daemon registers and unregisters endpoint names for months. Doing it with
 * distinct names (`ep-${i}`) on a service of small capacity must not grow memory without bound —
 * neither the slab (fixed) nor the JavaScript heap of the thread doing it — whether the names go
 * through registerEndpoint / unregisterEndpoint, through `service.endpoint(name)` (each thread
 * caches a handle per name) or through `execute(name, …)`.
 *
 * Heap figures are taken after full garbage collections (gc is exposed to this file through
 * v8.setFlagsFromString, so no vitest option is needed). Each loop is measured from after a
 * warm-up (so one-off allocations do not count) to the end; the growth must stay under a fixed
 * budget whatever the number of names.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import { reportFigures, scaled, STRESS, tally } from './support.js';

afterAll(reportFigures);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heap(): { heap: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

const policy: Policy = { ...PolicyPresets.standard(), rate: Number.POSITIVE_INFINITY, adaptive: false };
/** Heap a loop may grow by from its warm-up to its end, whatever its length. */
const HEAP_BUDGET = 8 * 2 ** 20;

interface Growth {
  readonly names: number;
  readonly ms: number;
  readonly heapGrowth: number;
  readonly rssGrowth: number;
}

async function measure(names: number, body: (service: ResilienceService, name: string) => void | Promise<void>): Promise<Growth> {
  const service = new ResilienceService(policy, { capacity: 16, env: false });
  const warmUp = Math.min(10_000, names / 10);
  try {
    for (let i = 0; i < warmUp; i++) await body(service, `ep-${i}`);
    const before = heap();
    const started = performance.now();
    for (let i = warmUp; i < names; i++) await body(service, `ep-${i}`);
    const ms = performance.now() - started;
    const after = heap();
    expect(service.endpointNames()).toEqual([]);
    return { names, ms, heapGrowth: after.heap - before.heap, rssGrowth: after.rss - before.rss };
  } finally {
    service.close();
  }
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function report(label: string, g: Growth): void {
  tally(`memory: ${label}: names`, g.names);
  tally(`memory: ${label}: seconds`, g.ms / 1000);
  tally(`memory: ${label}: heap growth, KB`, g.heapGrowth / 1024);
  tally(`memory: ${label}: RSS growth, MB`, g.rssGrowth / 2 ** 20);
}

describe('memory stays bounded under endless registration churn', () => {
  const N = scaled(200_000, 1_000_000);

  it(`registerEndpoint + unregisterEndpoint of ${N.toLocaleString('en-US')} distinct names`, async () => {
    const g = await measure(N, (service, name) => {
      service.registerEndpoint(name, policy);
      service.unregisterEndpoint(name);
    });
    report('register/unregister', g);
    expect(g.heapGrowth, `heap grew by ${mb(g.heapGrowth)} over ${N} names`).toBeLessThan(HEAP_BUDGET);
    expect(g.ms, 'time for the loop').toBeLessThan(STRESS ? 120_000 : 30_000);
  }, 300_000);

  // About 560 and 740 bytes a name at the time of writing: 100,000 names are enough to tell.
  const H = scaled(100_000, 200_000);

  it(`service.endpoint(name).tryAcquire() + unregisterEndpoint of ${H.toLocaleString('en-US')} distinct names`, async () => {
    const g = await measure(H, (service, name) => {
      const ep = service.endpoint(name);
      ep.record(ep.tryAcquire(), true);
      service.unregisterEndpoint(name);
    });
    report('endpoint()/unregister', g);
    // Expected: a handle whose endpoint was unregistered is not kept for ever by the thread's cache.
    expect(g.heapGrowth, `heap grew by ${mb(g.heapGrowth)} over ${H} names (${(g.heapGrowth / H).toFixed(0)} bytes a name)`).toBeLessThan(HEAP_BUDGET);
  }, 300_000);

  it(`execute(name, …) + unregisterEndpoint of ${H.toLocaleString('en-US')} distinct names`, async () => {
    const g = await measure(H, async (service, name) => {
      await service.execute(name, () => 1);
      service.unregisterEndpoint(name);
    });
    report('execute()/unregister', g);
    expect(g.heapGrowth, `heap grew by ${mb(g.heapGrowth)} over ${H} names (${(g.heapGrowth / H).toFixed(0)} bytes a name)`).toBeLessThan(HEAP_BUDGET);
  }, 300_000);
});
