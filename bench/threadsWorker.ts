/**
 * A worker of the threads suite (bench/threads.bench.ts). It attaches to the service's slab,
 * warms its loops up, then for each `run` message: binds what it will use, reports `ready`,
 * waits at the start barrier (Atomics.wait on the control word), runs a fixed number of
 * operations and reports its elapsed nanoseconds.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ResilienceService } from '../src/index.js';
import type { EndpointHandle } from '../src/service/EndpointHandle.js';
import { GO, type ThreadsReply, type ThreadsRequest, type ThreadsWorkerData } from './threadsProtocol.js';

const data = workerData as ThreadsWorkerData;
const port = parentPort;
if (port === null) throw new Error('threadsWorker must run in a worker thread');
const service = ResilienceService.attach(data.handle);
const control = new Int32Array(data.control);
const counters = new Int32Array(data.counters);

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
// deoptimise the loop inside a measured run), before any measured run.
const handles = data.warmupNames.map((name) => service.endpoint(name));
for (let i = 0; i < 4; i++) {
  for (const ep of handles) acquireLoop(ep, Math.floor(data.warmupOps / 4 / handles.length));
  addLoop(counters, data.warmupSlot, data.warmupOps >>> 2);
  spinLoop(counters, data.warmupSlot + 1, data.warmupOps >>> 2);
}
port.postMessage({ type: 'online', id: data.id } satisfies ThreadsReply);

port.on('message', (req: ThreadsRequest) => {
  if (req.op === 'exit') {
    port.close();
    return;
  }
  const ep = req.kind === 'acquire' ? service.endpoint(req.name) : undefined;
  port.postMessage({ type: 'ready', id: data.id } satisfies ThreadsReply);
  waitForGo(req.gen);
  const s0 = schedstat();
  const startMs = performance.timeOrigin + performance.now();
  const t0 = process.hrtime.bigint();
  let admitted: number;
  if (req.kind === 'acquire') admitted = acquireLoop(ep ?? service.endpoint(req.name), req.ops);
  else if (req.kind === 'add') admitted = addLoop(counters, req.slot, req.ops);
  else admitted = spinLoop(counters, req.slot, req.ops);
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  const s1 = schedstat();
  const cpuNs = s0 === undefined || s1 === undefined ? null : s1[0] - s0[0];
  const runqueueNs = s0 === undefined || s1 === undefined ? null : s1[1] - s0[1];
  port.postMessage({ type: 'done', id: data.id, elapsedNs, admitted, startMs, cpuNs, runqueueNs } satisfies ThreadsReply);
});
