/**
 * Peers: `execute()` against a bare `await` of the same operation and against the libraries people
 * would use instead — opossum 9 (`fire()`), cockatiel 3 (`execute()` with a ConsecutiveBreaker and
 * with a SamplingBreaker) and rate-limiter-flexible (`RateLimiterMemory.consume()`) — all in the
 * same run, on the same operation: an async function that returns a constant.
 *
 * Every task iteration (one tinybench sample) first times a block of INNER bare awaits, then a
 * block of the case, written out literally in each task (a shared helper taking the case as a
 * callback would make its call site polymorphic and charge the case for it). The sample given to
 * tinybench is the case's block; the ratio to a bare await is paired, the median over samples of
 * (case per op ÷ bare await per op in the block just before it): blocks microseconds apart see
 * the same machine speed, which on a shared host drifts between tasks. "Ours ÷ peer" ratios are
 * ratios of those paired figures, so drift between the two tasks cancels too.
 *
 * The endpoints' setup and checks, the pairing, the rounds and the table rows, which the hotpath
 * suite shares, are in paired.ts.
 */
import { CircuitState, circuitBreaker, ConsecutiveBreaker, handleAll, isBrokenCircuitError, SamplingBreaker } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { FnReturnedObject } from 'tinybench';
import { isCircuitOpenError, isRateLimitError, ManualClock, Priority, Rejection } from '../src/index.js';
import { totalsOf } from '../test/support/inspect.js';
import { type BarKind, type ChartBar, fail, type Goal, median, type Row, type Suite, type SuiteOptions, type SuiteResult, sig } from './lib.js';
import { caseColumns, caseRow, type Done, expectTotals, FINITE, HIGH_RATE, manualService, type PairedTask, PairedTasks, realService, runRounds, TRIP_CALLS, tripOpen, UNLIMITED } from './paired.js';

/** Awaited operations per block (the bare-await block and the case block of an async case). */
const INNER = 100;
/** Operations per block of a synchronous baseline (Atomics.add, a bare call). */
const INNER_SYNC = 1000;
/** The waiting case's bucket: one token per millisecond of slab time, burst 1. */
const WAIT_RATE = 1000;
const WAIT_STEP_MS = 1;

/** Goals, from the issues. */
const GOAL_VS_AWAIT = 3;
const GOAL_VS_COCKATIEL = 0.7;
const GOAL_VS_OPOSSUM = 0.1;

/** The operation every case runs. */
const VALUE = 42;
const op = async (): Promise<number> => VALUE;
/** A synchronous function returning the same constant, for the bare-call baseline. */
const constant = (): number => VALUE;
/** A reference for rejections with an error: an async function that throws one. */
const throwing = async (): Promise<number> => {
  throw new Error('rejected');
};

/** Results land here so that no loop can be optimised away. */
let sink = 0;

type Section = 'baselines' | 'success path' | 'circuit open' | 'rate limited' | 'waiting for a token';

interface Case {
  readonly key: string;
  readonly label: string;
  readonly kind: BarKind;
  readonly section: Section;
  /** Operations in the task's measured block (INNER unless said). */
  readonly ops?: number;
  /**
   * What the exact checks expect of the tally the samples hand over: VALUE per call made
   * ('returned'), one per call ('rejected': rejections of the expected kind), or nothing (a
   * baseline's tally only keeps its loops from being optimised away).
   */
  readonly expect: 'returned' | 'rejected' | 'nothing';
  /**
   * One sample: INNER bare awaits timed t0..t1, then the case's block t1..t2, written out
   * literally (see the header); hands its times and its block's tally to `done`.
   */
  readonly sample: (done: Done) => Promise<FnReturnedObject>;
}

type Spec = Case & PairedTask;

export const peers: Suite = {
  name: 'peers',
  description: 'execute() vs a bare await, opossum fire(), cockatiel execute(), rate-limiter-flexible consume()',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const rounds = options.quick ? 1 : 5;
    const time = options.quick ? 150 : 500;
    const warmupTime = options.quick ? 80 : 250;

    // ---- ours ------------------------------------------------------------------------------
    // The product's default configuration for the success path: the real clock (its ticker
    // thread keeps the slab's time word current).
    const real = realService({ ok: FINITE, 'ok-unlimited': UNLIMITED });
    // Rejections on a clock that never moves: the circuit stays open, the bucket stays empty.
    const frozen = manualService({ open: UNLIMITED, limited: { rate: 1, burst: 1 } });
    // The waiting case: a manual clock the task itself advances (see below).
    const waitClock = new ManualClock(1_000_000);
    const ticking = manualService({ waiting: { rate: WAIT_RATE, burst: 1 } }, waitClock);

    const trip = tripOpen(frozen.endpoint('open'));
    // Take the one token of 'limited' and of 'waiting' (a full bucket would admit the first call at once).
    const limited = frozen.endpoint('limited');
    limited.record(limited.tryAcquire(), true);
    if (limited.tryAcquire() !== Rejection.RateLimited) fail("'limited' admitted a second call with no time passing");
    const extraRateRejects = 1;
    if ((await ticking.execute('waiting', op)) !== VALUE) fail('the first waiting-case call returned a wrong value');

    // ---- peers -----------------------------------------------------------------------------
    const opossumDefaults = new CircuitBreaker(op);
    const opossumNoTimeout = new CircuitBreaker(op, { timeout: false });
    const opossumOpen = new CircuitBreaker(op, { resetTimeout: 2 ** 31 - 1 });
    opossumOpen.open();
    const cockatielConsecutive = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
    const cockatielSampling = circuitBreaker(handleAll, {
      halfOpenAfter: 10_000,
      breaker: new SamplingBreaker({ threshold: 0.5, duration: 30_000, minimumRps: 5 }),
    });
    const cockatielOpen = circuitBreaker(handleAll, { halfOpenAfter: 2 ** 31 - 1, breaker: new ConsecutiveBreaker(5) });
    for (let i = 0; i < 5; i++) {
      await cockatielOpen
        .execute(async () => {
          throw new Error('trip');
        })
        .catch(() => {});
    }
    // Points far beyond anything the run consumes, so it never rejects.
    const rlf = new RateLimiterMemory({ points: Number.MAX_SAFE_INTEGER, duration: 3600 });
    const rlfFull = new RateLimiterMemory({ points: 1, duration: 3600 });
    await rlfFull.consume('k');

    const raw = new Int32Array(new SharedArrayBuffer(256));

    const cases: Case[] = [
      {
        key: 'bare-await',
        label: 'baseline: bare await of a resolved async function',
        kind: 'baseline',
        section: 'baselines',
        expect: 'nothing',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) s += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += await op();
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'bare-call',
        label: 'baseline: bare call of a function returning a constant',
        kind: 'baseline',
        section: 'baselines',
        ops: INNER_SYNC,
        expect: 'nothing',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) s += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER_SYNC; i++) s += constant();
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'atomics-add',
        label: 'baseline: one uncontended Atomics.add',
        kind: 'baseline',
        section: 'baselines',
        ops: INNER_SYNC,
        expect: 'nothing',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) s += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER_SYNC; i++) Atomics.add(raw, 0, 1);
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'new-error',
        label: 'baseline: new Error() (captures a stack trace)',
        kind: 'baseline',
        section: 'baselines',
        expect: 'nothing',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) s += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += new Error('rejected').message.length;
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'async-throw',
        label: 'baseline: await of an async function that throws new Error()',
        kind: 'baseline',
        section: 'baselines',
        expect: 'rejected',
        sample: async (done) => {
          let n = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) {
            try {
              sink += await throwing();
            } catch (error) {
              if (error instanceof Error) n++;
            }
          }
          const t2 = performance.now();
          return done(t0, t1, t2, n);
        },
      },
      {
        key: 'execute-ok',
        label: `ours: execute() success (rate ${HIGH_RATE.toExponential()}/s)`,
        kind: 'ours',
        section: 'success path',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += await real.execute('ok', op);
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'execute-ok-unlimited',
        label: 'ours: execute() success (rate Infinity)',
        kind: 'ours',
        section: 'success path',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += await real.execute('ok-unlimited', op);
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'cockatiel-consecutive',
        label: 'cockatiel 3: execute(), ConsecutiveBreaker',
        kind: 'peer',
        section: 'success path',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += await cockatielConsecutive.execute(op);
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'cockatiel-sampling',
        label: 'cockatiel 3: execute(), SamplingBreaker',
        kind: 'peer',
        section: 'success path',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += await cockatielSampling.execute(op);
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'rlf-consume',
        label: 'rate-limiter-flexible: RateLimiterMemory.consume() alone',
        kind: 'peer',
        section: 'success path',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += (await rlf.consume('k')).remainingPoints > 0 ? VALUE : 0;
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'rlf-consume-op',
        label: 'rate-limiter-flexible: consume(), then await the operation',
        kind: 'peer',
        section: 'success path',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) {
            await rlf.consume('k');
            s += await op();
          }
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'opossum-no-timeout',
        label: 'opossum 9: fire(), timeout: false',
        kind: 'peer',
        section: 'success path',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += await opossumNoTimeout.fire();
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'opossum',
        label: 'opossum 9: fire(), defaults (10 s timeout)',
        kind: 'peer',
        section: 'success path',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) s += await opossumDefaults.fire();
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
      {
        key: 'execute-open',
        label: 'ours: execute(), circuit open (CircuitOpenError)',
        kind: 'ours',
        section: 'circuit open',
        expect: 'rejected',
        sample: async (done) => {
          let n = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) {
            try {
              sink += await frozen.execute('open', op);
            } catch (error) {
              if (isCircuitOpenError(error)) n++;
            }
          }
          const t2 = performance.now();
          return done(t0, t1, t2, n);
        },
      },
      {
        key: 'cockatiel-open',
        label: 'cockatiel 3: execute(), circuit open (BrokenCircuitError)',
        kind: 'peer',
        section: 'circuit open',
        expect: 'rejected',
        sample: async (done) => {
          let n = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) {
            try {
              sink += await cockatielOpen.execute(op);
            } catch (error) {
              if (isBrokenCircuitError(error)) n++;
            }
          }
          const t2 = performance.now();
          return done(t0, t1, t2, n);
        },
      },
      {
        key: 'opossum-open',
        label: 'opossum 9: fire(), circuit open (EOPENBREAKER)',
        kind: 'peer',
        section: 'circuit open',
        expect: 'rejected',
        sample: async (done) => {
          let n = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) {
            try {
              sink += await opossumOpen.fire();
            } catch (error) {
              if ((error as { code?: unknown }).code === 'EOPENBREAKER') n++;
            }
          }
          const t2 = performance.now();
          return done(t0, t1, t2, n);
        },
      },
      {
        key: 'execute-rate',
        label: 'ours: execute(), no token, timeout 0 (RateLimitError)',
        kind: 'ours',
        section: 'rate limited',
        expect: 'rejected',
        sample: async (done) => {
          let n = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) {
            try {
              sink += await frozen.execute('limited', op, Priority.Normal, 0);
            } catch (error) {
              if (isRateLimitError(error)) n++;
            }
          }
          const t2 = performance.now();
          return done(t0, t1, t2, n);
        },
      },
      {
        key: 'rlf-reject',
        label: 'rate-limiter-flexible: consume() rejected (RateLimiterRes)',
        kind: 'peer',
        section: 'rate limited',
        expect: 'rejected',
        sample: async (done) => {
          let n = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) {
            try {
              sink += (await rlfFull.consume('k')).remainingPoints;
            } catch (error) {
              if (error instanceof RateLimiterRes) n++;
            }
          }
          const t2 = performance.now();
          return done(t0, t1, t2, n);
        },
      },
      {
        key: 'execute-wait',
        label: 'ours: execute(), waits for a token due 1 slab-ms later',
        kind: 'ours',
        section: 'waiting for a token',
        expect: 'returned',
        sample: async (done) => {
          let s = 0;
          const t0 = performance.now();
          for (let i = 0; i < INNER; i++) sink += await op();
          const t1 = performance.now();
          for (let i = 0; i < INNER; i++) {
            // The bucket is empty: the call queues and sleeps on the slab's clock word; the
            // advance (an Atomics.notify) makes its token due and wakes it.
            const call = ticking.execute('waiting', op);
            waitClock.advance(WAIT_STEP_MS);
            s += await call;
          }
          const t2 = performance.now();
          return done(t0, t1, t2, s);
        },
      },
    ];
    const paired = new PairedTasks(INNER);
    const specs: Spec[] = cases.map((c) => ({ ...c, ...paired.task(c.key, c.ops ?? INNER, c.sample) }));

    try {
      const samples = await runRounds('peers', specs, { rounds, time, warmupTime, iterations: 16, async: true });

      // ---- exact checks: every call made is accounted for ------------------------------------
      const calls = (key: string): number => paired.blocks(key) * INNER;
      const notes: string[] = [];
      for (const { key, expect } of specs) {
        const got = paired.tally(key);
        if (expect === 'returned' && got !== VALUE * calls(key)) fail(`${key}: the calls returned ${got} in all, expected ${VALUE} × ${calls(key)}`);
        if (expect === 'rejected' && got !== calls(key)) fail(`${key}: ${got} rejections of the expected kind, expected ${calls(key)}`);
      }
      const tOk = totalsOf(real.handle, 'ok');
      expectTotals('execute-ok', tOk, { admitted: calls('execute-ok'), failures: 0, rejectedOpen: 0, rejectedRate: 0 });
      if (tOk.waited > 0) notes.push(`ANOMALY: execute-ok (rate ${HIGH_RATE.toExponential()}/s, burst 2^20) waited for a token ${tOk.waited} times; its figure includes those waits.`);
      const tUnlimited = totalsOf(real.handle, 'ok-unlimited');
      expectTotals('execute-ok-unlimited', tUnlimited, { admitted: calls('execute-ok-unlimited'), failures: 0, rejectedOpen: 0, rejectedRate: 0, waited: 0 });
      expectTotals('execute-open', totalsOf(frozen.handle, 'open'), {
        admitted: trip.admitted,
        failures: trip.admitted,
        rejectedOpen: calls('execute-open') + trip.rejected,
        rejectedRate: 0,
      });
      expectTotals('execute-rate', totalsOf(frozen.handle, 'limited'), { admitted: 1, failures: 0, rejectedOpen: 0, rejectedRate: calls('execute-rate') + extraRateRejects, waited: 0 });
      expectTotals('execute-wait', totalsOf(ticking.handle, 'waiting'), {
        admitted: calls('execute-wait') + 1,
        failures: 0,
        rejectedOpen: 0,
        rejectedRate: 0,
        waited: calls('execute-wait'),
        waitMs: calls('execute-wait') * WAIT_STEP_MS,
      });
      if (!opossumOpen.opened || cockatielOpen.state !== CircuitState.Open) fail('a peer circuit left OPEN during the run');
      if (cockatielConsecutive.state !== CircuitState.Closed || cockatielSampling.state !== CircuitState.Closed || opossumDefaults.opened || opossumNoTimeout.opened) {
        fail('a peer circuit left CLOSED during the run');
      }

      // ---- tables --------------------------------------------------------------------------
      const nsOf = (key: string): number => median(samples.get(key)?.p50 ?? fail(`no samples of ${key}`));
      const unitsOf = (key: string): number => median(samples.get(key)?.paired ?? fail(`no samples of ${key}`));
      const awaitNs = nsOf('bare-await');
      const addNs = nsOf('atomics-add');
      const rows: Row[] = [];
      const details: Record<string, unknown> = {};
      for (const s of specs) {
        const e = samples.get(s.key) ?? fail(`no samples of ${s.key}`);
        const ns = median(e.p50);
        rows.push(caseRow(s.label, e, '× bare await', '× Atomics.add', addNs));
        details[s.key] = {
          label: s.label,
          kind: s.kind,
          section: s.section,
          opsPerSample: s.ops,
          nsPerOp: sig(ns, 4),
          nsPerOpMedianByRound: e.p50.map((x) => sig(x, 4)),
          nsPerOpMeanByRound: e.mean.map((x) => sig(x, 4)),
          ratioToBareAwait: sig(unitsOf(s.key), 4),
          ratioToBareAwaitByRound: e.paired.map((x) => sig(x, 4)),
          pairedBareAwaitNsByRound: e.baseNs.map((x) => sig(x, 4)),
          samples: e.samples,
          callsCounted: paired.blocks(s.key) * s.ops,
        };
      }

      // Ours ÷ peer: the ratio of the two paired figures (each relative to bare awaits timed
      // beside it), so a change of machine speed between the two tasks cancels out.
      const versus: { ours: string; peer: string; goal?: number }[] = [
        { ours: 'execute-ok', peer: 'cockatiel-consecutive', goal: GOAL_VS_COCKATIEL },
        { ours: 'execute-ok', peer: 'cockatiel-sampling', goal: GOAL_VS_COCKATIEL },
        { ours: 'execute-ok', peer: 'opossum', goal: GOAL_VS_OPOSSUM },
        { ours: 'execute-ok', peer: 'opossum-no-timeout' },
        { ours: 'execute-ok', peer: 'rlf-consume-op' },
        { ours: 'execute-ok', peer: 'rlf-consume' },
        { ours: 'execute-ok-unlimited', peer: 'cockatiel-consecutive', goal: GOAL_VS_COCKATIEL },
        { ours: 'execute-ok-unlimited', peer: 'opossum', goal: GOAL_VS_OPOSSUM },
        { ours: 'execute-open', peer: 'cockatiel-open' },
        { ours: 'execute-open', peer: 'opossum-open' },
        { ours: 'execute-rate', peer: 'rlf-reject' },
      ];
      const label = (key: string): string => specs.find((s) => s.key === key)?.label ?? key;
      const vsRows: Row[] = versus.map((v) => {
        const r = unitsOf(v.ours) / unitsOf(v.peer);
        return {
          ours: label(v.ours),
          peer: label(v.peer),
          'ours ns/op': sig(nsOf(v.ours), 3),
          'peer ns/op': sig(nsOf(v.peer), 3),
          'ours ÷ peer': sig(r, 3),
          goal: v.goal === undefined ? '' : `<= ${v.goal}`,
          verdict: v.goal === undefined ? '' : r <= v.goal ? 'MEETS' : 'MISSES',
        };
      });
      const ratio = (a: string, b: string): number => unitsOf(a) / unitsOf(b);
      const fx = (x: number): string => `${x.toFixed(2)}×`;
      const worst = (...xs: number[]): number => Math.max(...xs);
      const okA = unitsOf('execute-ok');
      const okU = unitsOf('execute-ok-unlimited');
      const goals: Goal[] = [
        {
          goal: `execute() success <= ${GOAL_VS_AWAIT} × a bare await of the same operation`,
          measured: `${fx(okA)} (rate ${HIGH_RATE.toExponential()}/s), ${fx(okU)} (rate Infinity); peers ${fx(unitsOf('cockatiel-consecutive'))}–${fx(unitsOf('opossum'))}`,
          verdict: worst(okA, okU) <= GOAL_VS_AWAIT ? 'MEETS' : 'MISSES',
        },
        {
          goal: `execute() <= ${GOAL_VS_COCKATIEL} × cockatiel's execute()`,
          measured:
            `${fx(ratio('execute-ok', 'cockatiel-consecutive'))} of ConsecutiveBreaker, ${fx(ratio('execute-ok', 'cockatiel-sampling'))} of SamplingBreaker ` +
            `(rate Infinity: ${fx(ratio('execute-ok-unlimited', 'cockatiel-consecutive'))} of ConsecutiveBreaker)`,
          verdict: worst(ratio('execute-ok', 'cockatiel-consecutive'), ratio('execute-ok', 'cockatiel-sampling')) <= GOAL_VS_COCKATIEL ? 'MEETS' : 'MISSES',
        },
        {
          goal: `execute() <= ${GOAL_VS_OPOSSUM} × opossum's fire()`,
          measured:
            `${fx(ratio('execute-ok', 'opossum'))} of fire() with defaults; ${fx(ratio('execute-ok', 'opossum-no-timeout'))} of fire() with timeout: false ` +
            `(rate Infinity: ${fx(ratio('execute-ok-unlimited', 'opossum'))} of defaults)`,
          verdict: ratio('execute-ok', 'opossum') <= GOAL_VS_OPOSSUM ? 'MEETS' : 'MISSES',
        },
      ];
      const waitAdded = nsOf('execute-wait') - nsOf('execute-ok');
      const floor = (key: string): string => `${fx(ratio(key, 'async-throw'))}`;
      notes.push(
        ...goals.map((g) => `Goal: ${g.goal} — ${g.measured}: ${g.verdict}.`),
        `ns/op = median tinybench sample ÷ its block (${INNER} awaited calls, or ${INNER_SYNC} for the synchronous baselines), median over ${rounds} round(s). ` +
          `'× bare await' is paired: each sample times ${INNER} bare awaits of the operation and then the case's block, back to back; the figure is the median ` +
          `over samples of (case per op ÷ bare await per op), median over rounds (the bare-await row pairs two blocks of bare awaits: how far from 1 that ` +
          `lands is the noise floor). '× Atomics.add' = ns/op ÷ the Atomics.add row's ns/op. 'ours ÷ peer' = ratio of the two '× bare await' figures.`,
        `The operation everywhere: \`async () => ${VALUE}\`. execute() runs on the real clock with the highThroughput preset (rate ${HIGH_RATE.toExponential()}/s burst 2^20, or Infinity), ` +
          `no timeout, Priority.Normal; rejections on a manual clock that never moves (open: tripped by ${TRIP_CALLS} failures; rate-limited: rate 1/s, its one token taken, timeout 0 so it rejects at once).`,
        `Rejections that carry an Error pay for its stack trace: new Error() alone costs ${sig(nsOf('new-error'), 3)} ns here, and an await of an async function that throws one ` +
          `${sig(nsOf('async-throw'), 3)} ns (${fx(unitsOf('async-throw'))} a bare await) — a reference for any library that rejects with an Error. Relative to that reference: ` +
          `ours open ${floor('execute-open')}, rate-limited ${floor('execute-rate')}; cockatiel open ${floor('cockatiel-open')}; opossum open ${floor('opossum-open')}; ` +
          `rate-limiter-flexible, which rejects with a plain RateLimiterRes object (no stack trace), ${floor('rlf-reject')}. These figures swing several-fold with the machine's load. ` +
          `A caller that must reject cheaply uses tryAcquire() (see the hotpath suite).`,
        `Waiting call: a bucket of rate ${WAIT_RATE}/s, burst 1, kept empty, on a manual clock. Each call finds no token, queues (priority gate, this thread's FIFO) ` +
          `and sleeps on the slab's clock word; the loop then advances the clock ${WAIT_STEP_MS} ms (one Atomics.notify), which makes exactly one token due and wakes it; it takes the token and runs. ` +
          `No real time is waited: the figure is the whole wait path's CPU and wake-up cost (heartbeat timer armed and cancelled, an Atomics.waitAsync wake through the event loop, a second acquire), ` +
          `${sig(waitAdded, 3)} ns more than an admitted call. A real wait also sleeps until its token is due (>= 1 ms on the real clock).`,
        `Peers: opossum 9 new CircuitBreaker(op) / { timeout: false } (open: .open() with resetTimeout 2^31-1 ms); cockatiel 3 circuitBreaker(handleAll, { halfOpenAfter: 10 s, ` +
          `breaker: new ConsecutiveBreaker(5) | new SamplingBreaker({ threshold: 0.5, duration: 30 s, minimumRps: 5 }) }) (open: tripped by 5 failures); ` +
          `rate-limiter-flexible new RateLimiterMemory({ points: 2^53-1, duration: 3600 }) (rejecting: points 1, consumed). execute() does a breaker and a rate limiter in one call; ` +
          `cockatiel and opossum only a breaker, rate-limiter-flexible only a limiter ('consume(), then await the operation' is the same work as execute() from its side).`,
        `Checked exactly after the run: every call returned ${VALUE} or was rejected with the expected error; the slab's totals match the calls made ` +
          `(execute-ok admitted ${tOk.admitted}, open rejections ${calls('execute-open') + trip.rejected}, rate rejections ${calls('execute-rate') + extraRateRejects}, ` +
          `${calls('execute-wait')} calls admitted after waiting ${WAIT_STEP_MS} slab-ms each).`,
      );

      const chart: ChartBar[] = specs.map((s) => ({
        section: s.section === 'baselines' ? 'baselines' : `${s.section} (async, awaited)`,
        label: s.label.replace(/^(baseline|ours): /, ''),
        kind: s.kind,
        nsPerOp: sig(nsOf(s.key), 4),
        note: `${sig(unitsOf(s.key), 3)}× await`,
      }));

      return {
        suite: 'peers',
        baseline: `a bare await of the same resolved async function (paired, same run); bare await = ${awaitNs.toFixed(1)} ns, Atomics.add = ${addNs.toFixed(2)} ns`,
        tables: [
          {
            title: `peers — ${INNER} awaited calls per sample, one thread; bare await = ${awaitNs.toFixed(1)} ns`,
            columns: caseColumns('× bare await', '× Atomics.add'),
            rows,
          },
          {
            title: 'peers — ours ÷ peer, same operation, same run (ratio of the paired × bare-await figures)',
            columns: ['ours', 'peer', 'ours ns/op', 'peer ns/op', 'ours ÷ peer', 'goal', 'verdict'],
            rows: vsRows,
          },
        ],
        notes,
        goals,
        chart,
        details: { inner: INNER, innerSync: INNER_SYNC, rounds, timePerTaskMs: time, warmupTimeMs: warmupTime, cases: details, sink: sink === 0 ? 0 : 1 },
      };
    } finally {
      opossumDefaults.shutdown();
      opossumNoTimeout.shutdown();
      opossumOpen.shutdown();
      real.close();
      frozen.close();
      ticking.close();
    }
  },
};
