/**
 * The model-based test harness: the real service (operated from the main thread and from worker
 * threads) and the reference model (test/model/ReferenceModel.ts) side by side, driven by
 * fast-check `commands`.
 *
 * What the model adds to ReferenceModel here is what lives outside one endpoint:
 *
 * - registration: a name is registered by registerEndpoint, and also (with the default policy)
 *   by any use of it through a thread's handle when it is not registered; registering past the
 *   slab's capacity throws CapacityError and changes nothing;
 * - incarnations: unregistering forgets the endpoint; registering the name again makes a fresh
 *   one;
 * - per-thread handles: each thread caches one handle per name (service.endpoint(name)), bound to
 *   one incarnation. tryAcquire, adjustRate and resetStats rebind a stale handle (registering the
 *   name again if needed); record() through a stale handle does nothing; record() through a handle
 *   bound to the current incarnation applies whatever ticket it is given, including one issued to
 *   an earlier incarnation (the README's "a call in flight while its endpoint is unregistered may
 *   be counted against the endpoint that reuses the record").
 *
 * Adaptive rates are products of doubles in the implementation (nominal × (0.1 + 1.4 × health) ×
 * state factor) and exact rationals in the model. The scenarios only use nominal rates and health
 * scores for which every such product, and the token interval 1000 / rate, is exactly the double
 * the implementation computes (checked when this module loads, see ADAPTIVE_RATES), so the
 * comparison stays exact.
 */
import type { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { healthFactor, ManualClock, ResilienceService, STATE_RATE_FACTORS } from '../../src/index.js';
import { expectedTicket, rateNumber, toPolicy } from '../model/adapter.js';
import { advanceArb, clockStartArb, decimalRateArb, dyadicRateArb, geometryArb, policyArb } from '../model/arbitraries.js';
import { Rational } from '../model/Rational.js';
import { type AcquireResult, bucketWidth, type ModelPolicy, type ModelRate, ReferenceModel, STATE_RATE_FACTOR } from '../model/ReferenceModel.js';
import { totalsOf, windowOf } from '../support/inspect.js';
import { spawn } from '../support/workers.js';
import { exactOf } from './support.js';
import { applyWireOp, type OpsReply, type OpsRequest, type Outcome, type WireOp } from './wire.js';

// ---- exact adaptive rates ------------------------------------------------------------------------

/** A health score and the exact health factor 0.1 + 1.4 × score it stands for. */
export interface HealthChoice {
  readonly health: number;
  readonly factor: Rational;
}

/** Health scores (found by search) whose factor 0.1 + 1.4 × h, computed in doubles, is exactly the double of a simple rational. */
const HEALTH_CANDIDATES: readonly [number, Rational][] = [
  [0, Rational.of(1, 10)],
  [0.017857142857142856, Rational.of(1, 8)],
  [0.07142857142857142, Rational.of(1, 5)],
  [0.10714285714285714, Rational.of(1, 4)],
  [0.21428571428571427, Rational.of(2, 5)],
  [0.2857142857142857, Rational.of(1, 2)],
  [0.37500000000000006, Rational.of(5, 8)],
  [0.5000000000000001, Rational.of(4, 5)],
  [0.6428571428571429, Rational.of(1)],
  [0.8214285714285714, Rational.of(5, 4)],
];

/** Nominal rates of the form 2^a × 5^b, whose token intervals have short exact expansions. */
const NOMINAL_CANDIDATES: readonly ModelRate[] = [
  { num: 1, den: 8 },
  { num: 1, den: 2 },
  { num: 1, den: 1 },
  { num: 2, den: 1 },
  { num: 5, den: 1 },
  { num: 8, den: 1 },
  { num: 10, den: 1 },
  { num: 20, den: 1 },
  { num: 25, den: 1 },
  { num: 40, den: 1 },
  { num: 50, den: 1 },
  { num: 100, den: 1 },
  { num: 125, den: 1 },
  { num: 200, den: 1 },
  { num: 250, den: 1 },
  { num: 400, den: 1 },
  { num: 1000, den: 1 },
  { num: 2000, den: 1 },
  { num: 5000, den: 1 },
];

/** True when the implementation's double arithmetic for `rate` with health factor `factor` (the double of `hf`) is exact in every breaker state. */
function exactInDoubles(rate: ModelRate, factor: number, hf: Rational): boolean {
  if (rate === 'unlimited') return true;
  for (let state = 0; state < 3; state++) {
    const sf = [STATE_RATE_FACTOR.CLOSED, STATE_RATE_FACTOR.OPEN, STATE_RATE_FACTOR.HALF_OPEN][state] as Rational;
    // As src/limiter/AdaptiveRate.ts currentRate() and applyRate() compute them.
    const real = (rate.num / rate.den) * factor * (STATE_RATE_FACTORS[state] as number);
    const exact = Rational.of(rate.num, rate.den).mul(hf).mul(sf);
    if (exactOf(real).compare(exact) !== 0) return false;
    const interval = Rational.of(1000).div(exact);
    if (exactOf(1000 / real).compare(interval) !== 0) return false;
    // Positions (now − origin) / interval must stay well clear of the bucket's 1e-6 slack.
    if (interval.num > 500_000n) return false;
  }
  return true;
}

/** Health choices: the implementation's factor 0.1 + 1.4 × h is the double nearest to the rational. */
export const HEALTH_CHOICES: readonly HealthChoice[] = HEALTH_CANDIDATES.filter(([h, f]) => healthFactor(h) === f.toNumber()).map(([health, factor]) => ({
  health,
  factor,
}));

/** Nominal rates for adaptive policies: exact at health factor 1 (before any adjustRate) and at every health choice, in every state. */
export const ADAPTIVE_RATES: readonly ModelRate[] = NOMINAL_CANDIDATES.filter(
  (rate) => exactInDoubles(rate, 1, Rational.of(1)) && HEALTH_CHOICES.every((c) => exactInDoubles(rate, healthFactor(c.health), c.factor)),
);

// ---- scenarios and commands ----------------------------------------------------------------------

export interface Scenario {
  readonly start: number;
  readonly capacity: number;
  /** The names the commands use (more than the capacity, sometimes). */
  readonly names: readonly string[];
  /** policies[0] is the service's default policy. All share one window geometry. */
  readonly policies: readonly ModelPolicy[];
}

/** A command: an operation, made by thread `th` (0: the main thread, k: worker k). */
export type Cmd =
  | { readonly t: 'register'; readonly th: number; readonly ep: number; readonly policy: number }
  | { readonly t: 'unregister'; readonly th: number; readonly ep: number }
  | { readonly t: 'acquire'; readonly th: number; readonly ep: number; readonly n: number }
  | { readonly t: 'record'; readonly th: number; readonly ep: number; readonly pick: number; readonly ok: boolean }
  | { readonly t: 'advance'; readonly th: number; readonly ms: number }
  /** Advance to `buckets` window-bucket boundaries ahead, plus `offset` ms (-1, 0 or 1). */
  | { readonly t: 'align'; readonly th: number; readonly buckets: number; readonly offset: number }
  | { readonly t: 'adjust'; readonly th: number; readonly ep: number; readonly health: number }
  | { readonly t: 'reset'; readonly th: number; readonly ep: number };

const NAME_POOL = ['cache', 'coordinator', 'wörker-7', '__proto__', 'x'];

export function scenarioArb(): fc.Arbitrary<Scenario> {
  const plain = fc.oneof(dyadicRateArb, decimalRateArb);
  const adaptive = fc.constantFrom(...ADAPTIVE_RATES);
  return geometryArb.chain((geometry) => {
    const policy = fc.oneof(
      policyArb(geometry, plain),
      policyArb(geometry, adaptive).map((p) => ({ ...p, adaptive: true })),
      policyArb(geometry, fc.constant<ModelRate>('unlimited')).map((p) => ({ ...p, adaptive: true })),
    );
    return fc.record({
      start: clockStartArb,
      capacity: fc.integer({ min: 1, max: 4 }),
      names: fc.integer({ min: 2, max: NAME_POOL.length }).map((n) => NAME_POOL.slice(0, n)),
      policies: fc.array(policy, { minLength: 3, maxLength: 3 }),
    });
  });
}

/** Commands over `threads` threads (1: the main thread only). */
export function cmdArb(threads: number): fc.Arbitrary<Cmd> {
  const th = fc.integer({ min: 0, max: threads - 1 });
  const ep = fc.nat(NAME_POOL.length - 1);
  return fc.oneof(
    { weight: 10, arbitrary: fc.record({ t: fc.constant('acquire' as const), th, ep, n: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 400 }) }) }) },
    { weight: 8, arbitrary: fc.record({ t: fc.constant('record' as const), th, ep, pick: fc.nat(), ok: fc.boolean() }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('advance' as const), th, ms: advanceArb }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('align' as const), th, buckets: fc.integer({ min: 0, max: 3 }), offset: fc.integer({ min: -1, max: 1 }) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('register' as const), th, ep, policy: fc.nat(2) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('unregister' as const), th, ep }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('adjust' as const), th, ep, health: fc.nat(HEALTH_CHOICES.length - 1) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('reset' as const), th, ep }) },
  );
}

// ---- threads --------------------------------------------------------------------------------------

/** Applies operations in one thread. */
export interface Executor {
  attach(service: ResilienceService): Promise<void>;
  run(op: WireOp): Promise<Outcome[]>;
  close(): Promise<void>;
}

/** The main thread. */
export class MainExecutor implements Executor {
  #service: ResilienceService | undefined;
  async attach(service: ResilienceService): Promise<void> {
    this.#service = service;
  }
  async run(op: WireOp): Promise<Outcome[]> {
    if (this.#service === undefined) throw new Error('no service');
    return applyWireOp(this.#service, op);
  }
  async close(): Promise<void> {}
}

/** A worker of test/fixtures/reliability-ops.ts, attached to each run's service in turn. */
export class WorkerExecutor implements Executor {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (o: Outcome[]) => void; reject: (e: Error) => void }>();
  #next = 0;
  #failure: Error | undefined;
  /** Operations sent, for the figures. */
  sent = 0;

  constructor() {
    this.#worker = spawn('fixtures/reliability-ops.ts', undefined);
    this.#worker.on('message', (reply: OpsReply) => {
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      waiter?.resolve(reply.outcomes);
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      for (const w of this.#pending.values()) w.reject(error);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`reliability-ops.ts exited with code ${code}`)));
  }

  /** Sends a request and resolves with the worker's answer. */
  ask(request: OpsRequest): Promise<Outcome[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      this.#worker.postMessage(request);
    });
  }

  async attach(service: ResilienceService): Promise<void> {
    await this.ask({ id: this.nextId(), kind: 'attach', handle: service.handle });
  }

  /** A fresh request id. */
  nextId(): number {
    return this.#next++;
  }

  run(op: WireOp): Promise<Outcome[]> {
    this.sent++;
    return this.ask({ id: this.nextId(), kind: 'op', op });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

// ---- the model of the service -------------------------------------------------------------------

interface Pooled {
  readonly name: string;
  readonly real: number;
  readonly model: Exclude<AcquireResult, string>;
}

type ModelOutcome = { value: number | boolean | null } | { error: string };

const CAPACITY: ModelOutcome = { error: 'CAPACITY' };

export class ModelMismatch extends Error {
  override name = 'ModelMismatch';
}

/** One run: the real service, its threads, and the model, kept in lockstep. */
export class World {
  readonly service: ResilienceService;
  readonly model: ReferenceModel;
  readonly scenario: Scenario;
  readonly #threads: readonly Executor[];
  /** Incarnation of each registered name. */
  readonly #incarnation = new Map<string, number>();
  #nextIncarnation = 1;
  /** Per thread: the incarnation each cached handle is bound to. */
  readonly #bound: Map<string, number>[];
  /** Admitted tickets not yet recorded, any thread, any name. */
  readonly #pool: Pooled[] = [];
  readonly #log: string[] = [];
  /** Calls made on the real service, for the figures. */
  calls = 0;

  private constructor(scenario: Scenario, threads: readonly Executor[]) {
    this.scenario = scenario;
    this.#threads = threads;
    this.#bound = threads.map(() => new Map());
    const defaultPolicy = scenario.policies[0] as ModelPolicy;
    this.service = new ResilienceService(toPolicy(defaultPolicy), { clock: new ManualClock(scenario.start), capacity: scenario.capacity, env: false });
    this.model = new ReferenceModel(scenario.start);
    this.#log.push(`start at ${scenario.start}, capacity ${scenario.capacity}, policies ${JSON.stringify(scenario.policies)}`);
  }

  static async create(scenario: Scenario, threads: readonly Executor[]): Promise<World> {
    const world = new World(scenario, threads);
    for (const t of threads) await t.attach(world.service);
    return world;
  }

  close(): void {
    this.service.close();
  }

  async apply(cmd: Cmd): Promise<void> {
    const th = Math.min(cmd.th, this.#threads.length - 1);
    const thread = this.#threads[th] as Executor;
    const name = 'ep' in cmd ? (this.scenario.names[cmd.ep % this.scenario.names.length] as string) : '';
    const where = th === 0 ? 'main' : `worker ${th}`;
    switch (cmd.t) {
      case 'register': {
        const policy = this.scenario.policies[cmd.policy % this.scenario.policies.length] as ModelPolicy;
        const want = this.#register(name, policy);
        await this.#compare(thread, { op: 'register', name, policy: toPolicy(policy) }, [want], `${where}: register ${name} #${cmd.policy}`);
        break;
      }
      case 'unregister': {
        const existed = this.model.unregisterEndpoint(name);
        this.#incarnation.delete(name);
        await this.#compare(thread, { op: 'unregister', name }, [{ value: existed }], `${where}: unregister ${name}`);
        break;
      }
      case 'acquire': {
        const want: ModelOutcome[] = [];
        const admitted: (Pooled['model'] | undefined)[] = [];
        for (let i = 0; i < cmd.n; i++) {
          const bound = this.#rebind(th, name);
          if (bound !== undefined) {
            want.push(bound);
            admitted.push(undefined);
            continue;
          }
          const r = this.model.tryAcquire(name);
          want.push({ value: expectedTicket(r) });
          admitted.push(typeof r === 'string' ? undefined : r);
        }
        const got = await this.#compare(thread, { op: 'acquire', name, n: cmd.n }, want, `${where}: acquire ${name} x${cmd.n}`);
        for (const [i, m] of admitted.entries()) {
          const o = got[i];
          if (m !== undefined && o !== undefined && 'value' in o && typeof o.value === 'number') this.#pool.push({ name, real: o.value, model: m });
        }
        break;
      }
      case 'record': {
        const mine = this.#pool.filter((p) => p.name === name);
        if (mine.length === 0) return;
        const entry = mine[cmd.pick % mine.length] as Pooled;
        this.#pool.splice(this.#pool.indexOf(entry), 1);
        let want: ModelOutcome = { value: null };
        const handle = this.#handle(th, name);
        if (handle !== undefined) want = handle;
        else if (this.#bound[th]?.get(name) === this.#incarnation.get(name)) this.model.record(name, entry.model, cmd.ok);
        await this.#compare(thread, { op: 'record', name, ticket: entry.real, ok: cmd.ok }, [want], `${where}: record ${name} ticket ${entry.real} ${cmd.ok ? 'ok' : 'fail'}`);
        break;
      }
      case 'advance':
        this.model.advance(cmd.ms);
        await this.#compare(thread, { op: 'advance', ms: cmd.ms }, [{ value: this.model.now }], `${where}: advance ${cmd.ms}`);
        break;
      case 'align': {
        const width = bucketWidth(this.scenario.policies[0] as ModelPolicy);
        let ms = cmd.buckets * width - (this.model.now % width) + cmd.offset;
        if (ms < 0) ms += width;
        this.model.advance(ms);
        await this.#compare(thread, { op: 'advance', ms }, [{ value: this.model.now }], `${where}: advance ${ms} (align)`);
        break;
      }
      case 'adjust': {
        const choice = HEALTH_CHOICES[cmd.health % HEALTH_CHOICES.length] as HealthChoice;
        let want = this.#rebind(th, name);
        if (want === undefined) {
          const ep = this.model.endpoint(name);
          ep.adjustHealth(choice.factor, this.model.now);
          want = { value: rateNumber(ep.policy.adaptive === true ? ep.rate() : ep.policy.rate) };
        }
        await this.#compare(thread, { op: 'adjust', name, health: choice.health }, [want], `${where}: adjustRate ${name} ${choice.health}`);
        break;
      }
      case 'reset': {
        let want = this.#rebind(th, name);
        if (want === undefined) {
          this.model.resetStats(name);
          want = { value: null };
        }
        await this.#compare(thread, { op: 'reset', name }, [want], `${where}: resetStats ${name}`);
        break;
      }
    }
    this.check(`after ${this.#log[this.#log.length - 1] ?? '?'}`);
  }

  /** registerEndpoint in the model; CAPACITY when a new name does not fit. */
  #register(name: string, policy: ModelPolicy): ModelOutcome {
    if (!this.model.endpoints.has(name)) {
      if (this.model.endpoints.size >= this.scenario.capacity) return CAPACITY;
      this.#incarnation.set(name, this.#nextIncarnation++);
    }
    this.model.registerEndpoint(name, policy);
    return { value: null };
  }

  /** The name is registered (with the default policy if it was not), or CAPACITY. */
  #ensure(name: string): ModelOutcome | undefined {
    if (this.model.endpoints.has(name)) return undefined;
    const r = this.#register(name, this.scenario.policies[0] as ModelPolicy);
    return 'error' in r ? r : undefined;
  }

  /** service.endpoint(name) in thread `th`: a cached handle, or a new one bound now. */
  #handle(th: number, name: string): ModelOutcome | undefined {
    const bound = this.#bound[th] as Map<string, number>;
    if (bound.has(name)) return undefined;
    const error = this.#ensure(name);
    if (error !== undefined) return error;
    bound.set(name, this.#incarnation.get(name) as number);
    return undefined;
  }

  /** The handle of `name` in thread `th`, rebound to the current incarnation (what tryAcquire, adjustRate and resetStats do). */
  #rebind(th: number, name: string): ModelOutcome | undefined {
    const error = this.#handle(th, name);
    if (error !== undefined) return error;
    const bound = this.#bound[th] as Map<string, number>;
    if (bound.get(name) === this.#incarnation.get(name)) return undefined;
    const again = this.#ensure(name);
    if (again !== undefined) return again;
    bound.set(name, this.#incarnation.get(name) as number);
    return undefined;
  }

  async #compare(thread: Executor, op: WireOp, want: readonly ModelOutcome[], what: string): Promise<Outcome[]> {
    this.#log.push(what);
    this.calls += want.length;
    const got = await thread.run(op);
    for (let i = 0; i < Math.max(got.length, want.length); i++) {
      const g = got[i];
      const w = want[i];
      const same = g !== undefined && w !== undefined && ('error' in w ? 'error' in g && g.error === w.error : 'value' in g && Object.is(g.value, w.value));
      if (!same) this.fail(`${what}: call #${i + 1} expected ${JSON.stringify(w)}, got ${JSON.stringify(g)}`);
    }
    return got;
  }

  /** Compares everything observable without touching any handle: names, clock, states, totals, windows, rates. */
  check(when: string): void {
    const now = this.service.clock.now();
    if (now !== this.model.now) this.fail(`${when}: clock expected ${this.model.now}, got ${now}`);
    const names = this.service.endpointNames().sort();
    const want = [...this.model.endpoints.keys()].sort();
    if (JSON.stringify(names) !== JSON.stringify(want)) this.fail(`${when}: endpoints expected ${JSON.stringify(want)}, got ${JSON.stringify(names)}`);
    for (const stat of this.service.getAllStats()) {
      const m = this.model.endpoint(stat.endpoint);
      const t = m.reported();
      const real = {
        state: ['CLOSED', 'OPEN', 'HALF_OPEN'][stat.breakerState],
        admitted: stat.totalRequests,
        accepted: stat.limiterMetrics.accepted,
        failures: stat.failures,
        rejectedOpen: stat.rejectedByBreaker,
        rejectedRate: stat.limiterMetrics.rejected,
        transitions: totalsOf(this.service.handle, stat.endpoint).transitions,
        window: windowOf(this.service.handle, stat.endpoint),
        currentRate: stat.limiterMetrics.currentRate,
        nominalRate: stat.limiterMetrics.nominalRate,
      };
      const model = {
        state: m.state,
        admitted: t.admitted,
        accepted: t.admitted,
        failures: t.failures,
        rejectedOpen: t.rejectedOpen,
        rejectedRate: t.rejectedRate,
        transitions: t.transitions,
        window: m.window(this.model.now),
        currentRate: rateNumber(m.rate()),
        nominalRate: rateNumber(m.policy.rate),
      };
      if (JSON.stringify(real) !== JSON.stringify(model)) {
        this.fail(`${when}: ${stat.endpoint} expected ${JSON.stringify(model)}, got ${JSON.stringify(real)}`);
      }
    }
  }

  fail(message: string): never {
    throw new ModelMismatch(`${message}\n  (${this.#log.length} steps; the last ones:)\n  ${this.#log.slice(-14).join('\n  ')}`);
  }
}

/** A fast-check async command around one {@link Cmd}. */
export class Step implements fc.AsyncCommand<object, World> {
  constructor(readonly cmd: Cmd) {}
  check(): boolean {
    return true;
  }
  async run(_: object, world: World): Promise<void> {
    await world.apply(this.cmd);
  }
  toString(): string {
    return JSON.stringify(this.cmd);
  }
}
