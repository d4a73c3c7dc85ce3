/**
 * Faults: workers terminated at random points (mid-acquire, mid-registration, holding trial
 * permits, waiting for a token), listeners that throw or misbehave, operations that never settle,
 * the clock jumping forward by days, the wall clock changing, and a slab at capacity. After each
 * fault the shared state must be consistent and nothing may stay stuck.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  BreakerState,
  isCapacityError,
  isResilienceTimeoutError,
  ManualClock,
  type Policy,
  PolicyPresets,
  Priority,
  Rejection,
  ResilienceService,
} from '../../src/index.js';
import { Victim, type VictimData } from '../fixtures/reliability-victim.js';
import { totalsOf } from '../support/inspect.js';
import { controlWords } from '../support/sync.js';
import { spawn } from '../support/workers.js';
import { WorkerExecutor } from './harness.js';
import { between, breakerOf, eventually, headerOf, pause, random, recordsOf, reportFigures, SEED, scaled, STRESS, tally, waitersOf } from './support.js';
import type { Outcome } from './wire.js';

afterAll(reportFigures);

const quiet = (): Policy => ({ ...PolicyPresets.standard(), adaptive: false, classifier: 'all', failureThreshold: 1, minimumRequests: 2 ** 30 });
const unlimited = (): Policy => ({ ...quiet(), rate: Number.POSITIVE_INFINITY });

/** Runs `body` with process warnings captured instead of printed; returns them. */
async function capturingWarnings(body: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error) => {
    warnings.push(String(warning));
  }) as typeof process.emitWarning;
  try {
    await body();
  } finally {
    process.emitWarning = original;
  }
  return warnings;
}

describe('a worker terminated at a random point', () => {
  const KILLS = scaled(8, 120);

  it(`${KILLS} workers killed mid-acquire, mid-registration, holding trial permits or waiting for tokens: nothing is lost or stuck`, async () => {
    const next = random(SEED);
    const context = `(SEED=${SEED})`;
    const clock = new ManualClock(2 ** 32 - 30_000);
    const service = new ResilienceService(quiet(), { clock, capacity: 128, env: false });
    service.registerEndpoint('counted', unlimited());
    const trialPolicy: Policy = {
      ...unlimited(),
      failureThreshold: 0.5,
      minimumRequests: 1,
      openTimeoutMs: 1_000,
      halfOpenTrials: 3,
      halfOpenSuccesses: 2,
      trialTimeoutMs: 5_000,
    };
    service.registerEndpoint('trial', trialPolicy);
    const trial = service.endpoint('trial');
    trial.record(trial.tryAcquire(), false);
    expect(trial.state).toBe(BreakerState.Open);
    service.registerEndpoint('waiting', { ...quiet(), rate: 0.001, burst: 1 });
    expect(service.endpoint('waiting').tryAcquire()).toBeGreaterThanOrEqual(0); // the only token: every later call waits

    const control = controlWords(Victim.words);
    let lockLeftHeld = 0;
    let slowestRegistrationMs = 0;
    let mostWaiters = 0;
    let registryKills = 0;
    let mostRecordsUsed = 0;
    for (let round = 0; round < KILLS; round++) {
      const mode = round % 4 === 3 ? 'registry' : 'mixed';
      if (mode === 'registry') registryKills++;
      const worker = spawn('fixtures/reliability-victim.ts', {
        handle: service.handle,
        control: control.buffer as SharedArrayBuffer,
        id: round,
        seed: (SEED + round) >>> 0,
        mode,
        counted: 'counted',
        trial: 'trial',
        waiting: 'waiting',
      } satisfies VictimData);
      const failed = new Promise<never>((_, reject) => worker.once('error', reject));
      failed.catch(() => {});
      await Promise.race([eventually(() => Atomics.load(control, Victim.RUNNING) > round, 30_000), failed]);
      await pause(between(next, 0, 30));
      await worker.terminate();

      // The totals lie between what the dead thread had finished and what it had started.
      const t = totalsOf(service.handle, 'counted');
      expect(t.admitted, `admitted after kill ${round} ${context}`).toBeGreaterThanOrEqual(Atomics.load(control, Victim.ADMITTED));
      expect(t.admitted, `admitted after kill ${round} ${context}`).toBeLessThanOrEqual(Atomics.load(control, Victim.STARTED));
      expect(t.failures, `failures after kill ${round} ${context}`).toBeGreaterThanOrEqual(Atomics.load(control, Victim.FAILED));
      expect(t.failures, `failures after kill ${round} ${context}`).toBeLessThanOrEqual(Atomics.load(control, Victim.FAIL_STARTED));

      // The registry still works (a lock left held by the dead thread is displaced in about 2 s).
      if (headerOf(service.handle).lock !== 0) lockLeftHeld++;
      const started = performance.now();
      service.registerEndpoint(`probe-${round}`, unlimited());
      expect(service.unregisterEndpoint(`probe-${round}`)).toBe(true);
      slowestRegistrationMs = Math.max(slowestRegistrationMs, performance.now() - started);

      // Names, lookups and the live count agree.
      const names = service.endpointNames();
      expect(new Set(names).size, `duplicate names after kill ${round}: ${names.join(', ')}`).toBe(names.length);
      for (const name of names) expect(service.hasEndpoint(name), `${name} listed but not found after kill ${round}`).toBe(true);
      expect(headerOf(service.handle).live, `live count after kill ${round}`).toBe(names.length);
      // Every record is registered or free, once: none leaked by a registration cut short.
      const records = recordsOf(service.handle);
      expect({ leaked: records.leaked, doubled: records.doubled, registered: records.registered }, `records after kill ${round} ${context}`).toEqual({
        leaked: [],
        doubled: [],
        registered: names.length,
      });
      if (records.used > mostRecordsUsed) mostRecordsUsed = records.used;
      // The dead thread's own names are unregistered by another thread (and their records reused).
      for (const name of names) if (name.startsWith(`victim-${round}-`)) expect(service.unregisterEndpoint(name)).toBe(true);

      // Half-open never has more permits out than it allows.
      const b = breakerOf(service.handle, 'trial');
      expect(b.trials).toBeLessThanOrEqual(b.maxTrials);
      mostWaiters = Math.max(mostWaiters, waitersOf(service.handle, 'waiting').total);
      // Time moves on between deaths (permits and waiter counts of the dead go stale meanwhile).
      clock.advance(between(next, 0, 3_000));
    }

    // Waiter counts of dead threads expire: a Low call clears them and is not blocked by them.
    expect(mostWaiters, 'the victims were waiting for tokens when killed').toBeGreaterThan(0);
    clock.advance(2_001);
    service.registerEndpoint('waiting', { ...quiet(), rate: 1_000, burst: 1 });
    clock.advance(10);
    expect(service.endpoint('waiting').tryAcquire(Priority.Low), 'a Low call once the dead waiters are stale').toBeGreaterThanOrEqual(0);
    expect(waitersOf(service.handle, 'waiting')).toEqual({ total: 0, perClass: [0, 0, 0, 0] });

    // Trial permits of dead threads expire: the circuit can close.
    let closed = false;
    for (let attempt = 0; attempt < 20 && !closed; attempt++) {
      clock.advance(trialPolicy.trialTimeoutMs + trialPolicy.openTimeoutMs);
      for (let k = 0; k < trialPolicy.halfOpenTrials; k++) {
        const ticket = trial.tryAcquire();
        if (ticket >= 0) trial.record(ticket, true);
      }
      closed = trial.state === BreakerState.Closed;
    }
    expect(closed, `the trial circuit closes (${JSON.stringify(breakerOf(service.handle, 'trial'))})`).toBe(true);
    service.close();

    tally('faults: workers terminated at random points', KILLS);
    tally('faults: of which in a registration-only loop', registryKills);
    tally('faults: deaths that left the registration lock held', lockLeftHeld);
    tally('faults: most endpoint records ever allocated (capacity 128)', mostRecordsUsed);
    tally('faults: slowest registration after a death, ms', slowestRegistrationMs);
    tally('faults: calls left waiting by dead threads (most at once)', mostWaiters);
  }, STRESS ? 900_000 : 120_000);
});

describe('listeners that throw or misbehave', () => {
  it('a throwing, a self-disposing, a subscribing and a re-entrant listener: the others get every event exactly once', async () => {
    const clock = new ManualClock(5_000);
    const service = new ResilienceService(quiet(), { clock, capacity: 8, env: false });
    const flappy: Policy = { ...unlimited(), failureThreshold: 0.5, minimumRequests: 1, openTimeoutMs: 100, halfOpenTrials: 1, halfOpenSuccesses: 1 };
    service.registerEndpoint('flappy', flappy);
    const ep = service.endpoint('flappy');
    const CYCLES = 40;
    const recorded: string[] = [];
    let firstOnly = 0;
    const late: string[] = [];
    let reentrant = 0;
    const warnings = await capturingWarnings(async () => {
      service.onStateChange(() => {
        throw new Error('listener failure (expected)');
      });
      service.onStateChange((e) => {
        recorded.push(`${e.from}>${e.to}`);
      });
      service.onStateChange(() => {
        throw 'a string, not an Error';
      });
      const once = service.onStateChange(() => {
        firstOnly++;
        once.dispose();
      });
      let subscribed = false;
      service.onStateChange(() => {
        if (subscribed) return;
        subscribed = true;
        service.onStateChange((e) => {
          late.push(`${e.from}>${e.to}`);
        });
      });
      service.onStateChange(() => {
        // Re-entrant use of the service from inside delivery.
        reentrant += service.getAllStats().length;
        service.registerEndpoint('other', unlimited());
        service.unregisterEndpoint('other');
      });
      service.events.on('stateChange', () => {
        throw new RangeError('emitter listener failure (expected)');
      });
      service.onMetricsUpdate = () => {
        throw new Error('metrics callback failure (expected)');
      };
      for (let i = 0; i < CYCLES; i++) {
        ep.record(ep.tryAcquire(), false); // CLOSED -> OPEN
        clock.advance(100);
        ep.record(ep.tryAcquire(), true); // OPEN -> HALF_OPEN -> CLOSED
        if (i % 7 === 0) await pause(15); // sometimes let the poller deliver mid-way
      }
      expect(await eventually(() => recorded.length >= 3 * CYCLES, 5_000)).toBe(true);
      await pause(50);
    });
    expect(recorded).toEqual(Array.from({ length: CYCLES }, () => ['0>1', '1>2', '2>0']).flat());
    expect(firstOnly).toBe(1);
    expect(late.length).toBeGreaterThan(0);
    expect(late).toEqual(recorded.slice(recorded.length - late.length));
    expect(reentrant).toBeGreaterThan(0);
    // Each event: the throwing listener, the string-throwing one and the emitter listener; the metrics
    // callback on each event and on its periodic calls.
    expect(warnings.filter((w) => /listener failure|a string, not|emitter listener failure/.test(w)).length).toBe(3 * 3 * CYCLES);
    expect(warnings.filter((w) => /metrics callback failure/.test(w)).length).toBeGreaterThanOrEqual(3 * CYCLES);
    expect(service.endpointNames()).toEqual(['flappy']);
    service.close();
    tally('faults: events delivered past throwing listeners', recorded.length);
  });
});

describe('operations that never settle', () => {
  it('with a timeout: rejects with ResilienceTimeoutError on time, aborts the signal, counts a failure, leaves no waiter', async () => {
    const service = new ResilienceService(quiet(), { capacity: 4, env: false });
    const N = scaled(40, 400);
    service.registerEndpoint('hang', { ...quiet(), rate: 1_000, burst: N });
    const timeouts = Array.from({ length: N }, (_, i) => 5 + (i % 60));
    const signals: AbortSignal[] = [];
    const start = performance.now();
    const outcomes = await Promise.allSettled(
      timeouts.map((timeout, i) =>
        service.execute(
          'hang',
          (signal) => {
            signals.push(signal);
            return new Promise<never>(() => {});
          },
          [Priority.Low, Priority.Normal, Priority.High, Priority.Critical][i % 4],
          timeout,
        ),
      ),
    );
    const took = performance.now() - start;
    expect(outcomes.every((o) => o.status === 'rejected' && isResilienceTimeoutError(o.reason))).toBe(true);
    expect(took).toBeLessThan(65 + 3_000);
    expect(signals.length).toBe(N);
    expect(signals.every((s) => s.aborted && isResilienceTimeoutError(s.reason))).toBe(true);
    const b = service.getBreakerStatistics('hang');
    expect([b.total, b.failures]).toEqual([N, N]);
    expect(waitersOf(service.handle, 'hang').total).toBe(0);
    service.close();
    tally('faults: never-settling operations ended by their timeout', N);
  });

  it('as a half-open trial with no timeout: its permit expires and the circuit still closes', async () => {
    const clock = new ManualClock(10_000);
    const service = new ResilienceService(quiet(), { clock, capacity: 4, env: false });
    const policy: Policy = { ...unlimited(), failureThreshold: 0.5, minimumRequests: 1, openTimeoutMs: 1_000, halfOpenTrials: 1, halfOpenSuccesses: 1, trialTimeoutMs: 30_000 };
    service.registerEndpoint('ep', policy);
    await service.execute('ep', () => Promise.reject(new Error('down'))).catch(() => {});
    expect(service.endpoint('ep').state).toBe(BreakerState.Open);
    clock.advance(1_000);
    let settled = false;
    void service.execute('ep', () => new Promise<never>(() => {})).finally(() => {
      settled = true;
    });
    expect(service.endpoint('ep').state).toBe(BreakerState.HalfOpen);
    await expect(service.execute('ep', async () => 'blocked')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    clock.advance(29_999);
    await expect(service.execute('ep', async () => 'still blocked')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    clock.advance(1);
    await expect(service.execute('ep', async () => 'a new trial')).resolves.toBe('a new trial');
    expect(service.endpoint('ep').state).toBe(BreakerState.Closed);
    expect(settled).toBe(false);
    service.close();
  });
});

describe('the clock jumping forward by days', () => {
  const JUMPS = scaled(8, 80);

  it(`${JUMPS} jumps of 1 to 400 days (and across 2^31 / 2^32 ms) with calls waiting in two threads: everything resumes`, async () => {
    const next = random(SEED ^ 0x5eed);
    const context = `(SEED=${SEED})`;
    const DAY = 86_400_000;
    const clock = new ManualClock(between(next, 0, 2 ** 33));
    const service = new ResilienceService(quiet(), { clock, capacity: 16, env: false });
    const bucket: Policy = { ...quiet(), rate: 10, burst: 5 };
    const breaker: Policy = { ...unlimited(), failureThreshold: 0.5, minimumRequests: 10, openTimeoutMs: 3_600_000, halfOpenTrials: 2, halfOpenSuccesses: 2, trialTimeoutMs: 3_600_000 };
    service.registerEndpoint('bucket', bucket);
    service.registerEndpoint('open', breaker);
    service.registerEndpoint('half', breaker);
    service.registerEndpoint('window', breaker);
    service.registerEndpoint('slow', { ...quiet(), rate: 1, burst: 1 });
    const worker = new WorkerExecutor();
    await worker.attach(service);
    try {
      for (let jump = 0; jump < JUMPS; jump++) {
        // Before: a drained bucket in debt, an open circuit, a half-open one with every permit out,
        // a window one failure short of opening, calls waiting for a token in both threads.
        const b = service.endpoint('bucket');
        while (b.tryAcquire() >= 0);
        const open = service.endpoint('open');
        for (let k = 0; k < 10 && open.state === BreakerState.Closed; k++) open.record(open.tryAcquire(), false);
        expect(open.state).toBe(BreakerState.Open);
        const half = service.endpoint('half');
        for (let k = 0; k < 10 && half.state === BreakerState.Closed; k++) half.record(half.tryAcquire(), false);
        if (half.state === BreakerState.Open) {
          clock.advance(breaker.openTimeoutMs);
          half.tryAcquire();
          half.tryAcquire();
        }
        expect(half.tryAcquire()).toBe(Rejection.CircuitOpen);
        const w = service.endpoint('window');
        for (let k = 0; k < 9; k++) w.record(w.tryAcquire(), k >= 5);
        const slow = service.endpoint('slow');
        while (slow.tryAcquire() >= 0);
        // (Their timeout, half a day, passes with any jump: each must get a token or time out.)
        const waitingHere = [service.execute('slow', () => 'main', Priority.Low, DAY / 2), service.execute('slow', () => 'main', Priority.Critical, DAY / 2)];
        const waitingThere = worker.ask({ id: worker.nextId(), kind: 'execute', name: 'slow', priority: Priority.Normal, timeout: DAY / 2 });
        await pause(20);

        const days = [1, 7, 2 ** 31 / DAY, 2 ** 32 / DAY, 400][jump % 5] as number;
        const ms = Math.round(days * DAY) + between(next, -1, 1);
        const before = clock.now();
        clock.advance(ms);
        expect(clock.now() - before, context).toBe(ms);

        // After: the waiting calls settle promptly, in both threads (each gets a token or times out).
        const settle = Promise.allSettled([...waitingHere, waitingThere]);
        const outcome = await Promise.race([settle, pause(5_000).then(() => 'stuck' as const)]);
        expect(outcome, `calls waiting across a ${days}-day jump ${context}`).not.toBe('stuck');
        const remote = ((await waitingThere) as Outcome[])[0] as Outcome;
        expect('value' in remote || remote.error === 'RATE_LIMITED', JSON.stringify(remote)).toBe(true);

        // The bucket holds exactly its burst: days of refill do not overflow it.
        let admitted = 0;
        while (b.tryAcquire() >= 0) admitted++;
        expect(admitted, `tokens after a ${days}-day jump ${context}`).toBe(bucket.burst);
        // The open circuit admits trials; the expired half-open permits are replaced.
        for (const [ep, label] of [
          [open, 'a trial ticket on the open circuit'],
          [half, 'a new trial ticket on the half-open circuit'],
        ] as const) {
          const ticket = ep.tryAcquire();
          expect(ticket >= 0 && (ticket & 1) === 1, `${label}: ${ticket}`).toBe(true);
          ep.record(ticket, true);
        }
        // The window forgot the failures before the jump: one more does not open the circuit.
        expect(service.getBreakerStatistics('window').window.total).toBe(0);
        w.record(w.tryAcquire(), false);
        expect(w.state, 'one failure after the jump').toBe(BreakerState.Closed);
        // Close what the next round needs closed again.
        for (const ep of [open, half]) {
          for (let k = 0; k < 4 && ep.state !== BreakerState.Closed; k++) {
            const t = ep.tryAcquire();
            if (t >= 0) ep.record(t, true);
          }
          expect(ep.state).toBe(BreakerState.Closed);
        }
        clock.advance(breaker.openTimeoutMs); // lets the window of 'window' empty again
      }
    } finally {
      await worker.close();
      service.close();
    }
    tally('faults: clock jumps of days with calls waiting', JUMPS);
  }, 120_000);
});

/**
 * The library reads time only from the process-monotonic clock (src/core/monotonic.ts:
 * performance.now() offset against process.hrtime, both CLOCK_MONOTONIC on Linux), never from
 * Date or performance.timeOrigin, so a wall-clock change must not matter. What a test can change
 * without privileges is what JavaScript sees of the wall clock — Date (faked, moved years either
 * way, made NaN) and performance.timeOrigin — and that is what this checks, on a live real-clock
 * slab. Stepping the system clock itself (settimeofday / `date -s`, NTP steps) needs
 * CAP_SYS_TIME and would disturb every other process on the machine, so it is not done here;
 * CLOCK_MONOTONIC is not stepped by it (only slewed by adjtime, at most 500 ppm, which is within
 * the 1 % the design allows).
 */
describe('a wall-clock change', () => {
  it('moving Date (years forward, back to 1970, NaN) and performance.timeOrigin changes nothing: the slab clock follows the monotonic clock', async () => {
    const service = new ResilienceService(quiet(), { capacity: 4, env: false });
    service.registerEndpoint('limited', { ...quiet(), rate: 2, burst: 1 });
    service.registerEndpoint('breaker', { ...unlimited(), failureThreshold: 0.5, minimumRequests: 1, openTimeoutMs: 60_000 });
    const limited = service.endpoint('limited');
    const breaker = service.endpoint('breaker');
    expect(limited.tryAcquire()).toBeGreaterThanOrEqual(0);
    breaker.record(breaker.tryAcquire(), false);
    const mono = (): number => Number(process.hrtime.bigint()) / 1e6;
    const readings: { slab: number; mono: number }[] = [];
    const sample = (): void => {
      service.clock.refresh();
      readings.push({ slab: service.clock.now(), mono: mono() });
    };
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      sample();
      for (const wall of [Date.now() + 10 * 365 * 86_400_000, 0, Date.now() - 86_400_000, 8.64e15]) {
        vi.setSystemTime(wall);
        await pause(30);
        sample();
        // Neither the drained bucket nor the open circuit notice the wall clock.
        expect(limited.tryAcquire()).toBe(Rejection.RateLimited);
        expect(breaker.tryAcquire()).toBe(Rejection.CircuitOpen);
      }
      vi.useRealTimers();
      const dateNow = Date.now;
      Date.now = () => Number.NaN;
      Object.defineProperty(performance, 'timeOrigin', { value: 0, configurable: true });
      try {
        await pause(30);
        sample();
        expect(limited.tryAcquire()).toBe(Rejection.RateLimited);
        // A service made while the wall clock is broken runs normally.
        const other = new ResilienceService(unlimited(), { capacity: 2, env: false });
        expect(other.endpoint('x').tryAcquire()).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(other.clock.now())).toBe(true);
        other.close();
      } finally {
        Date.now = dateNow;
        delete (performance as unknown as Record<string, unknown>).timeOrigin;
      }
    } finally {
      vi.useRealTimers();
      service.close();
    }
    // The slab clock moved exactly as the monotonic clock did (to the ticker's millisecond), never back.
    for (let i = 1; i < readings.length; i++) {
      const a = readings[i - 1] as { slab: number; mono: number };
      const b = readings[i] as { slab: number; mono: number };
      expect(b.slab).toBeGreaterThanOrEqual(a.slab);
      expect(Math.abs(b.slab - a.slab - (b.mono - a.mono))).toBeLessThan(5);
    }
    tally('faults: wall-clock changes', 6);
  });
});

describe('a slab at capacity', () => {
  it('refuses the next endpoint with CapacityError through every entry point, changes nothing, and frees room on unregister', async () => {
    const CAPACITY = 8;
    const service = new ResilienceService(unlimited(), { capacity: CAPACITY, env: false, clock: new ManualClock(0) });
    for (let i = 0; i < CAPACITY; i++) service.registerEndpoint(`ep-${i}`, unlimited());
    const names = service.endpointNames();
    const refusals: [string, () => unknown][] = [
      ['registerEndpoint', () => service.registerEndpoint('one-too-many', unlimited())],
      ['endpoint', () => service.endpoint('one-too-many')],
      ['adjustRate', () => service.adjustRate('one-too-many', 0.5)],
      ['resetStats', () => service.resetStats('one-too-many')],
      ['getBreakerStatistics', () => service.getBreakerStatistics('one-too-many')],
      ['getLimiterMetrics', () => service.getLimiterMetrics('one-too-many')],
      ['policyOf', () => service.policyOf('one-too-many')],
    ];
    for (const [label, call] of refusals) {
      let thrown: unknown;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(isCapacityError(thrown), `${label} at capacity threw ${String(thrown)}`).toBe(true);
    }
    await expect(service.execute('one-too-many', () => 1)).rejects.toMatchObject({ code: 'CAPACITY', endpoint: 'one-too-many' });
    expect(service.endpointNames()).toEqual(names);
    expect(service.hasEndpoint('one-too-many')).toBe(false);
    expect(headerOf(service.handle).live).toBe(CAPACITY);
    // Unregistering makes room, and the name that was refused now works.
    expect(service.unregisterEndpoint('ep-3')).toBe(true);
    expect(service.endpoint('one-too-many').tryAcquire()).toBeGreaterThanOrEqual(0);
    service.close();
  });

  it('two workers racing to register more names than fit: exactly `capacity` succeed, all others get CapacityError', async () => {
    const CAPACITY = 16;
    const ROUNDS = scaled(30, 400);
    const workers = [new WorkerExecutor(), new WorkerExecutor()];
    const control = controlWords(2);
    let refused = 0;
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const service = new ResilienceService(unlimited(), { capacity: CAPACITY, env: false, clock: new ManualClock(0) });
        for (const w of workers) await w.attach(service);
        // Each worker registers 12 names of its own and 4 shared ones, interleaved differently.
        const namesOf = (id: number): string[] => {
          const own = Array.from({ length: 12 }, (_, i) => `w${id}-${i}`);
          const shared = Array.from({ length: 4 }, (_, i) => `shared-${i}`);
          return id === 0 ? [...shared, ...own] : [...own, ...shared.reverse()];
        };
        const replies = await Promise.all(
          workers.map((w, id) =>
            w.ask({
              id: w.nextId(),
              kind: 'race',
              control: control.buffer as SharedArrayBuffer,
              word: 0,
              parties: 2,
              round,
              ops: namesOf(id).map((name) => ({ op: 'register' as const, name, policy: unlimited() })),
            }),
          ),
        );
        const outcomes = replies.flat();
        expect(outcomes.every((o) => 'value' in o || o.error === 'CAPACITY'), JSON.stringify(outcomes)).toBe(true);
        const names = service.endpointNames();
        expect(names.length).toBe(CAPACITY);
        expect(new Set(names).size).toBe(CAPACITY);
        for (const name of names) expect(service.hasEndpoint(name)).toBe(true);
        // A name registered by both counts once; every refusal is a name that is not registered.
        for (const [id, reply] of replies.entries()) {
          for (const [i, o] of reply.entries()) {
            const name = namesOf(id)[i] as string;
            if ('error' in o) {
              refused++;
              expect(names.includes(name) && !name.startsWith('shared'), `${name} refused yet registered`).toBe(false);
            } else expect(names).toContain(name);
          }
        }
        expect(headerOf(service.handle).live).toBe(CAPACITY);
        service.close();
      }
    } finally {
      for (const w of workers) await w.close();
    }
    tally('faults: capacity races', ROUNDS);
    tally('faults: registrations refused with CapacityError', refused);
  }, 120_000);
});
