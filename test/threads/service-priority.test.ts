/**
 * Priority under saturation, across threads (the contract of `execute(name, op, priority,
 * timeout)`): two workers offer an endpoint four times its rate (each twice), 40% Low, 40%
 * Normal, 10% High, 10% Critical, so High + Critical alone ask for 80% of the rate. Calls that
 * find no token wait for one, by priority across both threads. Over a manual clock moved in 1 ms
 * steps (in lockstep with the workers), the mean wait of Critical and of High calls stays within
 * 10% of the mean wait of Low calls, and while calls wait the endpoint admits exactly its rate.
 *
 * Why twice the rate per worker and not more: with this mix, High + Critical ask for 20% of the
 * offered load, so they fit within the rate only while the total stays under five times the rate
 * (at three times per worker they would ask 120% of it, and High would queue behind Critical
 * without bound). Why 50 calls a second: every call waiting for a token wakes on every clock step
 * (about 45 µs each on Node 20), so the cost of a run grows with waiting calls × steps; at 200/s
 * the same run takes about 40 s instead of about 8.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, type Policy, PolicyPresets, Priority, ResilienceService } from '../../src/index.js';
import { Saturation, type SaturationData, type SaturationResult } from '../fixtures/service-protocol.js';
import { Crew, controlWords, publish } from '../support/sync.js';

const { STEP, DONE, STOP, PENDING, WAITING } = Saturation;

const RATE = 50;
const BURST = 5;
const WORKERS = 2;
/** Each worker offers twice the rate: four times in all, High + Critical 0.8 times. */
const OFFERED_PER_WORKER = 2 * RATE;
/** Slab time during which the workers issue calls; then the backlog drains. */
const LOAD_MS = 1_000;
/** Generous: every call waits long enough to be served. */
const TIMEOUT_MS = 30_000;
/** The run gives up (and fails) if the backlog has not drained by then. */
const GIVE_UP_MS = 20_000;
const { Low: L, Normal: N, High: H, Critical: C } = Priority;
/** 40% Low, 40% Normal, 10% High, 10% Critical, interleaved. */
const MIX = [L, N, L, N, H, L, N, C, L, N];
const CLASS_NAMES = ['Low', 'Normal', 'High', 'Critical'] as const;

const policy = (): Policy => ({
  ...PolicyPresets.standard(),
  rate: RATE,
  burst: BURST,
  adaptive: false,
  // The breaker never opens: only the limiter and the priority gate act.
  failureThreshold: 1,
  minimumRequests: 2 ** 30,
});

const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

describe('priority under saturation across two threads (manual clock, 1 ms steps)', () => {
  it('Critical and High wait at most 10% of what Low waits, and the endpoint admits exactly its rate', async () => {
    const service = new ResilienceService(policy(), { capacity: 4, clock: new ManualClock(10_000), env: false });
    service.registerEndpoint('api', policy());
    const origin = service.clock.now();
    const control = controlWords(16);
    const crew = new Crew<SaturationResult>(
      'fixtures/service-priority.ts',
      Array.from(
        { length: WORKERS },
        (_, id): SaturationData => ({
          handle: service.handle,
          control: control.buffer as SharedArrayBuffer,
          id,
          name: 'api',
          origin,
          loadMs: LOAD_MS,
          callsPerSecond: OFFERED_PER_WORKER,
          mix: MIX,
          timeoutMs: TIMEOUT_MS,
        }),
      ),
    );
    try {
      /** admitted[t]: calls admitted once every worker has reacted to slab time origin + t. */
      const admitted: number[] = [];
      /** waiting[t]: calls waiting for a token then, in both workers. */
      const waiting: number[] = [];
      let step = 0;
      for (;;) {
        if (step > 0) service.clock.advance(1);
        step++;
        publish(control, STEP, step);
        await crew.until(control, DONE, WORKERS * step);
        const t = service.clock.now() - origin;
        expect(t).toBe(step - 1);
        admitted.push(service.getLimiterMetrics('api').accepted);
        let pending = 0;
        let waits = 0;
        for (let id = 0; id < WORKERS; id++) {
          pending += Atomics.load(control, PENDING + id);
          waits += Atomics.load(control, WAITING + id);
        }
        waiting.push(waits);
        if ((t >= LOAD_MS && pending === 0) || t >= GIVE_UP_MS) break;
      }
      publish(control, STOP, 1);
      publish(control, STEP, step + 1);
      const results = await crew.results();
      const spanMs = step - 1;

      // Every call settled, with its operation run or (counted) a timed-out wait; nothing else.
      expect(results.flatMap((r) => r.errors)).toEqual([]);
      expect(spanMs).toBeLessThan(GIVE_UP_MS);
      const perClass = CLASS_NAMES.map((name, cls) => {
        const waits = results.flatMap((r) => r.waits[cls] ?? []);
        const issued = results.reduce((sum, r) => sum + (r.issued[cls] ?? 0), 0);
        const timedOut = results.reduce((sum, r) => sum + (r.timedOut[cls] ?? 0), 0);
        return { name, issued, served: waits.length, timedOut, meanWaitMs: mean(waits), maxWaitMs: Math.max(...waits) };
      });

      // The saturated interval: from the first step that left a call waiting to the last one.
      const first = waiting.findIndex((w) => w > 0);
      const last = waiting.findLastIndex((w) => w > 0);
      const gaps = waiting.slice(first, last + 1).filter((w) => w === 0).length;
      const admittedInInterval = (admitted[last] as number) - (admitted[first] as number);
      const admittedRate = (admittedInInterval / (last - first)) * 1000;
      const overGrants = admitted.filter((a, t) => a > BURST + (RATE * t) / 1000 + 1);
      const metrics = service.getLimiterMetrics('api');

      console.log(
        `priority under saturation: ${spanMs} ms of slab time; saturated from ${first} to ${last} ms, ` +
          `${admittedInInterval} admitted = ${admittedRate.toFixed(2)}/s (limit ${RATE}/s); ` +
          `slab avgWaitTimeMs ${metrics.avgWaitTimeMs.toFixed(1)} over ${metrics.accepted} admitted, ${metrics.waitedCalls} waited\n` +
          perClass
            .map((c) => `  ${c.name.padEnd(8)} issued ${c.issued}, served ${c.served}, timed out ${c.timedOut}, mean wait ${c.meanWaitMs.toFixed(2)} ms, max ${c.maxWaitMs} ms`)
            .join('\n'),
      );

      const [low, normal, high, critical] = perClass as [typeof perClass[0], typeof perClass[0], typeof perClass[0], typeof perClass[0]];
      // The load: 4x the rate for LOAD_MS, in the given mix.
      const offered = (WORKERS * OFFERED_PER_WORKER * LOAD_MS) / 1000;
      expect(perClass.reduce((sum, c) => sum + c.issued, 0)).toBe(offered);
      expect([low.issued, normal.issued, high.issued, critical.issued]).toEqual([0.4, 0.4, 0.1, 0.1].map((share) => share * offered));
      // Low waiters mostly get served (their timeout is generous); timeouts are counted, not hidden.
      expect(low.served + low.timedOut).toBe(low.issued);
      expect(low.served).toBeGreaterThanOrEqual(0.9 * low.issued);
      for (const c of [normal, high, critical]) expect(c.served + c.timedOut).toBe(c.issued);
      // The contract.
      expect(low.meanWaitMs).toBeGreaterThan(100);
      expect(critical.meanWaitMs).toBeLessThanOrEqual(0.1 * low.meanWaitMs);
      expect(high.meanWaitMs).toBeLessThanOrEqual(0.1 * low.meanWaitMs);
      // The limit: saturated for at least a second, never idle meanwhile, exact to 1%, never over.
      expect(last - first).toBeGreaterThanOrEqual(1_000);
      expect(gaps).toBe(0);
      expect(Math.abs(admittedRate - RATE) / RATE).toBeLessThan(0.01);
      expect(overGrants).toEqual([]);
      // The slab's own count of admitted calls agrees with the calls that ran.
      expect(metrics.accepted).toBe(perClass.reduce((sum, c) => sum + c.served, 0));
    } finally {
      await crew.dispose();
      service.close();
    }
  });
});
