/**
 * A service that lives for months of manual time: endpoints idle for days behave like fresh ones,
 * an OPEN breaker left alone for weeks half-opens on the next call. Record times are 32-bit and
 * compared by wrapping difference, so all of this depends on the clock's sweep of old times.
 */
import { describe, expect, it } from 'vitest';
import { REAL_CLOCK_START } from '../../src/core/SharedClock.js';
import { BreakerState, type EndpointHandle, type ManualClock, type Policy, Rejection } from '../../src/index.js';
import { DAY } from '../model/arbitraries.js';
import { Lockstep } from '../model/Lockstep.js';
import type { ModelPolicy } from '../model/ReferenceModel.js';
import { random } from '../reliability/support.js';
import { totalsOf } from '../support/inspect.js';
import { BREAKER_MODEL, BREAKER_POLICY, drain, manualClockService } from '../support/service.js';

/** Breaker and window under test; the bucket (1000 per second, burst 1000) never runs out here. */
const breakerPolicy: Policy = BREAKER_POLICY;

/** Bucket under test: 8 tokens per second, burst 6 (binary-exact interval of 125 ms). */
const bucketPolicy: Policy = { ...breakerPolicy, minimumRequests: 1_000, rate: 8, burst: 6 };

type Kind = 'call' | 'trial' | 'open' | 'limited';

/** What a tryAcquire result means, without the generation (which differs between endpoints). */
function kind(ticket: number): Kind {
  if (ticket >= 0) return (ticket & 1) === 1 ? 'trial' : 'call';
  return ticket === Rejection.CircuitOpen ? 'open' : 'limited';
}

describe('60 days of manual time', () => {
  it('with steady activity, agrees with the reference model at every step', () => {
    const models: ModelPolicy[] = [
      // The breaker under test with the bucket of bucketPolicy.
      { ...BREAKER_MODEL, rate: { num: 8, den: 1 }, burst: 6 },
      {
        thresholdPpm: 250_000,
        minimumRequests: 2,
        windowMs: 60_000,
        windowBuckets: 6,
        openTimeoutMs: 30_000,
        halfOpenTrials: 1,
        halfOpenSuccesses: 1,
        trialTimeoutMs: 10_000,
        rate: { num: 1, den: 2 },
        burst: 2,
      },
    ];
    const start = REAL_CLOCK_START;
    const lockstep = new Lockstep(start, models, [0, 1]);
    const rnd = random(20_240_601);
    let outage = false;
    let steps = 0;
    while (lockstep.model.now - start < 60 * DAY) {
      const r = rnd();
      const step = r < 0.5 ? Math.floor(rnd() * 2_000) : r < 0.9 ? Math.floor(rnd() * 600_000) : Math.floor(rnd() * 6 * 3_600_000);
      lockstep.advance(Math.min(step, start + 60 * DAY - lockstep.model.now));
      if (rnd() < 0.05) outage = !outage;
      for (let ep = 0; ep < 2; ep++) {
        lockstep.acquire(ep, 1 + Math.floor(rnd() * 8));
        const fails = outage ? 0.9 : 0.05;
        for (let k = 0; k < 4; k++) lockstep.record(ep, Math.floor(rnd() * 100), rnd() >= fails);
      }
      steps++;
    }
    expect(lockstep.service.clock.now()).toBe(start + 60 * DAY);
    const totals = lockstep.names.map((name) => totalsOf(lockstep.service.handle, name));
    // The run exercised every part: many calls, many trips and recoveries, both kinds of rejection.
    expect(steps).toBeGreaterThan(1_000);
    for (const t of totals) {
      expect(t.admitted).toBeGreaterThan(1_000);
      expect(t.transitions).toBeGreaterThan(20);
      expect(t.rejectedRate).toBeGreaterThan(0);
      expect(t.rejectedOpen).toBeGreaterThan(0);
    }
  });
});

type Trace = Array<Kind | BreakerState>;

/**
 * A fixed script for one endpoint, as a generator that yields each clock step instead of taking
 * it, so that several endpoints can follow it in step on one clock.
 */
function* scriptSteps(ep: EndpointHandle, trace: Trace): Generator<number, void, void> {
  const call = (ok: boolean): void => {
    const ticket = ep.tryAcquire();
    trace.push(kind(ticket));
    ep.record(ticket, ok);
    trace.push(ep.state);
  };
  yield 1_000;
  for (let i = 0; i < 6; i++) call(false);
  yield 4_999;
  call(true);
  yield 1;
  call(true);
  call(false);
  yield 5_000;
  call(true);
  call(true);
  yield 20_000;
  for (let i = 0; i < 3; i++) call(true);
  for (let i = 0; i < 3; i++) call(false);
}

/** Runs the script on every endpoint in step, advancing the shared clock once per step. */
function runTogether(clock: ManualClock, eps: readonly EndpointHandle[]): Trace[] {
  const traces = eps.map((): Trace => []);
  const runs = eps.map((ep, i) => scriptSteps(ep, traces[i] as Trace));
  for (;;) {
    const steps = runs.map((run) => run.next());
    const first = steps[0];
    if (first === undefined || first.done === true) break;
    if (steps.some((s) => s.done === true || s.value !== first.value)) throw new Error('scripts went out of step');
    clock.advance(first.value);
  }
  return traces;
}

/** What a fresh endpoint with `breakerPolicy` must see in the script (worked out from the policy). */
const FRESH: Trace = [
  // 1 s after registration: the window is empty; minimumRequests 4 and threshold 50%.
  'call',
  BreakerState.Closed,
  'call',
  BreakerState.Closed,
  'call',
  BreakerState.Closed,
  'call',
  BreakerState.Open, // 4 of 4 failed
  'open',
  BreakerState.Open,
  'open',
  BreakerState.Open,
  // 4.999 s later: still open.
  'open',
  BreakerState.Open,
  // exactly openTimeoutMs after the trip: a good trial, then a failed one reopens.
  'trial',
  BreakerState.HalfOpen,
  'trial',
  BreakerState.Open,
  // 5 s later: two successful trials close (and empty the window).
  'trial',
  BreakerState.HalfOpen,
  'trial',
  BreakerState.Closed,
  // 20 s later: 3 good calls, then failures: 1/4, 2/5 stay closed, 3/6 = 50% opens.
  'call',
  BreakerState.Closed,
  'call',
  BreakerState.Closed,
  'call',
  BreakerState.Closed,
  'call',
  BreakerState.Closed,
  'call',
  BreakerState.Closed,
  'call',
  BreakerState.Open,
];

const IDLE: ReadonlyArray<[string, number]> = [
  ['7 days', 7 * DAY],
  ['24.8 days (2^31 ms)', 2 ** 31],
  ['30 days', 30 * DAY],
  ['49.7 days (2^32 ms)', 2 ** 32],
  ['2^32 ms minus 3 s', 2 ** 32 - 3_000],
  ['100 days', 100 * DAY],
];

describe('an endpoint left idle', () => {
  it('(the script gives the worked-out trace on a fresh endpoint)', () => {
    const { clock, svc } = manualClockService(breakerPolicy, REAL_CLOCK_START);
    svc.registerEndpoint('fresh', breakerPolicy);
    expect(runTogether(clock, [svc.endpoint('fresh')])[0]).toEqual(FRESH);
  });

  it.each(IDLE)('for %s has the breaker and window of a fresh endpoint', (_label, idle) => {
    const { clock, svc } = manualClockService(breakerPolicy, REAL_CLOCK_START);
    svc.registerEndpoint('old', breakerPolicy);
    const old = svc.endpoint('old');
    // History: the script (trips, recoveries, ends OPEN), a recovery, then three failures in
    // the window, one short of tripping, and a window bucket that is still open.
    runTogether(clock, [old]);
    clock.advance(5_000);
    old.record(old.tryAcquire(), true);
    old.record(old.tryAcquire(), true);
    expect(old.state).toBe(BreakerState.Closed);
    clock.advance(2_000);
    for (let i = 0; i < 3; i++) old.record(old.tryAcquire(), false);
    clock.advance(500);
    expect(old.state).toBe(BreakerState.Closed);

    clock.advance(idle);
    svc.registerEndpoint('fresh', breakerPolicy);
    const [oldTrace, freshTrace] = runTogether(clock, [old, svc.endpoint('fresh')]);
    expect(freshTrace).toEqual(FRESH);
    expect(oldTrace).toEqual(FRESH);
  });

  // Regression: before 10cbb00 a batch used up just before the pause was charged to the bucket
  // only at the next refill, after the pause, so the endpoint started the next burst empty.
  it.each([
    ['7 days', 7 * DAY],
    ['30 days', 30 * DAY],
    ['49.7 days (2^32 ms)', 2 ** 32],
  ])('for %s has the full burst of a fresh endpoint', (_label, idle) => {
    const { clock, svc } = manualClockService(bucketPolicy, REAL_CLOCK_START);
    svc.registerEndpoint('old', bucketPolicy);
    const old = svc.endpoint('old');
    // Exactly the burst: the last token is taken and nothing asks for another before the pause.
    for (let i = 0; i < 6; i++) expect(old.tryAcquire()).toBeGreaterThanOrEqual(0);
    clock.advance(idle);
    svc.registerEndpoint('fresh', bucketPolicy);
    expect(drain(svc.endpoint('fresh'))).toBe(6);
    expect(drain(old)).toBe(6);
  });

  it.each([
    ['24.9 days', 2 ** 31 + 3_600_000],
    ['40 days', 40 * DAY],
    ['49.7 days (2^32 ms)', 2 ** 32],
    ['2^32 ms plus the open timeout', 2 ** 32 + 5_000],
  ])('an OPEN breaker left for %s half-opens on the next call', (_label, idle) => {
    const { clock, svc } = manualClockService(breakerPolicy, REAL_CLOCK_START);
    svc.registerEndpoint('ep', breakerPolicy);
    const ep = svc.endpoint('ep');
    for (let i = 0; i < 4; i++) ep.record(ep.tryAcquire(), false);
    expect(ep.state).toBe(BreakerState.Open);
    clock.advance(idle);
    const ticket = ep.tryAcquire();
    expect(kind(ticket)).toBe('trial');
    expect(ep.state).toBe(BreakerState.HalfOpen);
    ep.record(ticket, true);
    ep.record(ep.tryAcquire(), true);
    expect(ep.state).toBe(BreakerState.Closed);
  });

  it.each([
    ['40 days', 40 * DAY],
    ['49.7 days (2^32 ms)', 2 ** 32],
  ])('a HALF_OPEN breaker whose permits are all out, left for %s, admits a new trial', (_label, idle) => {
    const { clock, svc } = manualClockService(breakerPolicy, REAL_CLOCK_START);
    svc.registerEndpoint('ep', breakerPolicy);
    const ep = svc.endpoint('ep');
    for (let i = 0; i < 4; i++) ep.record(ep.tryAcquire(), false);
    clock.advance(5_000);
    const lost = [ep.tryAcquire(), ep.tryAcquire()]; // both permits taken, never answered
    expect(lost.map(kind)).toEqual(['trial', 'trial']);
    expect(ep.tryAcquire()).toBe(Rejection.CircuitOpen);
    clock.advance(idle);
    const ticket = ep.tryAcquire();
    expect(kind(ticket)).toBe('trial');
    expect(ticket).not.toBe(lost[0]);
    expect(ep.state).toBe(BreakerState.HalfOpen);
  });
});
