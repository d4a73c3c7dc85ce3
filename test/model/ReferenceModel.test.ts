/** The reference model checked against worked examples (not against the implementation). */
import { describe, expect, it } from 'vitest';
import { Rational } from './Rational.js';
import { type AcquireResult, type ModelPolicy, ReferenceModel } from './ReferenceModel.js';

const base: ModelPolicy = {
  thresholdPpm: 500_000,
  minimumRequests: 4,
  windowMs: 1_000,
  windowBuckets: 4,
  openTimeoutMs: 500,
  halfOpenTrials: 2,
  halfOpenSuccesses: 2,
  trialTimeoutMs: 100,
  rate: { num: 10, den: 1 },
  burst: 3,
};

function model(policy: Partial<ModelPolicy> = {}, start = 0): ReferenceModel {
  const m = new ReferenceModel(start);
  m.registerEndpoint('ep', { ...base, ...policy });
  return m;
}

const admitted = (r: AcquireResult): boolean => typeof r !== 'string';

describe('Rational', () => {
  it('does exact arithmetic', () => {
    const third = Rational.of(1, 3);
    expect(third.add(third).add(third).compare(Rational.of(1))).toBe(0);
    expect(Rational.of(1000, 3).mul(Rational.of(3)).toString()).toBe('1000');
    expect(Rational.of(7, 2).floor()).toBe(3n);
    expect(Rational.of(-7, 2).floor()).toBe(-4n);
    expect(Rational.of(-6, 2).floor()).toBe(-3n);
    expect(Rational.of(2, -4).toString()).toBe('-1/2');
    expect(Rational.of(1, 2).max(Rational.of(2, 3)).toString()).toBe('2/3');
  });
});

describe('reference model: token bucket', () => {
  it('starts full, refills one token per interval, saturates at the burst', () => {
    const m = model();
    // The 4th call finds the batch of 3 used up: it is charged (arrival time 300), nothing is left.
    expect([1, 2, 3, 4].map(() => admitted(m.tryAcquire('ep')))).toEqual([true, true, true, false]);
    m.advance(99);
    expect(admitted(m.tryAcquire('ep'))).toBe(false);
    m.advance(1);
    expect([1, 2].map(() => admitted(m.tryAcquire('ep')))).toEqual([true, false]);
    m.advance(10_000);
    expect([1, 2, 3, 4].map(() => admitted(m.tryAcquire('ep')))).toEqual([true, true, true, false]);
    expect(m.endpoint('ep').totals).toMatchObject({ admitted: 7, rejectedRate: 4 });
  });

  it('is full again after a pause, whatever was taken before it', () => {
    const m = model();
    expect([1, 2, 3].map(() => admitted(m.tryAcquire('ep')))).toEqual([true, true, true]);
    m.advance(10_000);
    expect([1, 2, 3, 4].map(() => admitted(m.tryAcquire('ep')))).toEqual([true, true, true, false]);
  });

  it('gives the unused tokens of a batch back to the bucket once it expires', () => {
    const m = model();
    // A batch of 3 from a full bucket lives one interval (100 ms).
    expect(admitted(m.tryAcquire('ep'))).toBe(true);
    m.advance(100);
    expect(admitted(m.tryAcquire('ep'))).toBe(true); // still valid at its expiry
    m.advance(1);
    // Expired with one token unused, which goes back: the bucket owes 2 intervals from t = 0 and
    // stands at 1.01, so it holds floor(1.01 - 2 + 3) = 2 tokens, as a textbook bucket would
    // (3 - 1 used at 0, + 1 by t = 100, capped at 3, - 1 used at 100 = 2).
    expect([1, 2, 3].map(() => admitted(m.tryAcquire('ep')))).toEqual([true, true, false]);
  });

  it('hands a burst larger than MAX_BATCH out in batches, all at once', () => {
    const m = model({ burst: 3_000, rate: { num: 1, den: 1 } });
    let n = 0;
    while (admitted(m.tryAcquire('ep'))) n++;
    expect(n).toBe(3_000);
  });

  it('is exact for a rate of 1/3 per second', () => {
    const m = model({ burst: 1, rate: { num: 1, den: 3 } });
    expect([1, 2].map(() => admitted(m.tryAcquire('ep')))).toEqual([true, false]);
    m.advance(2_999);
    expect(admitted(m.tryAcquire('ep'))).toBe(false);
    m.advance(1);
    expect(admitted(m.tryAcquire('ep'))).toBe(true);
  });
});

describe('reference model: rolling window and breaker', () => {
  it('counts calls since the oldest bucket within the window and trips at the threshold', () => {
    const m = model({ burst: 100, rate: { num: 1000, den: 1 } });
    const ep = m.endpoint('ep');
    // t = 0: bucket [0, 250); two good calls.
    m.record('ep', m.tryAcquire('ep'), true);
    m.record('ep', m.tryAcquire('ep'), true);
    m.advance(900); // t = 900: bucket [750, 1000), the [0, 250) bucket is still within 1000 ms
    m.record('ep', m.tryAcquire('ep'), false);
    expect(ep.window(m.now)).toEqual({ total: 3, failures: 1 });
    m.advance(150); // t = 1050: the [0, 250) bucket has left the window; [750, 1000) is the oldest
    expect(ep.window(m.now)).toEqual({ total: 1, failures: 1 });
    m.record('ep', m.tryAcquire('ep'), false);
    m.record('ep', m.tryAcquire('ep'), true);
    expect(ep.state).toBe('CLOSED'); // 3 calls < minimumRequests
    m.record('ep', m.tryAcquire('ep'), false); // 4 calls, 3 failed
    expect(ep.state).toBe('OPEN');
    expect(ep.totals).toMatchObject({ admitted: 6, failures: 3, transitions: 1 });
  });

  it('half-opens after the open timeout, limits trials, expires them, and closes on enough successes', () => {
    const m = model({ burst: 100, rate: { num: 1000, den: 1 }, minimumRequests: 1 });
    m.record('ep', m.tryAcquire('ep'), false);
    expect(m.endpoint('ep').state).toBe('OPEN');
    expect(m.tryAcquire('ep')).toBe('circuit-open');
    m.advance(500);
    const t1 = m.tryAcquire('ep');
    const t2 = m.tryAcquire('ep');
    expect([t1, t2]).toEqual([
      { generation: 2, trial: true },
      { generation: 2, trial: true },
    ]);
    expect(m.tryAcquire('ep')).toBe('circuit-open');
    m.advance(100);
    const t3 = m.tryAcquire('ep');
    expect(t3).toEqual({ generation: 3, trial: true });
    m.record('ep', t1, false); // an expired generation's failure is counted but moves nothing
    expect(m.endpoint('ep').state).toBe('HALF_OPEN');
    m.record('ep', t3, true);
    m.record('ep', m.tryAcquire('ep'), true);
    expect(m.endpoint('ep').state).toBe('CLOSED');
    expect(m.endpoint('ep').window(m.now)).toEqual({ total: 0, failures: 0 });
    expect(m.endpoint('ep').totals).toMatchObject({ failures: 2, rejectedOpen: 2, transitions: 4 });
  });

  it('hands a trial permit back when no token is left', () => {
    const m = model({ burst: 1, rate: { num: 1, den: 1 }, minimumRequests: 1, halfOpenTrials: 1, halfOpenSuccesses: 1 });
    m.record('ep', m.tryAcquire('ep'), false);
    m.advance(500);
    // The one token was taken at 0: the next comes at 1000.
    expect(m.tryAcquire('ep')).toBe('rate-limited');
    expect(m.endpoint('ep').state).toBe('HALF_OPEN');
    expect(m.endpoint('ep').trials).toBe(0);
    m.advance(499);
    expect(m.tryAcquire('ep')).toBe('rate-limited');
    m.advance(1);
    expect(m.tryAcquire('ep')).toEqual({ generation: 2, trial: true });
  });
});
