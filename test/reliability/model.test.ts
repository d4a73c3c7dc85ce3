/**
 * Model-based tests (fast-check `commands`): random sequences of register / tryAcquire / record /
 * advance-time / adjustRate / resetStats / unregister over a small set of names on a slab of
 * small capacity (so CapacityError and re-registration with the default policy happen), applied
 * to the real service and to the reference model. After every command the results, the endpoint
 * names, clock, breaker states, exact totals, rolling windows and rates in force must agree.
 *
 * The second property runs the same kind of sequences with each command made by the main thread
 * or by one of two worker threads (each with its own cached endpoint handles, attached to the
 * same slab), so handles going stale in one thread while another unregisters or re-registers
 * are exercised too.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Rational } from '../model/Rational.js';
import { SELF_CHECK_MODEL } from '../support/service.js';
import {
  ADAPTIVE_RATES,
  cmdArb,
  type Executor,
  HEALTH_CHOICES,
  MainExecutor,
  ModelMismatch,
  scenarioArb,
  Step,
  WorkerExecutor,
  World,
} from './harness.js';
import { reportFigures, scaled, tally } from './support.js';

afterAll(reportFigures);

const MAIN_RUNS = scaled(1_000, 12_000);
const THREAD_RUNS = scaled(200, 2_500);
const MAX_COMMANDS = scaled(50, 80);

async function property(threads: readonly Executor[], numRuns: number): Promise<void> {
  let runs = 0;
  let commands = 0;
  let calls = 0;
  await fc.assert(
    fc.asyncProperty(scenarioArb(), fc.commands([cmdArb(threads.length).map((c) => new Step(c))], { maxCommands: MAX_COMMANDS, size: 'max' }), async (scenario, cmds) => {
      const world = await World.create(scenario, threads);
      try {
        world.check('after start');
        await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
      } finally {
        world.close();
        runs++;
        commands += [...cmds].length;
        calls += world.calls;
      }
    }),
    { numRuns },
  );
  const label = threads.length === 1 ? 'model, main thread' : `model, main + ${threads.length - 1} workers`;
  tally(`${label}: runs`, runs);
  tally(`${label}: commands`, commands);
  tally(`${label}: API calls checked`, calls);
}

describe('model-based: the service agrees with the reference model', () => {
  it('the scenarios have exact adaptive rates to draw from', () => {
    // (If this fails, a change to healthFactor or the state factors made the double arithmetic
    // inexact for every candidate: the adaptive part of the model would be skipped silently.)
    expect(HEALTH_CHOICES.length).toBeGreaterThanOrEqual(6);
    expect(ADAPTIVE_RATES.length).toBeGreaterThanOrEqual(5);
    expect(HEALTH_CHOICES.map((c) => c.factor.toString())).toContain('1/10');
  });

  it(`from the main thread: ${MAIN_RUNS.toLocaleString('en-US')} runs of up to ${MAX_COMMANDS} commands`, async () => {
    await property([new MainExecutor()], MAIN_RUNS);
  }, 600_000);

  it(`from the main thread and 2 workers: ${THREAD_RUNS.toLocaleString('en-US')} runs of up to ${MAX_COMMANDS} commands`, async () => {
    const threads = [new MainExecutor(), new WorkerExecutor(), new WorkerExecutor()];
    try {
      await property(threads, THREAD_RUNS);
      tally('model, main + 2 workers: operations executed in workers', threads.reduce((n, t) => n + (t instanceof WorkerExecutor ? t.sent : 0), 0));
    } finally {
      for (const t of threads) await t.close();
    }
  }, 600_000);

  it('the harness detects a call made behind the model’s back, and a wrong model', async () => {
    const scenario = {
      start: 1_000,
      capacity: 2,
      names: ['a', 'b'],
      policies: [0, 1, 2].map(() => ({ ...SELF_CHECK_MODEL, adaptive: true })),
    };
    const world = await World.create(scenario, [new MainExecutor()]);
    await world.apply({ t: 'acquire', th: 0, ep: 0, n: 1 });
    world.service.endpoint('a').tryAcquire();
    expect(() => world.check('after an extra call')).toThrow(ModelMismatch);
    world.close();

    const other = await World.create(scenario, [new MainExecutor()]);
    await other.apply({ t: 'register', th: 0, ep: 1, policy: 0 });
    // The model believes the health factor is 1/2 while the service is told 0.1 + 1.4 x 0: the rates differ.
    other.model.endpoint('b').adjustHealth(Rational.of(1, 2), other.model.now);
    other.service.adjustRate('b', 0);
    expect(() => other.check('after a wrong adjustRate')).toThrow(/currentRate/);
    other.close();
  });
});
