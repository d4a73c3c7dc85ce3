/**
 * A thread that dies holding the registration lock, in the middle of a registration or an
 * unregistration: the next thread to need the lock displaces it (after about 2 s) and repairs
 * what it left half done, so no endpoint record is lost and the live count stays true.
 */
import { describe, expect, it } from 'vitest';
import { EndpointTable, encodeName } from '../../src/core/EndpointTable.js';
import { EP_LIFE_I32, H_LIVE_COUNT_I32, H_LOCK_I32, H_TOMBSTONES_I32 } from '../../src/core/layout.generated.js';
import { Slab } from '../../src/core/Slab.js';
import { ManualClock, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import { recordsOf } from '../reliability/support.js';
import { spawn } from '../support/workers.js';

const policy: Policy = { ...PolicyPresets.standard(), rate: Number.POSITIVE_INFINITY, adaptive: false };

function service(): ResilienceService {
  const svc = new ResilienceService(policy, { capacity: 16, clock: new ManualClock(0), env: false });
  for (const name of ['a', 'b', 'c']) svc.registerEndpoint(name, policy);
  return svc;
}

/** The slab's records must all be accounted for, and the registry must agree with itself. */
function expectConsistent(svc: ResilienceService): void {
  const names = svc.endpointNames();
  const records = recordsOf(svc.handle);
  expect({ leaked: records.leaked, doubled: records.doubled, registered: records.registered }).toEqual({ leaked: [], doubled: [], registered: names.length });
  expect(Atomics.load(Slab.attach(svc.handle).i32, H_LIVE_COUNT_I32)).toBe(names.length);
  for (const name of names) expect(svc.hasEndpoint(name)).toBe(true);
}

describe('registration lock: a holder that dies mid-way', () => {
  it('(an error thrown while a new record is set up frees the record again, without waiting for a repair)', () => {
    const svc = service();
    const table = new EndpointTable(Slab.attach(svc.handle));
    expect(() =>
      table.register(encodeName('fails'), () => {
        throw new Error('set-up failed');
      }),
    ).toThrow('set-up failed');
    expect(svc.hasEndpoint('fails')).toBe(false);
    expectConsistent(svc);
    expect(Atomics.load(Slab.attach(svc.handle).i32, H_LOCK_I32), 'the lock is released').toBe(0);
    svc.close();
  });

  it('dying between taking a record and publishing it: the record is reclaimed, the name was never registered', async () => {
    const svc = service();
    const control = new Int32Array(new SharedArrayBuffer(8));
    const worker = spawn('fixtures/registration-dies.ts', { handle: svc.handle, control: control.buffer, name: 'doomed' });
    const reached = Atomics.waitAsync(control, 0, 0);
    if (reached.async) await reached.value;
    const index = Atomics.load(control, 0) - 1;
    await worker.terminate();

    const slab = Slab.attach(svc.handle);
    expect(Atomics.load(slab.i32, H_LOCK_I32), 'the dead thread still holds the lock').not.toBe(0);
    expect(recordsOf(svc.handle).leaked, 'before repair, its record is neither registered nor free').toEqual([index]);

    svc.registerEndpoint('after', policy); // displaces the dead holder and repairs first
    expect(svc.hasEndpoint('doomed')).toBe(false);
    expect(svc.endpointNames().sort()).toEqual(['a', 'after', 'b', 'c']);
    expectConsistent(svc);
    // The record went back to the free list, which registration takes from before the bump pointer.
    expect(new EndpointTable(slab).lookup(encodeName('after'))).toBe(index);
    svc.close();
  }, 20_000);

  it('dying after taking a name out of the table and before freeing its record: the record is freed and handles rebind', () => {
    const svc = service();
    const slab = Slab.attach(svc.handle);
    const table = new EndpointTable(slab);
    const b = svc.endpoint('b');
    const index = table.lookup(encodeName('b'));
    // What a thread leaves when it dies in unregister right after the table store: the slot is a
    // tombstone, the record still live and not on the free list, the counts not yet updated,
    // and the lock held by a thread that will never release it.
    table.locked(() => {
      const i32 = slab.i32;
      for (let s = slab.tables32; s < slab.tables32 + 2 * slab.tableSlots; s++) if (i32[s] === index + 1) Atomics.store(i32, s, -1);
    });
    Atomics.store(slab.i32, H_LOCK_I32, 0x7fff_fff0);
    const lifeBefore = Atomics.load(slab.i32, slab.endpointBase32(index) + EP_LIFE_I32);
    expect(recordsOf(svc.handle).leaked).toEqual([index]);

    svc.registerEndpoint('after', policy);
    expect(svc.endpointNames().sort()).toEqual(['a', 'after', 'c']);
    expectConsistent(svc);
    expect(slab.i32[H_TOMBSTONES_I32], 'tombstones recounted').toBeGreaterThanOrEqual(1);
    // The record's life moved on (freed, and reused by 'after'): handles bound to the old life rebind.
    expect(table.lookup(encodeName('after'))).toBe(index);
    expect(Atomics.load(slab.i32, slab.endpointBase32(index) + EP_LIFE_I32)).toBeGreaterThan(lifeBefore);
    // The handle rebinds on next use: to a fresh registration of 'b' (endpoint() registers it).
    expect(b.tryAcquire()).toBeGreaterThanOrEqual(0);
    expect(svc.hasEndpoint('b')).toBe(true);
    expectConsistent(svc);
    svc.close();
  }, 20_000);
});
