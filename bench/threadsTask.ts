/**
 * The piscina task of the threads suite (bench/threads.bench.ts), loaded in every worker of the
 * pool through threadsBootstrap.mjs. On load the worker attaches to the service's slab (the pool
 * helper put its handle in workerData) and warms its loops up; each task then binds what it
 * will use, counts itself READY, waits at the start barrier (Atomics.wait on the GO word), runs a
 * fixed number of operations and returns its elapsed nanoseconds.
 */
import { readFileSync } from 'node:fs';
import { threadId, workerData } from 'node:worker_threads';
import type { ResilientWorkerData } from '../src/piscina.js';
import type { EndpointHandle } from '../src/service/EndpointHandle.js';
import { sharedResilience } from '../src/worker.js';
import { GO, READY, SEQ, SLOT_STRIDE, type ThreadsData, type ThreadsDone, type ThreadsTask } from './threadsProtocol.js';

const data = (workerData as ResilientWorkerData<ThreadsData>).data;
if (data === undefined) throw new Error('threadsTask: the pool was started without the suite data');
const service = sharedResilience();
const control = new Int32Array(data.control);
const counters = new Int32Array(data.counters);
const worker = Atomics.add(control, SEQ, 1);

/** The measured loop: tryAcquire + record(ok), counting admissions. */
function acquireLoop(ep: EndpointHandle, ops: number): number {
  let admitted = 0;
  for (let i = 0; i < ops; i++) {
    const ticket = ep.tryAcquire();
    if (ticket >= 0) admitted++;
    ep.record(ticket, true);
  }
  return admitted;
}

/** The hardware baseline: Atomics.add on one word. */
function addLoop(a: Int32Array, slot: number, ops: number): number {
  for (let i = 0; i < ops; i++) Atomics.add(a, slot, 1);
  return ops;
}

/** The machine's ceiling: arithmetic on a local (8 xorshift steps per op), no shared memory; the result goes to `slot`. */
function spinLoop(a: Int32Array, slot: number, ops: number): number {
  let x = slot + 1;
  for (let i = 0; i < ops; i++) {
    for (let k = 0; k < 8; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
  }
  a[slot] = x;
  return ops;
}

/** [ns on a CPU, ns waiting for one] of this thread so far (Linux), or undefined. */
function schedstat(): [number, number] | undefined {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return [Number(run), Number(wait)];
  } catch {
    return undefined;
  }
}

function waitForGo(gen: number): void {
  for (;;) {
    const cur = Atomics.load(control, GO);
    if (cur === gen) return;
    Atomics.wait(control, GO, cur);
  }
}

// Warm-up: every loop reaches optimised code, on the very handles the runs will use (a handle's
// first calls take paths, such as starting the window's first bucket, that would otherwise
// deoptimise the loop inside a measured run), before any measured run. Any worker may get any
// endpoint, so each warms them all.
const warmupSlot = data.warmupSlotBase + SLOT_STRIDE * worker;
const handles = data.warmupNames.map((name) => service.endpoint(name));
for (let i = 0; i < 4; i++) {
  for (const ep of handles) acquireLoop(ep, Math.floor(data.warmupOps / 4 / handles.length));
  addLoop(counters, warmupSlot, data.warmupOps >>> 2);
  spinLoop(counters, warmupSlot + 1, data.warmupOps >>> 2);
}

export default function runTask(task: ThreadsTask): ThreadsDone {
  const ep = task.kind === 'acquire' ? service.endpoint(task.name) : undefined;
  Atomics.add(control, READY, 1);
  waitForGo(task.gen);
  const s0 = schedstat();
  const startMs = performance.timeOrigin + performance.now();
  const t0 = process.hrtime.bigint();
  let admitted: number;
  if (task.kind === 'acquire') admitted = acquireLoop(ep ?? service.endpoint(task.name), task.ops);
  else if (task.kind === 'add') admitted = addLoop(counters, task.slot, task.ops);
  else admitted = spinLoop(counters, task.slot, task.ops);
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  const s1 = schedstat();
  const cpuNs = s0 === undefined || s1 === undefined ? null : s1[0] - s0[0];
  const runqueueNs = s0 === undefined || s1 === undefined ? null : s1[1] - s0[1];
  return { worker, threadId, elapsedNs, admitted, startMs, cpuNs, runqueueNs };
}
