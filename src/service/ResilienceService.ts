import { encodeName, EndpointTable } from '../core/EndpointTable.js';
import { H_DEFAULT_POLICY_I32, H_DEFAULT_RATE_I64, H_NOW_I32, POL_VERSION_I32 } from '../core/layout.generated.js';
import type { ManualClock } from '../core/ManualClock.js';
import { SharedClock } from '../core/SharedClock.js';
import { Slab, type SlabHandle } from '../core/Slab.js';
import { startTicking, stopTicking } from '../core/Ticker.js';
import { classifierName } from '../policy/classifiers.js';
import { type Policy, validatePolicy } from '../policy/Policy.js';
import { decodePolicy, encodePolicy } from '../policy/PolicyCodec.js';
import { PolicyPresets } from '../policy/PolicyPresets.js';
import type { EndpointCore } from './EndpointCore.js';
import { EndpointHandle } from './EndpointHandle.js';
import { initRecord, replacePolicy } from './EndpointRecord.js';
import { EP_LIFE_I32 } from '../core/layout.generated.js';

/** Options of a new {@link ResilienceService}. */
export interface ResilienceServiceOptions {
  /** Endpoints the service can hold at once (its slab is sized for them). @default 10_000 */
  readonly capacity?: number;
  /** A manual clock for tests; by default the service runs on the real clock. */
  readonly clock?: ManualClock;
  /** Pass-through: nothing is broken or limited, statistics are still counted. @default false */
  readonly passThrough?: boolean;
}

const ATTACH = Symbol('attach');

/**
 * Circuit breakers and rate limiters for every remote endpoint of a build, shared by all the
 * threads of the process. The thread that constructs the service owns its slab; other threads
 * get the same state with {@link ResilienceService.attach}(`service.handle`).
 */
export class ResilienceService {
  readonly #slab: Slab;
  readonly #clock: SharedClock;
  readonly #table: EndpointTable;
  readonly #handles = new Map<string, EndpointHandle>();
  readonly #core: EndpointCore;
  readonly #ticking: boolean;
  #closed = false;

  /**
   * @param defaultPolicy applied to endpoints used before they are registered.
   * @default PolicyPresets.standard()
   */
  constructor(defaultPolicy?: Policy, options?: ResilienceServiceOptions);
  /** @internal */
  constructor(defaultPolicy: typeof ATTACH, slab: Slab);
  constructor(defaultPolicy: Policy | typeof ATTACH = PolicyPresets.standard(), options: ResilienceServiceOptions | Slab = {}) {
    if (defaultPolicy === ATTACH) {
      this.#slab = options as Slab;
      this.#clock = new SharedClock(this.#slab);
      this.#ticking = false;
    } else {
      const opts = options as ResilienceServiceOptions;
      const policy = validatePolicy(defaultPolicy);
      const slab = Slab.allocate({
        ...(opts.capacity === undefined ? {} : { capacity: opts.capacity }),
        passThrough: opts.passThrough === true,
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
      writeDefaultPolicy(slab, policy, 1);
    }
    this.#table = new EndpointTable(this.#slab);
    const slab = this.#slab;
    const table = this.#table;
    const clock = this.#clock;
    this.#core = {
      slab,
      clock,
      table,
      bind: (name) => {
        const encoded = encodeName(name);
        let index = table.lookup(encoded);
        if (index < 0) index = table.register(encoded, (i) => this.#init(i, this.defaultPolicy)).index;
        return { index, life: Atomics.load(slab.i32, slab.endpointBase32(index) + EP_LIFE_I32) };
      },
      transitioned: () => {},
    };
  }

  /** Attaches to the service whose `handle` this is, from any thread. */
  static attach(handle: SlabHandle | SharedArrayBuffer): ResilienceService {
    return new ResilienceService(ATTACH, Slab.attach(handle));
  }

  /** A structured-cloneable reference to this service's shared state, for `workerData` or a task. */
  get handle(): SlabHandle {
    return this.#slab.handle;
  }

  /** The service's clock (shared by every attached thread). */
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

  /** The policy of endpoints used before they are registered. */
  get defaultPolicy(): Policy {
    const i32 = this.#slab.i32;
    return decodePolicy(i32, H_DEFAULT_POLICY_I32, this.#slab.f64[H_DEFAULT_RATE_I64] as number, classifierName);
  }

  /**
   * Registers `name` with `policy`, or replaces the policy of a registered endpoint without
   * losing its counters or its breaker state.
   */
  registerEndpoint(name: string, policy: Policy): void {
    const valid = validatePolicy(policy);
    const encoded = encodeName(name);
    const { index, created } = this.#table.register(encoded, (i) => this.#init(i, valid));
    if (!created) this.#table.locked(() => replacePolicy(this.#slab, index, valid));
  }

  /** Unregisters `name`; returns whether it was registered. */
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

  /**
   * The hot-path handle of `name` for this thread (registered with the default policy if
   * needed). Handles are cached: keep the one you get, or call this again cheaply.
   */
  endpoint(name: string): EndpointHandle {
    let handle = this.#handles.get(name);
    if (handle === undefined) {
      handle = new EndpointHandle(this.#core, encodeName(name).name);
      this.#handles.set(name, handle);
    }
    return handle;
  }

  /** Stops this service's ticker (the slab stays usable by attached threads until they drop it). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ticking) stopTicking(this.#slab.buffer);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #init(index: number, policy: Policy): void {
    initRecord(this.#slab, index, policy, this.#clock.now(), this.#slab.i32[H_NOW_I32] as number);
  }
}

function writeDefaultPolicy(slab: Slab, policy: Policy, version: number): void {
  slab.f64[H_DEFAULT_RATE_I64] = policy.rate;
  encodePolicy(policy, slab.i32, H_DEFAULT_POLICY_I32, version);
  void POL_VERSION_I32;
}
