/**
 * The worker protocol between two processes on loopback: this test process sends through the
 * resilient transport; a WorkerProtocolServer in a forked process receives and reports every
 * message, in order, over IPC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BreakerState,
  isCircuitOpenError,
  isNetworkError,
  isResilienceTimeoutError,
  ManualClock,
  PolicyBuilder,
  ResilienceService,
} from '../../src/index.js';
import { HttpWorkerTransport } from '../../src/integrations/transport/HttpWorkerTransport.js';
import type { Heartbeat } from '../../src/integrations/transport/messages.js';
import { ResilientTransportFactory } from '../../src/integrations/transport/ResilientTransportFactory.js';
import { isTransportError, type TransportError } from '../../src/integrations/transport/TransportError.js';
import type { WorkerServerEvent } from '../fixtures/integration-worker-server.js';
import { type FixtureProcess, startFixture } from '../support/fixtureProcess.js';

const beat = (workerId: string, queueDepth = 0): Heartbeat => ({ workerId, timestamp: 1_700_000_000_000, load: 0.5, queueDepth });

describe('worker protocol between two processes', () => {
  let peer: FixtureProcess<WorkerServerEvent>;

  beforeAll(async () => {
    peer = await startFixture<WorkerServerEvent>('integration-worker-server', { slowMs: 1500 });
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it('delivers heartbeats, steal requests and steal responses, addressed and checked, with only their documented fields', async () => {
    using resilience = new ResilienceService(undefined, { env: false });
    const transport = ResilientTransportFactory.create(peer.url, resilience).unwrap();
    const before = peer.events.length;
    await transport.sendHeartBeat('victim', { ...beat('thief', 3), extra: 'dropped' } as Heartbeat);
    await transport.sendStealRequest('victim', { thiefId: 'thief', maxActions: 2 });
    await transport.sendStealResponse('thief', { victimId: 'victim', actions: [{ actionId: 'a1', priority: 200 }, { actionId: 'a2', estimatedMs: 40 }] });
    const events = (await peer.waitForEvents(before + 3)).slice(before);
    expect(events).toEqual([
      { kind: 'heartbeat', to: 'victim', message: beat('thief', 3) },
      { kind: 'steal-request', to: 'victim', message: { thiefId: 'thief', maxActions: 2 } },
      { kind: 'steal-response', to: 'thief', message: { victimId: 'victim', actions: [{ actionId: 'a1', priority: 200 }, { actionId: 'a2', estimatedMs: 40 }] } },
    ]);
    const stats = resilience.getBreakerStatistics(transport.endpoint);
    expect([stats.total, stats.failures]).toEqual([3, 0]);
  });

  it('the peer refuses a malformed body with 400 naming the field, and an unknown path with 404', async () => {
    const bad = await fetch(`${peer.url}/heartbeat`, { method: 'POST', body: JSON.stringify({ to: 'w', message: { ...beat('w'), queueDepth: 1.5 } }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^message\.queueDepth: expected an integer/);
    const get = await fetch(`${peer.url}/heartbeat`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    const garbled = await fetch(`${peer.url}/steal-request`, { method: 'POST', body: '{"to":' });
    expect(garbled.status).toBe(400);
    const wrongBase = new HttpWorkerTransport(`${peer.url}/not-here`);
    const error = (await wrongBase.sendHeartBeat('w', beat('w')).catch((e: unknown) => e)) as TransportError;
    expect(isTransportError(error)).toBe(true);
    expect([error.code, error.status]).toEqual(['HTTP_STATUS', 404]);
    expect(isNetworkError(error)).toBe(false);
  });

  it('under a saturated endpoint, heartbeats and steal responses (High) go before steal requests (Normal): the order at the peer', async () => {
    const clock = new ManualClock();
    using resilience = new ResilienceService(undefined, { clock, env: false });
    // One token per 100 ms of the manual clock, none in reserve: every message waits its turn.
    resilience.registerEndpoint(`worker:${new URL(peer.url).origin}`, PolicyBuilder.create().withRateLimit(10).withBurstCapacity(1).build());
    const transport = ResilientTransportFactory.create(peer.url, resilience, { timeoutMs: 60_000 }).unwrap();
    let seen = peer.events.length;
    await transport.sendHeartBeat('peer', beat('uses-the-only-token'));
    await peer.waitForEvents(++seen);
    const first = seen;

    const sent = [
      transport.sendStealRequest('peer', { thiefId: 'request-1', maxActions: 1 }),
      transport.sendStealRequest('peer', { thiefId: 'request-2', maxActions: 1 }),
      transport.sendHeartBeat('peer', beat('heartbeat-1')),
      transport.sendStealResponse('peer', { victimId: 'response-1', actions: [] }),
      transport.sendHeartBeat('peer', beat('heartbeat-2')),
    ];
    for (let i = 0; i < sent.length; i++) {
      clock.advance(100); // one token: the highest waiting class takes it and sends
      await peer.waitForEvents(++seen);
    }
    await Promise.all(sent);
    const order = peer.events.slice(first).map((e) => {
      const m = e.message as { workerId?: string; thiefId?: string; victimId?: string };
      return m.workerId ?? m.thiefId ?? m.victimId;
    });
    expect(order).toEqual(['heartbeat-1', 'response-1', 'heartbeat-2', 'request-1', 'request-2']);
  });

  it('a message the peer does not answer in time is a TransportError TIMEOUT (plain) or a counted ResilienceTimeoutError (resilient)', async () => {
    const plain = new HttpWorkerTransport(peer.url, { timeoutMs: 100 });
    const error = (await plain.sendHeartBeat('peer', beat('slow')).catch((e: unknown) => e)) as TransportError;
    expect(isTransportError(error)).toBe(true);
    expect(error.code).toBe('TIMEOUT');
    expect(isNetworkError(error)).toBe(true);

    using resilience = new ResilienceService(undefined, { env: false });
    const transport = ResilientTransportFactory.create(peer.url, resilience, { timeoutMs: 100 }).unwrap();
    const timedOut = await transport.sendHeartBeat('peer', beat('slow')).catch((e: unknown) => e);
    expect(isResilienceTimeoutError(timedOut)).toBe(true);
    expect(resilience.getBreakerStatistics(transport.endpoint).failures).toBe(1);
  });
});

describe('a peer process that dies', () => {
  it('opens the circuit of its endpoint (default highThroughput policy): later messages are refused at once with CircuitOpenError', async () => {
    const peer = await startFixture<WorkerServerEvent>('integration-worker-server');
    using resilience = new ResilienceService(undefined, { env: false });
    try {
      const transport = ResilientTransportFactory.create(peer.url, resilience).unwrap();
      await transport.sendHeartBeat('peer', beat('alive'));
      await peer.kill('SIGKILL');

      // highThroughput: at least 15 calls in the window and a failure rate of at least 60 %.
      // With one success before, the 14th failure opens the circuit.
      const failures: unknown[] = [];
      let refused: unknown;
      for (let i = 0; i < 20 && refused === undefined; i++) {
        const error = await transport.sendHeartBeat('peer', beat('alive')).then(() => undefined, (e: unknown) => e);
        if (isCircuitOpenError(error)) refused = error;
        else failures.push(error);
      }
      expect(failures).toHaveLength(14);
      for (const failure of failures) {
        expect(isTransportError(failure) && failure.code === 'NETWORK').toBe(true);
        expect(isNetworkError(failure)).toBe(true);
      }
      expect(isCircuitOpenError(refused)).toBe(true);
      expect(resilience.endpoint(transport.endpoint).state).toBe(BreakerState.Open);

      const started = performance.now();
      const fast = await transport.sendStealRequest('peer', { thiefId: 'me', maxActions: 1 }).catch((e: unknown) => e);
      expect(isCircuitOpenError(fast)).toBe(true);
      expect(performance.now() - started).toBeLessThan(100);
    } finally {
      await peer.stop();
    }
  });
});
