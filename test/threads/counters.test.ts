/**
 * No lost updates: N workers x M tryAcquire + record on shared endpoints give exactly N x M
 * admitted calls and exactly the failures recorded, in the lifetime totals and in the window.
 */
import { describe, expect, it } from 'vitest';
import { BreakerState, ManualClock, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import type { HammerData, HammerResult } from '../fixtures/hammer.js';
import { totalsOf, windowOf } from '../support/inspect.js';
import { Crew, controlWords } from '../support/sync.js';

/** Unlimited rate, and a breaker that cannot open (the window never holds 2^30 calls). */
const neverLimited = (): Policy => ({
  ...PolicyPresets.standard(),
  rate: Number.POSITIVE_INFINITY,
  failureThreshold: 1,
  minimumRequests: 2 ** 30,
});

const OPS = 1_000_000;

async function hammer(workers: number, names: readonly string[]): Promise<void> {
  const service = new ResilienceService(neverLimited(), { capacity: 8, clock: new ManualClock(1_000) });
  for (const name of names) {
    service.registerEndpoint(name, neverLimited());
    // One call from main starts the window's bucket, so the window then holds every call exactly.
    const ep = service.endpoint(name);
    ep.record(ep.tryAcquire(), true);
  }
  const control = controlWords(1);
  const failEvery = (id: number): number => 2 + id;
  const crew = new Crew<HammerResult>(
    'fixtures/hammer.ts',
    Array.from(
      { length: workers },
      (_, id): HammerData => ({
        handle: service.handle,
        control: control.buffer as SharedArrayBuffer,
        startWord: 0,
        parties: workers,
        names,
        ops: OPS,
        failEvery: failEvery(id),
      }),
    ),
  );
  try {
    const results = await crew.results();
    let expectedFailures = 0;
    for (let id = 0; id < workers; id++) expectedFailures += Math.ceil(OPS / failEvery(id));
    for (const [e, name] of names.entries()) {
      // What the workers saw: every call admitted.
      expect(results.map((r) => r.rejected[e])).toEqual(results.map(() => 0));
      expect(results.map((r) => r.admitted[e])).toEqual(results.map(() => OPS));
      const totals = totalsOf(service.handle, name);
      const { admitted, failures, rejectedOpen, rejectedRate, transitions } = totals;
      expect({ name, admitted, failures, rejectedOpen, rejectedRate, transitions }).toEqual({
        name,
        admitted: workers * OPS + 1,
        failures: expectedFailures,
        rejectedOpen: 0,
        rejectedRate: 0,
        transitions: 0,
      });
      expect(windowOf(service.handle, name)).toEqual({ total: workers * OPS + 1, failures: expectedFailures });
      expect(service.endpoint(name).state).toBe(BreakerState.Closed);
    }
  } finally {
    await crew.dispose();
  }
}

describe('exact counters across threads', () => {
  it('2 workers x 1,000,000 calls on one endpoint', async () => {
    await hammer(2, ['one']);
  });

  it('4 workers (more than the cores, so updates are preempted) x 1,000,000 calls on one endpoint', async () => {
    await hammer(4, ['crowded']);
  });

  it('2 workers x 1,000,000 calls on each of two endpoints, interleaved', async () => {
    await hammer(2, ['left', 'right']);
  });
});
