/**
 * Token conformance across threads on a manual clock: whatever the number of workers taking
 * tokens, the grants over any interval never exceed burst + rate x interval + 1, and over a
 * long run they come at the configured rate to within 1%.
 */
import { describe, expect, it } from 'vitest';
import { REAL_CLOCK_START } from '../../src/core/SharedClock.js';
import { type Policy, PolicyPresets, type ResilienceService } from '../../src/index.js';
import { Drain, type DrainData, type DrainResult } from '../fixtures/protocol.js';
import { between, random } from '../reliability/support.js';
import { totalsOf } from '../support/inspect.js';
import { manualClockService } from '../support/service.js';
import { Crew, bump, controlWords, publish } from '../support/sync.js';

const WORKERS = 2;
const { STEP, DONE, STOP, READY, SEEN } = Drain;

interface Case {
  /** Tokens per second. */
  readonly rate: number;
  readonly burst: number;
  /** Manual clock time to cover, ms. */
  readonly spanMs: number;
  /** Clock steps are whole milliseconds drawn uniformly from 1..maxStepMs. */
  readonly maxStepMs: number;
  /** Where the manual clock starts (some cases cross a 2^31 or 2^32 boundary of the time word). */
  readonly start: number;
}

/** A sample: admitted calls in total once the clock read `t` (ms since registration). */
interface Sample {
  readonly t: number;
  readonly admitted: number;
}

const limited = (rate: number, burst: number): Policy => ({
  ...PolicyPresets.standard(),
  rate,
  burst,
  adaptive: false,
  failureThreshold: 1,
  minimumRequests: 2 ** 30,
});

/** The service of case `c`, and WORKERS workers of tokenDrain.ts taking tokens of its endpoint 'ep' in `mode`. */
function setUp(c: Case, mode: DrainData['mode']): { service: ResilienceService; control: Int32Array; origin: number; crew: Crew<DrainResult> } {
  const { svc: service } = manualClockService(limited(c.rate, c.burst), c.start);
  service.registerEndpoint('ep', limited(c.rate, c.burst));
  const control = controlWords(16);
  const origin = service.clock.now();
  const crew = new Crew<DrainResult>(
    'fixtures/tokenDrain.ts',
    Array.from(
      { length: WORKERS },
      (_, id): DrainData => ({
        handle: service.handle,
        control: control.buffer as SharedArrayBuffer,
        id,
        parties: WORKERS,
        name: 'ep',
        mode,
        origin,
      }),
    ),
  );
  return { service, control, origin, crew };
}

/**
 * The over-grant checks of the samples, returned as a list of violations (empty when conforming):
 * every prefix [0, t] and every interval between two samples holds at most
 * burst + rate x length + 1 grants.
 */
function overGrants(samples: readonly Sample[], c: Case): string[] {
  const out: string[] = [];
  const perMs = c.rate / 1000;
  const slack = 1 + 1e-6;
  let minExcess = 0; // min over earlier samples i of admitted_i - perMs * t_i (the origin counts: 0 at 0)
  let minAt = 0;
  for (const [j, s] of samples.entries()) {
    const prefixBound = c.burst + perMs * s.t + slack;
    if (s.admitted > prefixBound) out.push(`prefix [0, ${s.t}] ms: ${s.admitted} admitted > ${prefixBound.toFixed(3)}`);
    const excess = s.admitted - perMs * s.t;
    if (minAt > 0 && excess - minExcess > c.burst + slack) {
      const from = samples[minAt - 1];
      out.push(
        `interval [${from?.t ?? 0}, ${s.t}] ms: ${s.admitted - (from?.admitted ?? 0)} admitted > ` +
          `${(c.burst + perMs * (s.t - (from?.t ?? 0)) + 1).toFixed(3)}`,
      );
    }
    if (excess < minExcess) {
      minExcess = excess;
      minAt = j + 1;
    }
    if (out.length >= 6) break;
  }
  return out;
}

/**
 * Lockstep only: every sample is taken with the bucket just emptied, so between two samples the
 * grants are what refilled meanwhile, at most rate x elapsed + 1 (no burst).
 */
function refillOverGrants(samples: readonly Sample[], c: Case): string[] {
  const out: string[] = [];
  const perMs = c.rate / 1000;
  let min = Number.POSITIVE_INFINITY;
  let minAt = 0;
  for (const [j, s] of samples.entries()) {
    const excess = s.admitted - perMs * s.t;
    const from = samples[minAt];
    if (from !== undefined && excess - min > 1 + 1e-6) {
      out.push(
        `bucket emptied at ${from.t} ms, then ${s.admitted - from.admitted} admitted by ${s.t} ms > ` +
          `${(perMs * (s.t - from.t) + 1).toFixed(3)}`,
      );
      if (out.length >= 5) break;
    }
    if (excess < min) {
      min = excess;
      minAt = j;
    }
  }
  return out;
}

/** Grants after the initial burst, as a rate over the samples' span, relative to the configured rate. */
function rateError(admittedAfterBurst: number, spanMs: number, rate: number): number {
  return (admittedAfterBurst / (spanMs / 1000) - rate) / rate;
}

async function lockstep(c: Case, seed: number): Promise<void> {
  const { service, control, origin, crew } = setUp(c, 'lockstep');
  try {
    const next = random(seed);
    const samples: Sample[] = [];
    let step = 0;
    for (;;) {
      // Step 1 takes the full bucket at the registration time; every later step moves the clock first.
      if (step > 0) service.clock.advance(between(next, 1, c.maxStepMs));
      step++;
      bump(control, STEP);
      await crew.until(control, DONE, WORKERS * step);
      const t = service.clock.now() - origin;
      samples.push({ t, admitted: totalsOf(service.handle, 'ep').admitted });
      if (t >= c.spanMs) break;
    }
    publish(control, STOP, 1);
    bump(control, STEP);
    const results = await crew.results();

    const first = samples[0] as Sample;
    const last = samples.at(-1) as Sample;
    expect(overGrants(samples, c)).toEqual([]);
    expect(refillOverGrants(samples, c)).toEqual([]);
    expect(first).toEqual({ t: 0, admitted: c.burst }); // the bucket starts full
    if (c.spanMs >= 1000) {
      expect(Math.abs(rateError(last.admitted - first.admitted, last.t - first.t, c.rate))).toBeLessThan(0.01);
    }
    // The workers' own counts agree with the slab's, and nothing but rate limits rejected them.
    expect(results.reduce((sum, r) => sum + r.admitted, 0)).toBe(last.admitted);
    expect(results.map((r) => r.unexpected)).toEqual(results.map(() => 0));
    expect(results.map((r) => r.steps)).toEqual(results.map(() => step));
  } finally {
    await crew.dispose();
  }
}

async function concurrent(c: Case, seed: number): Promise<void> {
  const { service, control, origin, crew } = setUp(c, 'concurrent');
  try {
    const next = random(seed);
    const samples: Sample[] = [];
    await crew.until(control, READY, WORKERS);
    let advances = 0;
    for (;;) {
      const t = service.clock.now() - origin;
      // Wait until every worker has been refused a token at time t, so the clock moves on while
      // they keep asking (they never pause), with the bucket emptied at every step.
      for (let id = 0; id < WORKERS; id++) await crew.until(control, SEEN + id, t + 1);
      // Calls admitted so far were all admitted at clock times <= t.
      samples.push({ t, admitted: totalsOf(service.handle, 'ep').admitted });
      if (t >= c.spanMs) break;
      service.clock.advance(between(next, 1, c.maxStepMs));
      advances++;
    }
    publish(control, STOP, 1);
    const results = await crew.results();
    const totals = totalsOf(service.handle, 'ep');
    const span = service.clock.now() - origin;
    samples.push({ t: span, admitted: totals.admitted });

    expect(overGrants(samples, c)).toEqual([]);
    expect(span).toBeGreaterThanOrEqual(1000);
    expect(Math.abs(rateError(totals.admitted - c.burst, span, c.rate))).toBeLessThan(0.01);
    expect(results.reduce((sum, r) => sum + r.admitted, 0)).toBe(totals.admitted);
    expect(results.map((r) => r.unexpected)).toEqual(results.map(() => 0));
    expect(advances).toBeGreaterThan(100);
  } finally {
    await crew.dispose();
  }
}

describe('token bucket conformance across threads (manual clock)', () => {
  const cases: Case[] = [
    { rate: 0.1, burst: 3, spanMs: 10_000_000, maxStepMs: 8_000, start: 2 ** 31 - 4_000_000 },
    { rate: 7, burst: 5, spanMs: 200_000, maxStepMs: 300, start: 1_000 },
    { rate: 100, burst: 20, spanMs: 20_000, maxStepMs: 40, start: 2 ** 32 - 9_000 },
    { rate: 100_000, burst: 5_000, spanMs: 2_000, maxStepMs: 5, start: 1_000 },
    { rate: 1_000_000, burst: 50_000, spanMs: 1_000, maxStepMs: 5, start: 2 ** 33 + 12_345 },
    // From the time a real clock starts at (every real-clock service runs at these slab times).
    { rate: 10_000_000, burst: 100_000, spanMs: 1_000, maxStepMs: 2, start: REAL_CLOCK_START },
    // The highest rate a policy accepts (MAX_RATE); too fast to cover a second, so only the bounds are checked.
    { rate: 1e8, burst: 1_000_000, spanMs: 5, maxStepMs: 1, start: REAL_CLOCK_START },
  ];
  for (const [n, c] of cases.entries()) {
    it(`lockstep: ${c.rate} rps, burst ${c.burst}, over ${c.spanMs / 1000} s in steps of 1-${c.maxStepMs} ms`, async () => {
      await lockstep(c, 0x5eed + n);
    });
  }

  const racing: Case[] = [
    { rate: 0.1, burst: 5, spanMs: 10_000_000, maxStepMs: 40_000, start: 5_000 },
    { rate: 100, burst: 20, spanMs: 5_000, maxStepMs: 40, start: 2 ** 32 - 2_500 },
    { rate: 100_000, burst: 5_000, spanMs: 1_200, maxStepMs: 5, start: 1_000 },
  ];
  for (const [n, c] of racing.entries()) {
    it(`concurrent with the clock: ${c.rate} rps, burst ${c.burst}, over ${c.spanMs / 1000} s in steps of 1-${c.maxStepMs} ms`, async () => {
      await concurrent(c, 0xc0ffee + n);
    });
  }
});
