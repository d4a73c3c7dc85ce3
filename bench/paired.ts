/**
 * What the two single-thread suites, hotpath and peers, share: the endpoints they measure and the
 * exact checks of their totals, and the paired samples, the tinybench rounds and the table rows.
 *
 * Not shared: the timed part of each sample. A paired sample times a block of a baseline, then a
 * block of its case, back to back; both blocks stay written out literally in each case of each
 * suite (a helper taking the case as a callback would make its call site polymorphic and charge
 * the case for it). Only what a sample does after its last clock read goes through a shared
 * callback (`Done`: log the pair, add up its tally), and only what a task does before its first
 * one through a shared wrapper (count the block): neither is timed.
 */
import { Bench, type FnReturnedObject, type HookMode, type Task } from 'tinybench';
import { BreakerState, type EndpointHandle, ManualClock, type Policy, PolicyPresets, Rejection, ResilienceService } from '../src/index.js';
import { MAX_RATE } from '../src/policy/Policy.js';
import type { EndpointTotals } from '../src/service/EndpointRecord.js';
import { fail, median, type Row, sig } from './lib.js';

// ---- endpoints ----------------------------------------------------------------------------

/** The finite high rate: 1e9 tokens/s, or the most a policy allows if that is less. */
export const HIGH_RATE = Math.min(1e9, MAX_RATE);
/** Failures that trip the open-circuit endpoint (highThroughput: minimumRequests 15, threshold 0.6). */
export const TRIP_CALLS = 20;
/** Overrides of the highThroughput preset: a bucket that never limits. */
export const UNLIMITED: Partial<Policy> = { rate: Number.POSITIVE_INFINITY };
/** Overrides of the highThroughput preset: the finite high rate, with a burst far beyond what a sample takes. */
export const FINITE: Partial<Policy> = { rate: HIGH_RATE, burst: 2 ** 20 };

/** Endpoints to register, in order: each name with its overrides of the highThroughput preset. */
export type Endpoints = Readonly<Record<string, Partial<Policy>>>;

function withEndpoints(service: ResilienceService, endpoints: Endpoints): ResilienceService {
  for (const [name, overrides] of Object.entries(endpoints)) service.registerEndpoint(name, { ...PolicyPresets.highThroughput(), ...overrides });
  return service;
}

/** A service on the real clock (the product's default: its ticker thread keeps the slab's time word current). */
export function realService(endpoints: Endpoints): ResilienceService {
  return withEndpoints(new ResilienceService(PolicyPresets.standard(), { capacity: 64 }), endpoints);
}

/** A service on a manual clock, which moves only when the suite moves it: by default, never. */
export function manualService(endpoints: Endpoints, clock: ManualClock = new ManualClock(1_000_000)): ResilienceService {
  return withEndpoints(new ResilienceService(PolicyPresets.standard(), { capacity: 16, clock }), endpoints);
}

/**
 * Opens `open` (on a clock that never moves) with TRIP_CALLS failures and checks that it then
 * rejects; returns the calls the trip admitted and the open rejections it and the check made.
 */
export function tripOpen(open: EndpointHandle): { admitted: number; rejected: number } {
  let admitted = 0;
  for (let i = 0; i < TRIP_CALLS; i++) {
    const ticket = open.tryAcquire();
    if (ticket >= 0) admitted++;
    open.record(ticket, false);
  }
  if (open.state !== BreakerState.Open) fail(`the 'open' endpoint did not open after ${TRIP_CALLS} failures (state ${open.state})`);
  if (open.tryAcquire() !== Rejection.CircuitOpen) fail('the open circuit admitted a call');
  return { admitted, rejected: TRIP_CALLS - admitted + 1 };
}

/** Fails unless every field of `want` is exactly as in `totals`. */
export function expectTotals(what: string, totals: EndpointTotals, want: Partial<EndpointTotals>): void {
  for (const [field, value] of Object.entries(want) as [keyof EndpointTotals, number][]) {
    if (totals[field] !== value) fail(`${what}: ${field} is ${totals[field]}, expected ${value} (totals ${JSON.stringify(totals)})`);
  }
}

// ---- paired samples -----------------------------------------------------------------------

/** Paired samples of one task: each times a block of a baseline, then the case's block. */
export class PairLog {
  readonly #baseOps: number;
  #ratios: number[] = [];
  #baseNs: number[] = [];

  /** `baseOps`: operations in the baseline block. */
  constructor(baseOps: number) {
    this.#baseOps = baseOps;
  }

  /** Logs a sample (the baseline block t0..t1, `ops` operations of the case t1..t2) and returns it to tinybench. */
  add(t0: number, t1: number, t2: number, ops: number): FnReturnedObject {
    const basePerOp = (t1 - t0) / this.#baseOps;
    this.#ratios.push((t2 - t1) / ops / basePerOp);
    this.#baseNs.push(basePerOp * 1e6);
    return { overriddenDuration: t2 - t1, overriddenIterationCost: t2 - t0 };
  }

  reset(): void {
    this.#ratios = [];
    this.#baseNs = [];
  }

  /** Median of (case per op ÷ baseline per op). */
  median(): number {
    return median(this.#ratios);
  }

  /** Median ns per baseline operation in this task's paired blocks. */
  baseNs(): number {
    return median(this.#baseNs);
  }
}

/** A tinybench task of a paired suite. */
export interface PairedTask {
  readonly key: string;
  /** One sample. */
  readonly fn: () => unknown;
  /** Operations in the sample's measured block. */
  readonly ops: number;
  /** The task's paired samples; absent for a task tinybench times itself (its ratio is then 1, its baseline its own ns/op). */
  readonly pairs?: PairLog;
}

/**
 * Where a sample hands its times after its last clock read (t2 may be that read itself), with
 * its block's tally (values returned, rejections counted); returns the sample to tinybench.
 */
export type Done = (t0: number, t1: number, t2: number, tally?: number) => FnReturnedObject;

/** Makes a suite's paired tasks and counts, per task, the blocks it ran and their tallies. */
export class PairedTasks {
  readonly #baseOps: number;
  readonly #blocks = new Map<string, number>();
  readonly #tallies = new Map<string, number>();

  /** `baseOps`: operations in every sample's baseline block. */
  constructor(baseOps: number) {
    this.#baseOps = baseOps;
  }

  /** A task each call of which counts a block, then runs `sample` once: `ops` operations of the case, paired. */
  task<R>(key: string, ops: number, sample: (done: Done) => R): PairedTask & { readonly pairs: PairLog } {
    const pairs = new PairLog(this.#baseOps);
    const done: Done = (t0, t1, t2, tally = 0) => {
      this.#tallies.set(key, (this.#tallies.get(key) ?? 0) + tally);
      return pairs.add(t0, t1, t2, ops);
    };
    return {
      key,
      ops,
      pairs,
      fn: () => {
        this.#blocks.set(key, (this.#blocks.get(key) ?? 0) + 1);
        return sample(done);
      },
    };
  }

  /** Blocks the task ran, warm-up included: what the exact checks count on. */
  blocks(key: string): number {
    return this.#blocks.get(key) ?? 0;
  }

  /** The sum of the tallies the task's samples handed over. */
  tally(key: string): number {
    return this.#tallies.get(key) ?? 0;
  }
}

/** A task's figures, one per round (`samples`: the total over rounds). */
export interface Samples {
  /** ns/op: the median sample ÷ the block's operations. */
  readonly p50: number[];
  readonly mean: number[];
  readonly rme: number[];
  /** The median paired ratio (case per op ÷ baseline per op). */
  readonly paired: number[];
  /** The median ns per op of the paired baseline blocks. */
  readonly baseNs: number[];
  samples: number;
}

export interface RoundOptions {
  readonly rounds: number;
  readonly time: number;
  readonly warmupTime: number;
  /** Warm-up and measured iterations, at least. */
  readonly iterations: number;
  /** Run the tasks as async functions (else with tinybench's runSync). */
  readonly async: boolean;
}

/** Runs `tasks` (in order) for `rounds` tinybench rounds; returns each task's figures. */
export async function runRounds(suite: string, tasks: readonly PairedTask[], options: RoundOptions): Promise<Map<string, Samples>> {
  const { rounds, time, warmupTime, iterations } = options;
  const samples = new Map<string, Samples>();
  for (const t of tasks) samples.set(t.key, { p50: [], mean: [], rme: [], paired: [], baseNs: [], samples: 0 });
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ name: `${suite} round ${round + 1}`, time, warmupTime, warmupIterations: iterations, iterations, throws: true });
    for (const t of tasks) {
      // Only the measured phase's pairs count, not the warm-up's.
      const beforeAll = (mode?: HookMode): void => (mode === 'run' ? t.pairs?.reset() : undefined);
      bench.add(t.key, t.fn, options.async ? { async: true, beforeAll } : { beforeAll });
    }
    const ran: Task[] = options.async ? await bench.run() : bench.runSync();
    for (const task of ran) {
      const r = task.result;
      if (r.state !== 'completed') fail(`task ${task.name} did not complete (${r.state})`);
      const t = tasks.find((x) => x.key === task.name) ?? fail(`unknown task ${task.name}`);
      const entry = samples.get(task.name) ?? fail(`unknown task ${task.name}`);
      const ns = (r.latency.p50 * 1e6) / t.ops;
      entry.p50.push(ns);
      entry.mean.push((r.latency.mean * 1e6) / t.ops);
      entry.rme.push(r.latency.rme);
      entry.samples += r.latency.samplesCount;
      entry.paired.push(t.pairs === undefined ? 1 : t.pairs.median());
      entry.baseNs.push(t.pairs === undefined ? ns : t.pairs.baseNs());
    }
  }
  return samples;
}

/** The columns of a paired suite's table, with the names of its two ratio columns. */
export function caseColumns(paired: string, unpaired: string): string[] {
  return ['case', 'ns/op', 'ops/s', paired, unpaired, 'mean ns/op', 'rme %'];
}

/** A row of a paired suite's table: the paired ratio, and ns/op ÷ `unpairedNs` (a baseline's ns/op). */
export function caseRow(label: string, e: Samples, paired: string, unpaired: string, unpairedNs: number): Row {
  const ns = median(e.p50);
  return {
    case: label,
    'ns/op': sig(ns, 3),
    'ops/s': Math.round(1e9 / ns),
    [paired]: sig(median(e.paired), 3),
    [unpaired]: sig(ns / unpairedNs, 3),
    'mean ns/op': sig(median(e.mean), 3),
    'rme %': sig(median(e.rme), 2),
  };
}
