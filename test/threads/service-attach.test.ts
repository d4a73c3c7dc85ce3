/**
 * Two ways into a service from a worker thread: `ResilienceService.attach(handle)` and
 * `sharedResilience()` (the '@builder/resilience/worker' entry point, which reads the handle from
 * `workerData`, given either as the handle itself or as `{ resilience: handle }`). Both see the
 * endpoints, policies, counts and manual clock of the main thread's service, and each other's
 * changes; a worker started without a handle gets a SlabAttachError from sharedResilience().
 */
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ManualClock, type Policy, PolicyBuilder, PolicyPresets, ResilienceService } from '../../src/index.js';
import type { AttachReply, AttachRequest } from '../fixtures/service-protocol.js';
import { attachView } from '../support/service.js';
import { spawn } from '../support/workers.js';

/** A worker of service-attach.ts and a way to ask it something. */
function startAttachWorker(workerData: unknown): { worker: Worker; ask: <K extends AttachReply['op']>(request: AttachRequest, op: K) => Promise<Extract<AttachReply, { op: K }>> } {
  const worker = spawn('fixtures/service-attach.ts', workerData);
  let failure: Error | undefined;
  const failed: ((error: Error) => void)[] = [];
  const fail = (error: Error): void => {
    failure ??= error;
    for (const f of failed.splice(0)) f(error);
  };
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => fail(new Error(`service-attach.ts exited with code ${code}`)));
  const ask = <K extends AttachReply['op']>(request: AttachRequest, op: K): Promise<Extract<AttachReply, { op: K }>> =>
    new Promise((resolve, reject) => {
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      failed.push(reject);
      worker.once('message', (reply: AttachReply) => {
        failed.splice(failed.indexOf(reject), 1);
        if (reply.op === op) resolve(reply as Extract<AttachReply, { op: K }>);
        else reject(new Error(`expected a '${op}' reply, got ${JSON.stringify(reply)}`));
      });
      worker.postMessage(request);
    });
  return { worker, ask };
}

const cachePolicy = (): Policy => ({ ...PolicyPresets.network(), classifier: 'all', minimumRequests: 2 ** 30 });
const coordinatorPolicy = (): Policy =>
  PolicyBuilder.create()
    .withBreakerThreshold(0.25)
    .withMinimumRequests(1_000)
    .withBreakerWindow('40s')
    .withRateLimit(42)
    .withBurstCapacity(7)
    .withBreakerTimeout('12s')
    .adaptive(false)
    .build();

function setUp(): ResilienceService {
  const service = new ResilienceService(PolicyPresets.relaxed(), { capacity: 16, clock: new ManualClock(7_000), env: false });
  service.registerEndpoint('cache', cachePolicy());
  service.registerEndpoint('coordinator', coordinatorPolicy());
  return service;
}

describe('attach() and sharedResilience() in a worker', () => {
  const shapes: [string, (service: ResilienceService) => unknown][] = [
    ['workerData is the handle', (service) => service.handle],
    ['workerData is { resilience: handle }', (service) => ({ resilience: service.handle, other: 'data of the application' })],
  ];
  for (const [label, workerDataOf] of shapes) {
    it(`${label}: both see the same endpoints, policies, counts and manual clock`, async () => {
      const service = setUp();
      const { worker, ask } = startAttachWorker(workerDataOf(service));
      try {
        const start = await ask({ op: 'start', expect: 'shared', handle: service.handle }, 'start');
        expect(start.sameInstance).toBe(true); // sharedResilience() attaches once per thread

        // What the main thread set up.
        let snap = await ask({ op: 'snapshot' }, 'snapshot');
        expect(snap.viaEntry).toEqual(attachView(service));
        expect(snap.viaAttach).toEqual(attachView(service));
        expect(snap.viaEntry.kind).toBe('manual');
        expect(snap.viaEntry.now).toBe(7_000);
        expect(snap.viaEntry.policies['coordinator']).toEqual(coordinatorPolicy());
        expect(snap.viaEntry.defaultPolicy).toEqual(PolicyPresets.relaxed());

        // The clock: moved by the main thread, then by the worker.
        service.clock.advance(1_234);
        snap = await ask({ op: 'snapshot' }, 'snapshot');
        expect([snap.viaEntry.now, snap.viaAttach.now]).toEqual([8_234, 8_234]);
        const moved = await ask({ op: 'advance', ms: 766 }, 'advance');
        expect([moved.nowEntry, moved.nowAttach, service.clock.now()]).toEqual([9_000, 9_000, 9_000]);

        // Counts made in the worker through sharedResilience(), seen by attach() and by the main thread.
        service.endpoint('cache').record(service.endpoint('cache').tryAcquire(), true);
        // (240 + 1 calls fit in the bucket of 300 tokens: none waits on the clock, which stands still.)
        const work = await ask({ op: 'work', endpoint: 'cache', calls: 240, failEvery: 3 }, 'work');
        expect(work).toEqual({ op: 'work', succeeded: 160, failed: 80 });
        snap = await ask({ op: 'snapshot' }, 'snapshot');
        expect(snap.viaAttach.totals['cache']).toEqual({ total: 241, failures: 80, accepted: 241 });
        expect(snap.viaEntry.totals['cache']).toEqual({ total: 241, failures: 80, accepted: 241 });
        expect(service.getBreakerStatistics('cache')).toMatchObject({ total: 241, failures: 80 });

        // An endpoint registered in the worker through attach(), and a policy replaced by the main thread.
        const gamma = PolicyBuilder.create().withRateLimit(3).withBurstCapacity(3).withBreakerTimeout('1m').adaptive(false).build();
        await ask({ op: 'register', endpoint: 'gamma', policy: gamma }, 'register');
        expect(service.hasEndpoint('gamma')).toBe(true);
        expect(service.policyOf('gamma')).toEqual(gamma);
        service.registerEndpoint('coordinator', { ...coordinatorPolicy(), rate: 84 });
        snap = await ask({ op: 'snapshot' }, 'snapshot');
        expect(snap.viaEntry).toEqual(attachView(service));
        expect(snap.viaAttach).toEqual(attachView(service));
        expect(snap.viaEntry.policies['coordinator']?.rate).toBe(84);
        expect(snap.viaEntry.names).toEqual(['cache', 'coordinator', 'gamma']);

        await ask({ op: 'exit' }, 'exit');
      } finally {
        await worker.terminate();
        service.close();
      }
    });
  }

  const without: [string, unknown][] = [
    ['no workerData', undefined],
    ['workerData without a handle', { resilience: 'not a handle', data: 1 }],
  ];
  for (const [label, workerData] of without) {
    it(`${label}: sharedResilience() throws a SlabAttachError`, async () => {
      const { worker, ask } = startAttachWorker(workerData);
      try {
        const failed = await ask({ op: 'start', expect: 'none' }, 'start-failed');
        expect(failed).toMatchObject({
          isSlabAttachError: true,
          instanceOfSlabAttachError: true,
          code: 'SLAB_ATTACH',
          name: 'SlabAttachError',
          againCode: 'SLAB_ATTACH',
        });
        expect(failed.message).toMatch(/handle/);
        await ask({ op: 'exit' }, 'exit');
      } finally {
        await worker.terminate();
      }
    });
  }
});
