import { afterEach, describe, expect, it } from 'vitest';
import { REAL_CLOCK_START } from '../../src/core/SharedClock.js';
import { PolicyPresets, ResilienceService } from '../../src/index.js';

const opened: ResilienceService[] = [];
afterEach(() => {
  for (const svc of opened.splice(0)) svc.close();
});

function realService(): ResilienceService {
  const svc = new ResilienceService(PolicyPresets.standard(), { capacity: 4 });
  opened.push(svc);
  return svc;
}

/** Polls `now()` (awaiting short timers) until it passes `after`; bounded. Used only to observe the real clock. */
async function waitPast(svc: ResilienceService, after: number, limitMs = 5_000): Promise<number> {
  const until = performance.now() + limitMs;
  for (;;) {
    const now = svc.clock.now();
    if (now > after || performance.now() > until) return now;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('the real clock', () => {
  it('starts near REAL_CLOCK_START (65 s before the 32-bit wrap) and moves forward on its own', async () => {
    const svc = realService();
    expect(svc.clock.kind).toBe('real');
    const t0 = svc.clock.now();
    expect(t0).toBeGreaterThanOrEqual(REAL_CLOCK_START);
    expect(t0).toBeLessThan(REAL_CLOCK_START + 60_000);
    const t1 = await waitPast(svc, t0 + 20);
    expect(t1).toBeGreaterThan(t0 + 20);
  });

  it('follows the monotonic clock of the process', async () => {
    const svc = realService();
    svc.clock.refresh();
    const c0 = svc.clock.now();
    const w0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    svc.clock.refresh();
    const c1 = svc.clock.now();
    const w1 = performance.now();
    // Slab time is whole milliseconds, the ticker may move it between the reads, and a busy
    // machine may pause this thread between a refresh and the wall-clock read: 10 ms of slack
    // still tells a clock that tracks from one running at another speed.
    expect(c1 - c0).toBeGreaterThanOrEqual(Math.floor(w1 - w0) - 10);
    expect(c1 - c0).toBeLessThanOrEqual(Math.ceil(w1 - w0) + 10);
  });

  it('is the same clock in a service attached to the same slab', async () => {
    const svc = realService();
    const attached = ResilienceService.attach(svc.handle);
    const t0 = svc.clock.now();
    await waitPast(svc, t0 + 5);
    expect(attached.clock.kind).toBe('real');
    const a = attached.clock.now();
    const b = svc.clock.now();
    expect(Math.abs(a - b)).toBeLessThanOrEqual(5);
  });

  it('refuses to be advanced by hand', () => {
    const svc = realService();
    expect(() => svc.clock.advance(1_000)).toThrow(TypeError);
  });

  it('keeps running for a service after another one closes', async () => {
    const first = realService();
    const second = realService();
    first.close();
    const t0 = second.clock.now();
    expect(await waitPast(second, t0 + 10)).toBeGreaterThan(t0 + 10);
  });
});
