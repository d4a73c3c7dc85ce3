/**
 * Shared helpers of the reliability suite (test/reliability/*.test.ts).
 *
 * `STRESS=1` (npm run stress) scales runs and durations up; `npm test` runs the short version.
 * Every test reports what it checked through {@link tally}; {@link reportFigures} prints one line
 * per figure at the end of each file (the figures of the README's "Reliability" section).
 */
import { encodeName, EndpointTable } from '../../src/core/EndpointTable.js';
import {
  EP_BREAKER_I32,
  EP_POLICY_I32,
  EP_WAIT_COUNTS_I32,
  EP_WAITERS_I32,
  EP_NEXT_FREE_I32,
  H_ACTIVE_TABLE_I32,
  H_BUMP_NEXT_I32,
  H_FREE_HEAD_I32,
  H_LIVE_COUNT_I32,
  H_LOCK_I32,
  POL_TRIALS_I32,
  PRIORITY_CLASSES,
} from '../../src/core/layout.generated.js';
import { Slab, type SlabHandle } from '../../src/core/Slab.js';
import { isResilienceError } from '../../src/index.js';
import { Rational } from '../model/Rational.js';

/** True under `npm run stress`. */
export const STRESS = process.env.STRESS === '1' || process.env.STRESS === 'true';

/** `short` under npm test, `long` under npm run stress. */
export const scaled = <T>(short: T, long: T): T => (STRESS ? long : short);

/** A deterministic PRNG (mulberry32) returning [0, 1). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi] from `next`. */
export const between = (next: () => number, lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));

/** The seed of randomised (non fast-check) loops: SEED=n to replay one; printed on failure by the tests. */
export const SEED = process.env.SEED === undefined ? (Date.now() ^ (process.pid << 8)) >>> 0 : Number(process.env.SEED) >>> 0;

// ---- figures -----------------------------------------------------------------------------------

const figures = new Map<string, number>();

/** Adds `n` to the figure `name` (see {@link reportFigures}). */
export function tally(name: string, n = 1): void {
  figures.set(name, (figures.get(name) ?? 0) + n);
}

/** Prints the figures tallied by a test file; call `afterAll(reportFigures)` at its top level. */
export function reportFigures(): void {
  if (figures.size === 0) return;
  const lines = [...figures].map(([k, v]) => `  ${k}: ${Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1)}`);
  console.log(`[reliability${STRESS ? ', stress' : ''}]\n${lines.join('\n')}`);
}

// ---- exact arithmetic on doubles -----------------------------------------------------------------

const scratch = new DataView(new ArrayBuffer(8));

/** The exact rational value of a finite double. */
export function exactOf(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`exactOf(${x})`);
  if (x === 0) return Rational.of(0);
  scratch.setFloat64(0, x);
  const bits = scratch.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const shift = (exponent === 0 ? 1 : exponent) - 1075;
  const num = negative ? -mantissa : mantissa;
  return shift >= 0 ? Rational.of(num << BigInt(shift)) : Rational.of(num, 1n << BigInt(-shift));
}

// ---- errors --------------------------------------------------------------------------------------

/** A short, comparable description of what a call threw: the library's code, or the error class. */
export function errorCode(error: unknown): string {
  if (isResilienceError(error)) return error.code;
  if (error instanceof Error) return error.name;
  return `non-error ${typeof error}`;
}

/** Messages of errors thrown by the engine itself (a crash inside the library, not a checked argument). */
export const ENGINE_ERROR = /Cannot read prop|Cannot set prop|is not a function|is not iterable|undefined is not|null is not|Cannot convert|Invalid array length|Maximum call stack|Cannot mix BigInt|out of memory|Invalid typed array|Offset is outside/i;

// ---- raw views of the slab (read only) -----------------------------------------------------------

/** Record index of a live endpoint of the slab behind `handle`, or -1. */
export function indexOf(handle: SlabHandle, name: string): number {
  return new EndpointTable(Slab.attach(handle)).lookup(encodeName(name));
}

/** Calls counted as waiting for a token on `name` (the total and per priority class). */
export function waitersOf(handle: SlabHandle, name: string): { total: number; perClass: number[] } {
  const slab = Slab.attach(handle);
  const index = indexOf(handle, name);
  if (index < 0) throw new Error(`endpoint ${name} is not registered`);
  const base = slab.endpointBase32(index);
  const perClass = Array.from({ length: PRIORITY_CLASSES }, (_, c) => Atomics.load(slab.i32, base + EP_WAIT_COUNTS_I32 + c));
  return { total: Atomics.load(slab.i32, base + EP_WAITERS_I32), perClass };
}

/** The breaker's low word fields of `name`: state, trial permits out, trial successes, generation. */
export function breakerOf(handle: SlabHandle, name: string): { state: number; trials: number; successes: number; generation: number; maxTrials: number } {
  const slab = Slab.attach(handle);
  const index = indexOf(handle, name);
  if (index < 0) throw new Error(`endpoint ${name} is not registered`);
  const base = slab.endpointBase32(index);
  const lo = Atomics.load(slab.i32, base + EP_BREAKER_I32);
  return {
    state: lo & 3,
    trials: (lo >>> 2) & 0x7f,
    successes: (lo >>> 9) & 0x7f,
    generation: lo >>> 16,
    maxTrials: slab.i32[base + EP_POLICY_I32 + POL_TRIALS_I32] as number,
  };
}

/** The registration lock word (0 when free) and the live count of the slab. */
export function headerOf(handle: SlabHandle): { lock: number; live: number } {
  const slab = Slab.attach(handle);
  return { lock: Atomics.load(slab.i32, H_LOCK_I32), live: Atomics.load(slab.i32, H_LIVE_COUNT_I32) };
}

/**
 * Where every endpoint record of the slab behind `handle` is: `leaked` lists records that are
 * neither registered (reached from the active table) nor on the free list, `doubled` records
 * that are both or are on the free list twice. Both are empty in a consistent slab.
 */
export function recordsOf(handle: SlabHandle): { used: number; free: number; registered: number; leaked: number[]; doubled: number[] } {
  const slab = Slab.attach(handle);
  const i32 = slab.i32;
  const used = Atomics.load(i32, H_BUMP_NEXT_I32);
  const seen = new Uint8Array(used);
  const doubled: number[] = [];
  let registered = 0;
  const tableBase = slab.tables32 + (Atomics.load(i32, H_ACTIVE_TABLE_I32) & 1) * slab.tableSlots;
  for (let s = 0; s < slab.tableSlots; s++) {
    const v = i32[tableBase + s] as number;
    if (v <= 0) continue;
    if (seen[v - 1] === 1) doubled.push(v - 1);
    seen[v - 1] = 1;
    registered++;
  }
  let free = 0;
  for (let at = i32[H_FREE_HEAD_I32] as number; at !== 0 && free <= used; at = i32[slab.endpointBase32(at - 1) + EP_NEXT_FREE_I32] as number) {
    if (seen[at - 1] === 1) doubled.push(at - 1);
    seen[at - 1] = 1;
    free++;
  }
  const leaked: number[] = [];
  for (let r = 0; r < used; r++) if (seen[r] !== 1) leaked.push(r);
  return { used, free, registered, leaked, doubled };
}

/** Resolves after `ms` real milliseconds. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every few ms until it holds or `deadlineMs` passes; returns whether it held. */
export async function eventually(done: () => boolean, deadlineMs: number): Promise<boolean> {
  const giveUp = performance.now() + deadlineMs;
  while (!done()) {
    if (performance.now() > giveUp) return false;
    await pause(5);
  }
  return true;
}
