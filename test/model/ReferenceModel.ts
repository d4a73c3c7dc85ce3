/**
 * A single-thread reference model of one resilience service: plain objects, absolute times
 * (integer milliseconds, never wrapped), unbounded counters and exact rational arithmetic.
 * Nothing here is shared, packed, wrapped or rounded, so each rule can be read off directly;
 * the property tests drive it and the real `ResilienceService` with the same operations and
 * require identical observable results.
 *
 * Semantics modelled (see the design notes in src/):
 *
 * - Breaker: CLOSED → OPEN when a failure of a CLOSED-generation call finds, in the rolling
 *   window, at least `minimumRequests` calls and a failure rate >= `failureThreshold`. OPEN
 *   rejects until `openTimeoutMs` has passed, then the next call starts HALF_OPEN (a new
 *   generation) as its first trial. HALF_OPEN admits `halfOpenTrials` trial calls; when all are
 *   out, they expire `trialTimeoutMs` after the generation began and the next call starts a new
 *   HALF_OPEN generation. A failed trial reopens; `halfOpenSuccesses` successful trials close
 *   (and empty the window). Results of calls from another generation move nothing. Every
 *   transition starts a new generation and counts one transition.
 * - Rolling window: the first CLOSED call at or after `rotateAt` snapshots the lifetime
 *   counters (admitted, failures) for its bucket (start = now rounded down to the bucket
 *   width) and moves `rotateAt` to the bucket's end. The window's counts are the counters now
 *   minus the snapshot of the oldest bucket whose start lies within the last
 *   buckets × bucketWidth milliseconds (or zero when there is none).
 * - Token bucket, two layers: a GCRA of capacity `burst` on the grid of token intervals that
 *   starts at the endpoint's registration (`origin`): at time `now` the bucket stands at
 *   x = (now − origin) / interval intervals and owes up to `tat` intervals (a whole number
 *   until the rate changes, see below). Takes start from from = max(tat, floor(x)), so the
 *   bucket holds floor(x − from + burst) tokens. It hands out batches of up to MAX_BATCH tokens, charged when handed out
 *   (tat = from + tokens). A batch from a bucket that held `level` tokens may be used until
 *   (burst + 1 − level) intervals later (at most 2^29 ms); then its unused tokens go back to the
 *   bucket (tat − unused) when the next batch is asked for. A call is admitted while the current
 *   batch has tokens and has not expired; otherwise a new batch is asked for. Replacing the
 *   policy with another rate keeps the tokens owed (tat − x, exactly, not rounded) or the
 *   credit of tokens due (at most a full bucket) on the new grid, or starts full at the new
 *   position when coming from no limit; the batch already handed out is withdrawn
 *   (limit = admitted, expired), its unused tokens not returned.
 * - Adaptive policies (`adaptive: true`): the rate in force is nominal × health factor × state
 *   factor (CLOSED 1, OPEN 1/5, HALF_OPEN 1/2); the health factor (0.1 + 1.4 × health, exact
 *   here: the caller gives it as a Rational) starts at 1 and is kept across policy
 *   replacements. Whenever the rate in force changes (adjustRate, a transition, a policy
 *   replacement) the tokens owed are carried over to the new grid as for a policy replacement,
 *   and the batch out expires (its unused tokens go back to the bucket at the next refill).
 * - resetStats: admitted, failures and both rejection counts restart from zero (transitions are
 *   counted since registration); the window, the breaker and the bucket are kept.
 * - unregisterEndpoint: the endpoint and all its state are forgotten.
 */

import { MAX_BATCH, MAX_BATCH_LIFE_MS, UNLIMITED_BATCH } from '../../src/limiter/TokenBucket.js';
import { Rational } from './Rational.js';

/** A rate of `num / den` tokens per second, or no limit. */
export type ModelRate = { readonly num: number; readonly den: number } | 'unlimited';

export interface ModelPolicy {
  /** Failure threshold in millionths (1 to 1,000,000). */
  readonly thresholdPpm: number;
  readonly minimumRequests: number;
  readonly windowMs: number;
  readonly windowBuckets: number;
  readonly openTimeoutMs: number;
  readonly halfOpenTrials: number;
  readonly halfOpenSuccesses: number;
  readonly trialTimeoutMs: number;
  readonly rate: ModelRate;
  readonly burst: number;
  /** The rate follows the health factor and the breaker state. @default false */
  readonly adaptive?: boolean;
}

export type StateName = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** Share of the health-adjusted rate an adaptive policy keeps in each breaker state. */
export const STATE_RATE_FACTOR: Readonly<Record<StateName, Rational>> = {
  CLOSED: Rational.of(1),
  OPEN: Rational.of(1, 5),
  HALF_OPEN: Rational.of(1, 2),
};

/** The rate in force for `policy` with health factor `health` in breaker state `state`. */
export function effectiveRate(policy: ModelPolicy, health: Rational, state: StateName): ModelRate {
  if (policy.adaptive !== true || policy.rate === 'unlimited') return policy.rate;
  const r = Rational.of(policy.rate.num, policy.rate.den).mul(health).mul(STATE_RATE_FACTOR[state]);
  return { num: Number(r.num), den: Number(r.den) };
}

export interface ModelTicket {
  readonly generation: number;
  readonly trial: boolean;
}

export type AcquireResult = ModelTicket | 'circuit-open' | 'rate-limited';

export interface ModelTotals {
  admitted: number;
  failures: number;
  rejectedOpen: number;
  rejectedRate: number;
  transitions: number;
}

interface Snapshot {
  readonly start: number;
  readonly admitted: number;
  readonly failures: number;
}

/** Width of one window bucket: windowMs / windowBuckets, rounded, at least 1 ms. */
export function bucketWidth(p: Pick<ModelPolicy, 'windowMs' | 'windowBuckets'>): number {
  return Math.max(1, Math.round(p.windowMs / p.windowBuckets));
}

/** Milliseconds per token, exactly. */
function intervalOf(rate: ModelRate): Rational {
  if (rate === 'unlimited') throw new Error('no interval for an unlimited rate');
  return Rational.of(1000 * rate.den, rate.num);
}

export class ModelEndpoint {
  policy: ModelPolicy;
  state: StateName = 'CLOSED';
  generation = 0;
  trials = 0;
  successes = 0;
  /** When OPEN: when trials may start. When HALF_OPEN: when the trial permits expire. */
  deadline = 0;
  readonly totals: ModelTotals = { admitted: 0, failures: 0, rejectedOpen: 0, rejectedRate: 0, transitions: 0 };
  snapshots: Snapshot[] = [];
  rotateAt: number;
  /** Calls may be admitted while totals.admitted < limit and now <= expiry. */
  limit = 0;
  /** Last time at which the current batch may be used. */
  expiry: number;
  /** Start of the bucket's grid of intervals. */
  readonly origin: number;
  /** Theoretical arrival time, in intervals from the origin (fractional after a change of rate). */
  tat: Rational = Rational.of(0);
  /** Health factor of an adaptive policy (0.1 + 1.4 × health); 1 until adjustRate. */
  healthFactor: Rational = Rational.of(1);
  /** Totals at the last resetStats (transitions are never reset). */
  readonly resetBase = { admitted: 0, failures: 0, rejectedOpen: 0, rejectedRate: 0 };

  constructor(policy: ModelPolicy, now: number) {
    this.policy = policy;
    this.rotateAt = now;
    this.expiry = now;
    this.origin = now;
  }

  /** registerEndpoint on a registered name: new policy, same counters and state, debt rescaled. */
  replacePolicy(policy: ModelPolicy, now: number): void {
    this.#rescale(this.rate(), effectiveRate(policy, this.healthFactor, this.state), now);
    this.policy = policy;
    this.limit = this.totals.admitted;
    this.expiry = now - 1;
  }

  /** The rate in force now. */
  rate(): ModelRate {
    return effectiveRate(this.policy, this.healthFactor, this.state);
  }

  /** adjustRate: a new health factor for an adaptive policy (nothing changes for another). */
  adjustHealth(factor: Rational, now: number): void {
    if (this.policy.adaptive !== true) return;
    const before = this.rate();
    this.healthFactor = factor;
    this.#rescale(before, this.rate(), now);
  }

  /** resetStats: the totals restart from zero; breaker, window and bucket are kept. */
  resetStats(): void {
    this.resetBase.admitted = this.totals.admitted;
    this.resetBase.failures = this.totals.failures;
    this.resetBase.rejectedOpen = this.totals.rejectedOpen;
    this.resetBase.rejectedRate = this.totals.rejectedRate;
  }

  /** Totals since registration or the last resetStats (transitions since registration). */
  reported(): ModelTotals {
    return {
      admitted: this.totals.admitted - this.resetBase.admitted,
      failures: this.totals.failures - this.resetBase.failures,
      rejectedOpen: this.totals.rejectedOpen - this.resetBase.rejectedOpen,
      rejectedRate: this.totals.rejectedRate - this.resetBase.rejectedRate,
      transitions: this.totals.transitions,
    };
  }

  /**
   * A change of the rate in force from `from` to `to`: the tokens owed (tat − x), or the credit of
   * tokens already due (at most a full bucket), are carried over exactly to the new grid; coming
   * from no limit, the bucket starts full at the new position. The batch out is expired (its
   * unused tokens go back at the next refill).
   */
  #rescale(from: ModelRate, to: ModelRate, now: number): void {
    if (sameRate(from, to)) return;
    const xTo = to === 'unlimited' ? Rational.of(0) : this.#position(now, to);
    if (from === 'unlimited') this.tat = xTo;
    else this.tat = xTo.add(this.tat.sub(this.#position(now, from)).max(Rational.of(-this.policy.burst)));
    this.expiry = Math.min(this.expiry, now - 1);
  }

  /** Where the bucket stands at `now` on the grid of `rate`: (now − origin) / interval. */
  #position(now: number, rate: Exclude<ModelRate, 'unlimited'>): Rational {
    return Rational.of(now - this.origin).div(intervalOf(rate));
  }

  tryAcquire(now: number): AcquireResult {
    if (this.state === 'CLOSED') {
      this.#rotate(now);
      if (this.#takeToken(now)) {
        this.totals.admitted++;
        return { generation: this.generation, trial: false };
      }
      this.totals.rejectedRate++;
      return 'rate-limited';
    }
    if (this.state === 'OPEN') {
      if (now < this.deadline) {
        this.totals.rejectedOpen++;
        return 'circuit-open';
      }
      this.#transition('HALF_OPEN', now);
      this.trials = 1;
    } else if (this.trials < this.policy.halfOpenTrials) {
      this.trials++;
    } else if (now >= this.deadline) {
      // All permits are out and have expired: a new half-open generation, this call its first trial.
      this.#transition('HALF_OPEN', now);
      this.trials = 1;
    } else {
      this.totals.rejectedOpen++;
      return 'circuit-open';
    }
    if (this.#takeToken(now)) {
      this.totals.admitted++;
      return { generation: this.generation, trial: true };
    }
    this.trials--; // the permit is handed back unused
    this.totals.rejectedRate++;
    return 'rate-limited';
  }

  record(result: AcquireResult, ok: boolean, now: number): void {
    if (typeof result === 'string') return;
    if (!ok) this.totals.failures++;
    if (result.generation !== this.generation) return;
    if (result.trial) {
      if (this.state !== 'HALF_OPEN') return;
      if (!ok) {
        this.#transition('OPEN', now);
        return;
      }
      this.successes++;
      if (this.successes >= this.policy.halfOpenSuccesses) {
        this.#transition('CLOSED', now);
        this.snapshots = [];
        this.rotateAt = now;
      }
      return;
    }
    if (ok || this.state !== 'CLOSED') return;
    const w = this.window(now);
    if (w.total >= this.policy.minimumRequests && w.failures * 1_000_000 >= this.policy.thresholdPpm * w.total) {
      this.#transition('OPEN', now);
    }
  }

  /** Calls and failures in the rolling window at `now`. */
  window(now: number): { total: number; failures: number } {
    const span = this.policy.windowBuckets * bucketWidth(this.policy);
    let oldest: Snapshot | undefined;
    for (const s of this.snapshots) {
      const age = now - s.start;
      if (age >= 0 && age < span && (oldest === undefined || s.start < oldest.start)) oldest = s;
    }
    if (oldest === undefined) return { total: 0, failures: 0 };
    return { total: this.totals.admitted - oldest.admitted, failures: this.totals.failures - oldest.failures };
  }

  #rotate(now: number): void {
    if (now < this.rotateAt) return;
    const width = bucketWidth(this.policy);
    const start = Math.floor(now / width) * width;
    // Snapshots that can never again be inside a window are dropped (only to keep the list short).
    const span = this.policy.windowBuckets * width;
    this.snapshots = this.snapshots.filter((s) => now - s.start < span);
    this.snapshots.push({ start, admitted: this.totals.admitted, failures: this.totals.failures });
    this.rotateAt = start + width;
  }

  #transition(to: StateName, now: number): void {
    const before = this.rate();
    this.state = to;
    this.generation++;
    this.trials = 0;
    this.successes = 0;
    this.totals.transitions++;
    if (to === 'OPEN') this.deadline = now + this.policy.openTimeoutMs;
    else if (to === 'HALF_OPEN') this.deadline = now + this.policy.trialTimeoutMs;
    this.#rescale(before, this.rate(), now);
  }

  #takeToken(now: number): boolean {
    for (;;) {
      if (this.totals.admitted < this.limit && now <= this.expiry) return true;
      if (!this.#refill(now)) return false;
    }
  }

  /** Hands out a new batch (the unused rest of a stale one goes back first). False when the bucket is empty. */
  #refill(now: number): boolean {
    const { burst } = this.policy;
    const rate = this.rate();
    if (rate === 'unlimited') {
      this.limit = this.totals.admitted + UNLIMITED_BATCH;
      this.expiry = now + MAX_BATCH_LIFE_MS;
      return true;
    }
    const x = this.#position(now, rate);
    const floorX = Rational.of(x.floor());
    const unused = Math.max(0, this.limit - this.totals.admitted);
    const from = this.tat.sub(Rational.of(unused)).max(floorX);
    const level = Math.max(0, Number(x.sub(from).add(Rational.of(burst)).floor()));
    const tokens = Math.min(MAX_BATCH, level);
    if (tokens === 0 && unused === 0) return false;
    this.tat = from.add(Rational.of(tokens));
    const life = intervalOf(rate).mul(Rational.of(burst + 1 - level));
    const capped = life.compare(Rational.of(MAX_BATCH_LIFE_MS)) < 0 ? life : Rational.of(MAX_BATCH_LIFE_MS);
    // And no later than the arrival of the token after the one the take started from.
    const grid = Number(Rational.of(this.origin).add(from.add(Rational.of(1)).mul(intervalOf(rate))).floor());
    this.expiry = Math.min(Number(Rational.of(now).add(capped).floor()), grid);
    this.limit = this.totals.admitted + tokens;
    return tokens > 0;
  }
}

function sameRate(a: ModelRate, b: ModelRate): boolean {
  if (a === 'unlimited' || b === 'unlimited') return a === b;
  return a.num * b.den === b.num * a.den;
}

/** The model of a whole service: a clock and named endpoints. */
export class ReferenceModel {
  now: number;
  readonly endpoints = new Map<string, ModelEndpoint>();

  constructor(startMs: number) {
    this.now = startMs;
  }

  advance(ms: number): void {
    this.now += ms;
  }

  registerEndpoint(name: string, policy: ModelPolicy): void {
    const existing = this.endpoints.get(name);
    if (existing === undefined) this.endpoints.set(name, new ModelEndpoint(policy, this.now));
    else existing.replacePolicy(policy, this.now);
  }

  /** Forgets `name`; true if it was registered. */
  unregisterEndpoint(name: string): boolean {
    return this.endpoints.delete(name);
  }

  /** adjustRate with the exact health factor (0.1 + 1.4 × health). */
  adjustRate(name: string, factor: Rational): void {
    this.endpoint(name).adjustHealth(factor, this.now);
  }

  resetStats(name: string): void {
    this.endpoint(name).resetStats();
  }

  endpoint(name: string): ModelEndpoint {
    const ep = this.endpoints.get(name);
    if (ep === undefined) throw new Error(`model: endpoint ${name} is not registered`);
    return ep;
  }

  tryAcquire(name: string): AcquireResult {
    return this.endpoint(name).tryAcquire(this.now);
  }

  record(name: string, result: AcquireResult, ok: boolean): void {
    this.endpoint(name).record(result, ok, this.now);
  }
}
