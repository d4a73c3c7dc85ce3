import { afterEach, describe, expect, it, vi } from 'vitest';
import { BreakerState, type LimiterMetrics, PolicyBuilder, type StateChangeEvent } from '../../src/index.js';
import { failingOp, manualService, pause, rejection, until } from './api-support.js';

/** Opens after 2 failures; retests after 1 s; one successful trial closes. */
const quick = PolicyBuilder.create().withMinimumRequests(2).withBreakerTimeout('1s').withHalfOpenTrials(1).build();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('events', () => {
  it('onStateChange receives CLOSED→OPEN→HALF_OPEN→CLOSED exactly once each, with endpoint and time', async () => {
    const { service, clock } = manualService();
    service.registerEndpoint('svc', quick);
    const events: StateChangeEvent[] = [];
    const sub = service.onStateChange((e) => events.push(e));
    clock.advance(5000);
    await rejection(service.execute('svc', failingOp().op));
    await rejection(service.execute('svc', failingOp().op));
    clock.advance(1000);
    expect(await service.execute('svc', () => 'ok')).toBe('ok');
    await until(() => events.length >= 3, 'three events');
    await pause(40);
    expect(events).toEqual([
      { endpoint: 'svc', from: BreakerState.Closed, to: BreakerState.Open, at: 5000 },
      { endpoint: 'svc', from: BreakerState.Open, to: BreakerState.HalfOpen, at: 6000 },
      { endpoint: 'svc', from: BreakerState.HalfOpen, to: BreakerState.Closed, at: 6000 },
    ]);
    sub.dispose();
    service.close();
  });

  it("the subscription's dispose() stops delivery", async () => {
    const { service } = manualService();
    service.registerEndpoint('svc', quick);
    const events: StateChangeEvent[] = [];
    const other: StateChangeEvent[] = [];
    const sub = service.onStateChange((e) => events.push(e));
    const keep = service.onStateChange((e) => other.push(e));
    sub.dispose();
    await rejection(service.execute('svc', failingOp().op));
    await rejection(service.execute('svc', failingOp().op));
    await until(() => other.length >= 1, 'the remaining listener');
    await pause(30);
    expect(events).toEqual([]);
    expect(other).toHaveLength(1);
    keep.dispose();
    service.close();
  });

  it("service.events.on('stateChange', fn) works too", async () => {
    const { service } = manualService();
    service.registerEndpoint('svc', quick);
    const events: StateChangeEvent[] = [];
    const fn = (e: StateChangeEvent): void => {
      events.push(e);
    };
    service.events.on('stateChange', fn);
    await pause(20);
    await rejection(service.execute('svc', failingOp().op));
    await rejection(service.execute('svc', failingOp().op));
    await until(() => events.length >= 1, 'the event');
    expect(events[0]).toMatchObject({ endpoint: 'svc', from: BreakerState.Closed, to: BreakerState.Open });
    service.events.off('stateChange', fn);
    service.close();
  });

  it("service.events.on('stateChange', fn) delivers a transition made right after subscribing (same tick)", async () => {
    const { service } = manualService();
    service.registerEndpoint('svc', quick);
    const events: StateChangeEvent[] = [];
    service.events.on('stateChange', (e) => events.push(e));
    const ep = service.endpoint('svc');
    ep.record(ep.tryAcquire(), false);
    ep.record(ep.tryAcquire(), false);
    expect(ep.state).toBe(BreakerState.Open);
    await until(() => events.length >= 1, 'the event', 1000);
    expect(events[0]).toMatchObject({ endpoint: 'svc', from: BreakerState.Closed, to: BreakerState.Open });
    service.close();
  });

  it('onMetricsUpdate(endpoint, state, metrics) is called on a state change with BreakerState.Open', async () => {
    const { service } = manualService();
    service.registerEndpoint('svc', quick);
    const calls: [string, BreakerState, LimiterMetrics][] = [];
    service.onMetricsUpdate = (endpoint, state, metrics) => {
      calls.push([endpoint, state, metrics]);
    };
    await pause(20);
    await rejection(service.execute('svc', failingOp().op));
    await rejection(service.execute('svc', failingOp().op));
    await until(() => calls.some(([, state]) => state === BreakerState.Open), 'the Open callback');
    const open = calls.find(([, state]) => state === BreakerState.Open);
    expect(open?.[0]).toBe('svc');
    expect(open?.[2].accepted).toBe(2);
    expect(typeof open?.[2].rejectionRate()).toBe('number');
    expect(service.onMetricsUpdate).toBeTypeOf('function');
    service.onMetricsUpdate = undefined;
    expect(service.onMetricsUpdate).toBeUndefined();
    service.close();
  });

  it('a listener that throws does not stop the others', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { service } = manualService();
    service.registerEndpoint('svc', quick);
    const seen: string[] = [];
    service.onStateChange(() => {
      throw new Error('listener failure');
    });
    service.onStateChange((e) => seen.push(`second:${e.to}`));
    service.onMetricsUpdate = (_endpoint, state) => {
      seen.push(`metrics:${state}`);
    };
    await pause(20);
    await rejection(service.execute('svc', failingOp().op));
    await rejection(service.execute('svc', failingOp().op));
    await until(() => seen.includes(`second:${BreakerState.Open}`) && seen.includes(`metrics:${BreakerState.Open}`), 'the other listeners');
    expect(warn).toHaveBeenCalled();
    expect(String(warn.mock.calls[0]?.[0])).toContain('listener failure');
    service.close();
  });

  it('close() stops delivery', async () => {
    const { service } = manualService();
    service.registerEndpoint('svc', quick);
    const events: StateChangeEvent[] = [];
    service.onStateChange((e) => events.push(e));
    service.close();
    const ep = service.endpoint('svc');
    ep.record(ep.tryAcquire(), false);
    ep.record(ep.tryAcquire(), false);
    await pause(40);
    expect(events).toEqual([]);
  });
});
