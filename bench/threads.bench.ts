/**
 * Threads: aggregate throughput of tryAcquire + record(ok) with 1, 2 and
 * `os.availableParallelism()` workers of a piscina pool (made by the library's
 * `createResilientPool`, so every worker shares the service's slab), on distinct endpoints (one
 * per worker) and on one shared endpoint, against 1 worker on 1 endpoint. For context, the same
 * for a bare Atomics.add (workers on separate cache lines, and on one word) and for local
 * arithmetic: what this machine's cores can do at all.
 *
 * Each run hands every worker one task; the tasks count themselves ready and wait at a start
 * barrier, then run a fixed number of operations and report their elapsed time; aggregate ops/s
 * = all operations / the slowest worker's elapsed time. The slab's totals are checked exactly
 * after every run (admitted == operations), and the run fails if not.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { PolicyPresets, ResilienceService } from '../src/index.js';
import { createResilientPool } from '../src/piscina.js';
import type { EndpointTotals } from '../src/service/EndpointRecord.js';
import { totalsOf } from '../test/support/inspect.js';
import { fail, type Goal, median, type Row, type Suite, type SuiteOptions, type SuiteResult, sig } from './lib.js';
import { GO, READY, SLOT_STRIDE, type ThreadsData, type ThreadsDone, type ThreadsTask } from './threadsProtocol.js';

/** Goals the project states, as multiples of one thread on one endpoint. */
const GOAL_DISTINCT = 1.8;
const GOAL_SHARED = 1.5;
/** A run is clean when every worker was on a CPU at least this share of its elapsed time. */
const CLEAN_SHARE = 0.9;
/** How long the workers of a run may take to reach the start barrier. */
const READY_TIMEOUT_MS = 60_000;

type Family = 'spin' | 'add' | 'acquire';

interface Config {
  readonly key: string;
  readonly label: string;
  readonly family: Family;
  readonly threads: number;
  /** Per worker: an endpoint name (acquire) or a counter slot (spin, add). */
  readonly targets: readonly (string | number)[];
}

/** Counter slot of worker i's own line (add, and spin at +8); slot 0 is the word they all share. */
const ownSlot = (i: number): number => SLOT_STRIDE * (i + 1);
const SLOT_SHARED = 0;

/** Worker counts measured: 1, 2 and os.availableParallelism() (each once). */
function workerCounts(): number[] {
  return [...new Set([1, 2, os.availableParallelism()])].sort((a, b) => a - b);
}

function configs(counts: readonly number[]): Config[] {
  const all = os.availableParallelism();
  const out: Config[] = [];
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const w = (n: number): string => `${n} worker${n === 1 ? '' : 's'}${n === all && n > 2 ? ' (= availableParallelism)' : ''}`;
  for (const n of counts) out.push({ key: `spin-${n}`, label: `ceiling: local arithmetic (8 xorshifts), ${w(n)}`, family: 'spin', threads: n, targets: range(n).map((i) => ownSlot(i) + 8) });
  for (const n of counts) {
    if (n === 1) out.push({ key: 'add-1', label: 'baseline: Atomics.add, 1 worker', family: 'add', threads: 1, targets: [ownSlot(0)] });
    else {
      out.push({ key: `add-${n}-separate`, label: `baseline: Atomics.add, ${w(n)}, separate lines`, family: 'add', threads: n, targets: range(n).map(ownSlot) });
      out.push({ key: `add-${n}-shared`, label: `baseline: Atomics.add, ${w(n)}, one word`, family: 'add', threads: n, targets: range(n).map(() => SLOT_SHARED) });
    }
  }
  for (const n of counts) {
    if (n === 1) out.push({ key: 'acquire-1', label: 'tryAcquire+record, 1 worker, 1 endpoint', family: 'acquire', threads: 1, targets: ['solo'] });
    else {
      out.push({ key: `acquire-${n}-distinct`, label: `tryAcquire+record, ${w(n)}, ${n} endpoints`, family: 'acquire', threads: n, targets: range(n).map((i) => `own-${i}`) });
      out.push({ key: `acquire-${n}-shared`, label: `tryAcquire+record, ${w(n)}, 1 shared endpoint`, family: 'acquire', threads: n, targets: range(n).map(() => 'shared') });
    }
  }
  return out;
}

type Done = ThreadsDone;

interface Measured {
  readonly aggregate: number;
  /** Sum of each worker's own rate (ops / its elapsed time): counts a thread that finished early as still running. */
  readonly sumOfRates: number;
  readonly nsPerOpPerThread: number;
  /** CPU time per op, mean over threads (null without schedstat). */
  readonly cpuNsPerOp: number | null;
  /** Smallest share of its elapsed time a thread spent on a CPU (null without schedstat). */
  readonly cpuShare: number | null;
  readonly elapsedMs: readonly number[];
  readonly runqueueMs: readonly (number | null)[];
  readonly startSkewUs: number;
}

export const threads: Suite = {
  name: 'threads',
  description: 'tryAcquire + record throughput through piscina: 1, 2 and availableParallelism workers, distinct vs shared endpoint',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const plan = options.quick
      ? { minRounds: 2, maxRounds: 4, wantClean: 1, budgetMs: 8_000 }
      : { minRounds: 5, maxRounds: 15, wantClean: 3, budgetMs: 90_000 };
    const ops = options.quick ? 2_000_000 : 5_000_000;
    const warmupOps = options.quick ? 400_000 : 2_000_000;
    const policy = { ...PolicyPresets.highThroughput(), rate: Number.POSITIVE_INFINITY };
    const counts = workerCounts();
    const poolSize = Math.max(...counts);
    const CONFIGS = configs(counts);

    // The product's default configuration: a real clock kept current by the ticker thread.
    const service = new ResilienceService(PolicyPresets.standard(), { capacity: 256 });
    const control = new Int32Array(new SharedArrayBuffer(64));
    const counters = new Int32Array(new SharedArrayBuffer(4 * SLOT_STRIDE * (2 * poolSize + 3)));
    let pool: Piscina | undefined;
    let gen = 0;
    try {
      // Endpoints are registered once; each run's counts are checked as deltas of the totals.
      const names: string[] = [];
      for (const config of CONFIGS) {
        if (config.family !== 'acquire') continue;
        for (const target of config.targets) {
          if (names.includes(String(target))) continue;
          service.registerEndpoint(String(target), policy);
          names.push(String(target));
        }
      }
      const data: ThreadsData = {
        control: control.buffer as SharedArrayBuffer,
        counters: counters.buffer as SharedArrayBuffer,
        warmupNames: names,
        warmupSlotBase: SLOT_STRIDE * (poolSize + 2),
        warmupOps,
      };
      // The library's piscina helper: every worker finds the service's handle in its workerData.
      // Piscina starts its workers with plain Node; the bootstrap registers tsx to load the task.
      pool = createResilientPool(service, {
        filename: fileURLToPath(new URL('./threadsBootstrap.mjs', import.meta.url)),
        minThreads: poolSize,
        maxThreads: poolSize,
        idleTimeout: Number.POSITIVE_INFINITY,
        concurrentTasksPerWorker: 1,
        workerData: data,
      });
      const runPool = pool;

      const runOnce = async (config: Config, round: number): Promise<Measured> => {
        const targets = config.targets;
        const before = new Map<string | number, EndpointTotals>();
        if (config.family === 'acquire') {
          for (const name of new Set(targets)) before.set(name, totalsOf(service.handle, String(name)));
        } else {
          for (const slot of targets) Atomics.store(counters, Number(slot), 0);
        }
        gen++;
        Atomics.store(control, READY, 0);
        const dones = targets.map((target) => {
          const task: ThreadsTask =
            config.family === 'acquire' ? { kind: 'acquire', name: String(target), ops, gen } : { kind: config.family, slot: Number(target), ops, gen };
          return runPool.run(task) as Promise<Done>;
        });
        // One task per worker (concurrentTasksPerWorker 1): each counts itself READY and blocks
        // at the barrier, so every worker has its task before any starts.
        const t0 = performance.now();
        while (Atomics.load(control, READY) < config.threads) {
          if (performance.now() - t0 > READY_TIMEOUT_MS) fail(`${config.key} round ${round}: only ${Atomics.load(control, READY)} of ${config.threads} workers reached the barrier`);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        Atomics.store(control, GO, gen);
        Atomics.notify(control, GO);
        const results: Done[] = await Promise.all(dones);
        if (new Set(results.map((r) => r.threadId)).size !== config.threads) fail(`${config.key} round ${round}: two tasks ran on one worker`);
        verify(config, round, before, results);
        const maxNs = Math.max(...results.map((r) => r.elapsedNs));
        const starts = results.map((r) => r.startMs);
        return {
          aggregate: (ops * config.threads) / (maxNs / 1e9),
          sumOfRates: results.reduce((sum, r) => sum + ops / (r.elapsedNs / 1e9), 0),
          nsPerOpPerThread: results.reduce((s, r) => s + r.elapsedNs / ops, 0) / results.length,
          cpuNsPerOp: results.some((r) => r.cpuNs === null) ? null : results.reduce((sum, r) => sum + (r.cpuNs ?? 0) / ops, 0) / results.length,
          cpuShare: results.some((r) => r.cpuNs === null) ? null : Math.min(...results.map((r) => (r.cpuNs ?? 0) / r.elapsedNs)),
          elapsedMs: results.map((r) => sig(r.elapsedNs / 1e6, 4)),
          runqueueMs: results.map((r) => (r.runqueueNs === null ? null : sig(r.runqueueNs / 1e6, 3))),
          startSkewUs: sig((Math.max(...starts) - Math.min(...starts)) * 1000, 3),
        };
      };

      const verify = (config: Config, round: number, before: ReadonlyMap<string | number, EndpointTotals>, results: readonly Done[]): void => {
        const expected = new Map<string | number, number>();
        for (const t of config.targets) expected.set(t, (expected.get(t) ?? 0) + ops);
        const workerAdmitted = results.reduce((s, r) => s + r.admitted, 0);
        if (workerAdmitted !== ops * config.threads) {
          fail(`${config.key} round ${round}: workers saw ${workerAdmitted} admissions of ${ops * config.threads} calls`);
        }
        for (const [target, want] of expected) {
          if (config.family === 'spin') continue;
          if (config.family === 'add') {
            const got = Atomics.load(counters, Number(target));
            if (got !== want) fail(`${config.key} round ${round}: counter ${target} is ${got}, expected ${want}`);
            continue;
          }
          const t = totalsOf(service.handle, String(target));
          const b = before.get(target) ?? fail(`no totals of ${String(target)} before the run`);
          const delta = {
            admitted: t.admitted - b.admitted,
            failures: t.failures - b.failures,
            rejectedOpen: t.rejectedOpen - b.rejectedOpen,
            rejectedRate: t.rejectedRate - b.rejectedRate,
          };
          if (delta.admitted !== want || delta.failures !== 0 || delta.rejectedOpen !== 0 || delta.rejectedRate !== 0) {
            fail(`${config.key} round ${round}: endpoint ${String(target)} changed by ${JSON.stringify(delta)} in the run, expected admitted +${want} and nothing else`);
          }
        }
      };

      // Rounds: every configuration once per round, interleaved, so slow phases of a shared
      // machine hit all of them. More rounds (within a time budget) until each configuration has
      // enough clean runs: runs in which every worker was on a CPU for >= CLEAN_SHARE of its time.
      const measured = new Map<string, Measured[]>();
      for (const c of CONFIGS) measured.set(c.key, []);
      const isClean = (m: Measured): boolean => m.cpuShare !== null && m.cpuShare >= CLEAN_SHARE;
      const clean = (key: string): Measured[] => (measured.get(key) ?? []).filter(isClean);
      const t0 = performance.now();
      let rounds = 0;
      while (rounds < plan.maxRounds) {
        if (rounds >= plan.minRounds) {
          const schedKnown = (measured.get('acquire-1') ?? []).every((m) => m.cpuShare !== null);
          const enough = !schedKnown || CONFIGS.every((c) => clean(c.key).length >= plan.wantClean);
          if (enough || performance.now() - t0 > plan.budgetMs) break;
        }
        for (const config of CONFIGS) measured.get(config.key)?.push(await runOnce(config, rounds));
        rounds++;
      }

      // ---- the table ---------------------------------------------------------------------
      const rows: Row[] = [];
      const details: Record<string, unknown> = {};
      const ratios = new Map<string, number | null>();
      const cleanRatios = new Map<string, number | null>();
      const cpuRatios = new Map<string, number | null>();
      for (const config of CONFIGS) {
        const baseKey = `${config.family}-1`;
        const list = measured.get(config.key) ?? [];
        const base = measured.get(baseKey) ?? [];
        const perRound = list.map((m, i) => m.aggregate / (base[i]?.aggregate ?? Number.NaN));
        const ratio = median(perRound);
        const mine = clean(config.key);
        const theirs = clean(baseKey);
        const both = mine.length > 0 && theirs.length > 0;
        const cleanRatio = both ? median(mine.map((m) => m.aggregate)) / median(theirs.map((m) => m.aggregate)) : null;
        // threads × (1-thread CPU ns/op ÷ this CPU ns/op): the wall-clock ratio if each thread had a
        // core of its own throughout. Only from clean runs: two threads time-sliced on one CPU never
        // contend, so their CPU time would hide the cost of sharing.
        const cpuRatio = both
          ? (config.threads * median(theirs.map((m) => m.cpuNsPerOp ?? Number.NaN))) / median(mine.map((m) => m.cpuNsPerOp ?? Number.NaN))
          : null;
        ratios.set(config.key, ratio);
        cleanRatios.set(config.key, cleanRatio);
        cpuRatios.set(config.key, cpuRatio);
        rows.push({
          case: config.label,
          workers: config.threads,
          'ns/op/thread': sig(median(list.map((m) => m.nsPerOpPerThread)), 3),
          'aggregate ops/s': Math.round(median(list.map((m) => m.aggregate))),
          '× 1 thread': sig(ratio, 3),
          range: `${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}`,
          'clean runs': `${mine.length}/${list.length}`,
          '× 1 thread (clean)': cleanRatio === null ? null : sig(cleanRatio, 3),
          'CPU ns/op/thread (clean)': mine.length > 0 ? sig(median(mine.map((m) => m.cpuNsPerOp ?? Number.NaN)), 3) : null,
          '× by CPU time (clean)': cpuRatio === null ? null : sig(cpuRatio, 3),
        });
        details[config.key] = {
          label: config.label,
          threads: config.threads,
          aggregateOpsPerSec: Math.round(median(list.map((m) => m.aggregate))),
          ratioToOneThread: sig(ratio, 4),
          ratioToOneThreadClean: cleanRatio === null ? null : sig(cleanRatio, 4),
          ratioByCpuTimeClean: cpuRatio === null ? null : sig(cpuRatio, 4),
          ratiosByRound: perRound.map((x) => sig(x, 4)),
          aggregateByRound: list.map((m) => Math.round(m.aggregate)),
          sumOfThreadRatesByRound: list.map((m) => Math.round(m.sumOfRates)),
          cpuNsPerOpByRound: list.map((m) => (m.cpuNsPerOp === null ? null : sig(m.cpuNsPerOp, 4))),
          minCpuShareByRound: list.map((m) => (m.cpuShare === null ? null : sig(m.cpuShare, 3))),
          elapsedMsByRound: list.map((m) => m.elapsedMs),
          runqueueMsByRound: list.map((m) => m.runqueueMs),
          startSkewUsByRound: list.map((m) => m.startSkewUs),
        };
      }
      const show = (x: number | null | undefined, goal: number): string =>
        x === null || x === undefined || Number.isNaN(x) ? 'n/a (no clean runs)' : `${x.toFixed(2)}× (${x >= goal ? 'MEETS' : 'MISSES'})`;
      const fx = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}×`);
      const notes = [
        `Goals, wall clock, all rounds: >= ${GOAL_DISTINCT}× on two endpoints — ${show(ratios.get('acquire-2-distinct'), GOAL_DISTINCT)}; ` +
          `>= ${GOAL_SHARED}× on one shared endpoint — ${show(ratios.get('acquire-2-shared'), GOAL_SHARED)}.`,
        `Goals, wall clock, clean runs only: two endpoints ${show(cleanRatios.get('acquire-2-distinct'), GOAL_DISTINCT)}; ` +
          `one shared endpoint ${show(cleanRatios.get('acquire-2-shared'), GOAL_SHARED)}. ` +
          `By CPU time (clean runs): two endpoints ${show(cpuRatios.get('acquire-2-distinct'), GOAL_DISTINCT)}; one shared ${show(cpuRatios.get('acquire-2-shared'), GOAL_SHARED)}.`,
        ...counts
          .filter((n) => n > 1)
          .map(
            (n) =>
              `Machine ceiling this run with ${n} workers (all rounds / clean): local arithmetic ${fx(ratios.get(`spin-${n}`))} / ${fx(cleanRatios.get(`spin-${n}`))}; ` +
              `Atomics.add on separate lines ${fx(ratios.get(`add-${n}-separate`))} / ${fx(cleanRatios.get(`add-${n}-separate`))}; ` +
              `on one word ${fx(ratios.get(`add-${n}-shared`))} / ${fx(cleanRatios.get(`add-${n}-shared`))}; ` +
              `ours on ${n} endpoints ${fx(ratios.get(`acquire-${n}-distinct`))} / ${fx(cleanRatios.get(`acquire-${n}-distinct`))}, on one ${fx(ratios.get(`acquire-${n}-shared`))} / ${fx(cleanRatios.get(`acquire-${n}-shared`))}.`,
          ),
        `${ops.toLocaleString('en-US')} ops per worker per run; ${rounds} rounds (configurations interleaved in each); ` +
          `aggregate = all ops / the slowest worker's elapsed time; '× 1 thread' = median over rounds of aggregate ÷ the same round's 1-thread aggregate of the same loop; range = min–max of that.`,
        `A run is clean when every worker was on a CPU >= ${CLEAN_SHARE * 100}% of its elapsed time (Linux /proc/thread-self/schedstat); ` +
          `'(clean)' columns use clean runs only (medians of aggregates, and of CPU time per op). ` +
          `'× by CPU time' = threads × (1-thread CPU ns/op ÷ this CPU ns/op): contention raises CPU time per op, preemption by other processes does not.`,
        `Every run verified exactly: each endpoint's slab totals grew by admitted == ops × its workers, no failures or rejections (and the Atomics.add counters likewise); ` +
          `every task of a run ran on a worker of its own.`,
        `Workers: one piscina pool of ${poolSize} threads made by createResilientPool (minThreads = maxThreads, one task per worker at a time); ` +
          `each run gives each of its workers one task, which counts itself ready and waits at a start barrier (Atomics.wait) until all have theirs, so piscina's dispatch is not timed. ` +
          `Every worker takes the handles of every endpoint and warms the loops up on them when it starts.`,
        `Policy highThroughput with rate Infinity; real clock (its ticker thread runs too); worker counts ${counts.join(', ')} (os.availableParallelism() = ${os.availableParallelism()}).`,
      ];
      /**
       * The goal's verdict: from clean runs when there are any (other processes' load says nothing
       * of how our code scales); without, from all rounds — unless the machine itself could not run
       * two threads at once this time (local arithmetic scaled less than the goal), when it is n/a.
       */
      const goal = (key: string, target: number, what: string): Goal => {
        const all = ratios.get(key);
        const cleanR = cleanRatios.get(key);
        const cpu = cpuRatios.get(key);
        const list = measured.get(key) ?? [];
        const addKey = key.endsWith('shared') ? 'add-2-shared' : 'add-2-separate';
        const ceiling = ratios.get('spin-2');
        const known = (x: number | null | undefined): x is number => x !== null && x !== undefined && !Number.isNaN(x);
        let verdict: Goal['verdict'] = 'n/a';
        if (known(cleanR)) verdict = cleanR >= target ? 'MEETS' : 'MISSES';
        else if (known(all) && (all >= target || (known(ceiling) && ceiling >= target))) verdict = all >= target ? 'MEETS' : 'MISSES';
        return {
          goal: `2 workers on ${what} >= ${target}× the throughput of 1 worker on 1 endpoint`,
          measured:
            `${fx(cleanR)} in clean runs (${clean(key).length}/${list.length}), ${fx(all)} over all rounds, ${fx(cpu)} by CPU time (clean runs); ` +
            `this machine, this run: local arithmetic ${fx(ceiling)}, Atomics.add ${fx(ratios.get(addKey))} (all rounds)` +
            (verdict === 'n/a' ? '; no clean run and the machine itself did not scale: no verdict' : ''),
          verdict,
        };
      };
      const goals: Goal[] = [goal('acquire-2-distinct', GOAL_DISTINCT, 'two distinct endpoints'), goal('acquire-2-shared', GOAL_SHARED, 'one shared endpoint')];
      return {
        suite: 'threads',
        baseline: '1 piscina worker on 1 endpoint (ceiling and Atomics.add rows: 1 worker running the same loop)',
        tables: [
          {
            title: `threads — piscina pool of ${poolSize}, ${ops.toLocaleString('en-US')} ops per worker after a start barrier`,
            columns: [
              'case',
              'workers',
              'ns/op/thread',
              'aggregate ops/s',
              '× 1 thread',
              'range',
              'clean runs',
              '× 1 thread (clean)',
              'CPU ns/op/thread (clean)',
              '× by CPU time (clean)',
            ],
            rows,
          },
        ],
        notes,
        goals,
        details: { pool: 'piscina', poolSize, workerCounts: counts, opsPerWorker: ops, rounds, plan, cleanShare: CLEAN_SHARE, warmupOps, configs: details },
      };
    } finally {
      await pool?.destroy();
      service.close();
    }
  },
};
