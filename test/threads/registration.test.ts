/**
 * Two threads registering the same names at the same moment get the same records: every name
 * ends up registered once, and the calls of both threads land on its one endpoint.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import type { RegistrarData, RegistrarResult } from '../fixtures/protocol.js';
import { totalsOf } from '../support/inspect.js';
import { Crew, controlWords } from '../support/sync.js';


const OPS = 50;

const unlimited = (): Policy => ({
  ...PolicyPresets.standard(),
  rate: Number.POSITIVE_INFINITY,
  failureThreshold: 1,
  minimumRequests: 2 ** 30,
});

async function race(workers: number, count: number): Promise<void> {
  // Exactly as many records as names: a name registered twice would run out of room and throw.
  const service = new ResilienceService(unlimited(), { capacity: count, clock: new ManualClock(0) });
  const names = Array.from({ length: count }, (_, i) => `remote-cache-${i % 7}.build.internal:${9000 + i}`);
  const control = controlWords(1);
  const crew = new Crew<RegistrarResult>(
    'fixtures/registrar.ts',
    Array.from(
      { length: workers },
      (_, id): RegistrarData => ({
        handle: service.handle,
        control: control.buffer as SharedArrayBuffer,
        id,
        parties: workers,
        names,
        ops: OPS,
      }),
    ),
  );
  try {
    const results = await crew.results();
    expect(results.map((r) => r.rejected)).toEqual(results.map(() => 0));
    expect(results.map((r) => r.admitted)).toEqual(results.map(() => count * OPS));

    const registered = service.endpointNames();
    expect(registered.length).toBe(count);
    expect(new Set(registered).size).toBe(count);
    expect([...registered].sort()).toEqual([...names].sort());
    const wrong: string[] = [];
    for (const name of names) {
      expect(service.hasEndpoint(name)).toBe(true);
      const totals = totalsOf(service.handle, name);
      if (totals.admitted !== workers * OPS || totals.failures !== (workers * OPS) / 2) {
        wrong.push(`${name}: ${totals.admitted} admitted, ${totals.failures} failures`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  } finally {
    await crew.dispose();
  }
}

describe('concurrent registration of the same names', () => {
  it('2 workers reach each of 2,000 names together: one record each, all calls counted on it', async () => {
    await race(2, 2_000);
  });

  it('3 workers (more than the cores) reach each of 600 names together', async () => {
    await race(3, 600);
  });
});
