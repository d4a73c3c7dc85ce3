/**
 * ResilientRemoteExecutor against the coordinator in another process on loopback: what counts as
 * a failure of the coordinator, its circuit opening, and per-action priority.
 */
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BreakerState,
  isCircuitOpenError,
  ManualClock,
  type Policy,
  PolicyBuilder,
  PolicyPresets,
  Priority,
  ResilienceService,
} from '../../src/index.js';
import type { ActionResult, ActionSpec } from '../../src/integrations/executor/ActionResult.js';
import { isCoordinatorHttpError } from '../../src/integrations/executor/CoordinatorHttpError.js';
import { COORDINATOR_CLASSIFIER } from '../../src/integrations/executor/coordinatorClassifier.js';
import { RemoteExecutor, type RemoteExecuteOptions } from '../../src/integrations/executor/RemoteExecutor.js';
import { ResilientRemoteExecutor } from '../../src/integrations/executor/ResilientRemoteExecutor.js';
import { isTransportError } from '../../src/integrations/transport/TransportError.js';
import { EVENT_BOUND_MS, type FixtureProcess, startFixture, until } from '../support/fixtureProcess.js';

const node = process.execPath;
const workDir = realpathSync(tmpdir());
const js = (code: string): string[] => [node, '-e', code];

async function running(url: string): Promise<number> {
  return ((await (await fetch(`${url}/health`)).json()) as { running: number }).running;
}

/** A breaker that opens after 3 calls of which half failed, and never reopens during a test. */
const touchy = (): Policy =>
  PolicyBuilder.create().withMinimumRequests(3).withBreakerThreshold(0.5).withBreakerTimeout('1h').withClassifier(COORDINATOR_CLASSIFIER).build();

/** A RemoteExecutor that records the order in which actions are let through to the coordinator. */
class RecordingExecutor extends RemoteExecutor {
  readonly sent: string[] = [];
  #wake: (() => void) | undefined;

  override execute(actionId: string, spec: ActionSpec, command: readonly string[], dir: string, options?: RemoteExecuteOptions): Promise<ActionResult> {
    this.sent.push(actionId);
    this.#wake?.();
    return super.execute(actionId, spec, command, dir, options);
  }

  /** Resolves when `count` actions have been let through. */
  async sentAtLeast(count: number): Promise<void> {
    const deadline = performance.now() + EVENT_BOUND_MS;
    while (this.sent.length < count) {
      if (performance.now() > deadline) throw new Error(`only ${this.sent.length} of ${count} actions sent`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }
}

describe('ResilientRemoteExecutor and the coordinator, in two processes', () => {
  let coordinator: FixtureProcess<never>;

  beforeAll(async () => {
    coordinator = await startFixture<never>('integration-coordinator', { maxConcurrent: 1 });
  });
  afterAll(async () => {
    await coordinator?.stop();
  });

  it('runs actions under coordinator:<origin>, registered as highThroughput with the coordinator classifier', async () => {
    using resilience = new ResilienceService(undefined, { env: false });
    const resilient = new ResilientRemoteExecutor(new RemoteExecutor(), coordinator.url, resilience);
    expect(resilient.endpoint).toBe(`coordinator:${new URL(coordinator.url).origin}`);
    expect(resilience.policyOf(resilient.endpoint)).toEqual({ ...PolicyPresets.highThroughput(), classifier: COORDINATOR_CLASSIFIER });
    const result = await resilient.execute('answer', {}, js('console.log(6*7)'), workDir);
    expect([result.actionId, result.exitCode, result.stdout]).toEqual(['answer', 0, '42\n']);
  });

  it('a command that fails and a request the coordinator refuses (400) are not failures of the coordinator', async () => {
    using resilience = new ResilienceService(undefined, { env: false });
    const resilient = new ResilientRemoteExecutor(new RemoteExecutor(), coordinator.url, resilience);
    resilience.registerEndpoint(resilient.endpoint, touchy());
    for (let i = 0; i < 3; i++) {
      const failed = await resilient.execute(`fails-${i}`, {}, js('process.exit(1)'), workDir);
      expect(failed.exitCode).toBe(1);
      const refused = await resilient.execute(`relative-${i}`, {}, js('1'), 'relative/dir').catch((e: unknown) => e);
      expect(isCoordinatorHttpError(refused) && refused.status).toBe(400);
    }
    const stats = resilience.getBreakerStatistics(resilient.endpoint);
    expect([stats.total, stats.failures, stats.state]).toEqual([6, 0, BreakerState.Closed]);
  });

  it('503s of a saturated coordinator are failures: the circuit opens and actions are refused at once', async () => {
    using resilience = new ResilienceService(undefined, { env: false });
    const plain = new RemoteExecutor({ coordinatorUrl: coordinator.url });
    const resilient = new ResilientRemoteExecutor(new RemoteExecutor(), coordinator.url, resilience);
    resilience.registerEndpoint(resilient.endpoint, touchy());
    const caller = new AbortController();
    const long = plain.execute('occupies-the-only-slot', {}, js('setInterval(() => {}, 1000)'), workDir, { signal: caller.signal });
    try {
      await until(async () => (await running(coordinator.url)) === 1, 'the slot taken');
      for (let i = 0; i < 3; i++) {
        const error = await resilient.execute(`more-${i}`, {}, js('1'), workDir).catch((e: unknown) => e);
        expect(isCoordinatorHttpError(error) && error.status).toBe(503);
      }
      const started = performance.now();
      const refused = await resilient.execute('refused', {}, js('1'), workDir).catch((e: unknown) => e);
      expect(isCircuitOpenError(refused)).toBe(true);
      expect(performance.now() - started).toBeLessThan(100);
      expect(resilience.getBreakerStatistics(resilient.endpoint).failures).toBe(3);
    } finally {
      caller.abort();
      await long.catch(() => {});
      await until(async () => (await running(coordinator.url)) === 0, 'the slot freed');
    }
  });

  it('per-action priority: the argument, else spec.priority, else Normal decides who goes first when tokens are short', async () => {
    const clock = new ManualClock();
    using resilience = new ResilienceService(undefined, { clock, env: false });
    const executor = new RecordingExecutor();
    const resilient = new ResilientRemoteExecutor(executor, coordinator.url, resilience, { timeoutMs: '10m' });
    // One token per 100 ms of the manual clock, none in reserve.
    resilience.registerEndpoint(resilient.endpoint, PolicyBuilder.from(touchy()).withRateLimit(10).withBurstCapacity(1).build());
    await resilient.execute('first', {}, js('1'), workDir);

    const say = (id: string): string[] => js(`process.stdout.write(${JSON.stringify(id)})`);
    const pending = new Map([
      ['low-by-spec', resilient.execute('low-by-spec', { priority: Priority.Low }, say('low-by-spec'), workDir)],
      ['normal-by-default', resilient.execute('normal-by-default', {}, say('normal-by-default'), workDir)],
      ['high-by-argument', resilient.execute('high-by-argument', { priority: Priority.Low }, say('high-by-argument'), workDir, Priority.High)],
      ['critical-by-spec', resilient.execute('critical-by-spec', { priority: Priority.Critical }, say('critical-by-spec'), workDir)],
    ]);
    const results: ActionResult[] = [];
    for (let i = 0; i < pending.size; i++) {
      clock.advance(100); // one token: the highest waiting priority takes it
      await executor.sentAtLeast(2 + i);
      // The coordinator runs one action at a time: let this one finish before the next token.
      results.push(await (pending.get(executor.sent[1 + i] as string) as Promise<ActionResult>));
    }
    expect(executor.sent).toEqual(['first', 'critical-by-spec', 'high-by-argument', 'normal-by-default', 'low-by-spec']);
    expect(results.map((r) => [r.actionId, r.stdout, r.exitCode])).toEqual(executor.sent.slice(1).map((id) => [id, id, 0]));
  });

  it('a bad priority or URL is refused before anything is sent or counted', async () => {
    using resilience = new ResilienceService(undefined, { env: false });
    const resilient = new ResilientRemoteExecutor(new RemoteExecutor(), coordinator.url, resilience);
    await expect(resilient.execute('a', {}, js('1'), workDir, 300)).rejects.toThrow(/priority: expected an integer from 0 to 255/);
    await expect(resilient.execute('a', { priority: -1 }, js('1'), workDir)).rejects.toThrow(/spec\.priority: expected an integer from 0 to 255/);
    expect(resilience.getBreakerStatistics(resilient.endpoint).total).toBe(0);
    let thrown: unknown;
    try {
      new ResilientRemoteExecutor(new RemoteExecutor(), 'coordinator.local:80', resilience);
    } catch (error) {
      thrown = error;
    }
    expect(isTransportError(thrown) && thrown.code).toBe('INVALID_URL');
  });
});

describe('a coordinator process that dies', () => {
  it('opens the circuit: network failures count, then actions are refused at once with CircuitOpenError', async () => {
    const coordinator = await startFixture<never>('integration-coordinator');
    using resilience = new ResilienceService(undefined, { env: false });
    try {
      const resilient = new ResilientRemoteExecutor(new RemoteExecutor(), coordinator.url, resilience);
      resilience.registerEndpoint(resilient.endpoint, touchy());
      expect((await resilient.execute('before', {}, js('1'), workDir)).exitCode).toBe(0);
      await coordinator.kill('SIGKILL');
      // 1 success + 2 failures: 67 % >= 50 % over >= 3 calls.
      for (let i = 0; i < 2; i++) {
        const error = await resilient.execute(`lost-${i}`, {}, js('1'), workDir).catch((e: unknown) => e);
        expect(isTransportError(error) && error.code).toBe('NETWORK');
      }
      const started = performance.now();
      const refused = await resilient.execute('refused', {}, js('1'), workDir).catch((e: unknown) => e);
      expect(isCircuitOpenError(refused)).toBe(true);
      expect(performance.now() - started).toBeLessThan(100);
    } finally {
      await coordinator.stop();
    }
  });
});
