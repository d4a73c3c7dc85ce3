/**
 * A thread that dies holding half-open trial permits leaks nothing forever: once trialTimeoutMs
 * has passed on the (manual, shared) clock its permits expire, new trials are admitted across
 * threads, stale tickets move nothing, and the circuit can close.
 */
import { describe, expect, it } from 'vitest';
import { BreakerState, ManualClock, type Policy, PolicyPresets, Rejection, ResilienceService } from '../../src/index.js';
import { Holder, type HolderData, type TrialRacerData, type TrialRacerResult, Trials } from '../fixtures/protocol.js';
import { Crew, bump, controlWords, publish } from '../support/sync.js';

const OPEN_MS = 1_000;
const TRIAL_MS = 5_000;
const TRIALS = 3;

const policy = (): Policy => ({
  ...PolicyPresets.standard(),
  rate: Number.POSITIVE_INFINITY,
  adaptive: false,
  failureThreshold: 0.5,
  minimumRequests: 1,
  openTimeoutMs: OPEN_MS,
  trialTimeoutMs: TRIAL_MS,
  halfOpenTrials: TRIALS,
  halfOpenSuccesses: TRIALS,
});

async function abandon(hold: number, mode: HolderData['mode']): Promise<void> {
  const service = new ResilienceService(policy(), { capacity: 4, clock: new ManualClock(2 ** 32 - 2_500) });
  service.registerEndpoint('ep', policy());
  const ep = service.endpoint('ep');
  ep.record(ep.tryAcquire(), false);
  expect(ep.state).toBe(BreakerState.Open);
  service.clock.advance(OPEN_MS);

  // A worker takes `hold` trial permits and dies without reporting them.
  const holderControl = controlWords(Holder.words);
  const holder = new Crew<never>('fixtures/trialHolder.ts', [
    { handle: service.handle, control: holderControl.buffer as SharedArrayBuffer, name: 'ep', hold, mode } satisfies HolderData,
  ]);
  // Two live workers that will race for permits later (started now: they wait for phase 1).
  const racerControl = controlWords(Trials.words(2));
  const racers = new Crew<TrialRacerResult>(
    'fixtures/trialRacer.ts',
    [0, 1].map(
      (id): TrialRacerData => ({
        handle: service.handle,
        control: racerControl.buffer as SharedArrayBuffer,
        id,
        parties: 2,
        name: 'ep',
        attempts: TRIALS + 16,
      }),
    ),
  );
  try {
    await holder.until(holderControl, Holder.HELD, hold);
    if (mode === 'spin') await holder.until(holderControl, Holder.SPINS, 1);
    const dead = Array.from(holderControl.subarray(Holder.TICKETS, Holder.TICKETS + hold));
    expect(dead.every((t) => t >= 0 && (t & 1) === 1)).toBe(true);
    // This thread takes the rest of the permits and reports them all: not enough to close.
    const mine = Array.from({ length: TRIALS - hold }, () => ep.tryAcquire());
    expect(mine.every((t) => t >= 0 && (t & 1) === 1)).toBe(true);
    expect(ep.tryAcquire()).toBe(Rejection.CircuitOpen);
    await holder.terminate(0);
    for (const t of mine) ep.record(t, true);
    expect(ep.state).toBe(BreakerState.HalfOpen);
    expect(ep.tryAcquire()).toBe(Rejection.CircuitOpen);

    // The dead thread's permits stay out until trialTimeoutMs after they were issued...
    service.clock.advance(TRIAL_MS - 1);
    expect(ep.tryAcquire()).toBe(Rejection.CircuitOpen);
    expect(ep.state).toBe(BreakerState.HalfOpen);
    service.clock.advance(1);

    // ...then two live workers racing for new permits get exactly halfOpenTrials of them.
    bump(racerControl, Trials.SEQ);
    await racers.until(racerControl, Trials.DONE, 2);
    const admitted = [0, 1].map((id) => Atomics.load(racerControl, Trials.ADMITTED + id));
    expect(admitted.reduce((a, b) => a + b, 0)).toBe(TRIALS);
    expect(ep.state).toBe(BreakerState.HalfOpen);

    // Tickets of the expired generation (the dead thread's, and this thread's reported ones) move nothing.
    for (const t of [...dead, ...mine]) ep.record(t, true);
    expect(ep.state).toBe(BreakerState.HalfOpen);

    // The new trials succeed, from both workers at once: the circuit closes.
    publish(racerControl, Trials.OUTCOME, 1);
    bump(racerControl, Trials.SEQ);
    await racers.until(racerControl, Trials.DONE, 4);
    expect(ep.state).toBe(BreakerState.Closed);
    for (const t of dead) ep.record(t, false);
    expect(ep.state).toBe(BreakerState.Closed);
    const ticket = ep.tryAcquire();
    expect(ticket >= 0 && (ticket & 1) === 0).toBe(true);
    ep.record(ticket, true);

    publish(racerControl, Trials.STOP, 1);
    bump(racerControl, Trials.SEQ);
    const results = await racers.results();
    expect(results.map((r) => r.unexpected)).toEqual([0, 0]);
  } finally {
    await holder.dispose();
    await racers.dispose();
  }
}

describe('a worker terminated while holding trial permits', () => {
  it('blocked in Atomics.wait holding 1 of 3 permits: they expire after trialTimeoutMs and the circuit closes', async () => {
    await abandon(1, 'block');
  });

  it('busy calling tryAcquire holding all 3 permits: they expire after trialTimeoutMs and the circuit closes', async () => {
    await abandon(TRIALS, 'spin');
  });
});
