/**
 * Breaker events across threads: transitions made by `execute()` in one worker reach the
 * `onStateChange` listeners of the main thread and of another worker exactly once each, in order,
 * with the right states and slab times, within 100 ms of real time of the call that made them.
 */
import { describe, expect, it } from 'vitest';
import { BreakerState, ManualClock, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import {
  type Delivered,
  type DrivenChange,
  Events,
  type EventsDriverData,
  type EventsDriverResult,
  type EventsListenerData,
  monoMs,
} from '../fixtures/service-protocol.js';
import { Crew, bump, controlWords } from '../support/sync.js';

const OPEN_TIMEOUT_MS = 1_000;
const MAX_LATENCY_MS = 100;
/** 25 cycles of 3 changes and 25 of 5: 200 changes. */
const CYCLES: ('A' | 'B')[] = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'A' : 'B'));
/** The first 30 cycles wait for the listeners after each cycle; the rest in bursts of 5 cycles (15-25 changes). */
const ACK = CYCLES.map((_, i) => i < 30 || i % 5 === 4 || i === CYCLES.length - 1);

const flappy = (): Policy => ({
  ...PolicyPresets.standard(),
  failureThreshold: 0.5,
  minimumRequests: 1,
  openTimeoutMs: OPEN_TIMEOUT_MS,
  halfOpenTrials: 1,
  halfOpenSuccesses: 1,
  rate: Number.POSITIVE_INFINITY,
  adaptive: false,
  classifier: 'all',
});

/** The listener's view of the driven changes: states and slab time, in delivery order. */
const shape = (d: readonly (Delivered | DrivenChange)[]): { from: number; to: number; at: number }[] =>
  d.map(({ from, to, at }) => ({ from, to, at }));

describe('state change events across threads', () => {
  it('200 transitions made in a worker reach listeners in the main thread and in another worker exactly once, within 100 ms', async () => {
    const service = new ResilienceService(flappy(), { capacity: 4, clock: new ManualClock(50_000), env: false });
    service.registerEndpoint('flappy', flappy());
    service.registerEndpoint('sentinel', flappy());
    const control = controlWords(4);

    const inMain: Delivered[] = [];
    let sentinelSeen: () => void = () => {};
    const sentinel = new Promise<void>((resolve) => {
      sentinelSeen = resolve;
    });
    const subscription = service.onStateChange((event) => {
      inMain.push({ endpoint: event.endpoint, from: event.from, to: event.to, at: event.at, realMs: monoMs() });
      if (event.endpoint === 'sentinel') sentinelSeen();
      else bump(control, Events.MAIN_SEEN);
    });

    const listener = new Crew<Delivered[]>('fixtures/service-events-listener.ts', [
      { handle: service.handle, control: control.buffer as SharedArrayBuffer, sentinel: 'sentinel' } satisfies EventsListenerData,
    ]);
    const driver = new Crew<EventsDriverResult>('fixtures/service-events-driver.ts', [
      {
        handle: service.handle,
        control: control.buffer as SharedArrayBuffer,
        name: 'flappy',
        sentinel: 'sentinel',
        cycles: CYCLES,
        ack: ACK,
        openTimeoutMs: OPEN_TIMEOUT_MS,
        stallMs: 2_000,
      } satisfies EventsDriverData,
    ]);
    try {
      const [driven] = (await driver.results()) as [EventsDriverResult];
      const [inPeer] = (await listener.results()) as [Delivered[]];
      await sentinel;

      expect(driven.stalls).toEqual([]);
      const changes = driven.changes;
      expect(changes).toHaveLength(200);
      expect(changes.filter((c) => c.to === BreakerState.Open)).toHaveLength(75);
      expect(service.getBreakerStatistics('flappy').transitions).toBe(200);

      const report: string[] = [];
      const late: Record<string, { k: number; ms: number }[]> = {};
      for (const [where, delivered] of [
        ['main thread', inMain],
        ['listening worker', inPeer],
      ] as const) {
        const driven = delivered.filter((d) => d.endpoint === 'flappy');
        // Exactly once each, in order, with the states and slab time of the change; then the sentinel, once, last.
        expect(shape(driven), where).toEqual(shape(changes));
        expect(delivered.filter((d) => d.endpoint === 'sentinel'), where).toHaveLength(1);
        expect(delivered.at(-1)?.endpoint, where).toBe('sentinel');
        expect(delivered, where).toHaveLength(201);
        const latencies = driven.map((d, k) => d.realMs - (changes[k] as DrivenChange).realMs);
        late[where] = latencies.map((ms, k) => ({ k, ms })).filter(({ ms }) => ms > MAX_LATENCY_MS);
        report.push(
          `${where}: mean ${(latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(1)} ms, ` +
            `max ${Math.max(...latencies).toFixed(1)} ms over ${latencies.length} changes`,
        );
      }
      console.log(`state change delivery latency (from just before the call that made the change): ${report.join('; ')}`);
      // Changes delivered more than MAX_LATENCY_MS after the call that made them: none.
      expect(late).toEqual({ 'main thread': [], 'listening worker': [] });
    } finally {
      subscription.dispose();
      await Promise.all([listener.dispose(), driver.dispose()]);
      service.close();
    }
  });
});
