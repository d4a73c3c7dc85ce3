/**
 * Half-open admits exactly `halfOpenTrials` trial calls across threads. Over a thousand
 * OPEN -> HALF_OPEN cycles two workers start together and race tryAcquire; the permits they win
 * must add up to the policy's number every time, and the transitions (counted in the slab) must
 * happen exactly once each.
 */
import { describe, expect, it } from 'vitest';
import { BreakerState, ManualClock, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import { type TrialRacerData, type TrialRacerResult, Trials } from '../fixtures/protocol.js';
import { totalsOf } from '../support/inspect.js';
import { Crew, bump, controlWords, publish } from '../support/sync.js';

const WORKERS = 2;
const OPEN_MS = 1_000;

const flaky = (halfOpenTrials: number, halfOpenSuccesses: number): Policy => ({
  ...PolicyPresets.standard(),
  rate: Number.POSITIVE_INFINITY,
  adaptive: false,
  failureThreshold: 0.5,
  minimumRequests: 1,
  openTimeoutMs: OPEN_MS,
  trialTimeoutMs: 3_600_000,
  halfOpenTrials,
  halfOpenSuccesses,
});

const isTrial = (ticket: number): boolean => (ticket & 1) === 1;
const generation = (ticket: number): number => ticket >>> 1;

async function cycles(trials: number, successes: number, count: number): Promise<void> {
  const service = new ResilienceService(flaky(trials, successes), { capacity: 4, clock: new ManualClock(10_000) });
  service.registerEndpoint('flaky', flaky(trials, successes));
  const ep = service.endpoint('flaky');
  const control = controlWords(Trials.words(WORKERS));
  const attempts = trials + 32;
  const crew = new Crew<TrialRacerResult>(
    'fixtures/trialRacer.ts',
    Array.from(
      { length: WORKERS },
      (_, id): TrialRacerData => ({
        handle: service.handle,
        control: control.buffer as SharedArrayBuffer,
        id,
        parties: WORKERS,
        name: 'flaky',
        attempts,
      }),
    ),
  );
  const errors: string[] = [];
  let phase = 0;
  let transitions = 0;
  let failures = 0;
  let split = 0;
  const wins = new Array<number>(WORKERS).fill(0);
  const runPhase = async (): Promise<void> => {
    phase++;
    bump(control, Trials.SEQ);
    await crew.until(control, Trials.DONE, WORKERS * phase);
  };
  try {
    for (let cycle = 0; cycle < count && errors.length < 10; cycle++) {
      if (ep.state === BreakerState.Closed) {
        const ticket = ep.tryAcquire();
        ep.record(ticket, false);
        failures++;
        transitions++;
        const tripped: number = ep.state;
        if (ticket < 0 || isTrial(ticket) || tripped !== BreakerState.Open) {
          errors.push(`cycle ${cycle}: tripping failed (ticket ${ticket}, state ${tripped})`);
          break;
        }
      }
      service.clock.advance(OPEN_MS);

      await runPhase(); // race
      transitions++; // OPEN -> HALF_OPEN, once
      const admitted = Array.from({ length: WORKERS }, (_, id) => Atomics.load(control, Trials.ADMITTED + id));
      const tickets = admitted.flatMap((n, id) =>
        Array.from(control.subarray(Trials.TICKETS + id * Trials.MAX_TICKETS, Trials.TICKETS + id * Trials.MAX_TICKETS + Math.min(n, Trials.MAX_TICKETS))),
      );
      const sum = admitted.reduce((a, b) => a + b, 0);
      if (sum !== trials) errors.push(`cycle ${cycle}: ${sum} trial calls admitted (per thread ${admitted.join(' + ')}), expected ${trials}`);
      if (!tickets.every(isTrial)) errors.push(`cycle ${cycle}: non-trial tickets admitted while half-open: ${tickets.join(', ')}`);
      if (new Set(tickets.map(generation)).size > 1) errors.push(`cycle ${cycle}: trial tickets of several generations: ${tickets.join(', ')}`);
      if (ep.state !== BreakerState.HalfOpen) errors.push(`cycle ${cycle}: state ${ep.state} after the race, expected HALF_OPEN`);
      if (admitted.filter((n) => n > 0).length > 1) split++;
      for (const [id, n] of admitted.entries()) if (n > 0) wins[id] = (wins[id] ?? 0) + 1;

      // Even cycles close the circuit (every trial succeeds), odd ones reopen it (every trial fails).
      const ok = cycle % 2 === 0;
      publish(control, Trials.OUTCOME, ok ? 1 : 0);
      await runPhase(); // record, both threads at once
      transitions++; // HALF_OPEN -> CLOSED or OPEN, once
      if (!ok) failures += sum;
      const want = ok ? BreakerState.Closed : BreakerState.Open;
      if (ep.state !== want) errors.push(`cycle ${cycle}: state ${ep.state} after every trial ${ok ? 'succeeded' : 'failed'}, expected ${want}`);
    }
    publish(control, Trials.STOP, 1);
    bump(control, Trials.SEQ);
    const results = await crew.results();

    expect(errors).toEqual([]);
    const totals = totalsOf(service.handle, 'flaky');
    expect(totals.transitions).toBe(transitions);
    expect(totals.failures).toBe(failures);
    expect(totals.rejectedOpen).toBe(count * (WORKERS * attempts - trials));
    expect(totals.rejectedRate).toBe(0);
    expect(results.map((r) => r.unexpected)).toEqual(results.map(() => 0));
    expect(results.map((r) => r.races)).toEqual(results.map(() => count));
    // The threads really raced: each won permits in some cycle. (How often one cycle's permits were
    // split between them depends on the scheduler: on a loaded 2-core machine one thread can take a
    // whole cycle's permits every time, so it is reported, not required.)
    expect(wins, 'cycles in which each thread won a permit').not.toContain(0);
    if (trials > 1) console.log(`${trials} trials: permits split between the threads in ${split} of ${count} cycles`);
  } finally {
    await crew.dispose();
  }
}

describe('half-open admits exactly halfOpenTrials across threads', () => {
  it('1 trial, 1 success to close: 1,000 cycles', async () => {
    await cycles(1, 1, 1_000);
  });
  it('5 trials, 3 successes to close: 1,000 cycles', async () => {
    await cycles(5, 3, 1_000);
  });
  it('127 trials (the most a policy allows), 127 successes to close: 300 cycles', async () => {
    await cycles(127, 127, 300);
  });
});
