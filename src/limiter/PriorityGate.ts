import { EP_WAIT_COUNTS_I32, EP_WAIT_STAMPS_I32, EP_WAITERS_I32, PRIORITY_CLASSES } from '../core/layout.generated.js';

/** Call priorities. Any integer from 0 to 255 is a priority; these are the named ones. */
export const Priority = { Low: 0, Normal: 100, High: 200, Critical: 255 } as const;
export type Priority = number;

/** A class count not refreshed for this long belongs to threads that died; it is cleared. */
export const STALE_WAIT_MS = 2000;
/** Waiting calls refresh their class's stamp at least this often. */
export const WAIT_HEARTBEAT_MS = 100;

/** The priority class (0 Low, 1 Normal, 2 High, 3 Critical) of a priority 0..255. */
export function classOf(priority: number): number {
  return priority >= 255 ? 3 : priority >= 200 ? 2 : priority >= 100 ? 1 : 0;
}

/** Checks a priority argument. @throws RangeError naming the value. */
export function checkPriority(priority: unknown): number {
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 255) {
    throw new RangeError(`priority: expected an integer from 0 to 255 (Priority.Low, Normal, High, Critical), got ${String(priority)}`);
  }
  return priority;
}

/**
 * The priority gate of an endpoint, shared by all threads: how many calls of each class are
 * waiting for a token. A call of class c may take a token at once only while no call of class
 * c or higher waits, so High and Critical calls pass queued Low and Normal ones, and nobody
 * passes a waiting call of its own class. Waiting threads refresh their class's stamp; a count
 * whose stamp is older than STALE_WAIT_MS (its threads died) is cleared by the next reader.
 */
export function mayPass(i32: Int32Array, base: number, cls: number, now: number): boolean {
  for (let c = PRIORITY_CLASSES - 1; c >= cls; c--) {
    const count = Atomics.load(i32, base + EP_WAIT_COUNTS_I32 + c);
    if (count <= 0) continue;
    const stamp = Atomics.load(i32, base + EP_WAIT_STAMPS_I32 + c);
    if (((now - stamp) | 0) < STALE_WAIT_MS) return false;
    clearStale(i32, base, c, count);
  }
  return true;
}

/** Whether a call of class `cls` waiting in this thread must still let others of higher classes go first. */
export function higherWaiting(i32: Int32Array, base: number, cls: number, now: number): boolean {
  return cls + 1 < PRIORITY_CLASSES && !mayPass(i32, base, cls + 1, now);
}

function clearStale(i32: Int32Array, base: number, cls: number, count: number): void {
  if (Atomics.compareExchange(i32, base + EP_WAIT_COUNTS_I32 + cls, count, 0) === count) {
    subtractFloor(i32, base + EP_WAITERS_I32, count);
  }
}

function subtractFloor(i32: Int32Array, at: number, n: number): void {
  for (;;) {
    const v = Atomics.load(i32, at);
    const next = Math.max(0, v - n);
    if (Atomics.compareExchange(i32, at, v, next) === v) return;
  }
}

/** A call of class `cls` starts waiting. */
export function enterGate(i32: Int32Array, base: number, cls: number, now: number): void {
  Atomics.store(i32, base + EP_WAIT_STAMPS_I32 + cls, now);
  Atomics.add(i32, base + EP_WAIT_COUNTS_I32 + cls, 1);
  Atomics.add(i32, base + EP_WAITERS_I32, 1);
}

/** A waiting call of class `cls` is still alive. */
export function touchGate(i32: Int32Array, base: number, cls: number, now: number): void {
  Atomics.store(i32, base + EP_WAIT_STAMPS_I32 + cls, now);
}

/** A call of class `cls` stops waiting (with or without a token); wakes waiters in every thread. */
export function leaveGate(i32: Int32Array, base: number, cls: number): void {
  subtractFloor(i32, base + EP_WAIT_COUNTS_I32 + cls, 1);
  subtractFloor(i32, base + EP_WAITERS_I32, 1);
  Atomics.notify(i32, base + EP_WAITERS_I32);
}
