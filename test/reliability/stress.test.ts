/**
 * Concurrency stress with real workers on the real clock: many endpoints, more threads than
 * cores, mixed priorities, random failures, breaker cycles, abandoned trial permits, operations
 * that never settle, adaptive rate changes and registration churn, all at once. Afterwards every
 * invariant of the README's "Limits and guarantees" must hold:
 *
 * - exact totals: the slab's admitted / failures / rejected counts equal what the workers counted;
 * - no over-grant: over every interval [a, b] of slab time, the calls certainly admitted within
 *   it are at most burst + rate x (b - a) + 1 (rate: the highest the policy allows);
 * - half-open never admits more than halfOpenTrials trial calls in one generation, across threads;
 * - every state change reaches every listener (the main thread's and each worker's) exactly once,
 *   all in the same order, even with a listener that throws;
 * - no call waits past its timeout (beyond scheduling noise), and no waiter is left counted;
 * - no circuit is stuck half-open: each closes again once calls succeed.
 *
 * `npm test` runs it for a few seconds; `npm run stress` for minutes with more threads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BreakerState, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import { totalsOf } from '../support/inspect.js';
import { controlWords, publish } from '../support/sync.js';
import { spawn } from '../support/workers.js';
import type { Collect, Counts, Seen, StressData, StressEndpoint, StressMessage, StressResult } from './stress-protocol.js';
import { Stress } from './stress-protocol.js';
import { breakerOf, eventually, pause, reportFigures, SEED, scaled, STRESS, tally, waitersOf } from './support.js';

afterAll(reportFigures);

/** A positive whole number from the environment variable `name`, or `fallback` when it is unset. */
function fromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${JSON.stringify(raw)}`);
  return n;
}

/** STRESS_WORKERS and STRESS_SECONDS override the thread count and the duration (to replay a run). */
const WORKERS = fromEnv('STRESS_WORKERS', scaled(4, 6));
const DURATION_MS = fromEnv('STRESS_SECONDS', scaled(5_000, 200_000) / 1000) * 1000;
/** Real ms a call may settle after its timeout on a loaded machine (timers of a busy thread fire late). */
const OVERSHOOT_LIMIT_MS = 2_500;

const never = { failureThreshold: 1, minimumRequests: 2 ** 30 };
const base = (): Policy => ({ ...PolicyPresets.standard(), adaptive: false, classifier: 'all' });

interface Spec extends StressEndpoint {
  readonly policy: Policy;
}

function endpoints(): Spec[] {
  const out: Spec[] = [];
  const limited: [number, number][] = scaled(
    [
      [500, 1],
      [2_000, 10],
      [20_000, 100],
      [50, 7],
    ],
    [
      [500, 1],
      [2_000, 10],
      [20_000, 100],
      [50, 7],
      [1_000_000, 1_000],
      [0.5, 3],
      [333.3, 33],
      [5_000, 1],
    ],
  );
  for (const [i, [rate, burst]] of limited.entries()) out.push({ name: `limited-${i}`, kind: 'limited', policy: { ...base(), ...never, rate, burst } });
  const flaky: [number, number][] = scaled(
    [
      [1, 1],
      [3, 2],
      [5, 5],
      [2, 1],
    ],
    [
      [1, 1],
      [3, 2],
      [5, 5],
      [2, 1],
      [127, 3],
      [4, 4],
    ],
  );
  for (const [i, [trials, successes]] of flaky.entries()) {
    out.push({
      name: `flaky-${i}`,
      kind: 'flaky',
      policy: {
        ...base(),
        failureThreshold: 0.5,
        minimumRequests: 4,
        windowMs: 200,
        windowBuckets: 4,
        openTimeoutMs: 60 + 20 * i,
        halfOpenTrials: trials,
        halfOpenSuccesses: successes,
        trialTimeoutMs: 150,
        // The first is unlimited, the others limited enough that half-open trials find no token sometimes.
        rate: i === 0 ? Number.POSITIVE_INFINITY : 2_000 * i,
        burst: 20,
      },
    });
  }
  const queued: [number, number][] = scaled(
    [
      [200, 2],
      [60, 1],
      [1_000, 5],
    ],
    [
      [200, 2],
      [60, 1],
      [1_000, 5],
      [20, 3],
    ],
  );
  for (const [i, [rate, burst]] of queued.entries()) {
    out.push({ name: `queued-${i}`, kind: 'queued', policy: { ...base(), ...never, rate, burst, adaptive: i !== 1 } });
  }
  return out;
}

/** Over-grant violations of one endpoint's brackets (empty when conforming). See the file comment. */
function overGrants(flat: Float64Array, rate: number, burst: number): string[] {
  const n = flat.length / 2;
  if (n === 0) return [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, flat[2 * i] as number);
    hi = Math.max(hi, flat[2 * i + 1] as number);
  }
  const span = hi - lo + 2;
  // byAfter[t]: grants certainly done by lo + t; byBefore[t]: grants that may have happened before lo + t.
  const doneAt = new Float64Array(span + 1);
  const startedAt = new Float64Array(span + 1);
  for (let i = 0; i < n; i++) {
    const d = Math.ceil((flat[2 * i + 1] as number) - lo);
    const b = Math.floor((flat[2 * i] as number) - lo) + 1;
    doneAt[d] = (doneAt[d] as number) + 1;
    startedAt[b] = (startedAt[b] as number) + 1;
  }
  const perMs = rate / 1000;
  const out: string[] = [];
  let L = 0;
  let U = 0;
  let minExcess = Number.POSITIVE_INFINITY;
  let minAt = 0;
  for (let t = 0; t <= span; t++) {
    U += startedAt[t] as number; // grants with before < lo + t  (before <= lo + t - 1 for integer times)
    const excessA = U - perMs * t;
    if (excessA < minExcess) {
      minExcess = excessA;
      minAt = t;
    }
    L += doneAt[t] as number; // grants with after <= lo + t
    const certain = L - perMs * t - minExcess;
    if (certain > burst + 1 + 1e-6) {
      out.push(`[${lo + minAt}, ${lo + t}] ms: at least ${Math.round(certain + perMs * (t - minAt))} admitted > ${burst} + ${rate} x ${t - minAt} ms + 1`);
      if (out.length >= 5) break;
    }
  }
  return out;
}

function sum(results: readonly StressResult[], name: string): Counts {
  const total: Counts = { admitted: 0, failures: 0, rejectedOpen: 0, rejectedRate: 0 };
  for (const r of results) {
    const c = r.counts[name] as Counts;
    total.admitted += c.admitted;
    total.failures += c.failures;
    total.rejectedOpen += c.rejectedOpen;
    total.rejectedRate += c.rejectedRate;
  }
  return total;
}

describe('concurrency stress with real workers', () => {
  it('(the over-grant check flags an interval with one call too many, and only then)', () => {
    // 10 rps, burst 2: 2 calls at 1000 ms and then one every 100 ms conform; one more does not.
    const ok = [1000, 1000, 1000, 1000, 1100, 1100, 1200, 1200, 1300, 1300];
    expect(overGrants(Float64Array.from(ok), 10, 2)).toEqual([]);
    expect(overGrants(Float64Array.from([...ok, 1300, 1300]), 10, 2)).toEqual([]); // + 1 for rounding
    expect(overGrants(Float64Array.from([...ok, 1300, 1300, 1300, 1300]), 10, 2)).not.toEqual([]);
    // A call bracketed by [900, 1300] may have been made before the others: it is not certain to be in [1000, 1300].
    expect(overGrants(Float64Array.from([...ok, 1300, 1300, 900, 1300]), 10, 2)).toEqual([]);
  });

  it(`${WORKERS} workers for ${DURATION_MS / 1000} s on ${endpoints().length} endpoints: every invariant holds afterwards`, async () => {
    const specs = endpoints();
    const service = new ResilienceService(base(), { capacity: 64, env: false });
    for (const s of specs) service.registerEndpoint(s.name, s.policy);
    const control = controlWords(Stress.words);

    // Listeners of the main thread: one that throws on every event, then one that records.
    // (Captured rather than printed: the library reports a throwing listener with process.emitWarning.)
    const warnings: string[] = [];
    const emitWarning = process.emitWarning;
    process.emitWarning = ((warning: string | Error) => {
      warnings.push(String(warning));
    }) as typeof process.emitWarning;
    let thrown = 0;
    const throwing = service.onStateChange(() => {
      thrown++;
      throw new Error('listener failure (expected by the test)');
    });
    const inMain: Seen[] = [];
    const recording = service.onStateChange((e) => {
      inMain.push({ endpoint: e.endpoint, from: e.from, to: e.to });
    });

    const workers = Array.from({ length: WORKERS }, (_, id) =>
      spawn('fixtures/reliability-stress.ts', {
        handle: service.handle,
        control: control.buffer as SharedArrayBuffer,
        id,
        seed: (SEED + id * 7919) >>> 0,
        durationMs: DURATION_MS,
        endpoints: specs.map(({ name, kind }) => ({ name, kind })),
        churn: id === 0,
        maxInFlight: 24,
      } satisfies StressData),
    );
    const done: Promise<StressResult>[] = [];
    const events: Promise<Seen[]>[] = [];
    for (const w of workers) {
      let doneResolve: (r: StressResult) => void = () => {};
      let eventsResolve: (e: Seen[]) => void = () => {};
      const failed = new Promise<never>((_, reject) => {
        w.on('error', reject);
        w.on('exit', (code) => reject(new Error(`stress worker exited early with code ${code}`)));
      });
      failed.catch(() => {});
      const d = Promise.race([new Promise<StressResult>((r) => (doneResolve = r)), failed]);
      const e = Promise.race([new Promise<Seen[]>((r) => (eventsResolve = r)), failed]);
      d.catch(() => {});
      e.catch(() => {});
      done.push(d);
      events.push(e);
      w.on('message', (m: StressMessage) => {
        if (m.kind === 'done') doneResolve(m.result);
        else eventsResolve(m.events);
      });
    }
    try {
      while (Atomics.load(control, Stress.READY) < WORKERS) await pause(5);
      publish(control, Stress.GO, 1);
      let stuck: ReturnType<typeof setTimeout> | undefined;
      const results = await Promise.race([
        Promise.all(done),
        new Promise<never>((_, reject) => {
          stuck = setTimeout(() => reject(new Error('a stress worker did not finish: one of its calls never settled')), DURATION_MS + 60_000);
        }),
      ]).finally(() => clearTimeout(stuck));
      const context = `(SEED=${SEED})`;
      expect(results.flatMap((r) => r.unexpected), context).toEqual([]);

      // Exact totals.
      for (const s of specs) {
        const want = sum(results, s.name);
        const t = totalsOf(service.handle, s.name);
        expect({ endpoint: s.name, admitted: t.admitted, failures: t.failures, rejectedOpen: t.rejectedOpen, rejectedRate: t.rejectedRate }, context).toEqual({
          endpoint: s.name,
          ...want,
        });
        const b = service.getBreakerStatistics(s.name);
        const l = service.getLimiterMetrics(s.name);
        expect([b.total, b.failures, b.rejected, l.accepted, l.rejected]).toEqual([want.admitted, want.failures, want.rejectedOpen, want.admitted, want.rejectedRate]);
      }
      expect(service.endpointNames().sort(), 'only the fixed endpoints remain after the churn').toEqual(specs.map((s) => s.name).sort());

      // No over-grant in any interval.
      let bracketed = 0;
      for (const s of specs) {
        if (s.kind === 'flaky' || s.policy.rate === Number.POSITIVE_INFINITY) continue;
        const brackets = results.map((r) => r.grants[s.name] as Float64Array);
        const flat = new Float64Array(brackets.reduce((n, b) => n + b.length, 0));
        let at = 0;
        for (const b of brackets) {
          flat.set(b, at);
          at += b.length;
        }
        bracketed += flat.length / 2;
        // Adaptive endpoints may run at up to 1.5 x nominal (health 1).
        const rate = s.policy.rate * (s.policy.adaptive ? 1.5 : 1);
        expect(overGrants(flat, rate, s.policy.burst), `${s.name} ${context}`).toEqual([]);
      }

      // Half-open trial permits, per generation, across threads.
      let generations = 0;
      for (const s of specs.filter((x) => x.kind === 'flaky')) {
        const transitions = totalsOf(service.handle, s.name).transitions;
        expect(transitions, `${s.name}: generations must not wrap (2^16) for the per-generation count to be exact`).toBeLessThan(65_536);
        expect(transitions, `${s.name} cycled`).toBeGreaterThan(2);
        const perGen = new Map<number, number>();
        for (const r of results) for (const [g, n] of Object.entries(r.trials[s.name] ?? {})) perGen.set(Number(g), (perGen.get(Number(g)) ?? 0) + n);
        generations += perGen.size;
        const worst = Math.max(0, ...perGen.values());
        expect(worst, `${s.name}: most trial calls admitted in one half-open generation`).toBeLessThanOrEqual(s.policy.halfOpenTrials);
      }

      // No waiter left counted, no call far past its timeout.
      for (const s of specs) {
        const w = waitersOf(service.handle, s.name);
        expect({ name: s.name, ...w }).toEqual({ name: s.name, total: 0, perClass: [0, 0, 0, 0] });
      }
      const overshoot = results.flatMap((r) => Array.from(r.overshootMs)).sort((a, b) => a - b);
      const worstOvershoot = overshoot[overshoot.length - 1] ?? 0;
      expect(worstOvershoot, 'real ms a call with a timeout settled after it').toBeLessThan(OVERSHOOT_LIMIT_MS);

      // Every event to every listener exactly once, in one order.
      const expected: Record<string, number> = {};
      for (const s of specs) expected[s.name] = totalsOf(service.handle, s.name).transitions;
      const total = Object.values(expected).reduce((a, b) => a + b, 0);
      for (const w of workers) w.postMessage({ kind: 'collect', expected, deadlineMs: 10_000 } satisfies Collect);
      const countOf = (list: readonly Seen[]): Record<string, number> => {
        const out: Record<string, number> = {};
        for (const s of specs) out[s.name] = 0;
        for (const e of list) out[e.endpoint] = (out[e.endpoint] ?? 0) + 1;
        return out;
      };
      await eventually(() => inMain.length >= total, 10_000);
      const peers = await Promise.all(events);
      expect(countOf(inMain), 'events seen by the main thread, per endpoint').toEqual(expected);
      for (const [id, list] of peers.entries()) {
        expect(countOf(list), `events seen by worker ${id}, per endpoint`).toEqual(expected);
        expect(list, `worker ${id} saw the events in the main thread's order`).toEqual(inMain);
      }
      expect(thrown, 'the throwing listener was called for every event').toBe(total);
      expect(warnings.filter((w) => w.includes('listener failure')).length, 'each throw reported as a process warning').toBe(total);

      // No circuit stuck half-open: with successful calls, each closes again.
      for (const s of specs.filter((x) => x.kind === 'flaky')) {
        const ep = service.endpoint(s.name);
        const closed = await eventually(() => {
          const t = ep.tryAcquire(255);
          if (t >= 0) ep.record(t, true);
          return ep.state === BreakerState.Closed;
        }, s.policy.openTimeoutMs + s.policy.trialTimeoutMs + 5_000);
        expect(closed, `${s.name} closes again (now ${JSON.stringify(breakerOf(service.handle, s.name))})`).toBe(true);
      }

      const ex = results.map((r) => r.executes);
      const add = (k: keyof (typeof ex)[number]): number => ex.reduce((n, e) => n + e[k].reduce((a, b) => a + b, 0), 0);
      tally('stress: worker threads', WORKERS);
      tally('stress: endpoints', specs.length);
      tally('stress: seconds of load', DURATION_MS / 1000);
      tally('stress: tryAcquire calls', results.reduce((n, r) => n + r.tryAcquires, 0));
      tally('stress: execute calls', add('issued'));
      tally('stress: execute calls timed out waiting (RateLimitError)', add('rateLimited'));
      tally('stress: execute calls ended by their timeout (never settled / slow)', add('timedOut'));
      tally('stress: admitted calls bracketed for the over-grant check', bracketed);
      tally('stress: breaker transitions', total);
      tally('stress: half-open generations checked', generations);
      tally('stress: trial permits abandoned', results.reduce((n, r) => n + r.abandoned, 0));
      tally('stress: events delivered (all listeners)', inMain.length * (WORKERS + 2));
      tally('stress: registrations churned', results.reduce((n, r) => n + r.registrations, 0));
      tally('stress: adjustRate calls', results.reduce((n, r) => n + r.adjustments, 0));
      tally('stress: worst timeout overshoot, ms', worstOvershoot);
      tally('stress: p99 timeout overshoot, ms', overshoot[Math.floor(overshoot.length * 0.99)] ?? 0);
    } finally {
      throwing.dispose();
      recording.dispose();
      process.emitWarning = emitWarning;
      await Promise.all(workers.map((w) => w.terminate()));
      service.close();
    }
  }, STRESS ? 600_000 : 120_000);
});

