/**
 * A textbook token bucket, one call at a time, in exact arithmetic: a call at `now` is admitted
 * when the bucket holds a whole token, i.e. when floor((now + burst × interval − max(tat, now)) /
 * interval) >= 1, and then costs one interval. No batches. Admitting greedily like this admits the
 * most calls any limiter of this burst and rate can admit for a given demand.
 */
import { Rational } from './Rational.js';
import type { ModelRate } from './ReferenceModel.js';

export class IdealBucket {
  readonly #interval: Rational;
  readonly #burst: Rational;
  #tat: Rational;

  constructor(rate: Exclude<ModelRate, 'unlimited'>, burst: number, now: number) {
    this.#interval = Rational.of(1000 * rate.den, rate.num);
    this.#burst = Rational.of(burst);
    this.#tat = Rational.of(now);
  }

  tryTake(now: number): boolean {
    const t = Rational.of(now);
    const start = this.#tat.max(t);
    const tokens = t.add(this.#interval.mul(this.#burst)).sub(start).div(this.#interval).floor();
    if (tokens < 1n) return false;
    this.#tat = start.add(this.#interval);
    return true;
  }
}
