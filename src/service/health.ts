import type { EndpointTable } from '../core/EndpointTable.js';
import { EP_FLAGS_I32, EP_LATENCY_COUNT_I32, EP_LATENCY_TOTAL_I32, EP_POLICY_I32, H_NOW_I32, POL_THRESHOLD_PPM_I32 } from '../core/layout.generated.js';
import type { Slab } from '../core/Slab.js';
import { FLAG_ADAPTIVE } from '../limiter/AdaptiveRate.js';
import { readWindow } from '../window/RollingWindow.js';

/** A health report: a score 0..1, or an object carrying one (as the specification's monitors do). */
export type Health = number | { readonly score: number };
/** Receives health reports. */
export type HealthListener = (endpoint: string, health: Health) => void;
type Unsubscribe = (() => void) | { dispose(): void } | undefined;

/**
 * Anything that reports health: a function taking a listener and returning an unsubscribe
 * function or disposable; an object with such a `subscribe`; or an object with an assignable
 * `onUpdate` callback.
 */
export type HealthSource =
  | ((listener: HealthListener) => Unsubscribe)
  | { subscribe(listener: HealthListener): Unsubscribe }
  | { onUpdate: HealthListener | undefined };

/** Connects a source to a listener; returns the function that disconnects it. */
export function subscribeHealth(source: HealthSource, listener: HealthListener): () => void {
  let unsubscribe: Unsubscribe;
  if (typeof source === 'function') {
    unsubscribe = source(listener);
  } else if (typeof source === 'object' && source !== null && 'subscribe' in source && typeof source.subscribe === 'function') {
    unsubscribe = source.subscribe(listener);
  } else if (typeof source === 'object' && source !== null && 'onUpdate' in source) {
    const holder = source as { onUpdate: HealthListener | undefined };
    holder.onUpdate = listener;
    unsubscribe = () => {
      if (holder.onUpdate === listener) holder.onUpdate = undefined;
    };
  } else {
    throw new TypeError('connectHealth(source): expected a subscribe function, an object with subscribe(), or an object with onUpdate');
  }
  return () => {
    if (typeof unsubscribe === 'function') unsubscribe();
    else if (typeof unsubscribe === 'object' && unsubscribe !== null) unsubscribe.dispose();
  };
}

export interface HealthMonitorOptions {
  /** How often endpoints are scored, ms. @default 1000 */
  readonly intervalMs?: number;
  /** Sampled calls an interval needs before its latency is scored. @default 5 */
  readonly minLatencySamples?: number;
}

/**
 * The built-in monitor: score = min(failure score, latency score), where the failure score is
 * 1 - windowFailureRate / threshold (0 at the threshold) and the latency score is the long-run
 * mean latency divided by this interval's mean (1 when the interval is no slower), both in [0, 1].
 */
export class HealthMonitor {
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #latency = new Map<number, { total: number; count: number; baseline: number }>();

  constructor(
    private readonly slab: Slab,
    private readonly table: EndpointTable,
    private readonly apply: (index: number, score: number) => void,
    options: HealthMonitorOptions,
  ) {
    const interval = options.intervalMs ?? 1000;
    if (!Number.isFinite(interval) || interval < 1) throw new RangeError(`intervalMs: expected a number >= 1, got ${String(interval)}`);
    const minSamples = options.minLatencySamples ?? 5;
    this.#timer = setInterval(() => this.scoreAll(minSamples), interval);
    this.#timer.unref();
  }

  /** Scores every adaptive endpoint once. */
  scoreAll(minSamples: number): void {
    const i32 = this.slab.i32;
    const now = i32[H_NOW_I32] as number;
    for (const index of this.table.liveIndexes()) {
      const base = this.slab.endpointBase32(index);
      if ((Atomics.load(i32, base + EP_FLAGS_I32) & FLAG_ADAPTIVE) === 0) continue;
      const w = readWindow(i32, base, now, { total: 0, failures: 0 });
      const threshold = (i32[base + EP_POLICY_I32 + POL_THRESHOLD_PPM_I32] as number) / 1_000_000;
      const failureScore = w.total > 0 ? clamp01(1 - w.failures / w.total / threshold) : 1;
      this.apply(index, Math.min(failureScore, this.#latencyScore(index, base, minSamples)));
    }
  }

  #latencyScore(index: number, base: number, minSamples: number): number {
    const total = Atomics.load(this.slab.i32, base + EP_LATENCY_TOTAL_I32);
    const count = Atomics.load(this.slab.i32, base + EP_LATENCY_COUNT_I32);
    const last = this.#latency.get(index);
    this.#latency.set(index, { total, count, baseline: last?.baseline ?? 0 });
    if (last === undefined) return 1;
    const n = (count - last.count) >>> 0;
    if (n < minSamples) return 1;
    const mean = ((total - last.total) >>> 0) / n;
    const baseline = last.baseline === 0 ? mean : last.baseline * 0.9 + mean * 0.1;
    this.#latency.set(index, { total, count, baseline });
    return mean <= 0 ? 1 : clamp01(baseline / mean);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
