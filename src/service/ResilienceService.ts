import { EventEmitter } from 'node:events';
import type TE from 'typed-emitter';
import { type BreakerState, Rejection } from '../breaker/BreakerState.js';
import { encodeName, EndpointTable } from '../core/EndpointTable.js';
import {
  EP_BREAKER_I32,
  EP_FLAGS_I32,
  EP_LIFE_I32,
  EP_NOMINAL_RATE_I64,
  EP_POLICY_I32,
  H_DEFAULT_POLICY_I32,
  H_DEFAULT_RATE_I64,
  H_NOW_I32,
  POL_CLASSIFIER_I32,
} from '../core/layout.generated.js';
import type { ManualClock } from '../core/ManualClock.js';
import { SharedClock } from '../core/SharedClock.js';
import { Slab, type SlabHandle } from '../core/Slab.js';
import { startTicking, stopTicking } from '../core/Ticker.js';
import { loadF64 } from '../core/atomic64.js';
import { CircuitOpenError } from '../errors/CircuitOpenError.js';
import { RateLimitError } from '../errors/RateLimitError.js';
import { ResilienceTimeoutError } from '../errors/ResilienceTimeoutError.js';
import { adjustHealth, applyRate, checkHealth, currentRate, FLAG_ADAPTIVE } from '../limiter/AdaptiveRate.js';
import { checkPriority, Priority, WAIT_HEARTBEAT_MS } from '../limiter/PriorityGate.js';
import { classifierById, classifierName } from '../policy/classifiers.js';
import { type Duration, parseDuration } from '../policy/duration.js';
import { type Policy, validatePolicy } from '../policy/Policy.js';
import { decodePolicy, encodePolicy } from '../policy/PolicyCodec.js';
import { PolicyPresets } from '../policy/PolicyPresets.js';
import { readWindow } from '../window/RollingWindow.js';
import type { EndpointCore } from './EndpointCore.js';
import { EndpointHandle } from './EndpointHandle.js';
import { emptyTotals, initRecord, readTotals, replacePolicy, resetTotals } from './EndpointRecord.js';
import { environmentMode } from './environment.js';
import { EventCursor, publishEvent, type RingEvent } from './EventRing.js';
import { HealthMonitor, type HealthMonitorOptions, type HealthSource, subscribeHealth } from './health.js';
import { type Sleep, sleep } from './sleep.js';
import { type BreakerStatistics, type EndpointStats, type LimiterMetrics, limiterMetrics, ratio } from './stats.js';

type TypedEmitter<T extends TE.EventMap> = TE.default<T>;

/** A breaker state change, delivered to listeners in every thread that listens. */
export interface StateChangeEvent {
  readonly endpoint: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  /** Slab time of the change, ms (see `service.clock.now()`). */
  readonly at: number;
}

/** Typed events of a service (`service.events`). */
export type ResilienceEvents = {
  stateChange: (event: StateChangeEvent) => void;
};

/** The specification's metrics callback. */
export type MetricsUpdateCallback = (endpoint: string, state: BreakerState, metrics: LimiterMetrics) => void;

/** A subscription; dispose it to stop. */
export interface Subscription {
  dispose(): void;
  [Symbol.dispose](): void;
}

/** Options of a new {@link ResilienceService}. */
export interface ResilienceServiceOptions {
  /** Endpoints the service can hold at once (its slab is sized for them). @default 10_000 */
  readonly capacity?: number;
  /** A manual clock for tests; by default the service runs on the real clock. */
  readonly clock?: ManualClock;
  /** Pass-through: nothing is broken or limited, statistics are still counted. @default false */
  readonly passThrough?: boolean;
  /**
   * Where the BUILDER_*_RESILIENCE switches are read, or false to ignore them.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>> | false;
  /** How often `onMetricsUpdate` is called for endpoints with new activity, ms. @default 1000 */
  readonly metricsIntervalMs?: number;
}

/**
 * A service's configuration as plain, validated data — what `loadConfig()` makes of a
 * `.builderconfig` file (the file format is no concern of this layer).
 */
export interface ResilienceConfig {
  /** false: pass-through — nothing is broken or limited, statistics are still counted. */
  readonly enabled: boolean;
  /** The policy of endpoints used before they are registered. */
  readonly defaultPolicy: Policy;
  /** Endpoints to register, each with its policy. */
  readonly endpoints: ReadonlyMap<string, Policy> | Readonly<Record<string, Policy>>;
}

/** Values of BUILDER_DISABLE_RESILIENCE that explicitly enable resilience (an empty value is "not set"). */
const EXPLICITLY_OFF = new Set(['0', 'false', 'no', 'off']);

const ATTACH = Symbol('attach');
const NEVER_ABORTED = new AbortController().signal;
/** One completed call in this many records its latency (the mean is unbiased; the cost is not paid per call). */
const LATENCY_SAMPLE = 16;
/** Event listeners drain the shared ring this often, ms. */
const EVENT_POLL_MS = 10;

/**
 * The error of a refused call, made without capturing a stack trace: a refusal happens where the
 * caller called `execute()`, and a trace would cost more than everything else on the path (the
 * fast reject path is what an open circuit is for).
 */
function rejection(endpoint: string, ticket: number, waitedMs: number): CircuitOpenError | RateLimitError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return ticket === Rejection.CircuitOpen ? new CircuitOpenError(endpoint) : new RateLimitError(endpoint, waitedMs);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function subscription(stop: () => void): Subscription {
  let done = false;
  const dispose = (): void => {
    if (done) return;
    done = true;
    stop();
  };
  return { dispose, [Symbol.dispose]: dispose };
}

/**
 * Circuit breakers, rate limiters, adaptive rates and priority waiting for every remote endpoint
 * of a build, shared by all the threads of the process. The thread that constructs the service
 * owns its slab; other threads get the same state with
 * {@link ResilienceService.attach}(`service.handle`) — every call below works the same there.
 */
export class ResilienceService {
  readonly #slab: Slab;
  readonly #clock: SharedClock;
  readonly #table: EndpointTable;
  readonly #handles = new Map<string, EndpointHandle>();
  readonly #core: EndpointCore;
  readonly #ticking: boolean;
  readonly #raw = new EventEmitter();
  readonly #emitter = this.#raw as TypedEmitter<ResilienceEvents>;
  readonly #metricsIntervalMs: number;
  #cursor: EventCursor | undefined;
  #poller: ReturnType<typeof setInterval> | undefined;
  #onMetricsUpdate: MetricsUpdateCallback | undefined;
  #lastMetrics = new Map<number, number>();
  #lastMetricsAt = 0;
  #latencySample = 0;
  #closed = false;

  /**
   * @param defaultPolicy applied to endpoints used before they are registered
   *   (BUILDER_STRICT_RESILIENCE / BUILDER_RELAXED_RESILIENCE replace it).
   * @default PolicyPresets.standard()
   */
  constructor(defaultPolicy?: Policy, options?: ResilienceServiceOptions);
  /** @internal */
  constructor(defaultPolicy: typeof ATTACH, slab: Slab);
  constructor(defaultPolicy: Policy | typeof ATTACH = PolicyPresets.standard(), options: ResilienceServiceOptions | Slab = {}) {
    let metricsIntervalMs = 1000;
    if (defaultPolicy === ATTACH) {
      this.#slab = options as Slab;
      this.#clock = new SharedClock(this.#slab);
      this.#ticking = false;
    } else {
      const opts = options as ResilienceServiceOptions;
      const mode = opts.env === false ? { passThrough: false, defaultPreset: undefined } : environmentMode(opts.env ?? process.env);
      const policy = validatePolicy(mode.defaultPreset === undefined ? defaultPolicy : PolicyPresets[mode.defaultPreset]());
      if (opts.metricsIntervalMs !== undefined) metricsIntervalMs = parseDuration(opts.metricsIntervalMs, 'metricsIntervalMs');
      const slab = Slab.allocate({
        ...(opts.capacity === undefined ? {} : { capacity: opts.capacity }),
        passThrough: opts.passThrough === true || mode.passThrough,
      });
      this.#slab = slab;
      this.#clock = new SharedClock(slab);
      if (opts.clock === undefined) {
        this.#clock.initialise('real', 0);
        startTicking(slab.buffer);
        this.#ticking = true;
      } else {
        opts.clock.bindTo(this.#clock);
        this.#ticking = false;
      }
      slab.f64[H_DEFAULT_RATE_I64] = policy.rate;
      encodePolicy(policy, slab.i32, H_DEFAULT_POLICY_I32, 1);
    }
    this.#metricsIntervalMs = metricsIntervalMs;
    this.#table = new EndpointTable(this.#slab);
    const slab = this.#slab;
    const table = this.#table;
    this.#core = {
      slab,
      clock: this.#clock,
      table,
      bind: (name) => {
        const encoded = encodeName(name);
        let index = table.lookup(encoded);
        if (index < 0) index = table.register(encoded, (i) => this.#init(i, this.defaultPolicy)).index;
        return { index, life: Atomics.load(slab.i32, slab.endpointBase32(index) + EP_LIFE_I32) };
      },
      transitioned: (index, from, to, now) => {
        const base = slab.endpointBase32(index);
        // The rate of an adaptive endpoint follows its state; others' does not change.
        if ((Atomics.load(slab.i32, base + EP_FLAGS_I32) & FLAG_ADAPTIVE) !== 0) applyRate(slab.i32, slab.i64, base, () => this.#clock.now());
        publishEvent(slab.i32, index, Atomics.load(slab.i32, base + EP_LIFE_I32) >>> 1, from & 3, to & 3, now);
      },
    };
    this.#raw.on('removeListener', () => this.#syncPoller());
    this.#raw.on('newListener', (event: string | symbol) => {
      if (event !== 'stateChange') return;
      // Start reading the ring now, so a transition made right after on() is not missed.
      this.#cursor ??= new EventCursor(this.#slab.i32);
      queueMicrotask(() => this.#syncPoller());
    });
  }

  /** Attaches to the service whose `handle` this is, from any thread. */
  static attach(handle: SlabHandle | SharedArrayBuffer): ResilienceService {
    return new ResilienceService(ATTACH, Slab.attach(handle));
  }

  /**
   * Builds a service from a configuration (see `loadConfig()`): `defaultPolicy` becomes the default
   * policy, every endpoint is registered with its policy, and `enabled: false` makes it
   * pass-through. The environment switches, read from `options.env` as by the constructor,
   * override the configuration: BUILDER_STRICT_RESILIENCE / BUILDER_RELAXED_RESILIENCE replace its
   * default policy (its endpoints keep theirs), BUILDER_DISABLE_RESILIENCE=1 makes the service
   * pass-through whatever `enabled` says, and BUILDER_DISABLE_RESILIENCE=0 (or false/no/off) enables
   * it whatever `enabled` says. Every policy is checked before the service is made, so a bad
   * configuration throws and leaves nothing behind.
   */
  static fromConfig(config: ResilienceConfig, options: ResilienceServiceOptions = {}): ResilienceService {
    if (typeof config !== 'object' || config === null) throw new TypeError(`config: expected an object, got ${config === null ? 'null' : typeof config}`);
    if (typeof config.enabled !== 'boolean') throw new TypeError(`config.enabled: expected a boolean, got ${typeof config.enabled}`);
    const source = config.endpoints;
    if (typeof source !== 'object' || source === null) throw new TypeError(`config.endpoints: expected a Map or an object, got ${source === null ? 'null' : typeof source}`);
    const entries: [string, Policy][] = [];
    for (const [name, policy] of source instanceof Map ? source : Object.entries(source as Readonly<Record<string, Policy>>)) {
      try {
        entries.push([name, validatePolicy(policy)]);
      } catch (error) {
        if (error instanceof RangeError) throw new RangeError(`endpoint ${JSON.stringify(name)}: ${error.message}`);
        if (error instanceof TypeError) throw new TypeError(`endpoint ${JSON.stringify(name)}: ${error.message}`);
        throw error;
      }
    }
    const env = options.env === false ? undefined : (options.env ?? process.env);
    const disable = env?.BUILDER_DISABLE_RESILIENCE?.trim().toLowerCase();
    const enabled = config.enabled || (disable !== undefined && EXPLICITLY_OFF.has(disable));
    const service = new ResilienceService(config.defaultPolicy, { ...options, passThrough: options.passThrough === true || !enabled });
    try {
      for (const [name, policy] of entries) service.registerEndpoint(name, policy);
    } catch (error) {
      service.close();
      throw error;
    }
    return service;
  }

  /** A structured-cloneable reference to this service's shared state, for `workerData` or a task. */
  get handle(): SlabHandle {
    return this.#slab.handle;
  }

  /** The service's clock (one for every attached thread). */
  get clock(): SharedClock {
    return this.#clock;
  }

  /** Endpoints the slab can hold. */
  get capacity(): number {
    return this.#slab.capacity;
  }

  /** True when the service breaks and limits nothing (it still counts). */
  get passThrough(): boolean {
    return this.#slab.passThrough;
  }

  /** Typed events (`stateChange`), from transitions made in any thread. */
  get events(): TypedEmitter<ResilienceEvents> {
    return this.#emitter;
  }

  /** The policy of endpoints used before they are registered. */
  get defaultPolicy(): Policy {
    return decodePolicy(this.#slab.i32, H_DEFAULT_POLICY_I32, this.#slab.f64[H_DEFAULT_RATE_I64] as number, classifierName);
  }

  // ---- endpoints -------------------------------------------------------------------------

  /**
   * Registers `name` with `policy`, or replaces the policy of a registered endpoint without
   * losing its counters or its breaker state ("start strict, relax later").
   */
  registerEndpoint(name: string, policy: Policy): void {
    const valid = validatePolicy(policy);
    const encoded = encodeName(name);
    const { index, created } = this.#table.register(encoded, (i) => this.#init(i, valid));
    if (!created) this.#table.locked(() => replacePolicy(this.#slab, index, valid, this.#clock.now()));
  }

  /** Unregisters `name`; returns whether it was registered. Handles to it re-register on next use. */
  unregisterEndpoint(name: string): boolean {
    return this.#table.unregister(encodeName(name));
  }

  /** Whether `name` is registered. */
  hasEndpoint(name: string): boolean {
    return this.#table.lookup(encodeName(name)) >= 0;
  }

  /** Names of the registered endpoints. */
  endpointNames(): string[] {
    return this.#table.liveIndexes().map((i) => this.#table.nameAt(i));
  }

  /** The policy of `name` (registering it with the default policy if needed). */
  policyOf(name: string): Policy {
    const base = this.#slab.endpointBase32(this.endpoint(name).index);
    const rate = loadF64(this.#slab.i64, (base >>> 1) + EP_NOMINAL_RATE_I64);
    return decodePolicy(this.#slab.i32, base + EP_POLICY_I32, rate, classifierName);
  }

  /**
   * The synchronous hot-path handle of `name` for this thread (registered with the default policy
   * if needed). Handles are cached per thread; keep the one you get.
   */
  endpoint(name: string): EndpointHandle {
    let handle = this.#handles.get(name);
    if (handle === undefined) {
      handle = new EndpointHandle(this.#core, encodeName(name).name);
      // Endpoints unregistered by other threads leave their handles here: past twice the slab's
      // capacity (and 1,024), drop those (a dropped handle still works for whoever holds it).
      if (this.#handles.size >= Math.max(1024, 2 * this.#slab.capacity)) {
        for (const [cached, h] of this.#handles) if (!this.hasEndpoint(cached)) this.#handles.delete(h.name);
      }
      this.#handles.set(name, handle);
    }
    return handle;
  }

  // ---- execute -----------------------------------------------------------------------------

  /**
   * Runs `operation` against `endpoint` under its breaker and rate limiter.
   *
   * When no token is available the call waits for one, by priority across all threads, up to
   * `timeout`; `timeout` 0 rejects at once instead. The same timeout then bounds the operation,
   * whose AbortSignal fires when it passes. The outcome is recorded according to the endpoint's
   * failure classifier (a timeout is always a failure).
   *
   * @throws CircuitOpenError (circuit open: not called), RateLimitError (no token in time: not
   *   called), ResilienceTimeoutError (did not settle in time), or what the operation threw.
   */
  execute<T>(
    endpoint: string,
    operation: (signal: AbortSignal) => T | PromiseLike<T>,
    priority: number = Priority.Normal,
    timeout?: Duration,
  ): Promise<T> {
    try {
      checkPriority(priority);
      if (typeof operation !== 'function') throw new TypeError(`operation: expected a function, got ${typeof operation}`);
      const timeoutMs = timeout === undefined ? undefined : parseDuration(timeout, 'timeout');
      const ep = this.endpoint(endpoint);
      if (timeoutMs === 0) {
        const ticket = ep.tryAcquire(priority);
        return ticket < 0 ? Promise.reject(rejection(ep.name, ticket, 0)) : this.#run(ep, ticket, operation);
      }
      const ticket = ep.tryAcquireQuiet(priority);
      if (ticket >= 0 && timeoutMs === undefined) return this.#run(ep, ticket, operation);
      if (ticket === Rejection.CircuitOpen) return Promise.reject(rejection(ep.name, ticket, 0));
      return this.#executeSlow(ep, operation, ticket, priority, timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs an admitted call. The common case (no timeout, no latency sample) settles through two
   * callbacks cached per endpoint and ticket, with no async frame of its own.
   */
  #run<T>(ep: EndpointHandle, ticket: number, operation: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T> {
    if (++this.#latencySample % LATENCY_SAMPLE === 0) return this.#runSampled(ep, ticket, operation);
    const settle = ep.settlers(ticket, this.#classify);
    let result: T | PromiseLike<T>;
    try {
      result = operation(NEVER_ABORTED);
    } catch (error) {
      ep.record(ticket, !this.#classify(ep, error));
      return Promise.reject(error);
    }
    const promise = result instanceof Promise ? (result as Promise<T>) : Promise.resolve(result);
    return promise.then(settle.succeeded as (value: T) => T, settle.failed);
  }

  async #runSampled<T>(ep: EndpointHandle, ticket: number, operation: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T> {
    const start = this.#clock.now();
    try {
      const result = await operation(NEVER_ABORTED);
      ep.record(ticket, true);
      ep.recordLatency(this.#clock.now() - start);
      return result;
    } catch (error) {
      ep.record(ticket, !this.#classify(ep, error));
      throw error;
    }
  }

  /**
   * Everything but the fast path: `first` is the result of the first tryAcquire; a rate
   * rejection (not yet counted) waits for a token when `priority` is given.
   */
  async #executeSlow<T>(
    ep: EndpointHandle,
    operation: (signal: AbortSignal) => T | PromiseLike<T>,
    first: number,
    priority: number | undefined,
    timeoutMs: number | undefined,
  ): Promise<T> {
    this.#clock.refresh();
    const start = this.#clock.now();
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : start + timeoutMs;
    const waited = { ms: 0 };
    const ticket = first === Rejection.RateLimited && priority !== undefined ? await ep.waitForToken(priority, deadline, waited) : first;
    if (ticket < 0) throw rejection(ep.name, ticket, waited.ms);
    if (timeoutMs === undefined || timeoutMs === 0) return this.#run(ep, ticket, operation);
    const controller = new AbortController();
    const opStart = this.#clock.now();
    const outcome = (async () => operation(controller.signal))();
    const timer = this.#sleepUntil(deadline);
    try {
      const winner = await Promise.race([outcome.then((value) => ({ value })), timer.done.then(() => undefined)]);
      if (winner === undefined) {
        const error = new ResilienceTimeoutError(ep.name, timeoutMs);
        controller.abort(error);
        outcome.catch(() => {});
        ep.record(ticket, false);
        throw error;
      }
      ep.record(ticket, true);
      ep.recordLatency(this.#clock.now() - opStart);
      return winner.value;
    } catch (error) {
      if (!(error instanceof ResilienceTimeoutError && controller.signal.aborted)) ep.record(ticket, !this.#classify(ep, error));
      throw error;
    } finally {
      timer.cancel();
    }
  }

  /** A sleep until slab time `deadline`: a timer on the real clock, clock advances on a manual one. */
  #sleepUntil(deadline: number): Sleep {
    let current: Sleep | undefined;
    let cancelled = false;
    const i32 = this.#slab.i32;
    const loop = async (): Promise<void> => {
      for (;;) {
        this.#clock.refresh();
        const now = this.#clock.now();
        if (now >= deadline || cancelled) return;
        const manual = this.#clock.kind === 'manual';
        current = sleep(manual ? WAIT_HEARTBEAT_MS : deadline - now, manual ? { i32, index: H_NOW_I32, expected: i32[H_NOW_I32] as number } : undefined);
        await current.done;
        current.cancel();
      }
    };
    return {
      done: loop(),
      cancel: () => {
        cancelled = true;
        current?.cancel();
      },
    };
  }

  /** Whether `error` counts as a failure of `ep` under its policy's classifier. */
  readonly #classify = (ep: EndpointHandle, error: unknown): boolean => {
    const base = this.#slab.endpointBase32(ep.index);
    return classifierById(this.#slab.i32[base + EP_POLICY_I32 + POL_CLASSIFIER_I32] as number)(error);
  };

  // ---- adaptive rate -----------------------------------------------------------------------

  /**
   * Sets the health (0..1, or an object with a `score`) of an adaptive endpoint: its rate becomes
   * nominal × (0.1 + 1.4 × health) × the breaker-state factor. Returns the rate now in force, in
   * tokens per second; for an endpoint whose policy is not adaptive nothing changes and the
   * nominal rate is returned.
   * @throws RangeError for a health outside [0, 1] or NaN.
   */
  adjustRate(endpoint: string, health: number | { readonly score: number }): number {
    const score = checkHealth(typeof health === 'object' && health !== null ? health.score : health);
    const base = this.#slab.endpointBase32(this.endpoint(endpoint).index);
    return adjustHealth(this.#slab.i32, this.#slab.i64, base, score, () => this.#clock.now());
  }

  /**
   * Feeds health scores from any source into adjustRate. A source is a function that takes a
   * listener `(endpoint, health)` and returns an unsubscribe function (or a disposable), or an
   * object with such a `subscribe` method, or an object with an assignable `onUpdate`.
   */
  connectHealth(source: HealthSource): Subscription {
    return subscription(subscribeHealth(source, (endpoint, health) => this.adjustRate(endpoint, health)));
  }

  /**
   * Starts the built-in health monitor in this thread: every `intervalMs` it scores each adaptive
   * endpoint from its own window (failure rate against the threshold) and sampled latency
   * (recent mean against the long-run mean), and applies the score with adjustRate.
   */
  startHealthMonitor(options: HealthMonitorOptions = {}): Subscription {
    const monitor = new HealthMonitor(this.#slab, this.#table, (index, score) => {
      const base = this.#slab.endpointBase32(index);
      adjustHealth(this.#slab.i32, this.#slab.i64, base, score, () => this.#clock.now());
    }, options);
    return subscription(() => monitor.stop());
  }

  // ---- statistics --------------------------------------------------------------------------

  /** Statistics of every registered endpoint. */
  getAllStats(): EndpointStats[] {
    return this.#table.liveIndexes().map((index) => this.#statsAt(index, this.#table.nameAt(index)));
  }

  /** Breaker statistics of `endpoint` (totals since registration or resetStats, and the current window). */
  getBreakerStatistics(endpoint: string): BreakerStatistics {
    const index = this.endpoint(endpoint).index;
    const t = readTotals(this.#slab, index, emptyTotals());
    const base = this.#slab.endpointBase32(index);
    const w = readWindow(this.#slab.i32, base, this.#slab.i32[H_NOW_I32] as number, { total: 0, failures: 0 });
    return {
      total: t.admitted,
      failures: t.failures,
      failureRate: ratio(t.failures, t.admitted),
      state: this.endpoint(endpoint).state,
      rejected: t.rejectedOpen,
      transitions: t.transitions,
      window: { total: w.total, failures: w.failures, failureRate: ratio(w.failures, w.total) },
    };
  }

  /** Rate limiter metrics of `endpoint`. */
  getLimiterMetrics(endpoint: string): LimiterMetrics {
    return this.#limiterAt(this.endpoint(endpoint).index);
  }

  /** Makes the totals of `endpoint` start again from zero (breaker state and window are kept). */
  resetStats(endpoint: string): void {
    const index = this.endpoint(endpoint).index;
    this.#table.locked(() => resetTotals(this.#slab, index));
  }

  // ---- events ------------------------------------------------------------------------------

  /** Calls `listener` for every breaker state change made in any thread. */
  onStateChange(listener: (event: StateChangeEvent) => void): Subscription {
    this.#emitter.on('stateChange', listener);
    this.#syncPoller();
    return subscription(() => this.#emitter.off('stateChange', listener));
  }

  /**
   * The specification's metrics callback: called with (endpoint, state, limiter metrics) on
   * every state change and, every `metricsIntervalMs`, for endpoints with new activity.
   */
  get onMetricsUpdate(): MetricsUpdateCallback | undefined {
    return this.#onMetricsUpdate;
  }

  set onMetricsUpdate(callback: MetricsUpdateCallback | undefined) {
    if (callback !== undefined && typeof callback !== 'function') {
      throw new TypeError(`onMetricsUpdate: expected a function or undefined, got ${typeof callback}`);
    }
    this.#onMetricsUpdate = callback;
    this.#syncPoller();
  }

  /** Stops this thread's listeners and, in the owning thread, the clock ticker. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#emitter.removeAllListeners();
    this.#onMetricsUpdate = undefined;
    this.#syncPoller();
    if (this.#ticking) stopTicking(this.#slab.buffer);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #init(index: number, policy: Policy): void {
    initRecord(this.#slab, index, policy, this.#clock.now(), this.#slab.i32[H_NOW_I32] as number);
  }

  #limiterAt(index: number): LimiterMetrics {
    const slab = this.#slab;
    const base = slab.endpointBase32(index);
    const t = readTotals(slab, index, emptyTotals());
    const nominal = loadF64(slab.i64, (base >>> 1) + EP_NOMINAL_RATE_I64);
    return limiterMetrics(t.admitted, t.rejectedRate, currentRate(slab.i32, slab.i64, base), nominal, t.waitMs, t.waited);
  }

  #statsAt(index: number, name: string): EndpointStats {
    const t = readTotals(this.#slab, index, emptyTotals());
    const state = ((this.#slab.i32[this.#slab.endpointBase32(index) + EP_BREAKER_I32] as number) & 3) as BreakerState;
    return {
      endpoint: name,
      breakerState: state,
      totalRequests: t.admitted,
      failures: t.failures,
      failureRate: ratio(t.failures, t.admitted),
      rejectedByBreaker: t.rejectedOpen,
      limiterMetrics: this.#limiterAt(index),
    };
  }

  #syncPoller(): void {
    const wanted = !this.#closed && (this.#emitter.listenerCount('stateChange') > 0 || this.#onMetricsUpdate !== undefined);
    if (wanted && this.#poller === undefined) {
      this.#cursor ??= new EventCursor(this.#slab.i32);
      this.#poller = setInterval(() => this.#poll(), EVENT_POLL_MS);
      this.#poller.unref();
    } else if (!wanted && this.#poller !== undefined) {
      clearInterval(this.#poller);
      this.#poller = undefined;
      this.#cursor = undefined;
    }
  }

  #poll(): void {
    this.#cursor?.drain(this.#slab.i32, (event) => this.#deliver(event));
    const callback = this.#onMetricsUpdate;
    if (callback === undefined) return;
    const now = this.#clock.now();
    if (now - this.#lastMetricsAt < this.#metricsIntervalMs) return;
    this.#lastMetricsAt = now;
    for (const index of this.#table.liveIndexes()) {
      const t = readTotals(this.#slab, index, emptyTotals());
      const activity = t.admitted + t.rejectedRate + t.rejectedOpen + t.failures;
      if (this.#lastMetrics.get(index) === activity) continue;
      this.#lastMetrics.set(index, activity);
      const stats = this.#statsAt(index, this.#table.nameAt(index));
      this.#safely(() => callback(stats.endpoint, stats.breakerState, stats.limiterMetrics));
    }
  }

  #deliver(event: RingEvent): void {
    const name = this.#table.nameAt(event.index);
    const now = this.#clock.now();
    const at = now - ((((this.#slab.i32[H_NOW_I32] as number) - event.at) | 0) >>> 0);
    const payload: StateChangeEvent = { endpoint: name, from: event.from as BreakerState, to: event.to as BreakerState, at };
    for (const listener of this.#emitter.listeners('stateChange')) this.#safely(() => listener(payload));
    const callback = this.#onMetricsUpdate;
    if (callback !== undefined) this.#safely(() => callback(name, payload.to, this.#limiterAt(event.index)));
  }

  /** A listener that throws must not stop the others: report it as a process warning. */
  #safely(call: () => void): void {
    try {
      call();
    } catch (error) {
      process.emitWarning(`@builder/resilience listener threw: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
  }
}

