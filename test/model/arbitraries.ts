/** fast-check generators shared by the model-based property tests. */
import fc from 'fast-check';
import type { ModelPolicy, ModelRate } from './ReferenceModel.js';

export const DAY = 86_400_000;

/** Manual clock starts: near 0, around the half-wrap and wraps of the 32-bit time word, and far past them. */
export const clockStartArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }),
  fc
    .tuple(fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 33, 3 * 2 ** 32, 2 ** 34), fc.integer({ min: -200_000, max: 200_000 }))
    .map(([base, delta]) => base + delta),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((x) => x * 8),
);

/** Rates whose interval (1000 / rate ms) is exactly representable: float arithmetic on them is exact. */
const DYADIC_RATES: readonly ModelRate[] = [
  { num: 1, den: 8 },
  { num: 1, den: 2 },
  { num: 1, den: 1 },
  { num: 2, den: 1 },
  { num: 5, den: 1 },
  { num: 8, den: 1 },
  { num: 40, den: 1 },
  { num: 125, den: 1 },
  { num: 1000, den: 1 },
  { num: 2000, den: 1 },
  { num: 8000, den: 1 },
];

/** Decimal rates whose interval is not a binary fraction (0.1, 0.3, 3, 7, 33.3 ... rps). */
const DECIMAL_RATES: readonly ModelRate[] = [
  { num: 1, den: 10 },
  { num: 3, den: 10 },
  { num: 3, den: 1 },
  { num: 7, den: 1 },
  { num: 333, den: 10 },
  { num: 100, den: 1 },
  { num: 1_000_000, den: 1 },
];

/** Slow rates weigh more: an empty bucket while half-open (trial permits handed back) must be common. */
export const dyadicRateArb: fc.Arbitrary<ModelRate> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...DYADIC_RATES.slice(0, 4)) },
  { weight: 1, arbitrary: fc.constantFrom(...DYADIC_RATES) },
);

export const decimalRateArb: fc.Arbitrary<ModelRate> = fc.oneof(
  fc.constantFrom(...DECIMAL_RATES),
  fc.integer({ min: 1, max: 100_000 }).map((n) => ({ num: n, den: 10 })),
);

export interface Geometry {
  readonly windowMs: number;
  readonly windowBuckets: number;
}

export const geometryArb: fc.Arbitrary<Geometry> = fc.record({
  windowMs: fc.oneof(fc.integer({ min: 10, max: 5_000 }), fc.integer({ min: 10, max: DAY })),
  windowBuckets: fc.integer({ min: 1, max: 16 }),
});

const timeoutArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 3_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: DAY }) },
);

/** A policy with the given window geometry. */
export function policyArb(geometry: Geometry, rate: fc.Arbitrary<ModelRate>): fc.Arbitrary<ModelPolicy> {
  return fc
    .record({
      thresholdPpm: fc.oneof(fc.constantFrom(1, 250_000, 500_000, 1_000_000), fc.integer({ min: 1, max: 1_000_000 })),
      minimumRequests: fc.integer({ min: 1, max: 6 }),
      openTimeoutMs: timeoutArb,
      halfOpenTrials: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constant(127) }),
      successSeed: fc.nat(),
      trialTimeoutMs: timeoutArb,
      rate,
      burst: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 20 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_000 }) }),
    })
    .map(({ successSeed, ...p }) => ({
      ...p,
      ...geometry,
      halfOpenSuccesses: 1 + (successSeed % p.halfOpenTrials),
    }));
}

/** Time steps: mostly short, sometimes minutes, days (up to 60), or exactly around 2^30 .. 2^32 ms. */
export const advanceArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 2_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 120_000 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 5_000 })).map(([days, ms]) => days * DAY + ms),
  },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 30, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1) },
);

export type Op =
  | { readonly t: 'acquire'; readonly ep: number; readonly n: number }
  | { readonly t: 'record'; readonly ep: number; readonly pick: number; readonly ok: boolean }
  | { readonly t: 'recordAll'; readonly ep: number; readonly ok: boolean }
  | { readonly t: 'advance'; readonly ms: number }
  /** Advance to `buckets` window-bucket boundaries ahead, plus `offset` ms (-1, 0 or 1). */
  | { readonly t: 'align'; readonly buckets: number; readonly offset: number }
  | { readonly t: 'replace'; readonly ep: number; readonly policy: number };

export function opArb(endpoints: number, policies: number): fc.Arbitrary<Op> {
  const ep = fc.integer({ min: 0, max: endpoints - 1 });
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        t: fc.constant('acquire' as const),
        ep,
        n: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_200 }) }),
      }),
    },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('record' as const), ep, pick: fc.nat(), ok: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('recordAll' as const), ep, ok: fc.boolean() }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: advanceArb }) },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('align' as const),
        buckets: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 20 })),
        offset: fc.integer({ min: -1, max: 1 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('replace' as const), ep, policy: fc.integer({ min: 0, max: policies - 1 }) }) },
  );
}
